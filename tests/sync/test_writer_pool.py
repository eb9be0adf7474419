"""The writer processes of a sync are a pool (sync/page_writer.py WriterPool, ADR 0038), on both
databases: one process writes the runs of several streams in turn, each into its own run with its own
cursor, from a run's first page when it is idle; one that died is never handed to another run and what
it committed stays; when the sync ends, however it ends, no child process is left."""

from __future__ import annotations

import os
import signal
import threading
from collections.abc import Iterator
from datetime import datetime, timedelta
from functools import partial
from typing import Any

import pytest
from sqlalchemy import Engine, select

from connectors.base import Page
from store.repository import PageWrite, RunRef, SqlLedgerRepository
from store.runs import SqlSyncLog
from store.tables import documents, revisions
from sync import page_writer
from sync.engine import SyncEngine
from tests.conftest import FixedClock, table_counts
from tests.fakes import T0, ListConnector, ListStream, pages, record
from tests.sync.writer_processes import children, exited, wait_for


@pytest.fixture
def started(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """Every writer process started (the parent's handles), each waited for until it is connected, so
    that whether a page goes to it never depends on how fast it started."""
    children: list[Any] = []
    original = page_writer._Child.start

    def start(url: str, seal: Any) -> Any:
        child = original(url, seal)
        child.wait_ready()
        children.append(child)
        return child

    monkeypatch.setattr(page_writer._Child, "start", staticmethod(start))
    # one process a writer on both databases here: the pairs of PostgreSQL are tests/sync/test_writer_pair.py's
    monkeypatch.setattr(page_writer, "PAIR_ON_POSTGRESQL", False)
    return children


@pytest.fixture
def inline_writes(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The stream of every page the syncing process wrote itself (the writer processes are other
    interpreters: this patch does not reach them)."""
    streams: list[str] = []
    original = SqlLedgerRepository.write_page

    def write_page(self: SqlLedgerRepository, run: RunRef, page: PageWrite) -> Any:
        streams.append(run.stream)
        return original(self, run, page)

    monkeypatch.setattr(SqlLedgerRepository, "write_page", write_page)
    return streams


def _stream(name: str, first: int, page_count: int, per_page: int) -> ListStream:
    chunks = [range(first + p * per_page, first + (p + 1) * per_page) for p in range(page_count)]
    return ListStream(pages(*[[record(n) for n in chunk] for chunk in chunks]), name=name)


def _written_by_run(engine: Engine) -> dict[str, set[tuple[str, int]]]:
    """For each document: its stream and the run that wrote its revisions."""
    with engine.connect() as conn:
        rows = conn.execute(
            select(documents.c.external_id, documents.c.stream, revisions.c.sync_run_id).join(
                revisions, revisions.c.document_id == documents.c.id
            )
        ).all()
    found: dict[str, set[tuple[str, int]]] = {}
    for external_id, stream, run_id in rows:
        found.setdefault(external_id, set()).add((stream, run_id))
    return found


def test_one_writer_process_writes_two_streams_in_turn_each_into_its_own_run_with_its_cursor(
    engine: Engine, clock: FixedClock, started: list[Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(page_writer.WRITER_ENV, "process")
    before = children()
    invoices = _stream("invoices", 1, 3, 10)  # INV-1..30, modified 1..30 minutes after T0
    payments = _stream("payments", 101, 2, 10)  # INV-101..120
    first, second = SyncEngine(engine, clock).run_connector(ListConnector([invoices, payments]))

    assert [(r.stream, r.status, r.fetched, r.created) for r in (first, second)] == [
        ("invoices", "ok", 30, 30),
        ("payments", "ok", 20, 20),
    ]
    [child] = started  # started once, for the first run; the second run was told its own
    assert child.runs == [first.run_id, second.run_id]
    assert child._process.returncode == 0
    assert children() == before
    by_run = _written_by_run(engine)
    assert by_run == {
        **{f"INV-{n}": {("invoices", first.run_id)} for n in range(1, 31)},
        **{f"INV-{n}": {("payments", second.run_id)} for n in range(101, 121)},
    }
    log = SqlSyncLog(engine)
    assert log.cursor("shop", "invoices") == T0 + timedelta(minutes=30)
    assert log.cursor("shop", "payments") == T0 + timedelta(minutes=120)


def test_a_short_stream_after_a_long_one_is_written_by_the_running_writer_from_its_first_page(
    engine: Engine,
    clock: FixedClock,
    started: list[Any],
    inline_writes: list[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """`auto`: the long run (a first sync: likely long) writes its first page itself and starts the
    sync's writer process for the next; the short run after it (too short to start one) finds it idle
    and hands it every page."""
    monkeypatch.setenv(page_writer.WRITER_ENV, "auto")
    long = _stream("invoices", 1, 6, 250)  # 1,500 records: the writer is due after its first page
    short = _stream("payments", 5001, 2, 10)
    first, second = SyncEngine(engine, clock).run_connector(ListConnector([long, short]))

    assert [(r.status, r.created) for r in (first, second)] == [("ok", 1500), ("ok", 20)]
    [child] = started
    assert child.runs == [first.run_id, second.run_id]
    assert inline_writes == ["invoices"], "only the long run's first page is written here"
    by_run = _written_by_run(engine)
    assert {next(iter(v)) for k, v in by_run.items() if int(k[4:]) > 5000} == {("payments", second.run_id)}


def test_a_stream_that_begins_with_no_idle_writer_writes_here_and_never_waits_for_a_busy_one(
    engine: Engine,
    clock: FixedClock,
    started: list[Any],
    inline_writes: list[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Two streams at once: the long one holds the only writer process the sync started; the short one,
    running beside it, writes its pages itself (its run is too short to start one)."""
    monkeypatch.setenv(page_writer.WRITER_ENV, "auto")
    short_done = threading.Event()

    class Long(ListStream):
        def pages(self, since: datetime | None) -> Iterator[Page]:
            for index, page in enumerate(self.pages_data):
                if index == 5:  # the writer took over at page 1: hold it until the short run ended
                    assert short_done.wait(30)
                yield page

    class Short(ListStream):
        def pages(self, since: datetime | None) -> Iterator[Page]:
            wait_for(lambda: bool(started))  # the long run holds the writer process by now
            yield from super().pages(since)
            short_done.set()

    long = Long(_stream("invoices", 1, 6, 250).pages_data, name="invoices")
    short = Short(_stream("payments", 5001, 2, 10).pages_data, name="payments")
    first, second = SyncEngine(engine, clock).run_connector(ListConnector([long, short]), concurrency=2)

    assert [(r.status, r.created) for r in (first, second)] == [("ok", 1500), ("ok", 20)]
    [child] = started
    assert child.runs == [first.run_id]
    assert inline_writes.count("payments") == 2
    assert inline_writes.count("invoices") == 1


def test_a_writer_killed_mid_run_fails_that_stream_only_is_not_reused_and_its_commits_stay(
    engine: Engine, clock: FixedClock, started: list[Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(page_writer.WRITER_ENV, "process")
    before = children()

    class Killing(ListStream):
        def pages(self, since: datetime | None) -> Iterator[Page]:
            for index, page in enumerate(self.pages_data):
                if index == 3:  # three pages committed (page 3 is read while page 2 is written)
                    wait_for(lambda: table_counts(engine, "documents")["documents"] >= 30)
                    [child] = started
                    os.kill(child._process.pid, signal.SIGKILL)
                    wait_for(partial(exited, child))
                yield page

    data = pages(*[[record(p * 10 + n, minutes=p * 10 + n) for n in range(10)] for p in range(6)])
    killed = Killing(data, name="invoices")
    after = _stream("payments", 101, 2, 10)
    first, second = SyncEngine(engine, clock).run_connector(ListConnector([killed, after]))

    assert first.status == "failed"
    assert "the writer process died" in (first.error or "")
    assert (second.status, second.created) == ("ok", 20)
    dead, fresh = started
    assert dead._process.returncode == -signal.SIGKILL
    assert dead.runs == [first.run_id]
    assert fresh.runs == [second.run_id], "the next stream had a new writer process"
    assert children() == before
    by_run = _written_by_run(engine)
    assert sorted(k for k, v in by_run.items() if ("invoices", first.run_id) in v) == sorted(
        f"INV-{n}" for n in range(30)
    ), "exactly the pages committed before the kill"
    log = SqlSyncLog(engine)
    assert log.cursor("shop", "invoices") == T0 + timedelta(minutes=29)
    assert log.cursor("shop", "payments") == T0 + timedelta(minutes=120)

    [rerun] = SyncEngine(engine, clock).run_connector(ListConnector([ListStream(data)]), streams=["invoices"])
    assert (rerun.status, rerun.created, rerun.unchanged) == ("ok", 30, 30)


def test_a_writer_that_died_while_idle_is_not_handed_to_the_next_stream(
    engine: Engine,
    clock: FixedClock,
    started: list[Any],
    inline_writes: list[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv(page_writer.WRITER_ENV, "process")
    before = children()

    class KillsTheIdleWriter(ListStream):
        def pages(self, since: datetime | None) -> Iterator[Page]:
            [child] = started  # the first run gave it back before this run began
            os.kill(child._process.pid, signal.SIGKILL)
            wait_for(partial(exited, child))
            yield from super().pages(since)

    invoices = _stream("invoices", 1, 2, 10)
    payments = KillsTheIdleWriter(_stream("payments", 101, 2, 10).pages_data, name="payments")
    first, second = SyncEngine(engine, clock).run_connector(ListConnector([invoices, payments]))

    assert [(r.status, r.created) for r in (first, second)] == [("ok", 20), ("ok", 20)]
    dead, fresh = started
    assert dead.runs == [first.run_id]
    assert fresh.runs == [second.run_id]
    assert inline_writes == [], "every page went to a writer process, the second run's to a new one"
    assert children() == before


def test_connectors_syncing_at_once_share_the_pool_and_leave_no_child_process(
    engine: Engine, clock: FixedClock, started: list[Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(page_writer.WRITER_ENV, "process")
    before = children()
    shop = ListConnector([_stream("invoices", 1, 2, 10), _stream("payments", 101, 2, 10)], name="shop")
    crm = ListConnector([_stream("invoices", 201, 2, 10), _stream("orders", 301, 2, 10)], name="crm")
    sync = SyncEngine(engine, clock)
    outcomes = sync.run_connectors(
        [
            partial(SyncEngine.run_connector, connector=shop, concurrency=2),
            partial(SyncEngine.run_connector, connector=crm, concurrency=2),
        ]
    )

    assert all(isinstance(outcome, list) for outcome in outcomes), outcomes
    results = [r for outcome in outcomes if isinstance(outcome, list) for r in outcome]
    # the fake normalizer says every record comes from "shop": crm's are quarantined, through the writer
    assert [(r.connector, r.stream, r.status, r.created, r.quarantined) for r in results] == [
        ("shop", "invoices", "ok", 20, 0),
        ("shop", "payments", "ok", 20, 0),
        ("crm", "invoices", "ok", 0, 20),
        ("crm", "orders", "ok", 0, 20),
    ]
    assert 1 <= len(started) <= 4
    assert sorted(run for child in started for run in child.runs) == sorted(r.run_id for r in results)
    assert all(child._process.returncode == 0 for child in started)
    assert sync._pool is None
    assert children() == before


def test_an_interrupted_sync_stops_every_writer_process_and_leaves_no_child(
    engine: Engine, clock: FixedClock, started: list[Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Ctrl-C while one stream writes and another's writer waits idle in the pool: the run stops after
    the pages handed over, every process of the pool is stopped and waited for."""
    monkeypatch.setenv(page_writer.WRITER_ENV, "process")
    before = children()
    sync = SyncEngine(engine, clock)

    class Waits(ListStream):
        def pages(self, since: datetime | None) -> Iterator[Page]:
            for index, page in enumerate(self.pages_data):
                if index == 1:  # the other stream has finished and given its writer back
                    wait_for(lambda: sync._pool is not None and bool(sync._pool._idle))
                yield page

    def interrupt(connector: str, stream: str, committed: int) -> None:
        if stream == "invoices" and committed >= 20:
            raise KeyboardInterrupt

    long = Waits(_stream("invoices", 1, 6, 10).pages_data, name="invoices")
    short = _stream("payments", 101, 1, 10)
    with pytest.raises(KeyboardInterrupt):
        sync.run_connector(ListConnector([long, short]), concurrency=2, progress=interrupt)

    assert len(started) == 2
    assert all(child._process.returncode is not None for child in started)
    assert children() == before
    assert sync._pool is None
    runs = {r.stream: r.status for r in SqlSyncLog(engine).runs("shop")}
    assert runs == {"invoices": "interrupted", "payments": "ok"}
    written = table_counts(engine, "documents")["documents"]
    assert 30 <= written <= 20 + 10 + page_writer.IN_FLIGHT * 10  # it stopped after what it was given


def test_an_incremental_run_takes_a_writer_only_after_the_usual_pages_and_records(
    engine: Engine,
    clock: FixedClock,
    started: list[Any],
    inline_writes: list[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The early start is for runs that read from the beginning; a run after a cursor (the daemon's
    usual run) still writes 3 pages and 1,000 records itself first, and a first sync of a few small
    pages never starts one."""
    monkeypatch.setenv(page_writer.WRITER_ENV, "auto")
    small = _stream("invoices", 1, 6, 10)  # 60 records in six pages
    [first] = SyncEngine(engine, clock).run_connector(ListConnector([small]))
    assert (first.status, first.created, started, len(inline_writes)) == ("ok", 60, [], 6)

    long = _stream("invoices", 1001, 6, 250)  # after the cursor: an incremental run
    [second] = SyncEngine(engine, clock).run_connector(ListConnector([long]))
    assert (second.mode, second.status, second.created) == ("incremental", "ok", 1500)
    [child] = started
    assert child.runs == [second.run_id]
    assert len(inline_writes) == 6 + 4  # due after 4 pages: 1,000 records
