"""The writer process (sync/page_writer.py) on both databases: it writes exactly what the syncing process
would, in order; when it dies the run fails with every committed page intact; when it cannot start, the
syncing process writes the pages itself."""

from __future__ import annotations

import os
import signal
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from typing import Any

import pytest
from sqlalchemy import Engine, delete, select

from config.loader import ConfigError
from connectors.base import Page, Tombstone
from store.db import is_sqlite
from store.repository import SqlLedgerRepository
from store.runs import SqlSyncLog
from store.tables import documents, metadata, sync_runs
from sync import page_writer
from sync.engine import SyncEngine, SyncRunResult
from tests.conftest import FixedClock, table_counts
from tests.fakes import ListConnector, ListStream, pages, record
from tests.sync.writer_processes import exited, wait_for

CHINESE = {"party": {"external_id": "C9", "name": "杭州西湖茶业有限公司"}}


def _scenario() -> list[tuple[list[Page], dict[str, Any]]]:
    """Three runs that touch every part of a page write: creates, an update within the run, a reject,
    tombstones, a restore, unchanged records, and a full resync that deletes what it did not see."""
    first = pages(
        [record(n) for n in range(1, 6)],
        [record(6, **CHINESE), record(7, total="abc"), record(8, total="0.0001")],
        [record(9, total="98765432109.1234"), record(10, total="1E+3")],
        [record(2, total="222.22", minutes=40)],
        tombstones=[[], [], [], [], [Tombstone("INV-3")]],
    )
    second = pages(
        [record(1), record(4, total="4.40", minutes=50)],
        [record(3, minutes=60)],
        tombstones=[[Tombstone("INV-5")]],
    )
    third = pages([record(n, minutes=70) for n in (1, 2, 3, 4)], [record(6, minutes=70, **CHINESE)])
    return [(first, {"full": True}), (second, {}), (third, {"full": True})]


def _run_scenario(engine: Engine, clock: FixedClock) -> list[SyncRunResult]:
    results = []
    for run_pages, options in _scenario():
        clock.advance(minutes=1)
        sync = SyncEngine(engine, clock, parallel_after=0)
        results += sync.run_connector(ListConnector([ListStream(run_pages)]), **options)
    return results


def _state(engine: Engine, results: list[SyncRunResult]) -> dict[str, Any]:
    """Everything a run leaves in the ledger, without database ids."""
    ledger = SqlLedgerRepository(engine)
    docs = list(ledger.iter_documents())
    history = {
        d.external_id: [
            (r.revision, r.change, r.payload_hash, r.raw_payload, r.document.to_json_dict())
            for r in ledger.history(d.key)
        ]
        for d in docs
    }
    log = SqlSyncLog(engine)
    return {
        "documents": [d.to_json_dict() for d in docs],
        "history": history,
        "quarantine": sorted((q.external_id or "", q.reason, q.count) for q in log.quarantined()),
        "cursor": log.cursor("shop", "invoices"),
        "runs": [
            (r.status, r.fetched, r.created, r.updated, r.unchanged, r.deleted, r.quarantined)
            for r in results
        ],
    }


def _wipe(engine: Engine) -> None:
    """Empty every table; ids start again at 1 (run ids appear in tombstone reasons)."""
    with engine.begin() as conn:
        if engine.dialect.name == "sqlite":
            for table in reversed(metadata.sorted_tables):
                conn.execute(delete(table))
        else:
            names = ", ".join(table.name for table in metadata.sorted_tables)
            conn.exec_driver_sql(f"TRUNCATE {names} RESTART IDENTITY CASCADE")


@dataclass
class Spy:
    """Every writer process a run started (the parent's handles)."""

    children: list[Any]


@pytest.fixture
def spy(monkeypatch: pytest.MonkeyPatch) -> Spy:
    started: list[Any] = []
    original = page_writer._Child.start

    def start(url: str, seal: Any, token: Any = None) -> Any:
        child = original(url, seal, token)
        started.append(child)
        return child

    monkeypatch.setattr(page_writer._Child, "start", staticmethod(start))
    monkeypatch.setattr(page_writer, "PAIR_ON_POSTGRESQL", False)  # one process a writer, unless a test says
    return Spy(started)


def test_the_writer_process_writes_exactly_what_the_syncing_process_would(
    engine: Engine, clock: FixedClock, spy: Spy, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(page_writer.WRITER_ENV, "inline")
    start = clock.now
    inline = _state(engine, _run_scenario(engine, clock))
    assert spy.children == []
    _wipe(engine)

    monkeypatch.setenv(page_writer.WRITER_ENV, "process")
    monkeypatch.setattr(page_writer, "PAIR_ON_POSTGRESQL", True)  # on PostgreSQL, a pair (ADR 0039)
    clock.now = start
    in_writer = _state(engine, _run_scenario(engine, clock))
    per_writer = 1 if is_sqlite(engine) else 2
    assert len(spy.children) == 3 * per_writer, "every run should have had its writer process"
    assert all(child.is_ready for child in spy.children)
    assert all(child._process.returncode == 0 for child in spy.children)

    assert in_writer == inline
    assert [run[0] for run in in_writer["runs"]] == ["ok", "ok", "ok"]
    assert [entry[0] for entry in inline["quarantine"]] == ["INV-7"]
    assert {d["external_id"]: d["deleted"] for d in inline["documents"]}["INV-5"] is True


def test_the_revision_texts_are_stored_as_text(
    engine: Engine, clock: FixedClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The writer binds raw payloads and snapshots as UTF-8 bytes for the database to decode."""
    monkeypatch.setenv(page_writer.WRITER_ENV, "process")
    SyncEngine(engine, clock).run_connector(ListConnector([ListStream(pages([record(6, **CHINESE)]))]))
    with engine.connect() as conn:
        if engine.dialect.name == "sqlite":
            kinds = conn.exec_driver_sql("SELECT typeof(raw_payload), typeof(snapshot) FROM revisions").one()
            assert tuple(kinds) == ("text", "text")
        raw, snapshot = conn.exec_driver_sql("SELECT raw_payload, snapshot FROM revisions").one()
    assert "杭州西湖茶业有限公司" in raw
    assert "杭州西湖茶业有限公司" in snapshot


class KillingStream(ListStream):
    """Once `kill_after` pages are committed, SIGKILL the run's writer process, then go on yielding."""

    def __init__(self, data: list[Page], *, engine: Engine, spy: Spy, kill_after: int, per_page: int) -> None:
        super().__init__(data)
        self._engine, self._spy, self._kill_after, self._per_page = engine, spy, kill_after, per_page

    def pages(self, since: datetime | None) -> Iterator[Page]:
        for index, page in enumerate(self.pages_data):
            if index == self._kill_after:
                wait_for(partial(_documents_at_least, self._engine, index * self._per_page))
                [child] = self._spy.children
                os.kill(child._process.pid, signal.SIGKILL)
                wait_for(partial(exited, child))
            yield page


def _documents_at_least(engine: Engine, count: int) -> bool:
    return table_counts(engine, "documents")["documents"] >= count


def test_a_writer_process_that_dies_fails_the_run_and_every_committed_page_stays(
    engine: Engine, clock: FixedClock, spy: Spy, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(page_writer.WRITER_ENV, "process")
    data = pages(*[[record(page * 10 + n, minutes=page * 10 + n) for n in range(10)] for page in range(6)])
    stream = KillingStream(data, engine=engine, spy=spy, kill_after=3, per_page=10)
    [failed] = SyncEngine(engine, clock).run_connector(ListConnector([stream]))

    with engine.connect() as conn:
        status, error = conn.execute(select(sync_runs.c.status, sync_runs.c.error)).one()
        written = sorted(conn.execute(select(documents.c.external_id)).scalars())
    assert (failed.status, failed.error) == ("failed", error)
    assert status == "failed"
    assert "the writer process died" in (error or "")
    assert written == sorted(f"INV-{n}" for n in range(30)), "exactly the pages committed before the kill"
    committed = [d.source_modified_at for d in SqlLedgerRepository(engine).iter_documents()]
    assert SqlSyncLog(engine).cursor("shop", "invoices") == max(t for t in committed if t is not None)

    [rerun] = SyncEngine(engine, clock).run_connector(ListConnector([ListStream(data)]))
    assert (rerun.status, rerun.created) == ("ok", 30)
    assert table_counts(engine, "documents", "revisions") == {"documents": 60, "revisions": 60}


def test_a_writer_process_that_cannot_start_leaves_the_writes_here(
    engine: Engine, clock: FixedClock, spy: Spy, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(page_writer.WRITER_ENV, "auto")
    monkeypatch.setattr(page_writer, "_ENTRY", "raise SystemExit(3)")
    data = pages(*[[record(page * 10 + n) for n in range(10)] for page in range(4)])

    class Slow(ListStream):
        def pages(self, since: datetime | None) -> Iterator[Page]:
            for index, page in enumerate(self.pages_data):
                if index == 2:  # the writer is started on page 1: let it fail before page 2
                    wait_for(lambda: bool(spy.children))  # page 2 is read while page 1 is written
                    [child] = spy.children
                    wait_for(partial(exited, child))
                yield page

    [run] = SyncEngine(engine, clock, parallel_after=1).run_connector(ListConnector([Slow(data)]))
    assert (run.status, run.created) == ("ok", 40)
    assert spy.children[0]._process.returncode == 3
    assert table_counts(engine, "documents", "revisions") == {"documents": 40, "revisions": 40}


def test_when_no_process_can_be_started_the_run_writes_its_pages_itself(
    engine: Engine, clock: FixedClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_process(*args: object, **kwargs: object) -> None:
        raise OSError(11, "Resource temporarily unavailable")

    monkeypatch.setattr(page_writer.subprocess, "Popen", no_process)
    monkeypatch.setenv(page_writer.WRITER_ENV, "auto")
    data = pages(*[[record(page * 10 + n) for n in range(10)] for page in range(5)])
    [run] = SyncEngine(engine, clock, parallel_after=1).run_connector(ListConnector([ListStream(data)]))
    assert (run.status, run.created) == ("ok", 50)

    monkeypatch.setenv(page_writer.WRITER_ENV, "process")  # asked for explicitly: say why it cannot
    [failed] = SyncEngine(engine, clock).run_connector(ListConnector([ListStream(data)]))
    assert failed.status == "failed"
    assert "cannot start the writer process" in (failed.error or "")


def test_an_unknown_writer_mode_is_refused_with_the_values_to_use(
    engine: Engine, clock: FixedClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(page_writer.WRITER_ENV, "threads")
    with pytest.raises(ConfigError, match="LEDGERBRIDGE_SYNC_WRITER='threads': use auto, inline or process"):
        SyncEngine(engine, clock)
