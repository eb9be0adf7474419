"""`ledgerbridge audit`: read the audit log of admin and finance actions, and verify its hash chain."""

from __future__ import annotations

import json

import click

from store.audit import list_audit, verify_audit
from sync.cli import AppContext, CommandFailed, emit_json, json_option
from sync.commands.common import database


@click.group("audit")
def audit_group() -> None:
    """The append-only audit log: who set secrets, ran syncs and reconciliations, acted on exceptions."""


@audit_group.command("list")
@click.option("--limit", type=click.IntRange(1, 100_000), default=50, show_default=True)
@click.option("--action", default=None, help="Only actions starting with this (e.g. `secret.`).")
@click.option("--actor", default=None, help="Only this user's actions.")
@json_option
@click.pass_obj
def list_entries(app: AppContext, limit: int, action: str | None, actor: str | None, as_json: bool) -> None:
    """The newest entries first."""
    with database(app) as engine:
        entries = list_audit(engine, limit=limit, action=action, actor=actor)
    if as_json:
        emit_json({"entries": [entry.as_json() for entry in entries]})
        return
    if not entries:
        click.echo("the audit log is empty" if not (action or actor) else "no matching entries")
    for entry in entries:
        when = entry.recorded_at.isoformat(timespec="seconds").replace("+00:00", "Z")
        detail = json.dumps(dict(entry.detail), ensure_ascii=False, sort_keys=True)
        click.echo(f"{entry.id:>6}  {when}  {entry.actor:<16} {entry.action:<22} {detail}")


@audit_group.command("verify")
@json_option
@click.pass_obj
def verify(app: AppContext, as_json: bool) -> None:
    """Recompute the hash chain; exit 1 naming every row edited, replaced or deleted."""
    with database(app) as engine:
        verdict = verify_audit(engine)
    if as_json:
        emit_json(
            {
                "ok": verdict.ok,
                "rows": verdict.rows,
                "problems": [{"row": p.row, "message": p.message} for p in verdict.problems],
            }
        )
    elif verdict.ok:
        click.echo(f"audit log intact: {verdict.rows} rows, hash chain verified")
    else:
        for problem in verdict.problems:
            click.echo(f"row {problem.row}: {problem.message}")
    if not verdict.ok:
        first = verdict.problems[0]
        raise CommandFailed(
            f"the audit log was tampered with: {first.message}"
            + (f" (and {len(verdict.problems) - 1} more)" if len(verdict.problems) > 1 else "")
        )
