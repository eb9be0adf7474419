"""The Queue page: exceptions filtered, sorted and paged on the server; bulk acknowledge / assign /
resolve for reviewers; the current filter exported as CSV or Excel.

Other pages link here with these query parameters: rule, type, status (default open; empty: any),
assignee (a name, `me`, or `none`), period (2026-10, 2026-Q3, 2026), party, min_amount, max_amount,
age (0-7, 8-30, 31-90, 90+), q, sort (amount, -amount, age, -age), page.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import Response, StreamingResponse

from reconcile.exception_age import age_days
from reconcile.periods import PeriodError, parse_period
from reconcile.report.csvfile import CSV_ENCODING, render_csv
from reconcile.report.excel import render_xlsx
from reconcile.report.explain import Sides
from reconcile.report.fmt import format_amount
from reconcile.report.i18n import Catalogue
from store.discrepancies import DiscrepancyType, ExceptionAction, ExceptionStatus, ResolutionKind
from store.exception_queue import AGES, PAGE_SIZE, SORTS, UNASSIGNED, ExceptionQueue, QueueFilter
from sync.exception_review import MissingValue, explained, refusal, rule_sides
from sync.review_queue import Outcome, act_many, ids_of, queue_report
from web.auth import Principal, require
from web.permissions import Permission
from web.rendering import render, request_lang
from web.state import web_state

router = APIRouter()

PARAMS = (
    "rule",
    "type",
    "status",
    "assignee",
    "period",
    "party",
    "min_amount",
    "max_amount",
    "age",
    "q",
    "sort",
)
ME = "me"
BULK_ACTIONS = {
    "acknowledge": ExceptionAction.ACKNOWLEDGED,
    "assign": ExceptionAction.ASSIGNED,
    "resolve": ExceptionAction.RESOLVED,
}


@dataclass
class Query:
    """The page's query parameters as given (kept to rebuild links) and the filter they make."""

    given: dict[str, str]
    where: QueueFilter
    sort: str
    page: int
    ignored: list[str] = field(default_factory=list)

    def href(self, **changes: str | None) -> str:
        """This page's URL with some parameters changed (None: dropped); paging restarts unless given."""
        params = {**self.given, **changes}
        if "page" not in changes:
            params.pop("page", None)
        return "/queue?" + urlencode({k: v for k, v in params.items() if v is not None})


def read_query(request: Request, who: Principal) -> Query:
    """Query parameters -> filter. A value that cannot be read is ignored and named on the page."""
    raw = request.query_params
    given = {name: raw[name] for name in (*PARAMS, "page") if name in raw}
    ignored: list[str] = []
    state = web_state(request)

    def listed(name: str, allowed: set[str] | None = None) -> tuple[str, ...]:
        values = tuple(v for v in raw.getlist(name) if v)
        if allowed is not None and any(v not in allowed for v in values):
            ignored.append(name)
            return ()
        return values

    statuses = listed("status", {s.value for s in ExceptionStatus}) if "status" in raw else ("open",)
    assignee = (raw.get("assignee") or "").strip() or None
    if assignee == ME:
        assignee = who.user.name
    start = end = None
    if period := (raw.get("period") or "").strip():
        try:
            found = parse_period(period, state.clock(), state.settings.zone)
            start, end = found.start, found.end
        except PeriodError:
            ignored.append("period")
    amounts: dict[str, Decimal | None] = {}
    for name in ("min_amount", "max_amount"):
        text = (raw.get(name) or "").strip().replace(",", "")
        try:
            amounts[name] = Decimal(text) if text else None
            if amounts[name] is not None and not amounts[name].is_finite():  # type: ignore[union-attr]
                raise InvalidOperation
        except InvalidOperation:
            amounts[name] = None
            ignored.append(name)
    age = raw.get("age") or None
    if age is not None and age not in AGES:
        ignored.append("age")
        age = None
    sort = raw.get("sort") or SORTS[0]
    if sort not in SORTS:
        ignored.append("sort")
        sort = SORTS[0]
    page_text = raw.get("page") or "1"
    page = int(page_text) if page_text.isdigit() and len(page_text) < 10 else 1
    where = QueueFilter(
        rules=listed("rule"),
        types=listed("type", {t.value for t in DiscrepancyType}),
        statuses=statuses,
        start=start,
        end=end,
        assignee=assignee,
        party=(raw.get("party") or "").strip() or None,
        min_amount=amounts["min_amount"],
        max_amount=amounts["max_amount"],
        age=age,
        text=(raw.get("q") or "").strip() or None,
    )
    return Query(given=given, where=where, sort=sort, page=page, ignored=ignored)


@router.get("/queue")
def queue_page(
    request: Request, who: Annotated[Principal, Depends(require(Permission.LEDGER_READ))]
) -> Response:
    return _page(request, who, read_query(request, who))


@router.post("/queue/bulk")
def bulk(
    request: Request,
    who: Annotated[Principal, Depends(require(Permission.EXCEPTIONS_ACT))],
    *,
    action: Annotated[str, Form()] = "",
    ids: Annotated[list[str] | None, Form()] = None,
    note: Annotated[str, Form()] = "",
    kind: Annotated[str, Form()] = "",
    assignee: Annotated[str, Form()] = "",
    back: Annotated[str, Form()] = "",
) -> Response:
    """One action with one note on every selected exception, through the CLI's path; each refusal is
    reported on its row, the others are done."""
    query = _back_query(request, who, back)
    chosen = BULK_ACTIONS.get(action)
    selected = ids_of(ids or [])
    note_text = note.strip() or None
    problem = None
    if chosen is None:
        problem = "web.error.bad_request"
    elif not selected:
        problem = "web.queue.bulk.none_selected"
    elif chosen is ExceptionAction.RESOLVED and note_text is None:
        problem = "web.queue.bulk.needs_note"
    elif chosen is ExceptionAction.RESOLVED and kind not in {k.value for k in ResolutionKind}:
        problem = "web.queue.bulk.bad_kind"
    elif chosen is ExceptionAction.ASSIGNED and not assignee.strip():
        problem = "web.queue.bulk.needs_assignee"
    if problem is not None or chosen is None:
        return _page(request, who, query, problem=problem, status_code=400)
    state = web_state(request)
    target = assignee.strip()
    try:
        outcomes = act_many(
            state.engine,
            selected,
            chosen,
            actor=who.user.name,
            now=state.clock(),
            note=note_text,
            resolution_kind=kind or None,
            assignee=who.user.name if target == ME else target or None,
        )
    except MissingValue as exc:  # checked above already; the service says it too
        return _page(request, who, query, problem=f"web.queue.bulk.needs_{exc.field}", status_code=400)
    return _page(request, who, query, outcomes=outcomes)


@router.get("/queue/export.{fmt}")
def export(
    request: Request, who: Annotated[Principal, Depends(require(Permission.LEDGER_READ))], fmt: str
) -> Response:
    """The current filter as the mismatch report's CSV or Excel, in the reader's language."""
    if fmt not in {"csv", "xlsx"}:
        return render(request, "error.html", {"error": "web.error.not_found"}, status_code=404)
    query = read_query(request, who)
    state = web_state(request)
    lang = request_lang(request)
    report = queue_report(
        state.engine,
        state.settings,
        query.where,
        sort=query.sort,
        lang=lang,
        now=state.clock(),
        filters=_filter_meta(query, Catalogue(lang)),
    )
    stamp = state.clock().strftime("%Y%m%d-%H%M")
    if fmt == "csv":
        text = io.StringIO()
        render_csv(report, text)
        body = text.getvalue().encode(CSV_ENCODING)
        media = "text/csv; charset=utf-8"
    else:
        binary = io.BytesIO()
        render_xlsx(report, binary)
        body = binary.getvalue()
        media = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    headers = {"Content-Disposition": f'attachment; filename="exceptions-{stamp}.{fmt}"'}
    return StreamingResponse(iter([body]), media_type=media, headers=headers)


# ----------------------------------------------------------------------------- helpers


def _back_query(request: Request, who: Principal, back: str) -> Query:
    """The filter the bulk form was posted from (its query string), to show the page again."""
    scope = dict(request.scope)
    scope["query_string"] = back.lstrip("?").encode("latin-1", "ignore")
    return read_query(Request(scope, request.receive), who)


def _page(
    request: Request,
    who: Principal,
    query: Query,
    *,
    outcomes: list[Outcome] | None = None,
    problem: str | None = None,
    status_code: int = 200,
) -> Response:
    state = web_state(request)
    now = state.clock()
    queue = ExceptionQueue(state.engine)
    found = queue.page(query.where, now=now, sort=query.sort, page=query.page)
    catalogue = Catalogue(request_lang(request))
    sides: dict[str, Sides] = {}
    rows = [
        {
            "id": row.exception.id,
            "type": row.exception.type,
            "status": row.exception.status.value,
            "rule": row.exception.rule,
            "assignee": row.exception.assignee,
            "parties": row.parties,
            "left": [ref.number or ref.external_id for ref in row.exception.left],
            "right": [ref.number or ref.external_id for ref in row.exception.right],
            "amount": format_amount(row.amount),
            "age": max(0, age_days(row.exception.first_seen_at, now)),
            "explanation": explained(
                row.exception,
                catalogue,
                sides.setdefault(row.exception.rule, rule_sides(state.settings, row.exception.rule)),
            ),
        }
        for row in found.rows
    ]
    return render(
        request,
        "queue.html",
        {
            "q": query,
            "rows": rows,
            "found": found,
            "page_size": PAGE_SIZE,
            "rules": queue.rules(),
            "types": [t.value for t in DiscrepancyType],
            "statuses": [s.value for s in ExceptionStatus],
            "ages": list(AGES),
            "sorts": list(SORTS),
            "kinds": [k.value for k in ResolutionKind],
            "base_currency": state.settings.base_currency,
            "tab": _tab(query, who),
            "me": who.user.name,
            "back": query.href(page=str(found.page))[len("/queue") :],
            "outcomes": outcomes,
            "done": sum(1 for o in outcomes or [] if o.done),
            "refusals": [_refusal_text(o, catalogue) for o in outcomes or [] if not o.done],
            "problem": problem,
        },
        status_code=status_code,
    )


def _tab(query: Query, who: Principal) -> str:
    assignee = query.given.get("assignee")
    if assignee == UNASSIGNED:
        return "unassigned"
    if assignee in {ME, who.user.name}:
        return "mine"
    return "all"


def _refusal_text(outcome: Outcome, catalogue: Catalogue) -> str:
    """Why one exception was not done, in the reader's language (the CLI's sentences)."""
    if outcome.refusal == "missing":
        return catalogue.text("web.queue.bulk.missing", id=outcome.exception_id)
    if outcome.refusal == "refused" and outcome.error is not None:
        return refusal(catalogue, outcome.exception_id, outcome.error)
    return catalogue.text("finance.act.changed_meanwhile", id=outcome.exception_id)


def _filter_meta(query: Query, catalogue: Catalogue) -> list[tuple[str, str]]:
    """The export's header lines: each filter given, labelled in the reader's language."""
    labels = {
        "rule": "meta.rule",
        "status": "meta.status",
        "period": "meta.period",
        "type": "web.queue.filter.type",
        "assignee": "web.queue.filter.assignee",
        "party": "web.queue.filter.party",
        "min_amount": "web.queue.filter.min_amount",
        "max_amount": "web.queue.filter.max_amount",
        "age": "web.queue.filter.age",
        "q": "web.queue.filter.q",
        "sort": "web.queue.filter.sort",
    }
    every = catalogue.text("meta.all")
    lines = [(labels[name], value) for name, value in query.given.items() if name in labels and value]
    if "status" not in query.given:
        lines.append(("meta.status", catalogue.value("status", "open")))
    return lines or [("meta.rule", every)]
