"""The Exception page, `/exceptions/{id}`: both documents side by side with the differing fields marked
(the HTML report's detail), the tolerance of the rule that applied, the explanation in the reader's
language (the reports' and the CLI's template), lines and allocations, each document's revisions with
what changed (sync/document_history.py, as `ledgerbridge ledger history`), the event timeline, the
comments, and the review actions. Every action goes through sync/exception_review.act, the path
`ledgerbridge exceptions ack|assign|resolve|reopen|comment` takes: the lifecycle decides, the store
records the event and ONE audit row with the web user as actor.

Reads are by primary key or index only (the exception, its events, each named document and its
revisions), so the page costs the same with 100,000 exceptions as with three."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Annotated, Any
from urllib.parse import parse_qsl, urlencode

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response

from config.rules import AuditPlan, MatchRule, SettlementRule
from reconcile.lifecycle import TransitionError, review
from reconcile.report.display import amount_text
from reconcile.report.fmt import format_datetime
from reconcile.report.i18n import Catalogue
from reconcile.report.mismatches import exception_detail
from reconcile.report.model import Detail, DocumentView
from store.canonical import CanonicalDocument, DocumentKey
from store.discrepancies import Discrepancy, DiscrepancyType, DocumentRef, ExceptionAction, ResolutionKind
from store.reconcile_repository import SqlReconcileRepository, StoredException
from store.repository import Revision, SqlLedgerRepository
from sync.document_history import RevisionDiff, describe, revision_diffs
from sync.exception_review import (
    REFUSED,
    NoSuchException,
    act,
    action_label,
    explained,
    rule_sides,
    status_label,
    why_refused,
)
from web.auth import Principal, require
from web.permissions import Permission
from web.rendering import is_htmx, render, request_lang
from web.routes.documents import document_href
from web.state import web_state

router = APIRouter()

EXCEPTION_ID = r"^[1-9][0-9]{0,18}$"
"""A database id (a 23-digit one is not found, not a database error)."""
MAX_ID = 2**63 - 1
REVIEW_BLOCK = "fragments/exception_review.html"
"""The block htmx swaps after an action: status, actions, timeline and comments."""
ACTIONS = {
    "acknowledge": ExceptionAction.ACKNOWLEDGED,
    "assign": ExceptionAction.ASSIGNED,
    "resolve": ExceptionAction.RESOLVED,
    "reopen": ExceptionAction.REOPENED,
    "comment": ExceptionAction.COMMENTED,
}
"""`POST /exceptions/{id}/<verb>`: the review actions, the verbs of `ledgerbridge exceptions`."""
OFFERED = tuple(ACTIONS.values())


@dataclass(frozen=True)
class DocumentSide:
    """One document of the exception as the page shows it."""

    ref: DocumentRef
    href: str
    document: CanonicalDocument | None
    """None when the ledger no longer has it (the finding's own figures are shown)."""
    fields: tuple[tuple[str, str], ...]
    history: tuple[RevisionDiff, ...]


# ----------------------------------------------------------------------------- the page


@router.get("/exceptions/{exception_id}")
def exception_page(
    request: Request,
    who: Annotated[Principal, Depends(require(Permission.LEDGER_READ))],
    exception_id: str,
    back: str = "",
) -> Response:
    found = load_exception(request, exception_id)
    if found is None:
        return _not_found(request, exception_id)
    return _render_page(request, found, back=back)


# ----------------------------------------------------------------------------- the actions


def _action_route(action: ExceptionAction) -> Any:
    """The route of one review action: `note` and `back` for all, `assignee` read for assign only,
    `kind` (one of the resolution kinds, else 400) for resolve only."""

    def post(
        request: Request,
        *,
        who: Annotated[Principal, Depends(require(Permission.EXCEPTIONS_ACT))],
        exception_id: str,
        note: Annotated[str, Form()] = "",
        back: Annotated[str, Form()] = "",
        assignee: Annotated[str, Form()] = "",
        kind: Annotated[str, Form()] = "",
    ) -> Response:
        if action is ExceptionAction.RESOLVED and kind not in {k.value for k in ResolutionKind}:
            return render(request, "error.html", {"error": "web.error.bad_request"}, status_code=400)
        return _act(
            request,
            who,
            exception_id,
            action,
            note=note,
            back=back,
            kind=kind if action is ExceptionAction.RESOLVED else None,
            assignee=assignee.strip() if action is ExceptionAction.ASSIGNED else None,
        )

    return post


for _verb, _action in ACTIONS.items():
    router.add_api_route(
        f"/exceptions/{{exception_id}}/{_verb}", _action_route(_action), methods=["POST"], name=_verb
    )


def _act(
    request: Request,
    who: Principal,
    exception_id: str,
    action: ExceptionAction,
    *,
    note: str,
    back: str,
    kind: str | None = None,
    assignee: str | None = None,
) -> Response:
    """The shared review path; then the review block again (htmx) or the page (a plain form post: a
    redirect after success, the page with the refusal otherwise)."""
    ident = parse_id(exception_id)
    if ident is None:
        return _not_found(request, exception_id)
    state = web_state(request)
    catalogue = Catalogue(request_lang(request))
    repo = SqlReconcileRepository(state.engine)
    message: str | None = None
    problem: str | None = None
    try:
        done = act(
            repo,
            ident,
            action,
            actor=who.user.name,
            now=state.clock(),
            note=note,
            kind=kind,
            assignee=assignee,
        )
    except NoSuchException:
        return _not_found(request, exception_id)
    except REFUSED as exc:
        problem = why_refused(catalogue, ident, exc, changed_key="web.exception.changed_meanwhile")
    else:
        if action is ExceptionAction.COMMENTED:
            message = catalogue.text("web.exception.comment_added")
        else:
            message = catalogue.text(
                "web.exception.done",
                id=ident,
                before=status_label(catalogue, done.before.status.value),
                after=status_label(catalogue, done.after.status.value),
            )
    if not is_htmx(request) and problem is None:
        return RedirectResponse(_page_href(ident, back), status_code=303)
    found = repo.get_exception(ident)
    if found is None:
        return _not_found(request, exception_id)
    status_code = 200 if problem is None or is_htmx(request) else 409
    # htmx swaps a 2xx answer only (its default): a refusal comes as 200 with the message in the block.
    extra = {"message": message, "problem": problem}
    if is_htmx(request):
        return render(request, REVIEW_BLOCK, _review_context(request, found, back, **extra))
    return _render_page(request, found, back=back, status_code=status_code, **extra)


# ----------------------------------------------------------------------------- assembling the page


def _render_page(
    request: Request,
    found: StoredException,
    *,
    back: str,
    status_code: int = 200,
    message: str | None = None,
    problem: str | None = None,
) -> Response:
    state = web_state(request)
    catalogue = Catalogue(request_lang(request))
    zone = state.settings.zone
    ledger = SqlLedgerRepository(state.engine)
    loaded = {ref.key: (ledger.get(ref.key), ledger.history(ref.key)) for ref in (*found.left, *found.right)}

    def load(ref: DocumentRef) -> tuple[CanonicalDocument | None, Sequence[Revision]]:
        return loaded[ref.key][0], ()  # revisions are shown the way `ledger history` shows them, below

    finding = _finding(found)
    detail = (
        exception_detail(finding, load, catalogue, zone)
        if finding is not None
        else Detail(left=(), right=(), differing=frozenset())
    )
    sides = rule_sides(state.settings, found.rule)

    def side(refs: Sequence[DocumentRef], views: Sequence[DocumentView]) -> list[DocumentSide]:
        shown = []
        for index, ref in enumerate(refs):
            document, history = loaded[ref.key]
            fields = views[index].fields if index < len(views) else ()
            shown.append(
                DocumentSide(ref, document_href(ref.key), document, fields, tuple(revision_diffs(history)))
            )
        return shown

    context = {
        **_review_context(request, found, back, message=message, problem=problem),
        "left": side(found.left, detail.left),
        "right": side(found.right, detail.right),
        "differing": detail.differing,
        "sides": sides,
        "audit_finding": not found.right and _is_audit(state.settings, found.rule),
        "explanation": explained(found, catalogue, sides),
        "tolerance": _tolerance(state.settings, found),
        "type_label": _type_label(catalogue, found.type),
        "low": _severity(found.type) == "low",
        "describe": lambda diff: describe(catalogue, diff),
        "field_label": lambda name: (
            catalogue.value("field", name) if catalogue.has(f"field.{name}") else name
        ),
        "kind_label": lambda kind: catalogue.value("kind", kind),
        "amount": lambda value, currency: amount_text(value, currency, catalogue),
        "allocation_href": lambda ref, allocation: document_href(
            DocumentKey(
                source=ref.source, kind=allocation.target_kind, external_id=allocation.invoice_external_id
            )
        ),
        "back_href": _back_href(back),
        "back": back,
        "when": lambda value: format_datetime(value, zone),
    }
    return render(request, "exception.html", context, status_code=status_code)


def _review_context(
    request: Request,
    found: StoredException,
    back: str,
    *,
    message: str | None = None,
    problem: str | None = None,
) -> dict[str, Any]:
    """What the review block (status, actions, timeline, comments) shows, on the page and after an
    htmx action alike."""
    state = web_state(request)
    catalogue = Catalogue(request_lang(request))
    zone = state.settings.zone
    events = SqlReconcileRepository(state.engine).events(found.id)
    return {
        "exception": found,
        "events": events,
        "comments": [e for e in events if e.action == ExceptionAction.COMMENTED.value],
        "offered": _offered(found),
        "users": _assignable(request, found),
        "kinds": [k.value for k in ResolutionKind],
        "status_label": lambda value: status_label(catalogue, value),
        "event_label": lambda action: action_label(catalogue, action),
        "resolution_label": lambda kind: _resolution_label(catalogue, kind),
        "when": lambda value: format_datetime(value, zone),
        "difference": amount_text(found.difference, found.currency, catalogue),
        "message": message,
        "problem": problem,
        "back": back,
    }


def _offered(found: StoredException) -> frozenset[str]:
    """The actions the lifecycle allows in the exception's status (the buttons shown; the lifecycle
    still decides when one is posted)."""
    allowed: set[str] = set()
    for action in OFFERED:
        try:
            review(found.status, action)
        except TransitionError:
            continue
        allowed.add(action.value)
    return frozenset(allowed)


def _assignable(request: Request, found: StoredException) -> list[str]:
    """Names offered for assignment: the enabled users, the rule's owner and the current assignee."""
    state = web_state(request)
    names = [user.name for user in state.users.list() if user.enabled]
    owner = _configured(state.settings, found.rule)
    extra = [getattr(owner, "owner", None), found.assignee]
    return sorted({*names, *(name for name in extra if name)})


def _finding(found: StoredException) -> Discrepancy | None:
    try:
        return found.discrepancy()
    except ValueError:  # a type this version no longer knows: no side-by-side marking
        return None


def _configured(settings: Any, name: str) -> MatchRule | SettlementRule | AuditPlan | None:
    try:
        return settings.reconcile.runnable(name)  # type: ignore[no-any-return]
    except KeyError:
        return None


def _is_audit(settings: Any, name: str) -> bool:
    return isinstance(_configured(settings, name), AuditPlan)


def _tolerance(settings: Any, found: StoredException) -> list[tuple[str, str]] | None:
    """(catalogue key, value) of the limits the rule (or audit plan) that found it applies; None when
    it is no longer configured."""
    configured = _configured(settings, found.rule)
    if configured is None:
        return None
    tolerance = configured.tolerance
    shown = [
        ("web.exception.tolerance.amount", _plain(tolerance.amount)),
        ("web.exception.tolerance.amount_percent", _plain(tolerance.amount_percent) + "%"),
    ]
    if isinstance(configured, AuditPlan):
        thresholds = configured.thresholds
        if found.type == DiscrepancyType.POSSIBLE_DUPLICATE.value:
            shown.append(("web.exception.tolerance.duplicate_days", str(thresholds.possible_duplicate.days)))
        if found.type == DiscrepancyType.DISCOUNT_ABOVE_LIMIT.value:
            percent = _plain(thresholds.discount_above_limit.percent) + "%"
            shown.append(("web.exception.tolerance.discount_percent", percent))
        return shown
    shown.append(("web.exception.tolerance.fx_percent", _plain(tolerance.fx_percent) + "%"))
    shown.append(("web.exception.tolerance.days", str(tolerance.days)))
    return shown


def _plain(value: Decimal) -> str:
    """A configured decimal as written (`0.01`, `2`), never in exponent form."""
    text = format(value, "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def _resolution_label(catalogue: Catalogue, kind: str) -> str:
    """The queue's names of the resolution kinds (one wording on both pages)."""
    key = f"web.queue.kind.{kind}"
    return catalogue.text(key) if catalogue.has(key) else kind


def _type_label(catalogue: Catalogue, value: str) -> str:
    return catalogue.value("type", value) if catalogue.has(f"type.{value}") else value


def _severity(value: str) -> str:
    try:
        return DiscrepancyType(value).severity
    except ValueError:
        return "normal"


# ----------------------------------------------------------------------------- ids, links, not found


def parse_id(text: str) -> int | None:
    """A database id as the path gives it (`42`), or None: not digits, a leading zero, above 2**63 - 1
    (the Exception page, its suggestions and the Aliases page share it)."""
    if not text.isascii() or not text.isdigit() or text.startswith("0") or len(text) > 19:
        return None
    value = int(text)
    return value if value <= MAX_ID else None


def load_exception(request: Request, exception_id: str) -> StoredException | None:
    ident = parse_id(exception_id)
    if ident is None:
        return None
    return SqlReconcileRepository(web_state(request).engine).get_exception(ident)


def _not_found(request: Request, exception_id: str) -> Response:
    return render(request, "exception_missing.html", {"exception_id": exception_id}, status_code=404)


def back_query(back: str) -> str:
    """The queue's filter as a query string (`status=open&rule=x`), re-encoded from its pairs: whatever
    was passed can only ever be a query of /queue, never another address."""
    pairs = parse_qsl(back.lstrip("?"), keep_blank_values=False)
    return urlencode(pairs)


def _back_href(back: str) -> str:
    query = back_query(back)
    return "/queue" + (f"?{query}" if query else "")


def _page_href(ident: int, back: str) -> str:
    query = back_query(back)
    return f"/exceptions/{ident}" + (f"?{urlencode({'back': query})}" if query else "")
