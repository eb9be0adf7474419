"""The reconcile job on both databases: planted findings persisted, stable across runs, lifecycle kept."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import Engine

from store.discrepancies import ExceptionAction, ExceptionStatus
from store.reconcile_repository import SqlReconcileRepository, StoredException
from sync.reconcile_job import RuleRun, run_rules
from tests.conftest import FixedClock, table_counts
from tests.e2e.report_support import store_documents
from tests.reconcile_data import (
    AUDIT_PLAN,
    MATCH_RULE,
    SETTLEMENT_RULE,
    PlantedLedgers,
    planted_ledgers,
    settings_for,
)

TABLES = ("reconcile_runs", "reconcile_matches", "reconcile_exceptions", "reconcile_exception_events")


@pytest.fixture
def planted(engine: Engine, clock: FixedClock) -> PlantedLedgers:
    ledgers = planted_ledgers(700, seed=5, per_type=2)
    store_documents(engine, ledgers.documents(), now=clock())
    return ledgers


def _found(engine: Engine) -> set[tuple[str, str, frozenset[str], frozenset[str]]]:
    return {
        (e.rule, e.type, frozenset(str(r.key) for r in e.left), frozenset(str(r.key) for r in e.right))
        for e in SqlReconcileRepository(engine).list_exceptions()
    }


def _exception(engine: Engine, kind: str) -> StoredException:
    return next(e for e in SqlReconcileRepository(engine).list_exceptions(type_=kind))


def test_a_run_persists_exactly_the_planted_findings_with_the_bridge(
    engine: Engine, database_url: str, planted: PlantedLedgers, clock: FixedClock
) -> None:
    settings = settings_for(database_url)
    runs = run_rules(engine, settings, clock=clock)
    assert _found(engine) == planted.expected
    assert [run.rule.name for run in runs] == [MATCH_RULE.name, SETTLEMENT_RULE.name, AUDIT_PLAN.name]
    for run in runs:
        assert run.opened == sum(run.result.counts.values())
    for rule_run in runs[:2]:
        assert isinstance(rule_run, RuleRun)
        assert rule_run.result.bridge.unexplained == 0
    stored = SqlReconcileRepository(engine).last_runs(MATCH_RULE.name)[0]
    assert stored["matched"] == len(runs[0].result.matches)
    assert '"unexplained": "0.00"' in stored["bridge"]
    assert _exception(engine, "amount_mismatch").assignee == "finance-lead"


def test_running_again_duplicates_nothing(
    engine: Engine, database_url: str, planted: PlantedLedgers, clock: FixedClock
) -> None:
    settings = settings_for(database_url)
    run_rules(engine, settings, clock=clock)
    before = table_counts(engine, "reconcile_exceptions", "reconcile_exception_events", "reconcile_matches")
    clock.advance(minutes=5)
    again = run_rules(engine, settings, clock=clock)
    assert [r.opened + r.auto_resolved + r.reopened for r in again] == [0, 0, 0]
    assert (
        table_counts(engine, "reconcile_exceptions", "reconcile_exception_events", "reconcile_matches")
        == before
    )


def test_a_dry_run_writes_nothing(
    engine: Engine, database_url: str, planted: PlantedLedgers, clock: FixedClock
) -> None:
    before = table_counts(engine, *TABLES)
    runs = run_rules(engine, settings_for(database_url), dry_run=True, clock=clock)
    assert all(run.run_id is None for run in runs)
    assert sum(runs[0].result.counts.values()) > 0
    assert table_counts(engine, *TABLES) == before


def test_fixing_a_document_at_the_source_auto_resolves_its_exception_with_an_event(
    engine: Engine, database_url: str, planted: PlantedLedgers, clock: FixedClock
) -> None:
    settings = settings_for(database_url)
    run_rules(engine, settings, clock=clock)
    wrong = _exception(engine, "amount_mismatch")
    left_total = wrong.left_amount
    right_key = wrong.right[0].external_id
    fixed = next(d for d in planted.right if d.external_id == right_key)
    clock.advance(hours=1)
    store_documents(engine, [fixed.model_copy(update={"total": left_total, "subtotal": None})], now=clock())
    clock.advance(minutes=1)
    [matched, _, _] = run_rules(engine, settings, clock=clock)
    assert matched.auto_resolved == 1
    repo = SqlReconcileRepository(engine)
    assert repo.get_exception(wrong.id).status is ExceptionStatus.AUTO_RESOLVED  # type: ignore[union-attr]
    events = repo.events(wrong.id)
    assert [(e.action, e.actor) for e in events] == [
        ("opened", "ledgerbridge"),
        ("auto_resolved", "ledgerbridge"),
    ]


def test_a_resolved_exception_stays_resolved_while_unchanged_and_reopens_when_it_changes(
    engine: Engine, database_url: str, planted: PlantedLedgers, clock: FixedClock
) -> None:
    settings = settings_for(database_url)
    run_rules(engine, settings, clock=clock)
    repo = SqlReconcileRepository(engine)
    wrong = _exception(engine, "amount_mismatch")
    repo.record_action(
        wrong.id,
        action=ExceptionAction.RESOLVED,
        before=ExceptionStatus.OPEN,
        after=ExceptionStatus.RESOLVED,
        actor="wang",
        note="credit note on its way",
        now=clock(),
        resolution_kind="accepted",
    )
    run_rules(engine, settings, clock=clock)
    assert repo.get_exception(wrong.id).status is ExceptionStatus.RESOLVED  # type: ignore[union-attr]
    changed = next(d for d in planted.right if d.external_id == wrong.right[0].external_id)
    store_documents(
        engine, [changed.model_copy(update={"total": (changed.total or Decimal(0)) + 1})], now=clock()
    )
    run_rules(engine, settings, clock=clock)
    again = repo.get_exception(wrong.id)
    assert again is not None
    assert again.status is ExceptionStatus.OPEN
    assert again.resolution_kind == "accepted"
    assert [e.action for e in repo.events(wrong.id)] == ["opened", "resolved", "reopened"]


def test_manual_match_and_unmatch_override_the_passes_on_later_runs(
    engine: Engine, database_url: str, planted: PlantedLedgers, clock: FixedClock
) -> None:
    settings = settings_for(database_url)
    run_rules(engine, settings, clock=clock)
    repo = SqlReconcileRepository(engine)
    pair = (
        str(_exception(engine, "missing_in_right").left[0].key),
        str(_exception(engine, "missing_in_left").right[0].key),
    )

    def override(action: str) -> None:
        left, right = pair
        repo.set_override(
            rule=MATCH_RULE.name,
            action=action,
            left_key=left,
            right_key=right,
            actor="wang",
            note="x",
            now=clock(),
        )

    override("match")
    [matched, _, _] = run_rules(engine, settings, clock=clock)
    together = [
        ({r.key_text for r in m.left}, {r.key_text for r in m.right}) for m in matched.result.matches
    ] + [({str(r.key) for r in d.left}, {str(r.key) for r in d.right}) for d in matched.result.discrepancies]
    assert ({pair[0]}, {pair[1]}) in together
    assert (matched.auto_resolved, matched.reopened) == (2, 0)
    override("unmatch")
    [unmatched, _, _] = run_rules(engine, settings, clock=clock)
    assert unmatched.reopened == 2
