"""`GET /web/health`: whether the web app can read its database, as JSON (for load balancers)."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse

from web.auth import public
from web.state import web_state

router = APIRouter()


@router.get("/web/health", dependencies=[Depends(public)])
def health(request: Request) -> JSONResponse:
    if not web_state(request).users.reachable():
        return JSONResponse({"status": "unavailable", "database": "unreachable"}, status_code=503)
    return JSONResponse({"status": "ok", "database": "ok"})
