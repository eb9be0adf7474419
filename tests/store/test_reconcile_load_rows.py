"""load_rows: the same rows as before, with every value that repeats across documents held once."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy import Engine

from store.canonical import CanonicalDocument, DocumentKind, Line, PartyRef, Status
from store.ledger_rows import LedgerRow
from store.reconcile_repository import DocumentSet, SqlReconcileRepository
from tests.e2e.report_support import store_documents


def _invoice(n: int, **fields: object) -> CanonicalDocument:
    return CanonicalDocument(
        source="books",
        kind=DocumentKind.INVOICE,
        external_id=f"inv-{n}",
        number=f"INV-{n:04d}",
        party=PartyRef(external_id="acc-1", name="上海星辰贸易有限公司"),
        owner="li.na",
        issued_on=date(2026, 10, 8),
        due_on=date(2026, 11, 7),
        currency="USD",
        exchange_rate=Decimal("7.1234"),
        status=Status.OPEN,
        subtotal=Decimal("100.00"),
        tax=Decimal("13.00"),
        total=Decimal("113.00"),
        lines=(Line(amount=Decimal("60.00")), Line(amount=Decimal("40.00"))),
        **fields,
    )


def test_rows_equal_the_documents_and_share_each_repeated_value(engine: Engine) -> None:
    documents = [_invoice(1), _invoice(2), _invoice(3, references={"sales_order": "so-3"}, deleted=True)]
    store_documents(engine, documents)
    rows = SqlReconcileRepository(engine).load_rows(DocumentSet(source="books", kind="invoice", filters={}))
    rows.sort(key=lambda r: r.external_id)
    for row, document in zip(rows, documents, strict=True):
        assert row.doc_id is not None
        # allocations: None when the set is not read with them and the document has no references
        expected = LedgerRow.of(document, doc_id=row.doc_id)
        assert row._replace(allocations=()) == expected._replace(allocations=())
        assert type(row.deleted) is bool
        assert type(row.issued_on) is date
        assert type(row.lines_total) is int
    first, second, third = rows
    assert third.deleted is True
    assert third.references == {"sales_order": "so-3"}
    # Two million rows fit in memory because these are one object each, not one per row.
    for name in (
        "source",
        "kind",
        "party_id",
        "party_name",
        "owner",
        "issued_on",
        "due_on",
        "currency",
        "rate",
    ):
        assert getattr(first, name) is getattr(second, name) is getattr(third, name), name
    # A lines total equal to the subtotal is the subtotal's own int.
    assert first.lines_total == first.subtotal
    assert first.lines_total is first.subtotal
