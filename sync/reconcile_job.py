"""The reconcile job: load a rule's documents, match them (pure core), save the run and its exceptions."""

from __future__ import annotations

import gc
import json
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime
from itertools import chain
from typing import Any, Final

from config.rules import AuditPlan, CollectionsRule, MatchRule, SettlementRule, SideSpec
from config.settings import Settings
from reconcile.audits import AuditContext, AuditLimits, AuditResult, audit_plan
from reconcile.findings import Tolerances
from reconcile.lifecycle import ExceptionState, plan_run
from reconcile.match_list import links_of
from reconcile.matching import match
from reconcile.party_aliases import NO_ALIASES, PartyAliases
from reconcile.periods import Period, parse_period
from reconcile.result import BridgeBuilder, MatchContext, MatchResult, Why
from reconcile.settlement import settle
from reconcile.status import derive_statuses, orders_to_look_up
from store.db import Engine
from store.discrepancies import Discrepancy, ExceptionAction
from store.ledger_rows import LedgerRow
from store.locks import LockHeld, connector_lock
from store.party_aliases import SqlAliasStore
from store.reconcile_repository import (
    DocumentSet,
    ExceptionChange,
    ReconcileRunRecord,
    SqlReconcileRepository,
)
from store.shared_rows import counterpart_index
from sync.collections_job import load_collections, run_collections

Rule = MatchRule | SettlementRule | CollectionsRule
Clock = Callable[[], datetime]
DEFAULT_SYNC_WAIT_SECONDS: Final = 120.0
"""How long a rule waits for a sync of one of its sources to finish before it is skipped."""


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
        counts = (self.result.left_count, self.result.right_count, len(self.result.matches))
        return _run_json(self, *counts, bridge=self.result.bridge.to_json())


@dataclass(frozen=True)
class PlanRun:
    """One audit plan's run: its findings, skips, and what it did to the exceptions (none on a dry run)."""

    rule: AuditPlan
    period: Period
    result: AuditResult
    run_id: int | None
    opened: int = 0
    auto_resolved: int = 0
    reopened: int = 0
    seconds: Mapping[str, float] = field(default_factory=dict)
    base_currency: str | None = None

    @property
    def dry_run(self) -> bool:
        return self.run_id is None

    def to_json(self) -> dict[str, Any]:
        """The rule run's shape (zero counterparts, an all-zero bridge) plus `documents` and `skipped`."""
        return {
            **_run_json(
                self, self.result.documents, 0, 0, bridge=BridgeBuilder(self.base_currency).build().to_json()
            ),
            "documents": self.result.documents,
            "skipped": {check: dict(reasons) for check, reasons in self.result.skipped.items()},
        }


def _run_json(
    run: RuleRun | PlanRun, left_count: int, right_count: int, matched: int, *, bridge: dict[str, Any]
) -> dict[str, Any]:
    """What a rule's and a plan's run say alike (a plan: its documents on the left, no counterparts)."""
    return {
        "rule": run.rule.name,
        "kind": run.rule.kind,
        "period": run.period.name,
        "status": "ok",
        "run_id": run.run_id,
        "dry_run": run.dry_run,
        "left_count": left_count,
        "right_count": right_count,
        "matched": matched,
        "exceptions": run.result.counts,
        "opened": run.opened,
        "auto_resolved": run.auto_resolved,
        "reopened": run.reopened,
        "bridge": bridge,
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
    sync_wait: float = DEFAULT_SYNC_WAIT_SECONDS,
    skipped: list[SkippedRun] | None = None,
    on_wait: Callable[[str], None] | None = None,
) -> list[RuleRun | PlanRun]:
    """Run the named rules and audit plans (all of them when none are named: rules first, then plans),
    each over its period (or `period`).

    Each runs on a consistent picture: it holds the sync lock of every connector it reads while it runs
    (a sync of those connectors waits or is refused meanwhile), after waiting up to `sync_wait` seconds
    for a sync that holds one (`on_wait` is told). One still held after the wait: the item is not run
    and is appended to `skipped` with the reason, or SourcesBusy is raised when `skipped` is None."""
    reconcile = settings.reconcile
    items = [reconcile.runnable(name) for name in names] if names else [*reconcile.rules, *reconcile.plans()]
    repo = SqlReconcileRepository(engine)
    aliases = SqlAliasStore(engine)
    loaded = _Loaded(repo)
    runs: list[RuleRun | PlanRun] = []
    with _fewer_collections():
        for index, item in enumerate(items):
            try:
                with _sources_quiet(engine, item, sync_wait, on_wait):
                    if isinstance(item, AuditPlan):
                        runs.append(
                            run_plan(
                                repo,
                                settings,
                                item,
                                period=period,
                                dry_run=dry_run,
                                clock=clock,
                                actor=actor,
                                load=loaded.rows,
                            )
                        )
                    else:
                        runs.append(
                            run_rule(
                                repo,
                                settings,
                                item,
                                period=period,
                                dry_run=dry_run,
                                clock=clock,
                                actor=actor,
                                load=loaded.rows,
                                aliases=PartyAliases(aliases.pairs(item.name)),
                            )
                        )
            except SourcesBusy as exc:
                if skipped is None:
                    raise
                skipped.append(SkippedRun(item, period or item.period or "all", str(exc)))
            loaded.keep({side for later in items[index + 1 :] for side in _sides_read(later)})
    return runs


class SourcesBusy(LockHeld):
    """A connector a rule reads is being synced (its lock is held) beyond the wait: the rule is skipped."""

    def __init__(self, item: Rule | AuditPlan, held: LockHeld, waited: float) -> None:
        super().__init__(held.name, held.holder)
        who = str(held.holder) if held.holder else "another process"
        self.args = (
            f"{held.name} is being synced by {who} (waited {waited:g}s): {item.name} would read a"
            " half-written picture; run it again once the sync has finished",
        )


@dataclass(frozen=True)
class SkippedRun:
    """A rule or plan not run because a connector it reads was being synced."""

    rule: Rule | AuditPlan
    period: str
    reason: str

    def to_json(self) -> dict[str, Any]:
        return {
            "rule": self.rule.name,
            "kind": self.rule.kind,
            "period": self.period,
            "status": "skipped",
            "reason": self.reason,
        }


@contextmanager
def _sources_quiet(
    engine: Engine, item: Rule | AuditPlan, wait: float, on_wait: Callable[[str], None] | None
) -> Iterator[None]:
    """Hold the sync lock of every connector `item` reads (in name order: no two callers deadlock)."""
    with ExitStack() as stack:
        for source in sorted({side[0] for side in _sides_read(item)}):
            try:
                stack.enter_context(connector_lock(engine, source, holder=f"reconcile {item.name}"))
                continue
            except LockHeld as held:
                if wait <= 0:
                    raise SourcesBusy(item, held, 0) from held
                if on_wait is not None:
                    on_wait(f"{item.name}: waiting up to {wait:g}s for {held}")
            try:
                stack.enter_context(
                    connector_lock(engine, source, wait_seconds=wait, holder=f"reconcile {item.name}")
                )
            except LockHeld as held:
                raise SourcesBusy(item, held, wait) from held
        yield


Load = Callable[[DocumentSet], list[LedgerRow]]
"""Reads a document set's rows: the repository's `load_rows`, or `_Loaded.rows` within one call."""
_SideKey = tuple[str, str, tuple[tuple[str, tuple[str, ...]], ...]]


class _Loaded:
    """The document sets one `run_rules` call has read: its rules and then its audit plans read the same
    sides (the implicit plan's scope is the rules' sides), so each set comes from SQL once. A set is
    the same only with the same source, kind, filters, date range and allocation options. Rows are
    immutable tuples and nothing writes documents during a run; each caller gets its own list (a
    settlement adds its credit notes to its payments). Sets no later item reads are dropped. A set read
    after others holds their objects for its equal numbers and amounts (store/shared_rows.py)."""

    def __init__(self, repo: SqlReconcileRepository) -> None:
        self._repo = repo
        self._sets: dict[tuple[_SideKey, object], list[LedgerRow]] = {}

    def rows(self, spec: DocumentSet) -> list[LedgerRow]:
        side = _side_key(spec.source, spec.kind, spec.filters)
        key = (side, (spec.start, spec.end, spec.with_allocations, spec.allocated_into_range_of))
        rows = self._sets.get(key)
        if rows is None:
            # A side read after another shares the other's numbers and equal amounts (ADR 0032).
            earlier = counterpart_index(chain.from_iterable(self._sets.values())) if self._sets else None
            rows = self._sets[key] = self._repo.load_rows(spec, earlier)
        return list(rows)

    def keep(self, sides: set[_SideKey]) -> None:
        self._sets = {key: rows for key, rows in self._sets.items() if key[0] in sides}


def _side_key(source: str, kind: str, filters: Mapping[str, Sequence[str]]) -> _SideKey:
    return source, kind, tuple(sorted((str(name), tuple(values)) for name, values in filters.items()))


def _sides_read(item: Rule | AuditPlan) -> list[_SideKey]:
    if isinstance(item, AuditPlan):
        specs: list[SideSpec] = list(item.scope)
    elif isinstance(item, MatchRule | CollectionsRule):
        specs = [item.left, item.right]
    else:
        specs = [spec for spec in (item.invoices, item.payments, item.credit_notes) if spec is not None]
    return [_side_key(spec.source, spec.kind, {str(k): v for k, v in spec.filters.items()}) for spec in specs]


_RUN_GC_THRESHOLD: Final = 50_000


@contextmanager
def _fewer_collections() -> Iterator[None]:
    """Run the cyclic garbage collector less often during a run: loading, matching and auditing allocate
    a few tuples per document that all live until the run ends, and with the default threshold (700)
    the young collections took about 40% of an audit plan's time at 100k x 100k. Restored after."""
    threshold = gc.get_threshold()
    gc.set_threshold(max(threshold[0], _RUN_GC_THRESHOLD), *threshold[1:])
    try:
        yield
    finally:
        gc.set_threshold(*threshold)


def run_rules_after_sync(
    engine: Engine,
    settings: Settings,
    synced: Iterable[str],
    *,
    clock: Clock,
    skipped: list[SkippedRun] | None = None,
    on_wait: Callable[[str], None] | None = None,
) -> list[RuleRun | PlanRun]:
    """Run every rule, then every audit plan, that names one of the connectors just synced in `after`."""
    done = set(synced)
    items = [*settings.reconcile.rules, *settings.reconcile.plans()]
    names = [item.name for item in items if done & set(item.after)]
    if not names:
        return []
    return run_rules(engine, settings, names=names, clock=clock, skipped=skipped, on_wait=on_wait)


def run_rule(
    repo: SqlReconcileRepository,
    settings: Settings,
    rule: Rule,
    *,
    period: str | None = None,
    dry_run: bool = False,
    clock: Clock,
    actor: str = RUN_ACTOR,
    load: Load | None = None,
    aliases: PartyAliases = NO_ALIASES,
) -> RuleRun:
    """One rule over its period; `aliases`: the party names declared equal for it (ADR 0029)."""
    started = clock()
    load = load or repo.load_rows
    ticks = [time.perf_counter()]
    scope = parse_period(period or rule.period or "all", started, settings.zone)
    forced, forbidden = repo.overrides(rule.name)
    if isinstance(rule, MatchRule):
        left = load(_side(rule.left, scope))
        right = load(_side(rule.right, scope))
        left, right = _with_derived_statuses(repo, rule, left), _with_derived_statuses(repo, rule, right)
        context = MatchContext(settings.base_currency, forced=forced, forbidden=forbidden, aliases=aliases)
        ticks.append(time.perf_counter())
        result = match(left, right, rule, context)
    elif isinstance(rule, CollectionsRule):
        data = load_collections(repo, rule, scope, load)
        context = MatchContext(settings.base_currency, forced=forced, forbidden=forbidden, aliases=aliases)
        ticks.append(time.perf_counter())
        result = run_collections(data, rule, context, started.astimezone(settings.zone).date())
    else:
        invoices = load(_side(rule.invoices, scope))
        payments = load(_side(rule.payments, scope, settle_into=rule.invoices.kind))
        if rule.credit_notes is not None:
            payments += load(_side(rule.credit_notes, scope, settle_into=rule.invoices.kind))
        context = MatchContext(settings.base_currency, forced=forced, forbidden=forbidden)
        known = repo.external_ids(rule.invoices.source, rule.invoices.kind)
        ticks.append(time.perf_counter())
        result = settle(invoices, payments, rule, context, known_invoices=known)
    ticks.append(time.perf_counter())
    if dry_run:
        return RuleRun(rule, scope, result, None, seconds=_phases(ticks))
    changes = _changes(repo, rule.name, result.discrepancies, scope)
    record = ReconcileRunRecord(
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
    return RuleRun(rule, scope, result, run_id, **_tally(changes), seconds=_phases(ticks))


def _phases(ticks: Sequence[float]) -> dict[str, float]:
    names = ("load", "match", "save")
    return {name: round(b - a, 3) for name, a, b in zip(names, ticks, ticks[1:], strict=False)}


def _with_derived_statuses(
    repo: SqlReconcileRepository, rule: MatchRule, rows: list[LedgerRow]
) -> list[LedgerRow]:
    """Invoices without a settlement status of their own (Fxiaoke 开票申请, status unknown) take one
    from their order's collections when the rule compares status (reconcile/status.py)."""
    wanted = orders_to_look_up(rows) if "status" in rule.compare else {}
    # A source whose payments' allocations are unknown cannot say an order is (un)collected: its
    # invoices keep the unknown status, which is never compared.
    wanted = {source: ids for source, ids in wanted.items() if not repo.allocations_unknown(source)}
    orders: list[LedgerRow] = []
    payments: list[LedgerRow] = []
    for source, ids in wanted.items():
        found_orders, found_payments = repo.order_collections(source, ids)
        orders += found_orders
        payments += found_payments
    return derive_statuses(rows, orders, payments, Tolerances.of(rule.tolerance)) if wanted else rows


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


def run_plan(
    repo: SqlReconcileRepository,
    settings: Settings,
    plan: AuditPlan,
    *,
    period: str | None = None,
    dry_run: bool = False,
    clock: Clock,
    actor: str = RUN_ACTOR,
    load: Load | None = None,
) -> PlanRun:
    """Audit the plan's documents once each and save the findings as a run of the plan (rule_kind
    "audit"), through the same exception lifecycle as a rule's."""
    started = clock()
    load = load or repo.load_rows
    ticks = [time.perf_counter()]
    scope = parse_period(period or plan.period or "all", started, settings.zone)
    scoped: list[tuple[Sequence[LedgerRow], Sequence[str]]] = []
    history: list[LedgerRow] = []
    for entry in plan.scope:
        checks = plan.checks_for(entry)
        rows = load(_side(entry, scope))
        scoped.append((rows, checks))
        if "unusual_amount" in checks and scope.start is not None:
            history += load(_side(entry, parse_period("all", started, settings.zone)))
    context = _audit_context(repo, scoped, history)
    ticks.append(time.perf_counter())
    result = audit_plan(plan.name, scoped, AuditLimits.of(plan), context)
    ticks.append(time.perf_counter())
    if dry_run:
        return PlanRun(plan, scope, result, None, seconds=_phases(ticks))
    changes = _changes(repo, plan.name, result.discrepancies, scope)
    record = ReconcileRunRecord(
        rule=plan.name,
        rule_kind=plan.kind,
        period=scope.name,
        left_count=result.documents,
        right_count=0,
        matched=0,
        exception_counts=result.counts,
        bridge={**_no_bridge(settings), "audit": _audit_summary(settings, result)},
        started_at=started,
        finished_at=clock(),
    )
    run_id = repo.save_run(record, [], changes, owner=plan.owner, actor=actor, now=clock())
    ticks.append(time.perf_counter())
    return PlanRun(
        plan,
        scope,
        result,
        run_id,
        **_tally(changes),
        seconds=_phases(ticks),
        base_currency=settings.base_currency,
    )


def _tally(changes: Sequence[ExceptionChange]) -> dict[str, int]:
    """What a saved run did to the exceptions: opened, auto_resolved, reopened."""
    actions = [c.action for c in changes]
    return {
        "opened": actions.count(ExceptionAction.OPENED),
        "auto_resolved": actions.count(ExceptionAction.AUTO_RESOLVED),
        "reopened": actions.count(ExceptionAction.REOPENED),
    }


def _changes(
    repo: SqlReconcileRepository, name: str, found: Sequence[Discrepancy], scope: Period
) -> list[ExceptionChange]:
    states = {
        fp: ExceptionState(fp, status, signature, issued_on)
        for fp, (status, signature, issued_on) in repo.exception_states(name).items()
    }
    plan = plan_run(states, found, scope.contains)
    return [ExceptionChange(t.fingerprint, t.status, t.action, t.note, t.discrepancy) for t in plan]


def _audit_context(
    repo: SqlReconcileRepository,
    scoped: Sequence[tuple[Sequence[LedgerRow], Sequence[str]]],
    history: Sequence[LedgerRow],
) -> AuditContext:
    """What the checks compare with outside the scope: sales order dates, credited invoices."""
    orders: dict[str, set[str]] = {}
    credited: dict[str, set[str]] = {}
    for rows, checks in scoped:
        dated, credits = "invoice_before_order" in checks, "credit_note_exceeds_invoice" in checks
        for row in rows if dated or credits else ():
            if dated and row.kind == "invoice" and row.references and "sales_order" in row.references:
                orders.setdefault(row.source, set()).add(row.references["sales_order"])
            if credits and row.kind == "credit_note":
                targets = {target for target, _, kind in row.allocations if kind == "invoice"}
                named = (row.references or {}).get("invoice")
                credited.setdefault(row.source, set()).update(targets or ({named} if named else set()))
    order_dates: dict[tuple[str, str], date] = {}
    for source, ids in orders.items():
        order_dates.update(repo.issue_dates(source, "sales_order", ids))
    invoices: dict[tuple[str, str], LedgerRow] = {}
    for source, ids in credited.items():
        invoices.update(repo.rows_by_external_id(source, "invoice", ids))
    return AuditContext(order_dates=order_dates, invoices=invoices, history=history)


def _no_bridge(settings: Settings) -> dict[str, Any]:
    """An audit run compares nothing with anything: its bridge is all zeros (the JSON shape stays)."""
    return BridgeBuilder(settings.base_currency).build().to_json()


def _audit_summary(settings: Settings, result: AuditResult) -> dict[str, Any]:
    """Stored with the run: documents audited, skips with reasons, and findings on each rule's
    documents (a rule's report section points to them instead of repeating them)."""
    sides: dict[tuple[str, str], list[str]] = {}
    for rule in settings.reconcile.rules:
        if isinstance(rule, SettlementRule):
            specs = [side for side in (rule.invoices, rule.payments, rule.credit_notes) if side is not None]
        else:
            specs = [rule.left, rule.right]
        for spec in specs:
            names = sides.setdefault((spec.source, spec.kind), [])
            if rule.name not in names:
                names.append(rule.name)
    by_rule: dict[str, dict[str, int]] = {}
    for found in result.discrepancies:
        ref = found.left[0] if found.left else found.right[0]
        for rule_name in sides.get((ref.source, ref.kind.value), []):
            counts = by_rule.setdefault(rule_name, {})
            counts[found.type.value] = counts.get(found.type.value, 0) + 1
    return {"documents": result.documents, "skipped": result.skipped, "by_rule": by_rule}


def _links(result: MatchResult) -> list[tuple[int, int, int, str, str | None]]:
    """(group number, left document id, right document id, how, why) per pair, as MatchLink orders
    them; `why` is the JSON of a scored pair's components (the UI's "why"), None for other pairs.
    Read off the match list's pairs: no `Match` is made for a plain pair (reconcile/match_list.py)."""
    links: list[tuple[int, int, int, str, str | None]] = []
    append = links.append
    shown: tuple[Why | None, str | None] = (None, None)
    for group_no, left, right, how, why in links_of(result.matches):
        left_id, right_id = left.doc_id, right.doc_id
        if left_id is None or right_id is None:
            continue
        if why is None:
            append((group_no, left_id, right_id, how, None))
            continue
        if shown[0] is not why:  # a group's pairs share their match's why: its JSON once
            shown = (why, json.dumps(why.to_json(), sort_keys=True))
        append((group_no, left_id, right_id, how, shown[1]))
    return links
