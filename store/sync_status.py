"""What `sync status` (and the web app's sync page) reads beyond runs and cursors: the open quarantine
counted per field and rule, and the detail objects live documents were synced without."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Final

from sqlalchemy import Engine, func, select
from sqlalchemy.exc import SQLAlchemyError

from store.tables import documents, quarantine

DatabaseError: Final = SQLAlchemyError
"""What the store raises when the database refuses or is gone: callers above the store catch this name
(they import no SQLAlchemy)."""


@dataclass(frozen=True)
class QuarantineGroup:
    """Open quarantined records of one stream that broke the same rule on the same field. `rule` None:
    records quarantined before reasons were stored as data (migration 0009), their field unknown too."""

    source: str
    stream: str
    field: str | None
    rule: str | None
    count: int


@dataclass(frozen=True)
class DetailGap:
    """Live documents of one stream synced without some of their detail objects (named by the vendor
    reference `reference` in their `refs`, comma-separated)."""

    source: str
    stream: str
    documents: int
    objects: tuple[str, ...]


class SqlSyncStatus:
    """Read-only questions about the streams' state, on SQLAlchemy Core."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def quarantine_by_field(self) -> list[QuarantineGroup]:
        """Each stream's open quarantined records counted per (field, rule): streams in name order, the
        largest group first, then by field and rule (records from before 0009 last in their stream)."""
        q = quarantine.c
        count = func.count().label("n")
        query = (
            select(q.source, q.stream, q.reason_field, q.reason_rule, count)
            .where(q.resolved_at.is_(None))
            .group_by(q.source, q.stream, q.reason_field, q.reason_rule)
        )
        with self._engine.connect() as connection:
            rows = connection.execute(query).all()
        groups = [QuarantineGroup(r[0], r[1], r[2], r[3], int(r[4])) for r in rows]
        return sorted(
            groups,
            key=lambda g: (g.source, g.stream, g.rule is None, -g.count, g.field or "", g.rule or ""),
        )

    def detail_gaps(self, reference: str) -> list[DetailGap]:
        """Per stream, the live documents whose `refs` name detail objects under `reference` (the ones
        they were synced without), and which objects (as one of those documents, the greatest `refs`, names
        them)."""
        d = documents.c
        query = (
            select(d.source, d.stream, func.count(), func.max(d.refs))
            .where(d.deleted.is_(False), d.refs.like(f'%"{reference}":%'))
            .group_by(d.source, d.stream)
        )
        with self._engine.connect() as connection:
            rows = connection.execute(query).all()
        return [
            DetailGap(
                source,
                stream,
                int(count),
                tuple(name for name in str(json.loads(refs).get(reference) or "").split(",") if name),
            )
            for source, stream, count, refs in rows
        ]
