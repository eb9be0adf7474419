"""End to end: the Zoho sandbox serves a known truth; the real sync engine must reproduce it exactly,
read only what changed on an incremental run, and survive injected faults."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import Engine

from config.settings import ZohoBooksSettings, ZohoCrmSettings
from connectors.base import Connector, ConnectorDeps, NormalizeContext
from connectors.sandbox.server import FaultPlan
from connectors.sandbox.zoho import (
    BOOKS_COLLECTIONS,
    CRM_MODULES,
    ZohoDataset,
    ZohoSandbox,
    ZohoSandboxOptions,
)
from connectors.sandbox.zoho.dataset import System
from store.canonical import DocumentKind, Status
from store.repository import SqlLedgerRepository
from store.runs import SqlSyncLog
from store.secrets import KEY_ENV, SecretBox, SqlTokenStore
from sync.bootstrap import FACTORIES, ConnectorTokenStore
from sync.engine import SyncEngine, SyncRunResult
from tests.conftest import FixedClock
from tests.connectors.zoho.sample import SampleSizes, sample_dataset

pytestmark = pytest.mark.slow

CREDENTIALS = {
    "client_id": "1000.SANDBOXCLIENT",
    "client_secret": "sandbox-secret",
    "refresh_token": "1000.sandbox-refresh-token",
}
FAST = {"requests_per_minute": 1_000_000, "concurrency": 4}
OVERLAP = timedelta(minutes=5)
SIZES = SampleSizes(crm_invoices=2_150, crm_sales_orders=40, books_invoices=60, books_payments=30)


@contextmanager
def zoho_connectors(
    engine: Engine, clock: FixedClock, url: str, tmp_path: Path
) -> Iterator[tuple[Connector, Connector]]:
    """Both Zoho connectors built by the registered factories, with the real encrypted token store and
    a no-op sleep (retries and the rate limiter never wait in tests)."""
    box = SecretBox(tmp_path / "key", {KEY_ENV: Fernet.generate_key().decode()})
    tokens = ConnectorTokenStore(SqlTokenStore(engine, box, clock))

    def deps(source: str) -> ConnectorDeps:
        context = NormalizeContext(source=source, timezone=ZoneInfo("Asia/Shanghai"), base_currency="CNY")
        return ConnectorDeps(tokens, lambda v: v, context, clock, sleep=lambda _: None)

    endpoints = {"accounts_url": url}
    crm_settings = ZohoCrmSettings(
        name="zoho-crm", kind="zoho_crm", credentials=CREDENTIALS, endpoints=endpoints, limits=FAST
    )
    books_settings = ZohoBooksSettings(
        name="zoho-books",
        kind="zoho_books",
        organization_id="10234695",
        credentials=CREDENTIALS,
        endpoints=endpoints,
        limits=FAST,
    )
    crm = FACTORIES["zoho_crm"](crm_settings, deps("zoho-crm"))
    books = FACTORIES["zoho_books"](books_settings, deps("zoho-books"))
    try:
        yield crm, books
    finally:
        crm.close()
        books.close()


def sync(engine: Engine, clock: FixedClock, connector: Connector, **options: Any) -> dict[str, SyncRunResult]:
    results = SyncEngine(engine, clock).run_connector(connector, overlap=OVERLAP, **options)
    failed = [(r.stream, r.error) for r in results if not r.ok]
    assert failed == []
    return {r.stream: r for r in results}


def assert_ledger_is_the_truth(engine: Engine, dataset: ZohoDataset, system: System, source: str) -> None:
    ledger = SqlLedgerRepository(engine)
    live = sorted(
        (
            d.model_copy(update={"revision": 0})
            for d in ledger.iter_documents(source=source, include_deleted=False)
        ),
        key=lambda d: (d.kind.value, d.external_id),
    )
    truth = dataset.truth(system, source=source)
    assert [d.key for d in live] == [d.key for d in truth]
    mismatches = [(a, b) for a, b in zip(live, truth, strict=True) if a != b]
    assert mismatches[:1] == []
    deleted = {(d.kind, d.external_id) for d in ledger.iter_documents(source=source) if d.deleted}
    assert deleted == dataset.deleted_ids(system)


def change_the_truth(dataset: ZohoDataset, at: datetime) -> dict[str, int]:
    """Edits, deletions and additions in both systems, all modified at `at`."""
    invoices = dataset.live("crm", DocumentKind.INVOICE)
    for doc in invoices[:5]:
        dataset.edit("crm", DocumentKind.INVOICE, doc.external_id, at, status=Status.PAID, raw_status="Paid")
    for doc in invoices[5:8]:
        dataset.delete("crm", DocumentKind.INVOICE, doc.external_id, at)
    dataset.delete(
        "crm", DocumentKind.SALES_ORDER, dataset.live("crm", DocumentKind.SALES_ORDER)[0].external_id, at
    )
    for n in range(2):
        template = invoices[10 + n]
        dataset.put(
            "crm",
            template.model_copy(
                update={
                    "external_id": f"57257709{n:011d}",
                    "number": f"INV-NEW-{n}",
                    "source_modified_at": at,
                }
            ),
        )
    books_invoice = dataset.live("books", DocumentKind.INVOICE)[0]
    dataset.edit(
        "books",
        DocumentKind.INVOICE,
        books_invoice.external_id,
        at,
        balance=Decimal(0),
        status=Status.PAID,
        raw_status="paid",
    )
    dataset.delete(
        "books", DocumentKind.SALES_ORDER, dataset.live("books", DocumentKind.SALES_ORDER)[0].external_id, at
    )
    payment = dataset.live("books", DocumentKind.PAYMENT)[0]
    dataset.edit(
        "books",
        DocumentKind.PAYMENT,
        payment.external_id,
        at,
        balance=Decimal(0),
        total=(payment.total or Decimal(0)) - (payment.balance or Decimal(0)),
    )
    return {"edited": 5, "deleted": 3, "created": 2}


def latest_change(dataset: ZohoDataset) -> datetime:
    """The newest modification time anywhere in the dataset (edits go after it)."""
    return max(
        d.source_modified_at
        for system, kinds in (("crm", CRM_MODULES), ("books", BOOKS_COLLECTIONS))
        for kind in kinds
        for d in dataset.live(system, kind)  # type: ignore[arg-type]
        if d.source_modified_at is not None
    )


def expected_rereads(dataset: ZohoDataset, since: datetime, *, edited_at: datetime) -> int:
    """Invoices an incremental run must fetch: those modified after `since` (the overlap window)."""
    return sum(
        1
        for d in dataset.live("crm", DocumentKind.INVOICE)
        if d.source_modified_at is not None and since < d.source_modified_at < edited_at
    )


def test_a_full_then_incremental_sync_reproduces_the_sandbox_truth_and_reads_only_changes(
    engine: Engine, clock: FixedClock, tmp_path: Path
) -> None:
    dataset = sample_dataset(SIZES)
    options = ZohoSandboxOptions(
        line_keys="lower",
        crm_offset="-07:00",
        books_list_allocations=False,
        books_modified_filter="exclusive",
    )
    sandbox = ZohoSandbox(dataset, options=options)
    with sandbox as url, zoho_connectors(engine, clock, url, tmp_path) as (crm, books):
        first = sync(engine, clock, crm)
        sync(engine, clock, books)
        assert first["invoices"].created == 2_150
        assert sandbox.server.request_counts["/crm/v8/Invoices"] == 11  # 10 pages, then one page_token
        assert_ledger_is_the_truth(engine, dataset, "crm", "zoho-crm")
        assert_ledger_is_the_truth(engine, dataset, "books", "zoho-books")

        cursor = SqlSyncLog(engine).cursor("zoho-crm", "invoices")
        assert cursor is not None
        edited_at = latest_change(dataset) + timedelta(hours=1)
        changed = change_the_truth(dataset, edited_at)
        clock.advance(hours=2)
        sandbox.server.reset_counts()

        second = sync(engine, clock, crm)
        sync(engine, clock, books, sweep=True)

        counts = sandbox.server.request_counts
        assert counts["/crm/v8/Invoices"] == 1  # one page of changes, no full re-read
        assert counts["/crm/v8/Invoices/deleted"] == 1
        invoices = second["invoices"]
        assert (invoices.created, invoices.updated, invoices.deleted) == (
            changed["created"],
            changed["edited"],
            changed["deleted"],
        )
        rereads = expected_rereads(dataset, cursor - OVERLAP, edited_at=edited_at)
        assert invoices.fetched == changed["created"] + changed["edited"] + changed["deleted"] + rereads
        assert invoices.unchanged == rereads
        assert counts["/oauth/v2/token"] == 1  # two hours later: one refresh, shared by CRM and Books
        assert_ledger_is_the_truth(engine, dataset, "crm", "zoho-crm")
        assert_ledger_is_the_truth(engine, dataset, "books", "zoho-books")


def test_with_five_percent_each_of_429_500_truncated_bodies_and_early_token_expiry_the_ledger_is_still_the_truth(
    engine: Engine, clock: FixedClock, tmp_path: Path
) -> None:
    dataset = sample_dataset(SIZES, seed=11)
    faults = FaultPlan(rate_429=0.05, rate_500=0.05, rate_truncated=0.05, rate_token_expiry=0.05, seed=3)
    options = ZohoSandboxOptions(line_keys="title", crm_offset="+08:00", books_list_allocations=True)
    sandbox = ZohoSandbox(dataset, faults=faults, options=options)
    with sandbox as url, zoho_connectors(engine, clock, url, tmp_path) as (crm, books):
        sync(engine, clock, crm)
        sync(engine, clock, books)
        edited_at = latest_change(dataset) + timedelta(hours=1)
        change_the_truth(dataset, edited_at)
        clock.advance(hours=2)
        sync(engine, clock, crm)
        sync(engine, clock, books, sweep=True)

        assert_ledger_is_the_truth(engine, dataset, "crm", "zoho-crm")
        assert_ledger_is_the_truth(engine, dataset, "books", "zoho-books")
    assert sandbox.refresh_count >= 2  # early expiries were met with refreshes
