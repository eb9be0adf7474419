"""The reconcile job: load a rule's documents, match them (pure core), save the run and its exceptions."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import Engine

from config.rules import MatchRule, SettlementRule, SideSpec
from config.settings import Settings
from reconcile.lifecycle import ExceptionState, plan_run
from reconcile.matching import match
from reconcile.periods import Period, parse_period
from reconcile.result import MatchContext, MatchResult
from reconcile.rows import LedgerRow
from reconcile.settlement import settle
from store.canonical import ExceptionAction
from store.reconcile_repository import (
    DocumentSet,
    ExceptionChange,
    MatchLink,
    RunRecord,
    SqlReconcileRepository,
)

Rule = MatchRule | SettlementRule
Clock = Callable[[], datetime]
RUN_ACTOR = "ledgerbridge"
"""Who the events a run writes (opened, auto_resolved, reopened) are recorded as."""


@dataclass(frozen=True)
class RuleRun:
    """One rule's run: the matcher's result plus what it did to the exceptions (nothing on a dry run)."""

    rule: Rule
    period: Period
    result: MatchResult
    run_id: int | None
    opened: int = 0
    auto_resolved: int = 0
    reopened: int = 0
    seconds: Mapping[str, float] = field(default_factory=dict)
    """Wall time of the phases (load, match, save), for logs and the benchmark."""

    @property
    def dry_run(self) -> bool:
        return self.run_id is None

    def to_json(self) -> dict[str, Any]:
        """The `reconcile run --json` shape of INTERFACES.md (plus a few extra fields)."""
        return {
            "rule": self.rule.name,
            "kind": self.rule.kind,
            "period": self.period.name,
            "status": "ok",
            "run_id": self.run_id,
            "dry_run": self.dry_run,
            "left_count": self.result.left_count,
            "right_count": self.result.right_count,
            "matched": len(self.result.matches),
            "exceptions": self.result.counts,
            "opened": self.opened,
            "auto_resolved": self.auto_resolved,
            "reopened": self.reopened,
            "bridge": self.result.bridge.to_json(),
        }


def run_rules(
    engine: Engine,
    settings: Settings,
    *,
    names: Sequence[str] = (),
    period: str | None = None,
    dry_run: bool = False,
    clock: Clock,
    actor: str = RUN_ACTOR,
) -> list[RuleRun]:
    """Run the named rules (all when none are named), each over its period (or `period`)."""
    rules = [settings.reconcile.rule(name) for name in names] if names else list(settings.reconcile.rules)
    repo = SqlReconcileRepository(engine)
    return [
        run_rule(repo, settings, rule, period=period, dry_run=dry_run, clock=clock, actor=actor)
        for rule in rules
    ]


def run_rules_after_sync(
    engine: Engine, settings: Settings, synced: Iterable[str], *, clock: Clock
) -> list[RuleRun]:
    """Run every rule that names one of the connectors just synced in its `after` list."""
    done = set(synced)
    names = [rule.name for rule in settings.reconcile.rules if done & set(rule.after)]
    if not names:
        return []
    return run_rules(engine, settings, names=names, clock=clock)


def run_rule(
    repo: SqlReconcileRepository,
    settings: Settings,
    rule: Rule,
    *,
    period: str | None = None,
    dry_run: bool = False,
    clock: Clock,
    actor: str = RUN_ACTOR,
) -> RuleRun:
    started = clock()
    ticks = [time.perf_counter()]
    scope = parse_period(period or rule.period or "all", started, settings.zone)
    checks = settings.reconcile.audit_checks(rule)
    forced, forbidden = repo.overrides(rule.name)
    if isinstance(rule, MatchRule):
        left = repo.load_rows(_side(rule.left, scope))
        right = repo.load_rows(_side(rule.right, scope))
        context = _context(repo, settings, forced, forbidden, checks, left, right)
        ticks.append(time.perf_counter())
        result = match(left, right, rule, context, audit_checks=checks)
    else:
        invoices = repo.load_rows(_side(rule.invoices, scope))
        payments = repo.load_rows(_side(rule.payments, scope, settle_into=rule.invoices.kind))
        if rule.credit_notes is not None:
            payments += repo.load_rows(_side(rule.credit_notes, scope, settle_into=rule.invoices.kind))
        context = _context(repo, settings, forced, forbidden, checks, invoices, payments)
        known = repo.external_ids(rule.invoices.source, rule.invoices.kind)
        ticks.append(time.perf_counter())
        result = settle(invoices, payments, rule, context, audit_checks=checks, known_invoices=known)
    ticks.append(time.perf_counter())
    if dry_run:
        return RuleRun(rule, scope, result, None, seconds=_phases(ticks))
    states = {
        fp: ExceptionState(fp, status, signature, issued_on)
        for fp, (status, signature, issued_on) in repo.exception_states(rule.name).items()
    }
    plan = plan_run(states, result.discrepancies, scope.contains)
    changes = [ExceptionChange(t.fingerprint, t.status, t.action, t.note, t.discrepancy) for t in plan]
    record = RunRecord(
        rule=rule.name,
        rule_kind=rule.kind,
        period=scope.name,
        left_count=result.left_count,
        right_count=result.right_count,
        matched=len(result.matches),
        exception_counts=result.counts,
        bridge=result.bridge.to_json(),
        started_at=started,
        finished_at=clock(),
    )
    run_id = repo.save_run(record, _links(result), changes, owner=rule.owner, actor=actor, now=clock())
    ticks.append(time.perf_counter())
    actions = [c.action for c in changes]
    return RuleRun(
        rule,
        scope,
        result,
        run_id,
        opened=actions.count(ExceptionAction.OPENED),
        auto_resolved=actions.count(ExceptionAction.AUTO_RESOLVED),
        reopened=actions.count(ExceptionAction.REOPENED),
        seconds=_phases(ticks),
    )


def _phases(ticks: Sequence[float]) -> dict[str, float]:
    names = ("load", "match", "save")
    return {name: round(b - a, 3) for name, a, b in zip(names, ticks, ticks[1:], strict=False)}


def _side(spec: SideSpec, scope: Period, settle_into: str | None = None) -> DocumentSet:
    return DocumentSet(
        source=spec.source,
        kind=spec.kind,
        filters={str(name): values for name, values in spec.filters.items()},
        start=scope.start,
        end=scope.end,
        with_allocations=spec.kind in ("payment", "credit_note"),
        allocated_into_range_of=settle_into,
    )


def _context(
    repo: SqlReconcileRepository,
    settings: Settings,
    forced: frozenset[tuple[str, str]],
    forbidden: frozenset[tuple[str, str]],
    checks: Sequence[str],
    *sides: Sequence[LedgerRow],
) -> MatchContext:
    order_dates: dict[tuple[str, str], date] = {}
    if "invoice_before_order" in checks:
        wanted: dict[str, set[str]] = {}
        for rows in sides:
            for row in rows:
                if row.kind == "invoice" and row.references and "sales_order" in row.references:
                    wanted.setdefault(row.source, set()).add(row.references["sales_order"])
        for source, ids in wanted.items():
            order_dates.update(repo.issue_dates(source, "sales_order", ids))
    return MatchContext(
        base_currency=settings.base_currency, forced=forced, forbidden=forbidden, order_dates=order_dates
    )


def _links(result: MatchResult) -> list[tuple[int, int, int, str]]:
    """(group number, left document id, right document id, how) per pair, as MatchLink orders them."""
    links: list[tuple[int, int, int, str]] = []
    append = links.append
    for group_no, found in enumerate(result.matches):
        if len(found.left) == 1 and len(found.right) == 1:  # nearly all: skip the nested loops
            left_id, right_id = found.left[0].doc_id, found.right[0].doc_id
            if left_id is not None and right_id is not None:
                append((group_no, left_id, right_id, found.how))
            continue
        for left in found.left:
            for right in found.right:
                if left.doc_id is not None and right.doc_id is not None:
                    append(MatchLink(group_no, left.doc_id, right.doc_id, found.how))
    return links
