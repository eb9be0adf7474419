"""Generated pairs of ledgers with every discrepancy type planted at known places, plus traps.

`planted_ledgers(n)` builds a CRM invoice ledger (left), the accounting system's invoices (right) and
its payments, from n deals. A few deals per type get a planted problem; others get a *trap*: a
difference the rules must accept (rounding within tolerance, number formatting, party name variants,
fuzzy-only counterparts, split payments that add up, converted foreign currency). `expected` lists
every planted finding as (rule, type, left keys, right keys), so a test can measure precision and
recall exactly. The demo reuses these ideas to make its sandbox data interesting.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_DOWN, Decimal
from typing import Any

from config.rules import ALL_AUDIT_CHECKS, AuditPlan, MatchRule, SettlementRule
from config.settings import Settings
from store.canonical import Allocation, CanonicalDocument, DocumentKind, Line, PartyRef, Status

LEFT, RIGHT = "zoho-crm", "zoho-books"
MATCH_RULE = MatchRule.model_validate(
    {
        "name": "crm-vs-books-invoices",
        "left": {"source": LEFT, "kind": "invoice"},
        "right": {"source": RIGHT, "kind": "invoice"},
        "keys": ["number"],
        "fuzzy": {"enabled": True, "date_window_days": 7},
        "tolerance": {"amount": "0.01", "days": 3},
        # Not currency: the converted_currency trap (USD at its rate in Books) must pass (ADR 0017).
        "compare": ["total", "party", "issued_on", "status"],
    }
)
SETTLEMENT_RULE = SettlementRule.model_validate(
    {
        "name": "books-settlement",
        "kind": "settlement",
        "invoices": {"source": RIGHT, "kind": "invoice"},
        "payments": {"source": RIGHT, "kind": "payment"},
        "tolerance": {"amount": "0.01"},
        "audit": [],
    }
)
AUDIT_CHECKS = ALL_AUDIT_CHECKS
AUDIT_PLAN = AuditPlan.model_validate(
    {
        "name": "audit",
        "scope": [
            {"source": LEFT, "kind": "invoice"},
            {"source": RIGHT, "kind": "invoice"},
            {"source": RIGHT, "kind": "credit_note"},
        ],
        "tolerance": {"amount": "0.01"},
    }
)
"""The audit plan over both ledgers: each planted audit finding is found once, under the plan's name."""

_COMPANIES = [
    ("Acme Trading {n}", " Co., Ltd.", [" CO LTD", " Limited", " co."]),
    ("上海星辰贸易{n}", "有限公司", ["有限公司（总部）", "股份有限公司", ""]),
    ("Globex {n}", " Corporation", [" CORP.", " Corp (HQ)", " corporation"]),
    ("北京云帆科技{n}", "有限责任公司", ["有限公司", "（北京分公司）"]),
    ("Initech {n}", " Inc.", [", INC.", " Incorporated"]),
]
_OWNERS = ("amy", "bo", "chen", "dana")

Expected = tuple[str, str, frozenset[str], frozenset[str]]


@dataclass
class PlantedLedgers:
    """Left and right invoices, the right side's payments, order dates, and what must be found."""

    left: list[CanonicalDocument] = field(default_factory=list)
    right: list[CanonicalDocument] = field(default_factory=list)
    payments: list[CanonicalDocument] = field(default_factory=list)
    order_dates: dict[tuple[str, str], date] = field(default_factory=dict)
    credit_notes: list[CanonicalDocument] = field(default_factory=list)
    """The right side's credit notes (credit_note_exceeds_invoice)."""
    orders: list[CanonicalDocument] = field(default_factory=list)
    """The left side's sales orders that invoices reference (for invoice_before_order)."""
    expected: set[Expected] = field(default_factory=set)
    traps: dict[str, int] = field(default_factory=dict)

    def documents(self) -> list[CanonicalDocument]:
        """Every planted document: both sides, the payments, the orders and the credit notes."""
        return [*self.left, *self.right, *self.payments, *self.orders, *self.credit_notes]


def key(doc: CanonicalDocument) -> str:
    return str(doc.key)


def planted_ledgers(n: int = 5000, seed: int = 20261027, per_type: int = 8) -> PlantedLedgers:
    """n deals (about n documents a side) with `per_type` plants of every discrepancy type."""
    rng = random.Random(seed)
    out = PlantedLedgers()
    plans = _plans(n, per_type, rng)
    for index in range(n):
        base = _deal(index, rng)
        plan = plans.get(index, "clean")
        if plan in _DISCOUNTS:
            base = _discounted(base, _DISCOUNTS[plan])
        left, rights = _apply(plan, index, base, rng, out)
        if left is not None:
            out.left.append(left)
        out.right.extend(rights)
        extra_left, extra_right = _companions(plan, index, base, out)
        out.left.extend(extra_left)
        out.right.extend(extra_right)
        rights = [*rights, *extra_right]
        for right in rights:
            out.payments.extend(_settle(plan, right, out))
        out.traps[plan] = out.traps.get(plan, 0) + 1
    return out


_MATCH_PLANTS = (
    "missing_in_right",
    "missing_in_left",
    "amount_mismatch",
    "currency_mismatch",
    "date_mismatch",
    "status_mismatch",
    "party_mismatch",
    "duplicate",
    "ambiguous_match",
    "deleted_in_source",
)
_TRAPS = (
    "rounding",
    "formatting",
    "party_variant",
    "fuzzy_only",
    "converted_currency",
    "split_payment",
    "instalments",
    "separate_orders",
    "discount_at_limit",
    "partial_credit",
    "steady_customer",
)
_GROUP_PLANTS = ("possible_duplicate", "unusual_amount", "credit_note_exceeds_invoice")
_DISCOUNTS = {"discount_above_limit": Decimal("0.40"), "discount_at_limit": Decimal("0.30")}
"""Deals given a document-level discount of this share of the subtotal (the limit is 30%)."""
_SETTLE_PLANTS = ("underpaid", "overpaid", "unapplied_payment", "allocation_to_missing")


def _plans(n: int, per_type: int, rng: random.Random) -> dict[int, str]:
    names = [*_MATCH_PLANTS, *AUDIT_CHECKS, *_SETTLE_PLANTS] * per_type + list(_TRAPS) * (per_type * 4)
    if len(names) > n:
        raise ValueError(f"{n} deals cannot hold {len(names)} plants and traps")
    positions = rng.sample(range(n), len(names))
    return dict(zip(positions, names, strict=True))


def _deal(index: int, rng: random.Random) -> CanonicalDocument:
    subtotal = Decimal(rng.randrange(10_000, 5_000_000)) / 100
    tax = (subtotal * Decimal("0.13")).quantize(Decimal("0.01"))
    total = subtotal + tax
    issued = date(2026, 10, 1) + timedelta(days=rng.randrange(31))
    stem, suffix, _ = _COMPANIES[index % len(_COMPANIES)]
    first = (subtotal / 2).quantize(Decimal("0.01"))
    paid = total if index % 3 else (total / 2).quantize(Decimal("0.01"))
    return CanonicalDocument(
        source=LEFT,
        kind=DocumentKind.INVOICE,
        external_id=f"crm-{index:07d}",
        number=f"INV-{index:07d}",
        party=PartyRef(external_id=f"acct-{index}", name=stem.format(n=f"{index:05d}") + suffix),
        owner=_OWNERS[index % len(_OWNERS)],
        issued_on=issued,
        due_on=issued + timedelta(days=30),
        currency="CNY",
        subtotal=subtotal,
        tax=tax,
        total=total,
        balance=total - paid,
        status=Status.PAID if paid == total else Status.PARTIALLY_PAID,
        lines=(Line(product="A", amount=first), Line(product="B", amount=subtotal - first)),
        discount=Decimal(0),
        shipping=Decimal(0),
        adjustment=Decimal(0),
        rounding=Decimal(0),
        tax_inclusive=False,
    )


def _variant(index: int) -> PartyRef:
    """The same customer as the accounting system spells it: case, legal suffix, branch note."""
    stem, _, variants = _COMPANIES[index % len(_COMPANIES)]
    name = stem.format(n=f"{index:05d}") + variants[(index // len(_COMPANIES)) % len(variants)]
    return PartyRef(name=name.upper() if index % 2 else name)


def _right_of(base: CanonicalDocument, index: int, **changes: object) -> CanonicalDocument:
    data = base.model_dump()
    data.update(source=RIGHT, external_id=f"books-{index:07d}")
    data.update(changes)
    return CanonicalDocument.model_validate(data)


def _expect(
    out: PlantedLedgers, kind: str, left: list[CanonicalDocument], right: list[CanonicalDocument]
) -> None:
    if kind in AUDIT_CHECKS:
        rule = AUDIT_PLAN.name
    else:
        rule = SETTLEMENT_RULE.name if kind in _SETTLE_PLANTS else MATCH_RULE.name
    out.expected.add((rule, kind, frozenset(map(key, left)), frozenset(map(key, right))))


def _apply(
    plan: str, index: int, base: CanonicalDocument, rng: random.Random, out: PlantedLedgers
) -> tuple[CanonicalDocument | None, list[CanonicalDocument]]:
    left = base
    right = _right_of(base, index)
    total = base.total or Decimal(0)
    if plan == "missing_in_right":
        _expect(out, plan, [left], [])
        return left, []
    if plan == "missing_in_left":
        _expect(out, plan, [], [right])
        return None, [right]
    if plan == "amount_mismatch":
        extra = Decimal("0.02") * rng.randrange(1, 500)
        subtotal = (base.subtotal or Decimal(0)) + extra
        right = _right_of(base, index, total=total + extra, subtotal=subtotal, lines=())
    elif plan == "currency_mismatch":
        right = _right_of(base, index, currency="USD")
    elif plan == "date_mismatch":
        right = _right_of(base, index, issued_on=(base.issued_on or date.min) + timedelta(days=10))
    elif plan == "status_mismatch":
        right = _right_of(base, index, status=Status.VOID)
    elif plan == "party_mismatch":
        right = _right_of(base, index, party=PartyRef(name=f"Umbrella Holdings {index}"))
    elif plan == "deleted_in_source":
        right = _right_of(base, index, deleted=True, status=Status.DELETED)
    elif plan == "duplicate":
        twin = _right_of(base, index, external_id=f"books-{index:07d}-dup", balance=total, status=Status.OPEN)
        _expect(out, plan, [left], [right, twin])
        return left, [right, twin]
    elif plan == "ambiguous_match":
        left = base.model_copy(update={"number": None})
        right = _right_of(base, index, number=None)
        twin = _right_of(base, index, number=None, external_id=f"books-{index:07d}-twin")
        _expect(out, plan, [left], [right, twin])
        return left, [right, twin]
    elif plan in AUDIT_CHECKS:
        left = _audit_plant(plan, base, index, out)
        _expect(out, plan, [left], [])
        return left, [right]
    else:
        return left, [_trap(plan, base, index)]
    _expect(out, plan, [left], [right])
    return left, [right]


def _audit_plant(plan: str, base: CanonicalDocument, index: int, out: PlantedLedgers) -> CanonicalDocument:
    total = base.total or Decimal(0)
    if plan == "discount_above_limit":  # both sides carry the discount (they agree with each other)
        _expect(out, plan, [_right_of(base, index)], [])
        return base
    if plan in _GROUP_PLANTS:  # the companions carry the problem: _companions expects them
        return base
    if plan == "total_not_subtotal_plus_tax":
        return base.model_copy(update={"tax": (base.tax or Decimal(0)) + Decimal("5.00"), "lines": ()})
    if plan == "total_not_sum_of_lines":
        return base.model_copy(update={"lines": (Line(product="A", amount=total + Decimal("100.00")),)})
    if plan == "negative_amount":
        discounted = (
            Line(product="A", amount=(base.subtotal or Decimal(0)) + 10),
            Line(product="Discount", amount=Decimal(-10)),
        )
        return base.model_copy(update={"lines": discounted})
    if plan == "due_before_issue":
        return base.model_copy(update={"due_on": (base.issued_on or date.min) - timedelta(days=5)})
    if plan == "missing_owner":
        return base.model_copy(update={"owner": None})
    # invoice_before_order: the referenced sales order was issued after the invoice.
    order_id = f"so-{index}"
    ordered = (base.issued_on or date.min) + timedelta(days=4)
    out.order_dates[(LEFT, order_id)] = ordered
    out.orders.append(
        base.model_copy(
            update={
                "kind": DocumentKind.SALES_ORDER,
                "external_id": order_id,
                "number": f"SO-{index}",
                "issued_on": ordered,
                "due_on": None,
            }
        )
    )
    return base.model_copy(update={"references": {"sales_order": order_id}})


def _discounted(base: CanonicalDocument, share: Decimal) -> CanonicalDocument:
    """The deal with a document-level discount of `share` of its subtotal, fully paid."""
    subtotal, tax = base.subtotal or Decimal(0), base.tax or Decimal(0)
    discount = (subtotal * share).quantize(Decimal("0.01"), rounding=ROUND_DOWN)
    total = subtotal - discount + tax
    return base.model_copy(
        update={"discount": discount, "total": total, "balance": Decimal(0), "status": Status.PAID}
    )


def _scaled(base: CanonicalDocument, factor: Decimal, suffix: str, days: int) -> CanonicalDocument:
    """Another invoice of the same customer: amounts scaled, number suffixed, issued `days` later."""
    subtotal = ((base.subtotal or Decimal(0)) * factor).quantize(Decimal("0.01"))
    tax = (subtotal * Decimal("0.13")).quantize(Decimal("0.01"))
    first = (subtotal / 2).quantize(Decimal("0.01"))
    issued = (base.issued_on or date.min) + timedelta(days=days)
    return base.model_copy(
        update={
            "external_id": f"{base.external_id}-{suffix}",
            "number": f"{base.number}-{suffix}",
            "issued_on": issued,
            "due_on": issued + timedelta(days=30),
            "subtotal": subtotal,
            "tax": tax,
            "total": subtotal + tax,
            "balance": Decimal(0),
            "status": Status.PAID,
            "lines": (Line(product="A", amount=first), Line(product="B", amount=subtotal - first)),
        }
    )


def _pair(left: CanonicalDocument) -> CanonicalDocument:
    return _right_of(left, 0, external_id=left.external_id.replace("crm-", "books-"))


def _companions(
    plan: str, index: int, base: CanonicalDocument, out: PlantedLedgers
) -> tuple[list[CanonicalDocument], list[CanonicalDocument]]:
    """Extra documents of the deal's customer, on both sides and paired (the match rules stay clean),
    for the anomaly plants and their near misses."""
    lefts: list[CanonicalDocument] = []
    if plan in _GROUP_PLANTS:  # not the deal itself: its companions carry the problem
        out.expected.discard((AUDIT_PLAN.name, plan, frozenset({key(out.left[-1])}), frozenset()))
    if plan in ("possible_duplicate", "instalments", "separate_orders"):
        days = 30 if plan == "instalments" else 1
        twin = _scaled(base, Decimal(1), "B", days)
        if plan == "separate_orders":
            base_order, twin_order = f"so-a-{index}", f"so-b-{index}"
            lefts = [twin.model_copy(update={"references": {"sales_order": twin_order}})]
            out.left[-1] = out.left[-1].model_copy(update={"references": {"sales_order": base_order}})
            out.right[-1] = out.right[-1].model_copy(update={"references": {"sales_order": base_order}})
        else:
            lefts = [twin]
    elif plan in ("unusual_amount", "steady_customer"):
        lefts = [_scaled(base, Decimal(100 + 7 * k) / 100, f"H{k:02d}", -7 * (k + 1)) for k in range(14)]
        if plan == "unusual_amount":
            lefts.append(_scaled(base, Decimal(60), "BIG", 3))
    rights = [_pair(left) for left in lefts]
    if plan == "possible_duplicate":
        _expect(out, plan, [lefts[0]], [out.left[-1]])
        _expect(out, plan, [rights[0]], [out.right[-1]])
    if plan == "unusual_amount":
        _expect(out, plan, [lefts[-1]], [])
        _expect(out, plan, [rights[-1]], [])
    if plan in ("credit_note_exceeds_invoice", "partial_credit"):
        invoice = out.right[-1]
        total = invoice.total or Decimal(0)
        amount = total + Decimal("50.00") if plan == "credit_note_exceeds_invoice" else total / 10
        note = CanonicalDocument(
            source=RIGHT,
            kind=DocumentKind.CREDIT_NOTE,
            external_id=f"cn-{index:07d}",
            number=f"CN-{index:07d}",
            party=invoice.party,
            issued_on=invoice.issued_on,
            currency=invoice.currency,
            total=amount.quantize(Decimal("0.01")),
            allocations=(
                Allocation(invoice_external_id=invoice.external_id, amount=amount.quantize(Decimal("0.01"))),
            ),
        )
        out.credit_notes.append(note)
        if plan == "credit_note_exceeds_invoice":
            _expect(out, plan, [note], [invoice])
    return lefts, rights


def _trap(plan: str, base: CanonicalDocument, index: int) -> CanonicalDocument:
    total = base.total or Decimal(0)
    if plan == "rounding":
        return _right_of(base, index, total=total + Decimal("0.01"))
    if plan == "formatting":
        styles = [f"inv{index:07d}", f"ＩＮＶ－{index:07d}", f"INV {index:07d}", f"Inv-{index:07d} "]
        return _right_of(base, index, number=styles[index % len(styles)])
    if plan == "party_variant":
        return _right_of(base, index, party=_variant(index))
    if plan == "fuzzy_only":
        return _right_of(
            base,
            index,
            number=f"BK/{index * 7919 % 1_000_003:07d}",
            party=_variant(index),
            issued_on=(base.issued_on or date.min) + timedelta(days=2),
        )
    if plan == "converted_currency":
        usd = (total / 7).quantize(Decimal("0.01"))
        return _right_of(
            base,
            index,
            currency="USD",
            exchange_rate=total / usd,
            total=usd,
            balance=usd,
            subtotal=None,
            tax=None,
            lines=(),
        )
    # split_payment: the invoice is fine, its payments are split; the audit traps live in _companions.
    return _right_of(base, index)


def _settle(plan: str, invoice: CanonicalDocument, out: PlantedLedgers) -> list[CanonicalDocument]:
    """Payments of one right-side invoice: they agree with its balance unless a settlement plant."""
    if invoice.deleted or invoice.status is Status.VOID or invoice.total is None:
        return []
    claimed = invoice.total - (invoice.balance or Decimal(0))
    if claimed <= 0:
        return []
    pid = f"pay-{invoice.external_id}"
    if plan == "split_payment":
        first = (claimed / 3).quantize(Decimal("0.01"))
        return [
            _payment(f"{pid}-1", invoice, first, first),
            _payment(f"{pid}-2", invoice, claimed - first, claimed - first),
        ]
    amount = applied = claimed
    if plan == "underpaid":
        amount = applied = claimed - Decimal("5.00")
    elif plan == "overpaid":
        amount = applied = invoice.total + Decimal("3.00")
    elif plan == "unapplied_payment":
        amount = claimed + Decimal("250.00")
    payments = [_payment(pid, invoice, amount, applied)]
    if plan in ("underpaid", "overpaid"):
        _expect(out, plan, [invoice], payments)
    elif plan == "unapplied_payment":
        _expect(out, plan, [], payments)
    elif plan == "allocation_to_missing":
        stray = _payment(
            f"{pid}-stray", invoice, Decimal("42.00"), Decimal("42.00"), target=f"ghost-{invoice.external_id}"
        )
        out.expected.add((SETTLEMENT_RULE.name, "missing_in_left", frozenset(), frozenset({key(stray)})))
        payments.append(stray)
    return payments


def _payment(
    external_id: str, invoice: CanonicalDocument, amount: Decimal, applied: Decimal, target: str | None = None
) -> CanonicalDocument:
    return CanonicalDocument(
        source=RIGHT,
        kind=DocumentKind.PAYMENT,
        external_id=external_id,
        number=f"PMT-{external_id}",
        party=invoice.party,
        issued_on=invoice.issued_on,
        currency=invoice.currency,
        exchange_rate=invoice.exchange_rate,
        total=amount,
        allocations=(Allocation(invoice_external_id=target or invoice.external_id, amount=applied),),
    )


def settings_for(database_url: str, **reconcile: Any) -> Settings:
    """Settings with the planted ledgers' two rules and their audit plan (plus any `reconcile` overrides)."""
    rules = [
        {**MATCH_RULE.model_dump(mode="json", exclude_none=True), "owner": "finance-lead"},
        SETTLEMENT_RULE.model_dump(mode="json", exclude_none=True),
    ]
    audits = [AUDIT_PLAN.model_dump(mode="json", exclude_none=True)]
    return Settings.model_validate(
        {
            "database_url": database_url,
            "base_currency": "CNY",
            "reconcile": {"rules": rules, "audit": [], "audits": audits, **reconcile},
        }
    )
