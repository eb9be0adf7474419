"""A connector's streams run up to its concurrency at once, each with its own run and cursor; a stream
that waits for another (`after`) starts once it finished; connectors sync at the same time (issue 18)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial

from sqlalchemy import Engine

from connectors.base import Page
from store.runs import SqlSyncLog
from sync.engine import SyncEngine
from tests.conftest import FixedClock
from tests.fakes import ListConnector, ListStream, pages, record


@dataclass
class _Meeting(ListStream):
    """Hands out its first page only once every stream of `meeting` is reading (or times out)."""

    meeting: threading.Barrier | None = None
    met: list[bool] = field(default_factory=list)

    def pages(self, since: datetime | None) -> Iterator[Page]:
        assert self.meeting is not None
        try:
            self.meeting.wait(timeout=5)
            self.met.append(True)
        except threading.BrokenBarrierError:
            self.met.append(False)
        yield from super().pages(since)


@dataclass
class _Logged(ListStream):
    log: list[str] = field(default_factory=list)
    after: tuple[str, ...] = ()

    def pages(self, since: datetime | None) -> Iterator[Page]:
        self.log.append(f"{self.name} starts")
        yield from super().pages(since)
        self.log.append(f"{self.name} ends")


def _two(meeting: threading.Barrier) -> tuple[_Meeting, _Meeting]:
    first = _Meeting(pages([record(1)], [record(2)]), name="invoices", meeting=meeting)
    second = _Meeting(pages([record(3)]), name="payments", meeting=meeting)
    return first, second


def test_a_connectors_streams_run_at_once_up_to_its_concurrency(engine: Engine, clock: FixedClock) -> None:
    first, second = _two(threading.Barrier(2))
    results = SyncEngine(engine, clock).run_connector(ListConnector([first, second]), concurrency=2)
    assert first.met == second.met == [True]  # both were reading at the same time
    assert [(r.stream, r.status, r.created) for r in results] == [
        ("invoices", "ok", 2),
        ("payments", "ok", 1),
    ]
    log = SqlSyncLog(engine)
    assert [len(log.runs("shop", name)) for name in ("invoices", "payments")] == [1, 1]
    assert log.cursor("shop", "invoices") is not None
    assert log.cursor("shop", "payments") is not None


def test_with_concurrency_one_the_streams_run_in_turn(engine: Engine, clock: FixedClock) -> None:
    meeting = threading.Barrier(2, timeout=0.5)
    first, second = _two(meeting)
    results = SyncEngine(engine, clock).run_connector(ListConnector([first, second]), concurrency=1)
    assert first.met == [False]  # nobody else was reading
    assert [r.status for r in results] == ["ok", "ok"]


def test_a_stream_that_waits_for_another_starts_after_it_finished(engine: Engine, clock: FixedClock) -> None:
    log: list[str] = []
    payments = _Logged(pages([record(3)]), name="payments", log=log, after=("invoices",))
    invoices = _Logged(pages([record(1)], [record(2)]), name="invoices", log=log)
    results = SyncEngine(engine, clock).run_connector(ListConnector([payments, invoices]), concurrency=2)
    assert log.index("invoices ends") < log.index("payments starts")
    assert [r.stream for r in results] == ["payments", "invoices"]  # the connector's order


def test_connectors_sync_at_the_same_time(engine: Engine, clock: FixedClock) -> None:
    meeting = threading.Barrier(2)
    first = _Meeting(pages([record(1)]), name="invoices", meeting=meeting)
    other = _Meeting(pages([record(5)]), name="invoices", meeting=meeting)
    sync = SyncEngine(engine, clock)
    outcomes = sync.run_connectors(
        [
            partial(SyncEngine.run_connector, connector=ListConnector([first])),
            partial(SyncEngine.run_connector, connector=ListConnector([other], name="books")),
        ]
    )
    assert first.met == other.met == [True]
    assert [[r.connector for r in o] for o in outcomes if isinstance(o, list)] == [["shop"], ["books"]]
