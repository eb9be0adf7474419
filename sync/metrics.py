"""Metrics in the Prometheus text format: in-process counters fed by the daemon, plus gauges read from
the database at scrape time (lag, open exceptions), so every replica reports the shared state."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

Labels = tuple[tuple[str, str], ...]

_FAMILIES: dict[str, tuple[str, str]] = {
    "ledgerbridge_records_synced_total": ("counter", "Records written by sync runs, by outcome."),
    "ledgerbridge_records_quarantined_total": ("counter", "Records quarantined by sync runs."),
    "ledgerbridge_api_calls_total": (
        "counter",
        "HTTP exchanges with vendor APIs, by status (0 = no response).",
    ),
    "ledgerbridge_api_errors_total": (
        "counter",
        "Vendor API exchanges that failed (no response or 4xx/5xx).",
    ),
    "ledgerbridge_api_call_seconds_total": ("counter", "Time spent in vendor API exchanges."),
    "ledgerbridge_job_runs_total": ("counter", "Daemon job runs, by outcome (ok, failed, skipped)."),
    "ledgerbridge_run_duration_seconds": ("summary", "Duration of daemon job runs."),
    "ledgerbridge_job_consecutive_failures": (
        "gauge",
        "Failed runs in a row of a daemon job (0 when healthy).",
    ),
    "ledgerbridge_sync_lag_seconds": ("gauge", "Seconds since the last successful sync of a stream."),
    "ledgerbridge_sync_stream_failures": ("gauge", "Failed runs in a row of a stream, across replicas."),
    "ledgerbridge_quarantine_open": ("gauge", "Quarantined records not yet resolved, per stream."),
    "ledgerbridge_stream_count_drift": (
        "gauge",
        "Last count check of a stream: the vendor's count minus the ledger's documents and quarantine.",
    ),
    "ledgerbridge_open_exceptions": ("gauge", "Reconciliation exceptions still open, by type."),
    "ledgerbridge_rate_limit_wait_seconds_total": (
        "counter",
        "Seconds sync runs spent waiting out vendors' per-minute/concurrency limits (shared budgets).",
    ),
    "ledgerbridge_daily_cap_resets_at_seconds": (
        "gauge",
        "Unix time a stream's spent daily API cap resets (0 when its last run did not hit one).",
    ),
    "ledgerbridge_health_ok": ("gauge", "1 when /healthz says ok, 0 when degraded."),
    "ledgerbridge_database_up": ("gauge", "1 when the database answered this scrape."),
}


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

    def observe_http(self, connector: str, status: int, seconds: float) -> None:
        labels = {"connector": connector, "status": str(status)}
        self.inc("ledgerbridge_api_calls_total", labels)
        if status == 0 or status >= 400:
            self.inc("ledgerbridge_api_errors_total", labels)
        self.inc("ledgerbridge_api_call_seconds_total", {"connector": connector}, seconds)

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

    def observe_job(self, job: str, outcome: str, seconds: float | None, consecutive_failures: int) -> None:
        self.inc("ledgerbridge_job_runs_total", {"job": job, "outcome": outcome})
        if seconds is not None:
            self.inc("ledgerbridge_run_duration_seconds_sum", {"job": job}, seconds)
            self.inc("ledgerbridge_run_duration_seconds_count", {"job": job})
        self.set("ledgerbridge_job_consecutive_failures", {"job": job}, consecutive_failures)

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
        kind, help_text = _FAMILIES.get(family, ("untyped", ""))
        lines.append(f"# HELP {family} {help_text}")
        lines.append(f"# TYPE {family} {kind}")
        for sample in sorted(by_family[family], key=lambda s: (s.name, sorted(s.labels.items()))):
            lines.append(f"{sample.name}{_labels(sample.labels)} {_number(sample.value)}")
    return "\n".join(lines) + "\n"


def _family(name: str) -> str:
    for suffix in ("_sum", "_count"):
        if name.endswith(suffix) and name.removesuffix(suffix) in _FAMILIES:
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
