"""Each exception's explanation in the report's language, composed from the finding in English and Chinese alike."""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from openpyxl import load_workbook

from reconcile.report.csvfile import render_csv
from reconcile.report.excel import render_xlsx
from reconcile.report.explain import explanation
from reconcile.report.htmlfile import render_html
from reconcile.report.i18n import Catalogue
from reconcile.report.jsonfile import render_json
from reconcile.report.mismatches import EXCEPTION_COLUMNS
from reconcile.report.model import Report
from store.canonical import DocumentKind
from store.discrepancies import Discrepancy, DiscrepancyType, DocumentRef, FieldDiff
from tests.collections_data import BANK
from tests.unit.report.reconciled import Reconciled, reconciled

ZH = Catalogue("zh")
ENGLISH_WORD = re.compile(r"[A-Za-z]{3,}")


@pytest.fixture(scope="module")
def fixture() -> Reconciled:
    return reconciled()


def _explanations(report: Report) -> dict[str, str]:
    """Exception id -> the explanation cell, over every section of the report."""
    found: dict[str, str] = {}
    for section in report.sections:
        ident, text = section.column_index("id"), section.column_index("explanation")
        assert ident is not None
        assert text is not None
        for row in section.rows:
            found[str(row.cells[ident])] = str(row.cells[text])
    return found


def _names_and_values(found: Discrepancy) -> list[str]:
    """What may stay as written in a Chinese sentence: document numbers and ids, sources, currencies,
    and the differing fields' own values (customer names, currency codes)."""
    refs = (*found.left, *found.right)
    words = [ref.number or "" for ref in refs] + [ref.external_id for ref in refs]
    words += [ref.source for ref in refs] + [ref.currency or "" for ref in refs] + [found.currency or ""]
    words += [value or "" for diff in found.fields for value in (diff.left, diff.right)]
    words += ["zoho-crm", "zoho-books", BANK]  # the rules' sources, named for a side with no document
    return sorted((word for word in words if word), key=len, reverse=True)


def _ref(source: str, number: str | None, external_id: str = "x-1", currency: str = "CNY") -> DocumentRef:
    return DocumentRef(
        source=source, kind=DocumentKind.INVOICE, external_id=external_id, number=number, currency=currency
    )


def test_a_chinese_report_explains_every_exception_type_without_an_english_sentence(
    fixture: Reconciled,
) -> None:
    texts = _explanations(fixture.report("zh", details=False))
    by_id = {item.id: item.discrepancy for item in fixture.items}
    assert {found.type for found in by_id.values()} == set(DiscrepancyType)  # the fixture plants them all
    assert set(texts) == set(by_id)
    english: dict[str, list[str]] = {}
    for ident, text in texts.items():
        found = by_id[ident]
        assert re.search(r"[\u4e00-\u9fff]", text), text
        rest = text
        for allowed in _names_and_values(found):
            rest = rest.replace(allowed, " ")
        words = ENGLISH_WORD.findall(rest)
        if words:
            english.setdefault(found.type.value, []).append(f"{text} -> {words}")
    assert english == {}


def test_an_english_report_composes_each_explanation_from_the_finding_like_the_chinese_one(
    fixture: Reconciled,
) -> None:
    texts = _explanations(fixture.report("en", details=False))
    assert set(texts) == {item.id for item in fixture.items}
    missing = next(
        item for item in fixture.items if item.discrepancy.type is DiscrepancyType.MISSING_IN_RIGHT
    )
    number = missing.discrepancy.left[0].number
    assert texts[missing.id] == f"{number} (zoho-crm) has no counterpart in zoho-books"
    assert all(not re.search(r"[\u4e00-\u9fff]", text) for text in texts.values())


def test_a_document_missing_on_the_right_names_it_and_the_source_it_is_missing_from() -> None:
    found = Discrepancy(
        rule="crm-vs-books",
        type=DiscrepancyType.MISSING_IN_RIGHT,
        left=(_ref("zoho-crm", "INV-000224"),),
        left_amount=Decimal("1234.50"),
        currency="CNY",
        explanation="INV-000224 is in zoho-crm but has no counterpart in zoho-books",
    )
    assert (
        explanation(found, ZH, ("zoho-crm", "zoho-books"))
        == "INV-000224（zoho-crm）在zoho-books中没有对应单据"
    )
    assert explanation(found, ZH) == "INV-000224（zoho-crm）在右方中没有对应单据"
    assert (
        explanation(found, Catalogue("en"), ("zoho-crm", "zoho-books"))
        == "INV-000224 (zoho-crm) has no counterpart in zoho-books"
    )


def test_an_amount_mismatch_shows_both_amounts_and_the_difference_with_separators_and_currency() -> None:
    found = Discrepancy(
        rule="crm-vs-books",
        type=DiscrepancyType.AMOUNT_MISMATCH,
        left=(_ref("zoho-crm", "INV-7"),),
        right=(_ref("zoho-books", "INV-7"),),
        left_amount=Decimal("1234567.50"),
        right_amount=Decimal("1234577.50"),
        difference=Decimal("-10.00"),
        currency="CNY",
        explanation="INV-7 (zoho-crm) and INV-7 (zoho-books) are matched but differ: total",
        fields=(FieldDiff(field="total", left="1234567.50", right="1234577.50"),),
    )
    assert explanation(found, ZH) == (
        "金额不符：INV-7（zoho-crm）CNY 1,234,567.50，INV-7（zoho-books）CNY 1,234,577.50，差额 CNY -10.00"
    )
    with_tax = found.model_copy(
        update={"fields": (*found.fields, FieldDiff(field="tax", left="1.00", right="2.50"))}
    )
    assert explanation(with_tax, ZH).endswith("；明细：税额左方为 CNY 1.00，右方为 CNY 2.50")


def test_a_field_mismatch_lists_each_differing_field_by_its_chinese_label_with_both_values() -> None:
    found = Discrepancy(
        rule="crm-vs-books",
        type=DiscrepancyType.STATUS_MISMATCH,
        left=(_ref("zoho-crm", "INV-9"),),
        right=(_ref("zoho-books", "INV-9"),),
        explanation="INV-9 (zoho-crm) and INV-9 (zoho-books) are matched but differ: status: paid vs void",
        fields=(
            FieldDiff(field="status", left="paid", right="void"),
            FieldDiff(field="due_on", left="2026-10-31", right="2026-11-30"),
        ),
    )
    assert explanation(found, ZH) == (
        "INV-9（zoho-crm）与INV-9（zoho-books）已匹配但状态不符："
        "状态左方为 已收款，右方为 已作废；到期日左方为 2026-10-31，右方为 2026-11-30"
    )


def test_many_documents_are_named_by_number_else_id_three_at_most_then_how_many_in_all() -> None:
    payments = tuple(_ref("zoho-books", None if i == 0 else f"PMT-{i}", f"pay-{i}") for i in range(5))
    found = Discrepancy(
        rule="settlement",
        type=DiscrepancyType.AMBIGUOUS_MATCH,
        left=(_ref("zoho-books", "INV-1"),),
        right=payments,
        explanation="INV-1 could be several payments",
    )
    assert explanation(found, ZH).startswith(
        "INV-1（zoho-books）可能对应pay-0、PMT-1、PMT-2等5张（zoho-books）"
    )


def test_an_audit_finding_names_the_document_and_what_is_wrong_with_it() -> None:
    found = Discrepancy(
        rule="crm-vs-books",
        type=DiscrepancyType.DUE_BEFORE_ISSUE,
        right=(
            _ref("zoho-books", "INV-3", currency="USD").model_copy(update={"issued_on": date(2026, 10, 9)}),
        ),
        explanation="INV-3 (zoho-books): due on 2026-10-01, before it was issued on 2026-10-09",
        fields=(FieldDiff(field="due_on", left="2026-10-01", right="2026-10-09"),),
    )
    assert explanation(found, ZH) == "INV-3（zoho-books）到期日 2026-10-01 早于开票日 2026-10-09"


def test_every_file_format_carries_the_chinese_explanation(fixture: Reconciled, tmp_path: Path) -> None:
    missing = next(
        item for item in fixture.items if item.discrepancy.type is DiscrepancyType.MISSING_IN_RIGHT
    )
    chinese = f"{missing.discrepancy.left[0].number}（zoho-crm）在zoho-books中没有对应单据"
    column = [column.key for column in EXCEPTION_COLUMNS].index("explanation")

    csv_out = io.StringIO()
    render_csv(fixture.report("zh", details=False), csv_out)
    assert [row[column] for row in csv.reader(io.StringIO(csv_out.getvalue())) if row[0] == missing.id] == [
        chinese
    ]

    json_out = io.StringIO()
    render_json(fixture.report("zh"), json_out)
    sections = json.loads(json_out.getvalue())["sections"]
    assert [row["explanation"] for s in sections for row in s["rows"] if row["id"] == missing.id] == [chinese]

    path = tmp_path / "report.xlsx"
    render_xlsx(fixture.report("zh"), path)
    sheet = load_workbook(path)[ZH.value("type", "missing_in_right")]
    assert [row[column] for row in sheet.iter_rows(values_only=True) if row[0] == missing.id] == [chinese]

    html_out = io.StringIO()
    render_html(fixture.report("zh"), html_out)
    assert chinese in html_out.getvalue()
    assert missing.discrepancy.explanation not in html_out.getvalue()
