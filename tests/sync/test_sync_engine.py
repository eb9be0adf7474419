"""The sync engine on both databases: idempotency, quarantine, cursors, failures, full resync and sweeps."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import Engine

from connectors.base import Page, Tombstone
from connectors.errors import AuthError, TransientError
from store.canonical import ChangeKind, DocumentKey, DocumentKind
from store.locks import LockHeld, connector_lock
from store.repository import SqlLedgerRepository
from store.runs import SqlSyncLog
from sync.engine import SyncEngine, SyncRunResult
from tests.conftest import FixedClock, table_counts
from tests.fakes import T0, ListConnector, ListStream, SweepableListStream, pages, record


def _sync(engine: Engine, clock: FixedClock, *streams: ListStream, **options: object) -> list[SyncRunResult]:
    return SyncEngine(engine, clock).run_connector(ListConnector(list(streams)), **options)  # type: ignore[arg-type]


def _live_ids(engine: Engine) -> list[str]:
    return [d.external_id for d in SqlLedgerRepository(engine).iter_documents(include_deleted=False)]


def test_syncing_the_same_records_twice_creates_no_new_revision(engine: Engine, clock: FixedClock) -> None:
    stream = ListStream(pages([record(1), record(2)], [record(3)]))
    [first] = _sync(engine, clock, stream)
    [second] = _sync(engine, clock, stream)
    assert (first.created, first.status) == (3, "ok")
    assert (second.created, second.updated, second.unchanged) == (0, 0, 3)
    assert table_counts(engine, "revisions")["revisions"] == 3


def test_one_changed_record_creates_exactly_one_revision(engine: Engine, clock: FixedClock) -> None:
    _sync(engine, clock, ListStream(pages([record(1), record(2)])))
    [run] = _sync(engine, clock, ListStream(pages([record(1), record(2, total="99.99", minutes=30)])))
    assert (run.updated, run.unchanged) == (1, 1)
    history = SqlLedgerRepository(engine).history(
        DocumentKey(source="shop", kind=DocumentKind.INVOICE, external_id="INV-2")
    )
    assert [h.change for h in history] == [ChangeKind.CREATED, ChangeKind.UPDATED]
    assert table_counts(engine, "revisions")["revisions"] == 3


def test_malformed_records_are_quarantined_and_the_rest_of_the_page_lands(
    engine: Engine, clock: FixedClock
) -> None:
    missing_id = {k: v for k, v in record(2).items() if k != "external_id"}
    bad_amount = record(3, total="abc")
    impossible_date = record(4, issued_on="2026-02-30")
    stream = ListStream(pages([record(1), missing_id, bad_amount, impossible_date, record(5)]))
    [run] = _sync(engine, clock, stream)
    assert (run.status, run.created, run.quarantined, run.fetched) == ("ok", 2, 3, 5)
    assert _live_ids(engine) == ["INV-1", "INV-5"]
    entries = SqlSyncLog(engine).quarantined()
    reasons = {entry.external_id: entry.reason for entry in entries}
    assert set(reasons) == {None, "INV-3", "INV-4"}
    assert "external_id" in reasons[None]
    assert "total" in reasons["INV-3"]
    assert "issued_on" in reasons["INV-4"]
    [status] = SqlSyncLog(engine).statuses()
    assert status.quarantined == 3


def test_the_next_run_rereads_from_the_cursor_minus_the_overlap(engine: Engine, clock: FixedClock) -> None:
    stream = ListStream(pages([record(1), record(2)], [record(3)]))
    _sync(engine, clock, stream, overlap=timedelta(minutes=5))
    _sync(engine, clock, stream, overlap=timedelta(minutes=5))
    assert stream.since_seen == [None, T0 + timedelta(minutes=3) - timedelta(minutes=5)]
    assert SqlSyncLog(engine).cursor("shop", "invoices") == T0 + timedelta(minutes=3)


def test_a_connector_error_fails_that_stream_keeps_its_committed_pages_and_other_streams_go_on(
    engine: Engine, clock: FixedClock
) -> None:
    broken = ListStream(
        pages([record(1)], [record(2)], [record(3)]),
        fail_after=2,
        error=TransientError("shop: server error HTTP 503"),
    )
    other = ListStream(
        pages([record(10, kind="payment", lines=[])]), name="payments", kind=DocumentKind.PAYMENT
    )
    results = _sync(engine, clock, broken, other)
    assert [(r.stream, r.status) for r in results] == [("invoices", "failed"), ("payments", "ok")]
    assert results[0].error == "shop: server error HTTP 503"
    assert results[0].created == 2
    assert SqlSyncLog(engine).cursor("shop", "invoices") == T0 + timedelta(minutes=2)
    assert SqlSyncLog(engine).runs("shop", "invoices")[0].error == "shop: server error HTTP 503"
    assert _live_ids(engine) == ["INV-1", "INV-2", "INV-10"]


def test_an_unordered_stream_advances_its_cursor_only_when_the_run_completes(
    engine: Engine, clock: FixedClock
) -> None:
    data = pages([record(5), record(1)], [record(9), record(2)])
    interrupted = ListStream(data, ordered=False, fail_after=1, error=AuthError("token revoked"))
    [failed] = _sync(engine, clock, interrupted)
    assert (failed.status, failed.created) == ("failed", 2)
    assert SqlSyncLog(engine).cursor("shop", "invoices") is None
    [done] = _sync(engine, clock, ListStream(data, ordered=False))
    assert done.status == "ok"
    assert SqlSyncLog(engine).cursor("shop", "invoices") == T0 + timedelta(minutes=9)


def test_a_completed_full_resync_marks_unseen_documents_deleted(engine: Engine, clock: FixedClock) -> None:
    _sync(engine, clock, ListStream(pages([record(1), record(2)], [record(3)])))
    [run] = _sync(engine, clock, ListStream(pages([record(1)], [record(3)])), full=True)
    assert (run.status, run.deleted, run.unchanged) == ("ok", 1, 2)
    assert _live_ids(engine) == ["INV-1", "INV-3"]
    history = SqlLedgerRepository(engine).history(
        DocumentKey(source="shop", kind=DocumentKind.INVOICE, external_id="INV-2")
    )
    assert history[-1].change is ChangeKind.DELETED
    assert "not seen by full resync" in history[-1].raw_payload


def test_an_interrupted_full_resync_marks_nothing_deleted(engine: Engine, clock: FixedClock) -> None:
    _sync(engine, clock, ListStream(pages([record(1), record(2)], [record(3)])))
    partial = ListStream(pages([record(1)], [record(3)]), fail_after=1, error=TransientError("timeout"))
    [run] = _sync(engine, clock, partial, full=True)
    assert (run.status, run.deleted) == ("failed", 0)
    assert _live_ids(engine) == ["INV-1", "INV-2", "INV-3"]


def test_a_tombstone_from_the_vendor_deletes_the_document(engine: Engine, clock: FixedClock) -> None:
    _sync(engine, clock, ListStream(pages([record(1), record(2)])))
    [run] = _sync(
        engine, clock, ListStream(pages([], tombstones=[[Tombstone("INV-1", T0 + timedelta(hours=1))]]))
    )
    assert run.deleted == 1
    assert _live_ids(engine) == ["INV-2"]


def test_a_deletion_time_never_moves_the_cursor_past_records_not_yet_read(
    engine: Engine, clock: FixedClock
) -> None:
    _sync(engine, clock, ListStream(pages([record(1)])))
    before = SqlSyncLog(engine).cursor("shop", "invoices")
    deletions_then_cut = ListStream(
        pages([], [record(2)], tombstones=[[Tombstone("INV-1", T0 + timedelta(days=30))], []]),
        fail_after=1,
        error=TransientError("connection reset"),
    )
    [run] = _sync(engine, clock, deletions_then_cut)
    assert (run.status, run.deleted) == ("failed", 1)
    assert SqlSyncLog(engine).cursor("shop", "invoices") == before


def test_a_completed_sweep_tombstones_ids_the_vendor_no_longer_lists(
    engine: Engine, clock: FixedClock
) -> None:
    _sync(engine, clock, ListStream(pages([record(1), record(2), record(3)])))
    [run] = _sync(engine, clock, SweepableListStream(pages([]), live=["INV-1", "INV-3"]), sweep=True)
    assert (run.status, run.deleted) == ("ok", 1)
    assert _live_ids(engine) == ["INV-1", "INV-3"]
    assert SqlSyncLog(engine).statuses()[0].last_sweep_at == clock()


def test_a_second_run_of_a_locked_connector_is_refused_naming_the_holder(
    engine: Engine, clock: FixedClock
) -> None:
    with connector_lock(engine, "shop", holder="daemon"), pytest.raises(LockHeld) as refused:
        _sync(engine, clock, ListStream(pages([record(1)])))
    assert "daemon (pid" in str(refused.value)
    assert table_counts(engine, "documents", "sync_runs") == {"documents": 0, "sync_runs": 0}


def test_a_run_left_running_by_a_dead_process_is_marked_interrupted(
    engine: Engine, clock: FixedClock
) -> None:
    SqlSyncLog(engine).start("shop", "invoices", mode="incremental", since=None, now=clock())
    _sync(engine, clock, ListStream(pages([record(1)])))
    assert [r.status for r in SqlSyncLog(engine).runs("shop")] == ["interrupted", "ok"]


def test_a_bug_in_a_normalizer_fails_that_stream_visibly_and_the_next_stream_runs(
    engine: Engine, clock: FixedClock
) -> None:
    class Buggy(ListStream):
        def normalize(self, raw: object) -> object:  # type: ignore[override]
            raise KeyError("oops")

    other = ListStream(
        pages([record(10, kind="payment", lines=[])]), name="payments", kind=DocumentKind.PAYMENT
    )
    results = _sync(engine, clock, Buggy(pages([record(1)])), other)
    assert [(r.stream, r.status) for r in results] == [("invoices", "failed"), ("payments", "ok")]
    [run] = SqlSyncLog(engine).runs("shop", "invoices")
    assert run.status == "failed"
    assert run.error == "KeyError: 'oops'"


def test_since_and_full_together_are_refused(engine: Engine, clock: FixedClock) -> None:
    with pytest.raises(ValueError, match="full resync"):
        _sync(engine, clock, ListStream([Page()]), full=True, since=T0)
