"""Crash safety: `sync run` killed with SIGKILL at random points loses nothing and doubles nothing."""

from __future__ import annotations

import random
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, func, select

from store.db import make_engine, upgrade
from store.repository import SqlLedgerRepository
from store.tables import documents, revisions, sync_state
from tests.e2e.sync_support import reaped, spawn, wait_for_log, write_config, write_records
from tests.fakes import record

RECORDS = 20_000
PAGE_SIZE = 500
KILLS = 5
"""Kills that must land mid-run (the process still running and the stream not yet all in the ledger).
Each kill still lets the writer commit the pages in flight (sync.page_writer.IN_FLIGHT), so the ledger
fills in about eight trials: five leaves a margin."""
MOST_TRIALS = 4 * KILLS
"""Trials are repeated until KILLS of them landed mid-run, but no more than this many."""
WAIT = "120"
"""A killed PostgreSQL client's backend may hold the advisory lock until it notices: the next run waits."""

DATA = [record(n, minutes=n // 3) for n in range(1, RECORDS + 1)]
"""Three records share each modification time, so pages split equal timestamps (the overlap matters)."""


@dataclass(frozen=True)
class Reference:
    export: list[dict[str, Any]]
    sync_seconds: float


def _export(database_url: str) -> list[dict[str, Any]]:
    engine = make_engine(database_url)
    try:
        return [d.to_json_dict() for d in SqlLedgerRepository(engine).iter_documents()]
    finally:
        engine.dispose()


@pytest.fixture(scope="module")
def reference(tmp_path_factory: pytest.TempPathFactory) -> Reference:
    """The ledger an uninterrupted `sync run` of the same records produces (SQLite; exports compare
    across databases) and how long its sync took."""
    directory = tmp_path_factory.mktemp("reference")
    url = f"sqlite:///{directory / 'reference.db'}"
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    config = write_config(directory, url)
    write_records(directory, DATA)
    with reaped() as processes:
        processes.append(run := spawn(config, "sync", "run"))
        assert wait_for_log(run, "sync.stream_started")
        started = time.monotonic()
        _, err = run.communicate(timeout=600)
        assert run.returncode == 0, err
    return Reference(export=_export(url), sync_seconds=time.monotonic() - started)


def _stored(engine: Engine) -> int:
    with engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(documents)).scalar_one()


def _ledger_state(database_url: str) -> tuple[list[str], int, int, Any, Any]:
    """One consistent snapshot: a killed run's writer process may still be committing its last page."""
    engine = make_engine(database_url)
    try:
        with engine.connect().execution_options(isolation_level="SERIALIZABLE") as conn, conn.begin():
            ids = list(conn.execute(select(documents.c.external_id)).scalars())
            revision_rows = conn.execute(select(func.count()).select_from(revisions)).scalar_one()
            highest_revision = conn.execute(select(func.max(documents.c.revision))).scalar()
            newest = conn.execute(select(func.max(documents.c.source_modified_at))).scalar()
            cursor = conn.execute(
                select(sync_state.c.cursor).where(
                    sync_state.c.connector == "shop", sync_state.c.stream == "invoices"
                )
            ).scalar()
    finally:
        engine.dispose()
    return ids, revision_rows, highest_revision or 0, newest, cursor


@pytest.mark.slow
@pytest.mark.parametrize("writer", ["auto", "process"])
def test_a_sync_killed_at_random_points_ends_equal_to_an_uninterrupted_one(
    tmp_path: Path, database_url: str, reference: Reference, writer: str
) -> None:
    """`auto`: the writer process takes over after the first pages, so kills land before and after;
    `process`: every page goes through it, so each kill leaves an orphaned writer with pages in flight."""
    mode = {"LEDGERBRIDGE_SYNC_WRITER": writer}
    assert len(reference.export) == RECORDS
    order = [r["external_id"] for r in DATA]  # already in (modified, line) order
    config = write_config(tmp_path, database_url, page_size=PAGE_SIZE)
    write_records(tmp_path, DATA)
    seed = random.randrange(1_000_000)
    chance = random.Random(seed)
    killed_mid_run = trials = stored = 0
    page_seconds = PAGE_SIZE * reference.sync_seconds / RECORDS
    # A kill is aimed by progress, not by the clock, so a loaded or an idle machine both get kills mid-run:
    # the run is killed at a random moment of the page after the ledger reached a random count in the
    # first quarter of what is left. Trials go on until KILLS landed mid-run (bounded by MOST_TRIALS).
    watcher = make_engine(database_url)
    try:
        while killed_mid_run < KILLS and trials < MOST_TRIALS and stored < RECORDS:
            trials += 1
            target = stored + round(chance.uniform(0, (RECORDS - stored) / 4))
            with reaped() as processes:
                processes.append(process := spawn(config, "sync", "run", "--wait", WAIT, env=mode))
                assert wait_for_log(process, "sync.stream_started"), (
                    f"trial {trials} (seed {seed}): run did not start"
                )
                while process.poll() is None and _stored(watcher) < target:
                    time.sleep(0.01)
                time.sleep(chance.uniform(0, page_seconds))
                running = process.poll() is None
                process.kill()
            ids, revision_rows, highest_revision, newest, cursor = _ledger_state(database_url)
            stored = len(ids)
            if running and stored < RECORDS:
                killed_mid_run += 1
            where = f"after kill {trials} (seed {seed}, {stored} documents)"
            assert sorted(ids) == sorted(order[:stored]), (
                f"{where}: not a prefix of the stream — a page landed in part"
            )
            assert revision_rows == stored, f"{where}: revisions duplicated or missing"
            assert highest_revision <= 1, where
            assert cursor == newest, f"{where}: cursor {cursor} vs newest committed {newest}"
    finally:
        watcher.dispose()
    assert killed_mid_run >= KILLS, (
        f"only {killed_mid_run} of {trials} kills landed mid-run (seed {seed}, {stored} documents stored)"
    )

    with reaped() as processes:
        processes.append(final := spawn(config, "sync", "run", "--wait", WAIT, env=mode))
        _, err = final.communicate(timeout=600)
        assert final.returncode == 0, err
    assert _export(database_url) == reference.export
    ids, revision_rows, highest_revision, _, _ = _ledger_state(database_url)
    assert (len(ids), revision_rows, highest_revision) == (RECORDS, RECORDS, 1)
