"""`ledgerbridge exceptions list|show|ack|resolve|assign|reopen|comment`: review what reconciliation found.
The review actions go through sync/exception_review.py, the path the web app's Exception page takes too."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import click

from reconcile.periods import Period, PeriodError, parse_period
from reconcile.report.fmt import display_width, format_amount
from reconcile.report.safe import terminal_text
from store.canonical import DocumentKind
from store.discrepancies import DiscrepancyType, DocumentRef, ExceptionAction, ExceptionStatus, ResolutionKind
from store.reconcile_repository import ExceptionEvent, SqlReconcileRepository, StoredException
from store.repository import SqlLedgerRepository
from sync.bootstrap import utc_now
from sync.cli import AppContext, BadConfig, CommandFailed, emit_json, json_option
from sync.commands.common import actor_name, actor_option, database
from sync.commands.document_names import resolve_document
from sync.console import Column, echo_line, joined, print_listing, stdout_layout
from sync.exception_review import (
    REFUSED,
    MissingValue,
    NoSuchException,
    act,
    action_label,
    explained,
    missing,
    rule_sides,
    status_label,
    why_refused,
)

STATUSES = click.Choice([s.value for s in ExceptionStatus])
TYPES = click.Choice([t.value for t in DiscrepancyType])
KINDS = click.Choice([k.value for k in ResolutionKind])
DOCUMENT_KINDS = click.Choice([k.value for k in DocumentKind])
EXCEPTION_ID = click.IntRange(1, 2**63 - 1)
"""An exception's id: a database integer (a 23-digit id is a usage error, not a database crash)."""


@click.group("exceptions")
def exceptions_group() -> None:
    """Reconciliation exceptions: list, look closer, acknowledge, resolve, assign, reopen, comment."""


@exceptions_group.command("list")
@click.option("--rule", default=None, metavar="R")
@click.option("--status", type=STATUSES, default=None)
@click.option("--type", "type_", type=TYPES, default=None)
@click.option(
    "--period", default=None, metavar="P", help="On the documents' issue date: 2026-10, 2026-Q3, 2026."
)
@click.option(
    "--document",
    default=None,
    metavar="NUMBER|ID",
    help="Only exceptions involving this document: its number (INV-000204), external id, or "
    "SOURCE/KIND/EXTERNAL_ID.",
)
@click.option("--source", default=None, help="With --document: the document's connector.")
@click.option("--kind", type=DOCUMENT_KINDS, default=None, help="With --document: the document's kind.")
@json_option
@click.pass_obj
def list_exceptions(
    app: AppContext,
    *,
    rule: str | None,
    status: str | None,
    type_: str | None,
    period: str | None,
    document: str | None,
    source: str | None,
    kind: str | None,
    as_json: bool,
) -> None:
    """Exceptions, oldest first. A table on a wide terminal, a card per exception on a narrow one, one
    tab-separated line per exception when piped; with nothing to list, why."""
    scope = _period(app, period)
    if document is None and (source is not None or kind is not None):
        raise BadConfig(app.text("finance.narrow_without_document"))
    with database(app) as engine:
        repo = SqlReconcileRepository(engine)
        key = None
        if document is not None:
            ledger = SqlLedgerRepository(engine)
            key = resolve_document(app, ledger, document, source=source, kind=kind, interactive=not as_json)
        start, end = (None, None) if scope is None else (scope.start, scope.end)
        found = repo.list_exceptions(
            rule=rule, status=status, type_=type_, start=start, end=end, document=key
        )
        filters = [
            f"{name} {value}"
            for name, value in (("--status", status), ("--type", type_), ("--document", document))
            if value is not None
        ]
        why = None if found else _why_empty(app, repo, rule=rule, scope=scope, filters=filters)
    if as_json:
        emit_json({"exceptions": [exception_json(e) for e in found]})
        return
    catalogue = app.catalogue
    if why is not None and stdout_layout()[0]:
        echo_line(why)
        return
    if why is not None:  # piped: the heading row alone on stdout, the reason on stderr
        click.echo(terminal_text(why, one_line=True), err=True)
    columns = [
        Column(catalogue.text("col.id"), right=True),
        Column(catalogue.text("col.status")),
        Column(catalogue.text("col.type")),
        Column(catalogue.text("col.rule")),
        Column(catalogue.text("col.assignee")),
        Column(catalogue.text("col.difference"), right=True),
        Column(catalogue.text("col.explanation"), wraps=True),
    ]
    sides: dict[str, tuple[str | None, str | None]] = {}
    print_listing(
        columns,
        (
            [
                e.id,
                _status(app, e.status.value),
                _type(app, e.type),
                e.rule,
                e.assignee or "",
                _difference(app, e),
                _explanation(app, e, sides),
            ]
            for e in found
        ),
    )


def _period(app: AppContext, period: str | None) -> Period | None:
    if period is None:
        return None
    try:
        scope = parse_period(period, utc_now(), app.config.settings.zone)
    except PeriodError as exc:
        raise BadConfig(app.text("finance.bad_period", reason=str(exc))) from exc
    return None if scope.is_all else scope


def _why_empty(
    app: AppContext,
    repo: SqlReconcileRepository,
    *,
    rule: str | None,
    scope: Period | None,
    filters: list[str],
) -> str:
    """Why `exceptions list` shows nothing: no run covers the period (and the command that would), the
    runs found nothing, or the filters exclude every exception there is (and how many that is)."""
    zone = app.config.settings.zone
    now = utc_now()
    periods = [parse_period(name, now, zone) for name in repo.run_periods(rule)]
    period = None if scope is None else scope.name
    ran = [p for p in periods if scope is None or p.is_all or _overlaps(p, scope)]
    if not ran:
        params = {"rule": rule, "period": period}
        suffix = ("_rule" if rule else "") + ("_period" if period else "")
        return app.text(f"finance.empty.no_run{suffix}", **{k: v for k, v in params.items() if v})
    start, end = (None, None) if scope is None else (scope.start, scope.end)
    count = repo.count_exceptions(rule=rule, start=start, end=end)
    suffix = ("_rule" if rule else "") + ("_period" if period else "")
    params = {k: v for k, v in {"rule": rule, "period": period}.items() if v}
    if count and filters:
        where = app.text("finance.where." + suffix.lstrip("_"), **params) if suffix else ""
        return app.text("finance.empty.filters", filters=" ".join(filters), count=count, where=where)
    if scope is not None and not any(p.is_all or _within(scope, p) for p in ran):
        covered = joined(app.lang, sorted({p.name for p in ran}))
        rule_option = f" --rule {rule}" if rule else ""
        return app.text("finance.empty.partial", period=period, covered=covered, rule_option=rule_option)
    return app.text(f"finance.empty.none{suffix}", **params)


def _overlaps(run: Period, scope: Period) -> bool:
    if run.start is None or run.end is None or scope.start is None or scope.end is None:
        return True  # `all` overlaps everything
    return run.start <= scope.end and scope.start <= run.end


def _within(scope: Period, run: Period) -> bool:
    if run.start is None or run.end is None:
        return True
    if scope.start is None or scope.end is None:
        return False
    return run.start <= scope.start and scope.end <= run.end


def _status(app: AppContext, value: str) -> str:
    return status_label(app.catalogue, value)


def _type(app: AppContext, value: str) -> str:
    """The type's name in the reader's language, marked when it is a low-severity hint."""
    name = app.catalogue.value("type", value) if app.catalogue.has(f"type.{value}") else value
    return name if _severity(value) == "normal" else app.text("finance.low", type=name)


_DATE_ONLY = {
    DiscrepancyType.DUE_BEFORE_ISSUE.value: "due_on",
    DiscrepancyType.INVOICE_BEFORE_ORDER.value: "issued_on",
}
"""Findings about dates alone: their "difference" is the two dates compared, not an amount."""


def _difference(app: AppContext, e: StoredException) -> str:
    field = _DATE_ONLY.get(e.type)
    if field is None:
        return format_amount(e.difference, e.currency)
    dates = next(((left, right) for name, left, right in e.fields if name == field), None)
    if dates is None or not (dates[0] and dates[1]):
        return ""
    return app.text(f"dates.{e.type}", left=dates[0], right=dates[1])


def _explanation(app: AppContext, e: StoredException, sides: dict[str, tuple[str | None, str | None]]) -> str:
    """The catalogue's template filled from the finding, in either language, as the reports say it (the
    stored sentence only for a type this version no longer knows)."""
    if e.rule not in sides:
        sides[e.rule] = rule_sides(app.config.settings, e.rule)
    return explained(e, app.catalogue, sides[e.rule])


@exceptions_group.command("show")
@click.argument("exception_id", type=EXCEPTION_ID)
@json_option
@click.pass_obj
def show(app: AppContext, exception_id: int, as_json: bool) -> None:
    """One exception: both sides, the fields that differ, both documents' history, every event."""
    with database(app) as engine:
        repo = SqlReconcileRepository(engine)
        found = _get(app, repo, exception_id)
        events = repo.events(exception_id)
        ledger = SqlLedgerRepository(engine)
        history = {
            str(ref.key): [
                {
                    "revision": r.revision,
                    "change": r.change.value,
                    "recorded_at": _iso(r.recorded_at),
                    "document": r.document.to_json_dict(),
                }
                for r in ledger.history(ref.key)
            ]
            for ref in (*found.left, *found.right)
        }
    if as_json:
        emit_json(
            {
                "exception": {
                    **exception_json(found),
                    "events": [_event_json(e) for e in events],
                    "history": history,
                }
            }
        )
        return
    title = "finance.show.title" if _severity(found.type) == "normal" else "finance.show.title_low"
    name = app.catalogue.value("type", found.type) if app.catalogue.has(f"type.{found.type}") else found.type
    status = _status(app, found.status.value)
    echo_line(app.text(title, id=found.id, type=name, status=status, rule=found.rule))
    echo_line(f"  {_explanation(app, found, {})}")
    side_width = max(display_width(app.text(side)) for side in ("ui.left", "ui.right"))
    for side, refs in (("ui.left", found.left), ("ui.right", found.right)):
        name = app.text(side) + " " * (side_width - display_width(app.text(side)))
        for ref in refs:
            echo_line(
                f"  {name}  {ref.key}  {ref.number or '-'}  "
                f"{format_amount(ref.amount, ref.currency) or '-'}  {ref.issued_on or '-'}"
            )
    for field, left, right in found.fields:
        label = app.catalogue.value("field", field) if app.catalogue.has(f"field.{field}") else field
        echo_line("  " + app.text("finance.show.field", field=label, left=left or "-", right=right or "-"))
    echo_line("  " + app.text("finance.show.assignee", name=found.assignee or app.text("ui.none")))
    for key, revisions in history.items():
        listed = joined(
            app.lang,
            (
                app.text(
                    "finance.show.revision",
                    revision=r["revision"],
                    change=app.catalogue.value("change", str(r["change"])),
                )
                for r in revisions
            ),
        )
        echo_line("  " + app.text("finance.show.history", document=key, revisions=listed))
    for e in events:
        note = f" — {e.note}" if e.note else ""
        before = _status(app, e.from_status) if e.from_status else "-"
        after = _status(app, e.to_status)
        echo_line(f"  {_iso(e.at)}  {e.actor}  {_action(app, e.action)}  {before} -> {after}{note}")


def _action(app: AppContext, action: str) -> str:
    return action_label(app.catalogue, action)


@exceptions_group.command("ack")
@click.argument("exception_id", type=EXCEPTION_ID)
@click.option("--note", default=None)
@actor_option
@json_option
@click.pass_obj
def ack(app: AppContext, exception_id: int, note: str | None, actor: str | None, as_json: bool) -> None:
    """Acknowledge: someone is looking at it."""
    _act(app, exception_id, ExceptionAction.ACKNOWLEDGED, actor=actor, note=note, as_json=as_json)


@exceptions_group.command("resolve")
@click.argument("exception_id", type=EXCEPTION_ID)
@click.option("--note", required=True, help="Why it is resolved (kept in the history).")
@click.option("--kind", type=KINDS, default=ResolutionKind.FIXED_AT_SOURCE.value, show_default=True)
@actor_option
@json_option
@click.pass_obj
def resolve(
    app: AppContext, *, exception_id: int, note: str, kind: str, actor: str | None, as_json: bool
) -> None:
    """Resolve with a kind and a note; it stays resolved while the finding is unchanged."""
    _act(app, exception_id, ExceptionAction.RESOLVED, actor=actor, note=note, kind=kind, as_json=as_json)


@exceptions_group.command("assign")
@click.argument("exception_id", type=EXCEPTION_ID)
@click.argument("user")
@click.option("--note", default=None)
@actor_option
@json_option
@click.pass_obj
def assign(
    app: AppContext, *, exception_id: int, user: str, note: str | None, actor: str | None, as_json: bool
) -> None:
    """Give the exception to someone."""
    _act(app, exception_id, ExceptionAction.ASSIGNED, actor=actor, note=note, assignee=user, as_json=as_json)


@exceptions_group.command("reopen")
@click.argument("exception_id", type=EXCEPTION_ID)
@click.option("--note", default=None)
@actor_option
@json_option
@click.pass_obj
def reopen(app: AppContext, exception_id: int, note: str | None, actor: str | None, as_json: bool) -> None:
    """Open a resolved or auto-resolved exception again."""
    _act(app, exception_id, ExceptionAction.REOPENED, actor=actor, note=note, as_json=as_json)


@exceptions_group.command("comment")
@click.argument("exception_id", type=EXCEPTION_ID)
@click.option("--note", required=True, help="The comment (kept in the exception's events).")
@actor_option
@json_option
@click.pass_obj
def comment(app: AppContext, exception_id: int, note: str, actor: str | None, as_json: bool) -> None:
    """Comment on the exception; its status stays as it is."""
    _act(app, exception_id, ExceptionAction.COMMENTED, actor=actor, note=note, as_json=as_json)


def _act(
    app: AppContext,
    exception_id: int,
    action: ExceptionAction,
    *,
    actor: str | None,
    note: str | None,
    as_json: bool,
    kind: str | None = None,
    assignee: str | None = None,
) -> None:
    with database(app) as engine:
        repo = SqlReconcileRepository(engine)
        try:
            done = act(
                repo,
                exception_id,
                action,
                actor=actor_name(actor),
                now=utc_now(),
                note=note,
                kind=kind,
                assignee=assignee,
            )
        except NoSuchException as exc:
            raise CommandFailed(app.text("finance.no_exception", id=exception_id)) from exc
        except MissingValue as exc:
            raise BadConfig(missing(app.catalogue, exc)) from exc
        except REFUSED as exc:
            why = why_refused(app.catalogue, exception_id, exc, changed_key="finance.act.changed_meanwhile")
            raise CommandFailed(why) from exc
    if as_json:
        emit_json({"exception": exception_json(done.after)})
    elif action is ExceptionAction.COMMENTED:
        click.echo(app.text("finance.act.commented", id=exception_id))
    else:
        before, now = _status(app, done.before.status.value), _status(app, done.after.status.value)
        click.echo(app.text("finance.act.done", id=exception_id, before=before, after=now))


def _get(app: AppContext, repo: SqlReconcileRepository, exception_id: int) -> StoredException:
    found = repo.get_exception(exception_id)
    if found is None:
        raise CommandFailed(app.text("finance.no_exception", id=exception_id))
    return found


def _ref_json(refs: tuple[DocumentRef, ...]) -> dict[str, Any] | None:
    if not refs:
        return None
    ref = refs[0]
    return {
        "source": ref.source,
        "kind": ref.kind.value,
        "external_id": ref.external_id,
        "number": ref.number,
        "amount": None if ref.amount is None else str(ref.amount),
    }


def exception_json(e: StoredException) -> dict[str, Any]:
    """The `exceptions list --json` shape of INTERFACES.md; extra fields list every document involved."""

    def money(value: Any) -> str | None:
        return None if value is None else str(value)

    return {
        "id": e.id,
        "rule": e.rule,
        "type": e.type,
        "severity": _severity(e.type),
        "status": e.status.value,
        "left": _ref_json(e.left),
        "right": _ref_json(e.right),
        "difference": money(e.difference),
        "currency": e.currency,
        "first_seen_at": _iso(e.first_seen_at),
        "last_seen_at": _iso(e.last_seen_at),
        "assignee": e.assignee,
        "detail": e.explanation,
        "left_amount": money(e.left_amount),
        "right_amount": money(e.right_amount),
        "left_documents": [_ref_json((r,)) for r in e.left],
        "right_documents": [_ref_json((r,)) for r in e.right],
        "fields": [{"field": f, "left": left, "right": right} for f, left, right in e.fields],
        "resolution_kind": e.resolution_kind,
        "resolution_note": e.resolution_note,
        "fingerprint": e.fingerprint,
    }


def _severity(type_: str) -> str:
    """`low` for statistical hints finance may read last (unusual_amount), else `normal`; a type this
    version no longer knows is `normal`."""
    try:
        return DiscrepancyType(type_).severity
    except ValueError:
        return "normal"


def _event_json(e: ExceptionEvent) -> dict[str, Any]:
    return {
        "action": e.action,
        "from_status": e.from_status,
        "to_status": e.to_status,
        "actor": e.actor,
        "note": e.note,
        "run_id": e.run_id,
        "at": _iso(e.at),
    }


def _iso(moment: datetime | None) -> str | None:
    if moment is None:
        return None
    return moment.isoformat(timespec="seconds").replace("+00:00", "Z")
