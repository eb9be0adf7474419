"""Issue 13 on both databases: cursors that never move (a record dated in the future), faults that fail
one stream only (a full disk, a killed connection, a locked file, a body too deep), and the same id
twice in one page — in this process and in the writer process alike."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, event, text, update
from sqlalchemy.exc import OperationalError

from config.settings import Settings
from connectors.base import Page, RawRecord
from store.canonical import CanonicalDocument
from store.db import make_engine
from store.repository import SqlLedgerRepository
from store.runs import SqlSyncLog
from store.tables import sync_state
from sync.engine import SyncEngine, SyncRunResult
from sync.health import assess_health
from tests.conftest import FixedClock
from tests.fakes import T0, ListConnector, ListStream, pages, record

FAR_FUTURE = "9999-12-31T00:00:00+00:00"


def _sync(engine: Engine, clock: FixedClock, *streams: ListStream, **options: Any) -> list[SyncRunResult]:
    return SyncEngine(engine, clock).run_connector(ListConnector(list(streams)), **options)


def _payments(*numbers: int) -> ListStream:
    from store.canonical import DocumentKind

    records = [record(n, kind="payment", lines=[]) for n in numbers]
    return ListStream(pages(records), name="payments", kind=DocumentKind.PAYMENT)


def _settings(database_url: str, **connector: Any) -> Settings:
    return Settings.model_validate(
        {
            "database_url": database_url,
            "connectors": [
                {
                    "name": "shop",
                    "kind": "jsonl",
                    "path": "/nonexistent",
                    "streams": ["invoices"],
                    **connector,
                }
            ],
        }
    )


# ----------------------------------------------------------------------------- cursors that never move


@pytest.mark.parametrize("ordered", [True, False])
def test_a_record_dated_9999_is_quarantined_and_the_cursor_stays_where_the_real_records_put_it(
    engine: Engine, clock: FixedClock, ordered: bool
) -> None:
    stream = ListStream(
        pages([record(1), record(2, source_modified_at=FAR_FUTURE)], [record(3)]), ordered=ordered
    )
    [run] = _sync(engine, clock, stream)
    assert (run.status, run.created, run.quarantined) == ("ok", 2, 1)
    log = SqlSyncLog(engine)
    assert log.cursor("shop", "invoices") == T0 + timedelta(minutes=3)
    [held] = log.quarantined()
    assert held.external_id == "INV-2"
    assert "9999-12-31" in held.reason
    assert "max_clock_skew_minutes" in held.reason
    _sync(engine, clock, stream)
    assert stream.since_seen[-1] == T0 + timedelta(minutes=3) - timedelta(minutes=5)  # still fetching


def test_the_allowed_skew_is_the_connectors_setting_against_the_clock_the_engine_is_given(
    engine: Engine, clock: FixedClock
) -> None:
    two_hours_ahead = (clock() + timedelta(hours=2)).isoformat()
    stream = ListStream(pages([record(1, source_modified_at=two_hours_ahead)]))
    [strict] = _sync(engine, clock, stream, max_clock_skew=timedelta(hours=1))
    assert (strict.created, strict.quarantined) == (0, 1)
    [lenient] = _sync(engine, clock, stream)  # default: one day
    assert (lenient.created, lenient.quarantined) == (1, 0)
    assert SqlSyncLog(engine).quarantined() == []  # the record that landed resolved its entry
    assert _settings("sqlite://").connectors[0].max_clock_skew_minutes == 24 * 60


def test_a_cursor_already_in_the_future_is_flagged_by_health_and_a_full_run_puts_it_back(
    engine: Engine, database_url: str, clock: FixedClock
) -> None:
    stream = ListStream(pages([record(1), record(2)]))
    _sync(engine, clock, stream)
    with engine.begin() as conn:  # what a record dated 9999 did before this fix
        conn.execute(update(sync_state).values(cursor=datetime(9999, 12, 31, tzinfo=UTC)))
    health = assess_health(engine, _settings(database_url), clock())
    assert health.status == "degraded"
    [reason] = [r for r in health.reasons if "cursor" in r]
    assert "shop/invoices cursor 9999-12-31T00:00:00Z is in the future" in reason
    assert "sync run --connector shop --stream invoices --full" in reason
    assert health.streams[0].cursor_in_future

    [full] = _sync(engine, clock, stream, full=True)
    assert full.status == "ok"
    assert SqlSyncLog(engine).cursor("shop", "invoices") == T0 + timedelta(minutes=2)
    assert not assess_health(engine, _settings(database_url), clock()).streams[0].cursor_in_future


# ----------------------------------------------------------------------------- the same id twice in a page


@pytest.mark.parametrize("writer", ["inline", "process"])
def test_the_same_id_twice_in_one_page_keeps_the_last_and_quarantines_the_earlier_copy_with_a_reason(
    engine: Engine, clock: FixedClock, monkeypatch: pytest.MonkeyPatch, writer: str
) -> None:
    if writer == "process" and str(engine.url).startswith("sqlite") and engine.url.database in (None, ""):
        pytest.skip("an in-memory database has no writer process")
    monkeypatch.setenv("LEDGERBRIDGE_SYNC_WRITER", writer)
    first, second = record(1, total="100.00"), record(1, total="250.00", minutes=7)
    repeat = record(2)
    [run] = _sync(engine, clock, ListStream(pages([first, repeat, second, repeat])))
    assert (run.status, run.created, run.quarantined) == ("ok", 2, 1)
    [doc] = [d for d in SqlLedgerRepository(engine).iter_documents() if d.external_id == "INV-1"]
    assert str(doc.total) == "250.00"
    [held] = SqlSyncLog(engine).quarantined()
    assert held.external_id == "INV-1"
    assert "came twice in one page" in held.reason
    assert '"total":"100.00"' in held.raw_payload.replace(" ", "")


# ----------------------------------------------------------------------------- a fault fails that stream


class _Arming(ListStream):
    """Arms `trap` while the engine normalizes its second page's record (INV-2): the next write is that
    page's. (Not when the page is read: pages are read one ahead of the writes.)"""

    def __init__(self, trap: dict[str, bool], *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.trap = trap

    def normalize(self, raw: RawRecord) -> CanonicalDocument:
        self.trap["armed"] = raw.get("external_id") == "INV-2"
        return super().normalize(raw)


def test_a_full_disk_at_commit_fails_that_stream_with_the_reason_and_the_next_stream_runs(
    engine: Engine, clock: FixedClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LEDGERBRIDGE_SYNC_WRITER", "inline")
    trap = {"armed": False}

    def disk_full(conn: Any) -> None:
        if trap["armed"]:
            trap["armed"] = False
            raise OperationalError("COMMIT", {}, sqlite3.OperationalError("database or disk is full"))

    event.listen(engine, "commit", disk_full)
    try:
        invoices = _Arming(trap, pages([record(1)], [record(2)], [record(3)]))
        results = _sync(engine, clock, invoices, _payments(10))
    finally:
        event.remove(engine, "commit", disk_full)
    assert [(r.stream, r.status) for r in results] == [("invoices", "failed"), ("payments", "ok")]
    assert "database or disk is full" in (results[0].error or "")
    [stored] = SqlSyncLog(engine).runs("shop", "invoices")
    assert stored.status == "failed"
    assert "database or disk is full" in (stored.error or "")
    assert stored.created == 1  # page 1 stayed committed
    assert SqlSyncLog(engine).cursor("shop", "invoices") == T0 + timedelta(minutes=1)


def test_a_record_nested_a_hundred_thousand_deep_fails_that_stream_not_the_sync(
    engine: Engine, clock: FixedClock
) -> None:
    deep: dict[str, Any] = {}
    for _ in range(100_000):
        deep = {"a": deep}
    invoices = ListStream(pages([record(1)], [record(2, notes=deep)]))
    results = _sync(engine, clock, invoices, _payments(10))
    assert [(r.stream, r.status) for r in results] == [("invoices", "failed"), ("payments", "ok")]
    assert (results[0].error or "").startswith("RecursionError")


def test_a_killed_postgresql_connection_fails_that_stream_and_the_next_one_runs(
    engine: Engine, database_url: str, clock: FixedClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    if database_url.startswith("sqlite"):
        pytest.skip("pg_terminate_backend is PostgreSQL's")
    monkeypatch.setenv("LEDGERBRIDGE_SYNC_WRITER", "inline")
    trap = {"armed": False}
    killer = make_engine(database_url)

    def terminate_me(conn: Any, *_: Any) -> None:  # the page's transaction: its backend is killed
        if trap["armed"]:
            trap["armed"] = False
            pid = conn.connection.dbapi_connection.info.backend_pid
            with killer.connect() as other:
                assert other.execute(text("SELECT pg_terminate_backend(:p)"), {"p": pid}).scalar_one()

    event.listen(engine, "before_cursor_execute", terminate_me)
    try:
        invoices = _Arming(trap, pages([record(1)], [record(2)], [record(3)]))
        results = _sync(engine, clock, invoices, _payments(10))
    finally:
        event.remove(engine, "before_cursor_execute", terminate_me)
        killer.dispose()
    assert [(r.stream, r.status) for r in results] == [("invoices", "failed"), ("payments", "ok")]
    assert "terminating connection" in (results[0].error or "")
    [stored] = SqlSyncLog(engine).runs("shop", "invoices")
    assert stored.status == "failed"
    assert "terminating connection" in (stored.error or "")
    assert stored.created == 1


def test_a_sqlite_file_locked_by_another_process_fails_that_stream_and_the_next_one_runs(
    database_url: str, clock: FixedClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    if not database_url.startswith("sqlite"):
        pytest.skip("a file lock is SQLite's")
    monkeypatch.setattr("store.db.BUSY_TIMEOUT_MS", 1000)
    monkeypatch.setenv("LEDGERBRIDGE_SYNC_WRITER", "inline")
    engine = make_engine(database_url)
    path = engine.url.database
    assert path
    intruder = sqlite3.connect(path, timeout=5, check_same_thread=False)

    class Locking(ListStream):
        def pages(self, since: datetime | None) -> Iterator[Page]:
            for index, page in enumerate(super().pages(since)):
                if index == 1:  # another process takes the write lock for 1.5 s (> the busy timeout)
                    intruder.execute("BEGIN IMMEDIATE")
                    threading.Timer(1.5, intruder.rollback).start()
                yield page

    try:
        results = _sync(engine, clock, Locking(pages([record(1)], [record(2)])), _payments(10))
    finally:
        intruder.close()
        engine.dispose()
    assert [(r.stream, r.status) for r in results] == [("invoices", "failed"), ("payments", "ok")]
    assert "database is locked" in (results[0].error or "")
    recorded = make_engine(database_url)
    try:
        [stored] = SqlSyncLog(recorded).runs("shop", "invoices")
        assert stored.status == "failed"
        assert "database is locked" in (stored.error or "")
    finally:
        recorded.dispose()
