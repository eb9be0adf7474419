"""People read amounts at the currency's minor unit, with what rounding hides on a line of its own;
machines (JSON, CSV, the XLSX cell values) keep every place (ADR 0021)."""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

from openpyxl import load_workbook
from rich.console import Console

from reconcile.report.csvfile import render_csv
from reconcile.report.excel import render_xlsx
from reconcile.report.htmlfile import render_html
from reconcile.report.jsonfile import render_json
from reconcile.report.mismatches import ExceptionItem, RuleSummary, mismatch_report
from reconcile.report.model import Report
from reconcile.report.terminal import render_table
from reconcile.result import Bridge
from store.canonical import DocumentKind
from store.discrepancies import Discrepancy, DiscrepancyType, DocumentRef

AT = datetime(2026, 11, 20, 2, 0, tzinfo=UTC)


def _ref(number: str, source: str, currency: str) -> DocumentRef:
    return DocumentRef(
        source=source, kind=DocumentKind.INVOICE, external_id=f"id-{number}", number=number, currency=currency
    )


def _item(ident: str, currency: str, left: str, right: str) -> ExceptionItem:
    found = Discrepancy(
        rule="crm-vs-books",
        type=DiscrepancyType.AMOUNT_MISMATCH,
        left=(_ref(f"INV-{ident}", "zoho-crm", currency),),
        right=(_ref(f"INV-{ident}", "zoho-books", currency),),
        left_amount=Decimal(left),
        right_amount=Decimal(right),
        difference=Decimal(left) - Decimal(right),
        currency=currency,
        explanation="amounts differ",
    )
    return ExceptionItem(id=ident, status="open", discrepancy=found)


def _report(lang: str = "en") -> Report:
    """A bridge whose totals and difference carry places below the fen (CNY 8,404,028.578, a difference
    of 0.0001 that is all residue), and exceptions in CNY, JPY and KWD (three places)."""
    bridge = Bridge(
        currency="CNY",
        left_total=Decimal("8404028.578"),
        right_total=Decimal("8404028.5779"),
        explained={"amount_mismatch": Decimal("0.0001")},
    )
    items = [
        _item("cny", "CNY", "60426.6889", "60426.00"),
        _item("jpy", "JPY", "1500000", "1499999.6"),
        _item("kwd", "KWD", "1234.5678", "1234.5"),
    ]
    summary = RuleSummary(
        rule="crm-vs-books",
        period="2026-10",
        bridge=bridge,
        counts={"amount_mismatch": 3},
        sides=("zoho-crm", "zoho-books"),
    )
    return mismatch_report(
        [summary],
        [("amount_mismatch", items)],
        lang=lang,  # type: ignore[arg-type]
        timezone="Asia/Shanghai",
        generated_at=AT,
    )


def _terminal(lang: str = "en") -> str:
    console = Console(file=io.StringIO(), width=400, color_system=None)
    render_table(_report(lang), console)
    return console.file.getvalue()  # type: ignore[attr-defined]


def test_the_terminal_shows_amounts_at_the_minor_unit_not_with_vendor_places() -> None:
    output = _terminal()
    assert "CNY 8,404,028.58" in output
    assert "CNY 60,426.69" in output
    assert "8,404,028.578" not in output.replace("CNY -0.002", "")
    assert "60,426.6889" not in output


def test_a_currency_without_a_minor_unit_shows_whole_yen_and_a_three_place_one_three_places() -> None:
    output = _terminal()
    assert "JPY 1,500,000 " in output
    assert "JPY 1,499,999.6" not in output
    assert "JPY 1,500,000" in output  # 1,499,999.6 rounds to whole yen
    assert "KWD 1,234.568" in output
    assert "KWD 1,234.5678" not in output
    assert "KWD 1,234.500" in output


def test_the_bridge_shows_each_hidden_residue_on_a_line_of_its_own() -> None:
    difference_label = {"en": "Difference (left − right)", "zh": "差额（左方 − 右方）"}
    for lang, label in (("en", "Rounding residue of the line above"), ("zh", "上一行的舍入尾差")):
        lines = _terminal(lang).splitlines()
        residues = [line for line in lines if label in line]
        # left total 8,404,028.578 -> .58 and -0.002; right 8,404,028.5779 -> .58 and -0.0021;
        # the difference 0.0001 (all residue) and the amount mismatch line 0.0001 each.
        assert [re.findall(r"CNY (-?[\d,.]+)", line) for line in residues] == [
            ["-0.002"],
            ["-0.0021"],
            ["0.0001"],
            ["0.0001"],
        ]
        difference = next(i for i, line in enumerate(lines) if difference_label[lang] in line)
        assert re.findall(r"CNY (-?[\d,.]+)", lines[difference]) == ["0.00"]  # at the fen: nothing
        assert label in lines[difference + 1]  # and what that hides, right under it


def test_the_html_and_the_workbook_show_the_same_rounded_figures_and_residue_lines(tmp_path: Path) -> None:
    html = io.StringIO()
    render_html(_report(), html)
    text = html.getvalue()
    assert "CNY 8,404,028.58" in text
    assert "CNY 60,426.69" in text
    assert "60,426.6889" not in text
    assert "Rounding residue of the line above" in text

    path = tmp_path / "report.xlsx"
    render_xlsx(_report(), path)
    book = load_workbook(path)
    cells = {
        (row[0].row, row[4].value): row[4]
        for row in book.worksheets[0].iter_rows()
        if len(row) > 4 and isinstance(row[4].value, float | int)
    }
    totals = [cell for (_, value), cell in cells.items() if value == float(Decimal("8404028.578"))]
    assert totals, cells
    assert totals[0].number_format == "#,##0.00"  # shown at the fen, the value stays exact
    residues = [cell for (_, value), cell in cells.items() if value == float(Decimal("-0.0021"))]
    assert residues[0].number_format == "#,##0.0000"
    sheet = book["Amount mismatch"]
    header = [cell.value for cell in sheet[1]]
    left = header.index("Left amount")
    formats = {row[0].value: (row[left].value, row[left].number_format) for row in sheet.iter_rows(min_row=2)}
    assert formats == {
        "cny": (float(Decimal("60426.6889")), "#,##0.00"),
        "jpy": (1500000, "#,##0"),
        "kwd": (float(Decimal("1234.5678")), "#,##0.000"),
    }


def test_json_and_csv_keep_every_place_and_no_residue_line() -> None:
    out = io.StringIO()
    render_json(_report(), out)
    document = json.loads(out.getvalue())
    bridge = next(section for section in document["summary"] if section["key"] == "bridge")
    amounts = [row["amount"] for row in bridge["rows"]]
    assert amounts == ["8404028.578", "8404028.5779", "0.0001", "0.0001", "0.0000"]
    assert all(row["item"] != "rounding_residue" for row in bridge["rows"])
    rows = {row["id"]: row for section in document["sections"] for row in section["rows"]}
    assert rows["cny"]["left_amount"] == "60426.6889"
    assert rows["kwd"]["difference"] == "0.0678"

    out = io.StringIO()
    render_csv(_report(), out)
    table = list(csv.DictReader(io.StringIO(out.getvalue())))
    by_id = {row["Exception"]: row for row in table}
    assert by_id["cny"]["Left amount"] == "60426.6889"
    assert by_id["jpy"]["Right amount"] == "1499999.6"
    assert by_id["kwd"]["Left amount"] == "1234.5678"
