"""`ledgerbridge import statement [FILE]... [--connector NAME]`: bank statement files into a
bank_statement connector (issue 21): the files named, or those waiting in the connector's inbox."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from pathlib import Path

import click

from config.kinds import BankStatementSettings
from store.locks import LockHeld
from sync.bank_import import FileResult, import_files, inbox_files
from sync.bootstrap import utc_now
from sync.cli import AppContext, BadConfig, CommandFailed, emit_json, json_option
from sync.commands.common import database

SETTLE = timedelta(seconds=30)
"""An inbox file untouched for less than this may still be being copied in: it waits for the next pass."""


@click.group("import")
def import_group() -> None:
    """Load files into the ledger: bank statements."""


@import_group.command("statement")
@click.argument("files", nargs=-1, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--connector", "connector_name", default=None, metavar="NAME", help="The bank_statement connector."
)
@json_option
@click.pass_obj
def statement(app: AppContext, files: Sequence[Path], connector_name: str | None, as_json: bool) -> None:
    """Load bank statement files (camt.053, MT940, OFX/QFX, CSV/XLSX); without FILE, those waiting in
    the connector's inbox. Exit 1 if a file was rejected."""
    settings = _connector(app, connector_name)
    paths = list(files)
    if not paths:
        if settings.inbox is None:
            raise BadConfig(app.text("import.no_inbox", connector=settings.name))
        paths = inbox_files(settings, utc_now(), SETTLE)
    with database(app) as engine:
        try:
            results = import_files(engine, settings, paths, clock=utc_now) if paths else []
        except LockHeld as exc:
            raise CommandFailed(app.text("import.locked", lock=str(exc))) from exc
    rejected = [r for r in results if r.file.outcome == "rejected"]
    if as_json:
        emit_json({"connector": settings.name, "files": [r.to_json() for r in results]})
    else:
        if not results:
            click.echo(app.text("import.none_waiting", inbox=settings.inbox or ""))
        for result in results:
            _print(app, result)
    if rejected:
        raise CommandFailed(app.text("import.rejected_count", count=len(rejected)))


def _connector(app: AppContext, name: str | None) -> BankStatementSettings:
    banks = [c for c in app.config.settings.connectors if isinstance(c, BankStatementSettings)]
    if name is not None:
        found = next((c for c in app.config.settings.connectors if c.name == name), None)
        if found is None or not isinstance(found, BankStatementSettings):
            raise BadConfig(app.text("import.not_bank", connector=name))
        return found
    if len(banks) != 1:
        key = "import.no_connector" if not banks else "import.which_connector"
        raise BadConfig(app.text(key, names=", ".join(c.name for c in banks)))
    return banks[0]


def _print(app: AppContext, result: FileResult) -> None:
    name = Path(result.path).name
    if result.file.outcome == "loaded":
        click.echo(
            app.text(
                "import.loaded",
                file=name,
                lines=result.file.lines,
                created=result.file.created,
                unchanged=result.file.unchanged,
            )
        )
    elif result.file.outcome == "duplicate":
        click.echo(app.text("import.duplicate", file=name, reason=result.reason(app.catalogue)))
    else:
        click.echo(app.text("import.rejected", file=name, reason=result.reason(app.catalogue)))
    if result.moved_to:
        click.echo(app.text("import.moved", path=result.moved_to))
