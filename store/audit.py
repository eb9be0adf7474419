"""The audit log: who did what, appended in a hash chain so that an edited or deleted row is detected."""

from __future__ import annotations

import getpass
import hashlib
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, Engine, insert, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from store.audit_tables import audit_head, audit_log
from store.db import write_transaction

GENESIS = "0" * 64
"""The `prev_hash` of the first row."""

Clock = Callable[[], datetime]


@dataclass(frozen=True)
class AuditEntry:
    id: int
    recorded_at: datetime
    actor: str
    action: str
    detail: Mapping[str, Any]
    hash: str

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "recorded_at": self.recorded_at.isoformat(),
            "actor": self.actor,
            "action": self.action,
            "detail": dict(self.detail),
        }


@dataclass(frozen=True)
class AuditProblem:
    row: int
    message: str


@dataclass(frozen=True)
class AuditVerdict:
    rows: int
    problems: list[AuditProblem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def default_actor() -> str:
    """The operating-system user running the command (`--as NAME` overrides it in the commands)."""
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # a container user without a passwd entry
        return "unknown"


def record_audit(
    engine: Engine,
    actor: str,
    action: str,
    detail: Mapping[str, Any] | None = None,
    *,
    clock: Clock = lambda: datetime.now(UTC),
) -> AuditEntry:
    """Append one entry in its own transaction. Actions are dotted names: `secret.set`, `sync.run`,
    `reconcile.run`, `exception.resolve`, `match.create`... Never put a secret value in `detail`."""
    with write_transaction(engine) as connection:
        return append_audit(connection, actor, action, detail, clock=clock)


def append_audit(
    connection: Connection,
    actor: str,
    action: str,
    detail: Mapping[str, Any] | None = None,
    *,
    clock: Clock = lambda: datetime.now(UTC),
) -> AuditEntry:
    """Append one entry inside the caller's transaction (so it commits or rolls back with the action).

    Bumping the head row first takes its row lock, so concurrent writers on PostgreSQL queue up and
    the chain never forks; on SQLite the write transaction already serializes them."""
    bump = update(audit_head).where(audit_head.c.id == 1).values(seq=audit_head.c.seq + 1)
    if connection.execute(bump).rowcount == 0:  # a head row lost (emptied tables): start it again
        _insert_head_if_missing(connection)
        connection.execute(bump)
    seq, prev_hash = connection.execute(
        select(audit_head.c.seq, audit_head.c.hash).where(audit_head.c.id == 1)
    ).one()
    recorded_at = clock().astimezone(UTC)
    text = _canonical(dict(detail or {}))
    digest = _hash(prev_hash, seq, recorded_at, actor, action, text)
    connection.execute(
        insert(audit_log).values(
            id=seq,
            recorded_at=recorded_at,
            actor=actor,
            action=action,
            detail=text,
            prev_hash=prev_hash,
            hash=digest,
        )
    )
    connection.execute(update(audit_head).where(audit_head.c.id == 1).values(hash=digest))
    return AuditEntry(seq, recorded_at, actor, action, json.loads(text), digest)


def list_audit(
    engine: Engine, *, limit: int = 50, action: str | None = None, actor: str | None = None
) -> list[AuditEntry]:
    """Newest first; `action` matches a prefix (`exception.` lists every exception action)."""
    query = select(audit_log).order_by(audit_log.c.id.desc()).limit(limit)
    if action:
        query = query.where(audit_log.c.action.startswith(action, autoescape=True))
    if actor:
        query = query.where(audit_log.c.actor == actor)
    with engine.connect() as connection:
        rows = connection.execute(query).all()
    return [
        AuditEntry(row.id, row.recorded_at, row.actor, row.action, json.loads(row.detail), row.hash)
        for row in rows
    ]


def verify_audit(engine: Engine) -> AuditVerdict:
    """Recompute the chain from the first row: name every row edited, missing, or out of the chain."""
    problems: list[AuditProblem] = []
    expected_id, prev_hash, rows = 1, GENESIS, 0
    with engine.connect() as connection:
        head = connection.execute(
            select(audit_head.c.seq, audit_head.c.hash).where(audit_head.c.id == 1)
        ).first()
        for row in connection.execute(select(audit_log).order_by(audit_log.c.id)).yield_per(1000):
            rows += 1
            if row.id != expected_id:
                missing = (
                    f"row {expected_id}" if row.id == expected_id + 1 else f"rows {expected_id}-{row.id - 1}"
                )
                problems.append(
                    AuditProblem(expected_id, f"{missing} deleted (the log jumps to row {row.id})")
                )
            if _hash(row.prev_hash, row.id, row.recorded_at, row.actor, row.action, row.detail) != row.hash:
                problems.append(
                    AuditProblem(row.id, f"row {row.id} was edited (its content no longer matches its hash)")
                )
            elif row.prev_hash != prev_hash and row.id == expected_id:
                problems.append(
                    AuditProblem(
                        row.id - 1,
                        f"row {row.id} does not chain to row {row.id - 1} (row {row.id - 1} was replaced)",
                    )
                )
            expected_id, prev_hash = row.id + 1, row.hash
        last = expected_id - 1
        if head is not None and head.seq > last:
            first = last + 1
            span = f"row {first}" if first == head.seq else f"rows {first}-{head.seq}"
            problems.append(
                AuditProblem(first, f"{span} deleted from the end of the log (it had {head.seq} rows)")
            )
        elif head is not None and head.seq == last and head.hash != prev_hash:
            problems.append(
                AuditProblem(last, f"row {last} was replaced (the log's head records another hash)")
            )
    return AuditVerdict(rows=rows, problems=problems)


def _insert_head_if_missing(connection: Connection) -> None:
    values = {"id": 1, "seq": 0, "hash": GENESIS}
    if connection.dialect.name == "postgresql":
        connection.execute(pg_insert(audit_head).values(values).on_conflict_do_nothing())
    else:
        connection.execute(sqlite_insert(audit_head).values(values).on_conflict_do_nothing())


def _canonical(detail: Mapping[str, Any]) -> str:
    return json.dumps(detail, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)


def _hash(prev_hash: str, row_id: int, at: datetime, actor: str, action: str, detail: str) -> str:  # noqa: PLR0917 - the hashed fields, in order
    moment = at.astimezone(UTC).isoformat(timespec="microseconds")
    material = "\x1f".join((prev_hash, str(row_id), moment, actor, action, detail))
    return hashlib.sha256(material.encode("utf-8")).hexdigest()
