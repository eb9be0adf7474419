"""Order-to-cash summary figures, checked against the ledger computed by hand (see conftest)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from reconcile.o2c import GroupBy, O2CRow, o2c_summary
from store.canonical import CanonicalDocument
from tests.unit.report.report_fixtures import AS_OF, make_doc


def _figures(row: O2CRow) -> tuple[str, ...]:
    return tuple(
        str(getattr(row, name))
        for name in ("ordered", "invoiced", "credited", "collected", "outstanding", "overdue")
    )


def _by_group(rows: tuple[O2CRow, ...]) -> dict[tuple[str | None, str | None], tuple[str, ...]]:
    return {(row.group, row.currency): _figures(row) for row in rows}


def test_by_customer_each_customer_has_its_ordered_invoiced_collected_outstanding_and_overdue(
    o2c_ledger: list[CanonicalDocument],
) -> None:
    summary = o2c_summary(o2c_ledger, by=GroupBy.CUSTOMER, as_of=AS_OF)
    assert _by_group(summary.rows) == {
        # ordered, invoiced, credited, collected, outstanding, overdue
        ("Acme", "CNY"): ("1000.00", "1000.00", "50.00", "600.00", "400.00", "400.00"),
        ("Acme", "USD"): ("0", "200.00", "0", "0", "200.00", "200.00"),
        ("Beta", "CNY"): ("500.00", "300.00", "0", "100.00", "300.00", "0"),
    }


def test_totals_are_per_currency_and_never_add_yuan_to_dollars(o2c_ledger: list[CanonicalDocument]) -> None:
    summary = o2c_summary(o2c_ledger, by=GroupBy.CUSTOMER, as_of=AS_OF)
    assert _by_group(summary.totals) == {
        (None, "CNY"): ("1500.00", "1300.00", "50.00", "700.00", "700.00", "400.00"),
        (None, "USD"): ("0", "200.00", "0", "0", "200.00", "200.00"),
    }


def test_void_draft_and_deleted_invoices_are_left_out(o2c_ledger: list[CanonicalDocument]) -> None:
    summary = o2c_summary(o2c_ledger, by=GroupBy.CUSTOMER, as_of=AS_OF)
    invoiced = sum((row.invoiced for row in summary.totals), Decimal(0))
    assert invoiced == Decimal("1500.00")  # 1000 + 300 + 200 (USD) — not the 999, 888 or 777


def test_by_salesperson_a_payment_without_one_follows_the_invoices_it_pays(
    o2c_ledger: list[CanonicalDocument],
) -> None:
    summary = o2c_summary(o2c_ledger, by=GroupBy.SALESPERSON, as_of=AS_OF)
    assert _by_group(summary.rows) == {
        ("Li", "CNY"): ("1000.00", "1000.00", "50.00", "600.00", "400.00", "400.00"),
        ("Li", "USD"): ("0", "200.00", "0", "0", "200.00", "200.00"),
        ("Wang", "CNY"): ("500.00", "300.00", "0", "0", "300.00", "0"),
        (None, "CNY"): ("0", "0", "0", "100.00", "0", "0"),  # PAY-2 is unapplied and has no owner
    }


def test_by_month_within_a_period_only_documents_issued_in_it_count(
    o2c_ledger: list[CanonicalDocument],
) -> None:
    summary = o2c_summary(
        o2c_ledger, by=GroupBy.MONTH, as_of=AS_OF, start=date(2026, 10, 1), end=date(2026, 10, 31)
    )
    assert _by_group(summary.rows) == {
        ("2026-10", "CNY"): ("1500.00", "1300.00", "50.00", "700.00", "700.00", "400.00"),
    }


def test_an_invoice_without_a_balance_is_open_for_its_total_unless_paid() -> None:
    docs = [
        make_doc(
            "invoice", "A", party="X", total="70.00", issued_on=date(2026, 11, 1), due_on=date(2026, 11, 19)
        ),
        make_doc("invoice", "B", party="X", total="30.00", status="paid", issued_on=date(2026, 11, 1)),
    ]
    (row,) = o2c_summary(docs, by=GroupBy.CUSTOMER, as_of=AS_OF).rows
    assert (row.invoiced, row.outstanding, row.overdue) == (
        Decimal("100.00"),
        Decimal("70.00"),
        Decimal("70.00"),
    )
