"""What the web app's Today page asks the store beyond the report queries: open amounts per rule and
type, open exceptions counted per age bucket, and the exceptions whose events fall in a time window.

Every question takes the store's `ExceptionScope` (rule, statuses, issue-date range), the same filter
the reports and the queue read, so a figure here and the list it links to count the same rows."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from decimal import Decimal

from sqlalchemy import Engine, and_, case, func, literal, select, true
from sqlalchemy.sql import ColumnElement

from store.exception_counts import ExceptionScope
from store.reconcile_tables import reconcile_exception_events, reconcile_exceptions, reconcile_runs
from store.schema import Money

Window = tuple[datetime | None, datetime | None]
"""(after, not_after): after < instant <= not_after; None: unbounded on that side."""


class SqlTodayQueries:
    """The Today page's reads, on SQLAlchemy Core (one grouped query each, whatever the row count)."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def rules_with_runs(self) -> list[str]:
        """The rules (and audit plans) with a stored reconciliation run, by name."""
        r = reconcile_runs.c
        with self._engine.connect() as conn:
            return [str(name) for name in conn.scalars(select(r.rule).distinct().order_by(r.rule))]

    def difference_sums(self, scope: ExceptionScope) -> dict[str, dict[str, dict[str | None, Decimal]]]:
        """{rule: {type: {currency: sum of the exceptions' differences}}} over the exceptions in scope
        (exact: Money is summed as integers). Exceptions without a difference add nothing."""
        e = reconcile_exceptions.c
        total = func.sum(e.difference, type_=Money()).label("total")
        query = (
            select(e.rule, e.type, e.currency, total)
            .where(e.difference.is_not(None), *scope.conditions())
            .group_by(e.rule, e.type, e.currency)
        )
        found: dict[str, dict[str, dict[str | None, Decimal]]] = {}
        with self._engine.connect() as conn:
            for rule, kind, currency, amount in conn.execute(query):
                found.setdefault(str(rule), {}).setdefault(str(kind), {})[currency] = amount
        return found

    def first_seen_counts(self, scope: ExceptionScope, windows: Mapping[str, Window]) -> dict[str, int]:
        """{name: exceptions in scope first seen inside that window}, in one query."""
        e = reconcile_exceptions.c
        columns = [
            func.coalesce(func.sum(case((_within(e.first_seen_at, window), 1), else_=0)), 0).label(f"w{i}")
            for i, window in enumerate(windows.values())
        ]
        if not columns:
            return {}
        query = select(*columns).select_from(reconcile_exceptions).where(*scope.conditions())
        with self._engine.connect() as conn:
            row = conn.execute(query).one()
        return {name: int(row[i]) for i, name in enumerate(windows)}

    def touched_exceptions(
        self,
        scope: ExceptionScope,
        window: Window,
        groups: Mapping[str, Sequence[str]],
        other: str,
    ) -> dict[str, int]:
        """{group: distinct exceptions in scope with an event inside `window` whose action is one of the
        group's}; actions named by no group count under `other`. An exception with events of several
        groups counts once in each."""
        e, ev = reconcile_exceptions.c, reconcile_exception_events.c
        group = case(
            *((ev.action.in_(actions), literal(name)) for name, actions in groups.items()),
            else_=literal(other),
        ).label("grp")
        inner = (
            select(group, ev.exception_id)
            .join(reconcile_exceptions, e.id == ev.exception_id)
            .where(_within(ev.at, window), *scope.conditions())
            .distinct()
            .subquery()
        )
        query = select(inner.c.grp, func.count()).group_by(inner.c.grp)
        with self._engine.connect() as conn:
            found = {str(name): int(count) for name, count in conn.execute(query)}
        return {name: found.get(name, 0) for name in (*groups, other)}


def _within(column: ColumnElement[datetime], window: Window) -> ColumnElement[bool]:
    after, not_after = window
    conditions: list[ColumnElement[bool]] = []
    if after is not None:
        conditions.append(column > after)
    if not_after is not None:
        conditions.append(column <= not_after)
    return and_(true(), *conditions)
