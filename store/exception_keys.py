"""What the review queue filters and sorts on, kept beside each exception (migration 0011).

An exception names its documents by key; their customer and rate live on the documents. Filtering
100,000 open exceptions by customer or by a base-currency amount cannot look every document up per
request, so each exception carries three derived columns, written in the same transaction as the
exception itself (`SqlReconcileRepository.save_run`) and backfilled by the migration:

- `queue_party`: the customers' names of its documents, NFKC-normalized and case-folded (full-width is
  half-width, `ACME` is `acme`), one per line;
- `queue_text`: the same plus the documents' numbers and the stored explanation, folded alike — what
  the queue's free-text search reads;
  (each capped: see PARTY_BYTES, TEXT_BYTES);
- `queue_amount`: the absolute difference in the base currency (the difference times the rate of the
  finding's document in that currency; a rate the source did not give counts as 1); 0 for a finding
  without an amount (dates, owner).
"""

from __future__ import annotations

import json
import unicodedata
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, bindparam, select, tuple_, update
from sqlalchemy.sql import ColumnElement

from store.canonical import MONEY_QUANTUM
from store.reconcile_tables import reconcile_exceptions
from store.tables import documents

_BATCH = 2_000
PARTY_BYTES = 400
TEXT_BYTES = 1_200
"""Both columns are in the queue's covering index (migration 0011), whose rows PostgreSQL limits to
about 2,700 bytes: the customers keep their first 400 bytes of UTF-8, the free text its first 1,200
(customers first, then document numbers, then the explanation)."""
_IN_CHUNK = 400


def fold(text: str) -> str:
    """Text as the queue compares it: NFKC (full-width letters and digits become ASCII) and case-folded."""
    return unicodedata.normalize("NFKC", text).casefold()


def _cap(text: str, limit: int) -> str:
    return text.encode("utf-8")[:limit].decode("utf-8", "ignore")


def refresh_queue_keys(conn: Connection, *where: ColumnElement[bool]) -> int:
    """Recompute the queue columns of the exceptions `where` selects (all of them without a condition).
    Returns how many rows it wrote."""
    e = reconcile_exceptions.c
    query = select(e.id, e.left_docs, e.right_docs, e.explanation, e.difference, e.currency).where(*where)
    written = 0
    batch: list[Any] = []
    for row in conn.execute(query).all():
        batch.append(row)
        if len(batch) >= _BATCH:
            written += _write(conn, batch)
            batch = []
    if batch:
        written += _write(conn, batch)
    return written


def _write(conn: Connection, rows: Sequence[Any]) -> int:
    refs = {
        id_: [r for side in (left, right) for r in json.loads(side)] for id_, left, right, _, _, _ in rows
    }
    facts = document_facts(
        conn, {(r["source"], r["kind"], r["external_id"]) for found in refs.values() for r in found}
    )
    updates = []
    for id_, _, _, explanation, difference, currency in rows:
        parties: list[str] = []
        numbers: list[str] = []
        rate: Decimal | None = None
        for ref in refs[id_]:
            party, doc_rate, doc_currency = facts.get(
                (ref["source"], ref["kind"], ref["external_id"]), (None, None, None)
            )
            if party and fold(party) not in parties:
                parties.append(fold(party))
            if ref.get("number"):
                numbers.append(fold(ref["number"]))
            if rate is None and doc_rate is not None and (doc_currency or ref.get("currency")) == currency:
                rate = doc_rate
        amount = Decimal(0) if difference is None else abs(difference) * (rate if rate is not None else 1)
        updates.append(
            {
                "_id": id_,
                "queue_party": _cap("\n".join(parties), PARTY_BYTES),
                "queue_text": _cap("\n".join([*parties, *numbers, fold(explanation)]), TEXT_BYTES),
                "queue_amount": amount.quantize(MONEY_QUANTUM),
            }
        )
    statement = (
        update(reconcile_exceptions)
        .where(reconcile_exceptions.c.id == bindparam("_id"))
        .values(
            queue_party=bindparam("queue_party"),
            queue_text=bindparam("queue_text"),
            queue_amount=bindparam("queue_amount"),
        )
    )
    conn.execute(statement, updates)
    return len(updates)


def document_facts(
    conn: Connection, keys: Iterable[tuple[str, str, str]]
) -> dict[tuple[str, str, str], tuple[str | None, Decimal | None, str | None]]:
    """(source, kind, external id) -> (party name, exchange rate, currency) of the documents named."""
    d = documents.c
    wanted = sorted(keys)
    found: dict[tuple[str, str, str], tuple[str | None, Decimal | None, str | None]] = {}
    for start in range(0, len(wanted), _IN_CHUNK):
        chunk = wanted[start : start + _IN_CHUNK]
        query = select(d.source, d.kind, d.external_id, d.party_name, d.exchange_rate, d.currency).where(
            tuple_(d.source, d.kind, d.external_id).in_(chunk)
        )
        for source, kind, external_id, party, rate, currency in conn.execute(query):
            found[(source, kind, external_id)] = (party, rate, currency)
    return found
