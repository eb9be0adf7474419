"""The operations commands speak the reader's language (issue 15, ADR 0024): `locale: zh` or `--lang zh`
gives Chinese tables, statuses, notes and errors; `--json` stays the same machine document in both.
`sync status` shows a quarantined record's id and raw payload (docs/demo.md), secrets scrubbed and
control characters removed. A database or backup under another key is refused in plain words."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from cryptography.fernet import Fernet

from reconcile.report.i18n import Catalogue
from store.integrity import fingerprint
from tests.e2e.daemon_support import invoke
from tests.e2e.daemon_support import write_config as write_daemon_config
from tests.e2e.sync_support import cli, invoices, reaped, spawn, write_config, write_records
from tests.fakes import record

ZH, EN = Catalogue("zh"), Catalogue("en")
SECRET_IN_PAYLOAD = "sk-live-9f8e7d6c5b4a"


@pytest.fixture
def config(tmp_path: Path, database_url: str) -> Path:
    path = write_config(tmp_path, database_url)
    write_records(tmp_path, invoices(3))
    return path


def _zh_config(path: Path) -> Path:
    path.write_text(path.read_text(encoding="utf-8") + "locale: zh\n", encoding="utf-8")
    return path


def _codes(document: Any) -> Any:
    """The document without its times and ids (which differ between two runs)."""
    if isinstance(document, dict):
        return {k: _codes(v) for k, v in document.items() if not k.endswith(("_at", "id", "seconds"))}
    if isinstance(document, list):
        return [_codes(item) for item in document]
    return document


def test_locale_zh_gives_chinese_sync_run_and_status_tables(
    capsys: pytest.CaptureFixture[str], config: Path
) -> None:
    _zh_config(config)
    ran = cli(capsys, config, "sync", "run")
    assert ran.code == 0, ran.err
    assert ZH.text("sync.col.fetched") in ran.out
    assert ZH.text("runstatus.ok") in ran.out
    assert "fetched" not in ran.out
    status = cli(capsys, config, "sync", "status")
    assert ZH.text("sync.col.cursor") in status.out
    assert ZH.text("sync.health", status=ZH.text("health.ok")) in status.out
    listed = cli(capsys, config, "connector", "list")
    assert ZH.text("connector.col.health") in listed.out
    assert "last sync" not in listed.out


def test_lang_overrides_the_locale_and_json_is_the_same_document_in_both_languages(
    capsys: pytest.CaptureFixture[str], config: Path
) -> None:
    _zh_config(config)
    assert cli(capsys, config, "sync", "run").code == 0
    english = cli(capsys, config, "--lang", "en", "sync", "status")
    assert "cursor" in english.out
    assert "health: ok" in english.out
    zh = json.loads(cli(capsys, config, "--lang", "zh", "sync", "status", "--json").out)
    en = json.loads(cli(capsys, config, "--lang", "en", "sync", "status", "--json").out)
    assert _codes(zh) == _codes(en)
    assert zh["streams"][0]["last_run"]["status"] == "ok"
    assert zh["health"]["status"] == "ok"


def test_errors_of_the_operations_commands_are_chinese(
    capsys: pytest.CaptureFixture[str], config: Path
) -> None:
    both = cli(capsys, config, "--lang", "zh", "sync", "run", "--full", "--since", "2026-11-01")
    assert both.code == 2
    assert both.err.strip() == f"ledgerbridge: {ZH.text('sync.full_and_since')}"
    unknown = cli(capsys, config, "--lang", "zh", "sync", "run", "--stream", "nope")
    assert "所选连接器都没有数据流 'nope'" in unknown.err
    secret = cli(capsys, config, "--lang", "zh", "secret", "delete", "nothing-here", "--yes")
    assert secret.code == 1
    assert "没有名为 'nothing-here' 的机密" in secret.err


def test_a_command_on_a_database_without_a_ledger_says_so_in_chinese(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    config = write_config(tmp_path, f"sqlite:///{tmp_path / 'empty.db'}")
    refused = cli(capsys, config, "--lang", "zh", "sync", "status")
    assert refused.code == 2
    assert refused.err.strip() == f"ledgerbridge: {ZH.text('errors.no_ledger')}"


def test_a_refused_confirmation_says_aborted_in_the_readers_language(
    tmp_path: Path, database_url: str
) -> None:
    config = write_daemon_config(tmp_path / "lb.yaml", database_url, locale="zh", connectors=[])
    backup = tmp_path / ("b.db" if database_url.startswith("sqlite") else "b.dump")
    assert invoke(config, "backup", str(backup)).returncode == 0
    declined = invoke(config, "restore", str(backup), input_text="n\n")
    assert declined.returncode == 1
    assert declined.stderr.strip().endswith(ZH.text("errors.aborted"))
    assert "用" in declined.stdout  # the question itself: 用 … 替换数据库 …？


# ----------------------------------------------------------------------------- quarantine


def test_sync_status_shows_each_quarantined_records_id_reason_and_raw_payload(
    capsys: pytest.CaptureFixture[str], config: Path, tmp_path: Path
) -> None:
    hostile = record(7, total="abc")
    hostile["notes"] = f"\x1b]8;;http://evil\x07click\x1b]8;;\x07 access_token={SECRET_IN_PAYLOAD}"
    write_records(tmp_path, [*invoices(3), hostile])
    assert cli(capsys, config, "sync", "run").code == 0
    status = cli(capsys, config, "sync", "status")
    listed = [line for line in status.out.splitlines() if "INV-7" in line]
    assert listed
    assert listed[0].lstrip().startswith("#")  # the quarantine row's id, then the vendor's id
    assert "total" in listed[0]
    payload = next(line for line in status.out.splitlines() if line.strip().startswith("payload:"))
    assert '"external_id": "INV-7"' in payload or '"external_id":"INV-7"' in payload
    assert "\x1b" not in status.out
    assert "\x07" not in status.out
    assert SECRET_IN_PAYLOAD not in status.out
    document = cli(capsys, config, "sync", "status", "--json").json()
    [entry] = document["streams"][0]["quarantine"]
    assert isinstance(entry["id"], int)
    assert f"#{entry['id']} INV-7" in status.out
    raw = entry["raw_payload"]
    assert json.loads(raw)["total"] == "abc"
    assert SECRET_IN_PAYLOAD not in raw


def test_sync_status_quarantine_lists_every_record_with_its_whole_payload(
    capsys: pytest.CaptureFixture[str], config: Path, tmp_path: Path
) -> None:
    broken = [record(100 + n, total="abc", notes="x" * 300) for n in range(12)]
    write_records(tmp_path, [*invoices(3), *broken])
    assert cli(capsys, config, "sync", "run").code == 0
    short = cli(capsys, config, "sync", "status")
    assert EN.text("sync.quarantine_more", count=2).strip() in short.out
    assert "x" * 300 not in short.out
    every = cli(capsys, config, "sync", "status", "--quarantine")
    assert all(f"INV-{100 + n}" in every.out for n in range(12))
    assert "x" * 300 in every.out
    zh = cli(capsys, config, "--lang", "zh", "sync", "status")
    assert "原始数据：" in zh.out
    assert "出现 1 次" in zh.out


# ----------------------------------------------------------------------------- another key


def test_a_backup_under_another_key_is_refused_in_plain_words_in_both_languages(
    tmp_path: Path, database_url: str
) -> None:
    config = write_daemon_config(tmp_path / "lb.yaml", database_url, connectors=[])
    assert invoke(config, "secret", "set", "access_token", input_text="s3cret-value").returncode == 0
    backup = tmp_path / ("b.db" if database_url.startswith("sqlite") else "b.dump")
    assert invoke(config, "backup", str(backup)).returncode == 0
    other_key = Fernet.generate_key().decode()
    env = {"LEDGERBRIDGE_SECRET_KEY": other_key}
    refused = invoke(config, "restore", str(backup), "--yes", env=env)
    assert refused.returncode == 2
    reason = EN.text(
        "restore.other_key", fingerprint=fingerprint(other_key.encode()), where="$LEDGERBRIDGE_SECRET_KEY"
    )
    assert refused.stderr.strip() == f"ledgerbridge: {EN.text('restore.refused', path=backup, reason=reason)}"
    assert "[REDACTED]" not in refused.stderr
    chinese = invoke(config, "--lang", "zh", "restore", str(backup), "--yes", env=env)
    assert chinese.returncode == 2
    assert "该备份是用另一把密钥加密的" in chinese.stderr
    assert "[REDACTED]" not in chinese.stderr


def test_a_database_under_another_key_is_named_plainly_not_redacted_into_nonsense(
    tmp_path: Path, database_url: str
) -> None:
    """Before: `cannot decrypt 'secret:access_token': the database …` read to the redactor as a
    credential field `access_token': the` and came out "[REDACTED] database was encrypted …"."""
    config = write_daemon_config(tmp_path / "lb.yaml", database_url, connectors=[])
    assert invoke(config, "secret", "set", "access_token", input_text="s3cret-value").returncode == 0
    other_key = Fernet.generate_key().decode()
    rotated = invoke(
        config, "secret", "rotate-key", "--new-key-file", str(tmp_path / "new.key"),
        env={"LEDGERBRIDGE_SECRET_KEY": other_key},
    )  # fmt: skip
    assert rotated.returncode == 1
    expected = EN.text(
        "errors.other_key", fingerprint=fingerprint(other_key.encode()), where="$LEDGERBRIDGE_SECRET_KEY"
    )
    assert rotated.stderr.strip() == f"ledgerbridge: {expected}"
    assert "[REDACTED]" not in rotated.stderr
    assert other_key not in rotated.stderr


# ----------------------------------------------------------------------------- the daemon's start line


def test_the_daemon_says_what_it_runs_in_chinese_in_its_json_log_without_escapes(
    tmp_path: Path, database_url: str
) -> None:
    if not database_url.startswith("sqlite"):
        pytest.skip("the start line does not depend on the database")
    config = write_daemon_config(tmp_path / "lb.yaml", database_url, locale="zh", connectors=[])
    with reaped() as processes:
        daemon = spawn(config, "daemon")
        processes.append(daemon)
        assert daemon.stderr is not None
        ready = next((line for line in daemon.stderr if '"event": "daemon.ready"' in line), None)
        daemon.terminate()
    assert ready is not None
    assert "守护进程已启动" in ready
    assert ZH.text("daemon.no_work") in json.loads(ready)["message"]
    assert "\\u" not in ready
