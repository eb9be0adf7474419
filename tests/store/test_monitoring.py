"""The daemon's and the reports' questions answered by the store, on SQLite and PostgreSQL: exceptions
counted by type one way for the digest, the metrics and the reports; tick claims; failure streaks."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine

from store.discrepancies import ExceptionAction, ExceptionStatus
from store.exception_counts import ExceptionScope, by_type, count_exceptions
from store.monitoring import SqlMonitoring
from store.reconcile_repository import SqlReconcileRepository
from store.runs import FAILED, INTERRUPTED, OK, SqlSyncLog
from sync.reconcile_job import run_rules
from tests.conftest import FixedClock, table_counts
from tests.e2e.report_support import store_documents
from tests.reconcile_data import planted_ledgers, settings_for

TICK = datetime(2026, 10, 1, 9, 0, tzinfo=UTC)


def test_the_digest_the_metrics_and_the_report_count_the_same_exceptions_by_type(
    engine: Engine, database_url: str, clock: FixedClock
) -> None:
    ledgers = planted_ledgers(300, seed=7, per_type=2)
    store_documents(engine, ledgers.documents(), now=clock())
    runs = run_rules(engine, settings_for(database_url), clock=clock)
    repository = SqlReconcileRepository(engine)
    stored = repository.list_exceptions()
    monitoring = SqlMonitoring(engine)

    for run in runs:
        assert run.run_id is not None
        counts, examples = monitoring.new_exceptions(run.run_id, examples=3)
        mine = [e for e in stored if e.rule == run.rule.name]
        assert counts == Counter(e.type for e in mine)
        assert examples == [e.explanation for e in mine[:3]]

    everything = Counter(e.type for e in stored)
    assert by_type(count_exceptions(engine, ExceptionScope())) == everything
    assert monitoring.open_exceptions() == everything

    acknowledged, resolved = stored[0], stored[1]
    for exception, action in (
        (acknowledged, ExceptionAction.ACKNOWLEDGED),
        (resolved, ExceptionAction.RESOLVED),
    ):
        repository.record_action(
            exception.id,
            action=action,
            before=ExceptionStatus.OPEN,
            after=ExceptionStatus(action.value),
            actor="finance",
            note="checked",
            now=clock(),
            resolution_kind="corrected" if action is ExceptionAction.RESOLVED else None,
        )
    assert monitoring.open_exceptions() == everything - Counter([resolved.type])
    assert by_type(count_exceptions(engine, ExceptionScope(statuses=("resolved",)))) == {resolved.type: 1}


def test_a_tick_is_claimed_once_and_claims_older_than_the_retention_are_dropped(engine: Engine) -> None:
    monitoring = SqlMonitoring(engine)
    week = timedelta(days=7)

    assert monitoring.claim_tick("sync:crm", TICK, holder="a:1", now=TICK, retention=week)
    assert not monitoring.claim_tick("sync:crm", TICK, holder="b:2", now=TICK, retention=week)
    assert monitoring.claim_tick("sync:books", TICK, holder="b:2", now=TICK, retention=week)
    assert table_counts(engine, "job_claims") == {"job_claims": 2}

    later = TICK + timedelta(days=8)
    assert monitoring.claim_tick("sync:crm", later, holder="b:2", now=later, retention=week)
    assert table_counts(engine, "job_claims") == {"job_claims": 1}


def test_a_failure_streak_counts_failed_runs_since_the_last_good_one_within_the_window(
    engine: Engine, clock: FixedClock
) -> None:
    log = SqlSyncLog(engine)
    for stream, outcomes in {
        "invoices": [FAILED, OK, FAILED, INTERRUPTED, FAILED],
        "payments": [FAILED, FAILED],
        "orders": [FAILED, OK],
    }.items():
        for status in outcomes:
            run = log.start("crm", stream, mode="incremental", since=None, now=clock())
            log.finish(run, status=status, now=clock.advance(minutes=1))

    monitoring = SqlMonitoring(engine)
    assert monitoring.consecutive_failures(10) == {("crm", "invoices"): 2, ("crm", "payments"): 2}
    assert monitoring.consecutive_failures(1) == {("crm", "invoices"): 1, ("crm", "payments"): 1}
