"""Health from the database: lag beyond a connector's threshold and runs failing in a row degrade it,
on SQLite and PostgreSQL alike (so every replica and `sync status` agree)."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

from sqlalchemy import Engine

from config.loader import parse_config
from config.settings import Settings
from store.runs import SqlSyncLog
from sync.health import assess_health, health_samples, lag_threshold
from sync.metrics import render
from tests.conftest import FixedClock
from tests.e2e.daemon_support import invoices, invoke, jsonl_connector, write_config, write_jsonl

CONFIG = """
connectors:
  - {name: crm, kind: jsonl, path: crm.jsonl, streams: [invoices], schedule: {every_minutes: 10}}
  - {name: books, kind: jsonl, path: books.jsonl, streams: [invoices]}
daemon:
  health: {failing_runs: 2}
"""


def _settings(text: str = CONFIG) -> Settings:
    return parse_config(text, "test.yaml", {})


def _run(engine: Engine, clock: FixedClock, connector: str, status: str, error: str | None = None) -> None:
    log = SqlSyncLog(engine)
    run = log.start(connector, "invoices", mode="incremental", since=None, now=clock())
    clock.advance(seconds=5)
    log.finish(run, status=status, now=clock(), error=error)


def test_streams_synced_recently_are_ok(engine: Engine, clock: FixedClock) -> None:
    _run(engine, clock, "books", "ok")
    _run(engine, clock, "crm", "ok")
    report = assess_health(engine, _settings(), clock() + timedelta(minutes=5))
    assert report.status == "ok"
    assert report.reasons == []
    crm = next(s for s in report.streams if s.connector == "crm")
    assert crm.lag_seconds == 300
    assert crm.threshold_seconds == 1800


def test_lag_beyond_three_schedule_intervals_degrades_and_unscheduled_connectors_are_not_watched(
    engine: Engine, clock: FixedClock
) -> None:
    _run(engine, clock, "books", "ok")
    _run(engine, clock, "crm", "ok")
    report = assess_health(engine, _settings(), clock() + timedelta(minutes=31))
    assert report.status == "degraded"
    assert report.reasons == ["crm/invoices last synced 31m ago (limit 30m)"]
    assert lag_threshold(_settings(), "books") is None


def test_a_connector_failing_its_last_n_runs_degrades_until_a_run_succeeds(
    engine: Engine, clock: FixedClock
) -> None:
    _run(engine, clock, "crm", "ok")
    _run(engine, clock, "crm", "failed", "crm: server error HTTP 500")
    assert assess_health(engine, _settings(), clock()).ok
    _run(engine, clock, "crm", "interrupted")
    _run(engine, clock, "crm", "failed", "crm: server error HTTP 500")
    report = assess_health(engine, _settings(), clock())
    assert report.reasons == ["crm failed its last 2 runs"]
    crm = next(s for s in report.streams if s.connector == "crm")
    assert crm.last_error == "crm: server error HTTP 500"
    _run(engine, clock, "crm", "ok")
    assert assess_health(engine, _settings(), clock()).ok


def test_the_per_connector_lag_override_wins(engine: Engine, clock: FixedClock) -> None:
    settings = _settings(CONFIG.replace("{failing_runs: 2}", "{failing_runs: 2, lag_minutes: {crm: 5}}"))
    _run(engine, clock, "crm", "ok")
    assert not assess_health(engine, settings, clock() + timedelta(minutes=6)).ok


def test_health_becomes_prometheus_gauges(engine: Engine, clock: FixedClock) -> None:
    _run(engine, clock, "crm", "ok")
    text = render(health_samples(assess_health(engine, _settings(), clock() + timedelta(seconds=90))))
    assert 'ledgerbridge_sync_lag_seconds{connector="crm",stream="invoices"} 90' in text
    assert "ledgerbridge_health_ok 1" in text
    assert 'ledgerbridge_sync_stream_failures{connector="crm",stream="invoices"} 0' in text


def test_sync_status_shows_the_same_lag_and_health_and_a_manual_sync_is_audited(
    tmp_path: Path, database_url: str
) -> None:
    data = write_jsonl(tmp_path / "crm.jsonl", invoices(3))
    connectors = [
        {**jsonl_connector("crm", data), "schedule": {"every_minutes": 10}},
        jsonl_connector("gone", tmp_path / "missing.jsonl", every_seconds=None),
    ]
    config = write_config(
        tmp_path / "lb.yaml", database_url, connectors=connectors, daemon={"health": {"failing_runs": 1}}
    )
    assert invoke(config, "sync", "run").returncode == 1  # `gone` fails
    status = json.loads(invoke(config, "sync", "status", "--json").stdout)
    assert status["health"] == {"status": "degraded", "reasons": ["gone failed its last 1 runs"]}
    crm = next(s for s in status["streams"] if s["connector"] == "crm")
    assert 0 <= crm["lag_seconds"] < 600
    entries = json.loads(invoke(config, "audit", "list", "--json").stdout)["entries"]
    assert [(e["action"], e["detail"]["connectors"], e["detail"]["failed"]) for e in entries] == [
        ("sync.run", ["crm", "gone"], 1)
    ]
