"""The terminal renderer: rich tables, printed in chunks so a long report never sits in memory."""

from __future__ import annotations

from collections.abc import Iterator
from itertools import chain, islice
from zoneinfo import ZoneInfo

from rich.console import Console
from rich.table import Table

from reconcile.report.display import display_cell, headings, row_currency
from reconcile.report.i18n import Catalogue
from reconcile.report.model import CellKind, Report, Row, Section

CHUNK_ROWS = 500
"""Rows per printed table: bounded memory, the headings repeated now and then for long reports."""

_RIGHT_ALIGNED = (CellKind.MONEY, CellKind.COUNT)


def render_table(report: Report, console: Console) -> None:
    """Print the report: its title and facts, the summary tables, then each section in chunks."""
    catalogue = Catalogue(report.lang)
    zone = ZoneInfo(report.timezone)
    console.print(f"[bold]{catalogue.text(f'report.{report.kind}')}[/bold]")
    for key, value in report.meta:
        console.print(f"{catalogue.text(key)}: {value}", highlight=False)
    for section in chain(report.summary, report.sections):
        _print_section(section, console, catalogue, zone)


def _print_section(section: Section, console: Console, catalogue: Catalogue, zone: ZoneInfo) -> None:
    rows: Iterator[Row] = iter(section.rows)
    first = True
    while True:
        chunk = list(islice(rows, CHUNK_ROWS))
        if not chunk and not first:
            return
        table = _table(section, catalogue, title=section.title if first else None)
        for row in chunk:
            currency = row_currency(section, row)
            table.add_row(
                *(
                    display_cell(value, column, currency, catalogue, zone)
                    for value, column in zip(row.cells, section.columns, strict=True)
                )
            )
        if not chunk:
            table.caption = catalogue.text("ui.no_rows")
        console.print(table)
        first = False
        if len(chunk) < CHUNK_ROWS:
            return


def _table(section: Section, catalogue: Catalogue, *, title: str | None) -> Table:
    table = Table(title=title, title_justify="left", show_lines=False, header_style="bold")
    for heading, column in zip(headings(section, catalogue), section.columns, strict=True):
        no_wrap = column.kind is not CellKind.TEXT
        if column.kind in _RIGHT_ALIGNED:
            table.add_column(heading, justify="right", no_wrap=no_wrap)
        else:
            table.add_column(heading, justify="left", no_wrap=no_wrap, overflow="fold")
    return table
