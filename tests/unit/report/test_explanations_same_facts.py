"""The Chinese explanation of every finding says what the English one says: the same figures, document
numbers and ids, and dates (both are filled from the finding into one template per case)."""

from __future__ import annotations

import re
from collections import Counter
from datetime import date
from decimal import Decimal

import pytest

from reconcile.facts import MISSING_INVOICE
from reconcile.report.explain import explanation
from reconcile.report.i18n import Catalogue
from reconcile.settlement import settle
from store.canonical import Allocation, DocumentKind
from store.discrepancies import Discrepancy, DiscrepancyType, DocumentRef, FieldDiff
from tests.reconcile_data import SETTLEMENT_RULE
from tests.unit.report.reconciled import _SIDES, Reconciled, reconciled
from tests.unit.report.report_fixtures import make_doc

EN, ZH = Catalogue("en"), Catalogue("zh")
_TOKEN = re.compile(r"-?[A-Za-z0-9][A-Za-z0-9\-_./:,]*")


def facts(text: str) -> Counter[str]:
    """Every figure (`1,234.56`, `42.00`, `30`), document number or id (`INV-000204`, `books-0000104`)
    and date (`2026-10-01`) in a sentence, whatever language surrounds it: ASCII tokens with a digit."""
    found = (token.rstrip(".,:;/") for token in _TOKEN.findall(text))
    return Counter(token for token in found if any(ch.isdigit() for ch in token))


def _both(found: Discrepancy) -> tuple[str, str]:
    sides = _SIDES.get(found.rule, (None, None))
    return explanation(found, EN, sides), explanation(found, ZH, sides)


@pytest.fixture(scope="module")
def fixture() -> Reconciled:
    return reconciled()


def test_the_fact_extractor_sees_figures_ids_and_dates_in_either_language() -> None:
    assert facts(
        "PMT-000111 (zoho-books) applies CNY 42.00 to invoice 9001, which does not exist"
    ) == Counter(["PMT-000111", "42.00", "9001"])
    assert facts("INV-1（zoho-crm）到期日 2026-10-01 早于开票日 2026-10-09，差额 CNY -1,234.50") == Counter(
        ["INV-1", "2026-10-01", "2026-10-09", "-1,234.50"]
    )


def test_every_findings_chinese_explanation_states_the_english_ones_figures_ids_and_dates(
    fixture: Reconciled,
) -> None:
    assert {item.discrepancy.type for item in fixture.items} == set(DiscrepancyType)
    differ: dict[str, list[str]] = {}
    for item in fixture.items:
        english, chinese = _both(item.discrepancy)
        assert facts(english), english  # every explanation names at least its document
        if facts(english) != facts(chinese):
            differ.setdefault(item.discrepancy.type.value, []).append(f"{english}\n  vs {chinese}")
    assert differ == {}


def test_an_ambiguous_match_lists_each_candidates_score_components_in_chinese_too(
    fixture: Reconciled,
) -> None:
    scored = [
        item.discrepancy
        for item in fixture.items
        if item.discrepancy.type is DiscrepancyType.AMBIGUOUS_MATCH
        and any(diff.field == "candidate" for diff in item.discrepancy.fields)
    ]
    assert scored
    for found in scored:
        english, chinese = _both(found)
        assert "(amount 10.00, date 10.00, party 10.00, reference 0.00)" in english
        assert "（金额 10.00，日期 10.00，客户 10.00，参照 0.00）" in chinese
        assert "差距阈值" in chinese
        assert facts(english) == facts(chinese)


def test_a_payment_applied_to_a_missing_invoice_says_so_with_its_amount_and_the_invoice_in_both_languages() -> (
    None
):
    invoice = make_doc("invoice", "inv-1", source="zoho-books", total="100.00", issued_on=date(2026, 10, 1))
    payment = make_doc(
        "payment",
        "pay-111",
        source="zoho-books",
        number="PMT-000111",
        total="42.00",
        issued_on=date(2026, 10, 3),
        allocations=(Allocation(invoice_external_id="inv-404", amount=Decimal("42.00")),),
    )
    result = settle([invoice], [payment], SETTLEMENT_RULE, known_invoices=frozenset({"inv-1"}))
    (found,) = [d for d in result.discrepancies if d.type is DiscrepancyType.MISSING_IN_LEFT]
    english, chinese = _both(found)
    assert english == "PMT-000111 (zoho-books) applies CNY 42.00 to invoice inv-404, which does not exist"
    assert chinese == "PMT-000111（zoho-books）向发票 inv-404 核销 CNY 42.00，但该发票不存在"


def test_a_finding_stored_before_its_facts_were_kept_still_reads_the_same_in_both_languages() -> None:
    ref = DocumentRef(source="zoho-books", kind=DocumentKind.PAYMENT, external_id="pay-1", number="PMT-1")
    found = Discrepancy(
        rule=SETTLEMENT_RULE.name,
        type=DiscrepancyType.MISSING_IN_LEFT,
        right=(ref,),
        right_amount=Decimal("42.00"),
        currency="CNY",
        explanation="PMT-1 (zoho-books) applies 42.00 to invoice inv-404, which does not exist",
    )
    english, chinese = _both(found)
    assert english == "PMT-1 (zoho-books) has no counterpart in zoho-books"
    assert facts(english) == facts(chinese)
    with_fact = found.model_copy(
        update={"fields": (FieldDiff(field=MISSING_INVOICE, left="inv-404", right=None),)}
    )
    assert "inv-404" in _both(with_fact)[1]


def test_an_amount_wholly_below_the_minor_unit_is_said_exactly_and_a_rounded_ones_residue_beside_it() -> None:
    refs = [
        DocumentRef(
            source=source, kind=DocumentKind.INVOICE, external_id="x-1", number="INV-7", currency="CNY"
        )
        for source in ("zoho-crm", "zoho-books")
    ]
    found = Discrepancy(
        rule="crm-vs-books",
        type=DiscrepancyType.AMOUNT_MISMATCH,
        left=(refs[0],),
        right=(refs[1],),
        left_amount=Decimal("100.0049"),
        right_amount=Decimal("100.005"),
        difference=Decimal("-0.0001"),
        currency="CNY",
        explanation="amounts differ",
    )
    english, chinese = _both(found)
    assert english == (
        "INV-7 (zoho-crm) and INV-7 (zoho-books) are matched but their amounts differ: "
        "CNY 100.00 (exact residue CNY 0.0049 from rounding) vs CNY 100.00 (exact residue CNY 0.005 from rounding), "
        "difference CNY -0.0001 (less than the minor unit, shown exactly)"
    )
    assert "差额 CNY -0.0001（不足最小货币单位，按精确值显示）" in chinese
    assert "CNY 100.00（舍入尾差 CNY 0.0049）" in chinese
    assert facts(english) == facts(chinese)
