"""What the report jobs ask the store: which sources hold which kinds, the rules' latest runs, the audit
plans on record, and exceptions in keyset pages (memory stays flat however many there are).

The shell asks, the store answers: sync/report_job.py and sync/ledger_report_job.py hold a
`SqlReportQueries` and never see a table or a statement (issue 16).
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from typing import Any

from sqlalchemy import Engine, func, select

from store.canonical import DocumentKind, Status
from store.exception_counts import ExceptionScope, count_exceptions
from store.reconcile_repository import StoredException, stored_exception
from store.reconcile_tables import reconcile_exceptions, reconcile_runs
from store.tables import documents

EXCEPTION_BATCH = 1_000
"""Exceptions read per query (keyset pages)."""


class SqlReportQueries:
    """The report jobs' reads, on SQLAlchemy Core."""

    def __init__(self, engine: Engine, *, batch: int = EXCEPTION_BATCH) -> None:
        self._engine = engine
        self._batch = batch

    # ------------------------------------------------------------------------- the ledger

    def source_holders(self) -> dict[str, list[str]]:
        """kind -> the sources holding documents of it (deleted ones too), sorted."""
        d = documents.c
        query = select(d.kind, d.source).distinct().order_by(d.source)
        found: dict[str, list[str]] = {}
        with self._engine.connect() as conn:
            for kind, source in conn.execute(query):
                found.setdefault(str(kind), []).append(str(source))
        return found

    def document_counts(self) -> dict[tuple[str, str, bool], int]:
        """(source, kind, deleted) -> how many documents the ledger holds."""
        d = documents.c
        query = select(d.source, d.kind, d.deleted, func.count()).group_by(d.source, d.kind, d.deleted)
        with self._engine.connect() as conn:
            return {
                (str(source), str(kind), bool(deleted)): int(count)
                for source, kind, deleted, count in conn.execute(query)
            }

    def has_unknown_invoices(self, source: str) -> bool:
        """Whether the source holds a live invoice whose status it does not keep (Fxiaoke invoice
        applications: settled from their orders and collections, ADR 0022)."""
        d = documents.c
        query = (
            select(d.id)
            .where(
                d.source == source,
                d.kind == DocumentKind.INVOICE.value,
                d.status == Status.UNKNOWN.value,
                d.deleted.is_(False),
            )
            .limit(1)
        )
        with self._engine.connect() as conn:
            return conn.execute(query).first() is not None

    # ------------------------------------------------------------------------- runs

    def rules_of_kind(self, rule_kind: str) -> set[str]:
        """The rules (or audit plans) of one kind that have a stored run."""
        r = reconcile_runs.c
        query = select(r.rule).where(r.rule_kind == rule_kind).distinct()
        with self._engine.connect() as conn:
            return {str(name) for name in conn.scalars(query)}

    def latest_run(self, rule: str, period: str | None = None) -> Mapping[str, Any] | None:
        """The rule's latest run (its `reconcile_runs` row) — of `period` when given, else of any."""
        r = reconcile_runs.c
        query = select(reconcile_runs).where(r.rule == rule)
        if period is not None:
            query = query.where(r.period == period)
        with self._engine.connect() as conn:
            row = conn.execute(query.order_by(r.id.desc()).limit(1)).mappings().first()
        return None if row is None else dict(row)

    # ------------------------------------------------------------------------- exceptions

    def exception_counts(self, scope: ExceptionScope) -> dict[str, dict[str, int]]:
        """Exceptions in scope per rule and type (store/exception_counts.py)."""
        return count_exceptions(self._engine, scope)

    def exceptions(self, scope: ExceptionScope) -> Iterator[StoredException]:
        """The exceptions in scope in id order, a keyset page at a time."""
        e = reconcile_exceptions.c
        after = 0
        while True:
            query = (
                select(reconcile_exceptions)
                .where(e.id > after, *scope.conditions())
                .order_by(e.id)
                .limit(self._batch)
            )
            with self._engine.connect() as conn:
                rows = conn.execute(query).mappings().all()
            if not rows:
                return
            for row in rows:
                yield stored_exception(row)
            after = rows[-1]["id"]

    def audited_documents(self, scope: ExceptionScope) -> Iterator[tuple[str, str, tuple[str, str]]]:
        """(rule, type, (source, kind) of the first document) of each exception in scope, in id order,
        a keyset page at a time: where an audit plan's findings point."""
        e = reconcile_exceptions.c
        after = 0
        while True:
            query = (
                select(e.id, e.rule, e.type, e.left_docs, e.right_docs)
                .where(e.id > after, *scope.conditions())
                .order_by(e.id)
                .limit(self._batch)
            )
            with self._engine.connect() as conn:
                rows = conn.execute(query).all()
            if not rows:
                return
            for row in rows:
                refs = json.loads(row.left_docs) or json.loads(row.right_docs)
                if refs:
                    yield str(row.rule), str(row.type), (str(refs[0]["source"]), str(refs[0]["kind"]))
            after = rows[-1].id
