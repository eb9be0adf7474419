"""The terminal renderer: rich tables, printed in chunks so a long report never sits in memory.

Vendor text is printed literally: cells are `rich.text.Text` (Rich markup in them is never parsed)
without control characters (no ANSI or OSC-8 escape reaches the terminal; reconcile/report/safe.py).
"""

from __future__ import annotations

from collections.abc import Iterator
from itertools import chain, islice
from zoneinfo import ZoneInfo

from rich.console import Console
from rich.table import Table
from rich.text import Text

from reconcile.report.display import display_cell, headings, row_currency
from reconcile.report.fmt import display_width
from reconcile.report.i18n import Catalogue
from reconcile.report.model import CellKind, Report, Row, Section
from reconcile.report.safe import terminal_text

CHUNK_ROWS = 500
"""Rows per printed table: bounded memory, the headings repeated now and then for long reports."""
RICH_ROWS = 1_000
"""Sections longer than this print as plain aligned columns: rich tables cost milliseconds a row."""
_SAMPLE_ROWS = 200
_MAX_WIDTH = 48

_RIGHT_ALIGNED = (CellKind.MONEY, CellKind.COUNT)


def render_table(report: Report, console: Console) -> None:
    """Print the report: its title and facts, the summary tables, then each section in chunks."""
    catalogue = Catalogue(report.lang)
    zone = ZoneInfo(report.timezone)
    console.print(f"[bold]{catalogue.text(f'report.{report.kind}')}[/bold]")
    for key, value in report.meta:
        console.print(Text(terminal_text(f"{catalogue.text(key)}: {value}", one_line=True)), highlight=False)
    for section in chain(report.summary, report.sections):
        if section.count is not None and section.count > RICH_ROWS:
            _print_plain(section, console, catalogue, zone)
        else:
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
                    Text(
                        terminal_text(
                            display_cell(value, column, currency, catalogue, zone, exact=row.residue)
                        )
                    )
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
        # Codes (rule names, document numbers) stay whole; free text folds first.
        elif column.kind is CellKind.CODE:
            table.add_column(heading, justify="left", no_wrap=True, overflow="ellipsis")
        else:
            table.add_column(heading, justify="left", no_wrap=no_wrap, overflow="fold")
    return table


def _print_plain(section: Section, console: Console, catalogue: Catalogue, zone: ZoneInfo) -> None:
    """Aligned columns written straight to the console's file; widths fitted to the first rows."""
    rows: Iterator[Row] = iter(section.rows)
    sample = list(islice(rows, _SAMPLE_ROWS))
    names = headings(section, catalogue)
    widths = [display_width(name) for name in names]
    for row in sample:
        for index, text in enumerate(_texts(section, row, catalogue, zone)):
            widths[index] = min(max(widths[index], display_width(text)), _MAX_WIDTH)
    right = [column.kind in _RIGHT_ALIGNED for column in section.columns]
    console.print(f"[bold]{section.title}[/bold]")
    out = console.file
    out.write(_line(names, widths, [False] * len(names)) + "\n")
    out.write("  ".join("-" * width for width in widths) + "\n")
    for row in chain(sample, rows):
        out.write(_line(_texts(section, row, catalogue, zone), widths, right) + "\n")
    out.flush()


def _texts(section: Section, row: Row, catalogue: Catalogue, zone: ZoneInfo) -> list[str]:
    currency = row_currency(section, row)
    return [
        terminal_text(
            display_cell(value, column, currency, catalogue, zone, exact=row.residue), one_line=True
        )
        for value, column in zip(row.cells, section.columns, strict=True)
    ]


def _line(texts: list[str], widths: list[int], right: list[bool]) -> str:
    parts = []
    for text, width, align_right in zip(texts, widths, right, strict=True):
        shown = _fit(text, width)
        pad = " " * (width - display_width(shown))
        parts.append(pad + shown if align_right else shown + pad)
    return "  ".join(parts).rstrip()


def _fit(text: str, width: int) -> str:
    """The text cut to `width` columns with an ellipsis when it is longer."""
    if display_width(text) <= width:
        return text
    while text and display_width(text) > width - 1:
        text = text[:-1]
    return text + "…"
