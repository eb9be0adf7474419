"""The Exception page's matching suggestions (loaded by htmx into fragments/exception_candidates.html):
"match these", "not this one", recording a party alias; and the Aliases page. Every action goes through
sync/suggestions.py and the store paths `ledgerbridge match|unmatch|alias` use (ADR 0029)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response

from reconcile.report.fmt import format_amount, format_datetime
from reconcile.report.i18n import Catalogue
from reconcile.suggestions import Suggestion
from store.ledger_rows import LedgerRow, money
from store.party_aliases import AliasExists, SqlAliasStore, UnknownAlias
from store.reconcile_repository import StoredException
from sync.suggestions import (
    AliasRefused,
    ExceptionSuggestions,
    SuggestionError,
    decline,
    match_these,
    record_alias,
    suggestions,
)
from web.auth import Principal, require
from web.permissions import Permission
from web.rendering import is_htmx, render, request_lang
from web.routes.exception import load_exception, parse_id
from web.state import web_state

router = APIRouter()

LIST = "fragments/exception_candidates_list.html"


@dataclass(frozen=True)
class _Shown:
    """One suggestion as the fragment shows it (labels in the reader's language)."""

    subject: str
    subject_label: str
    candidate: str
    candidate_label: str
    party: str
    score: str
    reasons: tuple[str, ...]
    eligible: bool


@dataclass(frozen=True)
class _Pair:
    """What "match these" and "not this one" post: the exception's document, the candidate, a note."""

    subject: str
    candidate: str
    note: str


def _pair(
    subject: Annotated[str, Form()] = "",
    candidate: Annotated[str, Form()] = "",
    note: Annotated[str, Form()] = "",
) -> _Pair:
    return _Pair(subject, candidate, note.strip())


@router.get("/exceptions/{exception_id}/candidates")
def candidates(
    request: Request,
    who: Annotated[Principal, Depends(require(Permission.LEDGER_READ))],
    exception_id: str,
) -> Response:
    found = load_exception(request, exception_id)
    if found is None:
        return _not_found(request)
    return _render(request, found)


@router.post("/exceptions/{exception_id}/candidates/match")
def match_pair(
    request: Request,
    *,
    who: Annotated[Principal, Depends(require(Permission.EXCEPTIONS_ACT))],
    exception_id: str,
    pair: Annotated[_Pair, Depends(_pair)],
) -> Response:
    found = load_exception(request, exception_id)
    if found is None:
        return _not_found(request)
    state = web_state(request)
    catalogue = Catalogue(request_lang(request))
    try:
        outcome = match_these(
            state.engine,
            state.settings,
            found,
            pair.subject,
            pair.candidate,
            actor=who.user.name,
            note=pair.note,
            clock=state.clock,
        )
    except SuggestionError:
        return _render(request, found, problem=catalogue.text("web.candidates.refused"), status_code=409)
    names = {"left": _label(outcome.left), "right": _label(outcome.right), "rule": outcome.rule}
    if outcome.skipped is not None:
        message = catalogue.text(
            "web.candidates.rerun_skipped", **names, period=outcome.period, reason=outcome.skipped
        )
    else:
        after = outcome.exception.status.value if outcome.exception is not None else "auto_resolved"
        status = catalogue.value("status", after)
        message = catalogue.text("web.candidates.matched", **names, period=outcome.period, status=status)
    current = outcome.exception or found
    return _render(request, current, message=message, alias_offer=outcome.alias_offer)


@router.post("/exceptions/{exception_id}/candidates/decline")
def decline_pair(
    request: Request,
    *,
    who: Annotated[Principal, Depends(require(Permission.EXCEPTIONS_ACT))],
    exception_id: str,
    pair: Annotated[_Pair, Depends(_pair)],
) -> Response:
    found = load_exception(request, exception_id)
    if found is None:
        return _not_found(request)
    state = web_state(request)
    catalogue = Catalogue(request_lang(request))
    try:
        _, declined = decline(
            state.engine,
            state.settings,
            found,
            pair.subject,
            pair.candidate,
            actor=who.user.name,
            note=pair.note,
            now=state.clock(),
        )
    except SuggestionError:
        return _render(request, found, problem=catalogue.text("web.candidates.refused"), status_code=409)
    side = declined if declined.key_text == pair.candidate else None
    message = catalogue.text(
        "web.candidates.declined", candidate=_label(side) if side else pair.candidate, rule=found.rule
    )
    return _render(request, found, message=message)


@router.post("/exceptions/{exception_id}/candidates/alias")
def alias_from_match(
    request: Request,
    *,
    who: Annotated[Principal, Depends(require(Permission.EXCEPTIONS_ACT))],
    exception_id: str,
    name_a: Annotated[str, Form()] = "",
    name_b: Annotated[str, Form()] = "",
    scope: Annotated[str, Form()] = "all",
    note: Annotated[str, Form()] = "",
) -> Response:
    found = load_exception(request, exception_id)
    if found is None:
        return _not_found(request)
    rule = found.rule if scope == "rule" else None
    message, problem = _add_alias(request, who, name_a=name_a, name_b=name_b, rule=rule, note=note)
    return _render(request, found, message=message, problem=problem)


# ----------------------------------------------------------------------------- the Aliases page


@router.get("/aliases")
def aliases_page(
    request: Request, who: Annotated[Principal, Depends(require(Permission.LEDGER_READ))]
) -> Response:
    return _aliases(request)


@router.post("/aliases")
def add_alias(
    request: Request,
    *,
    who: Annotated[Principal, Depends(require(Permission.EXCEPTIONS_ACT))],
    name_a: Annotated[str, Form()] = "",
    name_b: Annotated[str, Form()] = "",
    rule: Annotated[str, Form()] = "",
    note: Annotated[str, Form()] = "",
) -> Response:
    message, problem = _add_alias(request, who, name_a=name_a, name_b=name_b, rule=rule or None, note=note)
    if problem is None and not is_htmx(request):
        return RedirectResponse("/aliases", status_code=303)
    return _aliases(request, message=message, problem=problem, status_code=200 if problem is None else 409)


@router.post("/aliases/{alias_id}/remove")
def remove_alias(
    request: Request,
    who: Annotated[Principal, Depends(require(Permission.EXCEPTIONS_ACT))],
    alias_id: str,
) -> Response:
    state = web_state(request)
    catalogue = Catalogue(request_lang(request))
    ident = parse_id(alias_id)
    try:
        if ident is None:
            raise UnknownAlias(alias_id)
        gone = SqlAliasStore(state.engine).remove(ident, actor=who.user.name, now=state.clock())
    except UnknownAlias:
        problem = catalogue.text("alias.unknown", id=alias_id)
        return _aliases(request, problem=problem, status_code=404)
    if not is_htmx(request):
        return RedirectResponse("/aliases", status_code=303)
    return _aliases(request, message=catalogue.text("web.aliases.removed", a=gone.name_a, b=gone.name_b))


def _add_alias(
    request: Request, who: Principal, *, name_a: str, name_b: str, rule: str | None, note: str
) -> tuple[str | None, str | None]:
    """(message, problem) of recording an alias through the service `ledgerbridge alias add` uses."""
    state = web_state(request)
    catalogue = Catalogue(request_lang(request))
    try:
        added = record_alias(
            state.engine,
            state.settings,
            name_a,
            name_b,
            rule=rule,
            actor=who.user.name,
            note=note.strip(),
            now=state.clock(),
        )
    except AliasRefused as exc:
        return None, catalogue.text(f"alias.refused.{exc.reason}", rule=rule or "")
    except AliasExists:
        return None, catalogue.text("alias.exists", a=name_a.strip(), b=name_b.strip())
    return catalogue.text("web.aliases.added", a=added.name_a, b=added.name_b), None


def _aliases(
    request: Request, *, message: str | None = None, problem: str | None = None, status_code: int = 200
) -> Response:
    state = web_state(request)
    rows = [
        {**alias.as_json(), "when": format_datetime(alias.created_at, state.settings.zone)}
        for alias in SqlAliasStore(state.engine).in_force()
    ]
    rules = [rule.name for rule in state.settings.reconcile.rules]
    context = {"aliases": rows, "rules": rules, "message": message, "problem": problem}
    return render(request, "aliases.html", context, status_code=status_code)


# ----------------------------------------------------------------------------- the suggestions list


def _render(
    request: Request,
    found: StoredException,
    *,
    message: str | None = None,
    problem: str | None = None,
    alias_offer: tuple[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    state = web_state(request)
    catalogue = Catalogue(request_lang(request))
    offered = suggestions(state.engine, state.settings, found, clock=state.clock)
    context: dict[str, Any] = {
        "exception": found,
        "offered": offered.offered,
        "suggestions": [_shown(catalogue, s, offered) for s in offered.suggestions],
        "intro": _intro(catalogue, offered),
        "message": message,
        "problem": problem,
        "alias_offer": alias_offer,
    }
    template = LIST if is_htmx(request) else "exception_candidates.html"
    return render(request, template, context, status_code=status_code)


def _intro(catalogue: Catalogue, offered: ExceptionSuggestions) -> tuple[str, str]:
    """(the list's intro, the text when it is empty)."""
    rule = offered.rule
    if rule is None:
        return "", ""
    side = rule.right if offered.exception.type != "missing_in_left" else rule.left
    names = {"source": side.source, "period": offered.period}
    return (
        catalogue.text("web.candidates.intro", **names, rule=rule.name),
        catalogue.text("web.candidates.none", **names),
    )


def _shown(catalogue: Catalogue, found: Suggestion, offered: ExceptionSuggestions) -> _Shown:
    points = found.why.points()
    currency = offered.exception.currency

    def pts(name: str) -> str:
        return str(points[name])

    if found.amount_difference is None:
        amount = catalogue.text("web.candidates.reason.no_amount", points=pts("amount"))
    else:
        difference = format_amount(money(abs(found.amount_difference)), currency)
        amount = catalogue.text("web.candidates.reason.amount", points=pts("amount"), difference=difference)
    if found.days_apart is None:
        date = catalogue.text("web.candidates.reason.no_date", points=pts("date"))
    else:
        date = catalogue.text("web.candidates.reason.date", points=pts("date"), days=found.days_apart)
    if found.aliased:
        party = catalogue.text("web.candidates.reason.alias", points=pts("party"))
    else:
        party = catalogue.text(
            "web.candidates.reason.party", points=pts("party"), likeness=round(found.likeness)
        )
    reference_key = "reference" if found.reference else "no_reference"
    reference = catalogue.text(f"web.candidates.reason.{reference_key}", points=pts("reference"))
    return _Shown(
        subject=found.subject.key_text,
        subject_label=_label(found.subject),
        candidate=found.candidate.key_text,
        candidate_label=_label(found.candidate, currency),
        party=found.candidate.party_name or "",
        score=pts("total"),
        reasons=(amount, date, party, reference),
        eligible=found.eligible,
    )


def _label(row: LedgerRow, currency: str | None = None) -> str:
    """`INV-0003` (or the external id), with the amount and date when asked for: vendor text, escaped by
    the template."""
    name = row.number or row.external_id
    if currency is None:
        return name
    amount = format_amount(money(row.total), row.currency or currency)
    day = row.issued_on.isoformat() if row.issued_on else "-"
    return f"{name} · {amount} · {day}"


def _not_found(request: Request) -> Response:
    return render(request, "error.html", {"error": "web.error.not_found"}, status_code=404)
