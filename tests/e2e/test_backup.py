"""Backup and restore: a backup taken while a sync runs restores to a consistent ledger; restore refuses
files that are not a ledgerbridge database of a known schema version."""

from __future__ import annotations

import json
import sqlite3
from contextlib import closing
from pathlib import Path

import pytest

from tests.e2e.daemon_support import (
    invoices,
    invoke,
    jsonl_connector,
    open_engine,
    reap,
    scalar,
    start_cli,
    stop,
    wait_for,
    write_config,
    write_jsonl,
)

pytestmark = pytest.mark.slow


def _consistent(url: str) -> tuple[int, int]:
    """(documents, committed fetch count): every committed page landed whole, with its cursor."""
    engine = open_engine(url)
    try:
        documents = scalar(engine, "SELECT COUNT(*) FROM documents WHERE source = 'big'")
        fetched = scalar(engine, "SELECT SUM(fetched) FROM sync_runs WHERE connector = 'big'")
        revisions = scalar(engine, "SELECT COUNT(*) FROM revisions")
        cursor = scalar(engine, "SELECT cursor FROM sync_state WHERE connector = 'big'")
        newest = scalar(engine, "SELECT MAX(source_modified_at) FROM documents WHERE source = 'big'")
    finally:
        engine.dispose()
    assert documents == fetched == revisions
    assert str(cursor) == str(newest)
    return documents, fetched


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_a_backup_taken_while_a_sync_runs_restores_to_a_consistent_ledger(
    tmp_path: Path, database_url: str
) -> None:
    big = write_jsonl(tmp_path / "big.jsonl", invoices(40_000))
    connectors = [jsonl_connector("big", big, page_size=200)]
    config = write_config(tmp_path / "lb.yaml", database_url, connectors=connectors)
    engine = open_engine(database_url)
    daemon = start_cli(config, "daemon", stderr=tmp_path / "daemon.log")
    backup_file = tmp_path / "backups" / "ledger-backup.db"
    backup_file.parent.mkdir()
    try:
        wait_for(
            lambda: scalar(engine, "SELECT MAX(fetched) FROM sync_runs WHERE status = 'running'"),
            what="the sync to commit its first pages",
        )
        taken = invoke(config, "backup", str(backup_file), "--json")
        still_running = scalar(engine, "SELECT COUNT(*) FROM sync_runs WHERE status = 'running'")
        assert stop(daemon)[0] == 0
    finally:
        reap(daemon)
        engine.dispose()
    assert taken.returncode == 0, taken.stderr
    assert still_running == 1, "the backup should have been taken while the sync ran"
    assert json.loads(taken.stdout)["format"] == "sqlite"

    restored_url = f"sqlite:///{tmp_path / 'restored.db'}"
    restored_config = write_config(tmp_path / "restored.yaml", restored_url)
    result = invoke(restored_config, "restore", str(backup_file), "--yes", "--json")
    assert result.returncode == 0, result.stderr
    documents, _ = _consistent(restored_url)
    assert 0 < documents < 40_000
    assert invoke(restored_config, "audit", "verify").returncode == 0


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_restore_refuses_a_file_that_is_not_a_ledgerbridge_database(
    tmp_path: Path, database_url: str
) -> None:
    config = write_config(tmp_path / "lb.yaml", database_url)
    noise = tmp_path / "noise.bin"
    noise.write_bytes(b"\x00\x01 not a database at all" * 100)
    other = tmp_path / "other.db"
    with closing(sqlite3.connect(other)) as conn:
        conn.execute("CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT)")
        conn.commit()
    future = tmp_path / "future.db"
    assert invoke(config, "backup", str(future)).returncode == 0
    with closing(sqlite3.connect(future)) as conn:
        conn.execute("UPDATE alembic_version SET version_num = '9999'")
        conn.commit()

    for path, reason in (
        (noise, "not a SQLite database"),
        (other, "not a ledgerbridge ledger"),
        (future, "schema revision '9999' is unknown"),
    ):
        refused = invoke(config, "restore", str(path), "--yes")
        assert refused.returncode == 1
        assert f"refusing to restore {path}: " in refused.stderr
        assert reason in refused.stderr
    assert invoke(config, "audit", "verify").returncode == 0  # the live database was left alone


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_backup_never_overwrites_a_file_unless_forced(tmp_path: Path, database_url: str) -> None:
    config = write_config(tmp_path / "lb.yaml", database_url)
    target = tmp_path / "b.db"
    target.write_text("keep me")
    refused = invoke(config, "backup", str(target))
    assert refused.returncode == 2
    assert target.read_text() == "keep me"
    assert invoke(config, "backup", str(target), "--force").returncode == 0


@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
def test_postgresql_backup_is_a_pg_dump_that_restores_the_ledger(tmp_path: Path, database_url: str) -> None:
    big = write_jsonl(tmp_path / "big.jsonl", invoices(500))
    connectors = [jsonl_connector("big", big)]
    config = write_config(tmp_path / "lb.yaml", database_url, connectors=connectors)
    engine = open_engine(database_url)
    daemon = start_cli(config, "daemon", stderr=tmp_path / "daemon.log")
    try:
        wait_for(
            lambda: scalar(engine, "SELECT COUNT(*) FROM sync_runs WHERE status = 'ok'"),
            what="a completed sync",
        )
        assert stop(daemon)[0] == 0
    finally:
        reap(daemon)
    dump = tmp_path / "ledger.dump"
    taken = invoke(config, "backup", str(dump), "--json")
    assert taken.returncode == 0, taken.stderr
    assert json.loads(taken.stdout)["format"] == "pg_dump"
    with engine.begin() as conn:
        conn.exec_driver_sql("DELETE FROM revisions")
        conn.exec_driver_sql("DELETE FROM documents")
    engine.dispose()
    restored = invoke(config, "restore", str(dump), "--yes")
    assert restored.returncode == 0, restored.stderr
    documents, _ = _consistent(database_url)
    assert documents == 500
