"""Fixtures for the report tests: a small hand-made ledger whose figures are computed by hand."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from store.canonical import Allocation, CanonicalDocument, Status
from tests.unit.report.report_fixtures import make_doc


@pytest.fixture
def o2c_ledger() -> list[CanonicalDocument]:
    """Orders, invoices, a credit note and payments of two customers and two salespeople.

    Hand-computed, as of 2026-11-20 (see test_o2c.py for the expected figures).
    """
    oct_ = date(2026, 10, 1)
    return [
        make_doc("sales_order", "SO-1", party="Acme", owner="Li", total="1000.00", issued_on=oct_),
        make_doc(
            "sales_order", "SO-2", party="Beta", owner="Wang", total="500.00", issued_on=date(2026, 10, 15)
        ),
        make_doc(
            "invoice",
            "INV-1",
            party="Acme",
            owner="Li",
            total="1000.00",
            balance="400.00",
            issued_on=date(2026, 10, 2),
            due_on=date(2026, 10, 31),
        ),
        make_doc(
            "invoice",
            "INV-2",
            party="Beta",
            owner="Wang",
            total="300.00",
            balance="300.00",
            issued_on=date(2026, 10, 16),
            due_on=date(2026, 12, 1),
        ),
        make_doc(
            "invoice",
            "INV-3",
            party="Acme",
            owner="Li",
            currency="USD",
            total="200.00",
            balance="200.00",
            issued_on=date(2026, 7, 1),
            due_on=date(2026, 8, 1),
        ),
        make_doc(
            "invoice", "INV-4", party="Acme", owner="Li", total="999.00", status=Status.VOID, issued_on=oct_
        ),
        make_doc(
            "invoice",
            "INV-5",
            party="Beta",
            owner="Wang",
            total="888.00",
            status=Status.DRAFT,
            issued_on=oct_,
        ),
        make_doc(
            "invoice", "INV-6", party="Beta", owner="Wang", total="777.00", deleted=True, issued_on=oct_
        ),
        make_doc(
            "credit_note", "CN-1", party="Acme", owner="Li", total="50.00", issued_on=date(2026, 10, 20)
        ),
        make_doc(
            "payment",
            "PAY-1",
            party="Acme",
            total="600.00",
            issued_on=date(2026, 10, 10),
            allocations=(Allocation(invoice_external_id="INV-1", amount=Decimal("600.00")),),
        ),
        make_doc("payment", "PAY-2", party="Beta", total="100.00", issued_on=date(2026, 10, 20)),
    ]
