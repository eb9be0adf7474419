"""Order-to-cash and AR ageing with invoices of unknown status (an Fxiaoke invoice application): such an
invoice is never taken as paid, and when its order's collections cannot be known it is shown as of
unknown settlement — neither outstanding nor aged as open (ADR 0022)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from reconcile.aging import BUCKETS, aging_summary
from reconcile.o2c import GroupBy, o2c_summary, open_balance
from store.canonical import CanonicalDocument, Status
from tests.unit.report.report_fixtures import AS_OF, make_doc


def _application(status: Status = Status.UNKNOWN) -> CanonicalDocument:
    return make_doc(
        "invoice",
        "app-1",
        source="fxiaoke",
        party="上海星辰贸易有限公司",
        total="1130.00",
        status=status,
        issued_on=date(2026, 9, 1),
        due_on=date(2026, 10, 1),
        references={"sales_order": "so-1"},
    )


def test_an_invoice_of_unknown_status_without_a_balance_is_not_taken_as_paid() -> None:
    assert open_balance(_application()) == Decimal("1130.00")
    assert open_balance(_application(Status.PAID)) == Decimal(0)


def test_order_to_cash_shows_an_unknown_invoice_without_its_order_as_of_unknown_settlement() -> None:
    summary = o2c_summary([_application()], by=GroupBy.CUSTOMER, as_of=AS_OF)
    [row] = summary.rows
    assert row.invoiced == Decimal("1130.00")
    assert (row.outstanding, row.overdue, row.settlement_unknown) == (
        Decimal(0),
        Decimal(0),
        Decimal("1130.00"),
    )
    assert summary.unsettled == 1


def test_ageing_puts_an_unknown_invoice_without_its_order_in_no_bucket() -> None:
    summary = aging_summary([_application()], as_of=AS_OF)
    [row] = summary.rows
    assert row.buckets[BUCKETS.index("days_31_60")] == Decimal(0)
    assert (row.total, row.settlement_unknown) == (Decimal(0), Decimal("1130.00"))
