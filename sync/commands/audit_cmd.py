"""`ledgerbridge audit`: read the audit log of admin and finance actions; verify its keyed chain, its anchor
outside the database, and the documents' digests."""

from __future__ import annotations

import json

import click

from store.audit_log import AuditVerdict, list_audit
from store.digests import DocumentProblem, DocumentVerdict
from store.integrity import Seal
from sync.admin_service import verify_everything
from sync.cli import AppContext, CommandFailed, emit_json, json_option
from sync.commands.common import database
from sync.console import echo_line


@click.group("audit")
def audit_group() -> None:
    """The append-only audit log: who set secrets, ran syncs and reconciliations, acted on exceptions."""


@audit_group.command("list")
@click.option(
    "--limit",
    type=click.IntRange(1, 100_000),
    default=50,
    show_default=True,
    help="How many entries at most.",
)
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
        click.echo(app.text("audit.empty" if not (action or actor) else "audit.no_match"))
    for entry in entries:
        when = entry.recorded_at.isoformat(timespec="seconds").replace("+00:00", "Z")
        detail = json.dumps(dict(entry.detail), ensure_ascii=False, sort_keys=True)
        click.echo(f"{entry.id:>6}  {when}  {entry.actor:<16} {entry.action:<22} {detail}")


@audit_group.command("verify")
@json_option
@click.pass_obj
def verify(app: AppContext, as_json: bool) -> None:
    """Check the audit chain under the seal key and against the head file kept outside the database,
    and every document row against its digest; exit 1 naming the first bad row and every row that
    fails (ADR 0020). `sync run --full --repair` rewrites failing documents."""
    with database(app) as engine:
        found = verify_everything(engine)
    audit, rows, seal = found.audit, found.documents, found.seal
    if as_json:
        emit_json(
            {
                "ok": found.ok,
                "rows": audit.rows,
                "sealed": audit.sealed,
                "seal_key": seal.fingerprint,
                "head_file": None if seal.head_file is None else str(seal.head_file),
                "problems": [{"row": p.row, "message": p.message} for p in audit.problems],
                "documents": {
                    "rows": rows.rows,
                    "unsealed": rows.unsealed,
                    "problems": [p.as_json() for p in rows.problems],
                },
            }
        )
    else:
        _print(app, audit, rows, seal)
    if not audit.ok:
        first = audit.problems[0]
        more = len(audit.problems) - 1
        raise CommandFailed(
            app.text(
                "audit.tampered",
                problem=first.message,
                more=app.text("audit.tampered_more", count=more) if more else "",
                documents=app.text("audit.tampered_documents", count=len(rows.problems))
                if rows.problems
                else "",
            )
        )
    if not rows.ok:
        first_row = rows.problems[0]
        raise CommandFailed(
            app.text(
                "audit.documents_changed",
                count=len(rows.problems),
                document=_name(app, first_row),
                problem=first_row.message,
            )
        )


def _print(app: AppContext, audit: AuditVerdict, rows: DocumentVerdict, seal: Seal) -> None:
    text = app.text
    if audit.ok and not audit.sealed:
        click.echo(text("audit.intact_unsealed", rows=audit.rows, fingerprint=seal.fingerprint))
    elif audit.ok:
        anchored = text("audit.anchored", path=seal.head_file) if seal.head_file is not None else ""
        click.echo(text("audit.intact", rows=audit.rows, fingerprint=seal.fingerprint, anchored=anchored))
    for problem in audit.problems:
        click.echo(text("audit.row_problem", row=problem.row, problem=problem.message))
    for found in rows.problems:
        echo_line(text("audit.document_problem", document=_name(app, found), problem=found.message))
    if rows.ok:
        click.echo(text("audit.documents_intact", rows=rows.rows))
    if rows.unsealed:
        click.echo(text("audit.unsealed_documents", count=rows.unsealed))


def _name(app: AppContext, problem: DocumentProblem) -> str:
    return app.text(
        "audit.document_name",
        source=problem.source,
        kind=problem.kind,
        external_id=problem.external_id,
        id=problem.id,
    )
