"""The CSV renderer: one header and the rows of every streamed section, UTF-8 with a BOM for Excel."""

from __future__ import annotations

import csv
from typing import TextIO
from zoneinfo import ZoneInfo

from reconcile.report.display import headings, plain_cell, row_currency
from reconcile.report.i18n import Catalogue
from reconcile.report.model import Cell, Column, Report
from reconcile.report.safe import csv_text

CSV_ENCODING = "utf-8-sig"
"""Open the output file with this encoding: Excel then reads Chinese text correctly."""


def render_csv(report: Report, stream: TextIO) -> None:
    """Write the streamed sections as one CSV table. Amounts are plain decimals (`1234.50`), so the
    file reads back exactly; labels and headings are in the report's language; text cells are
    neutralised (a leading quote before `=`, `+`, `-`, `@`, TAB, CR: never a formula)."""
    catalogue = Catalogue(report.lang)
    zone = ZoneInfo(report.timezone)
    writer = csv.writer(stream, lineterminator="\r\n")
    header: list[str] | None = None
    for section in report.sections:
        names = headings(section, catalogue)
        if header is None:
            header = names
            writer.writerow(header)
        elif names != header:
            raise ValueError(f"section {section.key!r} has other columns than the first: one CSV, one header")
        for row in section.rows:
            if row.residue:
                continue  # amounts here are exact: no rounding residue to show
            currency = row_currency(section, row)
            writer.writerow(
                [
                    _cell(value, column, currency, catalogue, zone)
                    for value, column in zip(row.cells, section.columns, strict=True)
                ]
            )
    if header is None and report.columns:
        writer.writerow([catalogue.text(column.label_key) for column in report.columns])


def _cell(value: Cell, column: Column, currency: str | None, catalogue: Catalogue, zone: ZoneInfo) -> str:
    """A text value neutralised; numbers, amounts and dates as they are (a negative amount stays one)."""
    plain = plain_cell(value, column, currency, catalogue, zone)
    return csv_text(plain) if isinstance(value, str) else plain
