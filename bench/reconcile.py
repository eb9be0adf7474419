"""Reconcile benchmark: N x N invoices with 2% planted discrepancies, end to end, against a pandas baseline.

    python -m bench.reconcile [--sizes 10000,100000] [--million] [--json]

Per size, in a fresh process and a fresh SQLite file (setup not timed): N CRM invoices and N books
invoices (2 lines each) are written with raw executemany. Like real documents they carry their total's
components (discount, shipping, adjustment, rounding, whether tax is inclusive): known on 90% of them
(zero, tax exclusive: the identity holds, nothing to audit) and unknown on 10% (5% all five unknown, as
a document synced before the store kept them; 5% tax inclusiveness unknown), so the audit plan runs
both its paths: a clean document passes its cheap filter, a document with an unknown component has
its skips counted (`total_not_subtotal_plus_tax`, `discount_above_limit`), and neither is a finding.
Then, timed:
1. ours: `reconcile run` of one match rule with the global audit checks — load both sides from SQL,
   match (exact keys, scored candidates with their one best assignment, aggregates, comparison), save
   the run, its N matches (with the scored pairs' "why") and its exceptions in one transaction; then
   the implicit audit plan of the rule's global checks over both sides (reading the rows the rule
   read; its findings and skips are reported); peak RSS of the process is reported;
2. the baseline an analyst would script: pandas reads both sides, normalizes the number, merges
   outer on it and compares the amounts (no fuzzy pass, no audit, nothing saved).
Reports seconds per phase, the ratio to the baseline, whether every planted finding was found, and
the growth of our time over a 10x larger input next to n log n.
"""

from __future__ import annotations

import argparse
import itertools
import json
import math
import os
import random
import resource
import sqlite3
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from bench import in_fresh_process

LEFT, RIGHT = "crm", "books"
PLANT_RATE = 0.02
NOW = datetime(2026, 11, 27, 8, 0, tzinfo=UTC)
_DOC_COLUMNS = (
    "id, source, kind, external_id, stream, number, party_external_id, party_name, owner, issued_on, "
    "due_on, currency, subtotal, tax, total, balance, status, refs, deleted, revision, payload_hash, "
    "created_at, updated_at, discount, shipping, adjustment, rounding, tax_inclusive"
)
UNKNOWN_EVERY = 20
"""Of every 20 documents of a side, one has all five total components unknown, one its tax inclusiveness."""
_PLANTS = ("missing_in_right", "missing_in_left", "amount_mismatch", "formatting", "fuzzy")
"""Each takes a fifth of the 2%; `formatting` and `fuzzy` are traps that must NOT be flagged."""


def _documents(n: int, seed: int) -> Iterator[tuple[tuple[Any, ...], ...]]:
    """Yields, per deal, the document rows of both sides (0, 1 or 2 rows); ids are assigned later."""
    rng = random.Random(seed)
    every = int(1 / PLANT_RATE)
    for i in range(n):
        plant = _PLANTS[(i // every) % len(_PLANTS)] if i % every == 0 else None
        subtotal = rng.randrange(10_000, 50_000_000) * 100
        tax = subtotal // 100 * 13
        total = subtotal + tax
        issued = date(2026, 1, 1) + timedelta(days=rng.randrange(365))
        party = f"客户{i % 50_000:05d}贸易有限公司"
        number = f"INV-{i:08d}"
        left = (LEFT, f"c{i}", number, party, issued, subtotal, tax, total, _components(i))
        right_number, right_total, right_issued = number, total, issued
        if plant == "amount_mismatch":
            right_total = total + 500
        elif plant == "formatting":
            right_number = f"inv {i:08d}"
        elif plant == "fuzzy":
            right_number, right_issued = f"BK{i * 7919 % 99_999_989:08d}", issued + timedelta(days=1)
        right = (
            RIGHT,
            f"b{i}",
            right_number,
            party.replace("有限公司", "（总部）"),
            right_issued,
            None,
            None,
            right_total,
            _components(i + UNKNOWN_EVERY // 2),
        )
        if plant == "missing_in_right":
            yield (left,)
        elif plant == "missing_in_left":
            yield (right,)
        else:
            yield (left, right)


def _components(i: int) -> tuple[int | None, int | None, int | None, int | None, bool | None]:
    """discount, shipping, adjustment, rounding (minor units) and tax_inclusive, as the store keeps them."""
    slot = i % UNKNOWN_EVERY
    if slot == 3:
        return None, None, None, None, None
    if slot == 3 + UNKNOWN_EVERY // 2:
        return 0, 0, 0, 0, None
    return 0, 0, 0, 0, False


def expected_findings(n: int) -> dict[str, int]:
    every = int(1 / PLANT_RATE)
    counts = {"missing_in_right": 0, "missing_in_left": 0, "amount_mismatch": 0}
    for i in range(0, n, every):
        plant = _PLANTS[(i // every) % len(_PLANTS)]
        if plant in counts:
            counts[plant] += 1
    return counts


def populate(path: Path, n: int, seed: int = 7) -> None:
    """Write both ledgers into a migrated SQLite file with raw executemany (not part of the timing)."""
    from store.db import make_engine, upgrade

    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    engine.dispose()
    stamp = NOW.replace(tzinfo=None).isoformat(sep=" ")
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=OFF")
    doc_rows: list[tuple[Any, ...]] = []
    line_rows: list[tuple[Any, ...]] = []
    next_id = 1
    marks = ", ".join("?" for _ in _DOC_COLUMNS.split(","))

    def flush() -> None:
        conn.executemany(f"INSERT INTO documents ({_DOC_COLUMNS}) VALUES ({marks})", doc_rows)  # noqa: S608
        conn.executemany(
            "INSERT INTO document_lines (document_id, position, amount) VALUES (?, ?, ?)", line_rows
        )
        doc_rows.clear()
        line_rows.clear()

    for deal in _documents(n, seed):
        for source, external_id, number, party, issued, subtotal, tax, total, components in deal:
            doc_rows.append(
                (
                    next_id,
                    source,
                    "invoice",
                    external_id,
                    "invoices",
                    number,
                    None,
                    party,
                    "王芳",
                    issued.isoformat(),
                    (issued + timedelta(days=30)).isoformat(),
                    "CNY",
                    subtotal,
                    tax,
                    total,
                    0,
                    "paid",
                    "{}",
                    0,
                    1,
                    "-",
                    stamp,
                    stamp,
                    *components,
                )
            )
            if subtotal is not None:
                half = subtotal // 2
                line_rows += [(next_id, 0, half), (next_id, 1, subtotal - half)]
            next_id += 1
        if len(doc_rows) >= 50_000:
            flush()
    flush()
    conn.commit()
    conn.close()


def ours(path: Path) -> dict[str, Any]:
    """One end-to-end run of the rule through the reconcile job; returns timings and counts."""
    from config.settings import Settings
    from store.db import make_engine
    from sync.reconcile_job import PlanRun, RuleRun, run_rules

    settings = Settings.model_validate(
        {
            "database_url": f"sqlite:///{path}",
            "reconcile": {
                "rules": [
                    {
                        "name": "crm-vs-books",
                        "left": {"source": LEFT, "kind": "invoice"},
                        "right": {"source": RIGHT, "kind": "invoice"},
                        "tolerance": {"amount": "0.01", "days": 3},
                    }
                ]
            },
        }
    )
    engine = make_engine(settings.database_url)
    started, cpu = time.perf_counter(), time.process_time()
    runs = run_rules(engine, settings, clock=lambda: NOW)
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    engine.dispose()
    # The match rule's run, then (when the store has audit plans) the audit plan the global checks map to.
    [run] = [r for r in runs if isinstance(r, RuleRun) and r.rule.name == "crm-vs-books"]
    audits = [r for r in runs if isinstance(r, PlanRun)]
    phases = dict(run.seconds)
    if audits:
        phases["audit"] = round(sum(sum(r.seconds.values()) for r in audits), 3)
    return {
        "seconds": round(seconds, 2),
        "cpu_seconds": round(cpu, 2),
        "phases": phases,
        "matched": len(run.result.matches),
        "scored_pairs": sum(1 for m in run.result.matches if m.how == "fuzzy"),
        "audit_findings": sum(len(r.result.discrepancies) for r in audits),
        "audit_skipped": {
            f"{check}/{reason}": count
            for r in audits
            for check, reasons in r.result.skipped.items()
            for reason, count in reasons.items()
        },
        "exceptions": run.result.counts,
        "unexplained": str(run.result.bridge.unexplained),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
    }


def baseline(path: Path) -> dict[str, Any]:
    """What an analyst would script: read both sides, normalize the number, merge, compare amounts."""
    import pandas as pd

    started, cpu = time.perf_counter(), time.process_time()
    with sqlite3.connect(path) as conn:
        frames = {
            side: pd.read_sql_query(
                "SELECT external_id, number, total FROM documents WHERE source = ? AND kind = 'invoice'",
                conn,
                params=(side,),
            )
            for side in (LEFT, RIGHT)
        }
    for frame in frames.values():
        frame["key"] = (
            frame["number"].str.normalize("NFKC").str.upper().str.replace(r"[\W_]+", "", regex=True)
        )
    merged = frames[LEFT].merge(frames[RIGHT], on="key", how="outer", suffixes=("_l", "_r"), indicator=True)
    both = merged[merged["_merge"] == "both"]
    mismatched = int(((both["total_l"] - both["total_r"]).abs() > 100).sum())
    result = {
        "seconds": round(time.perf_counter() - started, 2),
        "cpu_seconds": round(time.process_time() - cpu, 2),
        "matched": len(both) - mismatched,
        "amount_mismatch": mismatched,
        "missing_in_right": int((merged["_merge"] == "left_only").sum()),
        "missing_in_left": int((merged["_merge"] == "right_only").sum()),
    }
    return result


def measure(n: int) -> dict[str, Any]:
    """Populate, then run ours and the baseline (in this process: call it through a fresh one)."""
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "ledger.db"
        started = time.perf_counter()
        populate(path, n)
        setup = time.perf_counter() - started
        mine = ours(path)
        theirs = baseline(path)
    found = mine["exceptions"]
    recall = all(found.get(kind, 0) == count for kind, count in expected_findings(n).items())
    return {
        "n": n,
        "setup_seconds": round(setup, 1),
        "ours": mine,
        "baseline": theirs,
        "ratio_to_baseline": round(mine["seconds"] / theirs["seconds"], 2),
        "load_average": round(os.getloadavg()[0], 1),
        "planted_found_exactly": recall and set(found) <= set(expected_findings(n)),
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", default="10000,100000", help="Comma-separated document counts per side.")
    parser.add_argument("--million", action="store_true", help="Also run 1,000,000 x 1,000,000 (minutes).")
    parser.add_argument("--json", action="store_true", help="Print one JSON document.")
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.one:
        print(json.dumps(measure(args.one)))
        return
    sizes = [int(s) for s in args.sizes.split(",")] + ([1_000_000] if args.million else [])
    results = [in_fresh_process("bench.reconcile", n) for n in sizes]
    growth = []
    for small, large in itertools.pairwise(results):
        factor = large["n"] / small["n"]
        if factor == 10:
            nlogn = factor * math.log(large["n"]) / math.log(small["n"])
            growth.append(
                {
                    "from": small["n"],
                    "to": large["n"],
                    "time_ratio": round(large["ours"]["seconds"] / small["ours"]["seconds"], 2),
                    "n_log_n_ratio": round(nlogn, 2),
                }
            )
    report = {"results": results, "growth": growth}
    if args.json:
        print(json.dumps(report, indent=2))
        return
    for r in results:
        o, b, phases = r["ours"], r["baseline"], r["ours"]["phases"]
        print(
            f"{r['n']:>9,} x {r['n']:,}: ours {o['seconds']:.2f} s, cpu {o['cpu_seconds']:.2f} s "
            f"(load {phases.get('load')} / match {phases.get('match')} / save {phases.get('save')}"
            f" / audit plan {phases.get('audit', '-')}: {o.get('audit_findings', '-')} findings, "
            f"{sum(o.get('audit_skipped', {}).values())} skips), {o.get('scored_pairs', '-')} scored pairs, "
            f"peak {o['peak_rss_mb']} MB; pandas merge {b['seconds']:.2f} s; ratio {r['ratio_to_baseline']}; "
            f"planted findings exact: {r['planted_found_exactly']}; load average {r['load_average']}"
        )
    for g in growth:
        ratio, nlogn = g["time_ratio"], g["n_log_n_ratio"]
        print(f"10x growth {g['from']:,} -> {g['to']:,}: time x{ratio} (n log n: x{nlogn})")


if __name__ == "__main__":
    main()
