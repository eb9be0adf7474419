"""The audit log: who did what, appended in a chain of keyed MACs (HMAC-SHA256 under the installation's seal
key, store/integrity.py) whose newest row is also anchored in a file outside the database, so that an
edited, replaced or deleted row — at the start, in the middle or cut from the end — is detected (ADR 0020)."""

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
from store.integrity import Anchor, Seal, SecretKeyError, anchor_after_commit, read_anchor, seal_of

GENESIS = "0" * 64
"""The `prev_hash` of the first row."""
LEGACY_SCHEME = "sha256"
"""audit_head.scheme of a chain written before revision 0006."""

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
    sealed: bool = True
    """False: the chain predates revision 0006 (plain SHA-256); the next audited action re-seals it."""
    last: tuple[int, str] = (0, "0" * 64)
    """(id, MAC) of the newest row."""
    macs: Mapping[int, str] = field(default_factory=dict, repr=False)

    def has(self, anchor: Anchor) -> bool:
        return self.macs.get(anchor.seq) == anchor.mac

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

    Touching the head row first takes its row lock, so concurrent writers on PostgreSQL queue up and
    the chain never forks; on SQLite the write transaction already serializes them. A chain written
    before revision 0006 (unkeyed) is re-sealed first, once, with an `audit.resealed` entry. The head
    file beside the seal key moves to the new row when the transaction commits."""
    seal = seal_of(connection)
    lock = update(audit_head).where(audit_head.c.id == 1).values(seq=audit_head.c.seq)
    if connection.execute(lock).rowcount == 0:  # a head row lost (emptied tables): start it again
        _insert_head_if_missing(connection, seal)
        connection.execute(lock)
    seq, prev_hash, scheme = connection.execute(
        select(audit_head.c.seq, audit_head.c.hash, audit_head.c.scheme).where(audit_head.c.id == 1)
    ).one()
    if scheme == LEGACY_SCHEME:
        seq, prev_hash = _reseal(connection, seal, clock)
    entry = _append_row(connection, seal, seq + 1, prev_hash, actor, action, detail, clock)
    connection.execute(update(audit_head).where(audit_head.c.id == 1).values(seq=entry.id, hash=entry.hash))
    if seal.head_file is not None:
        anchor_after_commit(connection, seal.head_file, entry.id, entry.hash)
    return entry


def _append_row(  # noqa: PLR0917 - the entry's fields
    connection: Connection,
    seal: Seal,
    seq: int,
    prev_hash: str,
    actor: str,
    action: str,
    detail: Mapping[str, Any] | None,
    clock: Clock,
) -> AuditEntry:
    recorded_at = clock().astimezone(UTC)
    text = _canonical(dict(detail or {}))
    digest = _mac(seal, prev_hash, seq, recorded_at, actor, action, text)
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
    return AuditEntry(seq, recorded_at, actor, action, json.loads(text), digest)


def reseal_audit(connection: Connection, old: Seal, new: Seal) -> int:
    """Re-seal the chain under `new` (the secrets key is being rotated), in the caller's transaction:
    rows that verify under `old` are re-MACed in order; a chain that does not verify under `old` is left
    as it is (re-sealing it would hide the damage) and SecretKeyError says so. Returns the rows re-sealed;
    the head file moves when the transaction commits. Attach `new` to the engine before appending."""
    found = _check_chain(connection, lambda *fields: _mac(old, *fields))
    if found.problems:
        raise SecretKeyError(
            f"the audit log does not verify under the current key ({found.problems[0].message}): "
            f"not rotating; run `ledgerbridge audit verify`"
        )
    rows, last, prev_hash = _remac(connection, new)
    if new.head_file is not None and rows:
        anchor_after_commit(connection, new.head_file, last, prev_hash)
    return rows


def _remac(connection: Connection, seal: Seal) -> tuple[int, int, str]:
    """MAC every row of the chain anew under `seal`, in order, and point the head at the last one.
    Returns (rows, last row id, head hash)."""
    prev_hash, rows, last = GENESIS, 0, 0
    for row in connection.execute(select(audit_log).order_by(audit_log.c.id)).all():
        digest = _mac(seal, prev_hash, row.id, row.recorded_at, row.actor, row.action, row.detail)
        connection.execute(
            update(audit_log).where(audit_log.c.id == row.id).values(prev_hash=prev_hash, hash=digest)
        )
        prev_hash, rows, last = digest, rows + 1, row.id
    connection.execute(
        update(audit_head).where(audit_head.c.id == 1).values(scheme=_scheme(seal), hash=prev_hash)
    )
    return rows, last, prev_hash


def _reseal(connection: Connection, seal: Seal, clock: Clock) -> tuple[int, str]:
    """Upgrade an unkeyed chain: check it as it was (plain SHA-256), then MAC every row under the seal
    key and append `audit.resealed` saying how many rows and what the old check found (a chain broken
    before the upgrade stays on record as broken). Returns the new (seq, hash) of the head."""
    legacy = _check_chain(connection, _sha256)
    rows, last, prev_hash = _remac(connection, seal)
    if rows == 0:
        return 0, GENESIS
    detail = {
        "rows": rows,
        "previous_chain": "intact" if not legacy.problems else "broken",
        "previous_problems": [p.message for p in legacy.problems[:20]],
        "seal_key": seal.fingerprint,
    }
    entry = _append_row(
        connection, seal, last + 1, prev_hash, "ledgerbridge", "audit.resealed", detail, clock
    )
    return entry.id, entry.hash


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
    """Recompute the chain from the first row under this installation's seal key, then hold its end
    against the head file kept outside the database: name every row edited, missing, or out of the
    chain, and rows cut from the end."""
    seal = seal_of(engine)
    with engine.connect() as connection:
        head = connection.execute(
            select(audit_head.c.seq, audit_head.c.hash, audit_head.c.scheme).where(audit_head.c.id == 1)
        ).first()
        if head is not None and head.scheme == LEGACY_SCHEME:
            verdict = _check_chain(connection, _sha256)
            return AuditVerdict(verdict.rows, verdict.problems, sealed=False)
        verdict = _check_chain(connection, lambda *fields: _mac(seal, *fields))
    problems = list(verdict.problems)
    if head is not None and head.scheme != _scheme(seal):
        sealed_with = head.scheme.partition(":")[2] or head.scheme
        problems.insert(
            0,
            AuditProblem(
                1,
                f"the log was sealed with seal key {sealed_with}, this installation's is {seal.fingerprint}"
                f" ({seal.origin}): the seal key was replaced or the database comes from elsewhere",
            ),
        )
    problems.extend(_check_anchor(seal, verdict))
    return AuditVerdict(verdict.rows, sorted(problems, key=lambda p: p.row), last=verdict.last)


def _check_anchor(seal: Seal, chain: AuditVerdict) -> list[AuditProblem]:
    if seal.head_file is None:
        return []
    anchor = read_anchor(seal.head_file)
    last, last_hash = chain.last
    if anchor is None:
        if last == 0:
            return []
        return [
            AuditProblem(
                last,
                f"the audit head file {seal.head_file} is missing: rows cut from the end of the log "
                f"cannot be ruled out (restore it from a backup's manifest)",
            )
        ]
    if anchor.seq > last:
        first = last + 1
        span = f"row {first}" if first == anchor.seq else f"rows {first}-{anchor.seq}"
        return [
            AuditProblem(
                first,
                f"the tail was cut: {span} deleted from the end of the log (the head file outside the "
                f"database names row {anchor.seq})",
            )
        ]
    if (anchor.seq == last and anchor.mac != last_hash) or (anchor.seq < last and not chain.has(anchor)):
        return [
            AuditProblem(
                anchor.seq,
                f"row {anchor.seq} was replaced (the head file outside the database records another MAC)",
            )
        ]
    return []


Mac = Callable[[str, int, datetime, str, str, str], str]


def _check_chain(connection: Connection, mac: Mac) -> AuditVerdict:
    problems: list[AuditProblem] = []
    expected_id, prev_hash, rows = 1, GENESIS, 0
    macs: dict[int, str] = {}
    head = connection.execute(select(audit_head.c.seq, audit_head.c.hash).where(audit_head.c.id == 1)).first()
    for row in connection.execute(select(audit_log).order_by(audit_log.c.id)).yield_per(1000):
        rows += 1
        if row.id != expected_id:
            missing = (
                f"row {expected_id}" if row.id == expected_id + 1 else f"rows {expected_id}-{row.id - 1}"
            )
            problems.append(AuditProblem(expected_id, f"{missing} deleted (the log jumps to row {row.id})"))
        if mac(row.prev_hash, row.id, row.recorded_at, row.actor, row.action, row.detail) != row.hash:
            problems.append(
                AuditProblem(row.id, f"row {row.id} was edited (its content no longer matches its MAC)")
            )
        elif row.prev_hash != prev_hash and row.id == expected_id:
            problems.append(
                AuditProblem(
                    row.id - 1,
                    f"row {row.id} does not chain to row {row.id - 1} (row {row.id - 1} was replaced)",
                )
            )
        expected_id, prev_hash = row.id + 1, row.hash
        macs[row.id] = row.hash
    last = expected_id - 1
    if head is not None and head.seq > last:
        first = last + 1
        span = f"row {first}" if first == head.seq else f"rows {first}-{head.seq}"
        problems.append(
            AuditProblem(first, f"{span} deleted from the end of the log (it had {head.seq} rows)")
        )
    elif head is not None and head.seq == last and head.hash != prev_hash:
        problems.append(AuditProblem(last, f"row {last} was replaced (the log's head records another hash)"))
    return AuditVerdict(rows=rows, problems=problems, last=(last, prev_hash), macs=macs)


def _scheme(seal: Seal) -> str:
    return f"hmac-sha256:{seal.fingerprint}"


def _insert_head_if_missing(connection: Connection, seal: Seal) -> None:
    values = {"id": 1, "seq": 0, "hash": GENESIS, "scheme": _scheme(seal)}
    if connection.dialect.name == "postgresql":
        connection.execute(pg_insert(audit_head).values(values).on_conflict_do_nothing())
    else:
        connection.execute(sqlite_insert(audit_head).values(values).on_conflict_do_nothing())


def _canonical(detail: Mapping[str, Any]) -> str:
    return json.dumps(detail, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)


def _material(prev_hash: str, row_id: int, at: datetime, actor: str, action: str, detail: str) -> bytes:  # noqa: PLR0917 - the sealed fields, in order
    moment = at.astimezone(UTC).isoformat(timespec="microseconds")
    return "\x1f".join((prev_hash, str(row_id), moment, actor, action, detail)).encode("utf-8")


def _mac(seal: Seal, prev_hash: str, row_id: int, at: datetime, actor: str, action: str, detail: str) -> str:  # noqa: PLR0917
    return seal.audit_mac(_material(prev_hash, row_id, at, actor, action, detail))


def _sha256(prev_hash: str, row_id: int, at: datetime, actor: str, action: str, detail: str) -> str:  # noqa: PLR0917
    """The unkeyed hash of chains written before revision 0006 (checked once, when re-sealing)."""
    return hashlib.sha256(_material(prev_hash, row_id, at, actor, action, detail)).hexdigest()
