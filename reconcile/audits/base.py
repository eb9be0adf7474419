"""What every audit check is given: the plan's limits and what the job loaded besides the scope."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import NamedTuple

from config.rules import AuditPlan
from reconcile.findings import Tolerances
from store.discrepancies import FieldDiff
from store.ledger_rows import LedgerRow


@dataclass(frozen=True)
class AuditLimits:
    """A plan's tolerance and thresholds in the units the checks use (minor units, days, Decimals)."""

    tolerances: Tolerances = field(default_factory=lambda: Tolerances(100, Decimal(0), 0))
    duplicate_days: int = 3
    discount_percent: Decimal = Decimal(30)
    unusual_min_history: int = 12
    unusual_factor: Decimal = Decimal(10)
    unusual_min_ratio: Decimal = Decimal(3)

    @classmethod
    def of(cls, plan: AuditPlan) -> AuditLimits:
        limits = plan.thresholds
        return cls(
            tolerances=Tolerances.of(plan.tolerance),
            duplicate_days=limits.possible_duplicate.days,
            discount_percent=limits.discount_above_limit.percent,
            unusual_min_history=limits.unusual_amount.min_history,
            unusual_factor=limits.unusual_amount.factor,
            unusual_min_ratio=limits.unusual_amount.min_ratio,
        )


@dataclass(frozen=True)
class AuditContext:
    """Documents outside the scope that some checks compare with (the job loads them from the store)."""

    order_dates: Mapping[tuple[str, str], date] = field(default_factory=dict)
    """(source, sales order external id) -> issued_on (invoice_before_order)."""
    invoices: Mapping[tuple[str, str], LedgerRow] = field(default_factory=dict)
    """(source, invoice external id) -> the invoice a credit note credits (credit_note_exceeds_invoice)."""
    history: Sequence[LedgerRow] = ()
    """Extra documents of the scope's customers outside the plan's period (unusual_amount history)."""


class Skip(NamedTuple):
    """A check that could not be decided for a document: the reason is counted in the run summary."""

    reason: str


Fired = tuple[str, list[FieldDiff]]
"""A finding's explanation and the fields it is about."""
Outcome = Fired | Skip | None
RowCheck = Callable[[LedgerRow, AuditLimits, AuditContext], Outcome]
