"""What a rule run returns: matches, discrepancies and the bridge statement (errors are data)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, NamedTuple

from reconcile.party_aliases import NO_ALIASES, PartyAliases
from store.discrepancies import Discrepancy
from store.ledger_rows import LedgerRow, money

WITHIN_TOLERANCE = "within_tolerance"
"""Bridge line: differences of matched pairs that the rule's tolerance accepts (rounding)."""
OPEN_BALANCE = "open_balance"
"""Bridge line (settlement): the unpaid part of invoices whose payments agree with their balance."""
UNEXPLAINED = "unexplained"


class Why(NamedTuple):
    """Why the scored pass paired two documents: the points of each component of the pair's score, in
    hundredths of a point (exact; `points()` shows them as decimals). The weights are in docs/reconcile.md.

    amount: closeness of the totals relative to the tolerance (full marks when equal);
    date: closeness of the issue dates relative to `date_window_days` (none when a date is unknown);
    party: likeness of the party names above `min_party_score`;
    reference: a number or id of one side found in a reference of the other.
    """

    amount: int
    date: int
    party: int
    reference: int

    @property
    def total(self) -> int:
        return self.amount + self.date + self.party + self.reference

    def points(self) -> dict[str, Decimal]:
        """Component -> points (and `total`), as a report or the web app shows them."""
        shown = {name: Decimal(value).scaleb(-2) for name, value in self._asdict().items()}
        shown["total"] = Decimal(self.total).scaleb(-2)
        return shown

    def to_json(self) -> dict[str, str]:
        return {name: str(value) for name, value in self.points().items()}

    def describe(self) -> str:
        """`42.28 (amount 10.00, date 4.28, party 10.00, reference 0.00)` for explanations."""
        shown = self.points()
        total = shown.pop("total")
        return f"{total} ({', '.join(f'{name} {value}' for name, value in shown.items())})"


class Match(NamedTuple):
    """Documents the passes paired: one-to-one, or one-to-many for aggregates. `how` names the pass:
    a key (`number`, `external_id`, `references.<name>`, or `left=right` for a key naming a field a
    side), `fuzzy`, `aggregate` or `manual`. `why` is the score of a `fuzzy` pair, else None."""

    left: tuple[LedgerRow, ...]
    right: tuple[LedgerRow, ...]
    how: str
    why: Why | None = None


@dataclass(frozen=True)
class MatchContext:
    """What a run knows besides the two sets: base currency, manual overrides, order dates."""

    base_currency: str | None = None
    forced: frozenset[tuple[str, str]] = frozenset()
    """Manual matches: (left key text, right key text) pairs the passes must honour."""
    forbidden: frozenset[tuple[str, str]] = frozenset()
    """Manual unmatches: pairs the passes must never make."""
    order_dates: Mapping[tuple[str, str], Any] = field(default_factory=dict)
    """(source, sales order external id) -> issued_on, for the invoice_before_order audit check."""
    aliases: PartyAliases = NO_ALIASES
    """Party names finance declared the same customer (ADR 0029): equal in every party comparison."""


@dataclass(frozen=True)
class Bridge:
    """Left total, right total, and the difference (left - right) explained line by line.

    Every document in scope contributes to exactly one line, so the explained lines add up to the
    difference; `unexplained` is shown even when zero, never hidden. Amounts are in `currency` (the
    company's base currency); documents whose amount cannot be converted are counted in `unconverted`
    and left out of every figure.
    """

    currency: str | None
    left_total: Decimal
    right_total: Decimal
    explained: Mapping[str, Decimal]
    unconverted: int = 0

    @property
    def difference(self) -> Decimal:
        return self.left_total - self.right_total

    @property
    def unexplained(self) -> Decimal:
        return self.difference - sum(self.explained.values(), Decimal(0))

    def to_json(self) -> dict[str, Any]:
        return {
            "currency": self.currency,
            "left_total": str(self.left_total),
            "right_total": str(self.right_total),
            "difference": str(self.difference),
            "explained": {name: str(amount) for name, amount in sorted(self.explained.items())},
            UNEXPLAINED: str(self.unexplained),
            "unconverted": self.unconverted,
        }


class BridgeBuilder:
    """Accumulates contributions in minor units; each document must be added exactly once."""

    def __init__(self, base_currency: str | None) -> None:
        self._base = base_currency
        self._left = 0
        self._right = 0
        self._lines: Counter[str] = Counter()
        self._unconverted = 0

    def add(self, line: str, left: Iterable[LedgerRow], right: Iterable[LedgerRow]) -> None:
        amount = self._sum(left) - self._sum(right, is_right=True)
        self._lines[line] += amount

    def add_clean(self, left: LedgerRow, right: LedgerRow) -> bool:
        """Fast path for a clean one-to-one match in the base currency; False = use `add`."""
        lt, rt = left.total, right.total
        base = self._base
        if lt is None or rt is None or (base is not None and left.currency not in (None, base)):
            return False
        self._left += lt
        self._right += rt
        self._lines[WITHIN_TOLERANCE] += lt - rt
        return True

    def add_amount(self, line: str, left: int, right: int) -> None:
        """A contribution already computed (settlement allocations): totals move with it."""
        self._left += left
        self._right += right
        self._lines[line] += left - right

    def _sum(self, rows: Iterable[LedgerRow], *, is_right: bool = False) -> int:
        total = 0
        for row in rows:
            if row.deleted or row.total is None:
                continue
            amount = row.base_total(self._base)
            if amount is None:
                self._unconverted += 1
                continue
            total += amount
        if is_right:
            self._right += total
        else:
            self._left += total
        return total

    def build(self) -> Bridge:
        explained = {line: money(amount) or Decimal(0) for line, amount in self._lines.items() if amount}
        return Bridge(
            currency=self._base,
            left_total=money(self._left) or Decimal(0),
            right_total=money(self._right) or Decimal(0),
            explained=explained,
            unconverted=self._unconverted,
        )


@dataclass(frozen=True)
class MatchResult:
    """The outcome of one rule over two sets: what was paired cleanly, what was found, the bridge."""

    matches: Sequence[Match]
    """In order; a `reconcile.match_list.MatchList` from `match` (plain pairs held compactly)."""
    discrepancies: tuple[Discrepancy, ...]
    bridge: Bridge
    left_count: int
    right_count: int
    ignored: tuple[LedgerRow, ...] = ()
    """Deleted documents with no live counterpart: gone on both sides, nothing to review."""

    @property
    def counts(self) -> dict[str, int]:
        """Discrepancies per type name, as `reconcile run --json` reports them under `exceptions`."""
        counter = Counter(d.type.value for d in self.discrepancies)
        return dict(sorted(counter.items()))
