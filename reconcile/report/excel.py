"""The Excel renderer: openpyxl in write-only (streaming) mode, a summary sheet, one sheet per section.

Cells are typed: amounts are numbers with a number format, dates are dates, document numbers are
text (leading zeros kept). Every text cell is stored as text, never as a formula (reconcile/report/
safe.py). Every data sheet has a frozen, filterable header row and fitted widths.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from datetime import date, datetime
from decimal import Decimal
from itertools import chain, islice
from os import PathLike
from typing import IO, Any
from zoneinfo import ZoneInfo

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ERROR_CODES
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from reconcile.report.display import display_cell, headings, row_currency
from reconcile.report.fmt import currency_places, display_width, local_datetime
from reconcile.report.i18n import Catalogue
from reconcile.report.model import Cell, CellKind, Column, Report, Row, Section
from reconcile.report.safe import starts_formula, xlsx_text

SAMPLE_ROWS = 200
"""Rows read ahead per sheet to fit the column widths (the rest streams straight to disk)."""
_MIN_WIDTH, _MAX_WIDTH = 8, 60
_BOLD = Font(bold=True)
_TITLE = Font(bold=True, size=14)
_HEADER_FILL = PatternFill("solid", fgColor="DDE4EE")
_WRAP = Alignment(wrap_text=True, vertical="top")
_SHEET_NAME_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")
XLSX_CREATOR = "ledgerbridge"
"""The workbook's creator property: how `--output` recognises a previous report (sync/outputs.py)."""


def render_xlsx(report: Report, target: str | PathLike[str] | IO[bytes]) -> None:
    """Write the workbook to a path or a binary stream."""
    catalogue = Catalogue(report.lang)
    workbook = Workbook(write_only=True)
    workbook.properties.creator = XLSX_CREATOR
    writer = _Writer(workbook, catalogue, ZoneInfo(report.timezone))
    writer.summary_sheet(report)
    for section in report.sections:
        writer.section_sheet(section)
    writer.workbook.save(target)


class _Writer:
    def __init__(self, workbook: Workbook, catalogue: Catalogue, zone: ZoneInfo) -> None:
        self.workbook = workbook
        self.catalogue = catalogue
        self.zone = zone
        self._names: set[str] = set()

    # ------------------------------------------------------------------ sheets

    def summary_sheet(self, report: Report) -> None:
        """Title, the report's facts, then each summary section (bridge statements, counts) stacked."""
        sheet = self.workbook.create_sheet(self._sheet_name(self.catalogue.text("section.summary")))
        sections = [(section, list(section.rows)) for section in report.summary]
        widths = [_MIN_WIDTH, _MIN_WIDTH]
        for section, rows in sections:
            widths = _merge_widths(widths, self._widths(section, rows))
        meta = [(self.catalogue.text(key), value) for key, value in report.meta]
        widths[0] = max(widths[0], *(display_width(label) + 2 for label, _ in meta), _MIN_WIDTH)
        _set_widths(sheet, widths)
        sheet.append([self._styled(sheet, self.catalogue.text(f"report.{report.kind}"), _TITLE)])
        for label, value in meta:
            sheet.append([self._styled(sheet, label, _BOLD), _text_cell(sheet, value)])
        for section, rows in sections:
            sheet.append([])
            sheet.append([self._styled(sheet, section.title, _BOLD)])
            sheet.append(self._header(sheet, section))
            for row in rows:
                sheet.append(self._cells(sheet, section, row))

    def section_sheet(self, section: Section) -> None:
        """One data sheet: header row frozen and filtered, widths fitted to the first rows."""
        sheet = self.workbook.create_sheet(self._sheet_name(section.title))
        rows: Iterator[Row] = iter(section.rows)
        sample = list(islice(rows, SAMPLE_ROWS))
        _set_widths(sheet, self._widths(section, sample))
        sheet.freeze_panes = "A2"
        sheet.append(self._header(sheet, section))
        written = 0
        for row in chain(sample, rows):
            sheet.append(self._cells(sheet, section, row))
            written += 1
        last_column = get_column_letter(len(section.columns))
        sheet.auto_filter.ref = f"A1:{last_column}{written + 1}"

    # ------------------------------------------------------------------ cells

    def _header(self, sheet: Any, section: Section) -> list[WriteOnlyCell]:
        cells = []
        for heading in headings(section, self.catalogue):
            cell = self._styled(sheet, heading, _BOLD)
            cell.fill = _HEADER_FILL
            cells.append(cell)
        return cells

    def _cells(self, sheet: Any, section: Section, row: Row) -> list[WriteOnlyCell | Cell]:
        """The row's cells; plain values where no style is needed (a styled cell costs ten times more)."""
        currency = row_currency(section, row)
        cells: list[WriteOnlyCell | Cell] = []
        for value, column in zip(row.cells, section.columns, strict=True):
            plain = self._value(value, column)
            number_format = None if plain is None else _number_format(value, column, currency, row.residue)
            wrap = column.key == "explanation"
            if isinstance(plain, str):
                plain = xlsx_text(plain)
            risky = isinstance(plain, str) and _needs_text_cell(plain)
            if number_format is None and not wrap and not row.total and not risky:
                cells.append(plain)
                continue
            cell = _text_cell(sheet, plain) if isinstance(plain, str) else WriteOnlyCell(sheet, value=plain)
            if number_format is not None:
                cell.number_format = number_format
            if wrap:
                cell.alignment = _WRAP
            if row.total:
                cell.font = _BOLD
            cells.append(cell)
        return cells

    def _value(self, value: Cell, column: Column) -> Cell:
        if value is None:
            return None
        if column.kind is CellKind.LABEL and column.namespace is not None and isinstance(value, str):
            return self.catalogue.value(column.namespace, value)
        if isinstance(value, datetime):
            return local_datetime(value, self.zone)
        if column.kind is CellKind.CODE:
            return str(value)
        return value

    @staticmethod
    def _styled(sheet: Any, value: str, font: Font) -> WriteOnlyCell:
        cell = _text_cell(sheet, value)
        cell.font = font
        return cell

    # ------------------------------------------------------------------ layout

    def _widths(self, section: Section, rows: Sequence[Row]) -> list[int]:
        widths = [display_width(heading) + 2 for heading in headings(section, self.catalogue)]
        for row in rows:
            currency = row_currency(section, row)
            for index, (value, column) in enumerate(zip(row.cells, section.columns, strict=True)):
                text = display_cell(value, column, currency, self.catalogue, self.zone, exact=row.residue)
                widths[index] = max(widths[index], display_width(text) + 2)
        return [min(max(width, _MIN_WIDTH), _MAX_WIDTH) for width in widths]

    def _sheet_name(self, title: str) -> str:
        base = _SHEET_NAME_FORBIDDEN.sub(" ", title).strip()[:31] or "Sheet"
        name, counter = base, 2
        while name.lower() in self._names:
            suffix = f" ({counter})"
            name, counter = base[: 31 - len(suffix)] + suffix, counter + 1
        self._names.add(name.lower())
        return name


def _needs_text_cell(text: str) -> bool:
    """openpyxl would store it as a formula (`=...`) or an error value (`#N/A`), or Excel would take
    it for a formula if the cell were edited (`+`, `-`, `@`...): write it as an explicit text cell."""
    return starts_formula(text) or text in ERROR_CODES


def _text_cell(sheet: Any, text: str) -> WriteOnlyCell:
    """A cell holding `text` as text whatever it starts with; quote-prefixed when it could start a
    formula, so Excel keeps it text even after someone edits it."""
    text = xlsx_text(text)
    cell = WriteOnlyCell(sheet, value=None)
    cell.value = text
    cell.data_type = "s"
    if _needs_text_cell(text):
        cell.quotePrefix = True
    return cell


def _number_format(value: Cell, column: Column, currency: str | None, exact: bool = False) -> str | None:
    """How a cell shows: an amount at its currency's minor unit (the cell's value stays exact: Excel
    rounds only what it shows), every place on a rounding residue line."""
    if column.kind is CellKind.MONEY and isinstance(value, Decimal):
        places = currency_places(currency)
        if exact:
            exponent = value.normalize().as_tuple().exponent
            places = max(places, -exponent if isinstance(exponent, int) else 0)
        return "#,##0" if places == 0 else "#,##0." + "0" * places
    if column.kind is CellKind.COUNT:
        return "#,##0"
    if isinstance(value, datetime):
        return "yyyy-mm-dd hh:mm"
    if isinstance(value, date):
        return "yyyy-mm-dd"
    if column.kind is CellKind.CODE:
        return "@"
    return None


def _merge_widths(first: list[int], second: Iterable[int]) -> list[int]:
    merged = list(first)
    for index, width in enumerate(second):
        if index < len(merged):
            merged[index] = max(merged[index], width)
        else:
            merged.append(width)
    return merged


def _set_widths(sheet: Any, widths: Sequence[int]) -> None:
    for index, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
