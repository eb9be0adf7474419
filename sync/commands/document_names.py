"""Documents as finance names them: a document number (`INV-000204`), an external id, or
SOURCE/KIND/EXTERNAL_ID; an ambiguous name lists the documents it could mean and asks which one."""

from __future__ import annotations

import sys
from collections.abc import Sequence

import click

from reconcile.report.fmt import display_width, format_amount
from store.canonical import DocumentKey
from store.repository import DocumentCandidate, SqlLedgerRepository
from sync.cli import AppContext, BadConfig
from sync.console import echo_line
from sync.document_history import find_named, parse_key

__all__ = ["SHOWN", "candidate_lines", "parse_key", "resolve_document"]

SHOWN = 20
"""Candidates listed at most; more means the name is too vague, narrowed with --source and --kind."""


def resolve_document(
    app: AppContext,
    ledger: SqlLedgerRepository,
    name: str,
    *,
    source: str | None = None,
    kind: str | None = None,
    narrowable: bool = True,
    interactive: bool = True,
) -> DocumentKey:
    """The one document `name` means. Several: on a terminal (stdin and stdout), a numbered list and a
    prompt; otherwise exit 2 with the list and how to choose (`--source`/`--kind` when `narrowable`, or
    the id). None: exit 2 saying so."""
    found = find_named(ledger, name, source=source, kind=kind, limit=SHOWN + 1)
    if isinstance(found, DocumentKey):
        return found
    if not found:
        raise BadConfig(app.text("finance.doc.none", name=name, scope=_scope(app, source, kind)))
    if len(found) == 1:
        return found[0].key
    lines = candidate_lines(app, found[:SHOWN])
    if len(found) > SHOWN:
        lines.append("  " + app.text("finance.doc.more"))
    intro = app.text(
        "finance.doc.ambiguous" if narrowable else "finance.doc.ambiguous_id", name=name, count=_count(found)
    )
    if interactive and len(found) <= SHOWN and _on_a_terminal():
        echo_line(intro)
        for line in lines:
            click.echo(line)
        choice = click.prompt(
            app.text("finance.doc.prompt", count=len(found)), type=click.IntRange(1, len(found))
        )
        return found[choice - 1].key
    raise BadConfig("\n".join([intro, *lines]))


def candidate_lines(app: AppContext, found: Sequence[DocumentCandidate]) -> list[str]:
    """`  1. zoho-crm  Invoice  zoho-crm/invoice/c2  INV-0002  2026-10-05  CNY 250.00`, aligned by display
    width (a Chinese kind or number counts two columns a character)."""
    rows = [
        [
            f"{n}.",
            c.key.source,
            app.catalogue.value("kind", c.key.kind.value),
            str(c.key),
            c.number or "-",
            c.issued_on.isoformat() if c.issued_on else "-",
            format_amount(c.total, c.currency) or "-",
            app.text("finance.doc.deleted") if c.deleted else "",
        ]
        for n, c in enumerate(found, start=1)
    ]
    widths = [max(display_width(row[i]) for row in rows) for i in range(len(rows[0]))]
    return [
        "  "
        + "  ".join(cell + " " * (widths[i] - display_width(cell)) for i, cell in enumerate(row)).rstrip()
        for row in rows
    ]


def _on_a_terminal() -> bool:
    """Someone can answer a prompt: stdin and stdout are a terminal (never in a script or a pipe)."""
    return sys.stdin.isatty() and sys.stdout.isatty()


def _count(found: Sequence[DocumentCandidate]) -> str:
    return f"{SHOWN}+" if len(found) > SHOWN else str(len(found))


def _scope(app: AppContext, source: str | None, kind: str | None) -> str:
    if source is None and kind is None:
        return ""
    return app.text(
        "finance.doc.scope",
        source=source or app.text("finance.doc.any_source"),
        kind=app.catalogue.value("kind", kind) if kind else app.text("finance.doc.any_kind"),
    )
