"""`GET /today`: what finance opens every morning. Per rule and period the bridge statement, open
exceptions by type with their amounts, their ageing and what changed in the last 24 hours; per
connector the last sync, lag, health and quarantined records. The figures are sync/today.py's (the
reports' and the health checks' own computations); every exception figure links to the queue filtered
to the rows it counts (`/queue?rule=..&type=..&status=open&age=..&period=..`)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse

from reconcile.report.fmt import format_amount, format_datetime
from reconcile.report.i18n import Catalogue
from store.discrepancies import DiscrepancyType
from sync.today import OPEN, today_overview
from web.auth import Principal, require
from web.permissions import Permission
from web.rendering import render, request_lang
from web.state import web_state

router = APIRouter()

CHANGE_STATUS = {"new": OPEN, "resolved": "resolved", "changed": None}
"""The queue's status filter for each kind of change (the queue has no "changed since" filter: `new`
opens the open exceptions of age 0-7, which holds every exception first seen in the last 24 hours)."""
CHANGE_AGE = {"new": "0-7"}
TYPE_NAMES = frozenset(t.value for t in DiscrepancyType)
"""Bridge lines that are discrepancy types (and so link to the queue); within_tolerance and the like not."""


def queue_href(
    rule: str,
    period: str | None,
    *,
    type: str | None = None,
    status: str | None = OPEN,
    age: str | None = None,
) -> str:
    """The queue filtered as one Today figure counts: the Queue page's own parameter names."""
    params = {"rule": rule, "type": type, "status": status, "age": age, "period": period}
    return "/queue?" + urlencode({name: value for name, value in params.items() if value is not None})


@router.get("/today", response_class=HTMLResponse)
def today(
    request: Request, who: Annotated[Principal, Depends(require(Permission.LEDGER_READ))]
) -> HTMLResponse:
    state = web_state(request)
    now = state.clock()
    overview = today_overview(state.engine, state.settings, now)
    catalogue = Catalogue(request_lang(request))
    zone = state.settings.zone
    return render(
        request,
        "today.html",
        {
            "overview": overview,
            "queue_href": queue_href,
            "change_status": CHANGE_STATUS,
            "change_age": CHANGE_AGE,
            "amount": format_amount,
            "when": lambda value: format_datetime(value, zone) if value is not None else "",
            "lag": _lag_text(catalogue.text),
            "label": _label(catalogue),
            "now_text": format_datetime(now, zone),
            "type_names": TYPE_NAMES,
        },
    )


def _label(catalogue: Catalogue) -> Callable[[str], str]:
    """A discrepancy type or bridge line in the reader's language (as the reports name it)."""

    def label(name: str) -> str:
        for namespace in ("type", "bridge"):
            if catalogue.has(f"{namespace}.{name}"):
                return catalogue.value(namespace, name)
        return name

    return label


def _lag_text(text: Callable[..., str]) -> Callable[[float | None], str]:
    def lag(seconds: float | None) -> str:
        if seconds is None:
            return text("web.today.never")
        minutes = max(int(seconds // 60), 0)
        if minutes < 60:
            return text("web.today.lag.minutes", minutes=minutes)
        hours, minutes = divmod(minutes, 60)
        if hours < 24:
            return text("web.today.lag.hours", hours=hours, minutes=minutes)
        days, hours = divmod(hours, 24)
        return text("web.today.lag.days", days=days, hours=hours)

    return lag
