"""What matching suggestions read: an exception's documents, the other side's documents that the rule's
last runs left unmatched in the period (nearest in amount first), and the period of the run that last
saw the exception (reconcile/suggestions.py ranks them)."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any, Literal

from sqlalchemy import BigInteger, Engine, exists, func, select, tuple_, type_coerce

from store.canonical import DocumentKey
from store.document_filter import side_conditions
from store.ledger_rows import LedgerRow
from store.reconcile_repository import DocumentSet
from store.reconcile_tables import reconcile_exceptions, reconcile_matches, reconcile_runs
from store.tables import documents

CANDIDATE_CAP = 300
"""Unmatched documents read per exception: the nearest in amount (a month's side is usually far fewer)."""

_d = documents.c
_COLUMNS = (
    _d.source,
    _d.kind,
    _d.external_id,
    _d.number,
    _d.party_external_id,
    _d.party_name,
    _d.owner,
    _d.issued_on,
    _d.due_on,
    _d.currency,
    _d.exchange_rate,
    type_coerce(_d.subtotal, BigInteger),
    type_coerce(_d.tax, BigInteger),
    type_coerce(_d.total, BigInteger),
    type_coerce(_d.balance, BigInteger),
    _d.status,
    _d.deleted,
    _d.refs,
    _d.id,
)


class SqlSuggestionSource:
    """Reads for the suggestions of one exception."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def exception_period(self, exception_id: int) -> str | None:
        """The period name (`2026-10`, `all`) of the run that last saw the exception, None if unknown."""
        e, r = reconcile_exceptions.c, reconcile_runs.c
        query = (
            select(r.period)
            .select_from(reconcile_exceptions.join(reconcile_runs, r.id == e.last_run_id))
            .where(e.id == exception_id)
        )
        with self._engine.connect() as conn:
            return conn.execute(query).scalar()

    def rows(self, keys: Sequence[DocumentKey]) -> list[LedgerRow]:
        """The documents named, as the matcher sees them (in the order of `keys`; unknown ones left out)."""
        if not keys:
            return []
        wanted = [(k.source, k.kind.value, k.external_id) for k in keys]
        query = select(*_COLUMNS).where(tuple_(_d.source, _d.kind, _d.external_id).in_(wanted))
        with self._engine.connect() as conn:
            found = {row.key_text: row for row in (_row(r) for r in conn.execute(query))}
        return [found[str(k)] for k in keys if str(k) in found]

    def unmatched(
        self,
        *,
        rule: str,
        side: Literal["left", "right"],
        source: str,
        kind: str,
        filters: Mapping[str, Sequence[str]],
        start: date | None,
        end: date | None,
        near: int | None,
        limit: int = CANDIDATE_CAP,
    ) -> list[LedgerRow]:
        """Live documents of one side of `rule` (source, kind, the side's filters, issued in [start, end])
        that no stored match of the rule pairs, nearest to `near` (minor units) first."""
        m = reconcile_matches.c
        column = m.left_document_id if side == "left" else m.right_document_id
        matched = exists(select(1).where(m.rule == rule, column == _d.id))
        other = DocumentSet(source, kind, filters, start, end)  # what the rule's run reads of that side
        conditions = [*side_conditions(other), _d.deleted.is_(False), ~matched]
        total = type_coerce(_d.total, BigInteger)
        order = func.abs(total - near) if near is not None else _d.id
        query = select(*_COLUMNS).where(*conditions).order_by(order, _d.id).limit(limit)
        with self._engine.connect() as conn:
            return [_row(r) for r in conn.execute(query)]


def _row(r: Any) -> LedgerRow:
    refs = json.loads(r[17]) if r[17] and r[17] != "{}" else None
    return LedgerRow(
        source=r[0],
        kind=r[1],
        external_id=r[2],
        number=r[3],
        party_id=r[4],
        party_name=r[5],
        owner=r[6],
        issued_on=r[7],
        due_on=r[8],
        currency=r[9],
        rate=r[10],
        subtotal=r[11],
        tax=r[12],
        total=r[13],
        balance=r[14],
        status=r[15],
        deleted=bool(r[16]),
        references=refs,
        doc_id=r[18],
    )
