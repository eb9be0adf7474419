"""Metrics in the Prometheus text format: in-process counters fed by the daemon, plus gauges read from
the database at scrape time (lag, open exceptions), so every replica reports the shared state."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

Labels = tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class Family:
    """One metric family: its Prometheus type, its help line and its labels."""

    kind: str
    help: str
    labels: tuple[str, ...]
    """Labels every sample carries."""
    optional: tuple[str, ...] = ()
    """Labels some samples add (a sync job's `connector`, a rule job's `rule`)."""


_STREAM = ("connector", "stream")
_JOB_SCOPES: Final = {"sync": "connector", "reconcile": "rule"}
"""Daemon job ids are `sync:<connector>`, `reconcile:<rule or plan>`, `verify:integrity`."""
_JOB_SCOPE_LABELS: Final = tuple(_JOB_SCOPES.values())
FAMILIES: Final[dict[str, Family]] = {
    "ledgerbridge_records_synced_total": Family(
        "counter", "Records written by sync runs, by outcome.", (*_STREAM, "outcome")
    ),
    "ledgerbridge_records_quarantined_total": Family("counter", "Records quarantined by sync runs.", _STREAM),
    "ledgerbridge_statement_files_total": Family(
        "counter",
        "Bank statement files a bank_statement connector's inbox handed to sync runs, by outcome "
        "(loaded, duplicate, rejected).",
        ("connector", "outcome"),
    ),
    "ledgerbridge_api_calls_total": Family(
        "counter",
        "HTTP exchanges with vendor APIs, by endpoint and status (0 = no response).",
        ("connector", "endpoint", "status"),
    ),
    "ledgerbridge_api_errors_total": Family(
        "counter",
        "Vendor API exchanges that failed (no response or 4xx/5xx), by endpoint and status.",
        ("connector", "endpoint", "status"),
    ),
    "ledgerbridge_api_call_seconds_total": Family(
        "counter", "Time spent in vendor API exchanges, by endpoint.", ("connector", "endpoint")
    ),
    "ledgerbridge_job_runs_total": Family(
        "counter",
        "Daemon job runs, by outcome (ok, failed, skipped); sync jobs also carry connector, rule jobs rule.",
        ("job", "outcome"),
        _JOB_SCOPE_LABELS,
    ),
    "ledgerbridge_run_duration_seconds": Family(
        "summary", "Duration of daemon job runs.", ("job",), _JOB_SCOPE_LABELS
    ),
    "ledgerbridge_job_consecutive_failures": Family(
        "gauge", "Failed runs in a row of a daemon job (0 when healthy).", ("job",), _JOB_SCOPE_LABELS
    ),
    "ledgerbridge_sync_lag_seconds": Family(
        "gauge", "Seconds since the last successful sync of a stream.", _STREAM
    ),
    "ledgerbridge_sync_stream_failures": Family(
        "gauge", "Failed runs in a row of a stream, across replicas.", _STREAM
    ),
    "ledgerbridge_quarantine_open": Family(
        "gauge", "Quarantined records not yet resolved, per stream.", _STREAM
    ),
    "ledgerbridge_stream_count_drift": Family(
        "gauge",
        "Last count check of a stream: the vendor's count minus the ledger's documents and quarantine.",
        _STREAM,
    ),
    "ledgerbridge_open_exceptions": Family(
        "gauge", "Reconciliation exceptions still open, by type.", ("type",)
    ),
    "ledgerbridge_rate_limit_wait_seconds_total": Family(
        "counter",
        "Seconds sync runs spent waiting out vendors' per-minute/concurrency limits (shared budgets).",
        _STREAM,
    ),
    "ledgerbridge_daily_cap_resets_at_seconds": Family(
        "gauge",
        "Unix time a stream's spent daily API cap resets (0 when its last run did not hit one).",
        _STREAM,
    ),
    "ledgerbridge_api_calls_this_month": Family(
        "gauge",
        "Vendor API calls of a connector this calendar month (UTC), by every process (database).",
        ("connector",),
    ),
    "ledgerbridge_refresh_token_expires_at_seconds": Family(
        "gauge",
        "Unix time a connector's OAuth refresh token expires: re-authorize before it (database).",
        ("connector",),
    ),
    "ledgerbridge_health_ok": Family("gauge", "1 when /healthz says ok, 0 when degraded.", ()),
    "ledgerbridge_database_up": Family("gauge", "1 when the database answered this scrape.", ()),
}
"""Every metric ledgerbridge exports (docs/operations.md lists them; deploy/prometheus alerts on them).
The label scheme (ADR 0025): `connector` is always the configured connector's name and nothing else;
`endpoint` is an API path in its own label; `stream`, `job`, `rule`, `outcome`, `status`, `type` as
named. Job metrics of a sync job add `connector`, of a rule or audit plan `rule` (see `job_labels`)."""


def job_labels(job: str) -> dict[str, str]:
    """The labels of a job's metrics: its id, and the connector or rule it runs."""
    scope, _, name = job.partition(":")
    extra = _JOB_SCOPES.get(scope)
    return {"job": job, extra: name} if extra and name else {"job": job}


@dataclass(frozen=True)
class Sample:
    """One exposition line: a family name (with an optional suffix such as `_sum`), labels and a value."""

    name: str
    labels: Mapping[str, str]
    value: float


class Metrics:
    """Thread-safe counters and gauges of this process. `observe_http` is the HttpClient observer."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._values: dict[tuple[str, Labels], float] = {}

    def inc(self, name: str, labels: Mapping[str, str], amount: float = 1.0) -> None:
        key = (name, _freeze(labels))
        with self._lock:
            self._values[key] = self._values.get(key, 0.0) + amount

    def set(self, name: str, labels: Mapping[str, str], value: float) -> None:
        with self._lock:
            self._values[(name, _freeze(labels))] = value

    def value(self, name: str, labels: Mapping[str, str]) -> float:
        with self._lock:
            return self._values.get((name, _freeze(labels)), 0.0)

    def observe_http(self, connector: str, endpoint: str, status: int, seconds: float) -> None:
        """The HttpClient observer (connectors.http.Observer)."""
        labels = {"connector": connector, "endpoint": endpoint, "status": str(status)}
        self.inc("ledgerbridge_api_calls_total", labels)
        if status == 0 or status >= 400:
            self.inc("ledgerbridge_api_errors_total", labels)
        self.inc(
            "ledgerbridge_api_call_seconds_total", {"connector": connector, "endpoint": endpoint}, seconds
        )

    def observe_sync(self, connector: str, stream: str, counts: Mapping[str, Any]) -> None:
        """Counts of one finished stream run (created, updated, unchanged, deleted, quarantined), the
        seconds it waited out rate limits and the reset of a daily cap it stopped on (`resets_at`)."""
        labels = {"connector": connector, "stream": stream}
        if counts.get("waited_seconds"):
            self.inc("ledgerbridge_rate_limit_wait_seconds_total", labels, float(counts["waited_seconds"]))
        resets = counts.get("resets_at")
        reset_time = datetime.fromisoformat(str(resets).replace("Z", "+00:00")).timestamp() if resets else 0
        self.set("ledgerbridge_daily_cap_resets_at_seconds", labels, reset_time)
        for outcome in ("created", "updated", "unchanged", "deleted"):
            if counts.get(outcome):
                labels = {"connector": connector, "stream": stream, "outcome": outcome}
                self.inc("ledgerbridge_records_synced_total", labels, counts[outcome])
        if counts.get("quarantined"):
            labels = {"connector": connector, "stream": stream}
            self.inc("ledgerbridge_records_quarantined_total", labels, counts["quarantined"])

    def observe_statement_files(self, connector: str, counts: Mapping[str, int]) -> None:
        """Files of one bank_statement run by outcome (loaded, duplicate, rejected)."""
        for outcome, count in counts.items():
            if count:
                self.inc(
                    "ledgerbridge_statement_files_total", {"connector": connector, "outcome": outcome}, count
                )

    def observe_job(self, job: str, outcome: str, seconds: float | None, consecutive_failures: int) -> None:
        labels = job_labels(job)
        self.inc("ledgerbridge_job_runs_total", {**labels, "outcome": outcome})
        if seconds is not None:
            self.inc("ledgerbridge_run_duration_seconds_sum", labels, seconds)
            self.inc("ledgerbridge_run_duration_seconds_count", labels)
        self.set("ledgerbridge_job_consecutive_failures", labels, consecutive_failures)

    def samples(self) -> list[Sample]:
        with self._lock:
            items = sorted(self._values.items())
        return [Sample(name, dict(labels), value) for (name, labels), value in items]


def render(samples: Iterable[Sample]) -> str:
    """The Prometheus text exposition format (version 0.0.4), families in a stable order."""
    by_family: dict[str, list[Sample]] = {}
    for sample in samples:
        by_family.setdefault(_family(sample.name), []).append(sample)
    lines: list[str] = []
    for family in sorted(by_family):
        declared = FAMILIES.get(family)
        lines.append(f"# HELP {family} {declared.help if declared else ''}")
        lines.append(f"# TYPE {family} {declared.kind if declared else 'untyped'}")
        for sample in sorted(by_family[family], key=lambda s: (s.name, sorted(s.labels.items()))):
            lines.append(f"{sample.name}{_labels(sample.labels)} {_number(sample.value)}")
    return "\n".join(lines) + "\n"


def _family(name: str) -> str:
    for suffix in ("_sum", "_count"):
        if name.endswith(suffix) and name.removesuffix(suffix) in FAMILIES:
            return name.removesuffix(suffix)
    return name


def _freeze(labels: Mapping[str, str]) -> Labels:
    return tuple(sorted((key, str(value)) for key, value in labels.items()))


_ESCAPES = {"\\": "\\\\", "\n": "\\n", '"': '\\"'}


def _labels(labels: Mapping[str, str]) -> str:
    if not labels:
        return ""
    body = ",".join(f'{key}="{_escape(value)}"' for key, value in sorted(labels.items()))
    return "{" + body + "}"


def _escape(value: str) -> str:
    return re.sub(r'[\\\n"]', lambda match: _ESCAPES[match.group()], value)


def _number(value: float) -> str:
    if value == int(value) and abs(value) < 1e15:
        return str(int(value))
    return repr(float(value))
