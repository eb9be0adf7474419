"""Two `sync run` of one connector at the same time never both run (SQLite lease, PostgreSQL advisory lock)."""

from __future__ import annotations

import itertools
import json
import os
from pathlib import Path

import pytest

from store.db import make_engine
from store.locks import connector_lock
from store.runs import SqlSyncLog
from tests.e2e.sync_support import invoices, reaped, spawn, write_config, write_records


@pytest.mark.slow
def test_sync_run_is_refused_while_another_holds_the_connector_and_names_it(
    tmp_path: Path, database_url: str
) -> None:
    config = write_config(tmp_path, database_url)
    write_records(tmp_path, invoices(10))
    engine = make_engine(database_url)
    try:
        with connector_lock(engine, "shop", holder="daemon"), reaped() as processes:
            processes.append(refused := spawn(config, "sync", "run", "--json"))
            out, err = refused.communicate(timeout=120)
        assert refused.returncode == 1
        assert f"connector shop is locked by daemon (pid {os.getpid()} on " in err
        printed = json.loads(out)
        assert printed["runs"] == []
        assert [entry["connector"] for entry in printed["refused"]] == ["shop"]
        assert SqlSyncLog(engine).runs() == []
    finally:
        engine.dispose()


@pytest.mark.slow
def test_simultaneous_sync_runs_of_one_connector_take_turns_or_are_refused(
    tmp_path: Path, database_url: str
) -> None:
    config = write_config(tmp_path, database_url, page_size=200)
    write_records(tmp_path, invoices(3000))
    with reaped() as processes:
        waiting = [spawn(config, "sync", "run", "--full", "--wait", "300") for _ in range(2)]
        processes.extend(waiting)
        for process in waiting:
            process.communicate(timeout=600)
            assert process.returncode == 0
        impatient = [spawn(config, "sync", "run", "--full") for _ in range(2)]
        processes.extend(impatient)
        outcomes = [
            (process.pid, *process.communicate(timeout=600), process.returncode) for process in impatient
        ]
    for pid, _, err, code in outcomes:
        assert code in (0, 1)
        if code == 1:  # refused: the other one held the connector, and is named
            other = next(p for p, *_ in outcomes if p != pid)
            assert f"locked by sync run (pid {other} on " in err
    engine = make_engine(database_url)
    try:
        runs = SqlSyncLog(engine).runs("shop", "invoices")
    finally:
        engine.dispose()
    assert [r.status for r in runs] == ["ok"] * len(runs)
    assert len(runs) == 2 + sum(1 for *_, code in outcomes if code == 0)
    spans = sorted((r.started_at, r.finished_at) for r in runs)
    for (_, end), (start, _) in itertools.pairwise(spans):
        assert end is not None
        assert end <= start, "two runs of one connector overlapped"
