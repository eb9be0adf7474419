"""Running an audit plan: every check once per document in scope, findings named after the plan."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from operator import attrgetter
from typing import Final

from reconcile.audits.anomalies import (
    CustomerDocument,
    Customers,
    excessive_credits,
    possible_duplicates,
    unusual_amounts,
)
from reconcile.audits.base import AuditContext, AuditLimits, Skip
from reconcile.audits.rowchecks import ROW_CHECKS, triage
from reconcile.findings import describe, finding
from store.discrepancies import Discrepancy, DiscrepancyType
from store.ledger_rows import LedgerRow

_CUSTOMER_CHECKS: Final = ("possible_duplicate", "unusual_amount")
"""Checks across a customer's documents: each document's customer is found once for both."""


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
    documents = 0
    found: list[Discrepancy] = []
    skipped: dict[str, Counter[str]] = {}
    customers = Customers()
    by_customer: dict[str, list[CustomerDocument]] = {check: [] for check in _CUSTOMER_CHECKS}
    credit_notes: list[LedgerRow] = []
    # Per set of checks (one per scope entry, shared by its rows): the lists its rows go to.
    targets_of: dict[frozenset[str], tuple[list[list[CustomerDocument]], bool]] = {}
    for row, checks in _documents(scoped):
        documents += 1
        if row.deleted or row.status in ("void", "deleted"):
            continue
        targets = targets_of.get(checks)
        if targets is None:
            targets = targets_of[checks] = (
                [by_customer[check] for check in _CUSTOMER_CHECKS if check in checks],
                "credit_note_exceeds_invoice" in checks,
            )
        grouped, credits = targets
        if grouped and (customer := customers.of(row)) is not None:
            pair = (row, customer)  # one tuple in every list it goes to
            for target in grouped:
                target.append(pair)
        if credits:
            credit_notes.append(row)
        skips = triage(row, limits)
        if skips is None:
            found += _row_findings(name, row, checks, limits=limits, ctx=ctx, skipped=skipped)
            continue
        for check, reason in skips:  # no check can fire: only skips to count, looked up (most: none)
            if check in checks:
                _count(skipped, check, reason)
    history = customers.documents(ctx.history) if by_customer["unusual_amount"] else []
    anomalies = {
        DiscrepancyType.POSSIBLE_DUPLICATE: possible_duplicates(by_customer["possible_duplicate"], limits),
        DiscrepancyType.UNUSUAL_AMOUNT: unusual_amounts(by_customer["unusual_amount"], limits, history),
        DiscrepancyType.CREDIT_NOTE_EXCEEDS_INVOICE: excessive_credits(credit_notes, limits, ctx),
    }
    for kind, flagged in anomalies.items():
        for row, others, text, fields in flagged:
            found.append(finding(name, kind, [row], list(others), _say(row, text), fields=fields))
    return AuditResult(
        discrepancies=tuple(sorted(found, key=lambda d: (d.type.value, d.fingerprint))),
        documents=documents,
        skipped={check: dict(sorted(reasons.items())) for check, reasons in sorted(skipped.items())},
    )


def _documents(
    scoped: Sequence[tuple[Sequence[LedgerRow], Sequence[str]]],
) -> Iterator[tuple[LedgerRow, frozenset[str]]]:
    """Each document once (its first row, in the order of first appearance), with its checks: one set
    per scope entry, shared by the entry's rows; a union only for a document in several entries.

    A document is (source, kind, external id); rows read from the store say it with their row id,
    which is already in memory, so two million documents cost no key objects (docs/performance.md)."""
    key = _document_key(scoped)
    first: dict[object, LedgerRow] = {}
    unions: dict[object, frozenset[str]] = {}
    union_of: dict[tuple[frozenset[str], frozenset[str]], frozenset[str]] = {}
    entries = [(rows, frozenset(wanted)) for rows, wanted in scoped]
    owner: dict[object, frozenset[str]] = {}  # only with several entries: the checks so far
    several = len(entries) > 1
    for rows, checks in entries:
        for row in rows:
            k = key(row)
            if k not in first:
                first[k] = row
                if several:
                    owner[k] = checks
                continue
            if not several:
                continue
            seen = unions.get(k, owner[k])
            if seen is not checks and not checks <= seen:
                union = union_of.get((seen, checks))
                if union is None:
                    union = union_of[seen, checks] = seen | checks
                unions[k] = union
    del owner
    for rows, checks in entries:
        for row in rows:
            k = key(row)
            if first.get(k) is row:
                del first[k]  # once, even if the same row is given twice
                yield row, unions.get(k, checks)


def _document_key(
    scoped: Sequence[tuple[Sequence[LedgerRow], Sequence[str]]],
) -> Callable[[LedgerRow], object]:
    """The row id when every row has one (the store's rows: unique per source, kind and external id),
    else (source, kind, external id)."""
    if all(row.doc_id is not None for rows, _ in scoped for row in rows):
        return _doc_id
    return _identity


_doc_id: Final = attrgetter("doc_id")
_identity: Final = attrgetter("source", "kind", "external_id")


def _row_findings(
    name: str,
    row: LedgerRow,
    checks: frozenset[str],
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
            _count(skipped, check, outcome.reason)
            continue
        text, fields = outcome
        found.append(finding(name, DiscrepancyType(check), [row], [], _say(row, text), fields=fields))
    return found


def _count(skipped: dict[str, Counter[str]], check: str, reason: str) -> None:
    reasons = skipped.get(check)
    if reasons is None:
        reasons = skipped[check] = Counter()
    reasons[reason] += 1


def _say(row: LedgerRow, text: str) -> str:
    return f"{describe([row])} ({row.source}): {text}"
