"""The audit log read a page at a time for the web app's Audit page: filtered by action prefix, actor and
time range, newest first, with the count of all that match (the chain's verification is store.audit_log's)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, Engine, and_, func, select, true

from store.audit_log import AuditEntry
from store.audit_tables import audit_log


@dataclass(frozen=True)
class AuditFilter:
    """Which entries: `action` a prefix (`exception.`), `actor` exact, `since` inclusive and `until`
    exclusive (aware UTC instants). None: no condition."""

    action: str | None = None
    actor: str | None = None
    since: datetime | None = None
    until: datetime | None = None


@dataclass(frozen=True)
class AuditPage:
    entries: list[AuditEntry]
    total: int
    """Entries matching the filter, on every page."""
    offset: int


class SqlAuditPages:
    """Read-only pages of the audit log, on SQLAlchemy Core."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def page(self, where: AuditFilter, *, offset: int = 0, limit: int = 50) -> AuditPage:
        condition = _condition(where)
        query = (
            select(audit_log)
            .where(condition)
            .order_by(audit_log.c.id.desc())
            .offset(max(0, offset))
            .limit(max(1, limit))
        )
        with self._engine.connect() as connection:
            total = int(
                connection.execute(select(func.count()).select_from(audit_log).where(condition)).scalar_one()
            )
            rows = connection.execute(query).all()
        entries = [
            AuditEntry(row.id, row.recorded_at, row.actor, row.action, json.loads(row.detail), row.hash)
            for row in rows
        ]
        return AuditPage(entries, total, max(0, offset))


def _condition(where: AuditFilter) -> ColumnElement[bool]:
    c = audit_log.c
    parts: list[ColumnElement[bool]] = []
    if where.action:
        parts.append(c.action.startswith(where.action, autoescape=True))
    if where.actor:
        parts.append(c.actor == where.actor)
    if where.since is not None:
        parts.append(c.recorded_at >= where.since)
    if where.until is not None:
        parts.append(c.recorded_at < where.until)
    return and_(true(), *parts)
