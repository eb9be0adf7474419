"""The review queue's reads: exceptions by the web queue's filters, a page at a time, sorted by age or
amount; and every exception of a filter for an export.

The filter extends the one the CLI's `exceptions list` and the reports use (`ExceptionScope`: rules,
statuses, types, issue-date range) with what the queue adds: assignee, customer, amount range, age,
free text. Customer, free text and amount read the columns of store/exception_keys.py; pages are
OFFSET over the indexes of migration 0011 (docs/performance.md has the figures at 100,000 exceptions).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any, Final

from sqlalchemy import BigInteger, Engine, func, select, type_coerce
from sqlalchemy.sql import ColumnElement

from store.exception_counts import ExceptionScope
from store.exception_keys import document_facts, fold
from store.reconcile_repository import StoredException, stored_exception
from store.reconcile_tables import reconcile_exceptions

PAGE_SIZE: Final = 50
UNASSIGNED: Final = "none"
"""`assignee=none`: exceptions nobody is assigned to."""
AGES: Final[dict[str, tuple[int, int | None]]] = {
    "0-7": (0, 7),
    "8-30": (8, 30),
    "31-90": (31, 90),
    "90+": (91, None),
}
"""Age buckets in whole days since an exception was first seen (`90+`: more than 90 days)."""
SORTS: Final = ("-age", "age", "-amount", "amount")
"""`-age` oldest first (the default), `age` newest first, `-amount` largest first, `amount` smallest."""


@dataclass(frozen=True)
class QueueFilter:
    """What the queue shows. Every field narrows; the default is every exception."""

    rules: tuple[str, ...] = ()
    types: tuple[str, ...] = ()
    statuses: tuple[str, ...] = ()
    start: date | None = None
    end: date | None = None
    """The period: exceptions whose documents were issued in [start, end] (as `exceptions list`)."""
    assignee: str | None = None
    """A user name, or UNASSIGNED."""
    party: str | None = None
    """A substring of a customer's name, compared folded (case and width do not matter)."""
    min_amount: Decimal | None = None
    max_amount: Decimal | None = None
    """Bounds of the absolute difference in the base currency, inclusive."""
    age: str | None = None
    """One of AGES."""
    text: str | None = None
    """Free text over explanation, document numbers and customers, folded like `party`."""

    def scope(self) -> ExceptionScope:
        """The part the CLI and the reports share."""
        return ExceptionScope(
            rules=self.rules, statuses=self.statuses, types=self.types, start=self.start, end=self.end
        )

    def conditions(self, now: datetime) -> list[ColumnElement[bool]]:
        e = reconcile_exceptions.c
        found = self.scope().conditions()
        if self.assignee == UNASSIGNED:
            found.append(e.assignee.is_(None))
        elif self.assignee:
            found.append(e.assignee == self.assignee)
        if self.party:
            found.append(e.queue_party.contains(fold(self.party), autoescape=True))
        if self.text:
            found.append(e.queue_text.contains(fold(self.text), autoescape=True))
        if self.min_amount is not None:
            found.append(e.queue_amount >= self.min_amount)
        if self.max_amount is not None:
            found.append(e.queue_amount <= self.max_amount)
        if self.age in AGES:
            low, high = AGES[self.age]
            # whole days: seen `low` days ago or earlier, and less than high + 1 days ago
            found.append(e.first_seen_at <= now - timedelta(days=low))
            if high is not None:
                found.append(e.first_seen_at > now - timedelta(days=high + 1))
        return found


@dataclass(frozen=True)
class QueueRow:
    exception: StoredException
    amount: Decimal
    """The absolute difference in the base currency (what amount filters and sorts read)."""
    parties: tuple[str, ...] = ()
    """The customers of its documents as the ledger names them."""


@dataclass(frozen=True)
class QueuePage:
    rows: tuple[QueueRow, ...]
    total: int
    page: int
    pages: int


class ExceptionQueue:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def page(self, where: QueueFilter, *, now: datetime, sort: str = "-age", page: int = 1) -> QueuePage:
        """One page of PAGE_SIZE rows and the filter's total; a page past the end is the last page."""
        conditions = where.conditions(now)
        e = reconcile_exceptions.c
        with self._engine.connect() as conn:
            total = int(
                conn.execute(
                    select(func.count()).select_from(reconcile_exceptions).where(*conditions)
                ).scalar_one()
            )
            pages = max(1, -(-total // PAGE_SIZE))
            page = min(max(1, page), pages)
            # ids first (index-only where the covering index holds every condition), then their rows
            ids = list(
                conn.execute(
                    select(e.id)
                    .where(*conditions)
                    .order_by(*_order(sort, scan=bool(where.party or where.text)))
                    .limit(PAGE_SIZE)
                    .offset((page - 1) * PAGE_SIZE)
                ).scalars()
            )
            read = conn.execute(select(reconcile_exceptions).where(e.id.in_(ids))).mappings().all()
            by_id = {row["id"]: row for row in read}
            in_order = [by_id[i] for i in ids if i in by_id]
            found = [(stored_exception(row), row["queue_amount"]) for row in in_order]
            keys = {(r.source, r.kind.value, r.external_id) for x, _ in found for r in (*x.left, *x.right)}
            facts = document_facts(conn, keys)
        rows = tuple(QueueRow(x, amount, _parties(x, facts)) for x, amount in found)
        return QueuePage(rows=rows, total=total, page=page, pages=pages)

    def all(self, where: QueueFilter, *, now: datetime, sort: str = "-age") -> Iterator[StoredException]:
        """Every exception of the filter in the page order (an export), streamed 1,000 rows at a time."""
        conditions = where.conditions(now)
        with self._engine.connect() as conn:
            query = select(reconcile_exceptions).where(*conditions).order_by(*_order(sort))
            for row in conn.execution_options(yield_per=1_000).execute(query).mappings():
                yield stored_exception(row)

    def counts(self, where: QueueFilter, *, now: datetime) -> dict[str, dict[str, int]]:
        """{rule: {type: n}} of the filter (the export's counts)."""
        e = reconcile_exceptions.c
        query = select(e.rule, e.type, func.count()).where(*where.conditions(now)).group_by(e.rule, e.type)
        found: dict[str, dict[str, int]] = {}
        with self._engine.connect() as conn:
            for rule, kind, count in conn.execute(query):
                found.setdefault(str(rule), {})[str(kind)] = int(count)
        return found

    def rules(self) -> list[str]:
        """The rules that have exceptions (the filter's choices)."""
        e = reconcile_exceptions.c
        with self._engine.connect() as conn:
            return [str(r) for r in conn.execute(select(e.rule).distinct().order_by(e.rule)).scalars()]

    def count_open(self) -> int:
        """Open exceptions: the benchmark's baseline query."""
        e = reconcile_exceptions.c
        query = select(func.count()).select_from(reconcile_exceptions).where(e.status == "open")
        with self._engine.connect() as conn:
            return int(conn.execute(query).scalar_one())


def _order(sort: str, *, scan: bool = False) -> list[ColumnElement[Any]]:
    """The page order. `scan`: a customer or free-text filter, which SQLite answers fastest from the
    covering index in age order, sorting the matches; `queue_amount + 0` keeps it from walking the
    amount index instead and reading a wide table row per exception (docs/performance.md)."""
    e = reconcile_exceptions.c
    amount: ColumnElement[Any] = (type_coerce(e.queue_amount, BigInteger) + 0) if scan else e.queue_amount
    if sort == "amount":
        return [amount.asc(), e.id.asc()]
    if sort == "-amount":
        return [amount.desc(), e.id.desc()]
    if sort == "age":
        return [e.first_seen_at.desc(), e.id.desc()]
    return [e.first_seen_at.asc(), e.id.asc()]


def _parties(
    found: StoredException, facts: dict[tuple[str, str, str], tuple[str | None, Any, Any]]
) -> tuple[str, ...]:
    names: list[str] = []
    for ref in (*found.left, *found.right):
        name = facts.get((ref.source, ref.kind.value, ref.external_id), (None, None, None))[0]
        if name and name not in names:
            names.append(name)
    return tuple(names)
