"""`ledgerbridge ledger export|history`: the canonical ledger out, streamed, and one document's revisions."""

from __future__ import annotations

import csv
import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

import click

from reconcile.report.csvfile import CSV_ENCODING
from reconcile.report.safe import csv_text
from store.canonical import DocumentKey, DocumentKind
from store.repository import SqlLedgerRepository
from sync.cli import AppContext, BadConfig, CommandFailed, emit_json, json_option
from sync.commands.common import database, force_option, output_destination
from sync.commands.document_names import resolve_document
from sync.console import Column, joined, print_listing
from sync.document_history import describe, revision_diffs
from sync.engine import iso
from sync.outputs import Destination, OutputKind, OutputRefused, atomic_output, check_destination

CSV_COLUMNS = (
    "source",
    "kind",
    "external_id",
    "number",
    "party_external_id",
    "party_name",
    "owner",
    "issued_on",
    "due_on",
    "currency",
    "exchange_rate",
    "subtotal",
    "tax",
    "total",
    "balance",
    "discount",
    "shipping",
    "adjustment",
    "rounding",
    "tax_inclusive",
    "status",
    "raw_status",
    "references",
    "allocations",
    "lines",
    "source_modified_at",
    "deleted",
    "revision",
)
"""CSV columns: the JSON fields, party flattened, references/allocations/lines as JSON text."""
NUMERIC_COLUMNS = frozenset(
    {"exchange_rate", "subtotal", "tax", "total", "balance", "discount", "shipping", "adjustment", "rounding"}
)
"""Exact decimal strings written as they are (a negative amount stays a number); every other column is
text a vendor or a person wrote, neutralised against spreadsheet formulas (reconcile/report/safe.py)."""

KINDS = click.Choice([kind.value for kind in DocumentKind])


@click.group("ledger")
def ledger_group() -> None:
    """The canonical ledger."""


@ledger_group.command("export")
@click.option("--format", "fmt", type=click.Choice(["jsonl", "csv"]), default="jsonl", show_default=True)
@click.option("--source", default=None, help="Only documents of this connector.")
@click.option("--kind", type=KINDS, default=None, help="Only documents of this kind.")
@click.option(
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="File (default: stdout). An existing file is replaced only when it is a previous export in "
    "this format (or with --force).",
)
@force_option
@click.pass_obj
def export(
    app: AppContext, *, fmt: str, source: str | None, kind: str | None, output: Path | None, force: bool
) -> None:
    """Every canonical document (deleted ones too, flagged), amounts as exact decimal strings. Streamed:
    memory stays flat whatever the ledger's size; a file is replaced only once it is complete, and
    only when it is a previous export of this format (or with --force); never the database, its key
    or the config. CSV text cells are neutralised against spreadsheet formulas."""
    destination = output_destination(app, force=force) if output is not None else None
    with _refusals(app), database(app) as engine, _destination(output, fmt, destination) as handle:
        documents = SqlLedgerRepository(engine).iter_documents(source=source, kind=kind)
        count = 0
        if fmt == "jsonl":
            for document in documents:
                handle.write(json.dumps(document.to_json_dict(), ensure_ascii=False) + "\n")
                count += 1
        else:
            # CRLF (RFC 4180): the csv module then quotes any field holding a CR, so a bare CR in a
            # vendor's text cannot split a row.
            writer = csv.DictWriter(handle, fieldnames=CSV_COLUMNS, lineterminator="\r\n")
            writer.writeheader()
            for document in documents:
                writer.writerow(_csv_row(document.to_json_dict()))
                count += 1
        empty = None if count else _why_empty(app, SqlLedgerRepository(engine), source=source, kind=kind)
    if empty is not None:  # on stderr: stdout (or the file) holds the export, here empty
        click.echo(empty, err=True)
    if output is not None:
        click.echo(app.text("finance.export.done", count=count, path=output), err=True)


def _why_empty(app: AppContext, ledger: SqlLedgerRepository, *, source: str | None, kind: str | None) -> str:
    """Why an export holds no document: an empty ledger, or filters naming what it does not hold."""
    counts = ledger.document_counts()
    if not counts:
        return app.text("finance.export.empty")
    filters = " ".join(f"{name} {value}" for name, value in (("--source", source), ("--kind", kind)) if value)
    known = joined(
        app.lang,
        (
            app.text("finance.export.count", source=s, kind=app.catalogue.value("kind", k), count=n)
            for (s, k), n in counts.items()
        ),
    )
    return app.text("finance.export.empty_filter", filters=filters, known=known)


@ledger_group.command("history")
@click.argument("names", nargs=-1, required=True, metavar="NUMBER | ID | SOURCE KIND EXTERNAL_ID")
@click.option("--source", default=None, help="With a NUMBER or ID: the document's connector.")
@click.option("--kind", type=KINDS, default=None, help="With a NUMBER or ID: the document's kind.")
@json_option
@click.pass_obj
def history(
    app: AppContext, *, names: tuple[str, ...], source: str | None, kind: str | None, as_json: bool
) -> None:
    """Every revision of one document, oldest first: what changed, when, and in which sync run. Name it
    by its number (INV-000204), its external id, SOURCE/KIND/EXTERNAL_ID or SOURCE KIND EXTERNAL_ID; a
    number several documents share lists them (choose with --source/--kind or the id)."""
    with database(app) as engine:
        ledger = SqlLedgerRepository(engine)
        key = _history_key(app, ledger, names, source=source, kind=kind, as_json=as_json)
        revisions = ledger.history(key)
    if not revisions:
        raise CommandFailed(app.text("finance.history.no_document", document=str(key)))
    if as_json:
        emit_json(
            {
                "document": {"source": key.source, "kind": key.kind.value, "external_id": key.external_id},
                "revisions": [
                    {
                        "revision": r.revision,
                        "change": r.change.value,
                        "recorded_at": iso(r.recorded_at),
                        "sync_run_id": r.sync_run_id,
                        "payload_hash": r.payload_hash,
                        "document": r.document.to_json_dict(),
                        "raw": json.loads(r.raw_payload),
                    }
                    for r in revisions
                ],
            }
        )
        return
    columns = [
        Column(app.text("finance.col.revision"), right=True),
        Column(app.text("finance.col.change")),
        Column(app.text("finance.col.recorded_at")),
        Column(app.text("finance.col.run"), right=True),
        Column(app.text("finance.col.what_changed"), wraps=True),
    ]
    rows = [
        [
            diff.revision.revision,
            app.catalogue.value("change", diff.revision.change.value),
            iso(diff.revision.recorded_at) or "",
            diff.revision.sync_run_id or "",
            describe(app.catalogue, diff),
        ]
        for diff in revision_diffs(revisions)
    ]
    print_listing(columns, rows)


def _history_key(  # the arguments in either form
    app: AppContext,
    ledger: SqlLedgerRepository,
    names: tuple[str, ...],
    *,
    source: str | None,
    kind: str | None,
    as_json: bool,
) -> DocumentKey:
    if len(names) == 3:
        if names[1] not in KINDS.choices:
            raise BadConfig(app.text("finance.bad_kind", kind=names[1], kinds=", ".join(KINDS.choices)))
        return DocumentKey(source=names[0], kind=DocumentKind(names[1]), external_id=names[2])
    if len(names) != 1:
        raise BadConfig(app.text("finance.history.arguments", count=len(names)))
    return resolve_document(app, ledger, names[0], source=source, kind=kind, interactive=not as_json)


def _csv_row(data: dict[str, Any]) -> dict[str, Any]:
    party = data.pop("party") or {}
    row = {**data, "party_external_id": party.get("external_id"), "party_name": party.get("name")}
    for name in ("references", "allocations", "lines"):
        row[name] = json.dumps(row[name], ensure_ascii=False, sort_keys=True)
    row["deleted"] = "true" if row["deleted"] else "false"
    if row["tax_inclusive"] is not None:  # None (unknown) stays an empty cell
        row["tax_inclusive"] = "true" if row["tax_inclusive"] else "false"
    return {name: _csv_value(name, row.get(name)) for name in CSV_COLUMNS}


def _csv_value(name: str, value: Any) -> Any:
    if value is None:
        return ""
    if name in NUMERIC_COLUMNS or not isinstance(value, str):
        return value
    return csv_text(value)


@contextmanager
def _destination(output: Path | None, fmt: str, destination: Destination | None) -> Iterator[IO[str]]:
    """stdout, or a 0600 temporary file beside `output` renamed over it once the export completed
    (sync/outputs.py: refused over the installation's files and over files it did not write)."""
    if output is None or destination is None:
        yield sys.stdout
        sys.stdout.flush()
        return
    kind: OutputKind = "ledger-csv" if fmt == "csv" else "ledger-jsonl"
    check_destination(output, kind, destination)
    # A CSV file starts with the UTF-8 BOM, as the report CSV does: Excel then reads Chinese text.
    encoding = CSV_ENCODING if fmt == "csv" else "utf-8"
    with atomic_output(output, binary=False, encoding=encoding) as handle:
        yield handle  # type: ignore[misc]


@contextmanager
def _refusals(app: AppContext) -> Iterator[None]:
    """A refused --output: one line in the configured language, exit 2."""
    try:
        yield
    except OutputRefused as exc:
        raise BadConfig(exc.message(app.lang)) from exc
