"""`restore` accepts only what ledgerbridge makes, under this installation's key, while nothing else runs
(issue 13, ADR 0020): a backup carrying a trigger that halves every new total is refused, a backup
made under another key is refused naming this key's fingerprint, and a restore while a sync holds its
connector's lock is refused (SQLite: a lease row; PostgreSQL: an advisory lock). A backup's manifest
holds the audit head, and a restored ledger verifies."""

from __future__ import annotations

import json
import sqlite3
from contextlib import closing
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from store.integrity import fingerprint
from store.locks import connector_lock
from tests.e2e.daemon_support import (
    TEST_KEY,
    invoices,
    invoke,
    jsonl_connector,
    open_engine,
    scalar,
    write_config,
    write_jsonl,
)

pytestmark = pytest.mark.slow

HALVING_SQLITE = (
    "CREATE TRIGGER halve_totals AFTER INSERT ON documents BEGIN "
    "UPDATE documents SET total = NEW.total / 2 WHERE id = NEW.id; END"
)
HALVING_POSTGRES = (
    "CREATE FUNCTION halve_total() RETURNS trigger LANGUAGE plpgsql AS "
    "$$ BEGIN NEW.total := NEW.total / 2; RETURN NEW; END $$; "
    "CREATE TRIGGER halve_totals BEFORE INSERT ON documents FOR EACH ROW EXECUTE FUNCTION halve_total()"
)


def _installation(tmp_path: Path, database_url: str, records: int = 20) -> Path:
    source = write_jsonl(tmp_path / "shop.jsonl", invoices(records))
    config = write_config(tmp_path / "lb.yaml", database_url, connectors=[jsonl_connector("shop", source)])
    synced = invoke(config, "sync", "run")
    assert synced.returncode == 0, synced.stderr
    return config


def _documents(database_url: str) -> int:
    engine = open_engine(database_url)
    try:
        return int(scalar(engine, "SELECT COUNT(*) FROM documents"))
    finally:
        engine.dispose()


def test_a_backup_carrying_a_trigger_that_halves_totals_is_refused_on_sqlite(
    tmp_path: Path, database_url: str
) -> None:
    if not database_url.startswith("sqlite"):
        pytest.skip("the PostgreSQL case is the next test")
    config = _installation(tmp_path, database_url)
    backup = tmp_path / "b.db"
    assert invoke(config, "backup", str(backup)).returncode == 0
    with closing(sqlite3.connect(backup)) as conn:
        conn.execute(HALVING_SQLITE)
        conn.commit()
    refused = invoke(config, "restore", str(backup), "--yes")
    assert refused.returncode == 2
    assert "trigger 'halve_totals' on documents that ledgerbridge did not create" in refused.stderr
    assert invoke(config, "audit", "verify").returncode == 0  # the live ledger was left alone


@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
def test_a_dump_carrying_a_trigger_and_its_function_is_refused_on_postgresql(
    tmp_path: Path, database_url: str
) -> None:
    config = _installation(tmp_path, database_url)
    engine = open_engine(database_url)
    try:
        with engine.begin() as conn:
            conn.exec_driver_sql(HALVING_POSTGRES)
        dump = tmp_path / "b.dump"
        assert invoke(config, "backup", str(dump)).returncode == 0
        with engine.begin() as conn:
            conn.exec_driver_sql("DROP TRIGGER halve_totals ON documents; DROP FUNCTION halve_total()")
    finally:
        engine.dispose()
    refused = invoke(config, "restore", str(dump), "--yes")
    assert refused.returncode == 2
    assert "FUNCTION public halve_total() that ledgerbridge did not create" in refused.stderr
    assert _documents(database_url) == 20


def test_a_backup_made_under_another_key_is_refused_naming_this_keys_fingerprint(
    tmp_path: Path, database_url: str
) -> None:
    config = _installation(tmp_path, database_url)
    assert invoke(config, "secret", "set", "zoho", input_text="s3cret").returncode == 0
    backup = tmp_path / ("b.db" if database_url.startswith("sqlite") else "b.dump")
    assert invoke(config, "backup", str(backup)).returncode == 0
    other_key = Fernet.generate_key().decode()
    refused = invoke(config, "restore", str(backup), "--yes", env={"LEDGERBRIDGE_SECRET_KEY": other_key})
    assert refused.returncode == 2
    assert "encrypted with another key" in refused.stderr
    assert fingerprint(other_key.encode()) in refused.stderr
    assert other_key not in refused.stderr
    assert TEST_KEY not in refused.stderr


def test_a_restore_while_a_sync_holds_its_connector_lock_is_refused(
    tmp_path: Path, database_url: str
) -> None:
    config = _installation(tmp_path, database_url)
    backup = tmp_path / ("b.db" if database_url.startswith("sqlite") else "b.dump")
    assert invoke(config, "backup", str(backup)).returncode == 0
    engine = open_engine(database_url)
    try:
        with connector_lock(engine, "shop", holder="sync run"):
            refused = invoke(config, "restore", str(backup), "--yes")
        assert refused.returncode == 1
        assert "refusing to restore while connector shop is locked by sync run" in refused.stderr
        restored = invoke(config, "restore", str(backup), "--yes")  # the sync finished: it goes ahead
        assert restored.returncode == 0, restored.stderr
    finally:
        engine.dispose()


def test_the_manifest_holds_the_audit_head_and_a_restored_ledger_verifies(
    tmp_path: Path, database_url: str
) -> None:
    config = _installation(tmp_path, database_url)
    backup = tmp_path / ("b.db" if database_url.startswith("sqlite") else "b.dump")
    taken = invoke(config, "backup", str(backup), "--json")
    assert taken.returncode == 0, taken.stderr
    manifest = json.loads(Path(json.loads(taken.stdout)["manifest"]).read_text())
    assert manifest["audit_head"]["seq"] >= 1
    assert len(manifest["audit_head"]["mac"]) == 64
    assert invoke(config, "sync", "run").returncode == 0  # the log grows past the backup
    assert invoke(config, "restore", str(backup), "--yes").returncode == 0
    verified = invoke(config, "audit", "verify")
    assert verified.returncode == 0, verified.stdout + verified.stderr
