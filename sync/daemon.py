"""The daemon: APScheduler jobs per connector and rule schedule, one run per tick across replicas, backoff
for failing jobs, notifications, the health listener, and a shutdown that lets the page in flight commit."""

from __future__ import annotations

import importlib
import os
import socket
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any

import structlog
from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.background import BackgroundScheduler

from config.kinds import BankStatementSettings
from config.loader import ConfigError, resolve_secret
from config.settings import Schedule, Settings
from connectors.base import Connector, Page, Stream
from connectors.errors import AuthError
from store.api_calls import SqlApiCalls
from store.audit_log import verify_audit
from store.connection import single_writer
from store.db import Engine
from store.digests import verify_documents
from store.locks import LockHeld, named_lock
from store.monitoring import SqlMonitoring
from store.runs import DRIFT, FAILED
from store.secrets import SqlSecretStore, SqlTokenStore
from sync.api_meter import month_samples
from sync.bank_import import StatementRun, sync_inbox
from sync.bootstrap import build_connector, secret_box, utc_now
from sync.engine import SyncEngine, SyncRunResult, streams_at_once
from sync.health import (
    NO_JOBS,
    WORK_JOB_PREFIXES,
    HealthReport,
    HealthServer,
    assess_health,
    metrics_text,
    open_exception_samples,
    safe_assess,
)
from sync.metrics import Metrics, Sample
from sync.notify import ConnectorAlert, Digest, Notifier, drift_alert
from sync.reconcile_job import run_rules
from sync.redact import Redactor
from sync.schedules import Trigger, build_trigger, current_tick, interval_of
from sync.token_expiry import RefreshExpiry, expiries, expiry_notice, expiry_samples
from sync.wrapping import ConnectorWrapper, StreamWrapper

log = structlog.get_logger(__name__)
VERIFY_JOB = "verify:integrity"
VERIFY_SCHEDULE = Schedule(cron="17 3 * * *")
"""The daily check of the audit chain and the documents' digests (03:17 in the company's time zone)."""

DAEMON_LOCK = "daemon"
"""Held by a SQLite daemon for its whole life: a second one refuses to start."""
CLAIM_RETENTION = timedelta(days=7)


class DaemonRefused(Exception):
    """The daemon cannot start here (another one runs on this SQLite database)."""


class ShutdownTimedOut(Exception):
    """Jobs were still running when the shutdown timeout passed (their open transaction rolls back)."""

    def __init__(self, jobs: int) -> None:
        super().__init__(f"{jobs} job(s) still running at the shutdown timeout")
        self.jobs = jobs


class ShutdownRequested(SystemExit):
    """Raised between two pages when the daemon is stopping: the sync engine records the run as
    interrupted (the pages before it are committed, with their cursor) and lets the lock go."""


@dataclass(frozen=True)
class RuleOutcome:
    """What the daemon needs from a reconciliation run to notify: new exceptions by type."""

    ok: bool
    new_exceptions: Mapping[str, int] = field(default_factory=dict)
    examples: Sequence[str] = ()
    error: str | None = None


RunRule = Callable[[Engine, Settings, str], RuleOutcome]
"""Runs one reconciliation rule by name (sync/reconcile_job.py provides it)."""


@dataclass
class _JobState:
    failures: int = 0
    retry_at: float = 0.0
    alerted: bool = False
    credentials_alerted: bool = False
    drift_notified: int = 0
    """The newest sync run whose count drift was told (issue 14 §4: each drift is told once)."""
    capped_until: datetime | None = None
    """The vendor's daily API cap is spent until then: ticks before it are skipped, the first after it
    resumes the connector (issue 14 §2); not a failure streak, no backoff."""
    expiry_told: int | None = None
    """The refresh-token expiry step (token_expiry.NOTIFY_DAYS, 0 = expired) last told: each step is
    told once (kept in memory: a restarted daemon tells the current step once more)."""


class Daemon:
    """Runs the configured schedules until `stop()` (signal handlers call it)."""

    def __init__(
        self,
        settings: Settings,
        engine: Engine,
        *,
        monitoring: SqlMonitoring | None = None,
        redactor: Redactor | None = None,
        run_rule: RunRule | None = None,
        notifier: Notifier | None = None,
        metrics: Metrics | None = None,
        clock: Callable[[], datetime] = utc_now,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.settings = settings
        self.engine = engine
        self.monitoring = monitoring or SqlMonitoring(engine)
        """Tick claims, stream states and exception counts: what the daemon asks the store."""
        self.metrics = metrics or Metrics()
        self._redactor = redactor or Redactor()
        self._clock = clock
        self._monotonic = monotonic
        self._stopping = threading.Event()
        self._idle = threading.Condition()
        self._active = 0
        self._states: dict[str, _JobState] = {}
        self._dirty_rules: set[str] = set()
        self._holder = f"{socket.gethostname()}:{os.getpid()}"
        box = secret_box(settings)
        self._secrets = SqlSecretStore(engine, box)
        self._tokens = SqlTokenStore(engine, box)
        self._run_rule = run_rule
        self._notifier = notifier or Notifier(settings.notifications, self._resolve, sleep=self._pause)
        self._scheduler = BackgroundScheduler(
            timezone=settings.zone,
            executors={"default": ThreadPoolExecutor(settings.daemon.workers)},
            job_defaults={
                "coalesce": True,
                "max_instances": 1,
                "misfire_grace_time": settings.daemon.misfire_grace_seconds,
            },
        )
        self._health_server: HealthServer | None = None
        self._web: Any = None
        """web.serve.BackgroundWeb when daemon.web is enabled (typed loosely: sync does not import web)."""

    # ------------------------------------------------------------------------- life cycle

    def run(self, *, ready: Callable[[Daemon], None] | None = None) -> None:
        """Block until stopped; returns once running jobs have finished (or the shutdown timeout passed)."""
        with self._single_daemon_guard():
            self._learn_secrets()
            self._schedule()
            self._start_health()
            self._start_web()
            self._scheduler.start()
            if not any(job.id.startswith(WORK_JOB_PREFIXES) for job in self._scheduler.get_jobs()):
                log.warning("daemon.no_jobs", advice=NO_JOBS)
            log.info(
                "daemon.started",
                jobs=sorted(job.id for job in self._scheduler.get_jobs()),
                holder=self._holder,
            )
            if ready is not None:
                ready(self)
            try:
                while not self._stopping.wait(1.0):
                    pass
            finally:
                self._shutdown()

    def stop(self) -> None:
        """Stop taking jobs; running syncs stop after the page in flight commits. Safe in a signal handler."""
        self._stopping.set()

    @property
    def stopping(self) -> bool:
        return self._stopping.is_set()

    @property
    def health_address(self) -> tuple[str, int] | None:
        return None if self._health_server is None else self._health_server.address

    def _shutdown(self) -> None:
        log.info("daemon.stopping")
        self._scheduler.shutdown(wait=False)
        deadline = self._monotonic() + self.settings.daemon.shutdown_timeout_seconds
        with self._idle:
            while self._active and self._monotonic() < deadline:
                self._idle.wait(timeout=max(0.0, min(0.5, deadline - self._monotonic())))
            unfinished = self._active
        if self._health_server is not None:
            self._health_server.stop()
        if self._web is not None:
            self._web.stop()
        if unfinished:
            log.warning("daemon.stopped_with_jobs_running", jobs=unfinished)
            raise ShutdownTimedOut(unfinished)
        log.info("daemon.stopped")

    def _single_daemon_guard(self) -> AbstractContextManager[Any]:
        if not single_writer(self.engine):
            return nullcontext()  # PostgreSQL: replicas share the work through claims and advisory locks
        return _held(named_lock(self.engine, DAEMON_LOCK, holder="daemon"))

    # ------------------------------------------------------------------------- scheduling

    def _schedule(self) -> None:
        for connector in self.settings.connectors:
            if connector.schedule is not None:
                self._add(f"sync:{connector.name}", connector.schedule, partial(self._sync, connector.name))
        for rule in self._rules():
            if getattr(rule, "schedule", None):
                schedule = Schedule.model_validate(rule.schedule)
                self._add(f"reconcile:{rule.name}", schedule, partial(self._reconcile, rule.name))
        self._add(VERIFY_JOB, VERIFY_SCHEDULE, self._verify)

    def _verify(self) -> bool:
        """Once a day: the audit chain and its anchor, and every document row's digest (ADR 0020). A
        failure fails the job (health, metrics) and logs what was found; nothing is changed."""
        audit = verify_audit(self.engine)
        rows = verify_documents(self.engine)
        for problem in audit.problems[:20]:
            log.error("daemon.audit_tampered", row=problem.row, problem=problem.message)
        for found in rows.problems[:20]:
            log.error("daemon.document_tampered", **found.as_json())
        if rows.problems:
            log.error(
                "daemon.documents_tampered",
                rows=len(rows.problems),
                advice="ledgerbridge audit verify; ledgerbridge sync run --full --repair",
            )
        return audit.ok and rows.ok

    def _add(self, job: str, schedule: Schedule, work: Callable[[], bool | None]) -> None:
        trigger = build_trigger(schedule, self.settings.zone)
        self._states[job] = _JobState()
        self._scheduler.add_job(self._tick, trigger, args=(job, trigger, work), id=job, name=job)
        log.info("daemon.job_scheduled", job=job, every=str(interval_of(schedule, self.settings.zone)))

    def _rules(self) -> list[Any]:
        """Rules, then audit plans: both are scheduled (`schedule`) and follow syncs (`after`) alike."""
        return [*self.settings.reconcile.rules, *self.settings.reconcile.plans()]

    # ------------------------------------------------------------------------- one tick of a job

    def _tick(self, job: str, trigger: Trigger, work: Callable[[], bool | None]) -> None:
        """Run one scheduled tick: skip while backing off or when another replica claimed the tick."""
        if self.stopping:
            return
        state = self._states[job]
        if state.capped_until is not None and self._clock() < state.capped_until:
            log.info("daemon.job_waiting_for_daily_cap", job=job, resets_at=state.capped_until.isoformat())
            self.metrics.observe_job(job, "skipped", None, state.failures)
            return
        if state.failures and self._monotonic() < state.retry_at:
            log.warning(
                "daemon.job_backing_off",
                job=job,
                failures=state.failures,
                retry_in=round(state.retry_at - self._monotonic()),
            )
            self.metrics.observe_job(job, "skipped", None, state.failures)
            return
        lookback = timedelta(seconds=self.settings.daemon.misfire_grace_seconds + 60)
        tick = current_tick(trigger, self._clock(), lookback)
        if tick is None or not self._claim(job, tick):
            self.metrics.observe_job(job, "skipped", None, state.failures)
            return
        self._run_tracked(job, work)

    def _run_tracked(self, job: str, work: Callable[[], bool | None]) -> None:
        state = self._states.setdefault(job, _JobState())
        with self._idle:
            self._active += 1
        started = self._monotonic()
        outcome = "ok"
        try:
            result = work()
            if result is None:
                outcome = "skipped"
            elif not result:
                outcome = "failed"
        except ShutdownRequested:
            outcome = "skipped"
            log.info("daemon.job_interrupted_by_shutdown", job=job)
        except Exception as exc:
            outcome = "failed"
            log.exception("daemon.job_crashed", job=job, error=str(exc))
        finally:
            elapsed = self._monotonic() - started
            self._account(job, state, outcome)
            self.metrics.observe_job(job, outcome, elapsed, state.failures)
            log.info(
                "daemon.job_finished",
                job=job,
                outcome=outcome,
                seconds=round(elapsed, 3),
                failures=state.failures,
            )
            with self._idle:
                self._active -= 1
                self._idle.notify_all()

    def _account(self, job: str, state: _JobState, outcome: str) -> None:
        if outcome == "ok":
            state.failures, state.retry_at = 0, 0.0
        elif outcome == "failed":
            state.failures += 1
            interval = self._interval(job)
            delay = min(interval * 2 ** (state.failures - 1), self.settings.daemon.max_backoff_minutes * 60.0)
            state.retry_at = self._monotonic() + max(0.0, delay - interval / 2)
            if state.failures > 1:
                log.warning("daemon.job_failing", job=job, failures=state.failures, next_try_in=round(delay))

    def _interval(self, job: str) -> float:
        kind, _, name = job.partition(":")
        schedule: Schedule | None = None
        if job == VERIFY_JOB:
            schedule = VERIFY_SCHEDULE
        elif kind == "sync":
            schedule = self.settings.connector(name).schedule
        else:
            raw = next((getattr(r, "schedule", None) for r in self._rules() if r.name == name), None)
            schedule = Schedule.model_validate(raw) if raw else None
        return interval_of(schedule, self.settings.zone).total_seconds() if schedule else 60.0

    def _claim(self, job: str, tick: datetime) -> bool:
        """Exactly one replica runs a job for a given tick: the one whose claim row lands first."""
        claimed = self.monitoring.claim_tick(
            job, tick, holder=self._holder, now=self._clock(), retention=CLAIM_RETENTION
        )
        if not claimed:
            log.info("daemon.tick_taken", job=job, tick=tick.isoformat())
        return claimed

    # ------------------------------------------------------------------------- the work

    def _sync(self, name: str) -> bool | None:
        """Sync every stream of one connector; then run the rules that follow it. None = skipped."""
        connector_settings = self.settings.connector(name)
        if isinstance(connector_settings, BankStatementSettings):
            return self._load_statements(connector_settings)
        auth_errors: list[str] = []
        connector = build_connector(
            self.settings,
            connector_settings,
            self.engine,
            observer=self.metrics.observe_http,
            sleep=self._retry_sleep,
        )
        try:
            watched = _Watched(connector, self._stopping, auth_errors)
            try:
                results = SyncEngine(self.engine, utc_now).run_connector(
                    watched,
                    holder="daemon",
                    overlap=timedelta(minutes=connector_settings.overlap_minutes),
                    max_clock_skew=timedelta(minutes=connector_settings.max_clock_skew_minutes),
                    concurrency=streams_at_once(connector_settings.limits.concurrency),
                )
            except LockHeld as exc:
                log.info("daemon.sync_skipped_locked", connector=name, holder=str(exc.holder))
                return None
        finally:
            connector.close()
        for result in results:
            self.metrics.observe_sync(name, result.stream, result.to_json())
        failed = [r for r in results if r.status == "failed"]
        capped = [r.resets_at for r in failed if r.resets_at is not None]
        if failed and len(capped) == len(failed):
            # Only a spent daily cap stopped it: wait for the reset, then resume; no failure, no backoff.
            self._pause_for_daily_cap(name, max(capped), failed[0].error or "", len(failed) < len(results))
            return None
        self._states.setdefault(f"sync:{name}", _JobState()).capped_until = None
        self._notify_connector(name, failed, auth_errors)
        if len(failed) < len(results) or not results:
            self._after_sync(name)
        return not failed

    def _load_statements(self, settings: BankStatementSettings) -> bool | None:
        """A bank_statement connector's tick: the files waiting in its inbox, loaded as `import
        statement` loads them (sync/bank_import.py), under the connector's lock (None = skipped: a
        `sync run` or `import statement` holds it). Each rejected file is told once (it moves to
        rejected/, so the next tick does not see it again); it fails neither the job nor its backoff,
        since trying again reads nothing new. The rules that follow the connector run when a file loaded."""
        name = settings.name
        try:
            result = sync_inbox(
                self.engine, settings, clock=utc_now, holder="daemon", guard=self._between_files
            )
        except LockHeld as exc:
            log.info("daemon.sync_skipped_locked", connector=name, holder=str(exc.holder))
            return None
        self.metrics.observe_sync(name, result.stream, result.to_json())
        self.metrics.observe_statement_files(name, result.counts())
        failed = [result] if result.status == FAILED else []
        self._notify_connector(name, failed, [], rejected_files(result))
        if result.counted("loaded"):
            self._after_sync(name)
        return not failed

    def _between_files(self) -> None:
        if self._stopping.is_set():
            raise ShutdownRequested("the daemon is stopping")

    def _pause_for_daily_cap(self, name: str, resets_at: datetime, error: str, some_ok: bool) -> None:
        state = self._states.setdefault(f"sync:{name}", _JobState())
        if state.capped_until is None:  # told once per cap, not on every tick
            alert = ConnectorAlert(
                name, "daily_cap", 0, f"calls resume after {resets_at.isoformat()}: {error}"
            )
            self._notifier.send(Digest(run=f"sync {name}", alerts=[alert]))
        state.capped_until = resets_at
        log.warning("daemon.sync_paused_for_daily_cap", connector=name, resets_at=resets_at.isoformat())
        if some_ok:
            self._after_sync(name)

    def _reconcile(self, rule: str) -> bool | None:
        if self._run_rule is None:
            log.error("daemon.reconcile_unavailable", rule=rule)
            return False
        try:
            with named_lock(self.engine, f"rule {rule}", wait_seconds=0, holder="daemon"):
                outcome = self._run_rule(self.engine, self.settings, rule)
        except LockHeld as exc:
            log.info("daemon.reconcile_skipped_locked", rule=rule, holder=str(exc.holder))
            return None
        if outcome.new_exceptions:
            self._notifier.send(
                Digest(
                    run=f"reconcile {rule}", new_exceptions=outcome.new_exceptions, examples=outcome.examples
                )
            )
        if not outcome.ok:
            log.error("daemon.reconcile_failed", rule=rule, error=outcome.error)
        return outcome.ok

    def _after_sync(self, connector: str) -> None:
        """Rules that name this connector in `after:` run now (coalesced: one queued run per rule)."""
        for rule in self._rules():
            if connector in (getattr(rule, "after", None) or []) and not self.stopping:
                with self._idle:
                    queued = rule.name in self._dirty_rules
                    self._dirty_rules.add(rule.name)
                if not queued:
                    self._scheduler.add_job(
                        self._drain_rule, args=(rule.name,), id=f"after:{rule.name}", replace_existing=True
                    )

    def _drain_rule(self, rule: str) -> None:
        while not self.stopping:
            with self._idle:
                if rule not in self._dirty_rules:
                    return
                self._dirty_rules.discard(rule)
            self._run_tracked(f"reconcile:{rule}", lambda: self._reconcile(rule))

    # ------------------------------------------------------------------------- notifications, secrets

    def _notify_connector(
        self,
        name: str,
        failed: Sequence[SyncRunResult],
        auth_errors: Sequence[str],
        told: Sequence[ConnectorAlert] = (),
    ) -> None:
        """One digest for the tick: `told` (e.g. rejected statement files), then credentials, a failing
        streak or recovery, count drift and refresh-token expiry."""
        state = self._states.setdefault(f"sync:{name}", _JobState())
        alerts: list[ConnectorAlert] = list(told)
        streak = state.failures + 1 if failed else 0
        error = failed[0].error or "" if failed else ""
        if auth_errors and not state.credentials_alerted:
            alerts.append(ConnectorAlert(name, "credentials", streak, auth_errors[0]))
            state.credentials_alerted = True
        if failed and streak >= self.settings.notifications.failing_runs and not state.alerted:
            alerts.append(ConnectorAlert(name, "failing", streak, error))
            state.alerted = True
        if not failed and (state.alerted or state.credentials_alerted):
            alerts.append(ConnectorAlert(name, "recovered"))
            state.alerted = state.credentials_alerted = False
        alerts += self._drift_alerts(name, state)
        alerts += self._expiry_alerts(name, state)
        if alerts:
            self._notifier.send(Digest(run=f"sync {name}", alerts=alerts))

    def _drift_alerts(self, name: str, state: _JobState) -> list[ConnectorAlert]:
        """Count checks (a full pass, `sync run --verify`, by any process) that found a difference and
        were not told yet: one alert per stream, with both numbers."""
        alerts = []
        told = state.drift_notified
        for status in self.monitoring.statuses():
            run = status.last_count
            if status.connector != name or run is None or run.id <= told:
                continue
            if run.count_check == DRIFT and run.vendor_count is not None and run.ledger_count is not None:
                alerts.append(
                    drift_alert(
                        name, status.stream, run.vendor_count, run.ledger_count, run.quarantine_count or 0
                    )
                )
            state.drift_notified = max(state.drift_notified, run.id)
        return alerts

    def refresh_expiries(self) -> list[RefreshExpiry]:
        """The configured connectors' refresh-token deadlines (ADR 0033)."""
        return expiries(self._tokens.refresh_deadlines(), [c.name for c in self.settings.connectors])

    def _expiry_alerts(self, name: str, state: _JobState) -> list[ConnectorAlert]:
        """One alert when the connector's refresh token enters a NOTIFY_DAYS step (30, 14, 7, 1 day(s)
        left, expired), none on the ticks after it; a re-authorization (no longer due) starts over."""
        now = self._clock()
        try:
            found = [e for e in self.refresh_expiries() if e.connector == name]
        except Exception as exc:  # noqa: BLE001 - a token row that cannot be read never fails the sync
            log.warning("daemon.refresh_expiry_unreadable", connector=name, error=str(exc))
            return []
        step = found[0].threshold(now) if found else None
        if step is None:
            state.expiry_told = None
            return []
        if state.expiry_told is not None and step >= state.expiry_told:
            return []
        state.expiry_told = step
        log.warning(
            "daemon.refresh_token_expiring", connector=name, expires_at=found[0].expires_at.isoformat()
        )
        return [ConnectorAlert(name, "refresh_expiring", 0, expiry_notice(found[0], now))]

    def _resolve(self, value: str) -> str:
        secret = resolve_secret(value, self._secrets.get)
        self._redactor.add(secret)
        return secret

    def _learn_secrets(self) -> None:
        """Resolve every `secret:NAME` the config uses once, so their values are scrubbed from logs."""
        for connector in self.settings.connectors:
            credentials = getattr(connector, "credentials", None)
            for value in (credentials.model_dump() if credentials is not None else {}).values():
                if isinstance(value, str):
                    try:
                        self._resolve(value)
                    except ConfigError as exc:  # that connector's job fails and says so; the others run
                        log.warning("daemon.secret_missing", connector=connector.name, error=str(exc))

    def _pause(self, seconds: float) -> None:
        self._stopping.wait(seconds)

    def _retry_sleep(self, seconds: float) -> None:
        """The wait between HTTP retries: a shutdown ends it and the run (nothing of the page was written)."""
        if self._stopping.wait(seconds):
            raise ShutdownRequested("the daemon is stopping")

    # ------------------------------------------------------------------------- health

    def health(self) -> HealthReport:
        jobs = {job: state.failures for job, state in self._states.items()}
        report = safe_assess(self._assess(jobs))
        return report or HealthReport("degraded", ["the database cannot be read"], (), jobs)

    def metrics_text(self) -> str:
        jobs = {job: state.failures for job, state in self._states.items()}
        report = safe_assess(self._assess(jobs))
        extra = open_exception_samples(self.monitoring) if report is not None else []
        if report is not None:
            extra += self._expiry_samples() + month_samples(SqlApiCalls(self.engine), self._clock())
        return metrics_text(self.metrics, report, extra)

    def _expiry_samples(self) -> list[Sample]:
        try:
            return expiry_samples(self.refresh_expiries())
        except Exception as exc:  # noqa: BLE001 - an unreadable token row leaves the gauge out, not /metrics
            log.warning("daemon.refresh_expiry_unreadable", error=str(exc))
            return []

    def _assess(self, jobs: Mapping[str, int]) -> Callable[[], HealthReport]:
        return lambda: assess_health(
            self.engine, self.settings, self._clock(), jobs, monitoring=self.monitoring
        )

    @property
    def web_address(self) -> tuple[str, int] | None:
        return None if self._web is None else self._web.address

    def _start_web(self) -> None:
        """Serve the web app beside the jobs when `daemon.web.enabled`. web/ sits on top of sync and
        nothing imports it statically (import-linter's layers): the module is imported here by its path
        string, at run time, only when enabled."""
        web = self.settings.daemon.web
        if not web.enabled:
            return
        serve = importlib.import_module("web.serve")
        self._web = serve.start_in_background(
            self.settings, self.engine, host=web.host, port=web.port, proxy_headers=web.proxy_headers
        )

    def _start_health(self) -> None:
        health = self.settings.daemon.health
        if not health.enabled:
            return
        self._health_server = HealthServer(
            health.host, health.port, health=self.health, metrics=self.metrics_text
        )
        self._health_server.start()
        host, port = self._health_server.address
        log.info("daemon.health_listening", url=f"http://{host}:{port}/healthz")


class _held:
    """Enter a lock context, turning LockHeld into DaemonRefused with the advice to use PostgreSQL."""

    def __init__(self, lock: AbstractContextManager[Any]) -> None:
        self._lock = lock

    def __enter__(self) -> Any:
        try:
            return self._lock.__enter__()
        except LockHeld as exc:
            raise DaemonRefused(
                f"another ledgerbridge daemon already runs on this SQLite database: "
                f"{exc.holder or 'unknown'}. SQLite supports one daemon; stop it first, or use PostgreSQL "
                "to run several replicas"
            ) from exc

    def __exit__(self, *exc: Any) -> Any:
        return self._lock.__exit__(*exc)


# ----------------------------------------------------------------------------- connector wrapper


class _Watched(ConnectorWrapper):
    """The connector as the engine sees it in the daemon: its streams stop between pages on shutdown
    and report authentication failures (so the digest can say "needs new credentials")."""

    def __init__(self, inner: Connector, stopping: threading.Event, auth_errors: list[str]) -> None:
        super().__init__(inner)
        self._stopping = stopping
        self._auth_errors = auth_errors

    def wrap(self, stream: Stream) -> Stream:
        return _WatchedStream(stream, self._stopping, self._auth_errors)


class _WatchedStream(StreamWrapper):
    """Everything else is the inner stream's: `sweep_due` and `live_ids` too (a QuickBooks cursor beyond
    CDC's 30 days sweeps in the daemon as well)."""

    def __init__(self, inner: Stream, stopping: threading.Event, auth_errors: list[str]) -> None:
        super().__init__(inner)
        self._stopping = stopping
        self._auth_errors = auth_errors

    def pages(self, since: datetime | None) -> Iterator[Page]:
        if self._stopping.is_set():
            raise ShutdownRequested("the daemon is stopping")
        pages = self._inner.pages(since)
        while True:
            try:
                page = next(pages)
            except StopIteration:
                return
            except AuthError as exc:
                self._auth_errors.append(str(exc))
                raise
            yield page  # the engine writes this page (or hands it to its writer) before asking for more
            if self._stopping.is_set():
                raise ShutdownRequested("the daemon is stopping")


def rejected_files(run: StatementRun) -> list[ConnectorAlert]:
    """One `statement_rejected` alert per file the run rejected: its name and the reason (English, as
    every notification is)."""
    return [
        ConnectorAlert(run.connector, "statement_rejected", 0, f"{Path(f.path).name}: {f.file.reason}")
        for f in run.rejected
    ]


def default_rule_runner(clock: Callable[[], datetime] = utc_now) -> RunRule:
    """Runs a rule with sync/reconcile_job.py and reports the exceptions it saw for the first time."""

    def run(engine: Engine, settings: Settings, rule: str) -> RuleOutcome:
        [outcome] = run_rules(engine, settings, names=[rule], clock=clock)
        if outcome.run_id is None:  # pragma: no cover - the daemon never asks for a dry run
            return RuleOutcome(ok=True)
        counts, examples = SqlMonitoring(engine).new_exceptions(outcome.run_id)
        return RuleOutcome(ok=True, new_exceptions=counts, examples=examples)

    return run
