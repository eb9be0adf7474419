"""What a collections rule reads for `reconcile run` (sync/reconcile_job.py calls it): the period's payments,
the bank lines of the period widened by the date window (a payment of the 31st is banked on the 2nd),
and the numbers of the invoices the payments apply to (a remittance text names those)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from config.rules import CollectionsRule
from config.settings import Settings
from reconcile.collections_match import collect
from reconcile.o2c import Banked
from reconcile.periods import Period
from reconcile.result import MatchContext, MatchResult
from store.db import Engine
from store.ledger_rows import LedgerRow
from store.reconcile_repository import DocumentSet, SqlReconcileRepository


@dataclass(frozen=True)
class CollectionsInput:
    payments: list[LedgerRow]
    bank: list[LedgerRow]
    invoice_numbers: dict[str, str]
    scope: tuple[date | None, date | None]


def load_collections(
    repo: SqlReconcileRepository,
    rule: CollectionsRule,
    scope: Period,
    load: Callable[[DocumentSet], list[LedgerRow]],
) -> CollectionsInput:
    window = timedelta(days=rule.date_window_days)
    payments = load(_set(rule, "payments", scope.start, scope.end))
    start = None if scope.start is None else scope.start - window
    end = None if scope.end is None else scope.end + window
    bank = load(_set(rule, "bank", start, end))
    targets = {target for row in payments for target, _, kind in row.allocations or () if kind == "invoice"}
    numbers: dict[str, str] = {}
    if targets:
        found = repo.rows_by_external_id(rule.payments.source, "invoice", targets)
        numbers = {external_id: row.number for (_, external_id), row in found.items() if row.number}
    return CollectionsInput(payments, bank, numbers, (scope.start, scope.end))


def run_collections(
    data: CollectionsInput, rule: CollectionsRule, context: MatchContext, today: date
) -> MatchResult:
    return collect(
        data.payments,
        data.bank,
        rule,
        context,
        today=today,
        scope=data.scope,
        invoice_numbers=data.invoice_numbers,
    )


def _set(rule: CollectionsRule, side: str, start: date | None, end: date | None) -> DocumentSet:
    spec = rule.payments if side == "payments" else rule.bank
    return DocumentSet(
        source=spec.source,
        kind=spec.kind,
        filters={str(name): values for name, values in spec.filters.items()},
        start=start,
        end=end,
        with_allocations=spec.kind == "payment",
    )


def banked_payments(
    engine: Engine, settings: Settings, payment_sources: Sequence[str], today: date
) -> Banked | None:
    """For the order-to-cash report's `collected_in_bank`: the payments of these sources that the
    collections rules reading them match to a bank credit now (every period), None without such a rule."""
    rules = [
        rule
        for rule in settings.reconcile.rules
        if isinstance(rule, CollectionsRule) and rule.payments.source in payment_sources
    ]
    if not rules:
        return None
    repo = SqlReconcileRepository(engine)
    matched: set[tuple[str, str]] = set()
    for rule in rules:
        data = load_collections(repo, rule, Period("all"), repo.load_rows)
        result = run_collections(data, rule, MatchContext(settings.base_currency), today)
        matched |= {(row.source, row.external_id) for found in result.matches for row in found.left}
    return Banked(frozenset(rule.payments.source for rule in rules), frozenset(matched))
