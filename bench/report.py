"""Report streaming benchmark: time and peak Python memory per format, for growing numbers of exceptions.

    python -m bench.report [--sizes 10000 100000] [--formats csv json html xlsx table]

Flat memory means the peak barely grows when the exceptions grow tenfold: rows are generated lazily
here, exactly as the report job reads them from the database in pages. Each measurement runs in its
own process and reports its peak resident memory.
"""

from __future__ import annotations

import argparse
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

from rich.console import Console

from reconcile.report.csvfile import CSV_ENCODING, render_csv
from reconcile.report.excel import render_xlsx
from reconcile.report.htmlfile import render_html
from reconcile.report.i18n import Lang
from reconcile.report.jsonfile import render_json
from reconcile.report.mismatches import ExceptionItem, RuleSummary, mismatch_report
from reconcile.report.model import Report
from reconcile.report.terminal import render_table
from store.canonical import DocumentKind
from store.discrepancies import Discrepancy, DiscrepancyType, DocumentRef

TYPES = (DiscrepancyType.AMOUNT_MISMATCH, DiscrepancyType.MISSING_IN_RIGHT)


def exceptions(kind: DiscrepancyType, count: int, on_item: Callable[[], None]) -> Iterator[ExceptionItem]:
    """`count` synthetic exceptions of one type, made one at a time (`on_item` is told of each)."""
    for n in range(count):
        on_item()
        left = DocumentRef(
            source="zoho-crm",
            kind=DocumentKind.INVOICE,
            external_id=f"L{n}",
            number=f"INV-{n:07d}",
            amount=Decimal(1000 + n) / 100,
            currency="CNY",
        )
        right = left.model_copy(
            update={"source": "zoho-books", "external_id": f"R{n}", "amount": Decimal(n) / 100}
        )
        yield ExceptionItem(
            id=f"{kind.value[:3]}-{n:07d}",
            status="open",
            discrepancy=Discrepancy(
                rule="crm-vs-books",
                type=kind,
                left=(left,),
                right=(right,) if kind is DiscrepancyType.AMOUNT_MISMATCH else (),
                left_amount=left.amount,
                right_amount=right.amount,
                difference=Decimal(10),
                currency="CNY",
                explanation=f"synthetic finding {n}",
            ),
            last_seen_at=datetime(2026, 11, 20, tzinfo=UTC),
        )


def synthetic_report(per_type: int, on_item: Callable[[], None] = lambda: None, lang: Lang = "en") -> Report:
    """A mismatch report of `per_type` exceptions of each of TYPES, generated lazily."""
    groups: Iterable[tuple[str, Iterable[ExceptionItem]]] = (
        (kind.value, exceptions(kind, per_type, on_item)) for kind in TYPES
    )
    summaries = [
        RuleSummary(rule="crm-vs-books", period="all", bridge=None, counts={t.value: per_type for t in TYPES})
    ]
    return mismatch_report(
        summaries,
        groups,
        lang=lang,
        timezone="UTC",
        generated_at=datetime(2026, 11, 20, tzinfo=UTC),
    )


def _write(fmt: str, report: Report, path: Path) -> None:
    if fmt == "xlsx":
        render_xlsx(report, path)
        return
    encoding = CSV_ENCODING if fmt == "csv" else "utf-8"
    with path.open("w", encoding=encoding, newline="") as stream:
        if fmt == "csv":
            render_csv(report, stream)
        elif fmt == "json":
            render_json(report, stream)
        elif fmt == "html":
            render_html(report, stream)
        else:
            render_table(report, Console(file=stream, width=200, color_system=None))


def measure(fmt: str, total: int, directory: Path) -> tuple[float, float]:
    """(seconds, peak resident MiB) to write `total` exceptions in `fmt`, in a fresh process each so
    the peaks are comparable (the interpreter and imports are the same baseline every time)."""
    done = subprocess.run(
        [sys.executable, "-m", "bench.report", "--child", fmt, str(total), str(directory)],
        capture_output=True,
        text=True,
        check=True,
    )
    seconds, peak = done.stdout.split()
    return float(seconds), float(peak)


def _child(fmt: str, total: int, directory: Path) -> None:
    report = synthetic_report(total // len(TYPES))
    started = time.perf_counter()
    _write(fmt, report, directory / f"report.{fmt}")
    seconds = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
    print(f"{seconds:.2f} {peak:.1f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--formats", nargs="+", default=["csv", "json", "html", "xlsx", "table"])
    parser.add_argument("--child", nargs=3, metavar=("FORMAT", "SIZE", "DIR"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        _child(args.child[0], int(args.child[1]), Path(args.child[2]))
        return
    with tempfile.TemporaryDirectory() as directory:
        print(f"{'format':8} {'exceptions':>10} {'seconds':>8} {'peak RSS MiB':>13}")
        for fmt in args.formats:
            for size in args.sizes:
                seconds, peak = measure(fmt, size, Path(directory))
                print(f"{fmt:8} {size:>10,} {seconds:>8.1f} {peak:>13.1f}", flush=True)


if __name__ == "__main__":
    main()
