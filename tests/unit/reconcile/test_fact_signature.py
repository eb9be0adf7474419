"""A finding's facts (reconcile/facts.py) are kept for the reports but are not what the finding says:
a fact alone never changes the signature, so it never reopens a resolved exception."""

from __future__ import annotations

from decimal import Decimal

from reconcile import facts
from store.discrepancies import FACT_FIELDS, Discrepancy, DiscrepancyType, FieldDiff


def _finding(*fields: FieldDiff) -> Discrepancy:
    return Discrepancy(
        rule="crm-vs-books",
        type=DiscrepancyType.UNUSUAL_AMOUNT,
        left_amount=Decimal("90000.00"),
        difference=Decimal("90000.00"),
        currency="CNY",
        explanation="INV-1 is far outside this customer's usual amounts",
        fields=fields,
    )


def test_every_fact_name_is_one_the_signature_leaves_out() -> None:
    named = {value for name, value in vars(facts).items() if name.isupper() and isinstance(value, str)}
    assert named == set(FACT_FIELDS)
    assert facts.FACTS == FACT_FIELDS


def test_a_median_over_one_more_document_is_not_news() -> None:
    before = _finding(FieldDiff(field="total", left="90000.00", right="1200.00"))
    with_fact = _finding(*before.fields, FieldDiff(field=facts.HISTORY, left=None, right="12"))
    one_more = _finding(*before.fields, FieldDiff(field=facts.HISTORY, left=None, right="13"))
    assert before.signature == with_fact.signature == one_more.signature


def test_a_differing_field_still_is_news() -> None:
    before = _finding(FieldDiff(field="total", left="90000.00", right="1200.00"))
    after = _finding(FieldDiff(field="total", left="95000.00", right="1200.00"))
    assert before.signature != after.signature
