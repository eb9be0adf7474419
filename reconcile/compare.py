"""Comparing matched documents field by field under a rule's tolerances: at most one finding per match."""

from __future__ import annotations

from collections.abc import Sequence

from config.rules import MatchRule
from reconcile.findings import Tolerances, describe, finding, total_of
from reconcile.normalize import normalize_party, party_score
from reconcile.result import Match
from reconcile.rows import LedgerRow, money
from store.canonical import Discrepancy, DiscrepancyType, FieldDiff

# When one match differs in several ways, the finding takes the first type here and lists every field.
_PRIORITY = (
    DiscrepancyType.CURRENCY_MISMATCH,
    DiscrepancyType.AMOUNT_MISMATCH,
    DiscrepancyType.PARTY_MISMATCH,
    DiscrepancyType.STATUS_MISMATCH,
    DiscrepancyType.DATE_MISMATCH,
)


class Comparer:
    """Compares the documents of one match under one rule."""

    def __init__(self, rule: MatchRule, tolerances: Tolerances, base_currency: str | None) -> None:
        self.rule = rule
        self.tolerances = tolerances
        self.base_currency = base_currency
        fields = set(rule.compare)
        self._quick_ok = not tolerances.percent and not fields & {"subtotal", "tax", "due_on"}
        self._compare_party = "party" in fields
        self._status = "status" in fields
        self._issued = "issued_on" in fields
        self._min_party_score = rule.fuzzy.min_party_score

    def clean(self, left: LedgerRow, right: LedgerRow) -> bool:
        """Fast path for the common case (two live documents that agree); False = look closer."""
        if not self._quick_ok or left.deleted or right.deleted or left.currency != right.currency:
            return False
        lt, rt = left.total, right.total
        if lt is None or rt is None or abs(lt - rt) > self.tolerances.amount:
            return False
        if self._status and left.status != right.status:
            return False
        if self._issued and left.issued_on != right.issued_on:
            if left.issued_on is None or right.issued_on is None:
                return False
            if abs((left.issued_on - right.issued_on).days) > self.tolerances.days:
                return False
        a, b = left.party_name, right.party_name
        if self._compare_party and a != b and a and b and normalize_party(a) != normalize_party(b):
            return party_score(a, b) >= self._min_party_score
        return True

    def compare(self, match: Match) -> Discrepancy | None:
        left, right = match.left, match.right
        deleted = self._deleted(left, right)
        if deleted is not None:
            return deleted
        diffs: dict[DiscrepancyType, list[FieldDiff]] = {}
        amounts = self._amounts(left, right, diffs)
        if "party" in self.rule.compare:
            self._party(left, right, diffs)
        if len(left) == 1 and len(right) == 1:
            self._single(left[0], right[0], diffs)
        if not diffs:
            return None
        kind = next(k for k in _PRIORITY if k in diffs)
        fields = [diff for k in _PRIORITY for diff in diffs.get(k, [])]
        currency, pair = amounts
        return finding(
            self.rule.name,
            kind,
            left,
            right,
            _explain(kind, left, right, fields),
            fields=fields,
            amounts=pair,
            currency=currency,
        )

    def _deleted(self, left: Sequence[LedgerRow], right: Sequence[LedgerRow]) -> Discrepancy | None:
        gone = [row for row in (*left, *right) if row.deleted]
        if not gone:
            return None
        side = "left" if any(row.deleted for row in left) else "right"
        source = gone[0].source
        text = (
            f"{describe(gone)} was deleted in {source} ({side}) but its counterpart "
            f"{describe(right if side == 'left' else left)} is still live"
        )
        return finding(self.rule.name, DiscrepancyType.DELETED_IN_SOURCE, left, right, text)

    def _amounts(
        self,
        left: Sequence[LedgerRow],
        right: Sequence[LedgerRow],
        diffs: dict[DiscrepancyType, list[FieldDiff]],
    ) -> tuple[str | None, tuple[int | None, int | None]]:
        """Compare totals (in the shared currency, else through known rates, else currency_mismatch)."""
        lcur = {row.currency for row in left}
        rcur = {row.currency for row in right}
        lsum, rsum = total_of(left), total_of(right)
        currency = next(iter(lcur)) if len(lcur) == 1 else None
        if lcur != rcur or len(lcur) != 1:
            lsum = _base_sum(left, self.base_currency)
            rsum = _base_sum(right, self.base_currency)
            currency = self.base_currency
            if lsum is None or rsum is None:
                diffs[DiscrepancyType.CURRENCY_MISMATCH] = [
                    FieldDiff(field="currency", left=_text(lcur), right=_text(rcur))
                ]
                return None, (total_of(left), total_of(right))
        compare_total = "total" in self.rule.compare or len(left) != 1 or len(right) != 1
        if (
            compare_total
            and lsum is not None
            and rsum is not None
            and not self.tolerances.accepts(lsum, rsum)
        ):
            diffs.setdefault(DiscrepancyType.AMOUNT_MISMATCH, []).append(
                FieldDiff(field="total", left=str(money(lsum)), right=str(money(rsum)))
            )
        return currency, (lsum, rsum)

    def _party(
        self,
        left: Sequence[LedgerRow],
        right: Sequence[LedgerRow],
        diffs: dict[DiscrepancyType, list[FieldDiff]],
    ) -> None:
        lname, rname = left[0].party_name, right[0].party_name
        if lname and rname and party_score(lname, rname) < self.rule.fuzzy.min_party_score:
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
        if "status" in self.rule.compare and left.status != right.status:
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


def _explain(
    kind: DiscrepancyType, left: Sequence[LedgerRow], right: Sequence[LedgerRow], fields: Sequence[FieldDiff]
) -> str:
    what = "; ".join(f"{f.field}: {f.left} vs {f.right}" for f in fields)
    names = f"{describe(left)} ({left[0].source}) and {describe(right)} ({right[0].source})"
    if kind is DiscrepancyType.CURRENCY_MISMATCH:
        return f"{names} are in different currencies and an exchange rate is unknown ({what})"
    return f"{names} are matched but differ: {what}"
