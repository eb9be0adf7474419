"""Exceptions counted by rule and type, written once: the mismatch report's counts, the daemon's digest
of a run's new exceptions and the open exceptions /metrics shows all read `count_exceptions` (issue 16)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

from sqlalchemy import ColumnElement, Engine, func, select

from store.reconcile_tables import reconcile_exceptions


@dataclass(frozen=True)
class ExceptionScope:
    """Which exceptions a count or a listing covers (every field narrows; the default: all of them)."""

    rules: tuple[str, ...] = ()
    statuses: tuple[str, ...] = ()
    types: tuple[str, ...] = ()
    start: date | None = None
    end: date | None = None
    """With `start`: exceptions whose documents were issued in [start, end]."""
    first_run_id: int | None = None
    """Only exceptions a reconciliation run saw for the first time."""

    def conditions(self) -> list[ColumnElement[bool]]:
        e = reconcile_exceptions.c
        found: list[ColumnElement[bool]] = []
        if self.rules:
            found.append(e.rule.in_(self.rules))
        if self.statuses:
            found.append(e.status.in_(self.statuses))
        if self.types:
            found.append(e.type.in_(self.types))
        if self.start is not None and self.end is not None:
            found.append(e.issued_on.between(self.start, self.end))
        if self.first_run_id is not None:
            found.append(e.first_run_id == self.first_run_id)
        return found


def by_type(counts: Mapping[str, Mapping[str, int]]) -> dict[str, int]:
    """{rule: {type: n}} -> {type: n} over every rule."""
    totals: dict[str, int] = {}
    for per_rule in counts.values():
        for name, count in per_rule.items():
            totals[name] = totals.get(name, 0) + count
    return totals


def count_exceptions(engine: Engine, scope: ExceptionScope = ExceptionScope()) -> dict[str, dict[str, int]]:
    """Exceptions in scope per rule and type: {rule: {type: count}} (`by_type` sums over the rules)."""
    e = reconcile_exceptions.c
    query = select(e.rule, e.type, func.count()).where(*scope.conditions()).group_by(e.rule, e.type)
    found: dict[str, dict[str, int]] = {}
    with engine.connect() as conn:
        for rule, kind, count in conn.execute(query):
            found.setdefault(str(rule), {})[str(kind)] = int(count)
    return found
