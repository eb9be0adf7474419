"""Ingest benchmark: the sync engine writing generated records into SQLite, against raw executemany.

    python -m bench.ingest [--records 100000] [--postgres ADMIN_URL] [--json]

Runs, each in a fresh process and a fresh SQLite file:
1. engine: the sync engine syncs N generated invoices (2 lines each) from an in-memory connector whose
   normalizer works like a vendor's (raw JSON-ish mapping -> CanonicalDocument): fetch, normalize,
   hash, upsert with revisions, cursor — one transaction per page, as `sync run` does (a writer process
   takes the writes over after the first pages: sync/page_writer.py);
2. the same with every write in the syncing process (`LEDGERBRIDGE_SYNC_WRITER=inline`), for comparison;
3. the engine for N/2 records, to show that peak memory does not grow with the record count;
4. the ceiling: sqlite3 `executemany` of the very same rows the engine writes — documents, their lines
   and their revisions, prebuilt as tuples, with the engine's own statements — one transaction per
   page, nothing else; and, for comparison with earlier figures, of the documents rows alone.
Prints records/s of each, the ratios, and the peak RSS of runs 1 and 3. `--postgres ADMIN_URL` adds
runs 1 and 2 into a database created for the purpose on that PostgreSQL server (dropped after), each
right after its SQLite twin, and the ratio of PostgreSQL's records/s to SQLite's in this run (target
>= 90%: pages written with COPY, ADR 0031), and what each process spent per record in CPU: the syncing
process, the writer and — a server on this machine — the PostgreSQL backends they used (from /proc).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

PAGE_SIZE = 1000
T0 = datetime(2026, 1, 1, tzinfo=UTC)


def raw_record(number: int) -> dict[str, Any]:
    """A vendor-style invoice as parsed from JSON (amounts already Decimal, as parse_json gives them)."""
    price = Decimal(number % 997) + Decimal("0.25")
    return {
        "invoice_id": f"{4150868000000000000 + number}",
        "invoice_number": f"INV-{number:07d}",
        "customer_id": f"C{number % 500}",
        "customer_name": f"客户 {number % 500}",
        "salesperson_name": "王芳",
        "date": "2026-03-01",
        "due_date": "2026-03-31",
        "currency_code": "CNY",
        "sub_total": price * 2,
        "tax_total": Decimal("0.00"),
        "total": price * 2,
        "balance": price,
        "status": "partially_paid",
        "last_modified_time": (T0 + timedelta(seconds=number)).isoformat(),
        "line_items": [
            {"name": "Widget", "sku": "W-1", "quantity": Decimal(1), "rate": price, "item_total": price},
            {"name": "Gadget", "sku": "G-1", "quantity": Decimal(1), "rate": price, "item_total": price},
        ],
    }


def _statuses() -> dict[str, Any]:
    from store.canonical import Status

    return {"partially_paid": Status.PARTIALLY_PAID, "paid": Status.PAID, "sent": Status.OPEN}


_STATUS = _statuses()


class GeneratedStream:
    """An ordered in-memory stream that generates its records page by page (never all at once)."""

    name = "invoices"
    ordered = True

    def __init__(self, count: int, source: str) -> None:
        self._count = count
        self._source = source

    @property
    def kind(self) -> Any:
        from store.canonical import DocumentKind

        return DocumentKind.INVOICE

    def pages(self, since: datetime | None) -> Iterator[Any]:
        from connectors.base import Page

        for start in range(0, self._count, PAGE_SIZE):
            yield Page(records=[raw_record(n) for n in range(start, min(start + PAGE_SIZE, self._count))])

    def normalize(self, raw: Mapping[str, Any]) -> Any:
        """Like a vendor normalizer: map fields, then one strict validation of the whole document."""
        from store.canonical import CanonicalDocument

        return CanonicalDocument.model_validate(
            {
                "source": self._source,
                "kind": self.kind,
                "external_id": raw["invoice_id"],
                "number": raw["invoice_number"],
                "party": {"external_id": raw["customer_id"], "name": raw["customer_name"]},
                "owner": raw["salesperson_name"],
                "issued_on": date.fromisoformat(raw["date"]),
                "due_on": date.fromisoformat(raw["due_date"]),
                "currency": raw["currency_code"],
                "subtotal": raw["sub_total"],
                "tax": raw["tax_total"],
                "total": raw["total"],
                "balance": raw["balance"],
                "status": _STATUS[raw["status"]],
                "raw_status": raw["status"],
                "lines": tuple(
                    {
                        "product": item["name"],
                        "sku": item["sku"],
                        "quantity": item["quantity"],
                        "unit_price": item["rate"],
                        "amount": item["item_total"],
                    }
                    for item in raw["line_items"]
                ),
                "source_modified_at": datetime.fromisoformat(raw["last_modified_time"]),
            }
        )


class GeneratedConnector:
    name = "bench"

    def __init__(self, count: int) -> None:
        self._stream = GeneratedStream(count, self.name)

    def streams(self) -> Mapping[str, Any]:
        return {self._stream.name: self._stream}

    def check(self) -> Sequence[Any]:
        return []

    def close(self) -> None:
        """Nothing to release."""


def _fresh_database(directory: Path, name: str) -> tuple[Any, Path]:
    from store.db import make_engine, upgrade

    path = directory / name
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    return engine, path


def engine_run(count: int, postgres: str | None = None) -> dict[str, Any]:
    """Child process: sync `count` records through the engine (into a fresh SQLite file, or a fresh
    database on the PostgreSQL server `postgres`); report time and peak RSS."""
    import logging

    import structlog

    from sync.engine import SyncEngine

    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING))
    with _fresh_ledger(postgres) as engine:
        sync = SyncEngine(engine, lambda: datetime.now(UTC))
        started, cpu = time.perf_counter(), time.process_time()
        [result] = sync.run_connector(GeneratedConnector(count))
        elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
    if result.created != count:
        raise SystemExit(f"engine run created {result.created} of {count} documents")
    writer = resource.getrusage(resource.RUSAGE_CHILDREN)
    return {
        "records": count,
        "seconds": elapsed,
        "cpu_seconds": cpu,
        "writer_cpu_seconds": writer.ru_utime + writer.ru_stime,
        "peak_rss_mb": _peak_rss_mb(),
        "writer_peak_rss_mb": writer.ru_maxrss / 1024,
    }


@contextmanager
def _fresh_ledger(postgres: str | None) -> Iterator[Any]:
    """An upgraded, empty ledger: a SQLite file in a temporary directory, or a database created for the
    run on the PostgreSQL server of `postgres` (an admin URL) and dropped after it."""
    if postgres is None:
        with tempfile.TemporaryDirectory() as tmp:
            engine, _ = _fresh_database(Path(tmp), "engine.db")
            try:
                yield engine
            finally:
                engine.dispose()
        return
    import psycopg
    from sqlalchemy.engine import make_url

    from store.db import make_engine, normalize_url, upgrade

    name = f"ledgerbridge_bench_{os.getpid()}"
    admin = make_url(normalize_url(postgres))
    server = admin.set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(server, autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}")
    engine = make_engine(admin.set(database=name).render_as_string(hide_password=False))
    try:
        upgrade(engine)
        yield engine
    finally:
        engine.dispose()
        with psycopg.connect(server, autocommit=True) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def ceiling_run(count: int) -> dict[str, Any]:
    """Child process: raw sqlite3 executemany of the rows the engine writes, one transaction per page;
    then of the documents rows alone into a second fresh file."""
    from store.codec import DOCUMENT_COLUMNS, LINE_COLUMNS, REVISION_COLUMNS, RowEncoder, document_row
    from store.db import is_sqlite
    from store.repository import page_records
    from store.runs import SqlSyncLog
    from sync.engine import normalize_page

    stream = GeneratedStream(count, "bench")
    encode = RowEncoder(sqlite=True)
    now = encode.moment(datetime.now(UTC))
    pages: list[tuple[list[tuple[Any, ...]], list[tuple[Any, ...]], list[tuple[Any, ...]]]] = []
    doc_id = 0
    for page in stream.pages(None):
        incoming, _, _ = normalize_page("bench", stream, page)
        docs: list[tuple[Any, ...]] = []
        lines: list[tuple[Any, ...]] = []
        revisions: list[tuple[Any, ...]] = []
        for record in page_records(incoming):
            doc_id += 1
            item = encode.encode(record, "invoices")
            row = document_row(
                item.head, deleted=0, revision=1, payload_hash=item.payload_hash, run_id=1, now=now
            )
            docs.append((*row, now, doc_id))
            lines.extend((doc_id, position, *line) for position, line in enumerate(item.lines))
            revisions.append((doc_id, 1, "created", 1, item.payload_hash, item.raw_json, item.snapshot, now))
        pages.append((docs, lines, revisions))
    statements = (
        encode.insert("documents", (*DOCUMENT_COLUMNS, "created_at", "id")),
        encode.insert("document_lines", LINE_COLUMNS),
        encode.insert("revisions", REVISION_COLUMNS, utf8=("raw_payload", "snapshot")),
    )
    timings = {}
    with tempfile.TemporaryDirectory() as tmp:
        for name, tables in (("all_rows", 3), ("documents_only", 1)):
            engine, path = _fresh_database(Path(tmp), f"{name}.db")
            assert is_sqlite(engine)
            SqlSyncLog(engine).start("bench", "invoices", mode="full", since=None, now=datetime.now(UTC))
            engine.dispose()
            connection = sqlite3.connect(path, isolation_level=None)
            for pragma in ("journal_mode=WAL", "synchronous=NORMAL", "foreign_keys=ON"):  # as store.db
                connection.execute(f"PRAGMA {pragma}")
            started, cpu = time.perf_counter(), time.process_time()
            for page_rows in pages:
                connection.execute("BEGIN IMMEDIATE")
                for statement, rows in list(zip(statements, page_rows, strict=True))[:tables]:
                    connection.executemany(statement, rows)
                connection.execute("COMMIT")
            timings[name] = (time.perf_counter() - started, time.process_time() - cpu)
            connection.close()
    return {
        "records": count,
        "seconds": timings["all_rows"][0],
        "cpu_seconds": timings["all_rows"][1],
        "documents_only_seconds": timings["documents_only"][0],
        "documents_only_cpu_seconds": timings["documents_only"][1],
    }


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _child(mode: str, count: int, postgres: str | None = None, **environment: str) -> dict[str, Any]:
    """Run a child; with `postgres`, also the CPU seconds of the server backends it connected (below)."""
    extra = ["--postgres", postgres] if postgres else []
    with subprocess.Popen(
        [sys.executable, "-m", "bench.ingest", "--child", mode, "--records", str(count), *extra],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, **environment},
    ) as process:
        backends = _BackendCpu(f"ledgerbridge_bench_{process.pid}") if postgres else None
        output, errors = process.communicate()
        if backends is not None:
            backends.stop()
    if process.returncode:
        raise SystemExit(f"bench.ingest --child {mode} failed:\n{errors}")
    result: dict[str, Any] = json.loads(output.strip().splitlines()[-1])
    if backends is not None:
        result["server_cpu_seconds"] = backends.seconds()
    return result


class _BackendCpu:
    """The CPU seconds of the local PostgreSQL server's backends connected to `database` (the syncing
    process's and the writer's), read from /proc every 50 ms by a thread of this (unmeasured) parent
    process: a backend's last reading before it exits is kept, so up to 50 ms a backend can be missed.
    Zero if the server is not on this machine (its processes are not in /proc)."""

    def __init__(self, database: str) -> None:
        self._marker = f" {database} ".encode()
        self._latest: dict[int, float] = {}
        self._done = threading.Event()
        self._tick = os.sysconf("SC_CLK_TCK")
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()

    def _sample(self) -> None:
        others: set[int] = set()
        while not self._done.wait(0.05):
            for entry in os.scandir("/proc"):
                if not entry.name.isdigit() or int(entry.name) in others:
                    continue
                pid = int(entry.name)
                try:
                    if pid not in self._latest:
                        with open(f"/proc/{pid}/cmdline", "rb") as handle:
                            title = handle.read()
                        if self._marker not in title:
                            # a new backend shows the postmaster's command line until it has logged in
                            if b"postgres" not in title or title.startswith(b"postgres:"):
                                others.add(pid)
                            continue
                    with open(f"/proc/{pid}/stat") as handle:
                        fields = handle.read().rsplit(")", 1)[1].split()
                    self._latest[pid] = (int(fields[11]) + int(fields[12])) / self._tick
                except OSError:  # gone meanwhile
                    continue

    def stop(self) -> None:
        self._done.set()
        self._thread.join()

    def seconds(self) -> float:
        return sum(self._latest.values())


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--json", action="store_true", help="print one JSON document")
    parser.add_argument(
        "--postgres",
        metavar="ADMIN_URL",
        help="also sync into a database created for the run on this PostgreSQL server (and dropped)",
    )
    parser.add_argument("--child", choices=["engine", "ceiling"], help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        result = (
            engine_run(args.records, args.postgres) if args.child == "engine" else ceiling_run(args.records)
        )
        print(json.dumps(result))
        return 0
    postgres: dict[str, dict[str, Any]] = {}
    full = _child("engine", args.records, LEDGERBRIDGE_SYNC_WRITER="auto")
    if args.postgres:  # each PostgreSQL run next to its SQLite twin: the same load on the machine
        postgres["auto"] = _child("engine", args.records, args.postgres, LEDGERBRIDGE_SYNC_WRITER="auto")
    inline = _child("engine", args.records, LEDGERBRIDGE_SYNC_WRITER="inline")
    if args.postgres:
        postgres["inline"] = _child("engine", args.records, args.postgres, LEDGERBRIDGE_SYNC_WRITER="inline")
    half = _child("engine", args.records // 2, LEDGERBRIDGE_SYNC_WRITER="auto")
    ceiling = _child("ceiling", args.records)
    report = _report(args.records, full, inline, half, ceiling)
    if postgres:
        report["postgres"] = _postgres_report(report, postgres, full)
    if args.json:
        print(json.dumps(report, ensure_ascii=False))
    else:
        _print(report)
    return 0


def _report(
    records: int, full: dict[str, Any], inline: dict[str, Any], half: dict[str, Any], ceiling: dict[str, Any]
) -> dict[str, Any]:
    engine_rate = full["records"] / full["seconds"]
    ceiling_rate = ceiling["records"] / ceiling["seconds"]
    documents_rate = ceiling["records"] / ceiling["documents_only_seconds"]
    return {
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
        f"SQLite {sqlite3.sqlite_version}",
        "records": records,
        "engine_records_per_s": round(engine_rate),
        "inline_records_per_s": round(inline["records"] / inline["seconds"]),
        "ceiling_records_per_s": round(ceiling_rate),
        "ratio": round(engine_rate / ceiling_rate, 3),
        "documents_only_ceiling_records_per_s": round(documents_rate),
        "ratio_to_documents_only": round(engine_rate / documents_rate, 3),
        "engine_cpu_seconds": {
            "syncing_process": round(full["cpu_seconds"], 2),
            "writer_process": round(full["writer_cpu_seconds"], 2),
        },
        "peak_rss_mb": {
            str(half["records"]): round(half["peak_rss_mb"], 1),
            str(full["records"]): round(full["peak_rss_mb"], 1),
        },
        "writer_peak_rss_mb": {
            str(half["records"]): round(half["writer_peak_rss_mb"], 1),
            str(full["records"]): round(full["writer_peak_rss_mb"], 1),
        },
        "targets_met": engine_rate >= 20_000 and engine_rate / ceiling_rate >= 0.20,
    }


def _postgres_report(
    sqlite: dict[str, Any], runs: dict[str, dict[str, Any]], sqlite_run: dict[str, Any]
) -> dict[str, Any]:
    rate = {mode: run["records"] / run["seconds"] for mode, run in runs.items()}
    ratio = rate["auto"] / sqlite["engine_records_per_s"]
    return {
        "auto": round(rate["auto"]),
        "inline": round(rate["inline"]),
        "ratio_to_sqlite": round(ratio, 3),
        "inline_ratio_to_sqlite": round(rate["inline"] / sqlite["inline_records_per_s"], 3),
        "cpu_seconds": {
            "syncing_process": round(runs["auto"]["cpu_seconds"], 2),
            "writer_process": round(runs["auto"]["writer_cpu_seconds"], 2),
            "server_backends": round(runs["auto"]["server_cpu_seconds"], 2),
        },
        "cpu_us_per_record": _cpu_per_record(runs["auto"]),
        "sqlite_cpu_us_per_record": _cpu_per_record(sqlite_run),
        "peak_rss_mb": round(runs["auto"]["peak_rss_mb"], 1),
        "target_met": ratio >= 0.9,
    }


def _cpu_per_record(run: dict[str, Any]) -> dict[str, float]:
    """CPU microseconds per record of each process of an engine run (the server's: PostgreSQL only),
    and their sum: on a loaded machine a steadier comparison than records/s."""
    parts = {
        "syncing_process": run["cpu_seconds"],
        "writer_process": run["writer_cpu_seconds"],
        "server_backends": run.get("server_cpu_seconds", 0.0),
    }
    per_record = {name: round(seconds / run["records"] * 1e6, 1) for name, seconds in parts.items()}
    per_record["total"] = round(sum(parts.values()) / run["records"] * 1e6, 1)
    return per_record


def _print(report: dict[str, Any]) -> None:
    records = report["records"]
    print(f"ingest benchmark — {report['machine']}")
    print(f"  engine          : {report['engine_records_per_s']:>8,} records/s  ({records:,} records)")
    print(f"  engine, inline  : {report['inline_records_per_s']:>8,} records/s  (no writer process)")
    print(
        f"  ceiling         : {report['ceiling_records_per_s']:>8,} records/s  "
        "(raw executemany of the same rows: documents, lines, revisions)"
    )
    print(f"  ratio           : {report['ratio']:>8.1%}  (target >= 20%, and >= 20,000 records/s)")
    print(
        f"  documents only  : {report['documents_only_ceiling_records_per_s']:>8,} records/s  "
        f"(raw executemany of the documents rows alone; engine at {report['ratio_to_documents_only']:.1%})"
    )
    cpu = report["engine_cpu_seconds"]
    print(f"  engine CPU      : {cpu['syncing_process']} s syncing process, {cpu['writer_process']} s writer")
    for count, rss in report["peak_rss_mb"].items():
        writer = report["writer_peak_rss_mb"][count]
        print(f"  peak RSS syncing {int(count):>7,} records: {rss:,.1f} MB (writer process {writer:,.1f} MB)")
    if "postgres" in report:
        postgres = report["postgres"]
        print(
            f"  PostgreSQL      : {postgres['auto']:>8,} records/s  "
            f"(engine into a fresh database; {postgres['inline']:,} without the writer process)"
        )
        for label, key in (("SQLite", "sqlite_cpu_us_per_record"), ("PostgreSQL", "cpu_us_per_record")):
            cpu = postgres[key]
            print(
                f"  {label + ' CPU':<16}: {cpu['total']:>6.1f} µs/record = syncing "
                f"{cpu['syncing_process']} + writer {cpu['writer_process']} + server {cpu['server_backends']}"
            )
        met = "met" if postgres["target_met"] else "NOT met"
        print(
            f"  PostgreSQL/SQLite: {postgres['ratio_to_sqlite']:>7.1%}  (target >= 90%: {met}; without the "
            f"writer process {postgres['inline_ratio_to_sqlite']:.1%})"
        )
    print(f"  targets met     : {'yes' if report['targets_met'] else 'NO'} (SQLite)")


if __name__ == "__main__":
    raise SystemExit(main())
