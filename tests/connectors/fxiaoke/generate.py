"""A realistic, seeded Fxiaoke company for tests: Chinese customers, products, orders with
lines, payments allocated to orders (some split, some partial), invoice applications (some issued),
a few USD orders with exchange rates, voided and draft records, and one bulk import sharing a timestamp."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

from connectors.sandbox.fxiaoke.dataset import APPLICATION_REFERENCE, FxiaokeDataset, customer, product
from store.canonical import Allocation, CanonicalDocument, DocumentKind, Line, Status

_CITIES = ("上海", "北京", "深圳", "杭州", "苏州", "成都", "广州", "南京", "武汉", "宁波")
_WORDS = ("华信", "锦程", "瑞丰", "恒达", "新元", "盛世", "宏图", "天成", "博远", "嘉禾", "启明", "同创")
_TRADES = ("科技有限公司", "贸易有限公司", "实业有限公司", "电子有限公司", "自动化设备有限公司")
_PRODUCTS = ("工业传感器", "PLC控制器", "伺服电机", "触摸屏", "变频器", "工控机", "继电器模块", "电源模块")
_OWNERS = ("1001", "1002", "1003", "1004", "1005", "1006")
_CENT = Decimal("0.01")
BULK_IMPORT_SIZE = 150
"""Orders sharing one last_modified_time (a bulk import): more than a page, so paging must handle ties."""


def _money(value: Decimal) -> Decimal:
    return value.quantize(_CENT, rounding=ROUND_HALF_UP)


class _Builder:
    def __init__(
        self, dataset: FxiaokeDataset, rng: random.Random, now: datetime, source: str, max_lines: int
    ) -> None:
        self.ds, self.rng, self.now, self.source, self.max_lines = dataset, rng, now, source, max_lines
        self.zone = dataset.zone

    def moment(self, days_back: float) -> datetime:
        return self.now - timedelta(days=days_back, seconds=self.rng.randrange(86_400))

    def customers(self, count: int) -> list[CanonicalDocument]:
        docs = []
        for i in range(count):
            name = self.rng.choice(_CITIES) + self.rng.choice(_WORDS) + self.rng.choice(_TRADES)
            name = name if i < 40 else name.replace("有限公司", f"{i}号有限公司")
            owner = None if self.rng.random() < 0.05 else self.rng.choice(_OWNERS)  # 公海: no owner
            when = self.moment(400 + self.rng.random() * 300)
            doc = customer(self.ds.new_id(when), name, owner=owner, source=self.source)
            docs.append(
                self.ds.add(doc, created_at=when, modified_at=when, extra={"tel": f"021-{6000_0000 + i}"})
            )
        return docs

    def products(self, count: int) -> list[CanonicalDocument]:
        docs = []
        for i in range(count):
            when = self.moment(500)
            name = f"{_PRODUCTS[i % len(_PRODUCTS)]} {chr(65 + i // len(_PRODUCTS))}{100 + i}"
            price = _money(Decimal(self.rng.randrange(10_000, 2_000_000)) / 100)
            doc = product(self.ds.new_id(when), name, code=f"P-{i + 1:04d}", price=price, source=self.source)
            docs.append(self.ds.add(doc, created_at=when, modified_at=when, extra={"unit": "个"}))
        return docs

    def order(
        self, seq: int, buyer: CanonicalDocument, catalog: list[CanonicalDocument], when: datetime
    ) -> CanonicalDocument:
        lines = []
        for item in self.rng.sample(catalog, self.rng.randint(1, self.max_lines)):
            quantity = Decimal(self.rng.randint(1, 20))
            price = item.lines[0].unit_price or Decimal(0)
            lines.append(
                Line(
                    product=item.lines[0].product,
                    product_external_id=item.external_id,
                    quantity=quantity,
                    unit_price=price,
                    amount=_money(quantity * price),
                )
            )
        subtotal = sum((ln.amount for ln in lines), Decimal(0))
        total = subtotal if self.rng.random() < 0.8 else _money(subtotal * Decimal("0.95"))
        foreign = self.rng.random() < 0.1
        roll = self.rng.random()
        status, raw = (
            (Status.VOID, None)
            if roll < 0.03
            else (Status.DRAFT, "under_review")
            if roll < 0.06
            else (Status.OPEN, None)
        )
        assert buyer.party is not None
        return CanonicalDocument(
            source=self.source,
            kind=DocumentKind.SALES_ORDER,
            external_id=self.ds.new_id(when),
            number=f"{when.astimezone(self.zone):%Y%m%d}-{seq:06d}",
            party=buyer.party,
            owner=buyer.owner or self.rng.choice(_OWNERS),
            issued_on=when.astimezone(self.zone).date(),
            currency="USD" if foreign else "CNY",
            exchange_rate=Decimal("7.1") + Decimal(self.rng.randrange(0, 2000)) / 10_000 if foreign else None,
            subtotal=subtotal,
            total=total,
            balance=total,
            status=status,
            raw_status=raw,
            lines=tuple(lines),
        )

    def payment(self, seq: int, orders: list[CanonicalDocument], when: datetime) -> CanonicalDocument:
        allocations = []
        for order in orders:
            assert order.total is not None
            share = order.total if self.rng.random() < 0.8 else _money(order.total * Decimal("0.5"))
            allocations.append(
                Allocation(
                    invoice_external_id=order.external_id, amount=share, target_kind=DocumentKind.SALES_ORDER
                )
            )
        total = sum((a.amount for a in allocations), Decimal(0))
        if self.rng.random() < 0.05:
            total += Decimal("500.00")  # a little paid on account, left unapplied
        first = orders[0]
        return CanonicalDocument(
            source=self.source,
            kind=DocumentKind.PAYMENT,
            external_id=self.ds.new_id(when),
            number=f"{when.astimezone(self.zone):%Y%m%d}-{seq:06d}",
            party=first.party,
            owner=first.owner,
            issued_on=when.astimezone(self.zone).date(),
            currency=first.currency,
            exchange_rate=first.exchange_rate,
            total=total,
            references={"sales_order": first.external_id} if len(orders) == 1 else {},
            allocations=tuple(allocations),
        )

    def invoice(self, seq: int, order: CanonicalDocument, when: datetime) -> CanonicalDocument:
        assert order.total is not None
        application = f"KP-{when.astimezone(self.zone):%Y%m}-{seq:06d}"
        issued = self.rng.random() < 0.7
        tax = _money(order.total * 13 / 113)
        return CanonicalDocument(
            source=self.source,
            kind=DocumentKind.INVOICE,
            external_id=self.ds.new_id(when),
            number=f"{self.rng.randrange(10**7, 10**8):08d}" if issued else application,
            party=order.party,
            owner=order.owner,
            issued_on=when.astimezone(self.zone).date() if issued else None,
            currency=order.currency,
            exchange_rate=order.exchange_rate,
            total=order.total,
            references={"sales_order": order.external_id, APPLICATION_REFERENCE: application},
            lines=(Line(amount=order.total, tax=tax),),
        )


def generate_dataset(
    orders: int = 200,
    *,
    payments: float = 0.7,
    invoices: float = 0.6,
    max_lines: int = 4,
    seed: int = 0,
    now: datetime | None = None,
    source: str = "fxiaoke",
    base_currency: str = "CNY",
    timezone: str = "Asia/Shanghai",
) -> FxiaokeDataset:
    """A company with `orders` sales orders of 1 to `max_lines` lines, a payment for about `payments` and
    an invoice application for about `invoices` of the open ones, all dated in the year before `now`.
    Same arguments, same company."""
    now = now or datetime.now(UTC)
    rng = random.Random(seed)
    dataset = FxiaokeDataset(base_currency=base_currency, timezone=timezone, seed=seed, clock=lambda: now)
    build = _Builder(dataset, rng, now, source, max_lines)
    buyers = build.customers(max(5, orders // 25))
    catalog = build.products(max(8, min(40, orders // 10)))
    bulk_at = build.moment(30)
    placed: list[tuple[CanonicalDocument, datetime]] = []
    for seq in range(1, orders + 1):
        bulk = orders >= 2 * BULK_IMPORT_SIZE and seq <= BULK_IMPORT_SIZE
        when = bulk_at if bulk else build.moment(rng.random() * 360 + 1)
        placed.append((build.order(seq, rng.choice(buyers), catalog, when), when))
    later: list[tuple[CanonicalDocument, datetime]] = []
    paid: dict[str, Decimal] = {}
    payable = [(o, w) for o, w in placed if o.status is Status.OPEN]
    for index, (order, when) in enumerate(payable):
        if rng.random() < invoices:
            moment = _later(when, rng, now)
            later.append((build.invoice(len(later) + 1, order, moment), moment))
        if rng.random() >= payments:
            continue
        group = [order]
        partner = payable[index + 1][0] if index + 1 < len(payable) else None
        if partner is not None and partner.party == order.party and partner.currency == order.currency:
            group.append(partner)
        moment = _later(when, rng, now)
        pay = build.payment(len(later) + 1, group, moment)
        later.append((pay, moment))
        for allocation in pay.allocations:
            target = allocation.invoice_external_id
            paid[target] = paid.get(target, Decimal(0)) + allocation.amount
    for order, when in placed:
        assert order.total is not None
        balance = order.total - paid.get(order.external_id, Decimal(0))
        dataset.add(order.model_copy(update={"balance": balance}), created_at=when, modified_at=when)
    for doc, moment in later:
        dataset.add(doc, created_at=moment, modified_at=moment)
    return dataset


def _later(when: datetime, rng: random.Random, now: datetime) -> datetime:
    """A moment a few days after `when`, never after the generator's `now`."""
    return min(
        now - timedelta(seconds=1), when + timedelta(days=rng.randint(1, 20), seconds=rng.randrange(86_400))
    )
