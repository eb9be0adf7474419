"""Precision and recall per discrepancy type on a company the tests never generate.

    python -m bench.precision [--seed 90210] [--orders 2000] [--customers 120] [--dir DIR] [--json]

Generates the demo company with `--seed` (the tests use 3, 4, 7, 11, 41, 2026 and hypothesis' seeds;
90210 is used by nothing else), runs the whole demo pipeline on it — sandboxes, connectors, sync into
SQLite, the next day's incremental sync, every rule and the audit plan — and scores what the runs
report against the truth the generator wrote:

- a finding is a true positive when the truth planted that problem: same rule (or plan), same type,
  and the same documents on each side; a finding the truth does not plant is a false positive; a
  planted problem no run reports is a false negative;
- precision = TP / (TP + FP), recall = TP / (TP + FN), per type and over all types;
- trap documents (differences the rules must accept) found in any finding are counted apart;
- then the same seed and size as a clean company (nothing planted): every finding there is a false
  alarm, reported as a count per document.
Figures of a real run are in docs/reconcile.md ("Precision and recall on a company we did not tune on").
"""

from __future__ import annotations

import argparse
import json
import tempfile
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from connectors.sandbox.generator import CompanySpec
from store.discrepancies import Discrepancy, DiscrepancyType
from sync.demo import DemoOptions, run_demo
from sync.logs import configure_logging

DEFAULT_SEED = 90210
Finding = tuple[str, str, frozenset[str], frozenset[str]]
"""(rule or plan, type, left document keys, right document keys)."""


@dataclass(frozen=True)
class Score:
    """One type's counts."""

    kind: str
    true_positives: int
    false_positives: int
    false_negatives: int

    @property
    def precision(self) -> float | None:
        found = self.true_positives + self.false_positives
        return self.true_positives / found if found else None

    @property
    def recall(self) -> float | None:
        planted = self.true_positives + self.false_negatives
        return self.true_positives / planted if planted else None


def finding_of(discrepancy: Discrepancy) -> Finding:
    return (
        discrepancy.rule,
        discrepancy.type.value,
        frozenset(str(ref.key) for ref in discrepancy.left),
        frozenset(str(ref.key) for ref in discrepancy.right),
    )


def score(found: Iterable[Finding], planted: Counter[Finding]) -> list[Score]:
    """Per discrepancy type (every type, in DiscrepancyType order), then the total as kind "all"."""
    seen = Counter(found)
    hits, extra, missed = seen & planted, seen - planted, planted - seen
    scores = []
    for kind in [t.value for t in DiscrepancyType]:
        scores.append(
            Score(
                kind,
                sum(n for f, n in hits.items() if f[1] == kind),
                sum(n for f, n in extra.items() if f[1] == kind),
                sum(n for f, n in missed.items() if f[1] == kind),
            )
        )
    scores.append(
        Score(
            "all",
            sum(s.true_positives for s in scores),
            sum(s.false_positives for s in scores),
            sum(s.false_negatives for s in scores),
        )
    )
    return scores


def measure(spec: CompanySpec, directory: Path) -> dict[str, Any]:
    """Run the demo pipeline on `spec` in `directory` and score it against its truth."""
    result = run_demo(DemoOptions(directory, spec, "en"), clock=lambda: datetime.now(UTC))
    found = [finding_of(d) for run in result.rules for d in run.result.discrepancies]
    truth = json.loads(result.truth.read_text(encoding="utf-8"))
    planted: Counter[Finding] = Counter(
        (p["rule"], p["type"], frozenset(p["left"]), frozenset(p["right"])) for p in truth["planted"]
    )
    traps = {doc for trap in truth["traps"] for doc in trap["documents"]}
    flagged = {key for finding in found for key in (*finding[2], *finding[3])}
    scores = score(found, planted)
    extra = Counter(found) - planted
    return {
        "spec": truth["spec"],
        "documents": sum(n for kinds in result.records.values() for n in kinds.values()),
        "findings": len(found),
        "planted": sum(planted.values()),
        "scores": [
            {
                "type": s.kind,
                "tp": s.true_positives,
                "fp": s.false_positives,
                "fn": s.false_negatives,
                "precision": s.precision,
                "recall": s.recall,
            }
            for s in scores
        ],
        "false_positives": sorted(f"{f[0]} {f[1]} {sorted(f[2])} {sorted(f[3])}" for f in extra),
        "trap_documents_flagged": sorted(traps & flagged),
        "seconds": round(result.seconds, 1),
    }


def _ratio(value: float | None) -> str:
    return "—" if value is None else f"{value:.3f}"


def table(report: dict[str, Any]) -> str:
    """The scores as the markdown table docs/reconcile.md shows (types with nothing planted or found
    are left out)."""
    lines = [
        "| type | planted | found | TP | FP | FN | precision | recall |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for row in report["scores"]:
        planted, found = row["tp"] + row["fn"], row["tp"] + row["fp"]
        if not planted and not found:
            continue
        name = f"**{row['type']}**" if row["type"] == "all" else f"`{row['type']}`"
        lines.append(
            f"| {name} | {planted} | {found} | {row['tp']} | {row['fp']} | {row['fn']} "
            f"| {_ratio(row['precision'])} | {_ratio(row['recall'])} |"
        )
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.precision", description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--orders", type=int, default=2000)
    parser.add_argument("--customers", type=int, default=120)
    parser.add_argument("--rate", type=float, default=0.01)
    parser.add_argument("--dir", type=Path, default=None, help="Keep the demo directory here.")
    parser.add_argument("--json", action="store_true", help="Print the report as JSON.")
    args = parser.parse_args(argv)
    configure_logging("warning")
    spec = CompanySpec(customers=args.customers, orders=args.orders, seed=args.seed, rate=args.rate)
    with tempfile.TemporaryDirectory(prefix="ledgerbridge-precision-") as scratch:
        report = measure(spec, args.dir or Path(scratch))
    clean_spec = CompanySpec.clean(customers=args.customers, orders=args.orders, seed=args.seed)
    with tempfile.TemporaryDirectory(prefix="ledgerbridge-precision-clean-") as scratch:
        clean = measure(clean_spec, Path(scratch))
    report["clean_company"] = {
        "documents": clean["documents"],
        "findings": clean["findings"],
        "false_positives": clean["false_positives"],
    }
    if args.json:
        print(json.dumps(report, ensure_ascii=False, indent=2))
        return 0
    spec_text = ", ".join(f"{k}={v}" for k, v in report["spec"].items())
    print(f"company: {spec_text}; {report['documents']} documents; {report['seconds']} s")
    print(table(report))
    print(f"false positives: {report['false_positives'] or 'none'}")
    print(f"trap documents in a finding: {report['trap_documents_flagged'] or 'none'}")
    clean = report["clean_company"]
    print(f"clean company (same seed and size, nothing planted): {clean['documents']} documents, "
          f"{clean['findings']} findings {clean['false_positives'] or ''}")  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
