"""The admin actions as services any shell can call: a manual sync of one connector (what `sync run
--connector NAME [--full]` does), a connection check (`connector test`), setting a secret (`secret set`)
and the whole verification of `audit verify`. The web app's admin pages call these, so a click does
what the command does: the same engine under the same connector lock, the same audit rows."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from config.redaction import remember_secret
from config.settings import Settings
from connectors.base import CheckResult
from store.audit_log import AuditVerdict, record_audit, verify_audit
from store.db import Engine
from store.digests import DocumentVerdict, verify_documents
from store.integrity import Seal, seal_of
from store.secrets import SqlSecretStore
from sync.bootstrap import build_connector, secret_box, utc_now
from sync.engine import Progress, SyncEngine, SyncRunResult
from sync.reconcile_job import PlanRun, RuleRun, SkippedRun, run_rules_after_sync

SECRET_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,199}$")
"""A secret's name, as `secret set` accepts it."""


# ----------------------------------------------------------------------------- sync


@dataclass(frozen=True)
class ManualSync:
    """What one manual sync of a connector did: each stream's run, and the rules run after it."""

    connector: str
    full: bool
    results: list[SyncRunResult]
    reconciled: list[RuleRun | PlanRun] = field(default_factory=list)
    skipped: list[SkippedRun] = field(default_factory=list)

    @property
    def failed(self) -> int:
        return sum(not r.ok for r in self.results)


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
    """Sync every stream of the connector `name` under its lock (store.locks.LockHeld when another run
    holds it, raised before anything is read), audit `sync.run` with the command's detail shape (plus
    `audit_detail`), then run the rules that name it under `after:`. `name` must be configured
    (KeyError otherwise)."""
    connector_settings = settings.connector(name)
    connector = build_connector(settings, connector_settings, engine, clock=clock)
    results: list[SyncRunResult] = []
    try:
        results = SyncEngine(engine, clock).run_connector(
            connector,
            full=full,
            overlap=timedelta(minutes=connector_settings.overlap_minutes),
            max_clock_skew=timedelta(minutes=connector_settings.max_clock_skew_minutes),
            holder=holder,
            progress=progress,
        )
    finally:
        connector.close()
        # Audited as `sync run` audits: refused by the lock too (then nothing ran, nothing failed).
        failed = sum(not r.ok for r in results)
        detail = {"connectors": [name], "full": full, "repair": False, "since": None, "failed": failed}
        record_audit(engine, actor, "sync.run", {**detail, **(audit_detail or {})}, clock=clock)
    skipped: list[SkippedRun] = []
    reconciled = run_rules_after_sync(
        engine, settings, {r.connector for r in results if r.ok}, clock=clock, skipped=skipped
    )
    return ManualSync(name, full, results, reconciled, skipped)


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
    if not SECRET_NAME.match(name):
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
