"""The ledger repository on both databases: one page, one transaction; history only for real changes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import Engine

import store.repository
from connectors.base import Page
from store.canonical import Allocation, ChangeKind, DocumentKey, DocumentKind, Line, PartyRef, Status
from store.ledger_rows import LedgerRow
from store.reconcile_repository import DocumentSet, SqlReconcileRepository
from store.repository import Deletion, Incoming, RunRef, SqlLedgerRepository, _planned_for_now
from store.runs import SqlSyncLog
from sync.engine import normalize_page
from tests.conftest import table_counts
from tests.fakes import T0, ListStream, record

NOW = datetime(2026, 11, 27, 8, 0, tzinfo=UTC)


def _page(*records: dict[str, Any]) -> tuple[list[Incoming], Any, Any]:
    return normalize_page("shop", ListStream([]), Page(records=list(records)))


def _run(engine: Engine) -> RunRef:
    return SqlSyncLog(engine).start("shop", "invoices", mode="incremental", since=None, now=NOW)


def _apply(engine: Engine, *records: dict[str, Any], run: RunRef | None = None, **options: Any) -> Any:
    incoming, rejects, deletions = _page(*records)
    return SqlLedgerRepository(engine).apply_page(
        run or _run(engine), documents=incoming, rejects=rejects, deletions=deletions, now=NOW, **options
    )


def _key(number: int) -> DocumentKey:
    return DocumentKey(source="shop", kind=DocumentKind.INVOICE, external_id=f"INV-{number}")


def test_a_stored_document_reads_back_exactly_with_lines_allocations_and_references(engine: Engine) -> None:
    rich = record(
        1,
        total="98765432109.1234",
        subtotal="0.3",
        tax="-0.0001",
        exchange_rate="7.123456789",
        issued_on="2026-11-01",
        due_on="2026-12-01",
        owner="王芳",
        status="partially_paid",
        raw_status="Partially Paid",
        references={"sales_order": "SO-9", "crm_id": "4150868000000624001"},
        allocations=[{"invoice_external_id": "INV-0", "amount": "12.5", "target_kind": "sales_order"}],
        lines=[
            {
                "product": "A",
                "quantity": "1.5",
                "unit_price": "2",
                "amount": "3",
                "tax": "0.39",
                "sku": "S-1",
            },
            {"description": "freight", "amount": "10.00"},
        ],
    )
    _apply(engine, rich)
    stored = SqlLedgerRepository(engine).get(_key(1))
    assert stored is not None
    assert stored.total == Decimal("98765432109.1234")
    assert stored.exchange_rate == Decimal("7.123456789")
    assert stored.party == PartyRef(external_id="C1", name="上海申远贸易有限公司")
    assert stored.references == {"sales_order": "SO-9", "crm_id": "4150868000000624001"}
    assert stored.allocations == (
        Allocation(invoice_external_id="INV-0", amount=Decimal("12.5"), target_kind=DocumentKind.SALES_ORDER),
    )
    assert [line.description for line in stored.lines] == [None, "freight"]
    assert stored.lines[0] == Line(
        product="A",
        quantity=Decimal("1.5"),
        unit_price=Decimal(2),
        amount=Decimal(3),
        tax=Decimal("0.39"),
        sku="S-1",
    )
    assert stored.status is Status.PARTIALLY_PAID
    assert stored.revision == 1
    normalized = _page(rich)[0][0].document
    assert stored == normalized.model_copy(update={"revision": 1})
    assert stored.to_json_dict()["total"] == "98765432109.1234"
    assert stored.to_json_dict()["subtotal"] == "0.30"


_COMPONENTS = ("discount", "shipping", "adjustment", "rounding", "tax_inclusive")


@pytest.mark.parametrize(
    "components",
    [
        {"discount": "1234.5678", "shipping": "0", "adjustment": "-0.0001", "rounding": "0.01"},
        {"discount": "0", "shipping": "98765432109.1234", "adjustment": "0", "tax_inclusive": True},
        {"rounding": "-0.49", "tax_inclusive": False},
        {},
    ],
    ids=["exclusive-unknown", "inclusive", "partly-unknown", "all-unknown"],
)
def test_total_components_read_back_exactly_and_unknown_stays_unknown_not_zero(
    engine: Engine, components: dict[str, Any]
) -> None:
    _apply(engine, record(1, subtotal="10", tax="1.3", **components))
    stored = SqlLedgerRepository(engine).get(_key(1))
    assert stored is not None
    for name in _COMPONENTS:
        expected = components.get(name)
        value = getattr(stored, name)
        if expected is None or isinstance(expected, bool):
            assert value is expected, name
        else:
            assert value == Decimal(expected), name
    assert stored == _page(record(1, subtotal="10", tax="1.3", **components))[0][0].document.model_copy(
        update={"revision": 1}
    )
    [row] = SqlReconcileRepository(engine).load_rows(DocumentSet(source="shop", kind="invoice", filters={}))
    assert row.doc_id is not None
    # allocations are loaded only for settlement sides (None here); every other field is the document's
    assert row._replace(allocations=()) == LedgerRow.of(stored, doc_id=row.doc_id)


def test_a_changed_total_component_is_a_new_revision_and_the_row_follows_it(engine: Engine) -> None:
    _apply(engine, record(1, discount="5.00", tax_inclusive=False))
    counts = _apply(engine, record(1, discount="7.50", tax_inclusive=True, shipping="2"))
    assert counts.updated == 1
    stored = SqlLedgerRepository(engine).get(_key(1))
    assert stored is not None
    assert (stored.discount, stored.shipping, stored.tax_inclusive) == (Decimal("7.50"), Decimal(2), True)
    [row] = SqlReconcileRepository(engine).load_rows(DocumentSet(source="shop", kind="invoice", filters={}))
    assert (row.discount, row.shipping, row.adjustment, row.tax_inclusive) == (75000, 20000, None, True)


def test_the_same_page_twice_adds_no_revision(engine: Engine) -> None:
    first = _apply(engine, record(1), record(2))
    second = _apply(engine, record(1), record(2))
    assert (first.created, second.created, second.unchanged, second.updated) == (2, 0, 2, 0)
    assert table_counts(engine, "revisions")["revisions"] == 2


def test_a_changed_record_adds_exactly_one_revision_and_replaces_its_lines(engine: Engine) -> None:
    _apply(engine, record(1), record(2))
    counts = _apply(engine, record(1, total="250.00"), record(2))
    assert (counts.updated, counts.unchanged) == (1, 1)
    repository = SqlLedgerRepository(engine)
    history = repository.history(_key(1))
    assert [(r.revision, r.change) for r in history] == [(1, ChangeKind.CREATED), (2, ChangeKind.UPDATED)]
    assert history[1].document.total == Decimal("250.00")
    assert '"total":"250.00"' in history[1].raw_payload
    current = repository.get(_key(1))
    assert current is not None
    assert current.revision == 2
    assert [line.amount for line in current.lines] == [Decimal("250.00")]
    assert table_counts(engine, "document_lines")["document_lines"] == 2


def test_a_tombstone_marks_the_document_deleted_and_its_return_restores_it(engine: Engine) -> None:
    run = _run(engine)
    _apply(engine, record(1), run=run)
    gone = Deletion(external_id="INV-1", raw_json='{"_deleted":true}', payload_hash="d" * 64)
    repository = SqlLedgerRepository(engine)
    counts = repository.apply_page(run, deletions=[gone, gone], now=NOW)
    assert counts.deleted == 1
    assert repository.apply_page(run, deletions=[gone], now=NOW).deleted == 0  # already deleted
    deleted = repository.get(_key(1))
    assert deleted is not None
    assert (deleted.deleted, deleted.revision) == (True, 2)
    _apply(engine, record(1), run=run)
    history = repository.history(_key(1))
    assert [r.change for r in history] == [ChangeKind.CREATED, ChangeKind.DELETED, ChangeKind.RESTORED]
    assert [(r.document.revision, r.document.deleted) for r in history] == [(1, False), (2, True), (3, False)]
    restored = repository.get(_key(1))
    assert restored is not None
    assert (restored.deleted, restored.revision) == (False, 3)


def test_a_rejected_record_is_quarantined_once_counted_and_resolved_when_it_later_normalizes(
    engine: Engine,
) -> None:
    bad = record(1, total="abc")
    _apply(engine, bad, record(2))
    _apply(engine, bad)
    log = SqlSyncLog(engine)
    [entry] = log.quarantined()
    assert (entry.external_id, entry.count, entry.stream) == ("INV-1", 2, "invoices")
    assert "total" in entry.reason
    assert '"total":"abc"' in entry.raw_payload
    _apply(engine, record(1))
    assert log.quarantined() == []
    assert log.quarantined(include_resolved=True)[0].resolved_at == NOW


def test_a_failure_inside_a_page_leaves_no_trace_of_that_page(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    run = _run(engine)
    _apply(engine, record(1), run=run, cursor=T0)

    def explode(*args: object, **kwargs: object) -> None:
        raise RuntimeError("disk full")

    monkeypatch.setattr(store.repository, "_insert_revisions", explode)
    with pytest.raises(RuntimeError, match="disk full"):
        _apply(engine, record(2), record(3), run=run, cursor=T0 + timedelta(days=1), fetched=2)
    assert table_counts(engine, "documents", "document_lines")["documents"] == 1
    assert SqlSyncLog(engine).cursor("shop", "invoices") == T0
    assert SqlSyncLog(engine).run(run.id).fetched == 0


def test_the_cursor_never_moves_backward(engine: Engine) -> None:
    run = _run(engine)
    _apply(engine, record(1), run=run, cursor=T0 + timedelta(hours=2))
    _apply(engine, record(2), run=run, cursor=T0 + timedelta(hours=1))
    assert SqlSyncLog(engine).cursor("shop", "invoices") == T0 + timedelta(hours=2)


def test_documents_stream_back_in_batches_with_filters(engine: Engine) -> None:
    records = [record(n) for n in range(1, 1201)]
    records += [{**record(n), "kind": "payment", "external_id": f"PAY-{n}", "lines": []} for n in range(1, 4)]
    run = _run(engine)
    for start in range(0, len(records), 400):
        _apply(engine, *records[start : start + 400], run=run)
    repository = SqlLedgerRepository(engine)
    everything = list(repository.iter_documents(source="shop"))
    assert len(everything) == 1203
    assert [d.external_id for d in everything[:3]] == ["INV-1", "INV-2", "INV-3"]
    assert [d.external_id for d in repository.iter_documents(kind=DocumentKind.PAYMENT)] == [
        "PAY-1",
        "PAY-2",
        "PAY-3",
    ]
    assert list(repository.iter_documents(source="other")) == []
    assert len(list(repository.iter_documents(kinds=["payment", "invoice"]))) == 1203


@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
def test_the_page_key_lookup_is_planned_for_the_ledger_of_now(engine: Engine) -> None:
    """PostgreSQL keeps a generic plan for a statement psycopg prepared, made while a fresh ledger was
    empty; the key lookup then got slower with every page (a first sync of 30,000 records into a new
    database: 2,500 records/s, 8.4 s in the lookup; planned per page: 8,400 records/s, 0.2 s). The lookup
    runs with custom plans, and the transaction's setting is back to the server's default afterwards."""
    with engine.begin() as conn:
        default = conn.exec_driver_sql("SHOW plan_cache_mode").scalar_one()
        with _planned_for_now(conn):
            assert conn.exec_driver_sql("SHOW plan_cache_mode").scalar_one() == "force_custom_plan"
        assert conn.exec_driver_sql("SHOW plan_cache_mode").scalar_one() == default
