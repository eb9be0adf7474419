"""Building Discrepancy values from rows, and the tolerance arithmetic every pass shares."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import NamedTuple

from config.rules import Tolerance
from store.canonical import to_minor_units
from store.discrepancies import Discrepancy, DiscrepancyType, FieldDiff
from store.ledger_rows import LedgerRow, money


class Tolerances(NamedTuple):
    """A rule's tolerance in the units matching uses: minor units for amounts, whole days for dates."""

    amount: int
    percent: Decimal
    days: int

    @classmethod
    def of(cls, tolerance: Tolerance) -> Tolerances:
        return cls(to_minor_units(tolerance.amount), tolerance.amount_percent, tolerance.days)

    def limit(self, a: int, b: int) -> int:
        """The largest accepted difference between amounts a and b (minor units)."""
        if not self.percent:
            return self.amount
        relative = int(self.percent * max(abs(a), abs(b)) / 100)
        return max(self.amount, relative)

    def accepts(self, a: int, b: int) -> bool:
        """True when a and b differ by at most the tolerance (0.01 under a 0.01 tolerance is fine)."""
        return abs(a - b) <= self.limit(a, b)


def total_of(rows: Sequence[LedgerRow]) -> int | None:
    """Sum of the rows' totals, None if any total is unknown."""
    amounts = [row.total for row in rows]
    if any(a is None for a in amounts):
        return None
    return sum(a for a in amounts if a is not None)


def currency_of(rows: Sequence[LedgerRow]) -> str | None:
    currencies = {row.currency for row in rows}
    return currencies.pop() if len(currencies) == 1 else None


def describe(rows: Sequence[LedgerRow]) -> str:
    """How finance names documents in an explanation: their numbers, else their keys."""
    names = [row.number or row.key_text for row in rows[:3]]
    more = f" and {len(rows) - 3} more" if len(rows) > 3 else ""
    return ", ".join(names) + more


def finding(
    rule: str,
    kind: DiscrepancyType,
    left: Sequence[LedgerRow],
    right: Sequence[LedgerRow],
    explanation: str,
    *,
    fields: Sequence[FieldDiff] = (),
    amounts: tuple[int | None, int | None] | None = None,
    currency: str | None = None,
) -> Discrepancy:
    """A discrepancy over documents; amounts default to each side's total (difference = left - right)."""
    left_amount, right_amount = amounts if amounts is not None else (_side(left), _side(right))
    if left_amount is None and right_amount is None:
        difference = None
    else:
        difference = (left_amount or 0) - (right_amount or 0)
    return Discrepancy(
        rule=rule,
        type=kind,
        left=tuple(row.ref() for row in left),
        right=tuple(row.ref() for row in right),
        left_amount=money(left_amount),
        right_amount=money(right_amount),
        difference=money(difference),
        currency=currency if currency is not None else currency_of([*left, *right]),
        explanation=explanation,
        fields=tuple(fields),
    )


def _side(rows: Sequence[LedgerRow]) -> int | None:
    return total_of(rows) if rows else None
