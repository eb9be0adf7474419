"""A bank_statement connector under `sync run` and the daemon (issue 21), on SQLite and PostgreSQL: both
load the connector's inbox through import statement's code (one transaction per file, archive/ and
rejected/, registry rows), say how many files were loaded, already loaded and rejected, never load a
file twice when they race `import statement`, and tell a rejected file once."""

from __future__ import annotations

import threading
from datetime import timedelta
from functools import partial
from pathlib import Path

import pytest
from sqlalchemy import Engine

from config.kinds import BankStatementSettings
from config.loader import parse_config
from config.settings import Settings
from store.audit_log import list_audit
from store.bank_statements import SqlBankStatementFiles
from store.locks import LockHeld, connector_lock
from store.runs import SqlSyncLog
from sync.admin_service import sync_connector
from sync.bank_import import FileResult, import_files, inbox_files, sync_inbox
from sync.bootstrap import utc_now
from sync.daemon import Daemon, ShutdownRequested
from tests.conftest import table_counts
from tests.connectors.bank.samples import sample
from tests.e2e.sync_support import cli
from tests.e2e.test_import_statement import _drop
from tests.e2e.test_import_statement import config as config  # noqa: PLC0414 - the fixture, shared
from tests.e2e.test_tokens_and_limits import Outbox

BANK = "bank-icbc"


def _inbox(config: Path) -> Path:
    return config.parent / "statements"


def _three_files(config: Path) -> None:
    """Oldest first (all dated 1970, then by name): a statement, the same bytes again, a broken one."""
    _drop(config, "a-icbc-2026-11.csv", sample("icbc_gbk.csv"))
    _drop(config, "b-icbc-again.csv", sample("icbc_gbk.csv"))
    _drop(config, "c-broken.sta", sample("mt940_malformed.sta"))


def _settings(config: Path) -> Settings:
    return parse_config(config.read_text(encoding="utf-8"), str(config), {})


def _bank(settings: Settings) -> BankStatementSettings:
    found = settings.connector(BANK)
    assert isinstance(found, BankStatementSettings)
    return found


def _lines(engine: Engine) -> int:
    return table_counts(engine, "documents")["documents"]


def test_sync_run_loads_the_inbox_counts_loaded_duplicate_rejected_and_exits_1_for_the_rejected_file(
    capsys: pytest.CaptureFixture[str], config: Path, engine: Engine
) -> None:
    _three_files(config)
    ran = cli(capsys, config, "sync", "run", "--connector", BANK, "--json")
    assert ran.code == 1, ran.err  # a rejected file is never a silent success
    [run] = ran.json()["runs"]
    assert (run["status"], run["fetched"], run["created"]) == ("ok", 7, 7)
    assert run["statement_files"] == {"loaded": 1, "duplicate": 1, "rejected": 1}
    assert run["error"].startswith(
        "1 statement file(s) rejected, nothing of them loaded: c-broken.sta (line 8"
    )
    outcomes = {Path(f["path"]).name: f["outcome"] for f in run["files"]}
    assert outcomes == {
        "a-icbc-2026-11.csv": "loaded",
        "b-icbc-again.csv": "duplicate",
        "c-broken.sta": "rejected",
    }
    inbox = _inbox(config)
    assert sorted(p.name for p in (inbox / "archive").iterdir()) == ["a-icbc-2026-11.csv", "b-icbc-again.csv"]
    assert (inbox / "rejected" / "c-broken.sta.reason.txt").exists()
    assert not [p for p in inbox.iterdir() if p.is_file()]
    assert f"{BANK}: 1 statement file(s) rejected, nothing of them loaded" in ran.err
    [audit] = list_audit(engine, action="sync.run", limit=1)
    assert audit.detail["statement_files"] == {BANK: {"loaded": 1, "duplicate": 1, "rejected": 1}}

    status = cli(capsys, config, "sync", "status", "--json")
    [stream] = [s for s in status.json()["streams"] if s["connector"] == BANK]
    assert stream["statement_files"] == {"loaded": 1, "duplicate": 1, "rejected": 1}
    english = cli(capsys, config, "sync", "status")
    assert "statement files 1 loaded, 1 already loaded, 1 rejected" in english.out
    # the inbox is empty now: the next run is a quiet ok, and says so
    again = cli(capsys, config, "--lang", "zh", "sync", "run", "--connector", BANK)
    assert again.code == 0, again.err
    assert f"{BANK}：收件箱中的对账单文件：已导入 0 个，已导入过 0 个，被拒收 0 个" in again.out
    assert _lines(engine) == 7


def test_sync_run_in_chinese_names_the_rejected_file_and_its_reason(
    capsys: pytest.CaptureFixture[str], config: Path
) -> None:
    _drop(config, "broken.sta", sample("mt940_malformed.sta"))
    ran = cli(capsys, config, "--lang", "zh", "sync", "run", "--connector", BANK)
    assert ran.code == 1
    assert "broken.sta：已拒收，未导入任何流水：line 8 (:61:)" in ran.out
    assert f"{BANK}：1 个对账单文件被拒收" in ran.err


def test_sync_run_before_any_import_is_ok_and_a_full_resync_stays_refused_without_touching_the_lines(
    capsys: pytest.CaptureFixture[str], config: Path, engine: Engine
) -> None:
    empty = cli(capsys, config, "sync", "run", "--connector", BANK, "--json")
    assert empty.code == 0, empty.err
    assert empty.json()["runs"][0]["statement_files"] == {"loaded": 0, "duplicate": 0, "rejected": 0}
    _drop(config, "icbc.csv", sample("icbc_gbk.csv"))
    assert cli(capsys, config, "sync", "run", "--connector", BANK).code == 0
    _drop(config, "later.csv", sample("icbc_gbk.csv"))
    full = cli(capsys, config, "sync", "run", "--connector", BANK, "--full", "--json")
    assert full.code == 1
    assert "a full resync is refused" in full.json()["runs"][0]["error"]
    assert (_inbox(config) / "later.csv").exists()  # --full reads no inbox either
    assert _lines(engine) == 7


def test_a_connector_held_by_an_import_refuses_sync_run_and_leaves_the_file(
    capsys: pytest.CaptureFixture[str], config: Path, engine: Engine
) -> None:
    _drop(config, "icbc.csv", sample("icbc_gbk.csv"))
    with connector_lock(engine, BANK, holder="import statement"):
        ran = cli(capsys, config, "sync", "run", "--connector", BANK)
    assert ran.code == 1
    assert "import statement" in ran.err
    assert (_inbox(config) / "icbc.csv").exists()
    assert _lines(engine) == 0


def test_racing_daemon_ticks_and_an_import_load_each_file_once(config: Path, engine: Engine) -> None:
    settings = _bank(_settings(config))
    for month in range(1, 7):  # six distinct files of the same lines (a totals row tells them apart)
        _drop(config, f"icbc-{month}.csv", sample("icbc_gbk.csv") + f"合计,{month}\r\n".encode("gb18030"))
    listed = inbox_files(settings, utc_now(), settle=timedelta(0))
    assert len(listed) == 6
    start = threading.Barrier(3)
    handled: list[FileResult] = []
    refused: list[LockHeld] = []

    def tick() -> None:  # a daemon tick or `sync run --wait`: waits for the connector
        start.wait()
        handled.extend(sync_inbox(engine, settings, clock=utc_now, holder="daemon", wait_seconds=30).files)

    def manual_import() -> None:  # `import statement`: the inbox listed before the lock, no waiting
        start.wait()
        try:
            handled.extend(import_files(engine, settings, listed, clock=utc_now))
        except LockHeld as exc:
            refused.append(exc)

    threads = [threading.Thread(target=tick), threading.Thread(target=tick)]
    threads.append(threading.Thread(target=manual_import))
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert sorted(Path(r.path).name for r in handled) == sorted(p.name for p in listed)  # each once
    rows = SqlBankStatementFiles(engine).recent(BANK, 100)
    assert sorted(r.filename for r in rows) == sorted(p.name for p in listed)  # one registry row each
    assert {r.outcome for r in rows} == {"loaded"}
    assert sum(r.created for r in rows) == 7
    assert _lines(engine) == 7
    assert len(refused) <= 1


def test_an_import_that_listed_the_inbox_before_a_tick_took_the_files_loads_nothing_again(
    config: Path, engine: Engine
) -> None:
    settings = _bank(_settings(config))
    _three_files(config)
    listed = inbox_files(settings, utc_now(), settle=timedelta(0))
    tick = sync_inbox(engine, settings, clock=utc_now, holder="daemon")
    assert tick.counts() == {"loaded": 1, "duplicate": 1, "rejected": 1}
    assert import_files(engine, settings, listed, clock=utc_now) == []
    assert len(SqlBankStatementFiles(engine).recent(BANK, 100)) == 3


def test_the_daemon_tick_loads_the_inbox_tells_a_rejected_file_once_and_counts_files_in_metrics(
    config: Path, engine: Engine
) -> None:
    settings = _settings(config)
    outbox = Outbox(settings.notifications)
    daemon = Daemon(settings, engine, notifier=outbox)
    job = f"sync:{BANK}"
    _three_files(config)
    daemon._run_tracked(job, partial(daemon._sync, BANK))
    [digest] = outbox.sent
    [alert] = digest.as_json()["alerts"]
    assert (alert["connector"], alert["problem"]) == (BANK, "statement_rejected")
    assert alert["error"].startswith("c-broken.sta: line 8 (:61:)")
    assert f"{BANK} rejected a statement file" in digest.subject
    assert "rejected/ folder" in digest.as_text()
    metrics = daemon.metrics_text()
    for outcome in ("loaded", "duplicate", "rejected"):
        assert f'ledgerbridge_statement_files_total{{connector="{BANK}",outcome="{outcome}"}} 1' in metrics
    assert f'ledgerbridge_job_runs_total{{connector="{BANK}",job="{job}",outcome="ok"}} 1' in metrics
    assert daemon._states[job].failures == 0  # a rejected file does not back the job off
    assert _lines(engine) == 7

    daemon._run_tracked(job, partial(daemon._sync, BANK))  # nothing new: nothing told again
    assert len(outbox.sent) == 1
    _drop(config, "dropped-again.sta", sample("mt940_malformed.sta"))
    daemon._run_tracked(job, partial(daemon._sync, BANK))  # a new bad file: told, once
    assert len(outbox.sent) == 2
    assert outbox.sent[1].as_json()["alerts"][0]["error"].startswith("dropped-again.sta: ")


def test_a_daemon_tick_while_an_import_holds_the_connector_is_skipped_and_leaves_the_file(
    config: Path, engine: Engine
) -> None:
    daemon = Daemon(_settings(config), engine, notifier=Outbox(_settings(config).notifications))
    _drop(config, "icbc.csv", sample("icbc_gbk.csv"))
    with connector_lock(engine, BANK, holder="import statement"):
        assert daemon._sync(BANK) is None
    assert (_inbox(config) / "icbc.csv").exists()
    assert daemon._sync(BANK) is True
    assert not (_inbox(config) / "icbc.csv").exists()


def test_a_bank_connector_with_a_schedule_passes_config_check_and_gets_a_daemon_job(
    capsys: pytest.CaptureFixture[str], config: Path, engine: Engine
) -> None:
    with config.open("a", encoding="utf-8") as handle:
        handle.write("    schedule: {every_minutes: 5}\n")
    checked = cli(capsys, config, "config", "check")
    assert checked.code == 0, checked.out + checked.err
    daemon = Daemon(_settings(config), engine)
    daemon._schedule()
    assert f"sync:{BANK}" in daemon._states


def test_a_daemon_stopping_between_files_records_the_run_interrupted_and_leaves_the_rest(
    config: Path, engine: Engine
) -> None:
    daemon = Daemon(_settings(config), engine, notifier=Outbox(_settings(config).notifications))
    _drop(config, "icbc.csv", sample("icbc_gbk.csv"))
    daemon.stop()
    with pytest.raises(ShutdownRequested):
        daemon._sync(BANK)
    [status] = [s for s in SqlSyncLog(engine).statuses([(BANK, "transactions")]) if s.connector == BANK]
    assert status.last_run is not None
    assert status.last_run.status == "interrupted"
    assert (_inbox(config) / "icbc.csv").exists()


def test_the_web_app_s_sync_of_a_bank_fails_its_job_naming_the_rejected_file(
    config: Path, engine: Engine
) -> None:
    _drop(config, "broken.sta", sample("mt940_malformed.sta"))
    outcome = sync_connector(engine, _settings(config), BANK, full=False, actor="web:ops", holder="web sync")
    assert outcome.failed == 1  # the web job's state: failed, not done
    [run] = outcome.results
    assert run.status == "ok"  # the run itself worked: health and backoff are not for a bad file
    assert run.error is not None
    assert run.error.startswith("1 statement file(s) rejected, nothing of them loaded: broken.sta (line 8")
