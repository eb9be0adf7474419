"""Locks across processes: one sync run per connector, one token refresh per credential.

PostgreSQL: a session advisory lock on a dedicated connection (released by the server if the process
dies). SQLite: a lease row with an expiry that a heartbeat thread renews; a lease whose holder process is
gone (same host, pid not running) or whose expiry passed is taken over. Both record who holds the lock
(host, pid, since) in the `leases` table, so a refused caller can say who is in the way.
"""

from __future__ import annotations

import hashlib
import os
import socket
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import structlog
from sqlalchemy import Connection, Engine, delete, insert, select, text, update
from sqlalchemy.exc import OperationalError, SQLAlchemyError

from store.db import is_sqlite, write_transaction
from store.tables import leases

log = structlog.get_logger(__name__)

LEASE_SECONDS = 60.0
"""A SQLite lease not renewed for this long is free; the holder renews it every third of that."""
POLL_SECONDS = 0.2


@dataclass(frozen=True)
class LockHolder:
    host: str
    pid: int
    since: datetime
    label: str = "ledgerbridge"

    def __str__(self) -> str:
        since = self.since.isoformat(timespec="seconds").replace("+00:00", "Z")
        return f"{self.label} (pid {self.pid} on {self.host}, since {since})"


class LockHeld(Exception):
    """Someone else holds the lock; the message names them."""

    def __init__(self, name: str, holder: LockHolder | None) -> None:
        who = str(holder) if holder else "another process"
        super().__init__(f"{name} is locked by {who}")
        self.name = name
        self.holder = holder


class LockLost(Exception):
    """A lease expired under its holder (a stalled heartbeat); the holder must stop writing."""


class Lease:
    """A held lock. `check()` raises LockLost if it was taken away (SQLite leases only)."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.lost = threading.Event()

    def check(self) -> None:
        if self.lost.is_set():
            raise LockLost(f"lost the lock {self.name} (its lease expired): stopping")


def _utc_now() -> datetime:
    return datetime.now(UTC)


@contextmanager
def named_lock(
    engine: Engine,
    name: str,
    *,
    wait_seconds: float = 0.0,
    lease_seconds: float = LEASE_SECONDS,
    holder: str = "ledgerbridge",
    now: Callable[[], datetime] = _utc_now,
) -> Iterator[Lease]:
    """Hold the lock `name` across processes, waiting up to `wait_seconds`; raise LockHeld otherwise.

    `holder` is a short label for whoever takes it (`sync run`, `daemon`), shown to refused callers."""
    label = holder.replace("|", "/")
    me = f"{label}|{socket.gethostname()}:{os.getpid()}:{threading.get_ident()}:{uuid.uuid4().hex[:8]}"
    if is_sqlite(engine):
        with _SqliteLease(engine, name, me, lease_seconds, now).hold(wait_seconds) as lease:
            yield lease
    else:
        with _advisory(engine, name, me, wait_seconds, now) as lease:
            yield lease


def connector_lock(
    engine: Engine,
    connector: str,
    *,
    wait_seconds: float = 0.0,
    holder: str = "ledgerbridge",
    lease_seconds: float = LEASE_SECONDS,
) -> AbstractContextManager[Lease]:
    """One sync run per connector at a time, across processes and hosts sharing the database."""
    return named_lock(
        engine,
        f"connector {connector}",
        wait_seconds=wait_seconds,
        holder=holder,
        lease_seconds=lease_seconds,
    )


# ----------------------------------------------------------------------------- SQLite lease


@dataclass(frozen=True)
class _SqliteLease:
    engine: Engine
    name: str
    me: str
    lease_seconds: float
    now: Callable[[], datetime]

    @contextmanager
    def hold(self, wait_seconds: float) -> Iterator[Lease]:
        deadline = time.monotonic() + wait_seconds
        while (holder := self._try()) is not None:
            if time.monotonic() >= deadline:
                raise LockHeld(self.name, holder)
            time.sleep(POLL_SECONDS)
        lease = Lease(self.name)
        stop = threading.Event()
        beat = threading.Thread(target=self._heartbeat, args=(stop, lease), daemon=True)
        beat.start()
        try:
            yield lease
        finally:
            stop.set()
            beat.join()
            try:
                with write_transaction(self.engine) as conn:
                    conn.execute(delete(leases).where(leases.c.name == self.name, leases.c.holder == self.me))
            except SQLAlchemyError as exc:  # locked or gone: the lease expires, or is found abandoned
                log.warning("lock.release_failed", lock=self.name, error=_first_line(exc))

    def _try(self) -> LockHolder | None:
        """Take the lease if free, expired or abandoned (atomically: BEGIN IMMEDIATE); else say who has it."""
        at = self.now()
        values = {
            "holder": self.me,
            "host": socket.gethostname(),
            "pid": os.getpid(),
            "acquired_at": at,
            "expires_at": at + timedelta(seconds=self.lease_seconds),
        }
        with write_transaction(self.engine) as conn:
            row = conn.execute(select(leases).where(leases.c.name == self.name)).first()
            if row is None:
                conn.execute(insert(leases).values(name=self.name, **values))
                return None
            if row.expires_at <= at or _abandoned(row.host, row.pid):
                log.warning("lock.taken_over", lock=self.name, previous_holder=row.holder)
                conn.execute(update(leases).where(leases.c.name == self.name).values(**values))
                return None
            return _holder(row)

    def _heartbeat(self, stop: threading.Event, lease: Lease) -> None:
        while not stop.wait(self.lease_seconds / 3):
            try:
                with write_transaction(self.engine) as conn:
                    renewed = conn.execute(
                        update(leases)
                        .where(leases.c.name == self.name, leases.c.holder == self.me)
                        .values(expires_at=self.now() + timedelta(seconds=self.lease_seconds))
                    ).rowcount
            except OperationalError as exc:  # database busy beyond the busy timeout: try again next beat
                log.warning("lock.renewal_delayed", lock=self.name, error=str(exc.orig))
                continue
            if not renewed:
                lease.lost.set()
                log.error("lock.lost", lock=self.name)
                return


def _first_line(exc: BaseException) -> str:
    lines = str(exc).strip().splitlines()
    return lines[0] if lines else type(exc).__name__


def _holder(row: Any) -> LockHolder:
    return LockHolder(host=row.host, pid=row.pid, since=row.acquired_at, label=row.holder.split("|", 1)[0])


def _abandoned(host: str, pid: int) -> bool:
    """The holder ran on this host and its process is gone."""
    if host != socket.gethostname():
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


# ----------------------------------------------------------------------------- PostgreSQL advisory lock


def advisory_key(name: str) -> int:
    """A stable signed 64-bit key for pg_advisory_lock."""
    return int.from_bytes(hashlib.sha256(f"ledgerbridge:{name}".encode()).digest()[:8], "big", signed=True)


@contextmanager
def _advisory(
    engine: Engine, name: str, me: str, wait_seconds: float, now: Callable[[], datetime]
) -> Iterator[Lease]:
    key = advisory_key(name)
    conn = engine.connect().execution_options(isolation_level="AUTOCOMMIT")
    try:
        deadline = time.monotonic() + wait_seconds
        unnamed_retries = 1
        while not conn.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": key}).scalar_one():
            if time.monotonic() >= deadline:
                holder = _recorded_holder(conn, name)
                if holder is None and unnamed_retries:
                    # Caught between the holder taking the lock and recording itself, or between it
                    # forgetting itself and letting go: look once more, to name it or to take the lock.
                    unnamed_retries -= 1
                    time.sleep(POLL_SECONDS)
                    continue
                raise LockHeld(name, holder)
            time.sleep(POLL_SECONDS)
        try:
            _record_holder(conn, name, me, now())
            yield Lease(name)
        finally:
            try:
                conn.execute(delete(leases).where(leases.c.name == name, leases.c.holder == me))
                conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": key})
            except SQLAlchemyError as exc:  # the session died (killed, restarted): the server let go
                log.warning("lock.release_failed", lock=name, error=_first_line(exc))
    finally:
        conn.close()


def _record_holder(conn: Connection, name: str, me: str, at: datetime) -> None:
    """Informational on PostgreSQL (the advisory lock is what excludes): who to name when refusing."""
    values = {
        "holder": me,
        "host": socket.gethostname(),
        "pid": os.getpid(),
        "acquired_at": at,
        "expires_at": at + timedelta(days=3650),
    }
    conn.execute(delete(leases).where(leases.c.name == name))  # autocommit: we hold the advisory lock
    conn.execute(insert(leases).values(name=name, **values))


def _recorded_holder(conn: Connection, name: str) -> LockHolder | None:
    row = conn.execute(select(leases).where(leases.c.name == name)).first()
    return None if row is None else _holder(row)
