"""Kingdee companies for the sandbox: a generated one of any size, or the demo company's Fxiaoke books
rendered as Kingdee bills; and the changes between two sync runs (edits, hard deletes).

- `generate_kingdee_company(KingdeeSpec(...))` -> KingdeeCompany: customers, materials and, per
  order, a sales order (1-6 lines, some in USD/EUR, some entered with tax and some without, a few
  drafts and cancelled ones), an audited order's receivable (应收单, same lines, FORDERNUMBER), VAT
  invoices (专票 IV_SALESIC / 普票 IV_SALESOC) and receipts (收款单) whose source-bill entries allocate
  them to receivables (some partly, some split over two receipts, some covering two receivables) or
  to orders (advance receipts). 4,000 orders give about 11,000 bills. Some bills share one
  FModifyDate (a batch audit), so a reader must order by `FModifyDate, FID`.
- `kingdee_from_demo(company)` -> KingdeeDataset: the demo company's (connectors/sandbox/generator.py)
  Fxiaoke side as the Kingdee account it feeds: customers -> BD_Customer (FNumber CUST#####), products
  -> BD_MATERIAL (FNumber = SKU), sales orders -> SAL_SaleOrder (FBillNo = the Fxiaoke order number,
  its discount spread over the line totals, voided ones cancelled), each live order -> an
  AR_receivable, payments (回款) -> AR_RECEIVEBILL allocated to those receivables, invoices (开票) ->
  IV_SALESIC/IV_SALESOC. What `demo --pair fxiaoke-kingdee` serves as its Kingdee side.
- `apply_later_changes(company, ...)`: the next day — some bills saved again (FModifyDate moves, a
  draft gets audited), some hard-deleted (they vanish from every query).

The truth a reader must reproduce is `dataset.truth()`: form -> FID -> BillFacts (customers and
materials by FCUSTID/FMATERIALID), always the current state; `dataset.deleted()` the vanished bills.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from connectors.sandbox.company import PRODUCTS, customers
from connectors.sandbox.generator import AS_OF, EUR_RATE, USD_RATE, DemoCompany
from connectors.sandbox.kingdee.app import SERVER_PATH, KingdeeSandbox, KingdeeSandboxOptions
from connectors.sandbox.kingdee.dataset import (
    CANCEL_ACTIVE,
    CANCELLED,
    DEFAULT_ACCT_ID,
    RECEIPT,
    RECEIVABLE,
    SALES_ORDER,
    SERVER_ZONE,
    VAT_ORDINARY,
    VAT_SPECIAL,
    AllocationFacts,
    BillFacts,
    CustomerFacts,
    KingdeeDataset,
    LineFacts,
    MaterialFacts,
    make_line,
    money,
    totals,
)
from store.canonical import CanonicalDocument, DocumentKind, Status

RATES = {"CNY": Decimal(1), "USD": USD_RATE, "EUR": EUR_RATE}
_SERVICE_TAX = Decimal(6)
_GOODS_TAX = Decimal(13)
_FALLBACK_MATERIAL = "SVC-HR"
"""An Fxiaoke line whose product the books do not know becomes service hours."""
_NUMBER_PREFIX = {
    SALES_ORDER: "XSDD",
    RECEIVABLE: "AR",
    RECEIPT: "SKD",
    VAT_SPECIAL: "XSZP",
    VAT_ORDINARY: "XSPP",
}


@dataclass(frozen=True)
class KingdeeSpec:
    customers: int = 40
    orders: int = 400
    seed: int = 2026
    as_of: datetime = AS_OF
    days: int = 180
    """Bills are dated over this many days before `as_of`."""
    foreign_share: float = 0.15
    draft_share: float = 0.04
    cancelled_share: float = 0.03
    batch_share: float = 0.05
    """Share of bills saved in one batch sharing one FModifyDate."""


@dataclass
class KingdeeCompany:
    spec: KingdeeSpec
    dataset: KingdeeDataset
    rng: random.Random

    def truth(self) -> dict[str, dict[int, Any]]:
        return self.dataset.truth()


@dataclass
class LaterChanges:
    edited: list[tuple[str, int]] = field(default_factory=list)
    deleted: list[tuple[str, int]] = field(default_factory=list)


class _Numbers:
    def __init__(self) -> None:
        self.counts: dict[str, int] = {}

    def next(self, form: str) -> str:
        self.counts[form] = self.counts.get(form, 0) + 1
        return f"{_NUMBER_PREFIX[form]}{self.counts[form]:06d}"


@dataclass(frozen=True)
class _Terms:
    """Who a bill is for and in which money: customer FNumber, currency, exchange rate, with tax."""

    customer: str
    currency: str
    rate: Decimal
    inclusive: bool = True


class _Books:
    """Puts bills into a dataset with fresh FIDs, entry ids and bill numbers."""

    def __init__(self, data: KingdeeDataset) -> None:
        self.data = data
        self.numbers = _Numbers()

    def bill(
        self,
        form: str,
        day: date,
        terms: _Terms,
        lines: Sequence[LineFacts],
        *,
        status: str,
        at: datetime,
        cancelled: bool = False,
        number: str | None = None,
        **extra: Any,
    ) -> BillFacts:
        return self.data.put(
            BillFacts(
                form=form,
                fid=self.data.new_fid(),
                number=number or self.numbers.next(form),
                bill_date=day,
                customer=terms.customer,
                currency=terms.currency,
                exchange_rate=terms.rate,
                tax_inclusive=terms.inclusive,
                document_status=status,
                cancel_status=CANCELLED if cancelled else CANCEL_ACTIVE,
                created_at=at,
                modified_at=at,
                lines=tuple(lines),
                **totals(lines),
                **extra,
            )
        )

    def lines_of(self, source: BillFacts, *, order_number: str) -> list[LineFacts]:
        """`source`'s lines again (new entry ids), linked to it: a receivable or invoice pushed down."""
        return [
            replace(
                line,
                entry_id=self.data.new_entry_id(),
                source_form=source.form,
                source_fid=source.fid,
                source_number=source.number,
                order_number=order_number,
            )
            for line in source.lines
        ]

    def receipt(
        self,
        day: date,
        applied: Sequence[tuple[BillFacts, Decimal]],
        at: datetime,
        *,
        extra: Decimal = Decimal(0),
        number: str | None = None,
        note: str = "",
    ) -> BillFacts:
        """A receipt from the first bill's customer, in its currency, allocated to `applied`."""
        payer = applied[0][0]
        data = self.data
        allocations = tuple(
            AllocationFacts(data.new_entry_id(), bill.form, bill.fid, bill.number, amount, bill.total)
            for bill, amount in applied
        )
        total = sum((a.amount for a in allocations), Decimal(0)) + extra
        return data.put(
            BillFacts(
                form=RECEIPT,
                fid=data.new_fid(),
                number=number or self.numbers.next(RECEIPT),
                bill_date=day,
                customer=payer.customer,
                currency=payer.currency,
                exchange_rate=payer.exchange_rate,
                tax_inclusive=True,
                document_status="C",
                cancel_status=CANCEL_ACTIVE,
                created_at=at,
                modified_at=at,
                subtotal=Decimal(0),
                tax=Decimal(0),
                total=total,
                total_local=money(total * payer.exchange_rate),
                allocations=allocations,
                settlement_entry_id=data.new_entry_id(),
                note=note,
            )
        )


def _materials(data: KingdeeDataset) -> list[MaterialFacts]:
    made = [
        MaterialFacts(
            data.new_master_id(),
            product.sku,
            product.name,
            tax_rate=_SERVICE_TAX if product.sku.startswith("SVC") else _GOODS_TAX,
            modified_at=datetime(2025, 9, 1, 2, 0, tzinfo=UTC),
        )
        for product in PRODUCTS
    ]
    for material in made:
        data.put_material(material)
    return made


def _customers(data: KingdeeDataset, spec: KingdeeSpec, rng: random.Random) -> list[CustomerFacts]:
    people = []
    for person in customers(spec.customers, rng):
        facts = CustomerFacts(
            data.new_master_id(),
            f"CUST{person.index + 1:05d}",
            person.name,
            "CNY" if person.domestic else rng.choice(("USD", "USD", "EUR")),
            tax_code=f"91310000MA1{rng.randrange(10**6):06d}X" if person.domestic else None,
            modified_at=spec.as_of - timedelta(days=spec.days + 30, minutes=person.index),
        )
        data.put_customer(facts)
        people.append(facts)
    return people


class _Generator:
    """One order chain at a time: order -> receivable -> invoice, receipts settling receivables."""

    def __init__(self, spec: KingdeeSpec) -> None:
        self.spec = spec
        self.rng = random.Random(spec.seed)
        self.data = KingdeeDataset()
        self.books = _Books(self.data)
        self.materials = _materials(self.data)
        self.people = _customers(self.data, spec, self.rng)
        self.prices = {p.sku: p.price_cny for p in PRODUCTS}
        self.batch_at = spec.as_of - timedelta(days=3, hours=2)
        self.pending: list[BillFacts] = []

    def moment(self, day: date, minutes: int) -> datetime:
        """When a bill dated `day` was saved: that morning plus `minutes` (milliseconds vary), or the
        one batch-audit instant that several bills share."""
        if self.rng.random() < self.spec.batch_share:
            return self.batch_at
        at = datetime.combine(day, time(9), tzinfo=SERVER_ZONE).astimezone(UTC) + timedelta(minutes=minutes)
        return min(
            at.replace(microsecond=self.rng.randrange(1000) * 1000), self.spec.as_of - timedelta(seconds=1)
        )

    def terms(self) -> _Terms:
        buyer = self.rng.choice(self.people)
        currency = buyer.currency if buyer.currency == "CNY" or self.rng.random() < 0.8 else "CNY"
        if buyer.currency == "CNY" and self.rng.random() < self.spec.foreign_share / 3:
            currency = "USD"
        return _Terms(buyer.number, currency, RATES[currency], self.rng.random() < 0.7)

    def order(self, day: date) -> BillFacts:
        rng, terms = self.rng, self.terms()
        lines = [
            make_line(
                self.data.new_entry_id(),
                material.number,
                Decimal(rng.randint(1, 40)),
                (self.prices[material.number] / terms.rate).quantize(Decimal("0.01")),
                tax_rate=material.tax_rate,
                tax_inclusive=terms.inclusive,
                exchange_rate=terms.rate,
            )
            for material in rng.sample(self.materials, rng.randint(1, 6))
        ]
        roll, spec = rng.random(), self.spec
        status = "Z" if roll < spec.draft_share else rng.choice("AB") if roll < spec.draft_share * 2 else "C"
        cancelled = status == "C" and rng.random() < spec.cancelled_share
        at = self.moment(day, rng.randrange(600))
        return self.books.bill(SALES_ORDER, day, terms, lines, status=status, at=at, cancelled=cancelled)

    def chain(self, day: date) -> None:
        order = self.order(day)
        rng = self.rng
        if order.document_status != "C" or order.cancelled:
            return
        terms = _Terms(order.customer, order.currency, order.exchange_rate, order.tax_inclusive)
        if rng.random() < 0.15:  # an advance receipt against the order
            advance = money(order.total * Decimal(rng.choice(("0.3", "0.5", "1"))))
            next_day = day + timedelta(days=1)
            self.books.receipt(next_day, [(order, advance)], self.moment(next_day, 30))
            return
        if rng.random() >= 0.85:
            return
        ar_day = day + timedelta(days=rng.randint(1, 10))
        receivable = self.books.bill(
            RECEIVABLE,
            ar_day,
            terms,
            self.books.lines_of(order, order_number=order.number),
            status=rng.choice("CCCCCA"),
            at=self.moment(ar_day, 60),
            due_on=ar_day + timedelta(days=30),
        )
        if rng.random() < 0.6:
            form = VAT_SPECIAL if rng.random() < 0.4 else VAT_ORDINARY
            self.books.bill(
                form,
                ar_day,
                terms,
                self.books.lines_of(receivable, order_number=order.number),
                status="C",
                at=self.moment(ar_day, 90),
                invoice_number=f"{rng.randrange(10**8):08d}",
            )
        if receivable.document_status == "C":
            self.pending.append(receivable)

    def settle(self) -> None:
        """Receipts for the oldest pending receivable: whole, partly, split in two, with the next one of
        the same customer, or with a little unapplied money; or none yet."""
        rng, books = self.rng, self.books
        first = self.pending.pop(0)
        day = first.bill_date + timedelta(days=rng.randint(5, 40))
        roll = rng.random()
        if roll < 0.25:
            return
        if roll < 0.35:
            books.receipt(day, [(first, money(first.total * Decimal("0.4")))], self.moment(day, 10))
            return
        if roll < 0.45:
            half, later = money(first.total / 2), day + timedelta(days=7)
            books.receipt(day, [(first, half)], self.moment(day, 20))
            books.receipt(later, [(first, first.total - half)], self.moment(later, 20))
            return
        same = (b for b in self.pending if b.customer == first.customer and b.currency == first.currency)
        second = next(same, None)
        if roll < 0.6 and second is not None:
            self.pending.remove(second)
            books.receipt(day, [(first, first.total), (second, second.total)], self.moment(day, 40))
            return
        extra = money(Decimal(rng.randint(1, 500))) if roll > 0.97 else Decimal(0)
        books.receipt(day, [(first, first.total)], self.moment(day, 50), extra=extra)


def generate_kingdee_company(spec: KingdeeSpec | None = None) -> KingdeeCompany:
    """A Kingdee account of `spec.orders` order chains (see the module docstring); deterministic."""
    spec = spec or KingdeeSpec()
    making = _Generator(spec)
    start = spec.as_of - timedelta(days=spec.days)
    for index in range(spec.orders):
        making.chain((start + timedelta(days=spec.days * index // max(1, spec.orders))).date())
        while len(making.pending) >= 6:
            making.settle()
    while making.pending:
        making.settle()
    return KingdeeCompany(spec, making.data, making.rng)


def apply_later_changes(
    company: KingdeeCompany, *, at: datetime | None = None, edits: int = 20, deletes: int = 5
) -> LaterChanges:
    """The next day: `edits` bills saved again (a draft audited, others only re-saved: FModifyDate moves
    to `at`), `deletes` bills hard-deleted (receipts and unaudited orders, as K/3 Cloud deletes only
    what is not audited)."""
    data, rng = company.dataset, company.rng
    at = at or company.spec.as_of + timedelta(days=1)
    changes = LaterChanges()
    candidates = [
        (b.form, b.fid) for form in (SALES_ORDER, RECEIVABLE, VAT_ORDINARY) for b in data.bills(form)
    ]
    for form, fid in rng.sample(candidates, min(edits, len(candidates))):
        bill = data.get(form, fid)
        status = "C" if bill.document_status in "ZAB" else bill.document_status
        data.edit(form, fid, at, document_status=status)
        changes.edited.append((form, fid))
    doomed = [
        (b.form, b.fid)
        for form in (RECEIPT, SALES_ORDER)
        for b in data.bills(form)
        if (b.form, b.fid) not in changes.edited and (form == RECEIPT or b.document_status != "C")
    ]
    for form, fid in rng.sample(doomed, min(deletes, len(doomed))):
        data.delete(form, fid)
        changes.deleted.append((form, fid))
    return changes


# ----------------------------------------------------------------------------- the demo's books


def kingdee_from_demo(company: DemoCompany, *, dataset: KingdeeDataset | None = None) -> KingdeeDataset:
    """The demo company's Fxiaoke side as its Kingdee account (see the module docstring)."""
    data = dataset or KingdeeDataset()
    books = _Books(data)
    by_kind: dict[DocumentKind, list[CanonicalDocument]] = {}
    for doc in sorted(company.fxiaoke.truth(), key=lambda d: (d.source_modified_at or AS_OF, d.external_id)):
        by_kind.setdefault(doc.kind, []).append(doc)
    customer_of, material_of = _demo_masters(data, by_kind)
    taxes = {m.number: m.tax_rate for m in data.lookups.materials.values()}
    receivable_of: dict[str, BillFacts] = {}
    order_of: dict[str, BillFacts] = {}
    for doc in by_kind.get(DocumentKind.SALES_ORDER, []):
        currency = doc.currency or "CNY"
        party = customer_of.get(doc.party.external_id or "", "CUST00000") if doc.party else "CUST00000"
        terms = _Terms(party, currency, doc.exchange_rate or RATES.get(currency, Decimal(1)))
        at, void = doc.source_modified_at or AS_OF, doc.status is Status.VOID
        order = books.bill(
            SALES_ORDER,
            doc.issued_on or at.date(),
            terms,
            _demo_lines(data, doc, material_of, taxes, terms.rate),
            status="C",
            at=at,
            cancelled=void,
            number=doc.number,
            note=doc.external_id,
        )
        order_of[doc.external_id] = order
        if not void:
            receivable_of[doc.external_id] = books.bill(
                RECEIVABLE,
                order.bill_date,
                terms,
                books.lines_of(order, order_number=order.number),
                status="C",
                at=at + timedelta(minutes=5),
                due_on=order.bill_date + timedelta(days=30),
            )
    for doc in by_kind.get(DocumentKind.PAYMENT, []):
        targets = (
            (receivable_of.get(a.invoice_external_id) or order_of.get(a.invoice_external_id), a.amount)
            for a in doc.allocations
        )
        applied = [(bill, amount) for bill, amount in targets if bill is not None]
        if applied:
            unapplied = (doc.total or Decimal(0)) - sum((amount for _, amount in applied), Decimal(0))
            books.receipt(
                doc.issued_on or applied[0][0].bill_date,
                applied,
                doc.source_modified_at or AS_OF,
                extra=max(unapplied, Decimal(0)),
                number=doc.number,
                note=doc.external_id,
            )
    for n, doc in enumerate(by_kind.get(DocumentKind.INVOICE, [])):
        invoiced = order_of.get(doc.references.get("sales_order", ""))
        if invoiced is not None:
            _demo_invoice(books, doc, invoiced, VAT_SPECIAL if n % 5 < 2 else VAT_ORDINARY, taxes)
    return data


def _demo_masters(
    data: KingdeeDataset, by_kind: dict[DocumentKind, list[CanonicalDocument]]
) -> tuple[dict[str, str], dict[str, str]]:
    """Customers and products as BD_Customer/BD_MATERIAL; returns the Fxiaoke customer and product ids'
    FNumbers."""
    customer_of: dict[str, str] = {}
    material_of: dict[str, str] = {}
    for n, doc in enumerate(by_kind.get(DocumentKind.CUSTOMER, []), start=1):
        customer_of[doc.external_id] = f"CUST{n:05d}"
        name = doc.party.name if doc.party and doc.party.name else doc.external_id
        data.put_customer(
            CustomerFacts(
                data.new_master_id(), f"CUST{n:05d}", name, modified_at=doc.source_modified_at or AS_OF
            )
        )
    for doc in by_kind.get(DocumentKind.PRODUCT, []):
        number = doc.number or doc.external_id
        material_of[doc.external_id] = number
        name = (doc.lines[0].product if doc.lines else None) or number
        rate = _SERVICE_TAX if number.startswith("SVC") else _GOODS_TAX
        data.put_material(
            MaterialFacts(
                data.new_master_id(), number, name, tax_rate=rate, modified_at=doc.source_modified_at or AS_OF
            )
        )
    return customer_of, material_of


def _demo_invoice(
    books: _Books, doc: CanonicalDocument, order: BillFacts, form: str, taxes: dict[str, Decimal]
) -> None:
    """An invoice application as one VAT invoice line of the order's first material, its total the
    application's, linked to the order."""
    total = doc.total or Decimal(0)
    material = order.lines[0].material if order.lines else _FALLBACK_MATERIAL
    line = make_line(
        books.data.new_entry_id(),
        material,
        Decimal(1),
        total,
        tax_rate=taxes.get(material, _GOODS_TAX),
        tax_inclusive=True,
        exchange_rate=order.exchange_rate,
        source_form=SALES_ORDER,
        source_fid=order.fid,
        source_number=order.number,
        order_number=order.number,
    )
    terms = _Terms(order.customer, order.currency, order.exchange_rate)
    books.bill(
        form,
        doc.issued_on or order.bill_date,
        terms,
        [line],
        status="C",
        at=doc.source_modified_at or AS_OF,
        invoice_number=doc.number,
        note=doc.external_id,
    )


def _demo_lines(
    data: KingdeeDataset,
    doc: CanonicalDocument,
    material_of: dict[str, str],
    taxes: dict[str, Decimal],
    rate: Decimal,
) -> list[LineFacts]:
    """The order's lines with its discount spread over their totals (the last line takes the cents), so
    the Kingdee order's FBillAllAmount is the Fxiaoke order's total. Materials by SKU (FNumber)."""
    total = doc.total or Decimal(0)
    subtotal = sum((line.amount for line in doc.lines), Decimal(0))
    lines, left = [], total
    for n, source in enumerate(doc.lines):
        material = material_of.get(source.product_external_id or "", _FALLBACK_MATERIAL)
        last = n == len(doc.lines) - 1
        share = left if last else money(source.amount * total / subtotal) if subtotal else Decimal(0)
        left -= share
        quantity = source.quantity or Decimal(1)
        unit = (share / quantity).quantize(Decimal("0.000001"))
        line = make_line(
            data.new_entry_id(),
            material,
            quantity,
            unit,
            tax_rate=taxes.get(material, _GOODS_TAX),
            tax_inclusive=True,
            exchange_rate=rate,
        )
        lines.append(_with_total(line, share, rate))
    return lines


def _with_total(line: LineFacts, all_amount: Decimal, rate: Decimal) -> LineFacts:
    """A line whose total with tax is exactly `all_amount` (the unit price carries the remainder)."""
    amount = money(all_amount / (1 + line.tax_rate / 100))
    amount_local, all_local = money(amount * rate), money(all_amount * rate)
    return replace(
        line,
        all_amount=all_amount,
        amount=amount,
        tax=all_amount - amount,
        amount_local=amount_local,
        tax_local=all_local - amount_local,
        all_amount_local=all_local,
    )


# ----------------------------------------------------------------------------- serving the demo's books


def kingdee_sandbox(company: DemoCompany, *, port: int = 0, **options: Any) -> KingdeeSandbox:
    """The demo company's Fxiaoke books as a Kingdee account, served on `port` (0: a free one)."""
    return KingdeeSandbox(kingdee_from_demo(company), options=KingdeeSandboxOptions(**options), port=port)


def kingdee_yaml(
    url: str, options: KingdeeSandboxOptions | None = None, acct_id: str = DEFAULT_ACCT_ID
) -> str:
    """A `connectors:` entry reaching the Kingdee sandbox at `url` (its fixed, sandbox-only credentials;
    the keys of INTERFACES.md)."""
    opts = options or KingdeeSandboxOptions()
    return f"""\
  - name: kingdee
    kind: kingdee
    server_url: "{url}{SERVER_PATH}"   # sandbox
    acct_id: "{acct_id}"
    user_name: "{opts.user_name}"
    streams: [sales_orders, receivables, receipts, sales_invoices, customers, materials]
    credentials:
      app_id: "{opts.app_id}"          # sandbox-only value
      app_secret: "{opts.app_secret}"   # sandbox-only value
    lcid: 2052
"""


__all__ = [
    "KingdeeCompany",
    "KingdeeSpec",
    "LaterChanges",
    "apply_later_changes",
    "generate_kingdee_company",
    "kingdee_from_demo",
    "kingdee_sandbox",
    "kingdee_yaml",
]
