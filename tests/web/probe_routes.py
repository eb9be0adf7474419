"""A route module for tests only: one route per permission, so that require() is exercised for each
role without depending on the pages other engineers are building."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import PlainTextResponse

from web.audit import audit
from web.auth import Principal, require
from web.permissions import Permission

router = APIRouter()


@router.get("/probe/read")
def read(who: Annotated[Principal, Depends(require(Permission.LEDGER_READ))]) -> PlainTextResponse:
    return PlainTextResponse(f"read by {who.user.name}")


@router.post("/probe/act")
def act(
    request: Request,
    who: Annotated[Principal, Depends(require(Permission.EXCEPTIONS_ACT))],
    note: Annotated[str, Form()] = "",
) -> PlainTextResponse:
    audit(request, who, "probe.act", {"note": note})
    return PlainTextResponse(f"acted by {who.user.name}")


@router.post("/probe/admin")
def admin_only(who: Annotated[Principal, Depends(require(Permission.USERS_MANAGE))]) -> PlainTextResponse:
    return PlainTextResponse("admin")
