"""On PostgreSQL a writer of the pool is a pair of processes that take a run's pages in turn, one
encoding its page while the other's transaction runs, a token passed at each commit keeping the
transactions in page order (sync/page_writer.py `_Pair`, ADR 0039). On SQLite a writer is one process."""

from __future__ import annotations

import os
import signal
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, func, select

from connectors.base import Page
from store.db import is_sqlite
from store.runs import SqlSyncLog
from store.tables import documents, revisions
from sync import page_writer
from sync.engine import SyncEngine
from tests.conftest import FixedClock, table_counts
from tests.fakes import T0, ListConnector, ListStream, pages, record
from tests.sync.writer_processes import children, wait_for


@pytest.fixture
def writers(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """Every writer the pool started (a `_Child` or a `_Pair`), each connected before its first page."""
    started: list[Any] = []
    original = page_writer.WriterPool._start

    def start(pool: page_writer.WriterPool, url: str, run: Any) -> Any:
        writer = original(pool, url, run)
        if writer is not None:
            writer.wait_ready()
            started.append(writer)
        return writer

    monkeypatch.setattr(page_writer.WriterPool, "_start", start)
    monkeypatch.setenv(page_writer.WRITER_ENV, "process")
    return started


def _chained_pages(count: int, per_page: int) -> list[Page]:
    """Page k brings `per_page` new invoices and changes the total of every invoice of page k-1: each
    page's write must see the page before it committed, or it would create those invoices again."""
    result = []
    for k in range(count):
        new = [record(k * per_page + n, minutes=k * per_page + n) for n in range(per_page)]
        changed = [
            record((k - 1) * per_page + n, total=f"{100 + k}.00", minutes=k * per_page + n)
            for n in range(per_page)
            if k > 0
        ]
        result.extend(pages([*changed, *new]))
    return result


def test_pages_go_to_the_two_writers_in_turn_and_commit_in_page_order(
    engine: Engine, clock: FixedClock, writers: list[Any]
) -> None:
    before = children()
    stream = ListStream(_chained_pages(8, 25), name="invoices")
    [result] = SyncEngine(engine, clock).run_connector(ListConnector([stream]))

    assert (result.status, result.error) == ("ok", None)
    assert (result.created, result.updated) == (8 * 25, 7 * 25)
    [writer] = writers
    if is_sqlite(engine):
        assert isinstance(writer, page_writer._Child), "SQLite: one writer process"
        assert writer.written == 8
    else:
        assert isinstance(writer, page_writer._Pair)
        first, second = writer._children
        assert (first.written, second.written) == (4, 4), "the pages went to the two in turn"
        assert first._process.pid != second._process.pid
    assert children() == before
    with engine.connect() as conn:
        per_document = conn.execute(
            select(func.count()).select_from(revisions).group_by(revisions.c.document_id)
        ).scalars()
        assert sorted(per_document) == [1] * 25 + [2] * 175  # the last page's new ones are unchanged
        assert conn.execute(select(func.count()).select_from(documents)).scalar_one() == 200
    assert SqlSyncLog(engine).cursor("shop", "invoices") == T0 + timedelta(minutes=199)


def test_one_writer_of_the_pair_killed_fails_the_run_keeps_every_commit_and_leaves_no_child(
    engine: Engine, clock: FixedClock, writers: list[Any]
) -> None:
    if is_sqlite(engine):
        pytest.skip("pairs are PostgreSQL's (ADR 0039)")
    before = children()

    class Killing(ListStream):
        def pages(self, since: datetime | None) -> Iterator[Page]:
            for index, page in enumerate(self.pages_data):
                if index == 4:  # three pages committed at least (pages are handed out ahead)
                    wait_for(lambda: table_counts(engine, "documents")["documents"] >= 30)
                    [pair] = writers
                    victim = pair._children[1]
                    os.kill(victim._process.pid, signal.SIGKILL)
                    wait_for(lambda: victim._process.poll() is not None)  # noqa: B023 - called at once
                yield page

    data = pages(*[[record(p * 10 + n, minutes=p * 10 + n) for n in range(10)] for p in range(8)])
    [failed] = SyncEngine(engine, clock).run_connector(ListConnector([Killing(data, name="invoices")]))

    assert failed.status == "failed"
    assert "writer process" in (failed.error or "")
    assert children() == before, "the other writer stopped too (its token pipe reached end-of-file)"
    [pair] = writers
    assert pair._children[1]._process.returncode == -signal.SIGKILL
    committed = table_counts(engine, "documents", "revisions", "document_lines")
    assert committed["documents"] >= 30
    assert committed["documents"] % 10 == 0, "whole pages only"
    assert committed["revisions"] == committed["documents"] == committed["document_lines"]
    cursor = SqlSyncLog(engine).cursor("shop", "invoices")
    assert cursor == T0 + timedelta(minutes=committed["documents"] - 1), "the last committed page's"

    [rerun] = SyncEngine(engine, clock).run_connector(ListConnector([ListStream(data)]), streams=["invoices"])
    assert (rerun.status, rerun.created + rerun.unchanged) == ("ok", 80)
    assert table_counts(engine, "documents")["documents"] == 80
