"""Matched documents compare status classes (draft, open, paid, void), never the vendors' words."""

from __future__ import annotations

from datetime import date

import pytest

from reconcile.compare import Comparer, statuses_differ
from reconcile.findings import Tolerances
from reconcile.matching import match
from reconcile.result import Match, MatchContext
from store.canonical import Status
from store.discrepancies import DiscrepancyType
from store.ledger_rows import LedgerRow
from tests.unit.reconcile.helpers import invoice, match_rule, types

CTX = MatchContext(base_currency="CNY")


def _pair(left: Status, right: Status, **right_fields: object) -> tuple[LedgerRow, LedgerRow]:
    return (
        LedgerRow.of(invoice("crm", "1", "INV-1", "100.00", status=left)),
        LedgerRow.of(invoice("books", "a", "INV-1", "100.00", status=right, **right_fields)),
    )


def _compare(left: LedgerRow, right: LedgerRow) -> DiscrepancyType | None:
    """The slow path alone (the fast path is `clean`): the finding's type, or None."""
    rule = match_rule()
    found = Comparer(rule, Tolerances.of(rule.tolerance), "CNY").compare(Match((left,), (right,), "number"))
    return None if found is None else found.type


@pytest.mark.parametrize(
    ("left", "right"),
    [
        (Status.OPEN, Status.PARTIALLY_PAID),
        (Status.PARTIALLY_PAID, Status.OPEN),
        (Status.VOID, Status.DELETED),
    ],
)
def test_statuses_of_one_class_are_not_a_mismatch_on_either_path(left: Status, right: Status) -> None:
    lrow, rrow = _pair(left, right)
    rule = match_rule()
    assert Comparer(rule, Tolerances.of(rule.tolerance), "CNY").clean(lrow, rrow)
    assert _compare(lrow, rrow) is None
    assert match([lrow], [rrow], rule, CTX).discrepancies == ()


def test_an_invoice_still_being_paid_in_books_is_clean_against_the_crm_invoice_even_when_dates_differ() -> (
    None
):
    """A date difference sends the pair down the slow path; the statuses still agree by class."""
    rule = match_rule(tolerance={"days": 3})
    left = [invoice("crm", "1", "INV-1", "100.00", status=Status.OPEN)]
    right = [
        invoice("books", "a", "INV-1", "100.00", status=Status.PARTIALLY_PAID, issued_on=date(2026, 10, 5))
    ]
    assert match(left, right, rule, CTX).discrepancies == ()


@pytest.mark.parametrize(
    ("left", "right"),
    [
        (Status.PAID, Status.OPEN),
        (Status.PARTIALLY_PAID, Status.PAID),
        (Status.OPEN, Status.VOID),
        (Status.DRAFT, Status.OPEN),
    ],
)
def test_statuses_of_different_classes_are_a_status_mismatch(left: Status, right: Status) -> None:
    lrow, rrow = _pair(left, right)
    rule = match_rule()
    assert not Comparer(rule, Tolerances.of(rule.tolerance), "CNY").clean(lrow, rrow)
    assert types(match([lrow], [rrow], rule, CTX)) == ["status_mismatch"]


def test_a_status_mismatch_shows_finance_both_canonical_statuses_and_the_class() -> None:
    lrow, rrow = _pair(Status.PARTIALLY_PAID, Status.PAID)
    [found] = match([lrow], [rrow], match_rule(), CTX).discrepancies
    assert [(f.field, f.left, f.right) for f in found.fields] == [("status", "partially_paid", "paid")]
    assert "status: partially_paid (class open) vs paid" in found.explanation


@pytest.mark.parametrize("other", list(Status))
def test_an_unknown_status_is_never_compared(other: Status) -> None:
    lrow, rrow = _pair(Status.UNKNOWN, other)
    assert not statuses_differ(Status.UNKNOWN.value, other.value)
    assert not statuses_differ(other.value, Status.UNKNOWN.value)
    assert _compare(lrow, rrow) is None
    assert _compare(rrow, lrow) is None


def test_a_status_the_ledger_does_not_know_is_treated_as_unknown() -> None:
    assert not statuses_differ("sent_to_mars", "paid")


def test_a_rule_that_does_not_compare_status_ignores_even_different_classes() -> None:
    lrow, rrow = _pair(Status.PAID, Status.VOID)
    rule = match_rule(compare=["total", "currency", "party", "issued_on"])
    assert match([lrow], [rrow], rule, CTX).discrepancies == ()
