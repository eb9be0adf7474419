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
import threading
import time
from collections.abc import Sequence
from dataclasses import asdict
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any

import structlog

from bench.replay import Recording, ReplayServer
from config.loader import load_config
from config.settings import Settings
from connectors.sandbox.demo_servers import Credentials, DemoSandboxes
from connectors.sandbox.generator import CompanySpec, DemoCompany, generate_company
from connectors.sandbox.server import SandboxServer
from store.canonical import CanonicalDocument, DocumentKind
from store.db import Engine
from sync.bootstrap import build_connector, open_engine
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
    # The demo's bank inbox is local files, not HTTP, and refuses a full resync by design (it would
    # tombstone every imported line): it is not part of this benchmark.
    over_http = [cfg for cfg in settings.connectors if cfg.kind != "bank_statement"]
    connectors = [build_connector(settings, cfg, engine, clock=utc_now) for cfg in over_http]
    try:
        jobs = [
            partial(
                SyncEngine.run_connector,
                connector=connector,
                full=full,
                holder="bench",
                concurrency=1 if sequential else streams_at_once(cfg.limits.concurrency),
            )
            for connector, cfg in zip(connectors, over_http, strict=True)
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


def run(
    records: int,
    *,
    incremental: bool,
    seed: int = 2026,
    sequential: bool = False,
    replay: bool = True,
    engine: bool = True,
) -> dict[str, Any]:
    """Sync a company of about `records` documents from the live sandboxes (their answers recorded);
    with `incremental`, then 1% changed; with `replay`, the same full sync again into a fresh ledger from
    the recorded answers; with `engine`, the ingest engine's records/s at this size in between (the
    baseline of the ratios, measured in this run). Every timed sync runs in a fresh process of its own
    (its peak RSS is its own; its writer processes are its only children); the sandboxes and the replay
    server run in one more (a vendor is another machine: it must not share the client's GIL)."""
    with _Sandboxes(records, seed) as served, tempfile.TemporaryDirectory(prefix="lb-bench-") as tmp:
        live = _ledger(Path(tmp) / "live", served)
        served.ask("record")
        result: dict[str, Any] = {"live": _timed(served, live, full=True, sequential=sequential)}
        served.ask("stop recording")
        if incremental:
            changed = served.ask("touch")["changed"]
            inc = _timed(served, live, full=False, sequential=sequential)
            full = result["live"]
            result["incremental"] = {
                "changed": changed,
                "updated": inc["updated"],
                "fetched": inc["records"],
                "seconds": inc["seconds"],
                "requests": inc["requests"],
                "time_vs_full": round(inc["seconds"] / full["seconds"], 4),
                "requests_vs_full": round(sum(inc["requests"].values()) / sum(full["requests"].values()), 4),
                "failed": inc["failed"],
            }
        if engine:
            result["engine"] = ingest_engine(result["live"]["records"])
        if replay:
            answer = served.ask("replay")
            result["replay"] = _timed(
                served, _ledger(Path(tmp) / "replay", served), full=True, sequential=sequential
            )
            result["replay"]["recorded_answers"] = answer["recorded"]
            result["replay"]["unrecorded_requests"] = served.ask("misses")["misses"]
    _ratios(result)
    return result


def _ratios(result: dict[str, Any]) -> None:
    """Each full sync's records/s against the ingest engine's of this run (the issue's target: >= 0.5)."""
    engine = result.get("engine", {}).get("records_per_s")
    for name in ("live", "replay"):
        if engine and name in result:
            result[name]["vs_engine"] = round(result[name]["records_per_s"] / engine, 3)


def ingest_engine(records: int) -> dict[str, Any]:
    """The ingest benchmark's engine run (bench/ingest.py: the sync engine from an in-memory connector)
    at `records`, in its own process: the baseline the HTTP figures are divided by."""
    done = subprocess.run(
        [sys.executable, "-m", "bench.ingest", "--child", "engine", "--records", str(records)],
        check=True,
        capture_output=True,
        text=True,
        env={**os.environ, "LEDGERBRIDGE_SYNC_WRITER": "auto"},
    )
    run: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return {
        "records": run["records"],
        "seconds": round(run["seconds"], 2),
        "records_per_s": round(run["records"] / run["seconds"]),
        "cpu_us_per_record": {
            "syncing_process": _per_record(run["cpu_seconds"], run["records"]),
            "writer_processes": _per_record(run["writer_cpu_seconds"], run["records"]),
        },
        "peak_rss_mb": round(run["peak_rss_mb"], 1),
        "writer_peak_rss_mb": round(run["writer_peak_rss_mb"], 1),
    }


def _per_record(seconds: float, records: int) -> float:
    return round(seconds * 1e6 / max(records, 1), 1)


def _ledger(directory: Path, served: _Sandboxes) -> Path:
    """A fresh ledger for the sandboxes (what `ledgerbridge demo` sets up); returns its configuration."""
    directory.mkdir()
    config = directory / "ledgerbridge.yaml"
    config.write_text(demo_config(directory, served.zoho, served.fxiaoke, served.credentials, "en"), "utf-8")
    prepare_database(load_config(config).settings, served.credentials, utc_now).dispose()
    return config


def _timed(served: _Sandboxes, config: Path, *, full: bool, sequential: bool) -> dict[str, Any]:
    """One sync in a fresh process (`--sync-child`), and what the server process spent meanwhile."""
    served.ask("reset")
    args = [sys.executable, "-m", "bench.http_sync", "--sync-child", str(config)]
    args += ["--sync-full"] * full + ["--sequential"] * sequential
    server_before = _cpu_seconds(served.pid)
    done = subprocess.run(args, check=True, capture_output=True, text=True)
    server_cpu = _cpu_seconds(served.pid) - server_before
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    requests = served.ask("counts")
    fetched = result["records"]
    result["requests"] = requests
    result["requests_per_record"] = round(sum(requests.values()) / max(fetched, 1), 4)
    result["list_requests_per_record"] = round(
        (sum(requests.values()) - requests["zoho_books_details"]) / max(fetched, 1), 4
    )
    result["server_cpu_seconds"] = round(server_cpu, 2)
    result["cpu_us_per_record"]["server_process"] = _per_record(server_cpu, fetched)
    return result


def sync_child(config: Path, *, full: bool, sequential: bool) -> dict[str, Any]:
    """The timed sync, in this (fresh) process: records/s, CPU per record of this process and of its
    writer processes (its only children), and peak RSS: this process's, the largest writer's own, and
    the most the two together held at once (sampled every 0.1 s from /proc)."""
    settings = load_config(config).settings
    engine = open_engine(settings)
    memory = _MemorySampler().start()
    try:
        cpu_before, started = time.process_time(), time.perf_counter()
        runs = sync_connectors(engine, settings, full=full, sequential=sequential)
        seconds = time.perf_counter() - started
        cpu = time.process_time() - cpu_before
    finally:
        memory.stop()
        engine.dispose()
    fetched = sum(r.fetched for r in runs)
    writers = resource.getrusage(resource.RUSAGE_CHILDREN)
    return {
        "records": fetched,
        "updated": sum(r.updated for r in runs),
        "seconds": round(seconds, 2),
        "records_per_s": round(fetched / seconds),
        "cpu_us_per_record": {
            "syncing_process": _per_record(cpu, fetched),
            "writer_processes": _per_record(writers.ru_utime + writers.ru_stime, fetched),
        },
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "writer_peak_rss_mb": round(memory.writer_peak_kb / 1024, 1),
        "combined_peak_rss_mb": round(memory.combined_peak_kb / 1024, 1),
        "failed": [f"{r.connector}/{r.stream}" for r in runs if not r.ok],
    }


class _MemorySampler:
    """This process's and its children's RSS every 0.1 s. A child's own high-water mark is read from
    /proc (VmHWM) while it lives: `getrusage(RUSAGE_CHILDREN)` would count this process's memory at
    the fork too (Linux carries the forking process's peak into the child's `ru_maxrss`)."""

    def __init__(self) -> None:
        self.writer_peak_kb = 0
        self.combined_peak_kb = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="bench-memory", daemon=True)

    def start(self) -> _MemorySampler:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        me = os.getpid()
        while not self._stop.wait(0.1):
            total = _status_kb(me, "VmRSS")
            for child in _children(me):
                self.writer_peak_kb = max(self.writer_peak_kb, _status_kb(child, "VmHWM"))
                total += _status_kb(child, "VmRSS")
            self.combined_peak_kb = max(self.combined_peak_kb, total)


def _children(pid: int) -> list[int]:
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            found += [int(child) for child in (task / "children").read_text("ascii").split()]
        except OSError:  # the thread ended meanwhile
            continue
    return found


def _status_kb(pid: int, field: str) -> int:
    """A `kB` line of /proc/PID/status (0 once the process is gone)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text("ascii").splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
    except OSError:
        return 0
    return 0


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
        served = _Served(company, sandboxes)
        print(json.dumps({**served.urls, "credentials": asdict(sandboxes.credentials)}), flush=True)
        try:
            for line in sys.stdin:
                command = line.strip()
                if command == "quit":
                    print("{}", flush=True)
                    return
                print(json.dumps(served.answer(command)), flush=True)
        finally:
            for server in served.replaying:
                server.stop()


class _Served:
    """The child's sandboxes and commands. `record` keeps every answer the sandboxes send (until `stop
    recording`); `replay` stops the sandboxes and serves the recorded answers, byte for byte, on the same
    ports (bench/replay.py), counting requests as the sandboxes counted them."""

    def __init__(self, company: DemoCompany, sandboxes: DemoSandboxes) -> None:
        self.company, self.sandboxes = company, sandboxes
        self.servers = {"zoho": sandboxes.zoho.server, "fxiaoke": sandboxes.fxiaoke.server}
        self.urls = {"zoho": sandboxes.zoho.url, "fxiaoke": sandboxes.fxiaoke.url}
        self.recording = Recording()
        self.replaying: list[ReplayServer] = []

    def answer(self, command: str) -> dict[str, Any]:
        if command == "reset":
            self.sandboxes.reset_counts()
            for replay in self.replaying:
                replay.reset_counts()
        elif command == "counts":
            return _requests(self.servers, self.replaying)
        elif command in ("record", "stop recording"):
            for name, server in self.servers.items():
                server.recorder = partial(self.recording.keep, name) if command == "record" else None
        elif command == "replay":
            self.sandboxes.stop()
            answers = self.recording.answers
            self.replaying += [ReplayServer(answers(n), self.urls[n], name=n).start() for n in self.servers]
            return {"recorded": self.recording.count}
        elif command == "misses":
            return {"misses": sum(replay.misses for replay in self.replaying)}
        elif command == "touch":
            return {"changed": touch(self.company, CHANGED_SHARE, random.Random(7))}
        else:
            raise ValueError(f"unknown command {command!r}")
        return {}


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


def _requests(servers: dict[str, SandboxServer], replaying: list[ReplayServer]) -> dict[str, int]:
    """Requests per vendor, and the Books per-record detail reads among them (counted by the sandboxes,
    or by the replay servers once they answer)."""
    counts = {name: server.request_counts for name, server in servers.items()}
    for server in replaying:
        counts[server.name] = server.request_counts
    zoho = counts["zoho"]
    details = sum(n for path, n in zoho.items() if path.count("/") == 4 and path.startswith("/books/v3/"))
    return {
        "zoho_lists": sum(zoho.values()) - details,
        "zoho_books_details": details,
        "fxiaoke": sum(counts["fxiaoke"].values()),
    }


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--records", type=int, nargs="+", default=[100_000])
    parser.add_argument("--json", action="store_true", help="print one JSON document")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument(
        "--sequential", action="store_true", help="one connector and one stream at a time (before issue 18)"
    )
    parser.add_argument(
        "--no-replay", action="store_true", help="only the live sandboxes (no replay of their answers)"
    )
    parser.add_argument(
        "--no-engine", action="store_true", help="no ingest engine run (no ratios against it)"
    )
    parser.add_argument("--serve", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--sync-child", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--sync-full", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(40))
    if args.serve:
        serve(args.serve, args.seed)
        return 0
    if args.sync_child:
        print(json.dumps(sync_child(args.sync_child, full=args.sync_full, sequential=args.sequential)))
        return 0
    sizes = sorted(args.records)
    results = {
        str(n): run(
            n,
            incremental=n == sizes[-1],
            seed=args.seed,
            sequential=args.sequential,
            replay=not args.no_replay,
            engine=not args.no_engine,
        )
        for n in sizes
    }
    if args.json:
        print(json.dumps(results))
        return 0
    for size, result in results.items():
        _print(int(size), result)
    return 0


def _print(size: int, result: dict[str, Any]) -> None:
    engine = result.get("engine")
    if engine:
        print(
            f"{size:>8,} ingest engine: {engine['records_per_s']:,} records/s, CPU us/record "
            f"{engine['cpu_us_per_record']}, peak RSS {engine['peak_rss_mb']} MB "
            f"(writer {engine['writer_peak_rss_mb']} MB)"
        )
    for name, what in (("live", "live sandboxes"), ("replay", "replayed answers")):
        if name not in result:
            continue
        run = result[name]
        versus = f" = {run['vs_engine']:.2f}x the ingest engine" if "vs_engine" in run else ""
        print(
            f"{size:>8,} {what}: {run['records']:,} records in {run['seconds']:.1f} s = "
            f"{run['records_per_s']:,} records/s{versus}; CPU us/record {run['cpu_us_per_record']}; "
            f"peak RSS {run['peak_rss_mb']} MB (largest writer {run['writer_peak_rss_mb']} MB, syncing "
            f"process and writers together {run['combined_peak_rss_mb']} MB); "
            f"{run['requests_per_record']:.4f} requests/record (list pages alone "
            f"{run['list_requests_per_record']:.4f}) {run['requests']}"
        )
    if "replay" in result and result["replay"]["unrecorded_requests"]:
        print(f"          replay: {result['replay']['unrecorded_requests']} requests were never recorded")
    if "incremental" in result:
        inc = result["incremental"]
        print(
            f"          1% changed ({inc['changed']:,}): {inc['seconds']:.2f} s "
            f"({inc['time_vs_full']:.1%} of full), {sum(inc['requests'].values()):,} requests "
            f"({inc['requests_vs_full']:.1%} of full)"
        )


if __name__ == "__main__":
    raise SystemExit(main())
