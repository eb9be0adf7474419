"""Running an audit plan: every check once per document in scope, findings named after the plan."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from reconcile.audits.anomalies import Anomaly, excessive_credits, possible_duplicates, unusual_amounts
from reconcile.audits.base import AuditContext, AuditLimits, Skip
from reconcile.audits.rowchecks import ROW_CHECKS, suspect
from reconcile.findings import describe, finding
from reconcile.rows import LedgerRow
from store.canonical import Discrepancy, DiscrepancyType

_GROUP_CHECKS: Mapping[str, Callable[[list[LedgerRow], AuditLimits, AuditContext], list[Anomaly]]] = {
    "possible_duplicate": lambda rows, limits, _: possible_duplicates(rows, limits),
    "unusual_amount": unusual_amounts,
    "credit_note_exceeds_invoice": excessive_credits,
}


@dataclass(frozen=True)
class AuditResult:
    """A plan's findings, how many documents it audited, and per check what it skipped and why."""

    discrepancies: tuple[Discrepancy, ...]
    documents: int
    skipped: Mapping[str, Mapping[str, int]] = field(default_factory=dict)
    """check -> reason -> documents skipped (each skipped document counted once, under one reason)."""

    @property
    def counts(self) -> dict[str, int]:
        counter = Counter(d.type.value for d in self.discrepancies)
        return dict(sorted(counter.items()))


def audit_plan(
    name: str,
    scoped: Sequence[tuple[Sequence[LedgerRow], Sequence[str]]],
    limits: AuditLimits,
    context: AuditContext | None = None,
) -> AuditResult:
    """Audit the documents of each scope entry with that entry's checks. A document in several entries
    is audited once, with the union of their checks; deleted and void documents are not audited."""
    ctx = context or AuditContext()
    documents: dict[tuple[str, str, str], tuple[LedgerRow, set[str]]] = {}
    for rows, wanted in scoped:
        for row in rows:
            documents.setdefault((row.source, row.kind, row.external_id), (row, set()))[1].update(wanted)
    found: list[Discrepancy] = []
    skipped: dict[str, Counter[str]] = {}
    by_check: dict[str, list[LedgerRow]] = {}
    for row, checks in documents.values():
        if row.deleted or row.status in ("void", "deleted"):
            continue
        for check in checks & _GROUP_CHECKS.keys():
            by_check.setdefault(check, []).append(row)
        if suspect(row, limits):
            found += _row_findings(name, row, checks, limits=limits, ctx=ctx, skipped=skipped)
    for check, run_group in _GROUP_CHECKS.items():
        kind = DiscrepancyType(check)
        for row, others, text, fields in run_group(by_check.get(check, []), limits, ctx):
            found.append(finding(name, kind, [row], list(others), _say(row, text), fields=fields))
    return AuditResult(
        discrepancies=tuple(sorted(found, key=lambda d: (d.type.value, d.fingerprint))),
        documents=len(documents),
        skipped={check: dict(sorted(reasons.items())) for check, reasons in sorted(skipped.items())},
    )


def _row_findings(
    name: str,
    row: LedgerRow,
    checks: set[str],
    *,
    limits: AuditLimits,
    ctx: AuditContext,
    skipped: dict[str, Counter[str]],
) -> list[Discrepancy]:
    found: list[Discrepancy] = []
    for check, run in ROW_CHECKS.items():
        if check not in checks:
            continue
        outcome = run(row, limits, ctx)
        if outcome is None:
            continue
        if isinstance(outcome, Skip):
            skipped.setdefault(check, Counter())[outcome.reason] += 1
            continue
        text, fields = outcome
        found.append(finding(name, DiscrepancyType(check), [row], [], _say(row, text), fields=fields))
    return found


def _say(row: LedgerRow, text: str) -> str:
    return f"{describe([row])} ({row.source}): {text}"
