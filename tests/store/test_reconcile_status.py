"""Deriving an invoice application's status from the store, on SQLite and PostgreSQL: the orders and
payments `order_collections` reads, and a reconcile run that compares the derived status."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import Engine

from config.settings import Settings
from store.canonical import Allocation, CanonicalDocument, DocumentKind, PartyRef, Status
from store.reconcile_repository import SqlReconcileRepository
from sync.reconcile_job import run_rules
from tests.conftest import FixedClock
from tests.e2e.report_support import store_documents

FX, BOOKS = "fxiaoke", "zoho-books"


def _doc(
    kind: DocumentKind, external_id: str, total: str, *, source: str = FX, **fields: object
) -> CanonicalDocument:
    fields.setdefault("currency", "CNY")
    return CanonicalDocument(
        source=source,
        kind=kind,
        external_id=external_id,
        number=str(fields.pop("number", external_id.upper())),
        party=PartyRef(external_id="acc-1", name="上海星辰贸易有限公司"),
        owner="li.na",
        issued_on=date(2026, 10, 8),
        total=Decimal(total),
        **fields,  # type: ignore[arg-type]
    )


def _payment(external_id: str, *allocations: tuple[str, str], **fields: object) -> CanonicalDocument:
    kind = fields.pop("target_kind", DocumentKind.SALES_ORDER)
    return _doc(
        DocumentKind.PAYMENT,
        external_id,
        str(sum((Decimal(a) for _, a in allocations), Decimal(0))),
        allocations=tuple(
            Allocation(invoice_external_id=o, amount=Decimal(a), target_kind=kind)  # type: ignore[arg-type]
            for o, a in allocations
        ),
        **fields,
    )


def _application(external_id: str, order: str) -> CanonicalDocument:
    return _doc(
        DocumentKind.INVOICE,
        external_id,
        "1130.00",
        number=f"FP-{external_id}",
        status=Status.UNKNOWN,
        references={"invoice_application": f"KP-{external_id}", "sales_order": order},
    )


def test_order_collections_reads_the_named_orders_and_every_payment_against_them(
    engine: Engine, clock: FixedClock
) -> None:
    store_documents(
        engine,
        [
            _doc(DocumentKind.SALES_ORDER, "so-1", "1130.00"),
            _doc(DocumentKind.SALES_ORDER, "so-3", "50.00"),
            _doc(DocumentKind.INVOICE, "so-2", "9.00"),  # an invoice, not the order so-2
            _payment("p1", ("so-1", "1000.00"), ("so-3", "50.00")),
            _payment("p2", ("so-1", "130.00"), status=Status.VOID),
            _payment("p3", ("so-1", "7.00"), deleted=True, status=Status.DELETED),
            _payment("p4", ("so-9", "10.00")),
            _payment("p5", ("so-1", "3.00"), target_kind=DocumentKind.INVOICE),
            _payment("b1", ("so-1", "1130.00"), source=BOOKS),
        ],
        now=clock(),
    )
    orders, payments = SqlReconcileRepository(engine).order_collections(FX, ["so-1", "so-2"])
    assert [(o.kind, o.external_id, o.total, o.currency, o.status, o.deleted) for o in orders] == [
        ("sales_order", "so-1", 11_300_000, "CNY", "open", False)
    ]
    by_id = {p.external_id: p for p in payments}
    assert sorted(by_id) == ["p1", "p2", "p3"]
    assert by_id["p1"].allocations == (("so-1", 10_000_000, "sales_order"), ("so-3", 500_000, "sales_order"))
    assert (by_id["p2"].status, by_id["p3"].deleted) == ("void", True)
    assert all(p.source == FX and p.kind == "payment" and p.doc_id is not None for p in payments)


def test_order_collections_of_no_order_reads_nothing(engine: Engine) -> None:
    assert SqlReconcileRepository(engine).order_collections(FX, []) == ([], [])


@pytest.mark.parametrize(("collected", "expected"), [("1130.00", []), ("500.00", ["status_mismatch"])])
def test_a_reconcile_run_compares_the_status_derived_from_the_orders_collections(
    engine: Engine, database_url: str, clock: FixedClock, collected: str, expected: list[str]
) -> None:
    """The Books invoice is paid: the Fxiaoke application agrees when its order is fully collected."""
    store_documents(
        engine,
        [
            _application("app-1", "so-1"),
            _doc(DocumentKind.SALES_ORDER, "so-1", "1130.00"),
            _payment("p1", ("so-1", collected)),
            _doc(
                DocumentKind.INVOICE, "inv-1", "1130.00", source=BOOKS, number="FP-app-1", status=Status.PAID
            ),
        ],
        now=clock(),
    )
    rule = {
        "name": "fxiaoke-vs-books-invoices",
        "left": {"source": FX, "kind": "invoice"},
        "right": {"source": BOOKS, "kind": "invoice"},
        "compare": ["total", "status"],
        "audit": [],
    }
    settings = Settings.model_validate(
        {"database_url": database_url, "base_currency": "CNY", "reconcile": {"rules": [rule]}}
    )
    [run] = run_rules(engine, settings, dry_run=True, clock=clock)
    assert sorted(d.type.value for d in run.result.discrepancies) == expected
    if expected:
        [found] = run.result.discrepancies
        assert [(f.left, f.right) for f in found.fields] == [("open", "paid")]


def test_an_invoice_keeps_its_unknown_status_when_the_sources_payment_allocations_are_unknown(
    engine: Engine, database_url: str, clock: FixedClock
) -> None:
    """A tenant without OrderPaymentObj: payments carry no allocations and an unknown balance, so no
    order looks uncollected — the application is not called open against a paid Books invoice."""
    store_documents(
        engine,
        [
            _application("app-1", "so-1"),
            _doc(DocumentKind.SALES_ORDER, "so-1", "1130.00"),
            _doc(DocumentKind.PAYMENT, "p1", "1130.00", balance=None, references={"sales_order": "so-1"}),
            _doc(
                DocumentKind.INVOICE, "inv-1", "1130.00", source=BOOKS, number="FP-app-1", status=Status.PAID
            ),
        ],
        now=clock(),
    )
    repo = SqlReconcileRepository(engine)
    assert repo.allocations_unknown(FX) is True
    assert repo.allocations_unknown(BOOKS) is False
    rule = {
        "name": "fxiaoke-vs-books-invoices",
        "left": {"source": FX, "kind": "invoice"},
        "right": {"source": BOOKS, "kind": "invoice"},
        "compare": ["total", "status"],
        "audit": [],
    }
    settings = Settings.model_validate(
        {"database_url": database_url, "base_currency": "CNY", "reconcile": {"rules": [rule]}}
    )
    [run] = run_rules(engine, settings, dry_run=True, clock=clock)
    assert run.result.discrepancies == ()
