"""Reconciliation persistence: compact rows for the matcher, runs, matches, exceptions, events, overrides.

Reads go straight from SQL to `LedgerRow` tuples (no pydantic model per document) so two million
documents load in seconds; bulk writes use executemany (SQLite) or COPY (PostgreSQL).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any, NamedTuple

from sqlalchemy import (
    BigInteger,
    Connection,
    Engine,
    String,
    and_,
    bindparam,
    exists,
    func,
    insert,
    or_,
    select,
    type_coerce,
    update,
)
from sqlalchemy.sql import ColumnElement

from store.audit_log import append_audit
from store.canonical import DocumentKey, DocumentKind
from store.codec import tidy_amount
from store.db import is_sqlite, write_transaction
from store.discrepancies import (
    Discrepancy,
    DiscrepancyType,
    DocumentRef,
    ExceptionAction,
    ExceptionStatus,
    FieldDiff,
)
from store.document_filter import side_conditions
from store.exception_keys import refresh_queue_keys
from store.ledger_rows import LedgerRow
from store.reconcile_tables import (
    reconcile_exception_events,
    reconcile_exceptions,
    reconcile_matches,
    reconcile_overrides,
    reconcile_runs,
)
from store.shared_rows import with_counterpart
from store.tables import allocations, document_lines, documents

_BATCH = 2_000
"""Rows fetched at a time by load_rows: a small batch leaves fewer freed driver rows between the kept ones."""
_IN_CHUNK = 500


@dataclass(frozen=True)
class DocumentSet:
    """Which documents a side of a rule reads: source, kind, filters and the issue-date range."""

    source: str
    kind: str
    filters: Mapping[str, Sequence[str]]
    start: date | None = None
    end: date | None = None
    with_allocations: bool = False
    allocated_into_range_of: str | None = None
    """Settlement payments: also take those allocated to documents of this kind issued in the range."""


@dataclass(frozen=True)
class ExceptionChange:
    """One exception a run opens, refreshes, reopens or auto-resolves (with the event to append)."""

    fingerprint: str
    status: ExceptionStatus
    action: ExceptionAction | None
    note: str | None
    discrepancy: Discrepancy | None


class MatchLink(NamedTuple):
    """One pair of a match (an aggregate match is several links with one group number). `why` is the
    JSON of a scored pair's components (reconcile.result.Why.to_json), None for other pairs."""

    group_no: int
    left_document_id: int
    right_document_id: int
    how: str
    why: str | None = None


@dataclass(frozen=True)
class ReconcileRunRecord:
    """One row of `reconcile_runs` (a sync run is store.runs.RunRecord)."""

    rule: str
    rule_kind: str
    period: str
    left_count: int
    right_count: int
    matched: int
    exception_counts: Mapping[str, int]
    bridge: Mapping[str, Any]
    started_at: datetime
    finished_at: datetime


@dataclass(frozen=True)
class StoredException:
    """An exception as the commands show it."""

    id: int
    fingerprint: str
    rule: str
    type: str
    status: ExceptionStatus
    signature: str
    assignee: str | None
    issued_on: date | None
    left: tuple[DocumentRef, ...]
    right: tuple[DocumentRef, ...]
    left_amount: Decimal | None
    right_amount: Decimal | None
    difference: Decimal | None
    currency: str | None
    explanation: str
    fields: tuple[tuple[str, str | None, str | None], ...]
    resolution_kind: str | None
    resolution_note: str | None
    first_seen_at: datetime
    last_seen_at: datetime

    def involves(self, key: DocumentKey) -> bool:
        """True when the document is on either side of the finding."""
        return any(ref.key == key for ref in (*self.left, *self.right))

    def discrepancy(self) -> Discrepancy:
        """The finding as the reconciler made it (the report's explanation in another language needs it)."""
        return Discrepancy(
            rule=self.rule,
            type=DiscrepancyType(self.type),
            left=self.left,
            right=self.right,
            left_amount=self.left_amount,
            right_amount=self.right_amount,
            difference=self.difference,
            currency=self.currency,
            explanation=self.explanation,
            fields=tuple(FieldDiff(field=name, left=left, right=right) for name, left, right in self.fields),
        )


@dataclass(frozen=True)
class ExceptionEvent:
    action: str
    from_status: str | None
    to_status: str
    actor: str
    note: str | None
    run_id: int | None
    at: datetime


class _Shared(dict[Any, Any]):
    """A column's values converted once per distinct raw value, that one object shared by every row that
    has it (a date, a rate, a flag): a million rows hold a few hundred date objects, not two million.
    `shared[raw]` is a dict lookup; only a value not seen before reaches the converter."""

    def __init__(self, convert: Callable[[Any], Any] | None) -> None:
        super().__init__({None: None})
        self._convert = convert

    def __missing__(self, value: Any) -> Any:
        converted = self[value] = value if self._convert is None else self._convert(value)
        return converted


class SqlReconcileRepository:
    """The reconcile job's and the review commands' view of the database."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    # ------------------------------------------------------------------ reads for a run

    def load_rows(
        self, spec: DocumentSet, counterparts: Mapping[str, LedgerRow] | None = None
    ) -> list[LedgerRow]:
        """Every document of the set (deleted ones too: a tombstone is a finding), as compact rows.
        `counterparts`: the other side's rows by number; a row with one holds its number and equal
        amounts (store/shared_rows.py).

        Two million rows must fit in well under 1.5 GB (docs/performance.md, ADR 0032): values that
        repeat across documents (source, kind, customer, owner, currency, status, dates, rates) are read
        once and shared by every row that has them, and a lines total equal to the subtotal is the
        subtotal's own int. Dates and rates are converted by the column types' own result processors,
        once per distinct value, instead of once per row."""
        d = documents.c
        line_sum = (
            select(
                document_lines.c.document_id,
                func.sum(type_coerce(document_lines.c.amount, BigInteger)).label("lsum"),
                func.min(type_coerce(document_lines.c.amount, BigInteger)).label("lmin"),
            )
            .group_by(document_lines.c.document_id)
            .subquery()
        )
        raw = String()  # no result processing: the converters below see what the driver returns
        query = (
            select(
                d.source,
                d.kind,
                d.external_id,
                d.number,
                d.party_external_id,
                d.party_name,
                d.owner,
                type_coerce(d.issued_on, raw),
                type_coerce(d.due_on, raw),
                d.currency,
                type_coerce(d.exchange_rate, raw),
                *(type_coerce(c, BigInteger) for c in (d.subtotal, d.tax, d.total, d.balance)),
                d.status,
                type_coerce(d.deleted, raw),
                func.nullif(d.refs, "{}"),
                line_sum.c.lsum,
                line_sum.c.lmin,
                d.id,
                *(type_coerce(c, BigInteger) for c in (d.discount, d.shipping, d.adjustment, d.rounding)),
                type_coerce(d.tax_inclusive, raw),
            )
            .select_from(documents.outerjoin(line_sum, line_sum.c.document_id == d.id))
            .where(*self._conditions(spec))
        )
        allocated = self._allocations(spec) if spec.with_allocations else {}
        dialect = self._engine.dialect
        day = _Shared(d.issued_on.type._cached_result_processor(dialect, None))
        rate_of = _Shared(d.exchange_rate.type._cached_result_processor(dialect, None))
        flag = _Shared(d.deleted.type._cached_result_processor(dialect, None))
        text: dict[Any, Any] = {}
        same = text.setdefault
        rows: list[LedgerRow] = []
        append, new, loads = rows.append, tuple.__new__, json.loads
        twin_of = counterparts.get if counterparts else None
        with self._engine.connect() as conn:
            for (
                source,
                kind,
                external_id,
                number,
                party_id,
                party_name,
                owner,
                issued_on,
                due_on,
                currency,
                rate,
                subtotal,
                tax,
                total,
                balance,
                status,
                deleted,
                refs,
                lines_sum,
                lines_min,
                doc_id,
                discount,
                shipping,
                adjustment,
                rounding,
                tax_inclusive,
            ) in conn.execution_options(yield_per=_BATCH).execute(query):
                # PostgreSQL's SUM of a bigint is numeric; a sum equal to the subtotal shares its int.
                lines_total = subtotal if lines_sum == subtotal else lines_sum
                if lines_total.__class__ is not int and lines_total is not None:
                    lines_total = int(lines_total)
                if refs is not None or allocated:
                    references, allocations = (loads(refs) if refs else None), allocated.get(doc_id, ())
                else:
                    references = allocations = None
                row = new(
                    LedgerRow,
                    (
                        same(source, source),
                        same(kind, kind),
                        external_id,
                        number,
                        same(party_id, party_id),
                        same(party_name, party_name),
                        same(owner, owner),
                        day[issued_on],
                        day[due_on],
                        same(currency, currency),
                        rate_of[rate],
                        subtotal,
                        tax,
                        total,
                        balance,
                        same(status, status),
                        flag[deleted],
                        references,
                        allocations,
                        lines_total,
                        lines_min,
                        doc_id,
                        discount,
                        shipping,
                        adjustment,
                        rounding,
                        flag[tax_inclusive],
                    ),
                )
                if twin_of is not None and number is not None and (twin := twin_of(number)) is not None:
                    row = with_counterpart(row, twin)
                append(row)
        return rows

    def _conditions(self, spec: DocumentSet) -> list[ColumnElement[bool]]:
        return side_conditions(spec)

    def _allocations(self, spec: DocumentSet) -> dict[int, tuple[tuple[str, int, str], ...]]:
        a = allocations.c
        query = (
            select(a.document_id, a.invoice_external_id, type_coerce(a.amount, BigInteger), a.target_kind)
            .select_from(allocations.join(documents, documents.c.id == a.document_id))
            .where(documents.c.source == spec.source, documents.c.kind == spec.kind)
            .order_by(a.document_id, a.position)
        )
        grouped: dict[int, list[tuple[str, int, str]]] = {}
        with self._engine.connect() as conn:
            for doc_id, target, amount, kind in conn.execute(query):
                grouped.setdefault(doc_id, []).append((target, int(amount), kind))
        return {doc_id: tuple(items) for doc_id, items in grouped.items()}

    def external_ids(self, source: str, kind: str) -> frozenset[str]:
        """Every external id of one source and kind, deleted or not (is an allocation's target real?)."""
        query = select(documents.c.external_id).where(documents.c.source == source, documents.c.kind == kind)
        with self._engine.connect() as conn:
            return frozenset(conn.execute(query).scalars())

    def issue_dates(self, source: str, kind: str, external_ids: Iterable[str]) -> dict[tuple[str, str], date]:
        """(source, external id) -> issued_on, for the documents named (invoice_before_order)."""
        d = documents.c
        wanted = sorted(set(external_ids))
        found: dict[tuple[str, str], date] = {}
        with self._engine.connect() as conn:
            for start in range(0, len(wanted), _IN_CHUNK):
                chunk = wanted[start : start + _IN_CHUNK]
                query = select(d.external_id, d.issued_on).where(
                    d.source == source, d.kind == kind, d.external_id.in_(chunk), d.issued_on.is_not(None)
                )
                for external_id, issued_on in conn.execute(query):
                    found[(source, external_id)] = issued_on
        return found

    def rows_by_external_id(
        self, source: str, kind: str, external_ids: Iterable[str]
    ) -> dict[tuple[str, str], LedgerRow]:
        """(source, external id) -> a compact row of each document named (an audit's credited invoices):
        identity, customer, date, currency, total, status; deleted ones too (the caller decides)."""
        d = documents.c
        wanted = sorted(set(external_ids))
        found: dict[tuple[str, str], LedgerRow] = {}
        with self._engine.connect() as conn:
            for start in range(0, len(wanted), _IN_CHUNK):
                query = select(
                    d.external_id,
                    d.number,
                    d.party_external_id,
                    d.party_name,
                    d.issued_on,
                    d.currency,
                    d.exchange_rate,
                    type_coerce(d.total, BigInteger),
                    d.status,
                    d.deleted,
                    d.id,
                ).where(
                    d.source == source, d.kind == kind, d.external_id.in_(wanted[start : start + _IN_CHUNK])
                )
                for (
                    ext,
                    number,
                    party_id,
                    party,
                    issued,
                    currency,
                    rate,
                    total,
                    status,
                    deleted,
                    doc_id,
                ) in conn.execute(query):
                    found[(source, ext)] = LedgerRow(
                        source=source,
                        kind=kind,
                        external_id=ext,
                        number=number,
                        party_id=party_id,
                        party_name=party,
                        issued_on=issued,
                        currency=currency,
                        rate=rate,
                        total=None if total is None else int(total),
                        status=status,
                        deleted=bool(deleted),
                        doc_id=doc_id,
                    )
        return found

    def allocations_unknown(self, source: str) -> bool:
        """True when a live payment of the source has neither allocations nor a known unapplied balance:
        what it paid against is unknown (an Fxiaoke tenant without OrderPaymentObj), so no order's
        collections can be added up from the ledger."""
        d, a = documents.c, allocations.c
        query = (
            select(d.id)
            .where(
                d.source == source,
                d.kind == DocumentKind.PAYMENT.value,
                d.deleted.is_(False),
                d.balance.is_(None),
                ~exists(select(1).where(a.document_id == d.id)),
            )
            .limit(1)
        )
        with self._engine.connect() as conn:
            return conn.execute(query).first() is not None

    def order_collections(
        self, source: str, order_ids: Iterable[str]
    ) -> tuple[list[LedgerRow], list[LedgerRow]]:
        """The named sales orders of a source, and every payment of that source with an allocation to
        one of them, each with all its allocations — deleted and void payments too (reconcile/status.py
        decides what counts). Rows carry what deriving a status reads: key, number, currency, rate,
        total, status, deleted, allocations and the row id; nothing else is filled in."""
        d, a = documents.c, allocations.c
        columns = (
            d.id,
            d.kind,
            d.external_id,
            d.number,
            d.currency,
            d.exchange_rate,
            type_coerce(d.total, BigInteger),
            d.status,
            d.deleted,
        )
        wanted = sorted(set(order_ids))
        found: dict[int, Any] = {}
        with self._engine.connect() as conn:
            for start in range(0, len(wanted), _IN_CHUNK):
                chunk = wanted[start : start + _IN_CHUNK]
                paying = select(a.document_id).where(
                    a.target_kind == DocumentKind.SALES_ORDER.value, a.invoice_external_id.in_(chunk)
                )
                query = select(*columns).where(
                    d.source == source,
                    or_(
                        and_(d.kind == DocumentKind.SALES_ORDER.value, d.external_id.in_(chunk)),
                        and_(d.kind == DocumentKind.PAYMENT.value, d.id.in_(paying)),
                    ),
                )
                for r in conn.execute(query):
                    found[r[0]] = r
            paid_by: dict[int, list[tuple[str, int, str]]] = {}
            payment_ids = sorted(i for i, r in found.items() if r[1] == DocumentKind.PAYMENT.value)
            for start in range(0, len(payment_ids), _IN_CHUNK):
                query = (
                    select(
                        a.document_id, a.invoice_external_id, type_coerce(a.amount, BigInteger), a.target_kind
                    )
                    .where(a.document_id.in_(payment_ids[start : start + _IN_CHUNK]))
                    .order_by(a.document_id, a.position)
                )
                for doc_id, target, amount, kind in conn.execute(query):
                    paid_by.setdefault(doc_id, []).append((target, int(amount), kind))
        orders: list[LedgerRow] = []
        payments: list[LedgerRow] = []
        for doc_id, kind, external_id, number, currency, rate, total, status, deleted in found.values():
            row = LedgerRow(
                source=source,
                kind=kind,
                external_id=external_id,
                number=number,
                currency=currency,
                rate=rate,
                total=None if total is None else int(total),
                status=status,
                deleted=bool(deleted),
                allocations=tuple(paid_by.get(doc_id, ())),
                doc_id=doc_id,
            )
            (payments if kind == DocumentKind.PAYMENT.value else orders).append(row)
        return orders, payments

    def overrides(self, rule: str) -> tuple[frozenset[tuple[str, str]], frozenset[tuple[str, str]]]:
        """(manual matches, manual unmatches) in force for a rule, as (left key, right key) text pairs."""
        o = reconcile_overrides.c
        query = select(o.action, o.left_key, o.right_key).where(o.rule == rule, o.active.is_(True))
        forced: set[tuple[str, str]] = set()
        forbidden: set[tuple[str, str]] = set()
        with self._engine.connect() as conn:
            for action, left_key, right_key in conn.execute(query):
                (forced if action == "match" else forbidden).add((left_key, right_key))
        return frozenset(forced), frozenset(forbidden)

    def exception_states(self, rule: str) -> dict[str, tuple[ExceptionStatus, str, date | None]]:
        """fingerprint -> (status, signature, issued_on) of every exception of a rule."""
        e = reconcile_exceptions.c
        query = select(e.fingerprint, e.status, e.signature, e.issued_on).where(e.rule == rule)
        with self._engine.connect() as conn:
            return {
                fp: (ExceptionStatus(status), signature, issued_on)
                for fp, status, signature, issued_on in conn.execute(query)
            }

    # ------------------------------------------------------------------ the run's write

    def save_run(
        self,
        run: ReconcileRunRecord,
        links: Sequence[tuple[int, int, int, str, str | None]],
        changes: Sequence[ExceptionChange],
        *,
        owner: str | None,
        actor: str,
        now: datetime,
    ) -> int:
        """Persist one run in ONE transaction: the run row, its matches (replacing the rule's previous
        matches for the same period), exceptions and their events. Returns the run id."""
        with write_transaction(self._engine) as conn:
            run_id = self._insert_run(conn, run)
            self._replace_matches(conn, run, run_id, links)
            self._apply_changes(conn, run.rule, run_id, changes, owner=owner, actor=actor, now=now)
            e = reconcile_exceptions.c
            refresh_queue_keys(conn, e.rule == run.rule, e.updated_at == now)  # what the run touched
            detail = {"rule": run.rule, "period": run.period, "run_id": run_id, "matched": run.matched}
            append_audit(
                conn,
                actor,
                "reconcile.run",
                {**detail, "exceptions": dict(run.exception_counts)},
                clock=lambda: now,
            )
        return run_id

    def _insert_run(self, conn: Connection, run: ReconcileRunRecord) -> int:
        values = {
            "rule": run.rule,
            "rule_kind": run.rule_kind,
            "period": run.period,
            "status": "ok",
            "left_count": run.left_count,
            "right_count": run.right_count,
            "matched": run.matched,
            "exception_counts": json.dumps(dict(run.exception_counts), sort_keys=True),
            "bridge": json.dumps(run.bridge, sort_keys=True),
            "opened": 0,
            "auto_resolved": 0,
            "reopened": 0,
            "started_at": run.started_at,
            "finished_at": run.finished_at,
        }
        return int(
            conn.execute(insert(reconcile_runs).values(**values).returning(reconcile_runs.c.id)).scalar_one()
        )

    def _replace_matches(
        self,
        conn: Connection,
        run: ReconcileRunRecord,
        run_id: int,
        links: Sequence[tuple[int, int, int, str, str | None]],
    ) -> None:
        previous = select(reconcile_runs.c.id).where(
            reconcile_runs.c.rule == run.rule,
            reconcile_runs.c.period == run.period,
            reconcile_runs.c.id != run_id,
        )
        conn.execute(reconcile_matches.delete().where(reconcile_matches.c.run_id.in_(previous)))
        prefix = (run_id, run.rule)
        rows = [prefix + link for link in links]
        columns = ("run_id", "rule", "group_no", "left_document_id", "right_document_id", "how", "why")
        _bulk_insert(conn, "reconcile_matches", columns, rows)

    def _apply_changes(
        self,
        conn: Connection,
        rule: str,
        run_id: int,
        changes: Sequence[ExceptionChange],
        *,
        owner: str | None,
        actor: str,
        now: datetime,
    ) -> None:
        e = reconcile_exceptions.c
        existing = {
            fp: (exc_id, ExceptionStatus(status))
            for exc_id, fp, status in conn.execute(
                select(e.id, e.fingerprint, e.status).where(e.rule == rule)
            )
        }
        new_rows = [
            _exception_row(c.discrepancy, owner, run_id, now)
            for c in changes
            if c.fingerprint not in existing and c.discrepancy is not None
        ]
        if new_rows:
            conn.execute(insert(reconcile_exceptions), new_rows)
            fresh = {r["fingerprint"] for r in new_rows}
            for exc_id, fp in conn.execute(select(e.id, e.fingerprint).where(e.rule == rule)):
                if fp in fresh:
                    existing[fp] = (exc_id, ExceptionStatus.OPEN)
        seen_updates: list[dict[str, Any]] = []
        events: list[dict[str, Any]] = []
        for change in changes:
            exc_id, before = existing[change.fingerprint]
            is_new = change.action is ExceptionAction.OPENED
            if change.discrepancy is not None and not is_new:
                seen_updates.append(_refresh(exc_id, change, run_id, now))
            elif change.discrepancy is None:
                seen_updates.append({"_id": exc_id, "status": change.status.value, "updated_at": now})
            if change.action is not None:
                events.append(
                    {
                        "exception_id": exc_id,
                        "action": change.action.value,
                        "from_status": None if is_new else before.value,
                        "to_status": change.status.value,
                        "actor": actor,
                        "note": change.note,
                        "run_id": run_id,
                        "at": now,
                    }
                )
        if seen_updates:
            _update_exceptions(conn, seen_updates)
        if events:
            conn.execute(insert(reconcile_exception_events), events)
        counts = {
            "opened": sum(1 for c in changes if c.action is ExceptionAction.OPENED),
            "auto_resolved": sum(1 for c in changes if c.action is ExceptionAction.AUTO_RESOLVED),
            "reopened": sum(1 for c in changes if c.action is ExceptionAction.REOPENED),
        }
        conn.execute(update(reconcile_runs).where(reconcile_runs.c.id == run_id).values(**counts))

    # ------------------------------------------------------------------ review commands

    def list_exceptions(
        self,
        *,
        rule: str | None = None,
        status: str | None = None,
        type_: str | None = None,
        start: date | None = None,
        end: date | None = None,
        document: DocumentKey | None = None,
    ) -> list[StoredException]:
        """Exceptions, oldest first; `document`: only those with that document on either side."""
        e = reconcile_exceptions.c
        query = select(reconcile_exceptions).order_by(e.id)
        if rule is not None:
            query = query.where(e.rule == rule)
        if status is not None:
            query = query.where(e.status == status)
        if type_ is not None:
            query = query.where(e.type == type_)
        if start is not None and end is not None:
            query = query.where(e.issued_on.between(start, end))
        if document is not None:  # the JSON text narrows the rows; the decoded keys decide
            quoted = json.dumps(document.external_id, ensure_ascii=False)
            query = query.where(
                or_(
                    e.left_docs.contains(quoted, autoescape=True),
                    e.right_docs.contains(quoted, autoescape=True),
                )
            )
        with self._engine.connect() as conn:
            found = [stored_exception(row) for row in conn.execute(query).mappings()]
        return found if document is None else [x for x in found if x.involves(document)]

    def count_exceptions(
        self, *, rule: str | None = None, start: date | None = None, end: date | None = None
    ) -> int:
        """How many exceptions a rule (or every rule) has, of documents issued in [start, end] if given."""
        e = reconcile_exceptions.c
        query = select(func.count()).select_from(reconcile_exceptions)
        if rule is not None:
            query = query.where(e.rule == rule)
        if start is not None and end is not None:
            query = query.where(e.issued_on.between(start, end))
        with self._engine.connect() as conn:
            return int(conn.execute(query).scalar_one())

    def run_periods(self, rule: str | None = None) -> list[str]:
        """The periods (`2026-10`, `2026-Q4`, `all`...) saved runs covered, of one rule or of any."""
        r = reconcile_runs.c
        query = select(r.period).distinct().order_by(r.period)
        if rule is not None:
            query = query.where(r.rule == rule)
        with self._engine.connect() as conn:
            return list(conn.execute(query).scalars())

    def get_exception(self, exception_id: int) -> StoredException | None:
        query = select(reconcile_exceptions).where(reconcile_exceptions.c.id == exception_id)
        with self._engine.connect() as conn:
            row = conn.execute(query).mappings().first()
        return None if row is None else stored_exception(row)

    def events(self, exception_id: int) -> list[ExceptionEvent]:
        ev = reconcile_exception_events.c
        query = select(reconcile_exception_events).where(ev.exception_id == exception_id).order_by(ev.id)
        with self._engine.connect() as conn:
            return [
                ExceptionEvent(r.action, r.from_status, r.to_status, r.actor, r.note, r.run_id, r.at)
                for r in conn.execute(query)
            ]

    def record_action(
        self,
        exception_id: int,
        *,
        action: ExceptionAction,
        before: ExceptionStatus,
        after: ExceptionStatus,
        actor: str,
        note: str | None,
        now: datetime,
        resolution_kind: str | None = None,
        assignee: str | None = None,
    ) -> None:
        """A person's review action: the exception's new state, its event and its ONE audit row
        (`exception.<action>`, detail of `exception_audit_detail`), in one transaction. The status it
        had is checked again inside the transaction, so two reviewers cannot both win."""
        e = reconcile_exceptions.c
        values: dict[str, Any] = {"status": after.value, "updated_at": now}
        if action is ExceptionAction.RESOLVED:
            values.update(resolution_kind=resolution_kind, resolution_note=note)
        if action is ExceptionAction.REOPENED:
            values.update(resolution_kind=None, resolution_note=None)
        if action is ExceptionAction.ASSIGNED:
            values["assignee"] = assignee
        with write_transaction(self._engine) as conn:
            changed = conn.execute(
                update(reconcile_exceptions)
                .where(e.id == exception_id, e.status == before.value)
                .values(**values)
            ).rowcount
            if changed != 1:
                raise LookupError(f"exception {exception_id} changed meanwhile; look at it again")
            rule, type_ = conn.execute(select(e.rule, e.type).where(e.id == exception_id)).one()
            detail = exception_audit_detail(
                exception_id,
                rule=rule,
                type_=type_,
                before=before,
                after=after,
                note=note,
                assignee=assignee if action is ExceptionAction.ASSIGNED else None,
                resolution_kind=resolution_kind if action is ExceptionAction.RESOLVED else None,
            )
            append_audit(conn, actor, f"exception.{action.value}", detail, clock=lambda: now)
            conn.execute(
                insert(reconcile_exception_events).values(
                    exception_id=exception_id,
                    action=action.value,
                    from_status=before.value,
                    to_status=after.value,
                    actor=actor,
                    note=note,
                    at=now,
                )
            )

    def set_override(
        self, *, rule: str, action: str, left_key: str, right_key: str, actor: str, note: str, now: datetime
    ) -> None:
        """A manual match or unmatch of a pair, and its ONE audit row (`match.match` / `match.unmatch`:
        rule, left, right, note, and `replaced`, the override of the pair it ended or null), in one
        transaction; it ends any override of the pair in force before."""
        o = reconcile_overrides.c
        in_force = (o.rule == rule, o.left_key == left_key, o.right_key == right_key, o.active.is_(True))
        with write_transaction(self._engine) as conn:
            replaced = conn.execute(select(o.action).where(*in_force).order_by(o.id.desc())).scalar()
            ended = {"active": False, "ended_at": now, "ended_by": actor}
            conn.execute(update(reconcile_overrides).where(*in_force).values(**ended))
            detail = {"rule": rule, "left": left_key, "right": right_key, "note": note, "replaced": replaced}
            append_audit(conn, actor, f"match.{action}", detail, clock=lambda: now)
            conn.execute(
                insert(reconcile_overrides).values(
                    rule=rule,
                    action=action,
                    left_key=left_key,
                    right_key=right_key,
                    actor=actor,
                    note=note,
                    created_at=now,
                    active=True,
                )
            )

    def last_runs(self, rule: str, limit: int = 10) -> list[dict[str, Any]]:
        r = reconcile_runs.c
        query = select(reconcile_runs).where(r.rule == rule).order_by(r.id.desc()).limit(limit)
        with self._engine.connect() as conn:
            return [dict(row) for row in conn.execute(query).mappings()]


# ----------------------------------------------------------------------------- helpers


def exception_audit_detail(
    exception_id: int,
    *,
    rule: str,
    type_: str,
    before: ExceptionStatus,
    after: ExceptionStatus,
    note: str | None,
    assignee: str | None,
    resolution_kind: str | None,
) -> dict[str, Any]:
    """The detail of an `exception.<action>` audit row: always these keys (docs/operations.md); null
    where the action does not set them (`assignee` only on assign, `resolution_kind` on resolve)."""
    return {
        "exception": exception_id,
        "rule": rule,
        "type": type_,
        "from": before.value,
        "to": after.value,
        "note": note,
        "assignee": assignee,
        "resolution_kind": resolution_kind,
    }


def _bulk_insert(
    conn: Connection, table: str, columns: Sequence[str], rows: Sequence[tuple[Any, ...]]
) -> None:
    if not rows:
        return
    if is_sqlite(conn):
        marks = ", ".join("?" for _ in columns)
        conn.exec_driver_sql(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})", list(rows))  # noqa: S608
        return
    raw = conn.connection.dbapi_connection
    assert raw is not None
    with raw.cursor() as cursor, cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:  # type: ignore[attr-defined]
        for row in rows:
            copy.write_row(row)


def _refs_json(refs: Iterable[DocumentRef]) -> str:
    return json.dumps([ref.model_dump(mode="json") for ref in refs], ensure_ascii=False)


def _figures(found: Discrepancy) -> dict[str, Any]:
    """The columns that say what a finding is now (refreshed on every run that sees it)."""
    return {
        "signature": found.signature,
        "left_docs": _refs_json(found.left),
        "right_docs": _refs_json(found.right),
        "left_amount": found.left_amount,
        "right_amount": found.right_amount,
        "difference": found.difference,
        "currency": found.currency,
        "explanation": found.explanation,
        "fields": json.dumps([[f.field, f.left, f.right] for f in found.fields], ensure_ascii=False),
    }


def _exception_row(
    found: Discrepancy | None, owner: str | None, run_id: int, now: datetime
) -> dict[str, Any]:
    assert found is not None
    return {
        **_figures(found),
        "fingerprint": found.fingerprint,
        "rule": found.rule,
        "type": found.type.value,
        "status": ExceptionStatus.OPEN.value,
        "assignee": owner,
        "issued_on": found.earliest_issued_on,
        "first_seen_at": now,
        "last_seen_at": now,
        "first_run_id": run_id,
        "last_run_id": run_id,
        "updated_at": now,
    }


def _refresh(exc_id: int, change: ExceptionChange, run_id: int, now: datetime) -> dict[str, Any]:
    assert change.discrepancy is not None
    return {
        **_figures(change.discrepancy),
        "_id": exc_id,
        "status": change.status.value,
        "last_seen_at": now,
        "last_run_id": run_id,
        "updated_at": now,
    }


def _update_exceptions(conn: Connection, updates: list[dict[str, Any]]) -> None:
    by_shape: dict[tuple[str, ...], list[dict[str, Any]]] = {}
    for values in updates:
        by_shape.setdefault(tuple(sorted(values)), []).append(values)
    for shape, batch in by_shape.items():
        statement = (
            update(reconcile_exceptions)
            .where(reconcile_exceptions.c.id == bindparam("_id"))
            .values({name: bindparam(name) for name in shape if name != "_id"})
        )
        conn.execute(statement, batch)


def stored_exception(row: Mapping[Any, Any]) -> StoredException:
    """Decode one reconcile_exceptions row (the report job streams rows and decodes them with this)."""
    return StoredException(
        id=row["id"],
        fingerprint=row["fingerprint"],
        rule=row["rule"],
        type=row["type"],
        status=ExceptionStatus(row["status"]),
        signature=row["signature"],
        assignee=row["assignee"],
        issued_on=row["issued_on"],
        left=tuple(DocumentRef.model_validate(_ref(r)) for r in json.loads(row["left_docs"])),
        right=tuple(DocumentRef.model_validate(_ref(r)) for r in json.loads(row["right_docs"])),
        left_amount=tidy_amount(row["left_amount"]),
        right_amount=tidy_amount(row["right_amount"]),
        difference=tidy_amount(row["difference"]),
        currency=row["currency"],
        explanation=row["explanation"],
        fields=tuple((f[0], f[1], f[2]) for f in json.loads(row["fields"])),
        resolution_kind=row["resolution_kind"],
        resolution_note=row["resolution_note"],
        first_seen_at=row["first_seen_at"],
        last_seen_at=row["last_seen_at"],
    )


def _ref(data: dict[str, Any]) -> dict[str, Any]:
    """JSON -> DocumentRef input (strict models take real Decimals, dates and kinds)."""
    out = dict(data)
    out["kind"] = DocumentKind(out["kind"])
    if out.get("amount") is not None:
        out["amount"] = Decimal(out["amount"])
    if out.get("issued_on") is not None:
        out["issued_on"] = date.fromisoformat(out["issued_on"])
    return out
