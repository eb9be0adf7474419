"""End to end over real HTTP: the QuickBooks sandbox serves a known company; the real sync engine and
the registered `quickbooks` connector must reproduce it exactly — a full run, then an incremental run
through CDC with deletes and voids, multi-currency documents, a payment split over three invoices and
an invoice paid by two payments — and still do so with 5% each of 429s, 500s, truncated bodies and
expired access tokens."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import Engine

from connectors.sandbox.quickbooks.dataset import (
    QuickBooksDataset,
    Sizes,
    generate,
    shared_invoice,
    split_payment,
)
from connectors.sandbox.server import FaultPlan
from store.canonical import DocumentKey, DocumentKind, Status
from store.repository import SqlLedgerRepository
from tests.conftest import FixedClock
from tests.connectors.quickbooks.support import SandboxClock, quickbooks_connector, sandbox
from tests.e2e.sync_support import assert_ledger_is_the_truth, assert_synced_the_change, sync, tokens

pytestmark = pytest.mark.slow

SOURCE = "qbo"


def company(clock: FixedClock, sizes: Sizes, seed: int = 7) -> QuickBooksDataset:
    return generate(sizes, seed=seed, start=clock.now - timedelta(days=3))


def change_the_truth(data: QuickBooksDataset) -> dict[str, int]:
    """Paid, voided, deleted and new invoices, a deleted payment, all an hour after the rest."""
    at = data.latest() + timedelta(hours=1)
    open_ = [d for d in data.live("Invoice") if d.status is Status.OPEN]
    for doc in open_[:4]:
        data.edit("Invoice", doc.external_id, at, balance=Decimal(0), status=Status.PAID)
    for doc in open_[4:6]:
        data.void("Invoice", doc.external_id, at)
    for doc in open_[6:9]:
        data.delete("Invoice", doc.external_id, at)
    for n in range(2):
        data.put("Invoice", open_[10 + n].model_copy(
            update={"external_id": str(9_000_000 + n), "number": f"NEW-{n}", "source_modified_at": at}
        ))  # fmt: skip
    unsplit = next(p for p in data.live("Payment") if len(p.allocations) == 1 and p.balance == 0)
    data.delete("Payment", unsplit.external_id, at)
    return {"edited": 6, "deleted": 3, "created": 2}


def test_over_2000_records_full_then_incremental_through_cdc_equal_the_sandbox_truth(
    engine: Engine, clock: FixedClock, tmp_path: Path
) -> None:
    data = company(
        clock, Sizes(customers=150, invoices=1_500, payments=700, credit_memos=80, sales_receipts=80)
    )
    ticks = SandboxClock()
    box = sandbox(data, clock, ticks)
    query, cdc = f"/v3/company/{box.realm_id}/query", f"/v3/company/{box.realm_id}/cdc"
    with box, quickbooks_connector(box, tokens(engine, clock, tmp_path), clock, ticks) as connector:
        first = sync(engine, clock, connector)
        assert sum(r.fetched for r in first.values()) > 2_000
        assert first["invoices"].created == 1_500
        assert_ledger_is_the_truth(engine, data, SOURCE)

        ledger = SqlLedgerRepository(engine)
        split = split_payment(data)
        stored = ledger.get(
            DocumentKey(source=SOURCE, kind=DocumentKind.PAYMENT, external_id=split.external_id)
        )
        assert stored is not None
        assert len(stored.allocations) == 3
        shared = shared_invoice(data)
        payers = [p for p in ledger.iter_documents(source=SOURCE, kind=DocumentKind.PAYMENT)
                  if any(a.invoice_external_id == shared for a in p.allocations)]  # fmt: skip
        assert len(payers) == 2
        currencies = {
            d.currency: d.exchange_rate
            for d in ledger.iter_documents(source=SOURCE, kind=DocumentKind.INVOICE)
        }
        assert currencies == {"CNY": Decimal(1), "USD": Decimal("7.1345"), "EUR": Decimal("7.7021")}

        changed = change_the_truth(data)
        clock.advance(hours=2)
        box.server.reset_counts()
        second = sync(engine, clock, connector)
        assert_synced_the_change(second, changed)
        assert box.server.request_counts[cdc] == 6  # one CDC call per stream
        assert query not in box.server.request_counts  # nothing read by the query endpoint
        assert_ledger_is_the_truth(engine, data, SOURCE)
        voided = [
            d
            for d in ledger.iter_documents(source=SOURCE, kind=DocumentKind.INVOICE)
            if d.status is Status.VOID
        ]
        assert len(voided) == 3  # the company's own and the two of this run
        assert set(box.minor_versions) == {"75"}


def test_a_cursor_older_than_30_days_reads_the_query_endpoint_and_the_sweep_finds_the_deletes(
    engine: Engine, clock: FixedClock, tmp_path: Path
) -> None:
    data = company(clock, Sizes(customers=30, invoices=300, payments=100, credit_memos=10, sales_receipts=10))
    ticks = SandboxClock()
    box = sandbox(data, clock, ticks)
    with box, quickbooks_connector(box, tokens(engine, clock, tmp_path), clock, ticks) as connector:
        sync(engine, clock, connector)
        change_the_truth(data)
        clock.advance(days=40)
        box.server.reset_counts()
        sync(engine, clock, connector, sweep=True)
        assert f"/v3/company/{box.realm_id}/cdc" not in box.server.request_counts
        assert_ledger_is_the_truth(engine, data, SOURCE)


def test_with_five_percent_each_of_429_500_truncated_bodies_and_token_expiry_the_ledger_is_still_the_truth(
    engine: Engine, clock: FixedClock, tmp_path: Path
) -> None:
    data = company(
        clock, Sizes(customers=60, invoices=700, payments=300, credit_memos=30, sales_receipts=30), seed=11
    )
    faults = FaultPlan(rate_429=0.05, rate_500=0.05, rate_truncated=0.05, rate_token_expiry=0.05, seed=5)
    ticks = SandboxClock()
    box = sandbox(data, clock, ticks, faults=faults)
    with box, quickbooks_connector(box, tokens(engine, clock, tmp_path), clock, ticks) as connector:
        for _ in range(4):  # four full passes: enough calls that every fault is met
            sync(engine, clock, connector, full=True)
        change_the_truth(data)
        clock.advance(hours=2)
        sync(engine, clock, connector)
        assert_ledger_is_the_truth(engine, data, SOURCE)
    assert box.oauth.refreshes >= 2  # expired access tokens were met with refreshes (each one rotated)
    assert sum(box.server.request_counts.values()) > 40
