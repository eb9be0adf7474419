"""Comparing matched documents field by field under a rule's tolerances: at most one finding per match.

Statuses are compared by class (draft, open, paid, void; an unknown status is never compared).
Documents in different currencies are a `currency_mismatch` when the rule compares `currency` or a
rate is unknown; otherwise their totals are compared in the base currency within `tolerance.fx_percent`.
A finding across currencies keeps every figure of the Discrepancy in the base currency (ADR 0017): the
amounts as typed are in its fields (`total: EUR 36,000.00 vs CNY 287,437.45`) and its documents.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import NamedTuple

from config.rules import MatchRule
from reconcile.facts import DELETED_SIDE, FX_TOLERANCE
from reconcile.findings import Tolerances, describe, finding, total_of
from reconcile.match_keys import normalize_party, party_score
from reconcile.party_aliases import NO_ALIASES, PartyAliases
from reconcile.report.fmt import format_exact
from reconcile.result import Match
from store.canonical import STATUS_CLASS
from store.discrepancies import Discrepancy, DiscrepancyType, FieldDiff
from store.ledger_rows import LedgerRow, money

# When one match differs in several ways, the finding takes the first type here and lists every field.
_PRIORITY = (
    DiscrepancyType.CURRENCY_MISMATCH,
    DiscrepancyType.AMOUNT_MISMATCH,
    DiscrepancyType.PARTY_MISMATCH,
    DiscrepancyType.STATUS_MISMATCH,
    DiscrepancyType.DATE_MISMATCH,
)
UNKNOWN_CLASS = "unknown"


def status_class(status: str) -> str:
    """The class of a canonical status (draft, open, paid, void); anything else is unknown."""
    return STATUS_CLASS.get(status, UNKNOWN_CLASS)


def statuses_differ(a: str, b: str) -> bool:
    """True when two statuses mean different things: their classes differ and neither is unknown
    (`open` vs `partially_paid` do not differ; `paid` vs `open` do; `unknown` differs from nothing)."""
    if a == b:
        return False
    first, second = status_class(a), status_class(b)
    return first != second and UNKNOWN_CLASS not in (first, second)


class _Figures(NamedTuple):
    """The two sides' totals as the finding states them, and in which currency."""

    currency: str | None
    left: int | None
    right: int | None
    cross: bool
    """The sides are in different currencies: `left`/`right` are base-currency totals (None = no rate)."""


class Comparer:
    """Compares the documents of one match under one rule."""

    def __init__(
        self,
        rule: MatchRule,
        tolerances: Tolerances,
        base_currency: str | None,
        aliases: PartyAliases = NO_ALIASES,
    ) -> None:
        self.rule = rule
        self._party_score = aliases.score if aliases else party_score
        self.tolerances = tolerances
        self.base_currency = base_currency
        fields = set(rule.compare)
        self._quick_ok = not tolerances.percent and not fields & {"subtotal", "tax", "due_on"}
        self._compare_party = "party" in fields
        self._status = "status" in fields
        self._issued = "issued_on" in fields
        self._min_party_score = rule.fuzzy.min_party_score
        self._fx_percent = rule.tolerance.fx_percent

    def clean(self, left: LedgerRow, right: LedgerRow) -> bool:
        """Fast path for the common case (two live documents that agree); False = look closer."""
        if not self._quick_ok or left.deleted or right.deleted or left.currency != right.currency:
            return False
        lt, rt = left.total, right.total
        if lt is None or rt is None or abs(lt - rt) > self.tolerances.amount:
            return False
        if self._status and left.status != right.status and statuses_differ(left.status, right.status):
            return False
        if self._issued and left.issued_on != right.issued_on:
            if left.issued_on is None or right.issued_on is None:
                return False
            if abs((left.issued_on - right.issued_on).days) > self.tolerances.days:
                return False
        a, b = left.party_name, right.party_name
        if self._compare_party and a != b and a and b and normalize_party(a) != normalize_party(b):
            return self._party_score(a, b) >= self._min_party_score
        return True

    def compare(self, match: Match) -> Discrepancy | None:
        left, right = match.left, match.right
        deleted = self._deleted(left, right)
        if deleted is not None:
            return deleted
        diffs: dict[DiscrepancyType, list[FieldDiff]] = {}
        figures = self._amounts(left, right, diffs)
        if "party" in self.rule.compare:
            self._party(left, right, diffs)
        if len(left) == 1 and len(right) == 1:
            self._single(left[0], right[0], diffs)
        if not diffs:
            return None
        kind = next(k for k in _PRIORITY if k in diffs)
        fields = [diff for k in _PRIORITY for diff in diffs.get(k, [])]
        if kind is DiscrepancyType.AMOUNT_MISMATCH and figures.cross:
            fields.append(FieldDiff(field=FX_TOLERANCE, left=None, right=str(self._fx_percent)))
        found = finding(
            self.rule.name,
            kind,
            left,
            right,
            _explain(kind, left, right, fields, figures=figures, fx_percent=self._fx_percent),
            fields=fields,
            amounts=(figures.left, figures.right),
            currency=figures.currency,
        )
        if figures.cross and (figures.left is None or figures.right is None):
            # A rate is unknown: one side's total cannot be stated in the base currency, nor a difference.
            return found.model_copy(update={"difference": None})
        return found

    def _deleted(self, left: Sequence[LedgerRow], right: Sequence[LedgerRow]) -> Discrepancy | None:
        gone = [row for row in (*left, *right) if row.deleted]
        if not gone:
            return None
        side = "left" if any(row.deleted for row in left) else "right"
        source = gone[0].source
        fields = _who_deleted(gone, side)
        said = {diff.field: diff.left if side == "left" else diff.right for diff in fields}
        fields.append(
            FieldDiff(
                field=DELETED_SIDE,
                left="yes" if side == "left" else None,
                right="yes" if side == "right" else None,
            )
        )
        by = f" by {said['deleted_by']}" if said.get("deleted_by") else ""
        at = f" at {said['deleted_at']}" if said.get("deleted_at") else ""
        text = (
            f"{describe(gone)} was deleted in {source} ({side}){by}{at} but its counterpart "
            f"{describe(right if side == 'left' else left)} is still live"
        )
        return finding(self.rule.name, DiscrepancyType.DELETED_IN_SOURCE, left, right, text, fields=fields)

    def _amounts(
        self,
        left: Sequence[LedgerRow],
        right: Sequence[LedgerRow],
        diffs: dict[DiscrepancyType, list[FieldDiff]],
    ) -> _Figures:
        """Compare totals: in the shared currency; across currencies a currency_mismatch when the rule
        compares currency or a rate is unknown, else in the base currency within the FX tolerance."""
        base = self.base_currency
        lcur = {row.currency or base for row in left}  # no currency stated: the base currency
        rcur = {row.currency or base for row in right}
        compare_total = "total" in self.rule.compare or len(left) != 1 or len(right) != 1
        if lcur == rcur and len(lcur) == 1:
            lsum, rsum = total_of(left), total_of(right)
            if (
                compare_total
                and lsum is not None
                and rsum is not None
                and not self.tolerances.accepts(lsum, rsum)
            ):
                diffs.setdefault(DiscrepancyType.AMOUNT_MISMATCH, []).append(
                    FieldDiff(field="total", left=str(money(lsum)), right=str(money(rsum)))
                )
            return _Figures(next(iter(lcur)), lsum, rsum, cross=False)
        lbase, rbase = _base_sum(left, base), _base_sum(right, base)
        typed = [
            FieldDiff(field="currency", left=_text(lcur), right=_text(rcur)),
            FieldDiff(field="total", left=_typed(left), right=_typed(right)),
        ]
        if lbase is None or rbase is None or ("currency" in self.rule.compare and lcur != rcur):
            diffs[DiscrepancyType.CURRENCY_MISMATCH] = typed
        elif compare_total and not self._fx_accepts(lbase, rbase):
            diffs.setdefault(DiscrepancyType.AMOUNT_MISMATCH, []).extend(typed)
        return _Figures(base, lbase, rbase, cross=True)

    def _fx_accepts(self, a: int, b: int) -> bool:
        """Base-currency totals of documents in different currencies: the rule's tolerance, widened to
        `fx_percent` of the larger (two systems' rates rarely agree to the cent)."""
        fx = int(self._fx_percent * max(abs(a), abs(b)) / 100)
        return abs(a - b) <= max(self.tolerances.limit(a, b), fx)

    def _party(
        self,
        left: Sequence[LedgerRow],
        right: Sequence[LedgerRow],
        diffs: dict[DiscrepancyType, list[FieldDiff]],
    ) -> None:
        lname, rname = left[0].party_name, right[0].party_name
        if lname and rname and self._party_score(lname, rname) < self.rule.fuzzy.min_party_score:
            diffs[DiscrepancyType.PARTY_MISMATCH] = [FieldDiff(field="party", left=lname, right=rname)]

    def _single(
        self, left: LedgerRow, right: LedgerRow, diffs: dict[DiscrepancyType, list[FieldDiff]]
    ) -> None:
        same_currency = left.currency == right.currency
        for name in ("subtotal", "tax"):
            if name in self.rule.compare and same_currency:
                a, b = getattr(left, name), getattr(right, name)
                if a is not None and b is not None and not self.tolerances.accepts(a, b):
                    diffs.setdefault(DiscrepancyType.AMOUNT_MISMATCH, []).append(
                        FieldDiff(field=name, left=str(money(a)), right=str(money(b)))
                    )
        if "status" in self.rule.compare and statuses_differ(left.status, right.status):
            # The canonical statuses (not their classes) are shown: finance reads `partially_paid`.
            diffs[DiscrepancyType.STATUS_MISMATCH] = [
                FieldDiff(field="status", left=left.status, right=right.status)
            ]
        for name in ("issued_on", "due_on"):
            if name not in self.rule.compare:
                continue
            a, b = getattr(left, name), getattr(right, name)
            if a is not None and b is not None and abs((a - b).days) > self.tolerances.days:
                diffs.setdefault(DiscrepancyType.DATE_MISMATCH, []).append(
                    FieldDiff(field=name, left=a.isoformat(), right=b.isoformat())
                )


def _base_sum(rows: Sequence[LedgerRow], base: str | None) -> int | None:
    total = 0
    for row in rows:
        amount = row.base_total(base)
        if amount is None:
            return None
        total += amount
    return total


def _text(values: set[str | None]) -> str:
    return ",".join(sorted(v or "?" for v in values))


def _typed(rows: Sequence[LedgerRow]) -> str:
    """A side's total as typed, in its own currency: `EUR 36,000.00` (`CNY 100.00 + USD 20.00` when
    mixed; `?` for a document without a total). Exact: a field is data (its signature), not display."""
    sums: dict[str, int | None] = {}
    for row in rows:
        code = row.currency or ""
        known = sums.get(code, 0)
        sums[code] = None if known is None or row.total is None else known + row.total
    return " + ".join(
        "?" if amount is None else format_exact(money(amount), code or None)
        for code, amount in sorted(sums.items())
    )


def _amount(value: int | None, currency: str | None) -> str:
    return format_exact(money(value), currency) if value is not None else "?"


def _field_text(diff: FieldDiff) -> str:
    if diff.field == "status":
        return f"status: {_status_text(diff.left)} vs {_status_text(diff.right)}"
    return f"{diff.field}: {diff.left} vs {diff.right}"


def _status_text(status: str | None) -> str:
    """A canonical status, with its class when the class is another word (`partially_paid (class open)`)."""
    if status is None:
        return "?"
    cls = status_class(status)
    return status if cls == status else f"{status} (class {cls})"


def _explain(
    kind: DiscrepancyType,
    left: Sequence[LedgerRow],
    right: Sequence[LedgerRow],
    fields: Sequence[FieldDiff],
    *,
    figures: _Figures,
    fx_percent: Decimal,
) -> str:
    what = "; ".join(_field_text(f) for f in fields)
    names = f"{describe(left)} ({left[0].source}) and {describe(right)} ({right[0].source})"
    if kind is DiscrepancyType.CURRENCY_MISMATCH and (figures.left is None or figures.right is None):
        return f"{names} are in different currencies and an exchange rate is unknown ({what})"
    converted = ""
    if figures.cross and figures.left is not None and figures.right is not None:
        cur = figures.currency
        converted = (
            f"; in {cur or 'the base currency'} at the documents' exchange rates that is "
            f"{_amount(figures.left, cur)} vs {_amount(figures.right, cur)}, "
            f"a difference of {_amount(figures.left - figures.right, cur)}"
        )
    if kind is DiscrepancyType.CURRENCY_MISMATCH:
        return f"{names} are in different currencies ({what}){converted}"
    if kind is DiscrepancyType.AMOUNT_MISMATCH and converted:
        converted += f", more than the {fx_percent}% FX tolerance"
    return f"{names} are matched but differ: {what}{converted}"


def _who_deleted(gone: Sequence[LedgerRow], side: str) -> list[FieldDiff]:
    """Who deleted the document and when, where its source said (a tombstone's references
    `deleted_by` / `deleted_at`, e.g. from Zoho CRM's deleted list), on the deleted side."""
    fields = []
    for name in ("deleted_by", "deleted_at"):
        value = next(
            (row.references[name] for row in gone if row.references and row.references.get(name)), None
        )
        if value is not None:
            fields.append(FieldDiff(field=name, left=value if side == "left" else None,
                                    right=value if side == "right" else None))  # fmt: skip
    return fields
