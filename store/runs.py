"""Sync runs and stream state: starting and finishing runs, cursors, quarantine, what `sync status` shows."""

from __future__ import annotations

import os
import socket
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any, TypeVar

from sqlalchemy import Connection, Engine, func, insert, select, update

from config.redaction import redact_optional
from store.db import write_transaction
from store.repository import RunRef, _advance_cursor
from store.tables import documents, quarantine, sync_runs, sync_state

RUNNING, OK, FAILED, INTERRUPTED = "running", "ok", "failed", "interrupted"
_Row = TypeVar("_Row")


@dataclass(frozen=True)
class RunRecord:
    """One row of `sync_runs`."""

    id: int
    connector: str
    stream: str
    mode: str
    status: str
    fetched: int
    created: int
    updated: int
    unchanged: int
    deleted: int
    quarantined: int
    since: datetime | None
    cursor: datetime | None
    started_at: datetime
    finished_at: datetime | None
    error: str | None
    host: str | None
    pid: int | None
    count_check: str | None = None
    """The completeness check of this run: match | drift | unknown | unavailable | error; None = none."""
    vendor_count: int | None = None
    ledger_count: int | None = None
    quarantine_count: int | None = None
    waited_seconds: float | None = None
    """Seconds this run spent waiting out per-minute/concurrency limits (None: it never waited)."""
    resets_at: datetime | None = None
    """The run stopped on a spent daily cap, which resets then (None: no daily cap was hit)."""

    @property
    def count_drift(self) -> int | None:
        """The vendor's count minus the ledger's (live documents + open quarantine); None = not known."""
        if self.vendor_count is None or self.ledger_count is None:
            return None
        return self.vendor_count - self.ledger_count - (self.quarantine_count or 0)


MATCH, DRIFT, UNKNOWN, UNAVAILABLE, COUNT_ERROR = "match", "drift", "unknown", "unavailable", "error"


@dataclass(frozen=True)
class StreamCount:
    """A completeness check: the vendor's count (None = it did not say) against the ledger's."""

    check: str
    vendor: int | None
    ledger: int
    quarantined: int

    @classmethod
    def compare(
        cls, vendor: int | None, ledger: int, quarantined: int, *, available: bool = True
    ) -> StreamCount:
        if not available:
            return cls(UNAVAILABLE, None, ledger, quarantined)
        if vendor is None:
            return cls(UNKNOWN, None, ledger, quarantined)
        return cls(MATCH if vendor == ledger + quarantined else DRIFT, vendor, ledger, quarantined)


@dataclass(frozen=True)
class StreamStatus:
    """What `sync status` and `connector list` show for one connector+stream."""

    connector: str
    stream: str
    cursor: datetime | None
    last_full_at: datetime | None
    last_sweep_at: datetime | None
    last_run: RunRecord | None
    last_ok_at: datetime | None
    quarantined: int
    last_count: RunRecord | None = None
    """The newest run that checked the stream's count (a full pass or `sync run --verify`)."""


@dataclass(frozen=True)
class QuarantineEntry:
    id: int
    source: str
    stream: str
    external_id: str | None
    reason: str
    raw_payload: str
    first_seen_at: datetime
    last_seen_at: datetime
    count: int
    resolved_at: datetime | None
    reason_field: str | None = None
    """The reason as data (migration 0009): the field, the rule code and the offending value shown;
    the rule is None on a row quarantined before it (`reason` alone says why)."""
    reason_rule: str | None = None
    reason_value: str | None = None


class SqlSyncLog:
    """The life of sync runs and the state of each stream, on SQLAlchemy Core."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def start(
        self, connector: str, stream: str, *, mode: str, since: datetime | None, now: datetime
    ) -> RunRef:
        values = {
            "connector": connector,
            "stream": stream,
            "mode": mode,
            "status": RUNNING,
            "since": since,
            "started_at": now,
            "host": socket.gethostname(),
            "pid": os.getpid(),
            **dict.fromkeys(("fetched", "created", "updated", "unchanged", "deleted", "quarantined"), 0),
        }
        with write_transaction(self._engine) as conn:
            run_id = conn.execute(insert(sync_runs).values(values).returning(sync_runs.c.id)).scalar_one()
        return RunRef(id=int(run_id), connector=connector, stream=stream)

    def finish(
        self,
        run: RunRef,
        *,
        status: str,
        now: datetime,
        error: str | None = None,
        cursor: datetime | None = None,
        full: bool = False,
        swept: bool = False,
        count: StreamCount | None = None,
        waited_seconds: float | None = None,
        resets_at: datetime | None = None,
    ) -> RunRecord:
        """Close the run; with `cursor`, advance the stream's cursor in the same transaction. A completed
        full run (`full`) SETS the cursor to `cursor`, the newest time it wrote (None: it wrote nothing),
        even backwards: that is how a cursor left in the future (issue 13) is repaired."""
        with write_transaction(self._engine) as conn:
            if full and status == OK:
                _set_cursor(conn, run, cursor, now)
            elif cursor is not None:
                _advance_cursor(conn, run, cursor, now)
            marks: dict[str, Any] = {}
            if full:
                marks["last_full_at"] = now
            if swept:
                marks["last_sweep_at"] = now
            if marks:
                conn.execute(
                    update(sync_state)
                    .where(sync_state.c.connector == run.connector, sync_state.c.stream == run.stream)
                    .values(**marks)
                )
            state_cursor = conn.execute(
                select(sync_state.c.cursor).where(
                    sync_state.c.connector == run.connector, sync_state.c.stream == run.stream
                )
            ).scalar()
            conn.execute(
                update(sync_runs)
                .where(sync_runs.c.id == run.id)
                .values(
                    status=status,
                    finished_at=now,
                    error=redact_optional(error),
                    cursor=state_cursor,
                    waited_seconds=round(waited_seconds, 3) if waited_seconds else None,
                    resets_at=resets_at,
                    **_count_values(count),
                )
            )
            row = conn.execute(select(sync_runs).where(sync_runs.c.id == run.id)).one()
        return _record(row._mapping)

    def ledger_count(self, connector: str, stream: str) -> tuple[int, int]:
        """The stream's live (not deleted) documents and its open quarantined records."""
        with self._engine.connect() as conn:
            live = conn.execute(
                select(func.count())
                .select_from(documents)
                .where(
                    documents.c.source == connector,
                    documents.c.stream == stream,
                    documents.c.deleted.is_(False),
                )
            ).scalar_one()
            held = conn.execute(
                select(func.count())
                .select_from(quarantine)
                .where(
                    quarantine.c.source == connector,
                    quarantine.c.stream == stream,
                    quarantine.c.resolved_at.is_(None),
                )
            ).scalar_one()
        return int(live), int(held)

    def interrupt_running(self, connector: str, *, now: datetime) -> int:
        """Runs left `running` by a process that died: call while holding the connector's lock."""
        with write_transaction(self._engine) as conn:
            result = conn.execute(
                update(sync_runs)
                .where(sync_runs.c.connector == connector, sync_runs.c.status == RUNNING)
                .values(status=INTERRUPTED, finished_at=now, error="the process running it stopped")
            )
        return int(result.rowcount)

    def cursor(self, connector: str, stream: str) -> datetime | None:
        with self._engine.connect() as conn:
            value: datetime | None = conn.execute(
                select(sync_state.c.cursor).where(
                    sync_state.c.connector == connector, sync_state.c.stream == stream
                )
            ).scalar()
        return value

    def run(self, run_id: int) -> RunRecord:
        with self._engine.connect() as conn:
            return _record(conn.execute(select(sync_runs).where(sync_runs.c.id == run_id)).one()._mapping)

    def runs(self, connector: str | None = None, stream: str | None = None) -> list[RunRecord]:
        query = select(sync_runs).order_by(sync_runs.c.id)
        if connector is not None:
            query = query.where(sync_runs.c.connector == connector)
        if stream is not None:
            query = query.where(sync_runs.c.stream == stream)
        with self._engine.connect() as conn:
            return [_record(row._mapping) for row in conn.execute(query)]

    def statuses(self, expected: Sequence[tuple[str, str]] = ()) -> list[StreamStatus]:
        """One entry per connector+stream known to the database or listed in `expected`."""
        with self._engine.connect() as conn:
            states = {(r.connector, r.stream): r for r in conn.execute(select(sync_state))}
            last_ids = select(func.max(sync_runs.c.id).label("id")).group_by(
                sync_runs.c.connector, sync_runs.c.stream
            )
            last = {
                (r.connector, r.stream): _record(r._mapping)
                for r in conn.execute(select(sync_runs).where(sync_runs.c.id.in_(last_ids.scalar_subquery())))
            }
            ok_at = {
                (r.connector, r.stream): r.at
                for r in conn.execute(
                    select(
                        sync_runs.c.connector,
                        sync_runs.c.stream,
                        func.max(sync_runs.c.finished_at).label("at"),
                    )
                    .where(sync_runs.c.status == OK)
                    .group_by(sync_runs.c.connector, sync_runs.c.stream)
                )
            }
            last_count_ids = (
                select(func.max(sync_runs.c.id).label("id"))
                .where(sync_runs.c.count_check.is_not(None))
                .group_by(sync_runs.c.connector, sync_runs.c.stream)
            )
            counted = {
                (r.connector, r.stream): _record(r._mapping)
                for r in conn.execute(
                    select(sync_runs).where(sync_runs.c.id.in_(last_count_ids.scalar_subquery()))
                )
            }
            open_counts = {
                (r.source, r.stream): int(r.n)
                for r in conn.execute(
                    select(quarantine.c.source, quarantine.c.stream, func.count().label("n"))
                    .where(quarantine.c.resolved_at.is_(None))
                    .group_by(quarantine.c.source, quarantine.c.stream)
                )
            }
        keys = sorted(set(states) | set(last) | set(open_counts) | set(expected))
        return [
            StreamStatus(
                connector=connector,
                stream=stream,
                cursor=states[(connector, stream)].cursor if (connector, stream) in states else None,
                last_full_at=states[(connector, stream)].last_full_at
                if (connector, stream) in states
                else None,
                last_sweep_at=states[(connector, stream)].last_sweep_at
                if (connector, stream) in states
                else None,
                last_run=last.get((connector, stream)),
                last_ok_at=_aware(ok_at.get((connector, stream))),
                quarantined=open_counts.get((connector, stream), 0),
                last_count=counted.get((connector, stream)),
            )
            for connector, stream in keys
        ]

    def quarantined(
        self, source: str | None = None, stream: str | None = None, *, include_resolved: bool = False
    ) -> list[QuarantineEntry]:
        query = select(quarantine).order_by(quarantine.c.id)
        if source is not None:
            query = query.where(quarantine.c.source == source)
        if stream is not None:
            query = query.where(quarantine.c.stream == stream)
        if not include_resolved:
            query = query.where(quarantine.c.resolved_at.is_(None))
        with self._engine.connect() as conn:
            return [_from_row(QuarantineEntry, r._mapping) for r in conn.execute(query)]


def _count_values(count: StreamCount | None) -> dict[str, Any]:
    if count is None:
        return {}
    return {
        "count_check": count.check,
        "vendor_count": count.vendor,
        "ledger_count": count.ledger,
        "quarantine_count": count.quarantined,
    }


def _set_cursor(conn: Connection, run: RunRef, cursor: datetime | None, now: datetime) -> None:
    """The stream's cursor becomes `cursor`, forward or back (a completed full run read everything)."""
    where = (sync_state.c.connector == run.connector, sync_state.c.stream == run.stream)
    if conn.execute(select(sync_state.c.cursor).where(*where)).first() is None:
        if cursor is not None:
            _advance_cursor(conn, run, cursor, now)
        return
    conn.execute(update(sync_state).where(*where).values(cursor=cursor, updated_at=now))


def cursor_in_future(cursor: datetime | None, now: datetime, skew: timedelta) -> bool:
    """A cursor beyond the clock plus the allowed skew: incremental runs fetch nothing modified before
    it. Left by a record dated in the future before such records were quarantined; a completed
    `sync run --full` repairs it."""
    return cursor is not None and cursor > now + skew


def _aware(value: Any) -> datetime | None:
    """func.max() loses the column type on some dialects: read it back as an aware UTC datetime."""
    from store.schema import UtcDateTime

    return UtcDateTime().process_result_value(value, None)  # type: ignore[arg-type]


def _from_row(cls: type[_Row], row: Any) -> _Row:
    """A dataclass from the row's columns of the same names."""
    return cls(**{name: row[name] for name in cls.__dataclass_fields__})  # type: ignore[attr-defined]


def _record(row: Any) -> RunRecord:
    """A run as stored, its error scrubbed once more on the way out: rows written before errors were
    scrubbed at write, and values learnt since (a secret now in the config), never reach a reader."""
    record = _from_row(RunRecord, row)
    return replace(record, error=redact_optional(record.error)) if record.error else record
