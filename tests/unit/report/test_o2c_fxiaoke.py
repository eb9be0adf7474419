"""Order-to-cash and ageing of an Fxiaoke tenant: collections are tied to sales orders, invoice
applications have no settlement of their own (ADR 0006, 0017, 0022).

The documents are the tenant's records in tests/fixtures/fxiaoke, read by the Fxiaoke normalizer: order
20210113-000042 (CNY 25,600.00) of 上海申远贸易有限公司, its invoice application KP-202112-000031 (issued
as 04412345, CNY 25,600.00), and 回款 20200817-000023 of CNY 30,000.00 — 20,000.00 to that order, 8,000.00
to order …e2b9 (nothing invoiced on it) and 2,000.00 to no order. The order's own receivable_amount
says 5,600.00 is still owed.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from config.rules import Tolerance
from connectors.fxiaoke import normalize as n
from reconcile.aging import BUCKETS, aging_summary
from reconcile.findings import Tolerances
from reconcile.o2c import GroupBy, O2CRow, o2c_summary
from reconcile.order_settlement import Settlements, settle_by_orders
from store.canonical import Allocation, CanonicalDocument, DocumentKind, Status
from store.ledger_rows import LedgerRow
from tests.connectors.fxiaoke.generate import generate_dataset
from tests.unit.fxiaoke.test_normalize import CTX, load

AS_OF = date(2022, 3, 1)
ORDER = "600e8b0f3bd5a50001c7e2a1"
CUSTOMER = "上海申远贸易有限公司"


def _tenant(**payment_changes: Any) -> list[CanonicalDocument]:
    payment = {**load("payment.json"), **payment_changes}
    return [
        n.normalize_sales_order(load("sales_order.json"), CTX),
        n.normalize_invoice_application(load("invoice_application_issued.json"), CTX),
        n.normalize_payment(payment, CTX),
    ]


def _settle(docs: Sequence[CanonicalDocument], *, allocations_unknown: Sequence[str] = ()) -> Settlements:
    rows = [LedgerRow.of(doc) for doc in docs]
    return settle_by_orders(
        [r for r in rows if r.kind == DocumentKind.SALES_ORDER.value],
        [r for r in rows if r.kind == DocumentKind.INVOICE.value],
        [r for r in rows if r.kind == DocumentKind.PAYMENT.value],
        tolerances=Tolerances.of(Tolerance()),
        allocations_unknown=allocations_unknown,
    )


def _row(docs: Sequence[CanonicalDocument], settlements: Settlements) -> O2CRow:
    summary = o2c_summary(
        docs, by=GroupBy.CUSTOMER, as_of=AS_OF, settlements=settlements, base_currency="CNY"
    )
    [row] = summary.rows
    return row


def test_outstanding_is_what_the_orders_collections_leave_owed_not_the_whole_invoice() -> None:
    docs = _tenant()
    row = _row(docs, _settle(docs))
    assert (row.group, row.invoiced, row.collected) == (CUSTOMER, Decimal("25600.00"), Decimal("30000.00"))
    # 20,000 of the 30,000 paid order …e2a1: 5,600 of its invoice is owed — what the order itself says.
    assert row.outstanding == Decimal("5600.00") == docs[0].balance
    assert row.overdue == Decimal("5600.00")  # no due date: due on issue, 2021-12-24
    assert row.settlement_unknown == 0


def test_collections_beyond_invoicing_are_shown_as_unapplied_not_hidden_in_outstanding() -> None:
    docs = _tenant()
    row = _row(docs, _settle(docs))
    # 8,000 to an order with nothing invoiced on it (ahead of invoicing) + 2,000 tied to no order.
    assert row.unapplied == Decimal("10000.00")
    assert row.invoiced - (row.collected - row.unapplied) == row.outstanding


def test_a_fully_collected_order_leaves_nothing_owed_and_nothing_to_age() -> None:
    allocations = [
        {"_id": "a1", "payment_id": "p", "order_id": ORDER, "payment_amount": "25600.00"},
        {"_id": "a2", "payment_id": "p", "order_id": "600e8b0f3bd5a50001c7e2b9", "payment_amount": "4400.00"},
    ]
    docs = _tenant(details={"OrderPaymentObj": allocations})
    settlements = _settle(docs)
    row = _row(docs, settlements)
    assert (row.outstanding, row.overdue, row.unapplied) == (Decimal(0), Decimal(0), Decimal("4400.00"))
    ageing = aging_summary(docs, as_of=AS_OF, settlements=settlements)
    assert ageing.rows == ()  # not "open, never paid": its order is paid in full
    assert ageing.unsettled == 0


def test_an_order_collected_in_part_ages_only_what_is_left() -> None:
    docs = _tenant()
    ageing = aging_summary(docs, as_of=AS_OF, settlements=_settle(docs))
    [row] = ageing.rows
    assert (row.total, row.settlement_unknown) == (Decimal("5600.00"), Decimal(0))
    assert row.buckets[BUCKETS.index("days_61_90")] == Decimal("5600.00")  # 2021-12-24 + 67 days


def test_collections_settle_the_oldest_invoice_application_of_the_order_first() -> None:
    first = n.normalize_invoice_application(load("invoice_application_issued.json"), CTX)
    halves = [
        first.model_copy(update={"external_id": "app-1", "total": Decimal("12800.00")}),
        first.model_copy(
            update={"external_id": "app-2", "total": Decimal("12800.00"), "issued_on": date(2022, 1, 10)}
        ),
    ]
    docs = [_tenant()[0], *halves, _tenant()[2]]
    settlements = _settle(docs)
    assert settlements.balance_of(halves[0]) == Decimal(0)
    assert settlements.balance_of(halves[1]) == Decimal("5600.00")


def test_an_application_whose_order_is_not_in_the_ledger_is_of_unknown_settlement_never_owed_or_paid() -> (
    None
):
    docs = _tenant()[1:]  # the order was never synced: whether its collections cover it cannot be known
    settlements = _settle(docs)
    summary = o2c_summary(docs, by=GroupBy.CUSTOMER, as_of=AS_OF, settlements=settlements)
    [row] = summary.rows
    assert (row.outstanding, row.overdue) == (Decimal(0), Decimal(0))
    assert row.settlement_unknown == Decimal("25600.00")
    assert summary.unsettled == 1
    ageing = aging_summary(docs, as_of=AS_OF, settlements=settlements)
    [aged] = ageing.rows
    assert (aged.total, aged.settlement_unknown, ageing.unsettled) == (Decimal(0), Decimal("25600.00"), 1)


def test_a_tenant_without_order_payment_rows_settles_nothing() -> None:
    docs = _tenant()
    row = _row(docs, _settle(docs, allocations_unknown=["fxiaoke"]))
    assert (row.outstanding, row.settlement_unknown) == (Decimal(0), Decimal("25600.00"))


def test_by_salesperson_a_payment_without_one_follows_the_orders_it_pays() -> None:
    docs = _tenant()
    payment = docs[2].model_copy(
        update={
            "owner": None,
            "allocations": (
                Allocation(
                    invoice_external_id=ORDER,
                    amount=Decimal("30000.00"),
                    target_kind=DocumentKind.SALES_ORDER,
                ),
            ),
            "balance": Decimal(0),
        }
    )
    summary = o2c_summary([docs[0], docs[1], payment], by=GroupBy.SALESPERSON, as_of=AS_OF)
    assert {row.group: row.collected for row in summary.rows} == {"1001": Decimal("30000.00")}


def test_on_a_generated_fxiaoke_company_each_application_owes_what_its_order_still_has_to_collect() -> None:
    """The demo generator's tenant: every order carries the balance its 回款 leave (its own bookkeeping,
    independent of the report), and an application is for its whole order."""
    dataset = generate_dataset(orders=300, seed=7, now=datetime(2026, 11, 20, tzinfo=UTC))
    docs = dataset.truth()
    orders = {doc.external_id: doc for doc in docs if doc.kind is DocumentKind.SALES_ORDER}
    settlements = _settle(docs)
    applications = [doc for doc in docs if doc.kind is DocumentKind.INVOICE and doc.status is Status.UNKNOWN]
    assert len(applications) > 50
    paid_in_full = 0
    for application in applications:
        order = orders[application.references["sales_order"]]
        assert order.balance is not None
        assert application.total == order.total
        assert settlements.balance_of(application) == max(order.balance, Decimal(0)), application.number
        paid_in_full += order.balance <= 0
    assert 0 < paid_in_full < len(applications)
    summary = o2c_summary(docs, by=GroupBy.CUSTOMER, as_of=date(2026, 11, 20), settlements=settlements)
    owed: dict[str | None, Decimal] = {}
    for application in applications:
        balance = orders[application.references["sales_order"]].balance or Decimal(0)
        owed[application.currency] = owed.get(application.currency, Decimal(0)) + max(balance, Decimal(0))
    assert {row.currency: row.outstanding for row in summary.totals} == owed
    assert all(row.outstanding < row.invoiced for row in summary.totals if row.collected)
