"""The admin actions as services any shell can call: a manual sync of one connector (what `sync run
--connector NAME [--full]` does), a connection check (`connector test`), setting a secret (`secret set`)
and the whole verification of `audit verify`. The web app's admin pages call these, so a click does
what the command does: the same engine under the same connector lock, the same audit rows."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import partial
from typing import Any

from config.kinds import BankStatementSettings
from config.redaction import remember_secret
from config.settings import Settings
from connectors.base import CheckResult, Connector
from store.audit_log import AuditVerdict, record_audit, verify_audit
from store.db import Engine
from store.digests import DocumentVerdict, verify_documents
from store.integrity import Seal, seal_of
from store.runs import OK
from store.secrets import SqlSecretStore, is_secret_name
from store.sync_status import DatabaseError
from sync.bank_import import StatementRun, sync_inbox
from sync.bootstrap import build_connector, secret_box, utc_now
from sync.engine import Progress, SyncEngine, SyncRunResult, streams_at_once
from sync.reconcile_job import PlanRun, RuleRun, SkippedRun, run_rules_after_sync

# ----------------------------------------------------------------------------- sync


@dataclass(frozen=True)
class Refusal:
    """A connector that did not sync: another run holds its lock (store.locks.LockHeld, nothing was read),
    or its lock could not even be taken (the database locked or gone)."""

    connector: str
    error: Exception


@dataclass(frozen=True)
class ManualSync:
    """What one manual sync did: each stream's run, the connectors refused, the rules run after it, and
    the error that kept its audit row out (None: audited)."""

    connectors: list[str]
    full: bool
    results: list[SyncRunResult]
    refused: list[Refusal] = field(default_factory=list)
    reconciled: list[RuleRun | PlanRun] = field(default_factory=list)
    skipped: list[SkippedRun] = field(default_factory=list)
    audit_error: Exception | None = None

    @property
    def failed(self) -> int:
        return sum(not r.ok for r in self.results)


def run_sync(
    engine: Engine,
    settings: Settings,
    selection: Sequence[tuple[str, Sequence[str] | None]],
    *,
    full: bool,
    actor: str,
    holder: str,
    repair: bool = False,
    since: datetime | None = None,
    sweep: bool = False,
    verify: bool = False,
    wait_seconds: float = 0,
    audit_detail: Mapping[str, Any] | None = None,
    progress: Progress | None = None,
    clock: Callable[[], datetime] = utc_now,
    on_wait: Callable[[str], None] | None = None,
    reconcile: bool = True,
) -> ManualSync:
    """`sync run`: each selected connector (name, its streams or None for all) under its lock, connectors
    at the same time and each connector's streams up to its `limits.concurrency` (ADR 0030);
    one `sync.run` audit row for them all (refused ones too: then nothing ran, nothing failed), its
    detail `{connectors, full, repair, since, failed}` plus `audit_detail`; then the rules that name a
    synced connector under `after:` (unless `reconcile` is False: the demo reconciles once, itself).
    A connector another run holds (or whose lock cannot be taken) is a Refusal, not an exception; a
    configuration problem building a connector is raised (KeyError for an unknown name,
    config.loader.ConfigError) before any connector runs. A bank_statement connector loads the files
    waiting in its inbox (sync/bank_import.py sync_inbox: a StatementRun, not the page loop), unless
    `full`: its page loop then refuses the resync with its message; the audit detail then also says
    `statement_files: {connector: {loaded, duplicate, rejected}}`."""
    sync = SyncEngine(engine, clock, repair=repair)
    results: list[SyncRunResult] = []
    refused: list[Refusal] = []
    built: list[tuple[str, Connector]] = []
    jobs: list[Callable[[SyncEngine], list[SyncRunResult]]] = []
    try:
        for name, streams in selection:
            connector_settings = settings.connector(name)
            connector = build_connector(settings, connector_settings, engine, clock=clock)
            built.append((name, connector))
            if isinstance(connector_settings, BankStatementSettings) and not full:
                jobs.append(
                    partial(
                        _statement_job,
                        engine=engine,
                        settings=connector_settings,
                        clock=clock,
                        holder=holder,
                        wait_seconds=wait_seconds,
                    )
                )
                continue
            jobs.append(
                partial(
                    SyncEngine.run_connector,
                    connector=connector,
                    streams=None if streams is None else list(streams),
                    full=full,
                    since=since,
                    sweep=sweep,
                    verify=verify,
                    overlap=timedelta(minutes=connector_settings.overlap_minutes),
                    max_clock_skew=timedelta(minutes=connector_settings.max_clock_skew_minutes),
                    wait_seconds=wait_seconds,
                    holder=holder,
                    progress=progress,
                    concurrency=streams_at_once(connector_settings.limits.concurrency),
                )
            )
        # connectors have separate vendor budgets: they sync at the same time (ADR 0030)
        for (name, _), outcome in zip(built, sync.run_connectors(jobs), strict=True):
            if isinstance(
                outcome, Exception
            ):  # LockHeld, or its lock could not be taken (database locked, gone)
                refused.append(Refusal(name, outcome))
            else:
                results += outcome
    finally:
        for _, connector in built:
            connector.close()
    failed = sum(not r.ok for r in results)
    detail = {
        "connectors": [name for name, _ in selection],
        "full": full,
        "repair": repair,
        "since": None if since is None else since.isoformat(),
        "failed": failed,
    }
    statement_runs = [r for r in results if isinstance(r, StatementRun)]
    if statement_runs:
        detail["statement_files"] = {r.connector: r.counts() for r in statement_runs}
    audit_error: Exception | None = None
    try:
        record_audit(engine, actor, "sync.run", {**detail, **(audit_detail or {})}, clock=clock)
    except DatabaseError as exc:  # the database that failed the runs: the caller says so
        audit_error = exc
    skipped: list[SkippedRun] = []
    reconciled = run_rules_after_sync(
        engine,
        settings,
        {r.connector for r in results if r.status == OK} if reconcile else set(),
        clock=clock,
        skipped=skipped,
        on_wait=on_wait,
    )
    connectors = [name for name, _ in selection]
    return ManualSync(connectors, full, results, refused, reconciled, skipped, audit_error)


def _statement_job(
    _: SyncEngine,
    *,
    engine: Engine,
    settings: BankStatementSettings,
    clock: Callable[[], datetime],
    holder: str,
    wait_seconds: float,
) -> list[SyncRunResult]:
    """A bank_statement connector's part of `sync run`: its inbox, loaded file by file (LockHeld when
    another run or `import statement` holds the connector: a Refusal, like any connector)."""
    return [sync_inbox(engine, settings, clock=clock, holder=holder, wait_seconds=wait_seconds)]


def sync_connector(
    engine: Engine,
    settings: Settings,
    name: str,
    *,
    full: bool,
    actor: str,
    holder: str,
    audit_detail: Mapping[str, Any] | None = None,
    progress: Progress | None = None,
    clock: Callable[[], datetime] = utc_now,
) -> ManualSync:
    """`sync run --connector NAME [--full]` (run_sync of every stream of one connector) for a shell that
    reports a refusal as an exception: store.locks.LockHeld when another run holds the connector (nothing
    was read; still audited), the database error that kept the audit row out."""
    outcome = run_sync(
        engine,
        settings,
        [(name, None)],
        full=full,
        actor=actor,
        holder=holder,
        audit_detail=audit_detail,
        progress=progress,
        clock=clock,
    )
    for refusal in outcome.refused:
        raise refusal.error
    if outcome.audit_error is not None:
        raise outcome.audit_error
    return outcome


# ----------------------------------------------------------------------------- connector test


def check_connector(engine: Engine, settings: Settings, name: str) -> list[CheckResult]:
    """Authenticate and read one page of each object each stream reads (`connector test NAME`).
    Raises KeyError for an unknown name, config.loader.ConfigError for a bad configuration and
    connectors.errors.ConnectorError when the check cannot even start."""
    connector = build_connector(settings, settings.connector(name), engine)
    try:
        return list(connector.check())
    finally:
        connector.close()


# ----------------------------------------------------------------------------- secrets


def set_secret(
    engine: Engine,
    settings: Settings,
    name: str,
    value: str,
    *,
    actor: str,
    audit_detail: Mapping[str, Any] | None = None,
) -> bool:
    """Store `value` encrypted as secret `name` and audit `secret.set` ({name, replaced}, never the
    value); the value joins this process's redaction registry first, so no log or error can show it.
    Returns whether it replaced a stored one. ValueError for a bad name or an empty value."""
    if not is_secret_name(name):
        raise ValueError("bad secret name")
    if not value:
        raise ValueError("empty secret value")
    remember_secret(value)
    store = SqlSecretStore(engine, secret_box(settings))
    replaced = any(info.name == name for info in store.list())
    store.set(name, value)
    record_audit(engine, actor, "secret.set", {"name": name, "replaced": replaced, **(audit_detail or {})})
    return replaced


# ----------------------------------------------------------------------------- audit verify


@dataclass(frozen=True)
class Verification:
    """`audit verify`'s findings: the audit chain, every document row, and the seal it checked under."""

    audit: AuditVerdict
    documents: DocumentVerdict
    seal: Seal

    @property
    def ok(self) -> bool:
        return self.audit.ok and self.documents.ok


def verify_everything(engine: Engine) -> Verification:
    """The audit chain under the seal key and against its head file, and every document's digest."""
    return Verification(verify_audit(engine), verify_documents(engine), seal_of(engine))
