"""A refresh token that dies within 30 days (ADR 0033) shows in `sync status` (en and zh, naming the
command that renews it), as the gauge `ledgerbridge_refresh_token_expires_at_seconds{connector}` and as
one notification per threshold (30, 14, 7, 1 day(s) left, expired), not one per daemon tick."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine

from config.loader import parse_config
from store.secrets import SecretBox, SqlTokenStore, StoredToken, create_key_file
from sync.daemon import Daemon
from tests.conftest import FixedClock
from tests.e2e.sync_support import cli
from tests.e2e.test_tokens_and_limits import Outbox

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


def _config(tmp_path: Path, database_url: str) -> Path:
    key = tmp_path / "ledgerbridge.key"
    create_key_file(key)
    config = tmp_path / "ledgerbridge.yaml"
    config.write_text(
        f"database_url: {database_url}\n"
        "base_currency: USD\n"
        "timezone: UTC\n"
        f"secret_key_file: {key}\n"
        "connectors:\n"
        "  - name: qbo\n"
        "    kind: quickbooks\n"
        '    realm_id: "9130350000000000"\n'
        "    streams: [invoices]\n"
        "    credentials: {client_id: id, client_secret: secret, refresh_token: rt}\n"
        "  - name: books\n"
        "    kind: xero\n"
        "    streams: [invoices]\n"
        "    credentials: {client_id: id, client_secret: secret, refresh_token: rt}\n",
        encoding="utf-8",
    )
    return config


def _store_deadline(engine: Engine, tmp_path: Path, connector: str, deadline: datetime) -> None:
    box = SecretBox(tmp_path / "ledgerbridge.key", {})
    extra = {"connector": connector, "refresh_expires_at": deadline.isoformat()}
    SqlTokenStore(engine, box).save(f"quickbooks:{connector}", StoredToken("a", NOW, extra))


def test_a_refresh_token_ten_days_from_death_is_a_status_line_in_both_languages_and_a_json_entry(
    tmp_path: Path, database_url: str, engine: Engine, capsys: pytest.CaptureFixture[str]
) -> None:
    config = _config(tmp_path, database_url)
    soon = datetime.now(UTC) + timedelta(days=10, hours=1)
    _store_deadline(engine, tmp_path, "qbo", soon)
    _store_deadline(engine, tmp_path, "books", datetime.now(UTC) + timedelta(days=200))

    english = cli(capsys, config, "--lang", "en", "sync", "status")
    assert english.code == 0, english.err
    [line] = [line for line in english.out.splitlines() if "refresh token" in line]
    assert "connector qbo" in line
    assert "in 10 day(s)" in line
    assert "`ledgerbridge connector authorize qbo`" in line
    assert "books" not in line, "a deadline 200 days away is not a warning"

    chinese = cli(capsys, config, "--lang", "zh", "sync", "status")
    [zh_line] = [line for line in chinese.out.splitlines() if "刷新令牌" in line]
    assert "还剩 10 天" in zh_line
    assert "`ledgerbridge connector authorize qbo`" in zh_line

    as_json = cli(capsys, config, "sync", "status", "--json").json()
    by_name = {t["connector"]: t for t in as_json["refresh_tokens"]}
    assert by_name["qbo"]["due"] is True
    assert by_name["qbo"]["days_left"] == 10
    assert by_name["books"]["due"] is False


def test_an_expired_refresh_token_says_it_cannot_sync_until_re_authorized(
    tmp_path: Path, database_url: str, engine: Engine, capsys: pytest.CaptureFixture[str]
) -> None:
    config = _config(tmp_path, database_url)
    _store_deadline(engine, tmp_path, "qbo", datetime.now(UTC) - timedelta(days=2))
    shown = cli(capsys, config, "sync", "status")
    [line] = [line for line in shown.out.splitlines() if "refresh token" in line]
    assert "expired" in line
    assert "`ledgerbridge connector authorize qbo`" in line


def test_the_daemon_exports_the_deadline_and_tells_each_threshold_once(
    tmp_path: Path, database_url: str, engine: Engine
) -> None:
    config = _config(tmp_path, database_url)
    deadline = NOW + timedelta(days=20)
    _store_deadline(engine, tmp_path, "qbo", deadline)
    settings = parse_config(config.read_text(encoding="utf-8"), str(config), {})
    outbox = Outbox(settings.notifications)
    clock = FixedClock(NOW)
    daemon = Daemon(settings, engine, notifier=outbox, clock=clock)

    metrics = daemon.metrics_text()
    assert "# TYPE ledgerbridge_refresh_token_expires_at_seconds gauge" in metrics
    assert (
        f'ledgerbridge_refresh_token_expires_at_seconds{{connector="qbo"}} {int(deadline.timestamp())}'
        in (metrics)
    )
    assert 'ledgerbridge_refresh_token_expires_at_seconds{connector="books"}' not in metrics

    daemon._notify_connector("qbo", [], [])
    [digest] = outbox.sent
    assert "qbo must be re-authorized" in digest.subject
    assert "expires 2026-12-21 12:00 UTC (in 20 day(s))" in digest.as_text()
    assert "`ledgerbridge connector authorize qbo`" in digest.as_text()
    [alert] = digest.as_json()["alerts"]
    assert alert["problem"] == "refresh_expiring"

    for hours in (1, 24, 48):  # later ticks within the same threshold: nothing more
        clock.now = NOW + timedelta(hours=hours)
        daemon._notify_connector("qbo", [], [])
    assert len(outbox.sent) == 1

    clock.now = deadline - timedelta(days=6)  # the 7-day threshold: told once more
    daemon._notify_connector("qbo", [], [])
    daemon._notify_connector("qbo", [], [])
    assert len(outbox.sent) == 2
    assert "in 6 day(s)" in outbox.sent[1].as_text()

    clock.now = deadline + timedelta(minutes=1)  # expired: told once more
    daemon._notify_connector("qbo", [], [])
    daemon._notify_connector("qbo", [], [])
    assert len(outbox.sent) == 3
    assert "the refresh token expired 2026-12-21 12:00 UTC" in outbox.sent[2].as_text()

    # Re-authorized: the new deadline is far away — nothing is told, and the steps start over.
    _store_deadline(engine, tmp_path, "qbo", clock.now + timedelta(days=100))
    daemon._notify_connector("qbo", [], [])
    assert len(outbox.sent) == 3
    assert daemon._states["sync:qbo"].expiry_told is None
