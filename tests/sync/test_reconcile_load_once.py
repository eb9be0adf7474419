"""One reconcile run reads each set of documents from the database once: the audit plan audits the
rows its rules read, and finds exactly what it finds when it runs on its own."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import Engine

from store.reconcile_repository import DocumentSet, SqlReconcileRepository
from sync.reconcile_job import PlanRun, RuleRun, run_rules
from tests.conftest import FixedClock
from tests.e2e.report_support import store_documents
from tests.reconcile_data import (
    AUDIT_PLAN,
    MATCH_RULE,
    RIGHT,
    SETTLEMENT_RULE,
    PlantedLedgers,
    planted_ledgers,
    settings_for,
)


@pytest.fixture
def planted(engine: Engine, clock: FixedClock) -> PlantedLedgers:
    ledgers = planted_ledgers(300, seed=11, per_type=1)
    store_documents(engine, ledgers.documents(), now=clock())
    return ledgers


@pytest.fixture
def reads(monkeypatch: pytest.MonkeyPatch) -> list[DocumentSet]:
    """Every document set the reconcile job reads from SQL, in order."""
    seen: list[DocumentSet] = []
    load = SqlReconcileRepository.load_rows

    def counted(self: SqlReconcileRepository, spec: DocumentSet, *counterparts: Any) -> Any:
        seen.append(spec)
        return load(self, spec, *counterparts)

    monkeypatch.setattr(SqlReconcileRepository, "load_rows", counted)
    return seen


def _sets(reads: list[DocumentSet]) -> list[tuple[Any, ...]]:
    return [
        (s.source, s.kind, sorted((k, tuple(v)) for k, v in s.filters.items()), s.allocated_into_range_of)
        for s in reads
    ]


def _outcome(run: RuleRun | PlanRun) -> tuple[Any, ...]:
    found = sorted((d.type.value, d.fingerprint, d.explanation) for d in run.result.discrepancies)
    if isinstance(run, PlanRun):
        return run.rule.name, found, run.result.documents, run.result.skipped
    return run.rule.name, found, len(run.result.matches), run.result.bridge.to_json()


def test_the_rules_and_the_plan_read_each_document_set_once_and_find_what_separate_runs_find(
    engine: Engine, database_url: str, planted: PlantedLedgers, clock: FixedClock, reads: list[DocumentSet]
) -> None:
    # Two settlement rules over the same payments, the first adding its credit notes to them: the
    # second must not see those (each reader gets its own list of the shared rows).
    with_credits = {
        **SETTLEMENT_RULE.model_dump(mode="json", exclude_none=True),
        "name": "books-settlement-with-credits",
        "credit_notes": {"source": RIGHT, "kind": "credit_note"},
    }
    rules = [
        MATCH_RULE.model_dump(mode="json", exclude_none=True),
        with_credits,
        SETTLEMENT_RULE.model_dump(mode="json", exclude_none=True),
    ]
    settings = settings_for(database_url, rules=rules)

    together = run_rules(engine, settings, dry_run=True, clock=clock)
    read_together = _sets(reads)
    assert [run.rule.name for run in together] == [*(r["name"] for r in rules), AUDIT_PLAN.name]
    assert len(read_together) == len({repr(s) for s in read_together})  # nothing read twice
    # Both invoice sides once, the payments once for both settlements, the credit notes twice: a
    # settlement also takes those allocated into its period, the plan only those in its scope.
    assert len(read_together) == 5

    reads.clear()
    apart = [
        run_rules(engine, settings, names=[run.rule.name], dry_run=True, clock=clock)[0] for run in together
    ]
    assert len(reads) == 10  # each on its own: 2 + 3 + 2 + 3
    assert [_outcome(run) for run in together] == [_outcome(run) for run in apart]
    assert sum(len(run.result.discrepancies) for run in together) > 0
