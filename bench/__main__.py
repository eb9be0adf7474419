"""Every benchmark, one table: `python -m bench` (or `make bench`).

    python -m bench [--quick] [--million] [--json]

Runs, each in its own process so none inherits another's memory:
- ingest (bench/ingest.py): the sync engine writing 100,000 records, against raw sqlite3 executemany
  of the same rows (and of the documents rows alone), and against itself without the writer process;
- reconcile (bench/reconcile.py): its default sizes (10k and 100k a side; --million adds 1M), against
  the pandas merge an analyst would script;
- collections (bench/collections.py): 10,000 payments against 10,000 bank lines through a collections
  rule (issue 21), against the reconcile benchmark's 10,000 x 10,000 of this same run (its budget);
- end-to-end HTTP sync (bench/http_sync.py): 100,000 records from the sandboxes over loopback, then the
  same sync from their recorded answers replayed by a minimal server; records/s of each against the
  ingest engine's records/s at that size in this same run, CPU per record of each process, peak RSS;
  requests per record against the list pages alone; then 1% changed: the incremental sync against the
  full one.
--quick uses small sizes (a smoke run, minutes less; not for docs/performance.md).
Every figure is printed next to its baseline from the same run, as a ratio.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

Row = tuple[str, str, str, str, str]


def machine() -> dict[str, Any]:
    """nproc, CPU model, RAM, Python: what docs/performance.md records with the table."""
    cpu = "unknown"
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text(encoding="utf-8", errors="replace").splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    ram_gb = None
    meminfo = Path("/proc/meminfo")
    if meminfo.exists():
        for line in meminfo.read_text(encoding="utf-8").splitlines():
            if line.startswith("MemTotal:"):
                ram_gb = round(int(line.split()[1]) / 1024 / 1024, 1)
    return {
        "nproc": os.cpu_count(),
        "cpu": cpu,
        "ram_gb": ram_gb,
        "python": platform.python_version(),
        "platform": platform.platform(),
        "load_average": [round(x, 2) for x in os.getloadavg()] if hasattr(os, "getloadavg") else None,
    }


def _run(module: str, *args: str) -> dict[str, Any]:
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", module, "--json", *args], check=False, capture_output=True, text=True
    )
    if done.returncode != 0:
        return {"error": (done.stderr.strip().splitlines() or ["failed"])[-1]}
    result: dict[str, Any] = json.loads(done.stdout)
    result["wall_seconds"] = round(time.perf_counter() - started, 1)
    return result


def _ratio(value: float, baseline: float) -> str:
    return f"{value / baseline:.2f}x" if baseline else "-"


def rows(results: dict[str, Any]) -> list[Row]:
    """(benchmark, figure, value, baseline, ratio) for the table."""
    table: list[Row] = []
    ingest = results.get("ingest", {})
    engine_rate = ingest.get("engine_records_per_s")
    if engine_rate:
        baselines = (
            ("ceiling_records_per_s", "raw executemany, same rows"),
            ("documents_only_ceiling_records_per_s", "raw executemany, documents rows only"),
            ("inline_records_per_s", "engine, no writer process"),
        )
        for key, what in baselines:
            if baseline := ingest.get(key):
                table.append(
                    (
                        f"ingest {ingest['records']:,} records",
                        "records/s (engine)",
                        f"{engine_rate:,}",
                        f"{baseline:,} ({what})",
                        _ratio(engine_rate, baseline),
                    )
                )
    elif "error" in ingest:
        table.append(("ingest", "failed", ingest["error"], "", ""))
    reconcile = results.get("reconcile", {})
    for run in reconcile.get("results", []):
        ours, theirs = run["ours"]["seconds"], run["baseline"]["seconds"]
        exact = "all planted found" if run.get("planted_found_exactly") else "planted NOT all found"
        table.append(
            (
                f"reconcile {run['n']:,} x {run['n']:,}",
                f"seconds ({exact})",
                f"{ours:.2f}",
                f"{theirs:.2f} (pandas merge)",
                _ratio(ours, theirs),
            )
        )
    if "error" in reconcile:
        table.append(("reconcile", "failed", reconcile["error"], "", ""))
    table += _collections_rows(results.get("collections", {}), reconcile.get("results", []))
    http = results.get("http_sync", {})
    for size, run in (item for item in http.items() if item[0] not in ("error", "wall_seconds")):
        table += _http_rows(int(size), run, engine_rate)
    if "error" in http:
        table.append(("HTTP sync", "failed", http["error"], "", ""))
    return table


def _collections_rows(collections: dict[str, Any], reconciled: list[dict[str, Any]]) -> list[Row]:
    """Each collections size against the reconcile run of the same size (the budget), when there is one."""
    table: list[Row] = []
    budgets = {run["n"]: run["ours"]["seconds"] for run in reconciled}
    for run in collections.get("results", []):
        n, ours = run["n"], run["ours"]["seconds"]
        exact = "all planted found" if run.get("planted_found_exactly") else "planted NOT all found"
        budget = budgets.get(n)
        table.append(
            (
                f"collections {n:,} x {n:,}",
                f"seconds ({exact}; cpu {run['ours']['cpu_seconds']:.2f})",
                f"{ours:.2f}",
                f"{budget:.2f} (reconcile {n:,} x {n:,})" if budget else "-",
                _ratio(ours, budget) if budget else "-",
            )
        )
    if "error" in collections:
        table.append(("collections", "failed", collections["error"], "", ""))
    return table


def _http_rows(size: int, run: dict[str, Any], fallback_engine_rate: int | None) -> list[Row]:
    """The HTTP sync's rows: live sandboxes and replayed answers, each against the ingest engine run by
    bench.http_sync itself at the same size (the ingest benchmark's rate when it ran none)."""
    table: list[Row] = []
    engine = run.get("engine", {}).get("records_per_s") or fallback_engine_rate
    live = run["live"]
    requests = live["requests"]
    total = sum(requests.values())
    lists = total - requests.get("zoho_books_details", 0)
    for name, what in (("live", "live sandboxes"), ("replay", "replayed answers")):
        if name not in run:
            continue
        sync = run[name]
        label = f"HTTP sync {size:,} ({sync['records']:,} records), {what}"
        table.append(
            (
                label,
                "records/s",
                f"{sync['records_per_s']:,}",
                f"{engine:,} (ingest engine, same size)" if engine else "-",
                _ratio(sync["records_per_s"], engine) if engine else "-",
            )
        )
        cpu = sync["cpu_us_per_record"]
        table.append(
            (
                label,
                "CPU us/record: syncing / writers / server",
                f"{cpu['syncing_process']} / {cpu['writer_processes']} / {cpu['server_process']}",
                "",
                "",
            )
        )
        table.append(
            (
                label,
                "peak RSS MB (syncing process)",
                f"{sync['peak_rss_mb']:,} (largest writer {sync['writer_peak_rss_mb']:,}; "
                f"together {sync['combined_peak_rss_mb']:,})",
                "250 (target)",
                _ratio(sync["peak_rss_mb"], 250),
            )
        )
    table.append(
        (
            f"HTTP sync {size:,}",
            "API requests/record",
            f"{live['requests_per_record']:.4f} ({total:,})",
            f"{lists / live['records']:.4f} (list pages only)",
            _ratio(total, lists),
        )
    )
    inc = run.get("incremental")
    if inc:
        inc_total = sum(inc["requests"].values())
        label = f"incremental, 1% changed ({inc['changed']:,})"
        full_seconds = f"{live['seconds']:.2f} (full sync)"
        table.append((label, "seconds", f"{inc['seconds']:.2f}", full_seconds, f"{inc['time_vs_full']:.3f}x"))
        full_requests = f"{total:,} (full sync)"
        table.append(
            (label, "API requests", f"{inc_total:,}", full_requests, f"{inc['requests_vs_full']:.3f}x")
        )
    return table


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes: a smoke run")
    parser.add_argument("--million", action="store_true", help="reconcile 1,000,000 a side too")
    parser.add_argument("--json", action="store_true", help="print one JSON document")
    args = parser.parse_args(argv)
    before = machine()
    results: dict[str, Any] = {"machine": before}
    records = ["2000"] if args.quick else ["100000"]
    results["ingest"] = _run("bench.ingest", "--records", *records)
    sizes = "2000,20000" if args.quick else "10000,100000"
    results["reconcile"] = _run("bench.reconcile", "--sizes", sizes, *(["--million"] if args.million else []))
    results["collections"] = _run("bench.collections", "--sizes", "2000" if args.quick else "10000")
    http_sizes = ["5000"] if args.quick else ["100000"]
    results["http_sync"] = _run("bench.http_sync", "--records", *http_sizes)
    results["load_average_after"] = machine()["load_average"]
    if args.json:
        print(json.dumps(results, indent=2))
        return 0
    print(
        f"ledgerbridge benchmarks — {before['nproc']} x {before['cpu']}, {before['ram_gb']} GB RAM, "
        f"Python {before['python']} (load average before {before['load_average']}, "
        f"after {results['load_average_after']})"
    )
    table = [("benchmark", "figure", "value", "baseline (same run)", "ratio"), *rows(results)]
    widths = [max(len(row[i]) for row in table) for i in range(5)]
    for n, row in enumerate(table):
        print(" | ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)))
        if n == 0:
            print("-+-".join("-" * width for width in widths))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
