"""The demo company: one seeded truth rendered into Zoho CRM, Zoho Books and Fxiaoke, with every
discrepancy type planted at a known rate, traps that must not be flagged, malformed records, and a truth
file that says what was planted where.

The story. Overseas and some domestic deals are sold in Zoho CRM (sales order -> invoice) and invoiced
and collected in Zoho Books (invoice, payments, credit notes). Domestic deals are sold and collected in
Fxiaoke (sales order -> 回款 payments, 开票申请 invoice applications) and mirrored as sales orders in Zoho
Books. Four rules reconcile it (`RULES`): CRM invoices vs Books invoices, Books settlement, Fxiaoke
settlement, Fxiaoke orders vs Books orders.

Everything is deterministic by `CompanySpec.seed`. Modification times lie before `CompanySpec.as_of`;
`DemoCompany.apply_later_changes()` then plays the next day (invoices deleted in CRM), so a second,
incremental sync is what reveals `deleted_in_source`.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any
from zoneinfo import ZoneInfo

from connectors.sandbox.bank_files import BANK, BANK_PLANTS, COLLECTIONS, BankStatements, bank_statements
from connectors.sandbox.company import FXIAOKE_OWNERS, PRODUCTS, SALESPEOPLE, Customer, customers
from connectors.sandbox.fxiaoke.dataset import APPLICATION_REFERENCE, FxiaokeDataset, customer, product
from connectors.sandbox.zoho.dataset import ZohoDataset
from store.canonical import Allocation, CanonicalDocument, DocumentKind, Line, PartyRef, Status

CRM, BOOKS, FXIAOKE = "zoho-crm", "zoho-books", "fxiaoke"
"""Connector names of the demo configuration (and the sources of the truth's document keys)."""
CRM_VS_BOOKS = "crm-vs-books-invoices"
BOOKS_SETTLEMENT = "books-settlement"
FXIAOKE_SETTLEMENT = "fxiaoke-settlement"
FXIAOKE_VS_BOOKS = "fxiaoke-vs-books-orders"
RULES = (CRM_VS_BOOKS, BOOKS_SETTLEMENT, FXIAOKE_SETTLEMENT, FXIAOKE_VS_BOOKS, COLLECTIONS)
AUDIT_PLAN = "demo-audit"
"""The demo's audit plan (`reconcile.audits:`): every audit finding is named after it."""
RUNS = (*RULES, AUDIT_PLAN)
"""What `reconcile run` runs in the demo, in order: the five rules, then the audit plan."""

AS_OF = datetime(2026, 10, 31, 10, 0, tzinfo=UTC)
"""Default 'now' of the company (18:00 in Shanghai): every record was last modified before it."""
ZONE = ZoneInfo("Asia/Shanghai")
USD_RATE = Decimal("7.1234")
EUR_RATE = Decimal("7.8012")
TAX_RATE = Decimal("0.13")
DISCOUNT_LIMIT_PERCENT = 20
"""The demo's `discount_above_limit` threshold (percent of the subtotal): clean discounts stay at or
below 10 %, the planted one is 40 %."""
_CENT = Decimal("0.01")

ZOHO_PLANTS: dict[str, tuple[str, str]] = {
    "missing_in_right": (CRM_VS_BOOKS, "missing_in_right"),
    "missing_in_left": (CRM_VS_BOOKS, "missing_in_left"),
    "amount_mismatch": (CRM_VS_BOOKS, "amount_mismatch"),
    "currency_mismatch": (CRM_VS_BOOKS, "currency_mismatch"),
    "date_mismatch": (CRM_VS_BOOKS, "date_mismatch"),
    "status_mismatch": (CRM_VS_BOOKS, "status_mismatch"),
    "party_mismatch": (CRM_VS_BOOKS, "party_mismatch"),
    "duplicate": (CRM_VS_BOOKS, "duplicate"),
    "ambiguous_match": (CRM_VS_BOOKS, "ambiguous_match"),
    "deleted_in_source": (CRM_VS_BOOKS, "deleted_in_source"),
    "total_not_subtotal_plus_tax": (AUDIT_PLAN, "total_not_subtotal_plus_tax"),
    "total_not_sum_of_lines": (AUDIT_PLAN, "total_not_sum_of_lines"),
    "negative_amount": (AUDIT_PLAN, "negative_amount"),
    "due_before_issue": (AUDIT_PLAN, "due_before_issue"),
    "missing_owner": (AUDIT_PLAN, "missing_owner"),
    "invoice_before_order": (AUDIT_PLAN, "invoice_before_order"),
    "underpaid": (BOOKS_SETTLEMENT, "underpaid"),
    "overpaid": (BOOKS_SETTLEMENT, "overpaid"),
    "unapplied_payment": (BOOKS_SETTLEMENT, "unapplied_payment"),
    "stale_balance": (BOOKS_SETTLEMENT, "amount_mismatch"),
    "allocation_to_missing": (BOOKS_SETTLEMENT, "missing_in_left"),
    "possible_duplicate": (AUDIT_PLAN, "possible_duplicate"),
    "discount_above_limit": (AUDIT_PLAN, "discount_above_limit"),
    "unusual_amount": (AUDIT_PLAN, "unusual_amount"),
    "credit_note_exceeds_invoice": (AUDIT_PLAN, "credit_note_exceeds_invoice"),
}
"""Zoho-channel plant -> (rule, discrepancy type) it must produce, exactly once. Every plant is a problem
finance must act on; the audit plants are where the demo's audit plan looks for them (sync/demo.py)."""
EXTRA_FINDINGS: dict[str, tuple[str, str]] = {
    "credit_note_exceeds_invoice": (BOOKS_SETTLEMENT, "overpaid"),
}
"""Plants that two runs report, each from its side: a credit note applying more than its invoice's total is
an audit finding of the note, and the settlement sees the invoice overpaid by the excess."""
ZOHO_TRAPS = (
    "rounding",
    "formatting",
    "party_variant",
    "fuzzy_only",
    "converted_currency",
    "split_payment",
    "credit_note",
)
FXIAOKE_PLANTS: dict[str, tuple[str, str]] = {
    "underpaid": (FXIAOKE_SETTLEMENT, "underpaid"),
    "overpaid": (FXIAOKE_SETTLEMENT, "overpaid"),
    "unapplied_payment": (FXIAOKE_SETTLEMENT, "unapplied_payment"),
    "negative_amount": (AUDIT_PLAN, "negative_amount"),
    "missing_owner": (AUDIT_PLAN, "missing_owner"),
    "total_not_sum_of_lines": (AUDIT_PLAN, "total_not_sum_of_lines"),
    "missing_in_right": (FXIAOKE_VS_BOOKS, "missing_in_right"),
    "amount_mismatch": (FXIAOKE_VS_BOOKS, "amount_mismatch"),
    "status_mismatch": (FXIAOKE_VS_BOOKS, "status_mismatch"),
}
FXIAOKE_TRAPS = ("party_variant", "formatting", "split_payment", "discount", "partial_payment")
TRAP_RULE = {
    **dict.fromkeys(
        ("rounding", "formatting", "party_variant", "fuzzy_only", "converted_currency"), CRM_VS_BOOKS
    ),
    "split_payment": BOOKS_SETTLEMENT,
    "credit_note": BOOKS_SETTLEMENT,
}
FXIAOKE_TRAP_RULE = {
    "party_variant": FXIAOKE_VS_BOOKS,
    "formatting": FXIAOKE_VS_BOOKS,
    "split_payment": FXIAOKE_SETTLEMENT,
    "discount": FXIAOKE_SETTLEMENT,
    "partial_payment": FXIAOKE_SETTLEMENT,
}
TRAP_TEXT = {
    "rounding": "totals 0.01 apart (within the rule's tolerance)",
    "formatting": "the same number written differently (INV-000123 / inv000123 / ＩＮＶ－000123)",
    "party_variant": "the same customer spelled differently (（总部）, Ltd vs Limited, upper case)",
    "fuzzy_only": "renumbered in Books: found by party, amount and date",
    "converted_currency": "CNY in CRM, USD with its exchange rate in Books",
    "split_payment": "paid in several payments that add up",
    "credit_note": "settled by a payment and a credit note",
    "discount": "order total below its lines' subtotal (a discount)",
    "partial_payment": "partly paid, and the receivable says so",
}


@dataclass(frozen=True)
class CompanySpec:
    """How big the company is and which one (seed). `rate` is the share of deals per planted type
    (at least one of each); twice as many deals carry each trap."""

    customers: int = 40
    orders: int = 400
    seed: int = 2026
    rate: float = 0.01
    as_of: datetime = AS_OF
    planted: bool = True
    """False: a clean company — no planted discrepancy and no malformed record, only clean deals and the
    traps (which no rule may flag). Every rule and audit check must find nothing in it."""

    @classmethod
    def clean(cls, customers: int = 40, orders: int = 400, seed: int = 2026) -> CompanySpec:
        """A clean company of this size and seed (see `planted`)."""
        return cls(customers=customers, orders=orders, seed=seed, planted=False)

    @property
    def zoho_deals(self) -> int:
        return round(self.orders * 0.6)

    @property
    def fxiaoke_deals(self) -> int:
        return self.orders - self.zoho_deals


@dataclass(frozen=True)
class Planted:
    """One discrepancy the rules must report: its rule, type and the documents on each side."""

    rule: str
    type: str
    plant: str
    left: tuple[str, ...]
    right: tuple[str, ...]


@dataclass(frozen=True)
class Trap:
    """Documents that differ in a way the rules must accept: none may appear in any exception."""

    rule: str
    trap: str
    documents: tuple[str, ...]


@dataclass(frozen=True)
class Malformed:
    """A record the sandbox serves broken: the sync must quarantine it, not fail."""

    source: str
    stream: str
    external_id: str
    field: str
    value: str


@dataclass
class Truth:
    """What was generated and planted; `to_json()` is the demo's truth.json."""

    spec: CompanySpec
    planted: list[Planted] = field(default_factory=list)
    traps: list[Trap] = field(default_factory=list)
    malformed: list[Malformed] = field(default_factory=list)
    deleted_later: list[str] = field(default_factory=list)
    records: Counter[tuple[str, str]] = field(default_factory=Counter)
    """(source, kind) -> documents the ledger must hold after the demo's syncs (deleted ones included)."""
    runs: tuple[str, ...] = RUNS
    """The rules and audit plan the demo runs (fewer where the books hold no sales orders)."""

    def expected(self) -> dict[str, dict[str, int]]:
        """Exceptions per rule and type that a correct reconciliation reports (every rule listed)."""
        counts: dict[str, dict[str, int]] = {rule: {} for rule in self.runs}
        for item in self.planted:
            per_rule = counts[item.rule]
            per_rule[item.type] = per_rule.get(item.type, 0) + 1
        return {rule: dict(sorted(types.items())) for rule, types in counts.items()}

    def quarantined(self) -> dict[str, dict[str, int]]:
        result: dict[str, dict[str, int]] = {}
        for bad in self.malformed:
            streams = result.setdefault(bad.source, {})
            streams[bad.stream] = streams.get(bad.stream, 0) + 1
        return result

    def to_json(self) -> dict[str, Any]:
        records: dict[str, dict[str, int]] = {}
        for (source, kind), count in sorted(self.records.items()):
            records.setdefault(source, {})[kind] = count
        return {
            "spec": {
                "customers": self.spec.customers,
                "orders": self.spec.orders,
                "seed": self.spec.seed,
                "rate": self.spec.rate,
                "as_of": self.spec.as_of.isoformat().replace("+00:00", "Z"),
                "planted": self.spec.planted,
            },
            "records": records,
            "quarantined": self.quarantined(),
            "deleted_later": list(self.deleted_later),
            "expected_exceptions": self.expected(),
            "planted": [
                {"rule": p.rule, "type": p.type, "plant": p.plant, "left": [*p.left], "right": [*p.right]}
                for p in self.planted
            ],
            "traps": [
                {"rule": t.rule, "trap": t.trap, "why": TRAP_TEXT[t.trap], "documents": list(t.documents)}
                for t in self.traps
            ],
            "malformed": [
                {"source": m.source, "stream": m.stream, "external_id": m.external_id, "field": m.field,
                 "value": m.value}
                for m in self.malformed
            ],
        }  # fmt: skip


@dataclass
class DemoCompany:
    """The generated company: the sandboxes' datasets, raw overrides, next-day changes and the truth."""

    zoho: ZohoDataset
    fxiaoke: FxiaokeDataset
    zoho_overrides: dict[str, dict[str, Any]]
    """Zoho record id -> vendor fields served in place of the rendered ones (malformed records)."""
    truth: Truth
    later_deletions: list[str]
    """CRM invoice ids deleted the day after `as_of` (apply_later_changes)."""
    bank: BankStatements = field(default_factory=lambda: BankStatements({}))
    """The bank statements written from Books' payments (connectors/sandbox/bank_files.py)."""

    def apply_later_changes(self) -> int:
        """The next day: the planted CRM invoices are deleted (they move to the recycle bin)."""
        at = self.truth.spec.as_of + timedelta(days=1)
        for external_id in self.later_deletions:
            if self.zoho.get("crm", DocumentKind.INVOICE, external_id) is not None:
                self.zoho.delete("crm", DocumentKind.INVOICE, external_id, at)
        return len(self.later_deletions)


def key(source: str, kind: DocumentKind, external_id: str) -> str:
    """A document key as text, as the ledger prints it: source/kind/external_id."""
    return f"{source}/{kind.value}/{external_id}"


def doc_key(source: str, doc: CanonicalDocument) -> str:
    return key(source, doc.kind, doc.external_id)


def generate_company(spec: CompanySpec | None = None) -> DemoCompany:
    """Build the company. Raises ValueError when `orders` is too small to hold every plant and trap."""
    spec = spec or CompanySpec()
    builder = _Builder(spec)
    builder.masters()
    zoho_plants = [*ZOHO_PLANTS] if spec.planted else []
    zoho_plans = _plans(
        spec.zoho_deals, zoho_plants, ZOHO_TRAPS, rate=spec.rate, rng=builder.rng, channel="Zoho"
    )
    weights = [_PARETO[builder.rank[n]] for n in range(spec.customers)]
    buyers = builder.rng.choices(range(spec.customers), weights=weights, k=spec.zoho_deals)
    regular = Counter(buyers).most_common(1)[0][0]
    for index in range(spec.zoho_deals):
        plan = zoho_plans.get(index, "clean")
        # An amount is unusual against a history: plant it on the customer with the most invoices.
        builder.zoho_deal(index, plan, regular if plan == "unusual_amount" else buyers[index])
    fx_plans = _plans(
        spec.fxiaoke_deals,
        [*FXIAOKE_PLANTS] if spec.planted else [],
        FXIAOKE_TRAPS,
        rate=spec.rate,
        rng=builder.rng,
        channel="Fxiaoke",
    )
    for index in range(spec.fxiaoke_deals):
        builder.fxiaoke_deal(index, fx_plans.get(index, "clean"))
    if spec.planted:
        builder.malformed()
    return builder.finish()


def _plans(
    deals: int, plants: list[str], traps: Iterable[str], *, rate: float, rng: random.Random, channel: str
) -> dict[int, str]:
    per_type = max(1, round(deals * rate))
    names = plants * per_type + list(traps) * (2 * per_type)
    if len(names) > deals:
        raise ValueError(
            f"{deals} {channel} deals cannot hold {len(names)} planted discrepancies and traps: "
            "use more --orders (at least 60) or a lower rate"
        )
    return dict(zip(rng.sample(range(deals), len(names)), names, strict=True))


def _money(value: Decimal) -> Decimal:
    return value.quantize(_CENT, rounding=ROUND_HALF_UP)


@dataclass
class _Parties:
    crm_id: str
    books_id: str
    fxiaoke_id: str | None


@dataclass(frozen=True)
class _Profile:
    """How a customer buys: the same few products, deals of a similar size (in CNY), one currency.
    Real customers do; it is what lets `unusual_amount` judge an amount against the customer's history."""

    basket: tuple[str, ...]
    """Product names the customer buys (each priced at most a sixth of the typical deal, so quantities,
    and with them the amounts, vary smoothly around the typical deal: half of it to 1.8 times)."""
    typical: Decimal
    currency: str
    rate: Decimal


@dataclass(frozen=True)
class _Totals:
    """What a Zoho invoice's total is made of (one economic truth, shown differently by CRM and Books)."""

    subtotal: Decimal
    """Sum of the line amounts, after line discounts, before tax."""
    discount: Decimal
    """Entity-level discount (amount)."""
    discount_before_tax: bool
    tax: Decimal
    shipping: Decimal
    adjustment: Decimal
    rounding: Decimal
    inclusive: bool
    """Books shows this invoice with tax-inclusive rates (`is_inclusive_tax`)."""

    @property
    def total(self) -> Decimal:
        return self.subtotal - self.discount + self.tax + self.shipping + self.adjustment + self.rounding

    @property
    def crm_adjustment(self) -> Decimal:
        """CRM has no shipping or rounding field: the clerk keys them into `Adjustment`."""
        return self.shipping + self.adjustment + self.rounding


class _Builder:
    """Accumulates the three systems' documents and the truth, deal by deal."""

    def __init__(self, spec: CompanySpec) -> None:
        if spec.customers < 2 or spec.orders < 1:
            raise ValueError("the demo company needs at least 2 customers and some orders")
        self.spec = spec
        self.rng = random.Random(spec.seed)
        self.today = spec.as_of.astimezone(ZONE).date()
        self.fx = FxiaokeDataset(seed=spec.seed, clock=lambda: spec.as_of)
        self.crm: list[CanonicalDocument] = []
        self.books: list[CanonicalDocument] = []
        self.fx_docs: list[tuple[CanonicalDocument, datetime, dict[str, Any]]] = []
        self.truth = Truth(spec)
        self.overrides: dict[str, dict[str, Any]] = {}
        self.later: list[str] = []
        self.counters: Counter[str] = Counter()
        self.customers: list[Customer] = []
        self.parties: list[_Parties] = []
        self.crm_products: list[tuple[str, str, Decimal]] = []
        self.fx_products: list[tuple[str, str, Decimal]] = []
        self.profiles: dict[int, _Profile] = {}
        self.rank: list[int] = []
        """Customer index -> its rank by how much it buys (0 buys the most)."""
        self.totals: dict[tuple[str, str, int, Decimal], list[date]] = {}
        self.books_details: dict[str, dict[str, Any]] = {}
        self.mergeable: list[CanonicalDocument] = []
        """Books payments of clean deals that paid one invoice exactly: some are merged, two by two, into
        one payment for two invoices (finish)."""

    # ------------------------------------------------------------------ ids, times, amounts

    def zoho_id(self, system: str) -> str:
        prefixes = {"crm": "5725767", "books": "4600000"}
        self.counters[system] += 1
        return f"{prefixes[system]}{self.counters[system]:012d}"

    def moment(self, day: date) -> datetime:
        """A working-hours moment of `day` (company time), whole seconds, UTC; never after as_of."""
        local = datetime.combine(day, time(9), tzinfo=ZONE) + timedelta(seconds=self.rng.randrange(8 * 3600))
        return min(local.astimezone(UTC), self.spec.as_of - timedelta(hours=1)).replace(microsecond=0)

    def day_before_today(self, day: date) -> date:
        return min(day, self.today - timedelta(days=1))

    def lines(
        self,
        catalog: list[tuple[str, str, Decimal]],
        rate: Decimal,
        tax: bool,
        profile: _Profile | None = None,
        *,
        scale: int = 1,
        line_discount: bool = False,
    ) -> tuple[Line, ...]:
        """1-3 lines of the customer's basket adding up to about its typical deal (times `scale`); with
        `line_discount` one line may carry an item-level discount (inside its amount, as Zoho shows it)."""
        rng = self.rng
        basket = [item for item in catalog if profile is None or item[1] in profile.basket]
        chosen = rng.sample(basket, min(len(basket), rng.randint(1, 3)))
        target = (profile.typical if profile else Decimal(8000)) * scale
        share = target * Decimal(rng.randint(50, 180)) / 100 / len(chosen)
        discounted = rng.randrange(len(chosen)) if line_discount and rng.random() < 0.25 else -1
        result = []
        for n, (product_id, name, price_cny) in enumerate(chosen):
            price = price_cny if rate == 1 else _money(price_cny / rate)
            quantity = Decimal(max(1, round(share / price_cny)))
            amount = _money(quantity * price)
            if n == discounted:
                amount = _money(amount * Decimal(100 - rng.choice((5, 8, 10, 12, 15))) / 100)
            result.append(
                Line(
                    product=name,
                    product_external_id=product_id,
                    sku=_sku(name) if tax else None,
                    quantity=quantity,
                    unit_price=price,
                    amount=amount,
                    tax=_money(amount * TAX_RATE) if tax else None,
                )
            )
        return tuple(result)

    # ------------------------------------------------------------------ master data

    def profile(self, cust: Customer) -> _Profile:
        if cust.index not in self.profiles:
            rng = self.rng
            typical = _money(Decimal(rng.randint(3000, 60000)))
            affordable = [p.name for p in PRODUCTS if p.price_cny * 6 <= typical]
            basket = tuple(rng.sample(affordable, min(4, len(affordable))))
            if cust.domestic:
                currency = "USD" if rng.random() < 0.1 else "CNY"
            else:  # overseas customers in turn: USD, EUR, USD, CNY, EUR, ...
                currency = ("USD", "EUR", "USD", "CNY", "EUR")[cust.index % 5]
            rate = {"USD": USD_RATE, "EUR": EUR_RATE, "CNY": Decimal(1)}[currency]
            self.profiles[cust.index] = _Profile(basket, typical, currency, rate)
        return self.profiles[cust.index]

    def unique_total(
        self, source: str, kind: DocumentKind, cust: Customer, total: Decimal, day: date
    ) -> bool:
        """Register a document total; False when the customer already has a document of that kind and
        source with the same total within 40 days (a clean company holds no possible duplicates)."""
        key = (source, kind.value, cust.index, total)
        days = self.totals.setdefault(key, [])
        if any(abs((day - other).days) <= 40 for other in days):
            return False
        days.append(day)
        return True

    def masters(self) -> None:
        self.customers = customers(self.spec.customers, self.rng)
        self.rank = list(range(len(self.customers)))
        self.rng.shuffle(self.rank)
        start = self.spec.as_of - timedelta(days=400)
        for cust in self.customers:
            crm_id = self.zoho_id("crm")
            at = start + timedelta(minutes=cust.index)
            self.crm.append(
                CanonicalDocument(
                    source=CRM,
                    kind=DocumentKind.CUSTOMER,
                    external_id=crm_id,
                    number=f"ACC-{cust.index + 1:04d}",
                    party=PartyRef(external_id=crm_id, name=cust.name),
                    owner=self.rng.choice(SALESPEOPLE),
                    source_modified_at=at,
                )
            )
            fx_id = None
            if cust.domestic:
                fx_id = self.fx.new_id(at)
                owner = self.rng.choice(FXIAOKE_OWNERS)
                self.fx_docs.append((customer(fx_id, cust.name, owner=owner), at, {}))
            self.parties.append(_Parties(crm_id, f"46001{cust.index + 1:014d}", fx_id))
        for n, item in enumerate(PRODUCTS):
            at = start + timedelta(hours=2, minutes=n)
            crm_id = self.zoho_id("crm")
            price = item.price_cny
            line = Line(
                product=item.name, product_external_id=crm_id, sku=item.sku, unit_price=price, amount=price
            )
            self.crm.append(
                CanonicalDocument(
                    source=CRM,
                    kind=DocumentKind.PRODUCT,
                    external_id=crm_id,
                    number=item.sku,
                    owner=SALESPEOPLE[0],
                    lines=(line,),
                    source_modified_at=at,
                )
            )
            self.crm_products.append((crm_id, item.name, item.price_cny))
            fx_id = self.fx.new_id(at)
            self.fx_docs.append((product(fx_id, item.name, code=item.sku, price=item.price_cny), at, {}))
            self.fx_products.append((fx_id, item.name, item.price_cny))

    # ------------------------------------------------------------------ Zoho channel

    def zoho_deal(self, index: int, plan: str, customer_index: int) -> None:  # noqa: PLR0912, PLR0915 - one plan per branch, read top to bottom
        rng, number = self.rng, index + 1
        cust = self.customers[customer_index]
        profile = self.profile(cust)
        if plan == "currency_mismatch" and profile.currency != "CNY":
            # Books keyed the CNY figure as USD: for a customer that trades in USD that is also an
            # amount unusual for it, a second finding of the same mistake. A CNY customer shows it once.
            cust = next(c for c in self.customers if self.profile(c).currency == "CNY")
            profile = self.profile(cust)
        forced_cny = plan in ("currency_mismatch", "converted_currency")
        currency, rate = ("CNY", Decimal(1)) if forced_cny else (profile.currency, profile.rate)
        state = rng.choices(("paid", "partial", "open"), weights=(6, 2, 2))[0]
        if plan in (
            "status_mismatch",
            "currency_mismatch",
            "duplicate",
            "ambiguous_match",
            "stale_balance",
            "possible_duplicate",
        ):
            state = "open"
        if plan in (
            "underpaid",
            "overpaid",
            "unapplied_payment",
            "split_payment",
            "credit_note",
            "credit_note_exceeds_invoice",
        ):
            state = "paid"
        credit = plan == "credit_note" or (plan == "clean" and state == "paid" and rng.random() < 0.08)
        for _ in range(50):
            order_day = self.today - timedelta(days=rng.randint(15, 170))
            invoice_day = order_day + timedelta(days=rng.randint(0, 10))
            lines = self.lines(
                self.crm_products, rate, tax=True, profile=profile,
                scale=25 if plan == "unusual_amount" else 1, line_discount=True,
            )  # fmt: skip
            totals = self._zoho_totals(lines, currency, plan)
            books_day = invoice_day - timedelta(days=10) if plan == "date_mismatch" else invoice_day
            if self.unique_total(BOOKS, DocumentKind.INVOICE, cust, totals.total, books_day):
                break
        subtotal, tax = totals.subtotal, totals.tax
        owner = rng.choice(SALESPEOPLE)
        parties = self.parties[cust.index]
        crm_party = PartyRef(external_id=parties.crm_id, name=cust.name)
        crm_totals = {
            "subtotal": subtotal, "discount": totals.discount, "tax": tax,
            "adjustment": totals.crm_adjustment, "shipping": Decimal(0), "rounding": Decimal(0),
            "tax_inclusive": False, "total": totals.total,
        }  # fmt: skip

        so_id, inv_id = self.zoho_id("crm"), self.zoho_id("crm")
        so_day = invoice_day + timedelta(days=4) if plan == "invoice_before_order" else order_day
        so = CanonicalDocument(
            source=CRM, kind=DocumentKind.SALES_ORDER, external_id=so_id, number=f"SO-{number:05d}",
            party=crm_party, owner=owner, issued_on=so_day, due_on=so_day + timedelta(days=30),
            currency=currency, exchange_rate=rate, **crm_totals, status=Status.OPEN, raw_status="Approved",
            lines=lines, source_modified_at=self.moment(order_day),
        )  # fmt: skip
        crm_status, crm_raw = {
            "paid": (Status.PAID, "Paid"),
            "partial": (Status.PARTIALLY_PAID, "Partially Paid"),
            "open": (Status.OPEN, "Delivered"),
        }[state if plan != "status_mismatch" else "paid"]
        crm_lines, crm_due = lines, invoice_day + timedelta(days=30)
        crm_owner: str | None = owner
        if plan == "total_not_subtotal_plus_tax":
            crm_totals["tax"] = tax + Decimal("5.00")
        elif plan == "total_not_sum_of_lines":
            first = lines[0]
            bumped = first.amount + Decimal(100)
            crm_lines = (_one_of(first, bumped), *lines[1:])
        elif plan == "negative_amount":
            credit_hours = Decimal("600.00")
            first = lines[0]
            bumped = first.amount + credit_hours
            service = next(p for p in self.crm_products if p[1] == "Service hours")
            crm_lines = (
                _one_of(first, bumped),
                *lines[1:],
                Line(product=service[1], product_external_id=service[0], sku="SVC-HR", quantity=Decimal(-1),
                     unit_price=credit_hours, amount=-credit_hours),
            )  # fmt: skip
        elif plan == "due_before_issue":
            crm_due = invoice_day - timedelta(days=5)
        elif plan == "missing_owner":
            crm_owner = None
        crm_inv = CanonicalDocument(
            source=CRM, kind=DocumentKind.INVOICE, external_id=inv_id, number=f"INV-{number:06d}",
            party=crm_party, owner=crm_owner, issued_on=invoice_day, due_on=crm_due, currency=currency,
            exchange_rate=rate, **crm_totals, status=crm_status, raw_status=crm_raw, lines=crm_lines,
            references={"sales_order": so_id}, source_modified_at=self.moment(invoice_day),
        )  # fmt: skip
        self.crm.append(so)
        self._count(CRM, so)

        total = totals.total
        books_number = f"INV-{number:06d}"
        books_name = cust.name
        books_currency, books_total, books_issued = currency, total, books_day
        books_rate: Decimal | None = rate
        books_party_id = parties.books_id
        books_totals: _Totals | None = totals
        if plan == "amount_mismatch":
            books_total = total + Decimal(rng.randint(1, 40) * 25)
            books_totals = None
        elif plan == "currency_mismatch":
            books_currency, books_rate = "USD", None
        elif plan == "party_mismatch":
            other = next(
                c for c in self.customers[cust.index + 1 :] + self.customers if c.domestic != cust.domestic
            )
            books_name, books_party_id = other.name, self.parties[other.index].books_id
        elif plan == "rounding":
            books_total = total + _CENT
            books_totals = None
        elif plan == "formatting":
            books_number = (
                f"inv{number:06d}",
                f"ＩＮＶ－{number:06d}",
                f"INV {number:06d}",
                f"Inv-{number:06d}",
            )[index % 4]
        elif plan == "party_variant":
            books_name = cust.variant(rng)
        elif plan == "fuzzy_only":
            books_number = f"ZB/{2026}/{number:05d}"
        elif plan == "converted_currency":
            usd_total = _money(total / USD_RATE)
            books_currency, books_total = "USD", usd_total
            books_rate = (total / usd_total).quantize(Decimal("0.00000001"))
            books_totals = None
        books_party = PartyRef(external_id=books_party_id, name=books_name)
        terms = (owner, books_issued, books_currency, books_rate, books_total, so.number or "")
        books = self._books_invoice(books_number, books_party, *terms, "paid" if credit else state,
                                    totals=books_totals, lines=lines)  # fmt: skip

        rights = [books]
        extra_left: list[CanonicalDocument] = []
        if plan == "duplicate":
            rights.append(self._books_invoice(books_number, books_party, *terms, "open"))
        elif plan == "ambiguous_match":
            # Two renumbered candidates as close to the CRM invoice as each other (two days before and
            # after): no way to tell which it is; four days apart, they are not a possible duplicate.
            rights = [
                self._books_invoice(
                    f"ZB-{number:06d}-{tag}", books_party, owner, books_issued + timedelta(days=shift),
                    books_currency, books_rate, books_total, so.number or "", "open",
                )
                for tag, shift in (("A", -2), ("B", 2))
            ]  # fmt: skip
        elif plan == "possible_duplicate":
            # The same sale entered twice, two days apart, under a new number: in CRM and in Books.
            again_day = invoice_day + timedelta(days=2)
            again = crm_inv.model_copy(update={
                "external_id": self.zoho_id("crm"), "number": f"INV-{number:06d}-2", "issued_on": again_day,
                "due_on": again_day + timedelta(days=30), "source_modified_at": self.moment(again_day),
            })  # fmt: skip
            extra_left.append(again)
            terms_again = (owner, again_day, books_currency, books_rate, books_total, so.number or "")
            rights.append(self._books_invoice(f"INV-{number:06d}-2", books_party, *terms_again, "open",
                                              totals=books_totals, lines=lines))  # fmt: skip
        if plan != "missing_in_left":
            for doc in (crm_inv, *extra_left):
                self.crm.append(doc)
                self._count(CRM, doc)
        if plan != "missing_in_right":
            for doc in rights:
                self.books.append(doc)
                self._count(BOOKS, doc)
        payments = self._books_settlement(plan, books, credit=credit) if plan != "missing_in_right" else []
        for doc in payments:
            self.books.append(doc)
            self._count(BOOKS, doc)
        if plan == "clean" and not credit and len(payments) == 1 and books.balance == 0:
            self.mergeable.append(payments[0])

        left = (doc_key(CRM, crm_inv),)
        right = tuple(doc_key(BOOKS, d) for d in rights)
        if plan == "deleted_in_source":
            self.later.append(inv_id)
            self.truth.deleted_later.append(doc_key(CRM, crm_inv))
        if plan in ZOHO_PLANTS:
            rule, kind = ZOHO_PLANTS[plan]
            sides: tuple[tuple[str, ...], tuple[str, ...]]
            pays = tuple(doc_key(BOOKS, p) for p in payments)
            if rule == BOOKS_SETTLEMENT:
                sides = {
                    "underpaid": (right, pays),
                    "overpaid": (right, pays),
                    "stale_balance": (right, pays),
                    "unapplied_payment": ((), pays),
                    "allocation_to_missing": ((), pays[-1:]),
                }[plan]
            elif plan == "possible_duplicate":
                sides = (right[1:], right[:1])  # the later entry, against the first
            elif plan == "unusual_amount":
                sides = (right, ())
            elif plan == "credit_note_exceeds_invoice":
                sides = (pays, right)
            elif plan == "missing_in_right" or kind in _AUDIT_TYPES:
                sides = (left, ())
            elif plan == "missing_in_left":
                sides = ((), right)
            else:
                sides = (left, right)
            self.truth.planted.append(Planted(rule, kind, plan, *sides))
            if plan in EXTRA_FINDINGS:
                rule, kind = EXTRA_FINDINGS[plan]
                self.truth.planted.append(Planted(rule, kind, plan, right, pays))
        elif plan in ZOHO_TRAPS:
            documents = left + right + tuple(doc_key(BOOKS, p) for p in payments)
            self.truth.traps.append(Trap(TRAP_RULE[plan], plan, documents))

    def _zoho_totals(self, lines: tuple[Line, ...], currency: str, plan: str) -> _Totals:
        """Discount (entity level, before or after tax), tax, shipping, adjustment and rounding of one
        invoice; none of it a discrepancy (except the planted discount above the limit)."""
        rng = self.rng
        subtotal = sum((ln.amount for ln in lines), Decimal(0))
        percent = 40 if plan == "discount_above_limit" else (
            rng.choice((2, 3, 5, 8, 10)) if rng.random() < 0.3 else 0
        )  # fmt: skip
        discount = _money(subtotal * percent / 100)
        before_tax = rng.random() < 0.7
        tax = _money((subtotal - discount if before_tax else subtotal) * TAX_RATE)
        rate = {"USD": USD_RATE, "EUR": EUR_RATE}.get(currency, Decimal(1))
        shipping = _money(Decimal(rng.randint(30, 300)) / rate) if rng.random() < 0.2 else Decimal(0)
        adjustment = (
            Decimal(rng.randint(-2000, 2000)) / 100 if rng.random() < 0.15 else Decimal(0)
        )  # fmt: skip
        before_rounding = subtotal - discount + tax + shipping + adjustment
        rounding = Decimal(0)
        if currency == "CNY" and rng.random() < 0.3:
            rounding = before_rounding.quantize(Decimal(1), rounding=ROUND_HALF_UP) - before_rounding
        inclusive = currency == "CNY" and rng.random() < 0.3
        return _Totals(subtotal, discount, before_tax, tax, shipping, adjustment, rounding, inclusive)

    def _books_invoice(  # noqa: PLR0917 - a private builder with one argument per invoice field
        self,
        number: str,
        party: PartyRef | None,
        owner: str,
        issued: date,
        currency: str,
        rate: Decimal | None,
        total: Decimal,
        reference: str,
        state: str,
        *,
        totals: _Totals | None = None,
        lines: tuple[Line, ...] = (),
    ) -> CanonicalDocument:
        paid = {"paid": total, "partial": _money(total * Decimal(self.rng.randint(30, 70)) / 100),
                "open": Decimal(0)}[state]  # fmt: skip
        due = issued + timedelta(days=30)
        raw = {"paid": "paid", "partial": "partially_paid", "open": "overdue" if due < self.today else "sent"}
        status = {"paid": Status.PAID, "partial": Status.PARTIALLY_PAID, "open": Status.OPEN}[state]
        shown = totals if totals is not None and totals.total == total else None
        doc = CanonicalDocument(
            source=BOOKS, kind=DocumentKind.INVOICE, external_id=self.zoho_id("books"), number=number,
            party=party, owner=owner, issued_on=issued, due_on=due, currency=currency, exchange_rate=rate,
            total=total, balance=total - paid, status=status, raw_status=raw[state],
            shipping=shown.shipping if shown else Decimal(0),
            adjustment=shown.adjustment if shown else Decimal(0),
            references={"reference_number": reference} if reference else {},
            source_modified_at=self.moment(self.day_before_today(issued + timedelta(days=25))),
        )  # fmt: skip
        self.books_details[doc.external_id] = _books_detail(doc, shown, lines)
        return doc

    def _books_settlement(
        self, plan: str, invoice: CanonicalDocument, *, credit: bool = False
    ) -> list[CanonicalDocument]:
        assert invoice.total is not None
        assert invoice.balance is not None
        total, claimed = invoice.total, invoice.total - invoice.balance
        parts: list[tuple[Decimal, Decimal, str | None]] = []  # (amount, applied, target)
        credit_amount = _money(total / 10) if credit else Decimal(0)
        if plan == "underpaid":
            parts = [(claimed - Decimal(5), claimed - Decimal(5), None)]
        elif plan == "overpaid":
            parts = [(total + Decimal(3), total + Decimal(3), None)]
        elif plan == "unapplied_payment":
            parts = [(claimed + Decimal(250), claimed, None)]
        elif plan == "stale_balance":
            half = _money(total / 2)
            parts = [(half, half, None)]
        elif plan == "split_payment":
            first = _money(claimed / 3)
            parts = [(first, first, None), (claimed - first, claimed - first, None)]
        elif plan == "credit_note_exceeds_invoice":
            parts = []
        elif claimed - credit_amount > 0:
            parts = [(claimed - credit_amount, claimed - credit_amount, None)]
        if plan == "allocation_to_missing":
            parts.append((Decimal("42.00"), Decimal("42.00"), self.zoho_id("books")))
        assert invoice.issued_on is not None
        docs = [self._books_payment(invoice, *part) for part in parts]
        if credit:
            docs.append(self._books_credit_note(invoice, credit_amount, credit_amount))
        elif plan == "credit_note_exceeds_invoice":
            # A credit note of 130 % of the invoice, applied to it in full (an imported or mis-keyed credit).
            excess = _money(total * Decimal("1.3"))
            docs.append(self._books_credit_note(invoice, excess, excess))
        return docs

    def _books_payment(
        self, invoice: CanonicalDocument, amount: Decimal, applied: Decimal, target: str | None
    ) -> CanonicalDocument:
        assert invoice.issued_on is not None
        day = self.day_before_today(invoice.issued_on + timedelta(days=self.rng.randint(1, 20)))
        self.counters["payment"] += 1
        return CanonicalDocument(
            source=BOOKS, kind=DocumentKind.PAYMENT, external_id=self.zoho_id("books"),
            number=f"PMT-{self.counters['payment']:06d}", party=invoice.party, issued_on=day,
            currency=invoice.currency, exchange_rate=invoice.exchange_rate, total=amount,
            balance=amount - applied, status=Status.PAID,
            allocations=(Allocation(invoice_external_id=target or invoice.external_id, amount=applied),),
            source_modified_at=self.moment(day),
        )  # fmt: skip

    def _books_credit_note(
        self, invoice: CanonicalDocument, amount: Decimal, applied: Decimal
    ) -> CanonicalDocument:
        assert invoice.issued_on is not None
        day = self.day_before_today(invoice.issued_on + timedelta(days=3))
        self.counters["credit_note"] += 1
        return CanonicalDocument(
            source=BOOKS, kind=DocumentKind.CREDIT_NOTE, external_id=self.zoho_id("books"),
            number=f"CN-{self.counters['credit_note']:05d}", party=invoice.party, issued_on=day,
            currency=invoice.currency, exchange_rate=invoice.exchange_rate, total=amount,
            balance=amount - applied, status=Status.PAID if amount == applied else Status.OPEN,
            raw_status="closed" if amount == applied else "open",
            allocations=(Allocation(invoice_external_id=invoice.external_id, amount=applied),),
            source_modified_at=self.moment(day),
        )  # fmt: skip

    # ------------------------------------------------------------------ Fxiaoke channel

    def fxiaoke_deal(self, index: int, plan: str) -> None:
        rng = self.rng
        domestic = [c for c in self.customers if c.domestic]
        cust = rng.choices(domestic, weights=[_PARETO[self.rank[c.index]] for c in domestic])[0]
        count = 2 if plan == "split_payment" else 1
        state = rng.choices(("paid", "partial", "open"), weights=(6, 2, 2))[0]
        if plan in ("underpaid", "overpaid", "unapplied_payment", "split_payment"):
            state = "paid"
        if plan == "partial_payment":
            state = "partial"
        if plan == "status_mismatch":
            state = "open"
        orders = [self._fx_order(index, n, cust, plan, state) for n in range(count)]
        payments = self._fx_payments(plan, orders, state)
        for order in orders:
            assert order.total is not None
            mine = [
                a.amount
                for p in payments
                for a in p.allocations
                if a.invoice_external_id == order.external_id
            ]
            paid = sum(mine, Decimal(0))
            claimed = {
                "underpaid": order.total,
                "overpaid": order.total,
                "unapplied_payment": order.total,
            }.get(plan, paid)
            final = order.model_copy(update={"balance": order.total - claimed})
            self.fx_docs.append((final, final.source_modified_at or self.spec.as_of, {}))
            self._count(FXIAOKE, final)
        for payment in payments:
            self.fx_docs.append((payment, payment.source_modified_at or self.spec.as_of, {}))
            self._count(FXIAOKE, payment)
        if rng.random() < 0.6 and plan != "status_mismatch":
            application = self._fx_invoice(index, orders[0])
            self.fx_docs.append((application, application.source_modified_at or self.spec.as_of, {}))
            self._count(FXIAOKE, application)
        mirrors = [] if plan == "missing_in_right" else [self._books_order(o, plan, cust) for o in orders]
        for mirror in mirrors:
            self.books.append(mirror)
            self._count(BOOKS, mirror)

        left = tuple(doc_key(FXIAOKE, o) for o in orders)
        right = tuple(doc_key(BOOKS, m) for m in mirrors)
        pays = tuple(doc_key(FXIAOKE, p) for p in payments)
        if plan in FXIAOKE_PLANTS:
            rule, kind = FXIAOKE_PLANTS[plan]
            sides: tuple[tuple[str, ...], tuple[str, ...]] = {
                "underpaid": (left, pays),
                "overpaid": (left, pays),
                "unapplied_payment": ((), pays),
                "missing_in_right": (left, ()),
                "amount_mismatch": (left, right),
                "status_mismatch": (left, right),
            }.get(plan, (left, ()))
            self.truth.planted.append(Planted(rule, kind, plan, *sides))
        elif plan in FXIAOKE_TRAPS:
            self.truth.traps.append(Trap(FXIAOKE_TRAP_RULE[plan], plan, left + right + pays))

    def _fx_order(self, index: int, n: int, cust: Customer, plan: str, state: str) -> CanonicalDocument:
        for _ in range(50):
            order = self._fx_order_once(index, n, cust, plan)
            assert order.total is not None
            assert order.issued_on is not None
            if self.unique_total(FXIAOKE, DocumentKind.SALES_ORDER, cust, order.total, order.issued_on):
                break
        return order

    def _fx_order_once(self, index: int, n: int, cust: Customer, plan: str) -> CanonicalDocument:
        rng = self.rng
        profile = self.profile(cust)
        usd = profile.currency != "CNY" and plan not in ("negative_amount",)
        currency, rate = (
            (profile.currency, profile.rate + Decimal(rng.randrange(-500, 500)) / 10_000)
            if usd
            else ("CNY", None)
        )
        day = self.today - timedelta(days=rng.randint(10, 170))
        at = self.moment(day)
        lines = list(self.lines(self.fx_products, rate or Decimal(1), tax=False, profile=profile))
        if plan == "negative_amount":
            service = next(p for p in self.fx_products if p[1] == "Service hours")
            lines.append(Line(product=service[1], product_external_id=service[0], quantity=Decimal(-1),
                              unit_price=service[2], amount=-service[2]))  # fmt: skip
            first = lines[0]
            bumped = first.amount + service[2]
            lines[0] = first.model_copy(
                update={"quantity": Decimal(1), "unit_price": bumped, "amount": bumped}
            )
        subtotal = sum((ln.amount for ln in lines), Decimal(0))
        if plan == "total_not_sum_of_lines":
            subtotal += Decimal(100)
        percent = 95 if plan == "discount" else (rng.choice((98, 95, 92, 90)) if rng.random() < 0.3 else 100)
        total = _percent_of(subtotal, percent)
        if total is None:  # a half-cent: the percentage would not say which way the order was rounded
            total = subtotal if plan != "discount" else _percent_of(subtotal, 94) or subtotal - 1
        self.counters["fx_order"] += 1
        return CanonicalDocument(
            source=FXIAOKE, kind=DocumentKind.SALES_ORDER, external_id=self.fx.new_id(at),
            number=f"{day:%Y%m%d}-{self.counters['fx_order']:06d}",
            party=PartyRef(external_id=self.parties[cust.index].fxiaoke_id, name=cust.name),
            owner=None if plan == "missing_owner" else rng.choice(FXIAOKE_OWNERS), issued_on=day,
            currency=currency, exchange_rate=rate, subtotal=subtotal, total=total, balance=total,
            status=Status.VOID if plan == "status_mismatch" else Status.OPEN, lines=tuple(lines),
            source_modified_at=at,
        )  # fmt: skip

    def _fx_payments(self, plan: str, orders: list[CanonicalDocument], state: str) -> list[CanonicalDocument]:
        if state == "open":
            return []
        shares = []
        for order in orders:
            assert order.total is not None
            amount = (
                order.total
                if state == "paid"
                else _money(order.total * Decimal(self.rng.randint(30, 70)) / 100)
            )
            if plan == "underpaid":
                amount -= Decimal(5)
            elif plan == "overpaid":
                amount += Decimal(3)
            shares.append(Allocation(invoice_external_id=order.external_id, amount=amount,
                                     target_kind=DocumentKind.SALES_ORDER))  # fmt: skip
        first = orders[0]
        assert first.issued_on is not None
        day = self.day_before_today(first.issued_on + timedelta(days=self.rng.randint(2, 25)))
        at = self.moment(day)
        total = sum((a.amount for a in shares), Decimal(0)) + (
            Decimal(500) if plan == "unapplied_payment" else 0
        )
        self.counters["fx_payment"] += 1
        return [
            CanonicalDocument(
                source=FXIAOKE, kind=DocumentKind.PAYMENT, external_id=self.fx.new_id(at),
                number=f"HK{day:%Y%m%d}{self.counters['fx_payment']:05d}", party=first.party,
                owner=first.owner, issued_on=day, currency=first.currency, exchange_rate=first.exchange_rate,
                total=total,
                references={"sales_order": first.external_id} if len(orders) == 1 else {},
                allocations=tuple(shares), source_modified_at=at,
            )
        ]  # fmt: skip

    def _fx_invoice(self, index: int, order: CanonicalDocument) -> CanonicalDocument:
        assert order.issued_on is not None
        assert order.total is not None
        day = self.day_before_today(order.issued_on + timedelta(days=self.rng.randint(1, 15)))
        at = self.moment(day)
        application = f"KP-{day:%Y%m}-{index + 1:06d}"
        issued = self.rng.random() < 0.7
        return CanonicalDocument(
            source=FXIAOKE, kind=DocumentKind.INVOICE, external_id=self.fx.new_id(at),
            number=f"{self.rng.randrange(10**7, 10**8):08d}" if issued else application,
            party=order.party, owner=order.owner, issued_on=day if issued else None, currency=order.currency,
            exchange_rate=order.exchange_rate, total=order.total,
            references={"sales_order": order.external_id, APPLICATION_REFERENCE: application},
            lines=(Line(amount=order.total, tax=_money(order.total * 13 / 113)),), source_modified_at=at,
        )  # fmt: skip

    def _books_order(self, order: CanonicalDocument, plan: str, cust: Customer) -> CanonicalDocument:
        assert order.total is not None
        assert order.number is not None
        assert order.issued_on is not None
        number = order.number.replace("-", "") if plan == "formatting" else order.number
        total = order.total + Decimal(200) if plan == "amount_mismatch" else order.total
        name = cust.variant(self.rng) if plan == "party_variant" else cust.name
        return CanonicalDocument(
            source=BOOKS, kind=DocumentKind.SALES_ORDER, external_id=self.zoho_id("books"), number=number,
            party=PartyRef(external_id=self.parties[cust.index].books_id, name=name),
            owner=self.rng.choice(SALESPEOPLE), issued_on=order.issued_on, currency=order.currency,
            exchange_rate=order.exchange_rate or Decimal(1), total=total, status=Status.OPEN,
            raw_status="open",
            source_modified_at=self.moment(self.day_before_today(order.issued_on + timedelta(days=1))),
        )  # fmt: skip

    # ------------------------------------------------------------------ malformed records and the end

    def malformed(self) -> None:
        """A few records each vendor serves broken (per stream: about one per 400 orders, at least one)."""
        per_stream = max(1, round(self.spec.orders / 400))
        for n in range(per_stream):
            cust = self.customers[n % len(self.customers)]
            parties = self.parties[cust.index]
            day = self.today - timedelta(days=3 + n)
            crm_id = self.zoho_id("crm")
            self.crm.append(
                CanonicalDocument(
                    source=CRM, kind=DocumentKind.INVOICE, external_id=crm_id, number=f"INV-9{n:05d}",
                    party=PartyRef(external_id=parties.crm_id, name=cust.name), owner=SALESPEOPLE[1],
                    issued_on=day, due_on=day + timedelta(days=30), currency="CNY", exchange_rate=Decimal(1),
                    subtotal=Decimal("10925.00"), tax=Decimal("1420.25"), total=Decimal("12345.25"),
                    status=Status.OPEN, raw_status="Created", source_modified_at=self.moment(day),
                )
            )  # fmt: skip
            self.overrides[crm_id] = {"Grand_Total": "12,345.25"}
            self.truth.malformed.append(Malformed(CRM, "invoices", crm_id, "Grand_Total", "12,345.25"))
            party = PartyRef(external_id=parties.books_id, name=cust.name)
            terms = (SALESPEOPLE[2], day, "CNY", Decimal(1), Decimal("880.00"), "")
            books = self._books_invoice(f"INV-8{n:05d}", party, *terms, "open")
            self.books.append(books)
            bad_date = f"{day:%d/%m/%Y}"
            self.overrides[books.external_id] = {"date": bad_date}
            self.truth.malformed.append(Malformed(BOOKS, "invoices", books.external_id, "date", bad_date))
            domestic = next(c for c in self.customers[n:] + self.customers if c.domestic)
            order = self._fx_order(9000 + n, 0, domestic, "malformed", "open")
            self.fx_docs.append(
                (order, order.source_modified_at or self.spec.as_of, {"order_amount": "约12000元"})
            )
            self.truth.malformed.append(
                Malformed(FXIAOKE, "sales_orders", order.external_id, "order_amount", "约12000元")
            )

    def _merge_payments(self) -> list[CanonicalDocument]:
        """Books documents, with some clean payments merged two by two (same customer and currency) into
        one payment applied to both invoices: a multi-invoice payment, as customers pay statements."""
        merged: dict[str, CanonicalDocument] = {}
        dropped: set[str] = set()
        waiting: dict[tuple[str | None, str | None], CanonicalDocument] = {}
        for payment in self.mergeable:
            group = (payment.party.external_id if payment.party else None, payment.currency)
            other = waiting.pop(group, None)
            if other is None:
                if self.rng.random() < 0.4:
                    waiting[group] = payment
                continue
            assert other.total is not None
            assert payment.total is not None
            assert other.issued_on is not None
            assert payment.issued_on is not None
            later = max(other, payment, key=lambda p: (p.issued_on, p.source_modified_at))
            merged[other.external_id] = other.model_copy(update={
                "total": other.total + payment.total, "issued_on": later.issued_on,
                "allocations": other.allocations + payment.allocations,
                "source_modified_at": later.source_modified_at,
            })  # fmt: skip
            dropped.add(payment.external_id)
            self.truth.records[(BOOKS, DocumentKind.PAYMENT.value)] -= 1
        return [merged.get(d.external_id, d) for d in self.books if d.external_id not in dropped]

    def _count(self, source: str, doc: CanonicalDocument) -> None:
        self.truth.records[(source, doc.kind.value)] += 1

    def finish(self) -> DemoCompany:
        for doc in self.crm:
            if doc.kind in (DocumentKind.CUSTOMER, DocumentKind.PRODUCT):
                self._count(CRM, doc)
        for doc, _, _ in self.fx_docs:
            if doc.kind in (DocumentKind.CUSTOMER, DocumentKind.PRODUCT):
                self._count(FXIAOKE, doc)
        zoho = ZohoDataset(organization_id="10234695", organization_name="明辉集团 Minghui Group (sandbox)")
        for doc in self.crm:
            zoho.put("crm", doc)
        for doc in self._merge_payments():
            zoho.put("books", doc)
        for external_id, fields in self.books_details.items():
            if fields:
                zoho.set_detail_fields(external_id, fields)
        for doc, at, extra in self.fx_docs:
            self.fx.add(doc, created_at=at, modified_at=at, extra=extra or None)
        return DemoCompany(zoho, self.fx, self.overrides, self.truth, self.later, self._bank(zoho))

    def _bank(self, zoho: ZohoDataset) -> BankStatements:
        """The bank statements of Books' payments, their plants in the truth (docs: bank_files.py)."""
        broken = {m.external_id for m in self.truth.malformed}
        numbers = {
            doc.external_id: doc.number
            for doc in zoho.live("books", DocumentKind.INVOICE)
            if doc.number and doc.external_id not in broken
        }
        spec = self.spec
        bank = bank_statements(
            zoho.live("books", DocumentKind.PAYMENT), numbers, source=BOOKS,
            as_of=spec.as_of.astimezone(ZONE).date(), seed=spec.seed, planted=spec.planted,
        )  # fmt: skip
        for plant in bank.plants:
            rule, kind = BANK_PLANTS[plant.plant]
            self.truth.planted.append(Planted(rule, kind, plant.plant, plant.payments, plant.lines))
        self.truth.records[(BANK, DocumentKind.BANK_TRANSACTION.value)] += bank.lines
        return bank


_AUDIT_TYPES = frozenset(
    {
        "total_not_subtotal_plus_tax",
        "total_not_sum_of_lines",
        "negative_amount",
        "due_before_issue",
        "missing_owner",
        "invoice_before_order",
        "possible_duplicate",
        "discount_above_limit",
        "unusual_amount",
        "credit_note_exceeds_invoice",
    }
)


def _books_detail(doc: CanonicalDocument, totals: _Totals | None, lines: tuple[Line, ...]) -> dict[str, Any]:
    """What only GET /invoices/{id} shows of a Books invoice: the breakdown of its total (Zoho Books API
    v3 invoice attributes `sub_total`, `tax_total`, `discount`, `discount_total`, `discount_type`,
    `is_discount_before_tax`, `is_inclusive_tax`, `roundoff_value`, and `line_items[]` with
    `rate`, `quantity`, `discount_amount`, `item_total`). With tax-inclusive pricing the rates, item
    totals and `sub_total` contain the tax. Empty when the invoice's total has no known breakdown."""
    if totals is None:
        return {}
    factor = 1 + TAX_RATE if totals.inclusive else Decimal(1)
    items = []
    for n, line in enumerate(lines):
        quantity = line.quantity or Decimal(1)
        rate = line.unit_price if line.unit_price is not None else line.amount
        gross = _money(quantity * rate)
        items.append({
            "line_item_id": f"{doc.external_id}{n:03d}", "item_order": n + 1, "name": line.product,
            "sku": line.sku, "quantity": quantity, "rate": _money(rate * factor),
            "discount_amount": _money((gross - line.amount) * factor),
            "discount": _money((gross - line.amount) * factor),
            "tax_percentage": int(TAX_RATE * 100), "item_total": _money(line.amount * factor),
        })  # fmt: skip
    percent = (totals.discount / totals.subtotal * 100).quantize(_CENT) if totals.subtotal else Decimal(0)
    return {
        "line_items": items,
        "sub_total": totals.subtotal + totals.tax if totals.inclusive else totals.subtotal,
        "tax_total": totals.tax,
        "discount": f"{percent}%" if totals.discount else Decimal(0),
        "discount_total": totals.discount,
        "discount_type": "entity_level" if totals.discount else "item_level",
        "is_discount_before_tax": totals.discount_before_tax,
        "is_inclusive_tax": totals.inclusive,
        "roundoff_value": totals.rounding,
        "transaction_rounding_type": "round_to_whole_number" if totals.rounding else "no_rounding",
    }


_PARETO = [1 / (rank + 1) for rank in range(10_000)]
"""How often each customer buys (by customer index): a few big customers place most orders, as in most
companies (Zipf weights); it also gives them the history `unusual_amount` judges an amount against."""


def _percent_of(amount: Decimal, percent: int) -> Decimal | None:
    """`amount` x percent / 100 in cents, None when that is exactly half a cent (then a reader applying
    the percentage and one subtracting the amounts could round it differently)."""
    exact = amount * percent / 100
    if (exact * 1000) % 10 == 5 and exact * 1000 == (exact * 1000).to_integral_value():
        return None
    return _money(exact)


def _one_of(line: Line, amount: Decimal) -> Line:
    """The line as one unit at `amount` (how a clerk overwrites a line's total)."""
    return line.model_copy(update={"quantity": Decimal(1), "unit_price": amount, "amount": amount})


def _sku(name: str) -> str | None:
    return next((p.sku for p in PRODUCTS if p.name == name), None)


def zoho_overrides(
    records: Iterable[Mapping[str, Any]], overrides: Mapping[str, Mapping[str, Any]]
) -> list[Any]:
    """Vendor rows with the malformed fields put in (rows of other records are returned as they are)."""
    result: list[Any] = []
    for row in records:
        record_id = row.get("id") or row.get("invoice_id") or row.get("salesorder_id")
        patch = overrides.get(str(record_id)) if record_id is not None else None
        result.append({**row, **{k: v for k, v in patch.items() if k in row}} if patch else row)
    return result
