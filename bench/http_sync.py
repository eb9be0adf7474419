"""End-to-end sync benchmark: the real connectors and engine over real HTTP from the local sandboxes.

    python -m bench.http_sync [--records 10000 100000] [--json]

For each size a generated company (the demo's, so three connectors and every record kind) is served by
the Zoho and Fxiaoke sandboxes on loopback, and `ledgerbridge`'s own code syncs all of it into a fresh
SQLite ledger: token refresh, paging, Books payment details, normalizing, hashing, upserts, cursors.
Reported: records/s and API requests per record (counted by the sandboxes themselves), next to the
list pages' share alone (the floor: every request that is not a Books detail read). At the largest
size it then changes 1% of the records (spread over every system and kind) and runs the incremental
sync the daemon would run: its time and requests against the full sync's.

The connectors run with the demo configuration's limits (no vendor throttling), so the figures measure
ledgerbridge, not the vendors' published rate limits; the calls per record say what those limits cost.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import asdict
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any

import structlog

from config.loader import load_config
from config.settings import Settings
from connectors.sandbox.demo_servers import Credentials, DemoSandboxes
from connectors.sandbox.generator import CompanySpec, DemoCompany, generate_company
from store.canonical import CanonicalDocument, DocumentKind
from store.db import Engine
from sync.bootstrap import build_connector
from sync.demo import demo_config, prepare_database
from sync.engine import SyncEngine, SyncRunResult, streams_at_once

RECORDS_PER_ORDER = 3.75
"""Documents the generated company holds per order (orders, invoices, payments, mirrors...)."""
CHANGED_SHARE = 0.01


def utc_now() -> datetime:
    return datetime.now(UTC)


def company_spec(records: int, seed: int) -> CompanySpec:
    orders = max(200, round(records / RECORDS_PER_ORDER))
    return CompanySpec(customers=min(1000, max(40, orders // 100)), orders=orders, seed=seed, rate=0.001)


def sync_connectors(
    engine: Engine, settings: Settings, *, full: bool, sequential: bool = False
) -> list[SyncRunResult]:
    """What `sync run [--full]` does: every connector at once (separate vendor budgets), each one's
    streams up to its `limits.concurrency` at once. `sequential`: one connector, one stream at a time
    (how it ran before issue 18; for the before/after figures)."""
    sync = SyncEngine(engine, utc_now)
    connectors = [build_connector(settings, cfg, engine, clock=utc_now) for cfg in settings.connectors]
    try:
        jobs = [
            partial(
                SyncEngine.run_connector,
                connector=connector,
                full=full,
                holder="bench",
                concurrency=1 if sequential else streams_at_once(cfg.limits.concurrency),
            )
            for connector, cfg in zip(connectors, settings.connectors, strict=True)
        ]
        if sequential:
            outcomes: list[list[SyncRunResult] | Exception] = [job(sync) for job in jobs]
        else:
            outcomes = sync.run_connectors(jobs)
    finally:
        for connector in connectors:
            connector.close()
    results: list[SyncRunResult] = []
    for outcome in outcomes:
        if isinstance(outcome, Exception):
            raise outcome
        results += outcome
    return results


def _cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of a live process so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text(encoding="ascii").rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def run(records: int, *, incremental: bool, seed: int = 2026, sequential: bool = False) -> dict[str, Any]:
    """Sync a company of about `records` documents; with `incremental`, then 1% changed. The sandboxes
    run in a child process (a vendor is another machine: it must not share this process's GIL)."""
    with _Sandboxes(records, seed) as served, tempfile.TemporaryDirectory(prefix="lb-bench-") as tmp:
        directory = Path(tmp)
        config = directory / "ledgerbridge.yaml"
        config.write_text(
            demo_config(directory, served.zoho, served.fxiaoke, served.credentials, "en"), "utf-8"
        )
        settings = load_config(config).settings
        engine = prepare_database(settings, served.credentials, utc_now)
        try:
            served.ask("reset")
            sandbox_before, cpu_before = _cpu_seconds(served.pid), time.process_time()
            started = time.perf_counter()
            full = sync_connectors(engine, settings, full=True, sequential=sequential)
            seconds = time.perf_counter() - started
            cpu, sandbox_cpu = time.process_time() - cpu_before, _cpu_seconds(served.pid) - sandbox_before
            requests = served.ask("counts")
            fetched = sum(r.fetched for r in full)
            result: dict[str, Any] = {
                "records": fetched,
                "seconds": round(seconds, 2),
                "records_per_s": round(fetched / seconds),
                "cpu_seconds": round(cpu, 2),
                "sandbox_cpu_seconds": round(sandbox_cpu, 2),
                "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
                "requests": requests,
                "requests_per_record": round(sum(requests.values()) / fetched, 4),
                "list_requests_per_record": round(
                    (sum(requests.values()) - requests["zoho_books_details"]) / fetched, 4
                ),
                "failed": [f"{r.connector}/{r.stream}" for r in full if not r.ok],
            }
            if incremental:
                changed = served.ask("touch")["changed"]
                served.ask("reset")
                started = time.perf_counter()
                runs = sync_connectors(engine, settings, full=False, sequential=sequential)
                inc_seconds = time.perf_counter() - started
                inc_requests = served.ask("counts")
                result["incremental"] = {
                    "changed": changed,
                    "updated": sum(r.updated for r in runs),
                    "fetched": sum(r.fetched for r in runs),
                    "seconds": round(inc_seconds, 2),
                    "requests": inc_requests,
                    "time_vs_full": round(inc_seconds / seconds, 4),
                    "requests_vs_full": round(sum(inc_requests.values()) / sum(requests.values()), 4),
                    "failed": [f"{r.connector}/{r.stream}" for r in runs if not r.ok],
                }
        finally:
            engine.dispose()
    return result


class _Sandboxes:
    """The child process serving the company: one JSON line per command on its stdin/stdout."""

    def __init__(self, records: int, seed: int) -> None:
        self._args = [sys.executable, "-m", "bench.http_sync", "--serve", str(records), "--seed", str(seed)]

    def __enter__(self) -> _Sandboxes:
        self._child = subprocess.Popen(self._args, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        hello = self._read()
        self.pid = self._child.pid
        self.zoho, self.fxiaoke = hello["zoho"], hello["fxiaoke"]
        self.credentials = Credentials(**hello["credentials"])
        return self

    def ask(self, command: str) -> dict[str, Any]:
        assert self._child.stdin is not None
        self._child.stdin.write(command + "\n")
        self._child.stdin.flush()
        return self._read()

    def _read(self) -> dict[str, Any]:
        assert self._child.stdout is not None
        line = self._child.stdout.readline()
        if not line:
            raise RuntimeError(f"the sandbox process ended (exit status {self._child.wait()})")
        answer: dict[str, Any] = json.loads(line)
        return answer

    def __exit__(self, *exc: object) -> None:
        try:
            self.ask("quit")
        finally:
            self._child.wait(timeout=30)


def serve(records: int, seed: int) -> None:
    """The child: generate the company, serve it, answer commands until `quit`."""
    company = generate_company(company_spec(records, seed))
    with DemoSandboxes(company) as sandboxes:
        hello = {"zoho": sandboxes.zoho.url, "fxiaoke": sandboxes.fxiaoke.url}
        print(json.dumps({**hello, "credentials": asdict(sandboxes.credentials)}), flush=True)
        for line in sys.stdin:
            command = line.strip()
            if command == "quit":
                print("{}", flush=True)
                return
            if command == "reset":
                sandboxes.reset_counts()
                answer: dict[str, Any] = {}
            elif command == "counts":
                answer = _requests(sandboxes)
            else:
                answer = {"changed": touch(company, CHANGED_SHARE, random.Random(7))}
            print(json.dumps(answer), flush=True)


def touch(company: DemoCompany, share: float, rng: random.Random) -> int:
    """Re-save `share` of every system's records an hour after the company's as_of (what a user editing
    them does to their modification time); returns how many were changed."""
    at = company.truth.spec.as_of + timedelta(hours=1)
    changed = 0
    crm: tuple[DocumentKind, ...] = (
        DocumentKind.SALES_ORDER, DocumentKind.INVOICE, DocumentKind.CUSTOMER, DocumentKind.PRODUCT,
    )  # fmt: skip
    books: tuple[DocumentKind, ...] = (
        DocumentKind.INVOICE, DocumentKind.PAYMENT, DocumentKind.SALES_ORDER, DocumentKind.CREDIT_NOTE,
    )  # fmt: skip
    for kind in crm:
        for doc in _share(company.zoho.live("crm", kind), share, rng):
            company.zoho.edit("crm", kind, doc.external_id, at)
            changed += 1
    for kind in books:
        for doc in _share(company.zoho.live("books", kind), share, rng):
            company.zoho.edit("books", kind, doc.external_id, at)
            changed += 1
    for doc in _share(company.fxiaoke.truth(), share, rng):
        company.fxiaoke.edit(doc, modified_at=at)
        changed += 1
    return changed


def _share(documents: list[CanonicalDocument], share: float, rng: random.Random) -> list[CanonicalDocument]:
    return rng.sample(documents, round(len(documents) * share))


def _requests(sandboxes: DemoSandboxes) -> dict[str, int]:
    """Requests per vendor, and the Books per-record detail reads among them."""
    zoho = sandboxes.zoho.server.request_counts
    details = sum(n for path, n in zoho.items() if path.count("/") == 4 and path.startswith("/books/v3/"))
    counts = sandboxes.requests()
    return {
        "zoho_lists": counts["zoho"] - details,
        "zoho_books_details": details,
        "fxiaoke": counts["fxiaoke"],
    }


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--records", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--json", action="store_true", help="print one JSON document")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument(
        "--sequential", action="store_true", help="one connector and one stream at a time (before issue 18)"
    )
    parser.add_argument("--serve", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.serve:
        structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(40))
        serve(args.serve, args.seed)
        return 0
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(40))
    sizes = sorted(args.records)
    results = {
        str(n): run(n, incremental=n == sizes[-1], seed=args.seed, sequential=args.sequential) for n in sizes
    }
    if args.json:
        print(json.dumps(results))
        return 0
    for size, result in results.items():
        print(
            f"{int(size):>8,} target: {result['records']:,} records in {result['seconds']:.1f} s = "
            f"{result['records_per_s']:,} records/s, {result['requests_per_record']:.4f} requests/record "
            f"(list pages alone {result['list_requests_per_record']:.4f}) {result['requests']}"
        )
        if "incremental" in result:
            inc = result["incremental"]
            print(
                f"          1% changed ({inc['changed']:,}): {inc['seconds']:.2f} s "
                f"({inc['time_vs_full']:.1%} of full), {sum(inc['requests'].values()):,} requests "
                f"({inc['requests_vs_full']:.1%} of full)"
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
