"""Manual syncs started from the Connectors page: at most one per connector in this process, run in a
background thread (never in the request), its progress read by the page's polling fragment.

A click while the connector's sync is queued or running joins that sync (two clicks, two admins: one
run). Another process running the connector (the daemon, `sync run`, a second web process) holds the
connector's lock: the job then ends `locked`, naming the holder, and nothing was read."""

from __future__ import annotations

import secrets
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

import structlog
from starlette.requests import Request

from config.redaction import redact_text
from config.settings import Settings
from store.db import Engine
from store.locks import LockHeld
from sync.admin_service import ManualSync, sync_connector

log = structlog.get_logger(__name__)

JobState = Literal["queued", "running", "done", "failed", "locked"]
FINISHED: frozenset[str] = frozenset({"done", "failed", "locked"})
KEEP_FINISHED = 50
"""Finished jobs remembered (their fragment still answers) before the oldest are forgotten."""


@dataclass
class StreamProgress:
    stream: str
    read: int = 0
    status: str | None = None
    error: str | None = None


@dataclass
class SyncJob:
    """One queued manual sync; its fields change under SyncJobs' lock, from the worker thread."""

    id: str
    connector: str
    full: bool
    requested_by: list[str]
    queued_at: datetime
    state: JobState = "queued"
    streams: dict[str, StreamProgress] = field(default_factory=dict)
    message: str | None = None
    """Why it did not run (`locked`: who holds the connector) or what failed (scrubbed, one line)."""
    finished_at: datetime | None = None

    @property
    def finished(self) -> bool:
        return self.state in FINISHED

    @property
    def read(self) -> int:
        return sum(s.read for s in self.streams.values())


Runner = Callable[..., ManualSync]


class SyncJobs:
    """This process's manual syncs. Thread-safe."""

    def __init__(self, runner: Runner = sync_connector) -> None:
        self._lock = threading.Lock()
        self._jobs: dict[str, SyncJob] = {}
        self._active: dict[str, SyncJob] = {}
        self._threads: dict[str, threading.Thread] = {}
        self._runner = runner

    def request(
        self,
        engine: Engine,
        settings: Settings,
        connector: str,
        *,
        full: bool,
        actor: str,
        audit_detail: Mapping[str, Any],
        clock: Callable[[], datetime],
    ) -> tuple[SyncJob, bool]:
        """The connector's queued or running job (joined: False), or a new one started (True)."""
        with self._lock:
            running = self._active.get(connector)
            if running is not None and not running.finished:
                if actor not in running.requested_by:
                    running.requested_by.append(actor)
                return running, False
            job = SyncJob(secrets.token_hex(8), connector, full, [actor], clock())
            self._jobs[job.id] = job
            self._active[connector] = job
            self._forget_old()
            thread = threading.Thread(
                target=self._run,
                args=(job,),
                kwargs={
                    "engine": engine,
                    "settings": settings,
                    "actor": actor,
                    "audit_detail": dict(audit_detail),
                    "clock": clock,
                },
                name=f"web-sync-{connector}",
                daemon=True,
            )
            self._threads[job.id] = thread
        thread.start()
        return job, True

    def get(self, job_id: str) -> SyncJob | None:
        with self._lock:
            return self._jobs.get(job_id)

    def latest(self, connector: str) -> SyncJob | None:
        with self._lock:
            return self._active.get(connector)

    def wait(self, job_id: str, timeout: float | None = None) -> bool:
        """Wait for a job's thread to end (tests, shutdown); True when it has."""
        with self._lock:
            thread = self._threads.get(job_id)
        if thread is None:
            return True
        thread.join(timeout)
        return not thread.is_alive()

    def _run(
        self,
        job: SyncJob,
        *,
        engine: Engine,
        settings: Settings,
        actor: str,
        audit_detail: dict[str, Any],
        clock: Callable[[], datetime],
    ) -> None:
        def progress(connector: str, stream: str, read: int) -> None:
            with self._lock:
                job.streams.setdefault(stream, StreamProgress(stream)).read = read

        with self._lock:
            job.state = "running"
            for stream in settings.connector(job.connector).streams:
                job.streams.setdefault(stream, StreamProgress(stream))
        try:
            outcome = self._runner(
                engine,
                settings,
                job.connector,
                full=job.full,
                actor=actor,
                holder="web sync",
                audit_detail=audit_detail,
                progress=progress,
                clock=clock,
            )
        except LockHeld as exc:
            self._finish(job, "locked", redact_text(str(exc)), clock)
        except Exception as exc:  # noqa: BLE001 - a background job: said on the page and logged, never lost
            first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
            message = redact_text(f"{type(exc).__name__}: {first}")
            log.warning("web.sync_failed", connector=job.connector, error=message)
            self._finish(job, "failed", message, clock)
        else:
            with self._lock:
                for result in outcome.results:
                    entry = job.streams.setdefault(result.stream, StreamProgress(result.stream))
                    entry.read = result.fetched
                    entry.status = result.status
                    entry.error = None if result.error is None else redact_text(result.error)
            self._finish(job, "failed" if outcome.failed else "done", None, clock)

    def _finish(
        self, job: SyncJob, state: JobState, message: str | None, clock: Callable[[], datetime]
    ) -> None:
        with self._lock:
            job.state = state
            job.message = message
            job.finished_at = clock()

    def _forget_old(self) -> None:
        finished = [j for j in self._jobs.values() if j.finished and self._active.get(j.connector) is not j]
        for job in finished[: max(0, len(finished) - KEEP_FINISHED)]:
            self._jobs.pop(job.id, None)
            self._threads.pop(job.id, None)


_MADE = threading.Lock()


def sync_jobs(request: Request) -> SyncJobs:
    """The app's job registry (made on first use)."""
    state = request.app.state
    with _MADE:
        found: SyncJobs | None = getattr(state, "sync_jobs", None)
        if found is None:
            found = SyncJobs()
            state.sync_jobs = found
    return found
