"""The English sentence of a currency or status finding and its Chinese explanation say the same figures."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest

from reconcile.matching import match
from reconcile.report.explain import explanation
from reconcile.report.i18n import Catalogue
from reconcile.result import MatchContext
from store.canonical import CanonicalDocument, Status
from store.discrepancies import Discrepancy
from tests.unit.reconcile.helpers import invoice, match_rule

CTX = MatchContext(base_currency="CNY")
ZH = Catalogue("zh")
AMOUNT = re.compile(r"\b[A-Z]{3} -?[\d,]+\.\d+")
WITHOUT_CURRENCY = ["total", "party", "issued_on", "status"]


def _found(
    left: CanonicalDocument, right: CanonicalDocument, compare: list[str] | None = None
) -> Discrepancy:
    rule = match_rule() if compare is None else match_rule(compare=compare)
    [found] = match([left], [right], rule, CTX).discrepancies
    return found


CASES = {
    "currency_mismatch, rates known (issue 12)": lambda: _found(
        invoice("zoho-crm", "1", "INV-000123", "287437.45"),
        invoice("zoho-books", "a", "INV-000123", "36000.00", currency="EUR", exchange_rate=Decimal("7.9844")),
    ),
    "currency_mismatch, a rate unknown": lambda: _found(
        invoice("zoho-crm", "1", "INV-7", "700.00"),
        invoice("zoho-books", "a", "INV-7", "100.00", currency="USD"),
    ),
    "amount_mismatch across currencies": lambda: _found(
        invoice("zoho-crm", "1", "INV-8", "800.00"),
        invoice("zoho-books", "a", "INV-8", "100.00", currency="USD", exchange_rate=Decimal(7)),
        WITHOUT_CURRENCY,
    ),
}


@pytest.mark.parametrize("case", list(CASES))
def test_the_chinese_explanation_names_the_same_amounts_and_documents_as_the_english(case: str) -> None:
    found = CASES[case]()
    english, chinese = found.explanation, explanation(found, ZH)
    amounts = AMOUNT.findall(english)
    assert amounts, english
    assert [a for a in amounts if a not in chinese] == [], chinese
    numbers = {ref.number for ref in (*found.left, *found.right)}
    assert all(n is not None and n in english and n in chinese for n in numbers)
    assert re.search(r"[\u4e00-\u9fff]", chinese)


def test_the_issue_example_reads_the_same_in_both_languages() -> None:
    found = CASES["currency_mismatch, rates known (issue 12)"]()
    for text in (found.explanation, explanation(found, ZH)):
        for figure in ("CNY 287,437.45", "EUR 36,000.00", "CNY 287,438.40", "CNY -0.95"):
            assert figure in text, text


def test_a_status_mismatch_names_both_statuses_and_their_classes_in_chinese() -> None:
    found = _found(
        invoice("zoho-crm", "1", "INV-9", "100.00", status=Status.PARTIALLY_PAID),
        invoice("zoho-books", "a", "INV-9", "100.00", status=Status.VOID),
    )
    chinese = explanation(found, ZH)
    assert "部分收款（类别：未结清）" in chinese
    assert "已作废" in chinese
    assert "INV-9" in chinese
    assert "partially_paid (class open) vs void" in found.explanation
