"""Ingest benchmark: the sync engine writing generated records into SQLite, against raw executemany.

    python -m bench.ingest [--records 100000] [--json]

Three runs, each in a fresh process and a fresh SQLite file:
1. the engine syncs N generated invoices (2 lines each) from an in-memory connector whose normalizer
   works like a vendor's (raw JSON-ish mapping -> CanonicalDocument): fetch, normalize, hash, upsert
   with revisions, cursor — one transaction per page;
2. the same for N/2 records, to show that peak memory does not grow with the record count;
3. the ceiling: sqlite3 `executemany` of the very same `documents` rows (prebuilt tuples) into the same
   schema, nothing else.
Prints records/s for the engine and the ceiling, their ratio, and the peak RSS of runs 1 and 2.
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
import time
from collections.abc import Iterator, Mapping, Sequence
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


def engine_run(count: int) -> dict[str, Any]:
    """Child process: sync `count` records through the engine; report time and peak RSS."""
    import logging

    import structlog

    from sync.engine import SyncEngine

    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING))
    with tempfile.TemporaryDirectory() as tmp:
        engine, _ = _fresh_database(Path(tmp), "engine.db")
        sync = SyncEngine(engine, lambda: datetime.now(UTC))
        started, cpu = time.perf_counter(), time.process_time()
        [result] = sync.run_connector(GeneratedConnector(count))
        elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
        engine.dispose()
    if result.created != count:
        raise SystemExit(f"engine run created {result.created} of {count} documents")
    return {"records": count, "seconds": elapsed, "cpu_seconds": cpu, "peak_rss_mb": _peak_rss_mb()}


def ceiling_run(count: int) -> dict[str, Any]:
    """Child process: raw sqlite3 executemany of the same documents rows, one transaction per page."""
    from store.db import is_sqlite
    from store.rows import DOCUMENT_COLUMNS, RowEncoder
    from store.tables import documents

    stream = GeneratedStream(count, "bench")
    with tempfile.TemporaryDirectory() as tmp:
        engine, path = _fresh_database(Path(tmp), "ceiling.db")
        assert is_sqlite(engine)
        assert documents.name == "documents"
        engine.dispose()
        encode = RowEncoder(sqlite=True)
        now = encode.moment(datetime.now(UTC))
        rows = [
            (
                *encode.document(
                    stream.normalize(raw_record(n)),
                    stream="invoices",
                    payload_hash="0" * 64,
                    revision=1,
                    run_id=1,
                    now=now,
                ),
                now,
            )
            for n in range(count)
        ]
        connection = sqlite3.connect(path, isolation_level=None)
        connection.execute("PRAGMA journal_mode=WAL")
        connection.execute("PRAGMA synchronous=NORMAL")
        statement = encode.insert("documents", (*DOCUMENT_COLUMNS, "created_at"))
        started, cpu = time.perf_counter(), time.process_time()
        for start in range(0, count, PAGE_SIZE):
            connection.execute("BEGIN IMMEDIATE")
            connection.executemany(statement, rows[start : start + PAGE_SIZE])
            connection.execute("COMMIT")
        elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
        connection.close()
    return {"records": count, "seconds": elapsed, "cpu_seconds": cpu}


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _child(mode: str, count: int) -> dict[str, Any]:
    output = subprocess.run(
        [sys.executable, "-m", "bench.ingest", "--child", mode, "--records", str(count)],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    result: dict[str, Any] = json.loads(output.strip().splitlines()[-1])
    return result


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--json", action="store_true", help="print one JSON document")
    parser.add_argument("--child", choices=["engine", "ceiling"], help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        run = engine_run if args.child == "engine" else ceiling_run
        print(json.dumps(run(args.records)))
        return 0
    full = _child("engine", args.records)
    half = _child("engine", args.records // 2)
    ceiling = _child("ceiling", args.records)
    engine_rate = full["records"] / full["seconds"]
    ceiling_rate = ceiling["records"] / ceiling["seconds"]
    report = {
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
        f"SQLite {sqlite3.sqlite_version}",
        "records": args.records,
        "engine_records_per_s": round(engine_rate),
        "ceiling_records_per_s": round(ceiling_rate),
        "ratio": round(engine_rate / ceiling_rate, 3),
        "engine_records_per_cpu_s": round(full["records"] / full["cpu_seconds"]),
        "ceiling_records_per_cpu_s": round(ceiling["records"] / ceiling["cpu_seconds"]),
        "peak_rss_mb": {
            str(half["records"]): round(half["peak_rss_mb"], 1),
            str(full["records"]): round(full["peak_rss_mb"], 1),
        },
        "targets_met": engine_rate >= 20_000 and engine_rate / ceiling_rate >= 0.20,
    }
    if args.json:
        print(json.dumps(report, ensure_ascii=False))
    else:
        print(f"ingest benchmark — {report['machine']}")
        print(
            f"  engine : {engine_rate:>10,.0f} records/s  "
            f"({args.records:,} records in {full['seconds']:.2f} s)"
        )
        print(
            f"  ceiling: {ceiling_rate:>10,.0f} records/s  "
            "(raw sqlite3 executemany of the same document rows)"
        )
        print(f"  ratio  : {engine_rate / ceiling_rate:>10.1%}  (target >= 20%, and >= 20,000 records/s)")
        print(
            f"  per CPU-second (less sensitive to a busy machine): engine "
            f"{report['engine_records_per_cpu_s']:,}, ceiling {report['ceiling_records_per_cpu_s']:,}"
        )
        for count, rss in report["peak_rss_mb"].items():
            print(f"  peak RSS syncing {int(count):>7,} records: {rss:,.1f} MB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
