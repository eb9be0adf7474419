"""AR ageing: open balances in the right bucket on the as-of date, totals per currency."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest

from reconcile.aging import BUCKETS, aging_summary, bucket_of
from reconcile.o2c import GroupBy
from store.canonical import CanonicalDocument
from tests.unit.report.report_fixtures import AS_OF, make_doc


@pytest.mark.parametrize(
    ("days", "bucket"),
    [
        (-5, "current"),
        (0, "current"),
        (1, "days_1_30"),
        (30, "days_1_30"),
        (31, "days_31_60"),
        (60, "days_31_60"),
        (61, "days_61_90"),
        (90, "days_61_90"),
        (91, "days_over_90"),
    ],
)
def test_bucket_boundaries_are_inclusive_at_30_60_and_90_days(days: int, bucket: str) -> None:
    assert bucket_of(days) == bucket


def _invoice(
    number: str, party: str, balance: str, days_overdue: int | None, **fields: object
) -> CanonicalDocument:
    due = None if days_overdue is None else AS_OF - timedelta(days=days_overdue)
    fields.setdefault("issued_on", date(2026, 6, 1))
    return make_doc("invoice", number, party=party, total=balance, balance=balance, due_on=due, **fields)


@pytest.fixture
def receivables() -> list[CanonicalDocument]:
    return [
        _invoice("I1", "Acme", "400.00", 20),
        _invoice("I2", "Acme", "300.00", -11),
        _invoice("I3", "Acme", "200.00", 111, currency="USD"),
        _invoice("I4", "Beta", "250.00", 66),
        _invoice("I5", "Beta", "80.00", 41),
        _invoice("I6", "Beta", "0.00", 200),  # fully paid: not in the ageing
        _invoice("I7", "Gamma", "10.00", None, issued_on=AS_OF),  # no due date: due on issue, today
        _invoice("I8", "Gamma", "500.00", 95, status="void"),
        make_doc("payment", "P1", party="Acme", total="999.00", issued_on=AS_OF),
    ]


def test_open_balances_land_in_the_bucket_of_their_days_overdue(receivables: list[CanonicalDocument]) -> None:
    summary = aging_summary(receivables, as_of=AS_OF)
    table = {
        (row.group, row.currency): [str(a) for a in row.buckets] + [str(row.total)] for row in summary.rows
    }
    assert table == {
        # current, 1-30, 31-60, 61-90, >90, total
        ("Acme", "CNY"): ["300.00", "400.00", "0", "0", "0", "700.00"],
        ("Acme", "USD"): ["0", "0", "0", "0", "200.00", "200.00"],
        ("Beta", "CNY"): ["0", "0", "80.00", "250.00", "0", "330.00"],
        ("Gamma", "CNY"): ["10.00", "0", "0", "0", "0", "10.00"],
    }


def test_the_total_rows_add_up_each_bucket_per_currency(receivables: list[CanonicalDocument]) -> None:
    summary = aging_summary(receivables, as_of=AS_OF)
    totals = {row.currency: row for row in summary.totals}
    assert [str(a) for a in totals["CNY"].buckets] == ["310.00", "400.00", "80.00", "250.00", "0"]
    assert totals["CNY"].total == Decimal("1040.00")
    assert totals["USD"].total == Decimal("200.00")
    assert len(BUCKETS) == len(totals["CNY"].buckets)


def test_ageing_by_month_is_refused_because_it_has_no_meaning() -> None:
    with pytest.raises(ValueError, match="customer or salesperson"):
        aging_summary([], as_of=AS_OF, by=GroupBy.MONTH)
