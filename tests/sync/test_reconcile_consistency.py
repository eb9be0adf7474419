"""A rule runs on a consistent picture (issue 13): while a sync holds the lock of a connector the rule
reads, the rule waits (bounded, saying so) or is skipped with the reason — never run on a half-written
stream (8,160 false missing_in_right). Both databases, with a real sync lock held."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import Engine

from store.locks import connector_lock
from sync.reconcile_job import SkippedRun, SourcesBusy, run_rules
from tests.conftest import FixedClock, table_counts
from tests.reconcile_data import LEFT, MATCH_RULE, RIGHT, settings_for


def test_a_rule_whose_source_is_being_synced_is_skipped_with_the_reason_and_saves_nothing(
    engine: Engine, database_url: str, clock: FixedClock
) -> None:
    settings = settings_for(database_url)
    skipped: list[SkippedRun] = []
    with connector_lock(engine, RIGHT, holder="sync run"):
        runs = run_rules(
            engine, settings, names=[MATCH_RULE.name], clock=clock, sync_wait=0.3, skipped=skipped
        )
    assert runs == []
    [skip] = skipped
    assert skip.rule.name == MATCH_RULE.name
    assert f"connector {RIGHT} is being synced by sync run (pid" in skip.reason
    assert "waited 0.3s" in skip.reason
    assert skip.to_json()["status"] == "skipped"
    assert table_counts(engine, "reconcile_runs")["reconcile_runs"] == 0


def test_without_a_list_for_skips_a_busy_source_raises_so_the_daemon_retries_later(
    engine: Engine, database_url: str, clock: FixedClock
) -> None:
    with connector_lock(engine, LEFT, holder="daemon"), pytest.raises(SourcesBusy, match=LEFT):
        run_rules(engine, settings_for(database_url), names=[MATCH_RULE.name], clock=clock, sync_wait=0)


def test_a_rule_waits_for_a_sync_that_finishes_within_the_wait_and_then_runs(
    engine: Engine, database_url: str, clock: FixedClock
) -> None:
    held = threading.Event()
    release = threading.Event()

    def sync_for_a_moment() -> None:
        with connector_lock(engine, RIGHT, holder="sync run"):
            held.set()
            release.wait(10)

    syncing = threading.Thread(target=sync_for_a_moment)
    syncing.start()
    held.wait(10)
    told: list[str] = []

    def on_wait(message: str) -> None:
        told.append(message)
        threading.Timer(0.5, release.set).start()

    try:
        runs = run_rules(
            engine,
            settings_for(database_url),
            names=[MATCH_RULE.name],
            clock=clock,
            sync_wait=20,
            skipped=[],
            on_wait=on_wait,
        )
    finally:
        release.set()
        syncing.join()
    assert [r.rule.name for r in runs] == [MATCH_RULE.name]
    [message] = told
    assert f"{MATCH_RULE.name}: waiting up to 20s for connector {RIGHT} is locked by sync run" in message
