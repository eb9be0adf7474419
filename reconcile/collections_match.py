"""`collect(payments, bank, rule)`: the payments the books record against the bank credits that brought
the money in (a `collections` rule, issue 21; docs/reconcile.md#collections-rules, ADR 0034).

Passes, each over what the previous ones left:
1. reference: the bank line's reference or end-to-end id is the payment's number, reference number or id;
2. remittance: the remittance text names the payment's number or reference, or its invoices' numbers
   (full-width, spacing and case do not count: reconcile/collections_text.py);
3. amount and date: amount within the tolerance, booking or value date within `date_window_days`; the one
   best assignment per group of candidates (reconcile/assignment.py), contested ones `ambiguous_match`;
4. batches: one credit for a whole group of payments (same deposit/batch reference, else the same party
   within the window) less a fee within `fee_tolerance`;
5. split receipts: one payment received in several credits of its party within the window.
A credit short of its payments by a fee within `fee_tolerance` (or by the fee the bank reports on the line)
is matched with a `fee_difference` finding that states the fee. What is left: a payment whose window has
passed is `not_in_bank` (one still inside it is in transit: bridge line `in_transit`, no finding); a credit
is `unrecorded_receipt`. Debits are not receipts; a credit and the reversal that sends it back are netted
out (neither is a receipt), and a reversal line that is itself a credit returns our own money: ignored.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation
from typing import Final

from config.rules import CollectionsRule
from reconcile.assignment import settle
from reconcile.collections_text import MIN_NUMBER, named_in
from reconcile.facts import EXPECTED_BY, PAYER, REMITTANCE
from reconcile.findings import Tolerances, describe, finding
from reconcile.match_keys import normalize_number, normalize_party
from reconcile.matching import DocumentLike, as_rows
from reconcile.passes import GROUP_CAP, components
from reconcile.result import WITHIN_TOLERANCE, BridgeBuilder, Match, MatchContext, MatchResult, Why
from store.canonical import to_minor_units
from store.discrepancies import Discrepancy, DiscrepancyType, FieldDiff
from store.ledger_rows import LedgerRow, money

IN_TRANSIT: Final = "in_transit"
"""Bridge line: payments whose date window has not passed yet (the money may still be on its way)."""
FEE: Final = "fee"
"""A fee_difference finding's field: left = the fee (payments less credits), right = the fee the bank
reported on the line, when it did."""
BATCH_KEYS: Final = ("deposit", "batch", "batch_payment")
"""Payment references naming the deposit or batch a payment was banked in (QuickBooks Deposit, Xero
BatchPayment): payments sharing one are one group for the batch pass."""
BANK_FINDINGS: Final = frozenset(
    {DiscrepancyType.NOT_IN_BANK, DiscrepancyType.UNRECORDED_RECEIPT, DiscrepancyType.FEE_DIFFERENCE}
)
"""The findings only a collections rule makes: a data set without bank statements (the planted
ledgers of tests/unit/reconcile) cannot hold them; the demo company plants them from its statements."""
PAYMENT_REFERENCES: Final = ("reference_number", "payment_reference", "reference")
"""Where the accounting systems keep the payer's reference on a payment: Zoho Books `reference_number`,
QuickBooks `PaymentRefNum` (payment_reference), Xero `Reference`."""
_PARTY_ALIKE: Final = 85
_POINTS: Final = 1000
_PAIR: Final = 100
_COUNTED: Final = 2000
"""Batch pass: a credit whose stated batch count is the group's size weighs as much as a reference."""
_SKIPPED_KEYS: Final = frozenset({"NOTPROVIDED", "NONREF"})
"""Placeholders banks put where the payer gave no end-to-end id or reference (camt, MT940)."""


@dataclass(frozen=True)
class _Sides:
    payments: list[LedgerRow]
    credits: list[LedgerRow]
    in_scope: list[bool]
    """Per credit: booked inside the run's period (only those can be an unrecorded receipt)."""


def collect(
    payments: Iterable[DocumentLike],
    bank: Iterable[DocumentLike],
    rule: CollectionsRule,
    context: MatchContext | None = None,
    *,
    today: date | None = None,
    scope: tuple[date | None, date | None] = (None, None),
    invoice_numbers: Mapping[str, str] | None = None,
) -> MatchResult:
    """Reconcile recorded payments with bank credits. `today`: payments dated within `date_window_days`
    of it are in transit, not missing (None: every unmatched payment is `not_in_bank`). `scope`: the
    period's first and last day; bank lines outside it (loaded for the window) are matched but never
    reported. `invoice_numbers`: invoice external id -> number, for the invoices the payments apply to."""
    ctx = context or MatchContext()
    sides = _sides(as_rows(payments), as_rows(bank), scope, ctx.base_currency)
    run = _Run(rule, ctx, sides, invoice_numbers or {})
    run.manual()
    run.by_reference()
    run.by_remittance()
    run.by_amount_and_date()
    run.batches()
    run.split_receipts()
    run.leftovers(today)
    in_scope_credits = sum(1 for n, _ in enumerate(sides.credits) if sides.in_scope[n] or run.credit_taken[n])
    return MatchResult(
        matches=tuple(run.matches),
        discrepancies=tuple(sorted(run.findings, key=lambda d: (d.type.value, d.fingerprint))),
        bridge=run.bridge.build(),
        left_count=len(sides.payments),
        right_count=in_scope_credits,
    )


def _sides(
    payments: list[LedgerRow], bank: list[LedgerRow], scope: tuple[date | None, date | None], base: str | None
) -> _Sides:
    """The live payments and credits, each side in key order; a document that states no currency is in
    the base currency. Payments and credits of different currencies are never paired (no pass converts)."""
    pays = [
        _in_base(p, base) for p in payments if not p.deleted and p.status != "void" and p.total is not None
    ]
    lines = [_in_base(b, base) for b in bank if not b.deleted and b.status != "void" and b.total is not None]
    credits = [b for b in _without_reversed(lines) if (b.total or 0) > 0 and not _is_reversal(b)]
    credits.sort(key=lambda b: b.key_text)
    pays.sort(key=lambda p: p.key_text)
    start, end = scope
    in_scope = [
        start is None or end is None or (b.issued_on is not None and start <= b.issued_on <= end)
        for b in credits
    ]
    return _Sides(pays, credits, in_scope)


def _in_base(row: LedgerRow, base: str | None) -> LedgerRow:
    return row if row.currency is not None or base is None else row._replace(currency=base)


def _is_reversal(row: LedgerRow) -> bool:
    return (row.references or {}).get("reversal") == "true"


def _without_reversed(lines: list[LedgerRow]) -> list[LedgerRow]:
    """The lines less each credit a later reversal line sends back, and less those reversals: a credit
    reversed is a receipt that did not happen. A reversal pairs with the latest earlier (or same-day)
    credit of the same account, amount and counterparty not already reversed."""
    if not any(_is_reversal(row) for row in lines):
        return lines
    open_credits: dict[tuple[str, int, str], list[LedgerRow]] = {}
    for row in sorted(lines, key=lambda r: (r.issued_on or date.min, r.key_text)):
        if (row.total or 0) > 0 and not _is_reversal(row):
            open_credits.setdefault(_reversal_key(row, row.total or 0), []).append(row)
    gone: set[str] = set()
    for row in sorted(lines, key=lambda r: (r.issued_on or date.min, r.key_text)):
        if not _is_reversal(row) or (row.total or 0) >= 0:
            continue
        stack = open_credits.get(_reversal_key(row, -(row.total or 0)), [])
        earlier = [
            c for c in stack if c.issued_on is None or row.issued_on is None or c.issued_on <= row.issued_on
        ]
        if earlier:
            credit = earlier[-1]
            stack.remove(credit)
            gone.update((credit.key_text, row.key_text))
    return [row for row in lines if row.key_text not in gone]


def _reversal_key(row: LedgerRow, amount: int) -> tuple[str, int, str]:
    return (row.references or {}).get("account", ""), amount, normalize_party(row.party_name)


class _Run:
    """The state of one collect call: which payments and credits are taken, and what was found."""

    def __init__(
        self, rule: CollectionsRule, ctx: MatchContext, sides: _Sides, invoice_numbers: Mapping[str, str]
    ) -> None:
        self.rule = rule
        self.ctx = ctx
        self.pays = sides.payments
        self.credits = sides.credits
        self.in_scope = sides.in_scope
        self.invoice_numbers = invoice_numbers
        self.tol = Tolerances.of(rule.tolerance)
        self.fee_amount = to_minor_units(rule.fee_tolerance.amount)
        self.window = rule.date_window_days
        self.pay_taken = [False] * len(self.pays)
        self.credit_taken = [False] * len(self.credits)
        self.bridge = BridgeBuilder(ctx.base_currency)
        self.matches: list[Match] = []
        self.findings: list[Discrepancy] = []
        self._amount_index: dict[str | None, list[tuple[int, int]]] | None = None
        self._grossed_index: dict[str | None, list[tuple[int, int]]] = {}

    # ------------------------------------------------------------------ passes

    def manual(self) -> None:
        """Pass 0: the pairs a person made with `ledgerbridge match`, as given, then weighed like a
        reference pair (clean, `fee_difference` or `amount_mismatch`). `unmatch` forbids a pair in every
        pass (`_allowed`)."""
        if not self.ctx.forced:
            return
        pay_at = {p.key_text: n for n, p in enumerate(self.pays)}
        credit_at = {c.key_text: k for k, c in enumerate(self.credits)}
        edges = sorted(
            (pay_at[left], credit_at[right])
            for left, right in self.ctx.forced
            if left in pay_at and right in credit_at
        )
        for lefts, rights in _groups(edges):
            self._settle_group(lefts, rights, "manual", strict=False)

    def _allowed(self, n: int, c: int) -> bool:
        forbidden = self.ctx.forbidden
        return not forbidden or (self.pays[n].key_text, self.credits[c].key_text) not in forbidden

    def by_reference(self) -> None:
        """Pass 1: bank reference / end-to-end id = the payment's number, reference number or id."""
        index = _index(
            (n, key)
            for n, p in enumerate(self.pays)
            for key in {p.number, p.external_id, *_payment_references(p)}
        )
        edges: list[tuple[int, int]] = []
        for c, credit in enumerate(self.credits):
            refs = {credit.number, _ref(credit, "bank_reference"), _ref(credit, "end_to_end_id")}
            hits = {n for key in refs if (k := _key(key)) and (k in index) for n in index[k]}
            edges += [(n, c) for n in sorted(hits) if self._allowed(n, c)]
        for lefts, rights in _groups(edges):
            if len(lefts) == 1 or len(rights) == 1:
                self._settle_group(lefts, rights, "reference", strict=len(lefts) + len(rights) > 2)

    def by_remittance(self) -> None:
        """Pass 2: the remittance text names the payment's or its invoices' numbers."""
        keyed: list[tuple[int, str | None]] = []
        for n, p in enumerate(self.pays):
            if self.pay_taken[n]:
                continue
            keyed += [(n, key) for key in (p.number, *_payment_references(p))]
            keyed += [
                (n, self.invoice_numbers.get(target))
                for target, _, kind in p.allocations or ()
                if kind == "invoice"
            ]
        index = _index(keyed)
        longest = max((len(key) for key in index), default=0)
        edges: list[tuple[int, int]] = []
        for c, credit in enumerate(self.credits):
            if self.credit_taken[c] or not (text := _ref(credit, "remittance")):
                continue
            named = sorted(named_in(text, index, longest))
            edges += [(n, c) for n in named if not self.pay_taken[n] and self._allowed(n, c)]
        for lefts, rights in _groups(edges):
            if len(lefts) == 1 or len(rights) == 1:
                # Payer-typed text is weaker than a bank reference: the amounts must agree too.
                self._settle_group(lefts, rights, "remittance", strict=True)

    def by_amount_and_date(self) -> None:
        """Pass 3: amount within the tolerance and dates within the window; the one best assignment per
        group of candidates, a pair contested within `margin` points is an ambiguous_match."""
        by_currency = _amount_index(self.credits, self.credit_taken)
        scores: dict[tuple[int, int], Why] = {}
        for n, payment in enumerate(self.pays):
            if self.pay_taken[n]:
                continue
            amounts = by_currency.get(payment.currency) or []
            amount = payment.total or 0
            limit = self.tol.limit(amount, amount) * 2 + 1
            lo = _bisect(amounts, amount - limit)
            for other, c in amounts[lo:]:
                if other > amount + limit:
                    break
                if self.credit_taken[c] or not self.tol.accepts(amount, other) or not self._allowed(n, c):
                    continue
                days = self._days(payment, self.credits[c])
                if days is None or days > self.window:
                    continue
                scores[n, c] = self._why(payment, self.credits[c], amount, other, days)
        taken, contested = _assign(
            {edge: _PAIR + why.total for edge, why in scores.items()}, self.rule.margin
        )
        for n, c in taken:
            self._take([n], [c], "amount_date", scores[n, c])
        for lefts, rights in contested:
            self._ambiguous(lefts, rights)

    def batches(self) -> None:
        """Pass 4: one credit for a whole group of payments (a deposit or batch, else one party's payments
        within the window) less a fee within the fee tolerance. Where groups and credits compete, the one
        best assignment by date closeness, the smallest fee and the bank's batch count is taken, as in
        pass 3; pairs another
        assignment comes within `margin` points of are an ambiguous_match: never a guess."""
        groups = self._payment_groups()
        weights: dict[tuple[int, int], int] = {}
        for g, members in enumerate(groups):
            gross = sum(self.pays[n].total or 0 for n in members)
            for c in self._credits_for(members):
                days = max(self._days(self.pays[n], self.credits[c]) or 0 for n in members)
                fee = max(gross - (self.credits[c].total or 0), 0)
                closeness = _share(_POINTS, days, self.window) + _share(_POINTS, fee, self._fee_limit(gross))
                counted = _ref(self.credits[c], "batch_count") == str(len(members))
                weights[g, c] = _PAIR + closeness + (_COUNTED if counted else 0)
        taken, contested = _assign(weights, self.rule.margin)
        for g, c in taken:
            self._settle_group(tuple(groups[g]), (c,), "batch", strict=True)
        for batch, rights in contested:
            self._ambiguous([n for g in batch for n in groups[g]], rights)

    def split_receipts(self) -> None:
        """Pass 5: one payment received in several credits of its party within the window (whole groups)."""
        by_party: dict[str, list[int]] = {}
        for c, credit in enumerate(self.credits):
            if not self.credit_taken[c] and credit.party_name:
                by_party.setdefault(normalize_party(credit.party_name), []).append(c)
        wanted: dict[int, tuple[int, ...]] = {}
        claims: dict[int, int] = {}
        for n, payment in enumerate(self.pays):
            if self.pay_taken[n] or not payment.party_name:
                continue
            near = tuple(
                c
                for c in by_party.get(normalize_party(payment.party_name), [])
                if self.credits[c].currency == payment.currency
                and self._allowed(n, c)
                and (days := self._days(payment, self.credits[c])) is not None
                and days <= self.window
            )
            if len(near) > 1 and len(near) <= GROUP_CAP:
                wanted[n] = near
                for c in near:
                    claims[c] = claims.get(c, 0) + 1
        for n, near in wanted.items():
            if all(claims[c] == 1 for c in near):
                self._settle_group((n,), near, "split", strict=True)

    def leftovers(self, today: date | None) -> None:
        for n, payment in enumerate(self.pays):
            if self.pay_taken[n]:
                continue
            due = None if payment.issued_on is None else payment.issued_on + timedelta(days=self.window)
            if today is not None and due is not None and today <= due:
                self.bridge.add(IN_TRANSIT, [payment], [])
                continue
            self._not_in_bank(payment, due)
        for c, credit in enumerate(self.credits):
            if not self.credit_taken[c] and self.in_scope[c]:
                self._unrecorded(credit)

    # ------------------------------------------------------------------ outcomes

    def _settle_group(self, lefts: Sequence[int], rights: Sequence[int], how: str, *, strict: bool) -> None:
        """Payments `lefts` against credits `rights` (one side a single document): matched clean when the
        amounts agree, with a fee_difference when the credits are short by an accepted fee; otherwise,
        unless `strict`, matched with an amount_mismatch (the reference says they belong together)."""
        pays = [self.pays[n] for n in lefts if not self.pay_taken[n]]
        credits = [self.credits[c] for c in rights if not self.credit_taken[c]]
        if len(pays) != len(lefts) or len(credits) != len(rights):
            return
        if len({row.currency for row in (*pays, *credits)}) > 1:
            if not strict:  # a reference (or a person) pairs them; no pass converts between currencies
                self._take(lefts, rights, how, line=None)
                self._found(DiscrepancyType.CURRENCY_MISMATCH, pays, credits, "are in different currencies")
            return
        gross = sum(p.total or 0 for p in pays)
        net = sum(c.total or 0 for c in credits)
        if self.tol.accepts(gross, net):
            self._take(lefts, rights, how)
            return
        fee = gross - net
        reported = _reported_fee(credits)
        if fee > 0 and (
            fee <= self._fee_limit(gross) or (reported is not None and self.tol.accepts(fee, reported))
        ):
            self._take(lefts, rights, how, line=None)
            self._fee(pays, credits, fee, reported)
            return
        if strict:
            return
        self._take(lefts, rights, how, line=None)
        self._found(DiscrepancyType.AMOUNT_MISMATCH, pays, credits, f"differ by {money(fee)}")

    def _found(
        self, kind: DiscrepancyType, pays: list[LedgerRow], credits: list[LedgerRow], what: str
    ) -> None:
        """A pair a reference or a person made that does not agree: amount_mismatch or currency_mismatch."""
        text = (
            f"{describe(pays)} ({pays[0].source}) and bank credit {describe(credits)} ({credits[0].source}) "
            f"belong together but {what}"
        )
        fields = []
        if kind is DiscrepancyType.CURRENCY_MISMATCH:
            fields = [FieldDiff(field="currency", left=pays[0].currency, right=credits[0].currency)]
        found = finding(self.rule.name, kind, pays, credits, text, fields=fields)
        self.findings.append(found)
        self._bridge(found.type.value, pays, credits)

    def _take(
        self,
        lefts: Sequence[int],
        rights: Sequence[int],
        how: str,
        why: Why | None = None,
        *,
        line: str | None = WITHIN_TOLERANCE,
    ) -> None:
        for n in lefts:
            self.pay_taken[n] = True
        for c in rights:
            self.credit_taken[c] = True
        pays = tuple(self.pays[n] for n in lefts)
        credits = tuple(self.credits[c] for c in rights)
        self.matches.append(Match(pays, credits, how, why))
        if line is None:
            return
        if len(pays) != 1 or len(credits) != 1 or not self.bridge.add_clean(pays[0], credits[0]):
            self._bridge(line, pays, credits)

    def _fee(
        self, pays: Sequence[LedgerRow], credits: Sequence[LedgerRow], fee: int, reported: int | None
    ) -> None:
        net, gross = money(sum(c.total or 0 for c in credits)), money(sum(p.total or 0 for p in pays))
        text = (
            f"bank credit {describe(credits)} ({credits[0].source}) of {net} settles {describe(pays)} "
            f"({pays[0].source}) of {gross} less a fee of {money(fee)}"
        )
        fields = [
            FieldDiff(
                field=FEE, left=str(money(fee)), right=None if reported is None else str(money(reported))
            )
        ]
        found = finding(self.rule.name, DiscrepancyType.FEE_DIFFERENCE, pays, credits, text, fields=fields)
        self.findings.append(found)
        self._bridge(found.type.value, pays, credits)

    def _ambiguous(self, lefts: Sequence[int], rights: Sequence[int]) -> None:
        for n in lefts:
            self.pay_taken[n] = True
        for c in rights:
            self.credit_taken[c] = True
        pays = [self.pays[n] for n in lefts]
        credits = [self.credits[c] for c in rights]
        text = (
            f"payments {describe(pays)} and bank credits {describe(credits)} are alike in amount and date; "
            "none is clearly the other's: match them by hand"
        )
        found = finding(self.rule.name, DiscrepancyType.AMBIGUOUS_MATCH, pays, credits, text)
        self.findings.append(found)
        self._bridge(found.type.value, pays, credits)

    def _not_in_bank(self, payment: LedgerRow, due: date | None) -> None:
        when = f" by {due.isoformat()}" if due is not None else ""
        text = (
            f"{describe([payment])} ({payment.source}) of {money(payment.total)} is recorded as received, "
            f"but no bank credit in {self.rule.bank.source} matches it{when}"
        )
        facts = [FieldDiff(field=EXPECTED_BY, left=None, right=due.isoformat())] if due is not None else []
        found = finding(self.rule.name, DiscrepancyType.NOT_IN_BANK, [payment], [], text, fields=facts)
        self.findings.append(found)
        self.bridge.add(found.type.value, [payment], [])

    def _unrecorded(self, credit: LedgerRow) -> None:
        text = (
            f"bank credit {describe([credit])} ({credit.source}) of {money(credit.total)} from "
            f"{credit.party_name or 'an unnamed payer'} matches no payment recorded in "
            f"{self.rule.payments.source}"
        )
        remittance = _ref(credit, "remittance")
        facts = [FieldDiff(field=PAYER, left=None, right=credit.party_name)] if credit.party_name else []
        facts += [FieldDiff(field=REMITTANCE, left=None, right=remittance)] if remittance else []
        found = finding(self.rule.name, DiscrepancyType.UNRECORDED_RECEIPT, [], [credit], text, fields=facts)
        self.findings.append(found)
        self.bridge.add(found.type.value, [], [credit])

    def _bridge(self, line: str, pays: Sequence[LedgerRow], credits: Sequence[LedgerRow]) -> None:
        """Add a pair's documents to the bridge, the bank credits in the base currency at their payments'
        rate: a statement states no exchange rate, and a credit in the payments' own currency is worth
        what they are worth. (Left unconverted, a foreign pair's whole base amount would show as a
        within-tolerance difference and the right total would leave the credits out.)"""
        self.bridge.add(line, pays, [_at_rate_of(pays, credit) for credit in credits])

    # ------------------------------------------------------------------ helpers

    def _payment_groups(self) -> list[list[int]]:
        """The batch pass's groups of free payments: by deposit/batch reference, else by party, split
        where two consecutive payments are more than the window apart (a party's group only matches a
        credit its party paid: `_credits_for`)."""
        by_batch: dict[tuple[str | None, str], list[int]] = {}
        by_party: dict[tuple[str | None, str], list[int]] = {}
        for n, payment in enumerate(self.pays):
            if self.pay_taken[n]:
                continue
            batch = next((value for key in BATCH_KEYS if (value := _ref(payment, key))), None)
            if batch is not None:
                by_batch.setdefault((payment.currency, batch), []).append(n)
            elif payment.party_name:
                by_party.setdefault((payment.currency, normalize_party(payment.party_name)), []).append(n)
        groups = list(by_batch.values())
        for members in by_party.values():
            members.sort(key=lambda n: (self.pays[n].issued_on or date.min, self.pays[n].key_text))
            run: list[int] = []
            for n in members:
                day, last = self.pays[n].issued_on, self.pays[run[-1]].issued_on if run else None
                if run and (day is None or last is None or (day - last).days > self.window):
                    groups.append(run)
                    run = []
                run.append(n)
            if run:
                groups.append(run)
        return [group for group in groups if len(group) <= GROUP_CAP * GROUP_CAP]

    def _credits_for(self, members: Sequence[int]) -> list[int]:
        """Free credits a group's payments could be banked as: the sum less at most the fee limit, every
        payment within the window, and the bank's batch count (when it states one) the group's size. A
        group without a deposit/batch reference is one party's: the credit's payer must be that party."""
        pays = [self.pays[n] for n in members]
        by_party = not any(_ref(pays[0], key) for key in BATCH_KEYS)
        gross = sum(p.total or 0 for p in pays)
        lowest = gross - self._fee_limit(gross) - self.tol.limit(gross, gross)
        highest = gross + self.tol.limit(gross, gross)
        found: list[int] = []
        tolerance = self.tol.limit(gross, gross)
        reported = self._credit_amounts(pays[0].currency, gross - tolerance, gross + tolerance, grossed=True)
        for c in sorted({*self._credit_amounts(pays[0].currency, lowest, highest), *reported}):
            credit = self.credits[c]
            count = _ref(credit, "batch_count")
            if count is not None and count.isdigit() and int(count) != len(pays):
                continue
            if not all(self._allowed(n, c) for n in members):
                continue
            if by_party and self.ctx.aliases.score(pays[0].party_name, credit.party_name) < _PARTY_ALIKE:
                continue
            days = [self._days(p, credit) for p in pays]
            if all(d is not None and d <= self.window for d in days):
                found.append(c)
        return found

    def _credit_amounts(
        self, currency: str | None, lowest: int, highest: int, *, grossed: bool = False
    ) -> list[int]:
        """Free credits of `currency` from `lowest` to `highest`; `grossed`: those reporting a fee, by their
        amount plus that fee."""
        if self._amount_index is None:
            self._amount_index = _amount_index(self.credits)
            reporting = [
                (c, fee) for c, credit in enumerate(self.credits) if (fee := _reported_fee([credit]))
            ]
            grossed_up: dict[str | None, list[tuple[int, int]]] = {}
            for c, fee in reporting:
                credit = self.credits[c]
                grossed_up.setdefault(credit.currency, []).append(((credit.total or 0) + fee, c))
            self._grossed_index = {currency: sorted(amounts) for currency, amounts in grossed_up.items()}
        amounts = (self._grossed_index if grossed else self._amount_index).get(currency) or []
        found: list[int] = []
        for amount, c in amounts[_bisect(amounts, lowest) :]:
            if amount > highest:
                break
            if not self.credit_taken[c]:
                found.append(c)
        return found

    def _fee_limit(self, gross: int) -> int:
        relative = int(self.rule.fee_tolerance.percent * abs(gross) / 100)
        return max(self.fee_amount, relative)

    def _days(self, payment: LedgerRow, credit: LedgerRow) -> int | None:
        """Days between the payment and the credit's booking or value date, whichever is nearer."""
        if payment.issued_on is None:
            return None
        apart = [
            abs((day - payment.issued_on).days) for day in (credit.issued_on, _value_date(credit)) if day
        ]
        return min(apart) if apart else None

    def _why(self, payment: LedgerRow, credit: LedgerRow, amount: int, other: int, days: int) -> Why:
        likeness = self.ctx.aliases.score(payment.party_name, credit.party_name)
        party = (
            0
            if likeness < _PARTY_ALIKE
            else _share(_POINTS, 10_000 - round(likeness * 100), 10_000 - _PARTY_ALIKE * 100)
        )
        return Why(
            amount=_share(_POINTS, abs(amount - other), self.tol.limit(amount, other)),
            date=_share(_POINTS, days, self.window),
            party=party,
            reference=0,
        )


def _assign(
    weights: Mapping[tuple[int, int], int], margin: int
) -> tuple[list[tuple[int, int]], list[tuple[tuple[int, ...], tuple[int, ...]]]]:
    """Per connected group of candidate pairs, the one best assignment (reconcile/assignment.py): the
    pairs taken, and the groups of what is left whose pairs another assignment comes within `margin`
    points of (a group with more than GROUP_CAP documents a side is not searched: all of it)."""
    taken: list[tuple[int, int]] = []
    contested: list[tuple[tuple[int, ...], tuple[int, ...]]] = []
    for lefts, rights in components(weights):
        edges = [(a, b) for a in lefts for b in rights if (a, b) in weights]
        if len(edges) == 1:
            taken += edges
            continue
        if len(lefts) > GROUP_CAP or len(rights) > GROUP_CAP:
            contested.append((lefts, rights))
            continue
        at_left, at_right = {a: k for k, a in enumerate(lefts)}, {b: k for k, b in enumerate(rights)}
        local = {(at_left[a], at_right[b]): weights[a, b] for a, b in edges}
        outcome = settle(len(lefts), len(rights), local, margin * 100)
        chosen = [(lefts[x], rights[y]) for x, y in outcome.pairs]
        taken += chosen
        used_left, used_right = {a for a, _ in chosen}, {b for _, b in chosen}
        contested += components((a, b) for a, b in edges if a not in used_left and b not in used_right)
    return sorted(taken), contested


def _share(points: int, distance: int, limit: int) -> int:
    if limit <= 0:
        return points if distance <= 0 else 0
    return max(0, points * (limit - distance) // limit)


def _amount_index(
    credits: Sequence[LedgerRow], taken: Sequence[bool] | None = None
) -> dict[str | None, list[tuple[int, int]]]:
    """Per currency, (amount, position) of the credits (the free ones, given `taken`), by amount."""
    index: dict[str | None, list[tuple[int, int]]] = {}
    for c, credit in enumerate(credits):
        if taken is None or not taken[c]:
            index.setdefault(credit.currency, []).append((credit.total or 0, c))
    for amounts in index.values():
        amounts.sort()
    return index


def _bisect(amounts: Sequence[tuple[int, int]], lowest: int) -> int:
    lo, hi = 0, len(amounts)
    while lo < hi:
        mid = (lo + hi) // 2
        if amounts[mid][0] < lowest:
            lo = mid + 1
        else:
            hi = mid
    return lo


def _payment_references(payment: LedgerRow) -> list[str]:
    refs = payment.references or {}
    return [value for key in PAYMENT_REFERENCES if (value := refs.get(key))]


def _ref(row: LedgerRow, name: str) -> str | None:
    return (row.references or {}).get(name) or None


def _key(value: str | None) -> str | None:
    key = normalize_number(value)
    return None if key is None or len(key) < MIN_NUMBER or key in _SKIPPED_KEYS else key


def _groups(edges: list[tuple[int, int]]) -> list[tuple[tuple[int, ...], tuple[int, ...]]]:
    """`components` of the edges, the common one-to-one pairs (each end in no other edge) taken first."""
    lefts: dict[int, int] = {}
    rights: dict[int, int] = {}
    for a, b in edges:
        lefts[a] = lefts.get(a, 0) + 1
        rights[b] = rights.get(b, 0) + 1
    single = [((a,), (b,)) for a, b in edges if lefts[a] == 1 and rights[b] == 1]
    rest = [(a, b) for a, b in edges if lefts[a] > 1 or rights[b] > 1]
    return sorted([*single, *components(rest)])


def _index(keyed: Iterable[tuple[int, str | None]]) -> dict[str, frozenset[int]]:
    index: dict[str, set[int]] = {}
    for n, value in keyed:
        key = _key(value)
        if key is not None:
            index.setdefault(key, set()).add(n)
    return {key: frozenset(found) for key, found in index.items()}


def _value_date(row: LedgerRow) -> date | None:
    text = _ref(row, "value_date")
    try:
        return date.fromisoformat(text) if text else None
    except ValueError:
        return None


def _reported_fee(credits: Sequence[LedgerRow]) -> int | None:
    """The fee the bank itself reports on the lines (`references.fee`), None when none does."""
    fees = [_ref(c, "fee") for c in credits]
    total = 0
    for text in fees:
        if text is None:
            continue
        try:
            total += abs(to_minor_units(_decimal(text)))
        except ValueError:
            return None
    return total if any(fees) else None


def _decimal(text: str) -> Decimal:
    try:
        return Decimal(text)
    except InvalidOperation as exc:
        raise ValueError(text) from exc


def _at_rate_of(pays: Sequence[LedgerRow], credit: LedgerRow) -> LedgerRow:
    """The credit with the rate its payments were booked at (their base total over their total), when it
    states none and is in their currency; otherwise as it is (a credit that cannot be converted is
    counted as unconverted by the bridge, and said)."""
    if credit.rate is not None or not pays or any(p.currency != credit.currency for p in pays):
        return credit
    live = [(p.total, p.rate) for p in pays if not p.deleted and p.total is not None]
    amount = sum(total for total, _ in live)
    if not amount or any(rate is None for _, rate in live):
        return credit
    base = sum((rate * total for total, rate in live if rate is not None), Decimal(0))
    return credit._replace(rate=base / amount)
