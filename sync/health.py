"""Health: is every connector syncing (lag within its threshold, not failing run after run)? Computed from
the database, so `sync status`, /healthz and every replica agree; served with /metrics over HTTP."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import structlog

from config.redaction import redact
from config.settings import Settings
from store.connection import DatabaseError
from store.db import Engine
from store.monitoring import SqlMonitoring
from store.runs import DRIFT, MATCH, UNAVAILABLE, UNKNOWN, RunRecord, cursor_in_future
from sync.metrics import Metrics, Sample, render
from sync.schedules import interval_of

log = structlog.get_logger(__name__)

DEFAULT_UNSCHEDULED_LAG = timedelta(hours=24)


@dataclass(frozen=True)
class StreamHealth:
    connector: str
    stream: str
    last_ok_at: datetime | None
    lag_seconds: float | None
    """Seconds since the last successful run; None when the stream never synced."""
    threshold_seconds: float | None
    """Lag beyond which the stream is degraded; None when lag is not watched (no schedule)."""
    consecutive_failures: int
    last_error: str | None
    quarantined: int
    cursor_in_future: bool = False
    """The stream's cursor is beyond the clock plus the connector's max_clock_skew_minutes."""
    count_drift: int | None = None
    """The last count check's vendor count minus the ledger's (0 = match); None = never known."""

    def as_json(self) -> dict[str, Any]:
        return {
            "connector": self.connector,
            "stream": self.stream,
            "last_ok_at": self.last_ok_at.isoformat() if self.last_ok_at else None,
            "lag_seconds": None if self.lag_seconds is None else round(self.lag_seconds, 1),
            "threshold_seconds": self.threshold_seconds,
            "consecutive_failures": self.consecutive_failures,
            "last_error": self.last_error,
            "quarantined": self.quarantined,
            "cursor_in_future": self.cursor_in_future,
            "count_drift": self.count_drift,
        }


@dataclass(frozen=True)
class HealthReport:
    status: str
    """`ok` or `degraded`."""
    reasons: Sequence[str] = ()
    streams: Sequence[StreamHealth] = ()
    jobs: Mapping[str, int] = field(default_factory=dict)
    """Daemon jobs (reconcile rules too) and their failed runs in a row, when a daemon reports them."""

    @property
    def ok(self) -> bool:
        return self.status == "ok"

    def as_json(self) -> dict[str, Any]:
        """What /healthz serves and `sync status` prints, scrubbed of every known secret and token (a
        vendor error may echo one; rows stored before scrubbing at write existed are caught here too)."""
        document = {
            "status": self.status,
            "reasons": list(self.reasons),
            "streams": [s.as_json() for s in self.streams],
            "jobs": dict(self.jobs),
        }
        scrubbed: dict[str, Any] = redact(document)
        return scrubbed


NO_JOBS = "no jobs: no connector, rule or audit plan has a `schedule:`, so the daemon runs nothing"
"""The health reason of a daemon with nothing scheduled (it would otherwise report ok forever)."""
WORK_JOB_PREFIXES = ("sync:", "reconcile:")
"""Daemon jobs that are the user's work (the daily integrity check alone is not)."""


def lag_threshold(settings: Settings, connector: str) -> timedelta | None:
    """The configured lag limit of a connector: per-connector override, global value, or three times its
    schedule interval; None for a connector without schedule nor explicit limit (synced by hand)."""
    health = settings.daemon.health
    if connector in health.lag_minutes:
        return timedelta(minutes=health.lag_minutes[connector])
    if health.max_lag_minutes is not None:
        return timedelta(minutes=health.max_lag_minutes)
    schedule = settings.connector(connector).schedule
    if schedule is None:
        return None
    return max(3 * interval_of(schedule, settings.zone), timedelta(minutes=1))


def assess_health(
    engine: Engine,
    settings: Settings,
    now: datetime,
    jobs: Mapping[str, int] | None = None,
    *,
    monitoring: SqlMonitoring | None = None,
) -> HealthReport:
    """Lag and failures of every configured connector+stream; `jobs` adds a daemon's own job failures
    (a daemon with no jobs at all is degraded: NO_JOBS). The streams' state is asked of `monitoring`
    (by default the store's, on `engine`)."""
    store = monitoring or SqlMonitoring(engine)
    threshold_runs = settings.daemon.health.failing_runs
    expected = [(c.name, stream) for c in settings.connectors for stream in c.streams]
    configured = set(expected)
    statuses = [s for s in store.statuses(expected) if (s.connector, s.stream) in configured]
    failures = store.consecutive_failures(threshold_runs)
    streams: list[StreamHealth] = []
    reasons: list[str] = []
    for status in statuses:
        limit = lag_threshold(settings, status.connector)
        lag = (now - status.last_ok_at).total_seconds() if status.last_ok_at else None
        failed = failures.get((status.connector, status.stream), 0)
        error = status.last_run.error if status.last_run and status.last_run.status == "failed" else None
        skew = timedelta(minutes=settings.connector(status.connector).max_clock_skew_minutes)
        future = cursor_in_future(status.cursor, now, skew)
        streams.append(
            StreamHealth(
                connector=status.connector,
                stream=status.stream,
                last_ok_at=status.last_ok_at,
                lag_seconds=lag,
                threshold_seconds=None if limit is None else limit.total_seconds(),
                consecutive_failures=failed,
                last_error=error,
                quarantined=status.quarantined,
                cursor_in_future=future,
                count_drift=None if status.last_count is None else status.last_count.count_drift,
            )
        )
        if future and status.cursor is not None:
            at = status.cursor.isoformat().replace("+00:00", "Z")
            reasons.append(
                f"{status.connector}/{status.stream} cursor {at} is in the future: nothing modified"
                f" before it is fetched; run `ledgerbridge sync run --connector {status.connector}"
                f" --stream {status.stream} --full` to reset it"
            )
        if limit is not None and lag is not None and lag > limit.total_seconds():
            limit_text = _ago(limit.total_seconds())
            reasons.append(
                f"{status.connector}/{status.stream} last synced {_ago(lag)} ago (limit {limit_text})"
            )
    for connector in dict.fromkeys(c for c, _ in expected):
        worst = max((s.consecutive_failures for s in streams if s.connector == connector), default=0)
        if worst >= threshold_runs:
            reasons.append(f"{connector} failed its last {worst} runs")
    if jobs is not None and not any(job.startswith(WORK_JOB_PREFIXES) for job in jobs):
        reasons.append(NO_JOBS)
    for job, failed in sorted((jobs or {}).items()):
        if failed >= threshold_runs and not job.startswith("sync:"):
            reasons.append(f"{job} failed its last {failed} runs")
    return HealthReport("degraded" if reasons else "ok", reasons, streams, dict(jobs or {}))


def health_samples(report: HealthReport) -> list[Sample]:
    samples = [Sample("ledgerbridge_health_ok", {}, 1.0 if report.ok else 0.0)]
    for stream in report.streams:
        labels = {"connector": stream.connector, "stream": stream.stream}
        if stream.lag_seconds is not None:
            samples.append(Sample("ledgerbridge_sync_lag_seconds", labels, stream.lag_seconds))
        samples.append(Sample("ledgerbridge_sync_stream_failures", labels, stream.consecutive_failures))
        samples.append(Sample("ledgerbridge_quarantine_open", labels, stream.quarantined))
        if stream.count_drift is not None:
            samples.append(Sample("ledgerbridge_stream_count_drift", labels, stream.count_drift))
    return samples


def count_note(connector: str, stream: str, run: RunRecord | None) -> tuple[bool, str] | None:
    """What `sync status` says about a stream's last count check: (is it a warning, the text); None
    when the stream's count was never checked."""
    if run is None or run.count_check is None:
        return None
    ledger, held = run.ledger_count or 0, run.quarantine_count or 0
    mine = f"the ledger has {ledger + held} ({ledger} documents + {held} quarantined)"
    if run.count_check == DRIFT and run.vendor_count is not None:
        drift = run.vendor_count - ledger - held
        what = f"{drift} missing from the ledger" if drift > 0 else f"{-drift} more than the vendor counts"
        return True, (
            f"{connector}/{stream}: the vendor counts {run.vendor_count} records, {mine}: {what}"
            f" (run {run.id}); `ledgerbridge sync run --connector {connector} --stream {stream} --full`"
            " reads everything again"
        )
    if run.count_check == MATCH:
        return (
            False,
            f"{connector}/{stream}: count checked, {run.vendor_count} at the vendor and in the ledger",
        )
    if run.count_check == UNKNOWN:
        return False, f"{connector}/{stream}: count unknown: the vendor gave no total this time; {mine}"
    if run.count_check == UNAVAILABLE:
        return False, f"{connector}/{stream}: no vendor count is available for this stream; {mine}"
    return False, f"{connector}/{stream}: the vendor's count could not be read (run {run.id}); {mine}"


def open_exception_samples(monitoring: SqlMonitoring) -> list[Sample]:
    """Reconciliation exceptions not yet resolved (open or acknowledged), by type."""
    return [
        Sample("ledgerbridge_open_exceptions", {"type": kind}, count)
        for kind, count in monitoring.open_exceptions().items()
    ]


def _ago(seconds: float) -> str:
    if seconds < 120:
        return f"{seconds:.0f}s"
    if seconds < 7200:
        return f"{seconds / 60:.0f}m"
    return f"{seconds / 3600:.1f}h"


# ----------------------------------------------------------------------------- the HTTP listener


class HealthServer:
    """/healthz (200 ok, 503 degraded, JSON with the reasons), /livez (200 while the process serves) and
    /metrics (Prometheus text). Runs in a daemon thread; `stop()` closes the socket."""

    def __init__(
        self,
        host: str,
        port: int,
        *,
        health: Callable[[], HealthReport],
        metrics: Callable[[], str],
    ) -> None:
        handler = _handler(health, metrics)
        self._server = ThreadingHTTPServer((host, port), handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.2,), daemon=True)

    @property
    def address(self) -> tuple[str, int]:
        host, port = self._server.server_address[:2]
        return str(host), int(port)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)


def metrics_text(metrics: Metrics, report: HealthReport | None, extra: Sequence[Sample] = ()) -> str:
    """Everything /metrics shows: process counters, database gauges, and whether the database answered."""
    samples = [
        *metrics.samples(),
        *extra,
        Sample("ledgerbridge_database_up", {}, 0.0 if report is None else 1.0),
    ]
    if report is not None:
        samples += health_samples(report)
    return render(samples)


def safe_assess(assess: Callable[[], HealthReport]) -> HealthReport | None:
    """The report, or None when the database cannot be read (logged, never raised into the listener)."""
    try:
        return assess()
    except DatabaseError as exc:
        log.warning("health.database_unreachable", error=str(exc).splitlines()[0])
        return None


def _handler(health: Callable[[], HealthReport], metrics: Callable[[], str]) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        server_version = "ledgerbridge"
        sys_version = ""

        def do_GET(self) -> None:
            path = self.path.split("?", 1)[0]
            if path == "/healthz":
                report = health()
                self._send(200 if report.ok else 503, "application/json", json.dumps(report.as_json()))
            elif path == "/livez":
                self._send(200, "text/plain; charset=utf-8", "alive\n")
            elif path == "/metrics":
                self._send(200, "text/plain; version=0.0.4; charset=utf-8", metrics())
            else:
                self._send(404, "text/plain; charset=utf-8", "not found: try /healthz or /metrics\n")

        def _send(self, status: int, content_type: str, body: str) -> None:
            data = body.encode("utf-8")
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: Any) -> None:
            log.debug("health.request", line=format % args)

    return Handler
