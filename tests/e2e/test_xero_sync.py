"""End to end over real HTTP: the Xero sandbox serves a known organisation; the real sync engine and the
registered `xero` connector must reproduce it exactly, read only changes on an incremental run, survive
injected faults, pace by Xero's limit headers, and stop on the daily limit with its reset time."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import Engine

from connectors.sandbox.server import FaultPlan
from connectors.sandbox.xero import XeroDataset, XeroSandboxOptions, xero_id
from store.canonical import DocumentKind, Status
from store.repository import SqlLedgerRepository
from sync.engine import SyncEngine
from tests.check_lines import said
from tests.conftest import FakeTokenStore, FixedClock
from tests.connectors.xero.sample import Sizes, sample
from tests.connectors.xero.support import SandboxClock, sandbox, xero_connector
from tests.e2e.sync_support import OVERLAP, assert_ledger_is_the_truth, assert_synced_the_change, sync, tokens

pytestmark = pytest.mark.slow


def change_the_truth(data: XeroDataset) -> dict[str, int]:
    """Paid, voided, deleted and new invoices, a deleted payment, all modified an hour after the rest."""
    at = data.latest() + timedelta(hours=1)
    invoices = [d for d in data.live("Invoices") if d.raw_status == "AUTHORISED" and d.status is Status.OPEN]
    for doc in invoices[:4]:
        data.edit("Invoices", doc.external_id, at, balance=Decimal(0), status=Status.PAID, raw_status="PAID")
    for doc in invoices[4:6]:
        data.edit("Invoices", doc.external_id, at, status=Status.VOID, raw_status="VOIDED")
    for doc in invoices[6:9]:
        data.delete("Invoices", doc.external_id, at)
    for n in range(2):
        data.put("Invoices", invoices[10 + n].model_copy(
            update={"external_id": xero_id(f"new-{n}"), "number": f"INV-NEW-{n}", "source_modified_at": at}
        ))  # fmt: skip
    data.delete("Payments", data.live("Payments")[0].external_id, at)
    return {"edited": 6, "deleted": 3, "created": 2}


def test_over_2000_records_full_then_incremental_equal_the_sandbox_truth_and_the_second_run_reads_only_changes(
    engine: Engine, clock: FixedClock, tmp_path: Path
) -> None:
    data, _ = sample(Sizes(invoices=1_500))
    box = sandbox(data)
    with box as url, xero_connector(url, tokens(engine, clock, tmp_path), clock) as connector:
        first = sync(engine, clock, connector)
        assert sum(r.fetched for r in first.values()) > 2_000
        assert first["invoices"].created == 1_500 - 1  # and one DELETED row, kept as a tombstone
        assert box.server.request_counts["/api.xro/2.0/Invoices"] == 2  # pageSize=1000: two pages
        assert_ledger_is_the_truth(engine, data, "xero")

        changed = change_the_truth(data)
        clock.advance(hours=2)
        box.server.reset_counts()
        second = sync(engine, clock, connector)
        assert_synced_the_change(second, changed)
        assert box.server.request_counts["/api.xro/2.0/Invoices"] == 1  # one page of changes
        assert box.refresh_count == 2  # two hours later: one refresh, its rotated refresh token saved
        assert_ledger_is_the_truth(engine, data, "xero")


def test_with_five_percent_each_of_429_500_truncated_bodies_and_token_expiry_the_ledger_is_still_the_truth(
    engine: Engine, clock: FixedClock, tmp_path: Path
) -> None:
    data, _ = sample(Sizes(invoices=700), seed=11)
    faults = FaultPlan(rate_429=0.05, rate_500=0.05, rate_truncated=0.05, rate_token_expiry=0.05, seed=5)
    # Pages of 100 (pageSize refused, no pagination object): many calls, so every fault is met.
    options = XeroSandboxOptions(
        page_size_refused=frozenset({"Invoices", "Payments", "Contacts"}),
        send_pagination=False,
        minute_limit=None,
    )
    box = sandbox(data, faults=faults, options=options)
    with (
        box as url,
        xero_connector(url, tokens(engine, clock, tmp_path), clock, options=options) as connector,
    ):
        sync(engine, clock, connector)
        change_the_truth(data)
        clock.advance(hours=2)
        sync(engine, clock, connector)
        assert_ledger_is_the_truth(engine, data, "xero")
    assert box.refresh_count >= 2  # early expiries were met with refreshes (each one rotated)
    assert box.server.request_counts["/api.xro/2.0/Invoices"] > 10


def test_deletes_voids_multi_currency_split_payments_and_the_payable_side_left_out(
    engine: Engine, clock: FixedClock, tmp_path: Path
) -> None:
    data, planted = sample(Sizes(invoices=200), seed=3)
    with sandbox(data) as url, xero_connector(url, tokens(engine, clock, tmp_path), clock) as connector:
        sync(engine, clock, connector)
    docs = {(d.kind, d.external_id): d for d in SqlLedgerRepository(engine).iter_documents(source="xero")}
    invoice = DocumentKind.INVOICE
    assert docs[(invoice, planted.voided_invoice)].status is Status.VOID
    assert docs[(invoice, planted.deleted_invoice)].deleted  # DELETED before the first sync: a tombstone
    assert (invoice, planted.foreign_invoice) not in docs  # an ACCPAY bill is not a sales invoice
    usd = docs[(invoice, planted.usd_invoice)]
    assert (usd.currency, usd.exchange_rate, usd.references["xero_currency_rate"]) == (
        "USD",
        Decimal("1.6"),
        "0.625",
    )
    split = [docs[(DocumentKind.PAYMENT, p)] for p in planted.split_payment]
    assert len({p.references["batch_payment"] for p in split}) == 1  # one bank receipt
    assert [p.allocations[0].invoice_external_id for p in split] == planted.split_invoices
    for payment, target in zip(split, planted.split_invoices, strict=True):
        assert payment.allocations[0].amount == docs[(invoice, target)].total
    twice = [docs[(DocumentKind.PAYMENT, p)] for p in planted.twice_payments]
    assert {p.allocations[0].invoice_external_id for p in twice} == {planted.twice_paid_invoice}
    assert sum(p.allocations[0].amount for p in twice) == docs[(invoice, planted.twice_paid_invoice)].total
    assert docs[(invoice, planted.twice_paid_invoice)].status is Status.PAID


def test_several_organisations_without_tenant_id_fail_with_the_list_and_tenant_id_chooses_one(
    engine: Engine, clock: FixedClock, tmp_path: Path
) -> None:
    data, _ = sample(Sizes(invoices=60, contacts=5, items=3))
    other = XeroDataset(name="Kiwi Trading (Australia) Pty")
    store = tokens(engine, clock, tmp_path)
    with sandbox(data, others=[other]) as url:
        with xero_connector(url, store, clock) as connector:
            results = SyncEngine(engine, clock).run_connector(connector, overlap=OVERLAP)
            errors = {r.error for r in results}
            assert all(not r.ok for r in results)
            assert len(errors) == 1
            (error,) = errors
            assert "2 organisations" in str(error)
            assert "tenant_id" in str(error)
            assert data.tenant_id in str(error)
            assert other.tenant_id in str(error)
            assert "Kiwi Trading Ltd" in str(error)
            check = {c.what: c for c in said(connector.check())}
            assert not check["organisation"].ok
            assert other.tenant_id in check["organisation"].detail
        with xero_connector(url, store, clock, tenant_id=other.tenant_id) as connector:
            results = SyncEngine(engine, clock).run_connector(connector, overlap=OVERLAP)
            assert all(r.ok for r in results)
            assert sum(r.fetched for r in results) == 0


def test_pacing_by_the_limit_headers_meets_no_429_and_a_daily_limit_stops_the_stream_with_its_reset(
    engine: Engine, clock: FixedClock, tmp_path: Path
) -> None:
    """The sandbox's limits are lowered (10 a minute, 20 a day) so a small organisation meets both: the
    connector knows them only from the headers, as it would Xero's 60 and 5,000."""
    data, _ = sample(Sizes(invoices=1_200), seed=5)
    limits = XeroSandboxOptions(
        page_size_refused=frozenset({"Invoices", "Payments"}), minute_limit=10, day_limit=20
    )
    ticking = SandboxClock()
    box = sandbox(data, ticking, options=limits)
    with (
        box as url,
        xero_connector(url, tokens(engine, clock, tmp_path), clock, ticking, options=limits) as conn,
    ):
        results = {r.stream: r for r in SyncEngine(engine, clock).run_connector(conn, overlap=OVERLAP)}
    # 20 calls against 10 a minute: the pacer waited out the minute (the sandbox's clock moved with it)
    # and no per-minute 429 was ever answered.
    assert conn.session.pacer.paused >= 1
    assert 60.0 in ticking.slept
    assert "minute" not in box.limited
    oks = [r.ok for r in results.values()]
    assert oks[:2] == [True, True]
    assert oks[-1] is False
    assert oks == sorted(oks, reverse=True)
    failed = [r for r in results.values() if not r.ok]
    assert len(failed) == box.limited.count("day")  # each stopped at its first daily 429, no retry
    for result in failed:
        assert result.resets_at == clock() + timedelta(seconds=3600)
        assert "daily limit" in (result.error or "")


def test_connector_test_names_the_missing_scope_and_accepts_the_older_broad_scopes(clock: FixedClock) -> None:
    data, _ = sample(Sizes(invoices=60, contacts=3, items=2))
    narrow = XeroSandboxOptions(
        scopes=("offline_access", "accounting.invoices.read", "accounting.contacts.read")
    )
    with sandbox(data, options=narrow) as url, xero_connector(url, FakeTokenStore(), clock) as conn:
        check = {c.what: c for c in said(conn.check())}
        assert not check["scopes"].ok
        assert (
            "stream payments needs accounting.payments.read or accounting.transactions.read"
            in check["scopes"].detail
        )
        assert "stream invoices" not in check["scopes"].detail
        assert not check["stream payments"].ok
        assert check["stream invoices"].ok
    broad = XeroSandboxOptions(
        scopes=(
            "offline_access",
            "accounting.transactions",
            "accounting.contacts.read",
            "accounting.settings.read",
        )
    )
    with sandbox(data, options=broad) as url, xero_connector(url, FakeTokenStore(), clock) as conn:
        check = {c.what: c for c in said(conn.check())}
        assert all(c.ok for c in check.values()), [c for c in check.values() if not c.ok]
