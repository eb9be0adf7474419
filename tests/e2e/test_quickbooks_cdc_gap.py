"""A QuickBooks connector stopped for more than CDC's 30 days (api-notes §1.4: CDC looks back 30 days;
transactions are hard-deleted, only CDC or a sweep tells [27]): the next incremental run, over real
HTTP against the sandbox and without `--sweep`, reads a full query pass and sweeps with its ids, so an
invoice and a payment deleted during the gap become tombstones — in the daemon's path too."""

from __future__ import annotations

import threading
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import Engine

from connectors.sandbox.quickbooks.dataset import QuickBooksDataset, Sizes, generate
from store.canonical import DocumentKey, DocumentKind, Status
from store.repository import SqlLedgerRepository
from store.runs import SqlSyncLog
from sync.daemon import _Watched
from tests.conftest import FixedClock
from tests.connectors.quickbooks.support import SandboxClock, quickbooks_connector, sandbox
from tests.e2e.sync_support import assert_ledger_is_the_truth, sync, tokens

pytestmark = pytest.mark.slow

SOURCE = "qbo"
SIZES = Sizes(customers=10, invoices=60, payments=20, credit_memos=4, sales_receipts=4)


def _delete_during_the_gap(data: QuickBooksDataset, clock: FixedClock) -> tuple[str, str, str]:
    """An invoice and a payment deleted and an invoice paid, a day into a 40-day gap."""
    at = clock.now + timedelta(days=1)
    open_ = [d for d in data.live("Invoice") if d.status is Status.OPEN]
    gone_invoice, paid = open_[0].external_id, open_[1].external_id
    data.delete("Invoice", gone_invoice, at)
    data.edit("Invoice", paid, at, balance=Decimal(0), status=Status.PAID)
    unsplit = next(p for p in data.live("Payment") if len(p.allocations) == 1)
    data.delete("Payment", unsplit.external_id, at)
    clock.now += timedelta(days=40)
    return gone_invoice, paid, unsplit.external_id


def _deleted(engine: Engine, kind: DocumentKind, external_id: str) -> bool:
    stored = SqlLedgerRepository(engine).get(DocumentKey(source=SOURCE, kind=kind, external_id=external_id))
    assert stored is not None
    return stored.deleted


@pytest.mark.parametrize("through_the_daemon", [False, True], ids=["sync-run", "daemon"])
def test_deletes_during_a_gap_longer_than_cdc_reaches_become_tombstones_without_asking_for_a_sweep(
    engine: Engine, clock: FixedClock, tmp_path: Path, through_the_daemon: bool
) -> None:
    data = generate(SIZES, seed=11, start=clock.now - timedelta(days=3))
    ticks = SandboxClock()
    box = sandbox(data, clock, ticks)
    with box, quickbooks_connector(box, tokens(engine, clock, tmp_path), clock, ticks) as connector:
        sync(engine, clock, connector)
        clock.now += timedelta(hours=2)
        within = sync(engine, clock, connector)  # a fresh cursor: CDC, no sweep
        assert {r.mode for r in within.values()} == {"incremental"}

        gone_invoice, paid, gone_payment = _delete_during_the_gap(data, clock)
        box.server.reset_counts()
        reader = _Watched(connector, threading.Event(), []) if through_the_daemon else connector
        after = sync(engine, clock, reader)

        assert after["invoices"].mode == "sweep"
        assert after["invoices"].deleted == 1
        assert after["payments"].deleted == 1
        assert _deleted(engine, DocumentKind.INVOICE, gone_invoice)
        assert _deleted(engine, DocumentKind.PAYMENT, gone_payment)
        assert not _deleted(engine, DocumentKind.INVOICE, paid)
        assert_ledger_is_the_truth(engine, data, SOURCE)

        served = box.server.request_counts
        assert not any(path.endswith("/cdc") for path in served), "CDC cannot reach the cursor: not asked"
        query = f"/v3/company/{box.realm_id}/query"
        # Every stream's company fits one page: one query call each, the sweep takes the pass's ids.
        assert served[query] == len(after), "no second query pass for the sweep"

        statuses = {s.stream: s for s in SqlSyncLog(engine).statuses()}
        assert statuses["invoices"].last_sweep_at is not None

        clock.now += timedelta(hours=1)
        settled = sync(engine, clock, reader)  # the cursor is fresh again: back to CDC, no sweep
        assert {r.mode for r in settled.values()} == {"incremental"}
