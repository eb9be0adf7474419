"""`ledgerbridge exceptions list|show|ack|resolve|assign|reopen`: review what reconciliation found."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import click

from reconcile.lifecycle import TransitionError, review
from reconcile.periods import PeriodError, parse_period
from store.canonical import DiscrepancyType, DocumentRef, ExceptionAction, ExceptionStatus, ResolutionKind
from store.reconcile_repository import ExceptionEvent, SqlReconcileRepository, StoredException
from store.repository import SqlLedgerRepository
from sync.bootstrap import utc_now
from sync.cli import AppContext, BadConfig, CommandFailed, emit_json, json_option
from sync.commands.common import actor_name, actor_option, database
from sync.console import echo_line

STATUSES = click.Choice([s.value for s in ExceptionStatus])
TYPES = click.Choice([t.value for t in DiscrepancyType])
KINDS = click.Choice([k.value for k in ResolutionKind])
EXCEPTION_ID = click.IntRange(1, 2**63 - 1)
"""An exception's id: a database integer (a 23-digit id is a usage error, not a database crash)."""


@click.group("exceptions")
def exceptions_group() -> None:
    """Reconciliation exceptions: list, look closer, acknowledge, resolve, assign, reopen."""


@exceptions_group.command("list")
@click.option("--rule", default=None, metavar="R")
@click.option("--status", type=STATUSES, default=None)
@click.option("--type", "type_", type=TYPES, default=None)
@click.option(
    "--period", default=None, metavar="P", help="On the documents' issue date: 2026-10, 2026-Q3, 2026."
)
@json_option
@click.pass_obj
def list_exceptions(
    app: AppContext,
    *,
    rule: str | None,
    status: str | None,
    type_: str | None,
    period: str | None,
    as_json: bool,
) -> None:
    """Exceptions, oldest first."""
    start = end = None
    if period is not None:
        try:
            scope = parse_period(period, utc_now(), app.config.settings.zone)
        except PeriodError as exc:
            raise BadConfig(f"--period: {exc}") from exc
        start, end = scope.start, scope.end
    with database(app) as engine:
        found = SqlReconcileRepository(engine).list_exceptions(
            rule=rule, status=status, type_=type_, start=start, end=end
        )
    if as_json:
        emit_json({"exceptions": [exception_json(e) for e in found]})
        return
    if not found:
        click.echo("no exceptions")
    for e in found:
        amount = "" if e.difference is None else f"{e.difference} {e.currency or ''}".strip()
        marker = "" if _severity(e.type) == "normal" else f" ({_severity(e.type)})"
        kind = f"{e.type}{marker}"
        echo_line(f"{e.id:>6}  {e.status.value:<13} {kind:<28} {e.rule:<24} {amount:>16}  {e.explanation}")


@exceptions_group.command("show")
@click.argument("exception_id", type=EXCEPTION_ID)
@json_option
@click.pass_obj
def show(app: AppContext, exception_id: int, as_json: bool) -> None:
    """One exception: both sides, the fields that differ, both documents' history, every event."""
    with database(app) as engine:
        repo = SqlReconcileRepository(engine)
        found = _get(repo, exception_id)
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
    severity = "" if _severity(found.type) == "normal" else f", severity {_severity(found.type)}"
    echo_line(f"exception {found.id}: {found.type} ({found.status.value}{severity}) in rule {found.rule}")
    echo_line(f"  {found.explanation}")
    for side, refs in (("left", found.left), ("right", found.right)):
        for ref in refs:
            echo_line(
                f"  {side:<5} {ref.key}  {ref.number or '-'}  "
                f"{ref.amount} {ref.currency or ''}  {ref.issued_on}"
            )
    for field, left, right in found.fields:
        echo_line(f"  {field}: {left} vs {right}")
    echo_line(f"  assignee: {found.assignee or '-'}")
    for key, revisions in history.items():
        echo_line(f"  history of {key}: " + ", ".join(f"r{r['revision']} {r['change']}" for r in revisions))
    for e in events:
        note = f" — {e.note}" if e.note else ""
        echo_line(
            f"  {_iso(e.at)}  {e.actor:<14} {e.action:<13} {e.from_status or '-'} -> {e.to_status}{note}"
        )


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
        found = _get(repo, exception_id)
        try:
            after = review(found.status, action)
        except TransitionError as exc:
            raise CommandFailed(f"exception {exception_id}: {exc}") from exc
        try:
            repo.record_action(
                exception_id,
                action=action,
                before=found.status,
                after=after,
                actor=actor_name(actor),
                note=note,
                now=utc_now(),
                resolution_kind=kind,
                assignee=assignee,
            )
        except LookupError as exc:
            raise CommandFailed(str(exc)) from exc
        updated = _get(repo, exception_id)
    if as_json:
        emit_json({"exception": exception_json(updated)})
    else:
        click.echo(f"exception {exception_id}: {found.status.value} -> {updated.status.value}")


def _get(repo: SqlReconcileRepository, exception_id: int) -> StoredException:
    found = repo.get_exception(exception_id)
    if found is None:
        raise CommandFailed(f"no exception {exception_id} (see `ledgerbridge exceptions list`)")
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
