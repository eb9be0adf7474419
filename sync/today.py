"""The Today overview: for each rule and period its latest bridge statement, its open exceptions by
type with their amounts, their ageing and what changed in the last 24 hours; for each connector its
last sync, lag, health and quarantined records. The web app's Today page shows it; every figure comes
from what the reports and the health checks already compute (sync/report_job.py, sync/health.py) or
from the store's Today queries (store/web_today.py), never from a second copy of their logic."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal

from config.settings import Settings
from reconcile.exception_age import AGE_BUCKETS
from reconcile.periods import Period, PeriodError, parse_period
from reconcile.result import Bridge
from store.db import Engine
from store.discrepancies import DiscrepancyType, ExceptionAction, ExceptionStatus
from store.exception_counts import ExceptionScope
from store.reconcile_repository import SqlReconcileRepository
from store.report_queries import SqlReportQueries
from store.web_today import SqlTodayQueries
from sync.health import HealthReport, StreamHealth, assess_health
from sync.report_job import _bridge as parse_bridge
from sync.report_job import audit_plan_names

OPEN = ExceptionStatus.OPEN.value
"""The status the Today page counts (and its links filter the queue by)."""
CHANGE_WINDOW = timedelta(hours=24)
PERIODS_SHOWN = 6
"""Periods shown per rule at most: the ones run most recently."""
CHANGE_GROUPS: Mapping[str, tuple[str, ...]] = {
    "new": (ExceptionAction.OPENED.value,),
    "resolved": (ExceptionAction.RESOLVED.value, ExceptionAction.AUTO_RESOLVED.value),
}
CHANGED = "changed"
"""Every other action (acknowledged, assigned, reopened, changed by a run, ...)."""


@dataclass(frozen=True)
class TypeFigure:
    """Open exceptions of one type: how many, their differences summed per currency, and the amount the
    bridge statement explains by the type (None: the bridge has no such line)."""

    type: str
    count: int
    amounts: tuple[tuple[str | None, Decimal], ...] = ()
    explained: Decimal | None = None


@dataclass(frozen=True)
class RulePeriod:
    rule: str
    period: str
    """The run's period name (`2026-10`, `2026-Q4`, `all`)."""
    kind: str
    """`match`, `settlement` or `audit` (no bridge statement)."""
    finished_at: datetime | None
    bridge: Bridge | None
    types: tuple[TypeFigure, ...]
    ageing: tuple[tuple[str, int], ...]
    """(bucket key, open exceptions first seen that many days ago), youngest first."""
    changes: tuple[tuple[str, int], ...]
    """(`new` | `resolved` | `changed`, exceptions) in the last 24 hours."""

    @property
    def open_count(self) -> int:
        return sum(figure.count for figure in self.types)

    @property
    def queue_period(self) -> str | None:
        """The queue's `period` filter for this period (None: every period)."""
        return None if self.period == "all" else self.period


@dataclass(frozen=True)
class ConnectorFigure:
    name: str
    last_sync: datetime | None
    """The newest successful run of any of its streams."""
    lag_seconds: float | None
    """The worst stream's lag (seconds since its last successful run); None: a stream never synced."""
    health: str
    """`ok`, `degraded` (lag beyond the limit, failing runs, a cursor in the future) or `never`."""
    quarantined: int
    streams: tuple[StreamHealth, ...] = field(default=())


@dataclass(frozen=True)
class TodayOverview:
    now: datetime
    rules: tuple[RulePeriod, ...]
    connectors: tuple[ConnectorFigure, ...]
    health: str
    """The installation's health as `sync status` and /healthz say it."""


def today_overview(engine: Engine, settings: Settings, now: datetime) -> TodayOverview:
    queries = SqlReportQueries(engine)
    reconcile = SqlReconcileRepository(engine)
    today = SqlTodayQueries(engine)
    configured = [rule.name for rule in settings.reconcile.rules]
    plans = audit_plan_names(queries, settings)
    names = list(dict.fromkeys([*configured, *sorted(plans), *today.rules_with_runs()]))
    rules: list[RulePeriod] = []
    for name in names:
        runs = [run for period in reconcile.run_periods(name) if (run := queries.latest_run(name, period))]
        runs.sort(key=lambda run: run["id"], reverse=True)
        for run in runs[:PERIODS_SHOWN]:
            rules.append(_rule_period(today, queries, settings, now, run))
    health = assess_health(engine, settings, now)
    return TodayOverview(now, tuple(rules), _connectors(settings, health), health.status)


def _rule_period(
    today: SqlTodayQueries,
    queries: SqlReportQueries,
    settings: Settings,
    now: datetime,
    run: Mapping[str, object],
) -> RulePeriod:
    name, period_name, kind = str(run["rule"]), str(run["period"]), str(run["rule_kind"])
    period = _period(period_name, now, settings)
    bounded = period is not None and period.start is not None
    start = period.start if bounded and period is not None else None
    end = period.end if bounded and period is not None else None
    scope = ExceptionScope(rules=(name,), start=start, end=end)
    open_scope = ExceptionScope(rules=(name,), statuses=(OPEN,), start=start, end=end)
    bridge = None if kind == "audit" else parse_bridge(str(run["bridge"]))
    counts = queries.exception_counts(open_scope).get(name, {})
    sums = today.difference_sums(open_scope).get(name, {})
    explained = bridge.explained if bridge is not None else {}
    order = {t.value: i for i, t in enumerate(DiscrepancyType)}
    types = tuple(
        TypeFigure(
            type=kind_name,
            count=count,
            amounts=tuple(sorted(sums.get(kind_name, {}).items(), key=lambda item: item[0] or "")),
            explained=explained.get(kind_name),
        )
        for kind_name, count in sorted(counts.items(), key=lambda item: (order.get(item[0], 99), item[0]))
    )
    ages = today.first_seen_counts(
        open_scope, {bucket.key: bucket.first_seen_range(now) for bucket in AGE_BUCKETS}
    )
    changes = today.touched_exceptions(scope, (now - CHANGE_WINDOW, now), CHANGE_GROUPS, CHANGED)
    finished = run.get("finished_at")
    return RulePeriod(
        rule=name,
        period=period_name,
        kind=kind,
        finished_at=finished if isinstance(finished, datetime) else None,
        bridge=bridge,
        types=types,
        ageing=tuple((bucket.key, ages[bucket.key]) for bucket in AGE_BUCKETS),
        changes=tuple(changes.items()),
    )


def _period(name: str, now: datetime, settings: Settings) -> Period | None:
    try:
        return parse_period(name, now, settings.zone)
    except PeriodError:  # a run's stored name is always readable; an unknown one covers everything
        return None


def _connectors(settings: Settings, health: HealthReport) -> tuple[ConnectorFigure, ...]:
    threshold = settings.daemon.health.failing_runs
    found: list[ConnectorFigure] = []
    for connector in settings.connectors:
        streams = tuple(s for s in health.streams if s.connector == connector.name)
        synced = [s.last_ok_at for s in streams if s.last_ok_at is not None]
        lags = [s.lag_seconds for s in streams]
        found.append(
            ConnectorFigure(
                name=connector.name,
                last_sync=max(synced) if synced else None,
                lag_seconds=None if not lags or None in lags else max(lag for lag in lags if lag is not None),
                health=_health(streams, threshold),
                quarantined=sum(s.quarantined for s in streams),
                streams=streams,
            )
        )
    return tuple(found)


def _health(streams: tuple[StreamHealth, ...], failing_runs: int) -> str:
    """A connector's health from its streams, by the same limits assess_health reports reasons for."""
    if not streams or all(s.last_ok_at is None and s.consecutive_failures == 0 for s in streams):
        return "never"
    for s in streams:
        late = (
            s.threshold_seconds is not None
            and s.lag_seconds is not None
            and s.lag_seconds > s.threshold_seconds
        )
        if late or s.cursor_in_future or s.consecutive_failures >= failing_runs:
            return "degraded"
    return "ok"
