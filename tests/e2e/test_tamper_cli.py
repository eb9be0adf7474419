"""What an operator sees when the ledger was edited behind ledgerbridge's back (issue 13, ADR 0020):
`audit verify` names the document whose total was halved by a direct UPDATE and exits 1; a plain
`sync run --full` leaves it (the vendor's payload did not change); `sync run --full --repair` rewrites
it from the vendor's record, after which the ledger verifies."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

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


def _total(database_url: str) -> int:
    engine = open_engine(database_url)
    try:
        return int(scalar(engine, "SELECT total FROM documents WHERE external_id = 'INV-7'"))
    finally:
        engine.dispose()


def test_a_halved_total_is_named_by_audit_verify_and_repaired_by_a_full_run_with_repair(
    tmp_path: Path, database_url: str
) -> None:
    source = write_jsonl(tmp_path / "shop.jsonl", invoices(10))
    config = write_config(tmp_path / "lb.yaml", database_url, connectors=[jsonl_connector("shop", source)])
    assert invoke(config, "sync", "run").returncode == 0
    assert invoke(config, "audit", "verify").returncode == 0
    engine = open_engine(database_url)
    try:
        with engine.begin() as conn:
            conn.exec_driver_sql("UPDATE documents SET total = total / 2 WHERE external_id = 'INV-7'")
    finally:
        engine.dispose()

    found = invoke(config, "audit", "verify")
    assert found.returncode == 1
    assert "document shop invoice INV-7" in found.stdout
    assert "its total differ from revision 1" in found.stdout
    assert "sync run --full --repair" in found.stderr

    assert invoke(config, "sync", "run", "--full").returncode == 0
    assert _total(database_url) == 37_500  # 3.75: a plain full run leaves it
    assert invoke(config, "sync", "run", "--repair").returncode == 2  # only with --full

    repaired = invoke(config, "sync", "run", "--full", "--repair", "--json")
    assert repaired.returncode == 0, repaired.stderr
    assert _total(database_url) == 75_000  # 7.50, the vendor's
    verified = invoke(config, "audit", "verify", "--json")
    assert verified.returncode == 0, verified.stdout
    assert json.loads(verified.stdout)["documents"] == {"rows": 10, "unsealed": 0, "problems": []}


def test_the_daemons_daily_check_fails_its_job_when_a_document_was_changed(
    tmp_path: Path, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from config.loader import parse_config
    from sync.bootstrap import open_engine as open_sealed
    from sync.daemon import VERIFY_JOB, Daemon

    source = write_jsonl(tmp_path / "shop.jsonl", invoices(3))
    config = write_config(tmp_path / "lb.yaml", database_url, connectors=[jsonl_connector("shop", source)])
    assert invoke(config, "sync", "run").returncode == 0
    settings = parse_config(config.read_text(encoding="utf-8"), str(config), {})
    monkeypatch.setenv("LEDGERBRIDGE_SECRET_KEY", TEST_KEY)
    engine = open_sealed(settings)
    try:
        daemon = Daemon(settings, engine)
        daemon._schedule()
        assert VERIFY_JOB in {job.id for job in daemon._scheduler.get_jobs()}
        assert daemon._verify() is True
        with engine.begin() as conn:
            conn.exec_driver_sql("UPDATE documents SET total = 1 WHERE external_id = 'INV-2'")
        assert daemon._verify() is False
    finally:
        engine.dispose()
