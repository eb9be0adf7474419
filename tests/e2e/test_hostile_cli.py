"""Issue 13 from the command line, on both databases: careless or hostile input is one line on stderr
and exit status 2 (never a traceback, never a hang); a rule whose source is being synced is skipped
with the reason (exit 1); a sync run on a database locked by another process fails its streams with
the reason and exit 1, without an "internal error"."""

from __future__ import annotations

import json
import sqlite3
import time
from pathlib import Path

import pytest
from sqlalchemy import Engine

from store.locks import connector_lock
from tests.e2e.daemon_support import TEST_KEY
from tests.e2e.report_support import crm_vs_books, run_cli, write_config
from tests.e2e.sync_support import cli, invoices, write_records
from tests.e2e.sync_support import write_config as write_sync_config

RULES = crm_vs_books()


@pytest.fixture(autouse=True)
def _secrets_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LEDGERBRIDGE_SECRET_KEY", TEST_KEY)


@pytest.fixture
def config(tmp_path: Path, database_url: str, engine: Engine) -> Path:
    del engine  # migrated
    path = write_config(tmp_path, database_url, extra=RULES)
    return path


def _one_line_usage_error(code: int, err: str) -> str:
    assert code == 2, err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert "Traceback" not in err
    assert "internal error" not in err
    return lines[0]


@pytest.mark.parametrize(
    "args",
    [
        ["reconcile", "run", "--period", "0000-01"],
        ["reconcile", "run", "--period", "0000-Q1"],
        ["exceptions", "list", "--period", "0000-01"],
        ["report", "mismatches", "--period", "0000"],
    ],
)
def test_a_period_in_year_zero_is_a_one_line_usage_error(
    capsys: pytest.CaptureFixture[str], config: Path, args: list[str]
) -> None:
    ran = run_cli(capsys, config, args)
    assert "year must be 0001 to 9999" in _one_line_usage_error(ran.status, ran.err)


def test_december_of_year_9999_is_a_period_like_any_other(
    capsys: pytest.CaptureFixture[str], config: Path
) -> None:
    ran = run_cli(capsys, config, ["reconcile", "run", "--period", "9999-12", "--json"])
    assert ran.status == 0, ran.err


@pytest.mark.parametrize("command", ["show", "ack", "reopen"])
def test_a_23_digit_exception_id_is_a_one_line_usage_error(
    capsys: pytest.CaptureFixture[str], config: Path, command: str
) -> None:
    ran = run_cli(capsys, config, ["exceptions", command, "12345678901234567890123"])
    assert ran.status == 2, ran.err
    assert "Traceback" not in ran.err
    assert "internal error" not in ran.err
    assert "12345678901234567890123 is not in the range" in ran.err


LAUGHS = 'lol: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n' + "".join(
    f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join([f'*{chr(97 + i)}'] * 9)}]\n" for i in range(9)
)
HOSTILE_YAML = {
    "python name tag": ("connectors: !!python/name:os.system\n", "YAML tag"),
    "python object tag": ("connectors: !!python/object/apply:os.system [echo owned]\n", "YAML tag"),
    "100k-deep list": ("a: " + "[" * 100_000 + "]" * 100_000 + "\n", "nested deeper than 64"),
    "100k-deep mapping": ("a: " + "{a: " * 100_000 + "1" + "}" * 100_000 + "\n", "nested deeper than 64"),
    "billion laughs": (LAUGHS, "expands to more than"),
    "five megabytes": ("# " + "x" * (5 * 1024 * 1024) + "\n", "larger than"),
}


@pytest.mark.timeout(30)
@pytest.mark.parametrize("name", list(HOSTILE_YAML))
def test_a_hostile_yaml_config_is_refused_in_one_line_within_seconds(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, name: str
) -> None:
    text, expected = HOSTILE_YAML[name]
    path = tmp_path / "ledgerbridge.yaml"
    path.write_text(text, encoding="utf-8")
    started = time.monotonic()
    ran = run_cli(capsys, path, ["sync", "status"])
    assert time.monotonic() - started < 10
    assert expected in _one_line_usage_error(ran.status, ran.err)


def test_reconcile_run_skips_a_rule_whose_source_is_being_synced_and_says_why(
    capsys: pytest.CaptureFixture[str], config: Path, engine: Engine
) -> None:
    with connector_lock(engine, "zoho-books", holder="sync run"):
        ran = run_cli(capsys, config, ["reconcile", "run", "--json", "--wait-for-sync", "0.2"])
    assert ran.status == 1
    document = json.loads(ran.out)
    assert document["runs"] == []  # the rule, and the implicit audit plan over the same sources
    skipped = {s["rule"]: s for s in document["skipped"]}
    assert "crm-vs-books" in skipped
    for skip in skipped.values():
        assert skip["status"] == "skipped"
        assert "connector zoho-books is being synced by sync run" in skip["reason"]
    assert "crm-vs-books skipped" in ran.err
    assert "Traceback" not in ran.err
    after = run_cli(capsys, config, ["reconcile", "run", "--json"])
    assert after.status == 0, after.err


def test_sync_run_on_a_sqlite_file_another_process_locks_fails_each_connector_in_one_line_exit_1(
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    database_url: str,
    engine: Engine,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    if not database_url.startswith("sqlite"):
        pytest.skip("a file lock is SQLite's")
    del engine  # migrated
    monkeypatch.setattr("store.db.BUSY_TIMEOUT_MS", 300)
    config = write_sync_config(tmp_path, database_url)
    write_records(tmp_path, invoices(3))
    path = database_url.removeprefix("sqlite:///")
    intruder = sqlite3.connect(path)
    intruder.execute("BEGIN EXCLUSIVE")
    try:
        outcome = cli(capsys, config, "sync", "run", "--json")
    finally:
        intruder.rollback()
        intruder.close()
    assert outcome.code == 1, outcome.err
    assert "internal error" not in outcome.err
    assert "Traceback" not in outcome.err
    assert "database is locked" in outcome.err
    again = cli(capsys, config, "sync", "run", "--json")
    assert again.code == 0, again.err
