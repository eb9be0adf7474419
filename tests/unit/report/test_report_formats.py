"""Every format of the mismatch report, generated from a reconciled fixture, read back as finance would."""

from __future__ import annotations

import csv
import io
import json
import re
from decimal import Decimal
from html.parser import HTMLParser
from pathlib import Path

import jsonschema
import pytest
from openpyxl import load_workbook
from rich.console import Console

from reconcile.report.csvfile import CSV_ENCODING, render_csv
from reconcile.report.excel import render_xlsx
from reconcile.report.htmlfile import render_html
from reconcile.report.i18n import Catalogue
from reconcile.report.jsonfile import render_json
from reconcile.report.mismatches import ExceptionItem, mismatch_report
from reconcile.report.model import Report
from reconcile.report.terminal import render_table
from store.canonical import DocumentKind
from store.discrepancies import Discrepancy, DiscrepancyType, DocumentRef, FieldDiff
from tests.reconcile_data import AUDIT_PLAN
from tests.unit.report.reconciled import GENERATED_AT, LEADING_ZEROS, Reconciled, reconciled

DATE_ONLY = (DiscrepancyType.DUE_BEFORE_ISSUE, DiscrepancyType.INVOICE_BEFORE_ORDER)
SCHEMA = json.loads((Path(__file__).parents[3] / "docs" / "report.schema.json").read_text(encoding="utf-8"))
UNTRANSLATED = re.compile(
    r"\b(?:col|type|status|docstatus|ui|meta|section|bridge|kind|field|change|report|by)\.[a-z_]+\b"
)


@pytest.fixture(scope="module")
def fixture() -> Reconciled:
    return reconciled()


def _types(fixture: Reconciled) -> list[str]:
    present = {item.discrepancy.type.value for item in fixture.items}
    return [name.value for name in DiscrepancyType if name.value in present]


# ---------------------------------------------------------------------------- Excel


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_workbook_has_a_summary_sheet_and_one_sheet_per_discrepancy_type(
    fixture: Reconciled, lang: str, tmp_path: Path
) -> None:
    path = tmp_path / "report.xlsx"
    render_xlsx(fixture.report(lang), path)  # type: ignore[arg-type]
    book = load_workbook(path)
    catalogue = Catalogue(lang)  # type: ignore[arg-type]
    expected = [catalogue.text("section.summary")] + [
        catalogue.value("type", name) for name in _types(fixture)
    ]
    assert book.sheetnames == expected


def test_each_type_sheet_has_a_frozen_filtered_header_and_one_row_per_exception(
    fixture: Reconciled, tmp_path: Path
) -> None:
    path = tmp_path / "report.xlsx"
    render_xlsx(fixture.report("en"), path)
    book = load_workbook(path)
    sheet = book["Amount mismatch"]
    header = [cell.value for cell in sheet[1]]
    assert header[:5] == ["Exception", "Rule", "Type", "Severity", "Status"]
    assert sheet.freeze_panes == "A2"
    expected_rows = sum(
        1 for item in fixture.items if item.discrepancy.type is DiscrepancyType.AMOUNT_MISMATCH
    )
    assert sheet.max_row == expected_rows + 1
    assert sheet.auto_filter.ref == f"A1:S{expected_rows + 1}"
    assert header[16] == "Explanation"
    widths = {letter: sheet.column_dimensions[letter].width for letter in "AQ"}
    assert widths["Q"] > widths["A"] >= 8  # the explanation column is wider than the id column


def test_amounts_are_real_numbers_with_a_number_format_and_equal_the_findings(
    fixture: Reconciled, tmp_path: Path
) -> None:
    path = tmp_path / "report.xlsx"
    render_xlsx(fixture.report("en"), path)
    sheet = load_workbook(path)["Amount mismatch"]
    header = [cell.value for cell in sheet[1]]
    column = header.index("Difference") + 1
    by_id = {item.id: item.discrepancy for item in fixture.items}
    checked = 0
    for row in sheet.iter_rows(min_row=2):
        cell = row[column - 1]
        assert isinstance(cell.value, int | float)
        assert cell.number_format.startswith("#,##0.00")
        found = by_id[row[0].value]
        assert Decimal(str(cell.value)).quantize(Decimal("0.01")) == found.difference
        checked += 1
    assert checked == 2


def test_the_summary_sheet_bridge_equals_the_ledger_totals_of_each_rule(
    fixture: Reconciled, tmp_path: Path
) -> None:
    path = tmp_path / "report.xlsx"
    render_xlsx(fixture.report("en"), path)
    sheet = load_workbook(path)["Summary"]
    lines = {
        (row[0], row[2], row[3]): row[4]
        for row in sheet.iter_rows(values_only=True)
        if row and len(row) >= 5 and isinstance(row[4], int | float)
    }
    for name, result in fixture.results.items():
        if name == AUDIT_PLAN.name:  # an audit plan compares nothing with anything: no bridge at all
            assert not [line for line in lines if line[0] == name and line[1] == "Left total"]
            continue
        assert Decimal(str(lines[(name, "Left total", None)])) == result.bridge.left_total
        assert Decimal(str(lines[(name, "Right total", None)])) == result.bridge.right_total
        assert Decimal(str(lines[(name, "Difference (left − right)", None)])) == result.bridge.difference
    amount_mismatch = fixture.results["crm-vs-books-invoices"].bridge.explained["amount_mismatch"]
    explained = lines[("crm-vs-books-invoices", "Explained by type", "Amount mismatch")]
    assert Decimal(str(explained)) == amount_mismatch


def test_document_numbers_stay_text_with_their_leading_zeros(fixture: Reconciled, tmp_path: Path) -> None:
    path = tmp_path / "report.xlsx"
    render_xlsx(fixture.report("en"), path)
    sheet = load_workbook(path)["Negative amount"]
    column = [cell.value for cell in sheet[1]].index("Right document")
    numbers = [row[column] for row in sheet.iter_rows(min_row=2)]
    cell = next(cell for cell in numbers if cell.value == LEADING_ZEROS)
    assert cell.data_type == "s"
    assert cell.number_format == "@"


# ---------------------------------------------------------------------------- CSV


def test_the_csv_reads_back_to_the_same_exceptions_and_exact_amounts(fixture: Reconciled) -> None:
    buffer = io.StringIO()
    render_csv(fixture.report("zh", details=False), buffer)
    data = buffer.getvalue().encode(CSV_ENCODING)
    assert data.startswith(b"\xef\xbb\xbf")  # Excel needs the BOM to read Chinese text
    rows = list(csv.DictReader(io.StringIO(data.decode(CSV_ENCODING))))
    assert len(rows) == len(fixture.items)
    by_id = {item.id: item for item in fixture.items}
    for row in rows:
        found = by_id[row["差异编号"]].discrepancy
        assert row["差异类型"] == Catalogue("zh").value("type", found.type.value)
        if found.type in DATE_ONLY:  # the dates are what differs, not an amount
            assert row["差额"].startswith(("到期 ", "开票 "))
        else:
            assert (Decimal(row["差额"]) if row["差额"] else None) == found.difference
        assert (Decimal(row["左方金额"]) if row["左方金额"] else None) == found.left_amount
    assert any(row["右方单据号"] == LEADING_ZEROS for row in rows)


def test_a_report_with_no_exceptions_is_a_csv_with_its_header_and_no_rows() -> None:
    empty = mismatch_report((), (), lang="en", timezone="Asia/Shanghai", generated_at=GENERATED_AT)
    buffer = io.StringIO()
    render_csv(empty, buffer)
    reader = csv.DictReader(io.StringIO(buffer.getvalue()))
    assert list(reader) == []
    assert reader.fieldnames is not None
    assert {"Rule", "Type", "Difference"} <= set(reader.fieldnames)


# ---------------------------------------------------------------------------- JSON


def test_the_json_validates_against_the_documented_schema_and_keeps_stable_names(fixture: Reconciled) -> None:
    buffer = io.StringIO()
    render_json(fixture.report("zh"), buffer)
    document = json.loads(buffer.getvalue())
    jsonschema.validate(document, SCHEMA)
    rows = [row for section in document["sections"] for row in section["rows"]]
    assert {row["id"] for row in rows} == {item.id for item in fixture.items}
    amount = next(row for row in rows if row["type"] == "amount_mismatch")
    assert amount["type_label"] == "金额不符"
    assert Decimal(amount["difference"]) == next(
        item.discrepancy.difference for item in fixture.items if item.id == amount["id"]
    )
    assert (
        amount["detail"]["history"]
        if "history" in amount["detail"]
        else amount["detail"]["left"][0]["history"]
    )


def test_a_json_document_with_a_float_amount_would_not_validate() -> None:
    bad = {
        "report": "o2c",
        "title": "x",
        "lang": "en",
        "timezone": "UTC",
        "generated_at": "2026-11-20T02:00:00Z",
        "meta": [],
        "summary": [],
        "sections": [
            {
                "key": "o2c",
                "title": "x",
                "columns": [{"key": "total", "label": "T", "kind": "money"}],
                "rows": [{"total": 1.5}],
            }
        ],
    }
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(bad, SCHEMA)


# ---------------------------------------------------------------------------- HTML


class _Collector(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.text: list[str] = []
        self.links: list[str] = []
        self.tags: list[str] = []
        self.diff_rows = 0
        self._code = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self._code += tag in ("script", "style")
        for name, value in attrs:
            if name in ("src", "href", "xlink:href", "action") and value:
                self.links.append(value)
            if name == "class" and value == "diff":
                self.diff_rows += 1

    def handle_endtag(self, tag: str) -> None:
        self._code -= tag in ("script", "style")

    def handle_data(self, data: str) -> None:
        if not self._code:  # what a reader sees, not the inline style and script
            self.text.append(data)


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_html_is_self_contained_and_shows_every_exception(fixture: Reconciled, lang: str) -> None:
    buffer = io.StringIO()
    render_html(fixture.report(lang), buffer)  # type: ignore[arg-type]
    page = buffer.getvalue()
    parser = _Collector()
    parser.feed(page)
    parser.close()
    text = "\n".join(parser.text)
    assert parser.links == []
    assert "http://" not in page
    assert "https://" not in page
    assert {"style", "script", "svg", "table"} <= set(parser.tags)
    for item in fixture.items:
        assert item.id in text
    catalogue = Catalogue(lang)  # type: ignore[arg-type]
    for label in (
        catalogue.text("report.mismatches"),
        catalogue.text("section.bridge"),
        catalogue.text("ui.history"),
    ):
        assert label in text
    assert parser.diff_rows > 0  # differing fields are highlighted
    assert UNTRANSLATED.findall(text) == []


def test_the_html_shows_both_sides_and_what_changed_in_each_revision(fixture: Reconciled) -> None:
    buffer = io.StringIO()
    render_html(fixture.report("en"), buffer)
    page = buffer.getvalue()
    assert "Left · zoho-crm" in page
    assert "Right · zoho-books" in page
    assert re.search(r"Total: CNY [\d,]+\.\d\d → CNY [\d,]+\.\d\d", page)  # the revision history diff
    assert "@media print" in page


# ---------------------------------------------------------------------------- terminal


@pytest.mark.parametrize(
    ("lang", "title"), [("zh", "对账差异报告"), ("en", "Reconciliation mismatch report")]
)
def test_the_terminal_table_is_translated_with_grouped_amounts(
    fixture: Reconciled, lang: str, title: str
) -> None:
    console = Console(file=io.StringIO(), width=400, color_system=None)
    render_table(fixture.report(lang, details=False), console)  # type: ignore[arg-type]
    output = console.file.getvalue()  # type: ignore[attr-defined]
    assert title in output
    assert re.search(r"CNY -?\d{1,3}(,\d{3})+\.\d\d", output)
    assert UNTRANSLATED.findall(output) == []
    for item in fixture.items:
        assert item.id in output


# ---------------------------------------------------------------------------- the customer column


def _customers(fixture: Reconciled) -> set[str]:
    names = {
        fixture.party(ref)
        for item in fixture.items
        for ref in (*item.discrepancy.left, *item.discrepancy.right)
    }
    return {name for name in names if name}


def test_the_csv_customer_column_is_filled_without_the_documents_detail(fixture: Reconciled) -> None:
    buffer = io.StringIO()
    render_csv(fixture.report("en", details=False), buffer)
    rows = list(csv.DictReader(io.StringIO(buffer.getvalue())))
    assert {name for row in rows for name in row["Customer"].split(" / ") if name} == _customers(fixture)


def test_the_workbook_customer_column_is_filled_without_the_documents_detail(
    fixture: Reconciled, tmp_path: Path
) -> None:
    path = tmp_path / "report.xlsx"
    render_xlsx(fixture.report("en", details=False), path)
    shown: set[str] = set()
    for sheet in load_workbook(path).worksheets[1:]:
        column = [cell.value for cell in sheet[1]].index("Customer")
        shown |= {str(row[column].value) for row in sheet.iter_rows(min_row=2) if row[column].value}
    assert {name for text in shown for name in text.split(" / ")} == _customers(fixture)


def test_the_terminal_table_customer_column_is_filled_without_the_documents_detail(
    fixture: Reconciled,
) -> None:
    console = Console(file=io.StringIO(), width=600, color_system=None)
    render_table(fixture.report("en", details=False), console)  # type: ignore[arg-type]
    output = console.file.getvalue()  # type: ignore[attr-defined]
    customers = _customers(fixture)
    assert customers
    assert all(name in output for name in customers)


# ---------------------------------------------------------------------------- date-only findings


@pytest.mark.parametrize(
    ("lang", "expected"),
    [("en", "due 2026-03-01, issued 2026-03-15"), ("zh", "到期 2026-03-01，开票 2026-03-15")],
)
def test_a_due_before_issue_finding_shows_its_dates_not_the_invoice_total_as_the_difference(
    lang: str, expected: str
) -> None:
    total = Decimal("5000000.00")
    found = Discrepancy(
        rule="audit",
        type=DiscrepancyType.DUE_BEFORE_ISSUE,
        left=(DocumentRef(source="books", kind=DocumentKind.INVOICE, external_id="b1", number="INV-9"),),
        right=(),
        left_amount=total,
        right_amount=None,
        difference=total,  # what the audit records: the total against nothing
        currency="CNY",
        explanation="INV-9 (books): due on 2026-03-01, before it was issued on 2026-03-15",
        fields=(FieldDiff(field="due_on", left="2026-03-01", right="2026-03-15"),),
    )
    item = ExceptionItem(id="1", status="open", discrepancy=found)

    def report() -> Report:  # rows stream once: one report per renderer
        return mismatch_report(
            (), [(found.type.value, [item])], lang=lang, timezone="Asia/Shanghai", generated_at=GENERATED_AT
        )

    console = Console(file=io.StringIO(), width=600, color_system=None)
    render_table(report(), console)  # type: ignore[arg-type]
    output = console.file.getvalue()  # type: ignore[attr-defined]
    assert expected in output
    assert output.count("5,000,000.00") == 1  # the invoice's amount, not again as its difference
    buffer = io.StringIO()
    render_csv(report(), buffer)
    (row,) = list(csv.reader(io.StringIO(buffer.getvalue())))[1:]
    assert expected in row
    assert row.count("5000000.00") == 1
