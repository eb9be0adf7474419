"""An Fxiaoke invoice application has no payment status: it is derived from its order's collections."""

from __future__ import annotations

from decimal import Decimal

import pytest

from config.rules import Tolerance
from reconcile.findings import Tolerances
from reconcile.matching import match
from reconcile.result import MatchContext
from reconcile.status import derive_statuses, orders_to_look_up
from store.canonical import Allocation, CanonicalDocument, DocumentKind, Status
from store.ledger_rows import LedgerRow
from tests.unit.reconcile.helpers import invoice, match_rule, types

FX = "fxiaoke"
TOLERANCES = Tolerances.of(Tolerance())


def _application(external_id: str = "app-1", order: str | None = "so-1", **fields: object) -> LedgerRow:
    references = {"invoice_application": f"KP-{external_id}"} | ({"sales_order": order} if order else {})
    fields.setdefault("status", Status.UNKNOWN)
    return LedgerRow.of(
        invoice(FX, external_id, f"FP-{external_id}", "1130.00", references=references, **fields)
    )


def _order(external_id: str = "so-1", total: str = "1130.00", **fields: object) -> LedgerRow:
    return LedgerRow.of(invoice(FX, external_id, f"SO-{external_id}", total, kind="sales_order", **fields))


def _payment(external_id: str, *allocations: tuple[str, str], **fields: object) -> LedgerRow:
    doc = CanonicalDocument(
        source=str(fields.pop("source", FX)),
        kind=DocumentKind.PAYMENT,
        external_id=external_id,
        number=f"HK-{external_id}",
        currency=str(fields.pop("currency", "CNY")),
        total=sum((Decimal(a) for _, a in allocations), Decimal(0)),
        allocations=tuple(
            Allocation(invoice_external_id=o, amount=Decimal(a), target_kind=DocumentKind.SALES_ORDER)
            for o, a in allocations
        ),
        **fields,  # type: ignore[arg-type]
    )
    return LedgerRow.of(doc)


def _status(
    application: LedgerRow,
    orders: list[LedgerRow],
    payments: list[LedgerRow],
    tolerances: Tolerances = TOLERANCES,
) -> str:
    [row] = derive_statuses([application], orders, payments, tolerances)
    return row.status


def test_an_application_whose_order_is_fully_collected_is_paid() -> None:
    payments = [_payment("p1", ("so-1", "1000.00")), _payment("p2", ("so-1", "130.00"), ("so-9", "50.00"))]
    assert _status(_application(), [_order()], payments) == "paid"


def test_an_application_whose_order_is_partly_collected_is_open() -> None:
    assert _status(_application(), [_order()], [_payment("p1", ("so-1", "1000.00"))]) == "open"


def test_an_application_whose_order_has_no_collection_yet_is_open() -> None:
    assert _status(_application(), [_order()], []) == "open"


def test_a_collection_short_by_no_more_than_the_rules_amount_tolerance_is_paid() -> None:
    short = [_payment("p1", ("so-1", "1129.99"))]
    assert _status(_application(), [_order()], short) == "paid"
    shorter = [_payment("p1", ("so-1", "1129.98"))]
    assert _status(_application(), [_order()], shorter) == "open"
    loose = Tolerances.of(Tolerance(amount=Decimal("0.05")))
    assert _status(_application(), [_order()], shorter, loose) == "paid"


@pytest.mark.parametrize(
    "gone",
    [{"status": Status.VOID}, {"deleted": True, "status": Status.DELETED}],
    ids=["voided", "deleted"],
)
def test_a_voided_or_deleted_payment_is_not_counted(gone: dict[str, object]) -> None:
    payments = [_payment("p1", ("so-1", "1000.00")), _payment("p2", ("so-1", "130.00"), **gone)]
    assert _status(_application(), [_order()], payments) == "open"


def test_a_payment_still_under_review_counts_as_collected() -> None:
    """Fxiaoke `under_review` (审核中) is a draft: the money is in; only void and deleted ones are left out."""
    payments = [_payment("p1", ("so-1", "1130.00"), status=Status.DRAFT)]
    assert _status(_application(), [_order()], payments) == "paid"


def test_payments_of_another_source_are_not_counted() -> None:
    payments = [_payment("p1", ("so-1", "1130.00"), source="zoho-books")]
    assert _status(_application(), [_order()], payments) == "open"


@pytest.mark.parametrize(
    ("application", "orders"),
    [
        (_application(order=None), [_order()]),
        (_application(), []),
        (_application(), [_order(external_id="so-2")]),
        (_application(), [_order(status=Status.VOID)]),
        (_application(), [_order(deleted=True, status=Status.DELETED)]),
    ],
    ids=["no order reference", "order not in the ledger", "another order", "order voided", "order deleted"],
)
def test_where_the_order_cannot_tell_the_status_stays_unknown(
    application: LedgerRow, orders: list[LedgerRow]
) -> None:
    assert _status(application, orders, [_payment("p1", ("so-1", "1130.00"))]) == "unknown"


def test_a_collection_in_another_currency_than_the_order_leaves_the_status_unknown() -> None:
    payments = [_payment("p1", ("so-1", "1130.00"), currency="USD")]
    assert _status(_application(), [_order()], payments) == "unknown"


def test_only_invoices_of_unknown_status_are_derived_and_nothing_else_changes() -> None:
    rows = [
        _application("a1"),
        _application("a2", status=Status.VOID),
        _application("a3", deleted=True),
        _order(),
    ]
    derived = derive_statuses(rows, [_order()], [_payment("p1", ("so-1", "1130.00"))], TOLERANCES)
    assert [r.status for r in derived] == ["paid", "void", "unknown", "open"]
    assert [r._replace(status="x") for r in derived] == [r._replace(status="x") for r in rows]
    assert orders_to_look_up(rows) == {FX: {"so-1"}}


def test_a_derived_status_is_compared_and_an_underived_one_is_not() -> None:
    """The Fxiaoke application against the Books invoice: paid vs paid is clean, open vs paid is not,
    unknown vs paid raises nothing."""
    books = [invoice("zoho-books", "b1", "FP-app-1", "1130.00", status=Status.PAID)]
    rule = match_rule(
        left={"source": FX, "kind": "invoice"}, right={"source": "zoho-books", "kind": "invoice"}
    )
    ctx = MatchContext(base_currency="CNY")

    def run(payments: list[LedgerRow], orders: list[LedgerRow]) -> list[str]:
        left = derive_statuses([_application()], orders, payments, TOLERANCES)
        return types(match(left, books, rule, ctx))

    assert run([_payment("p1", ("so-1", "1130.00"))], [_order()]) == []
    assert run([_payment("p1", ("so-1", "500.00"))], [_order()]) == ["status_mismatch"]
    assert run([], []) == []
