"""The Audit log page (admin): the log filtered by action prefix, actor and dates, a page at a time, newest
first; "Verify" runs `ledgerbridge audit verify`'s whole check (sync/admin_service.py) and names every
row edited, deleted or cut and every document changed outside ledgerbridge."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from store.audit_pages import AuditFilter, SqlAuditPages
from sync.admin_service import Verification, verify_everything
from web.auth import Principal, require
from web.permissions import Permission
from web.rendering import is_htmx, render
from web.state import web_state

router = APIRouter()

PAGE_SIZE = 50


@dataclass(frozen=True)
class _Query:
    action: str
    actor: str
    since: str
    until: str
    page: int

    def link(self, page: int) -> str:
        fields = {"action": self.action, "actor": self.actor, "since": self.since, "until": self.until}
        return "/audit?" + urlencode({**{k: v for k, v in fields.items() if v}, "page": page})


@router.get("/audit")
def audit_page(
    request: Request,
    who: Annotated[Principal, Depends(require(Permission.AUDIT_READ))],
    *,
    action: str = "",
    actor: str = "",
    since: str = "",
    until: str = "",
    page: int = 1,
) -> Response:
    return _page(request, _Query(action.strip(), actor.strip(), since.strip(), until.strip(), max(1, page)))


@router.post("/audit/verify")
async def verify(
    request: Request, who: Annotated[Principal, Depends(require(Permission.AUDIT_VERIFY))]
) -> Response:
    found = await run_in_threadpool(verify_everything, web_state(request).engine)
    if is_htmx(request):
        return render(request, "fragments/audit_verify.html", {"verification": _verdict(found)})
    return _page(request, _Query("", "", "", "", 1), verification=_verdict(found))


def _page(request: Request, query: _Query, *, verification: dict[str, Any] | None = None) -> Response:
    state = web_state(request)
    zone = state.settings.zone
    start, end = _day(query.since), _day(query.until)
    bad_date = (query.since and start is None) or (query.until and end is None)
    where = AuditFilter(
        action=query.action or None,
        actor=query.actor or None,
        since=None if start is None else datetime.combine(start, time(), zone),
        until=None if end is None else datetime.combine(end + timedelta(days=1), time(), zone),
    )
    found = SqlAuditPages(state.engine).page(where, offset=(query.page - 1) * PAGE_SIZE, limit=PAGE_SIZE)
    rows = [
        {
            "id": e.id,
            "at": e.recorded_at.astimezone(zone).isoformat(timespec="seconds"),
            "actor": e.actor,
            "action": e.action,
            "detail": json.dumps(dict(e.detail), ensure_ascii=False, sort_keys=True),
        }
        for e in found.entries
    ]
    last_page = max(1, -(-found.total // PAGE_SIZE))
    context = {
        "query": query,
        "rows": rows,
        "total": found.total,
        "first": found.offset + 1 if rows else 0,
        "last": found.offset + len(rows),
        "newer": query.link(query.page - 1) if query.page > 1 else None,
        "older": query.link(query.page + 1) if query.page < last_page else None,
        "bad_date": bool(bad_date),
        "verification": verification,
    }
    return render(request, "audit_page.html", context, status_code=400 if bad_date else 200)


def _day(text: str) -> date | None:
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None


def _verdict(found: Verification) -> dict[str, Any]:
    return {
        "ok": found.ok,
        "rows": found.audit.rows,
        "sealed": found.audit.sealed,
        "fingerprint": found.seal.fingerprint,
        "problems": [{"row": p.row, "message": p.message} for p in found.audit.problems],
        "documents": found.documents.rows,
        "unsealed": found.documents.unsealed,
        "changed": [p.as_json() for p in found.documents.problems],
    }
