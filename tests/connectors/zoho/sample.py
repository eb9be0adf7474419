"""A seeded, realistic Zoho dataset (Chinese and Latin names, CNY and USD) for tests (the demo generates its company in connectors/sandbox/generator.py)."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from connectors.sandbox.zoho.dataset import ZohoDataset
from store.canonical import Allocation, CanonicalDocument, DocumentKind, Line, PartyRef, Status

_CUSTOMERS = (
    "上海明辉贸易有限公司",
    "北京华成科技有限公司",
    "深圳市远航电子有限公司",
    "杭州青禾食品有限公司",
    "Acme Industrial Ltd.",
    "Northwind Traders",
    "Müller & Söhne GmbH",
    "Blue Harbor Logistics LLC",
)
_OWNERS = ("王芳", "李强", "Emily Chen", "James O'Brien")
_PRODUCTS = (
    ("工业传感器 A1", "SEN-A1", Decimal("1280.00")),
    ("控制模块 CM-200", "CM-200", Decimal("3450.50")),
    ("Cable kit, 5 m", "CBL-5M", Decimal("89.90")),
    ("Service hours", "SVC-HR", Decimal("600.00")),
)
CRM_SO_STATUSES = (
    ("Created", Status.OPEN),
    ("Approved", Status.OPEN),
    ("Delivered", Status.OPEN),
    ("Cancelled", Status.VOID),
)
CRM_INVOICE_STATUSES = (
    ("Created", Status.OPEN),
    ("Approved", Status.OPEN),
    ("Delivered", Status.OPEN),
    ("Paid", Status.PAID),
    ("Cancelled", Status.VOID),
)
"""The CRM picklist values the sample uses and what they mean canonically (the sandbox's own reading)."""


@dataclass(frozen=True)
class SampleSizes:
    accounts: int = 8
    products: int = 4
    crm_sales_orders: int = 30
    crm_invoices: int = 40
    books_invoices: int = 30
    books_payments: int = 20
    books_sales_orders: int = 10
    books_credit_notes: int = 5


def sample_dataset(
    sizes: SampleSizes | None = None,
    *,
    seed: int = 7,
    start: datetime = datetime(2026, 10, 1, tzinfo=UTC),
    organization_id: str = "10234695",
) -> ZohoDataset:
    """A consistent CRM + Books dataset; modification times spread over the minutes after `start`."""
    sizes = sizes or SampleSizes()
    rng = random.Random(seed)
    clock = _Ticker(start)
    dataset = ZohoDataset(organization_id=organization_id)
    accounts = [_account(i, clock.next(rng), rng) for i in range(sizes.accounts)]
    products = [_product(i, clock.next(rng), rng) for i in range(sizes.products)]
    for doc in (*accounts, *products):
        dataset.put("crm", doc)
    orders = [_crm_order(i, accounts, products, clock.next(rng), rng) for i in range(sizes.crm_sales_orders)]
    for doc in orders:
        dataset.put("crm", doc)
    for i in range(sizes.crm_invoices):
        dataset.put("crm", _crm_invoice(i, accounts, products, orders, clock.next(rng), rng))
    invoices = [_books_invoice(i, accounts, clock.next(rng), rng) for i in range(sizes.books_invoices)]
    for doc in invoices:
        dataset.put("books", doc)
    for i in range(sizes.books_sales_orders):
        dataset.put("books", _books_order(i, accounts, clock.next(rng), rng))
    for i in range(sizes.books_payments):
        dataset.put("books", _books_payment(i, invoices, clock.next(rng), rng, DocumentKind.PAYMENT))
    for i in range(sizes.books_credit_notes):
        dataset.put("books", _books_payment(i, invoices, clock.next(rng), rng, DocumentKind.CREDIT_NOTE))
    return dataset


class _Ticker:
    """Strictly increasing whole-second times, a few per minute, some sharing a second."""

    def __init__(self, start: datetime) -> None:
        self._now = start.replace(microsecond=0)

    def next(self, rng: random.Random) -> datetime:
        self._now += timedelta(seconds=rng.choice((0, 1, 7, 23)))
        return self._now


def _id(prefix: int, i: int) -> str:
    return f"{prefix}{i:012d}"


def _account(i: int, at: datetime, rng: random.Random) -> CanonicalDocument:
    name = _CUSTOMERS[i % len(_CUSTOMERS)] + ("" if i < len(_CUSTOMERS) else f" {i}")
    return CanonicalDocument(
        source="zoho-crm",
        kind=DocumentKind.CUSTOMER,
        external_id=_id(5725767, i),
        number=f"ACC-{i:04d}",
        party=PartyRef(external_id=_id(5725767, i), name=name),
        owner=rng.choice(_OWNERS),
        source_modified_at=at,
    )


def _product(i: int, at: datetime, rng: random.Random) -> CanonicalDocument:
    name, code, price = _PRODUCTS[i % len(_PRODUCTS)]
    code = code if i < len(_PRODUCTS) else f"{code}-{i}"
    line = Line(
        product=name,
        product_external_id=_id(5725768, i),
        sku=code,
        description=None,
        unit_price=price,
        amount=price,
    )
    return CanonicalDocument(
        source="zoho-crm",
        kind=DocumentKind.PRODUCT,
        external_id=_id(5725768, i),
        number=code,
        owner=rng.choice(_OWNERS),
        lines=(line,),
        status=Status.VOID if i == 3 else Status.OPEN,
        source_modified_at=at,
    )


def _lines(products: list[CanonicalDocument], rng: random.Random, tax_rate: Decimal) -> tuple[Line, ...]:
    lines = []
    for product in rng.sample(products, k=min(len(products), rng.randint(1, 3))):
        item = product.lines[0]
        quantity = Decimal(rng.randint(1, 20))
        assert item.unit_price is not None
        amount = (quantity * item.unit_price).quantize(Decimal("0.01"))
        lines.append(
            Line(
                product=item.product,
                product_external_id=product.external_id,
                sku=item.sku,
                description=rng.choice((None, "按合同交付", "Delivered per contract")),
                quantity=quantity,
                unit_price=item.unit_price,
                amount=amount,
                tax=(amount * tax_rate).quantize(Decimal("0.01")),
            )
        )
    return tuple(lines)


def _money(rng: random.Random) -> tuple[str, Decimal]:
    return ("USD", Decimal("7.1234")) if rng.random() < 0.3 else ("CNY", Decimal(1))


def _crm_order(
    i: int,
    accounts: list[CanonicalDocument],
    products: list[CanonicalDocument],
    at: datetime,
    rng: random.Random,
) -> CanonicalDocument:
    account = rng.choice(accounts)
    lines = _lines(products, rng, Decimal("0.13"))
    subtotal = sum((line.amount for line in lines), Decimal(0))
    tax = sum((line.tax or Decimal(0) for line in lines), Decimal(0))
    raw, status = rng.choice(CRM_SO_STATUSES)
    currency, rate = _money(rng)
    return CanonicalDocument(
        source="zoho-crm",
        kind=DocumentKind.SALES_ORDER,
        external_id=_id(5725769, i),
        number=f"SO-{i:05d}",
        party=account.party,
        owner=rng.choice(_OWNERS),
        issued_on=(at - timedelta(days=3)).date(),
        due_on=at.date() + timedelta(days=30),
        currency=currency,
        exchange_rate=rate,
        subtotal=subtotal,
        tax=tax,
        total=subtotal + tax,
        status=status,
        raw_status=raw,
        lines=lines,
        source_modified_at=at,
    )


def _crm_invoice(  # noqa: PLR0917 - a private sample builder, called once
    i: int,
    accounts: list[CanonicalDocument],
    products: list[CanonicalDocument],
    orders: list[CanonicalDocument],
    at: datetime,
    rng: random.Random,
) -> CanonicalDocument:
    order = rng.choice(orders) if orders and rng.random() < 0.8 else None
    account = order.party if order else rng.choice(accounts).party
    lines = order.lines if order else _lines(products, rng, Decimal("0.06"))
    subtotal = sum((line.amount for line in lines), Decimal(0))
    tax = sum((line.tax or Decimal(0) for line in lines), Decimal(0))
    raw, status = rng.choice(CRM_INVOICE_STATUSES)
    currency, rate = (order.currency or "CNY", order.exchange_rate) if order else _money(rng)
    issued = at.date() - timedelta(days=rng.randint(0, 5))
    return CanonicalDocument(
        source="zoho-crm",
        kind=DocumentKind.INVOICE,
        external_id=_id(5725770, i),
        number=f"INV-{i:06d}",
        party=account,
        owner=rng.choice(_OWNERS),
        issued_on=issued,
        due_on=issued + timedelta(days=30),
        currency=currency,
        exchange_rate=rate,
        subtotal=subtotal,
        tax=tax,
        total=subtotal + tax,
        status=status,
        raw_status=raw,
        lines=lines,
        references={"sales_order": order.external_id} if order else {},
        source_modified_at=at,
    )


_BOOKS_INVOICE_STATUSES = (
    ("sent", Status.OPEN),
    ("overdue", Status.OPEN),
    ("paid", Status.PAID),
    ("partially_paid", Status.PARTIALLY_PAID),
    ("draft", Status.DRAFT),
    ("void", Status.VOID),
)


def _books_customer(accounts: list[CanonicalDocument], rng: random.Random) -> PartyRef:
    """A Books customer mirroring a CRM account: its own id, the account's name."""
    index = rng.randrange(len(accounts))
    account = accounts[index].party
    return PartyRef(external_id=_id(4600100, index), name=account.name if account else None)


def _books_invoice(
    i: int, accounts: list[CanonicalDocument], at: datetime, rng: random.Random
) -> CanonicalDocument:
    party = _books_customer(accounts, rng)
    total = Decimal(rng.randint(1_000, 500_000)) / 100
    raw, status = rng.choice(_BOOKS_INVOICE_STATUSES)
    balance = {
        Status.PAID: Decimal(0),
        Status.PARTIALLY_PAID: (total / 2).quantize(Decimal("0.01")),
        Status.VOID: Decimal(0),
    }.get(status, total)
    currency, rate = _money(rng)
    issued = at.date() - timedelta(days=rng.randint(0, 20))
    return CanonicalDocument(
        source="zoho-books",
        kind=DocumentKind.INVOICE,
        external_id=_id(4600000, i),
        number=f"INV-{i:06d}",
        party=party,
        owner=rng.choice(_OWNERS),
        issued_on=issued,
        due_on=issued + timedelta(days=30),
        currency=currency,
        exchange_rate=rate,
        total=total,
        balance=balance,
        status=status,
        raw_status=raw,
        references={"reference_number": f"SO-{i:05d}"} if rng.random() < 0.5 else {},
        source_modified_at=at,
    )


def _books_order(
    i: int, accounts: list[CanonicalDocument], at: datetime, rng: random.Random
) -> CanonicalDocument:
    party = _books_customer(accounts, rng)
    raw, status = rng.choice(
        (("open", Status.OPEN), ("invoiced", Status.OPEN), ("draft", Status.DRAFT), ("void", Status.VOID))
    )
    currency, rate = _money(rng)
    return CanonicalDocument(
        source="zoho-books",
        kind=DocumentKind.SALES_ORDER,
        external_id=_id(4600200, i),
        number=f"SO-{i:05d}",
        party=party,
        owner=rng.choice(_OWNERS),
        issued_on=at.date(),
        currency=currency,
        exchange_rate=rate,
        total=Decimal(rng.randint(1_000, 500_000)) / 100,
        status=status,
        raw_status=raw,
        source_modified_at=at,
    )


def _books_payment(
    i: int, invoices: list[CanonicalDocument], at: datetime, rng: random.Random, kind: DocumentKind
) -> CanonicalDocument:
    targets = rng.sample(invoices, k=min(len(invoices), rng.randint(1, 3)))
    allocations = tuple(
        Allocation(
            invoice_external_id=t.external_id, amount=((t.total or Decimal(0)) / 4).quantize(Decimal("0.01"))
        )
        for t in targets
    )
    applied = sum((a.amount for a in allocations), Decimal(0))
    unused = Decimal(rng.choice((0, 0, 150)))
    first = targets[0]
    common = {
        "source": "zoho-books",
        "kind": kind,
        "party": first.party,
        "issued_on": at.date(),
        "currency": first.currency,
        "exchange_rate": first.exchange_rate,
        "total": applied + unused,
        "balance": unused,
        "allocations": allocations,
        "source_modified_at": at,
    }
    if kind is DocumentKind.PAYMENT:
        return CanonicalDocument(
            external_id=_id(4600300, i), number=f"PAY-{i:05d}", status=Status.PAID, **common
        )
    status, raw = (Status.OPEN, "open") if unused else (Status.PAID, "closed")
    return CanonicalDocument(
        external_id=_id(4600400, i), number=f"CN-{i:05d}", status=status, raw_status=raw, **common
    )
