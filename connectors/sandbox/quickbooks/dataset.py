"""The truth a QuickBooks Online sandbox serves: canonical documents per entity, rendered as QuickBooks
JSON as the api-notes describe the record shapes (quickbooks-xero-bank.md §1.5), deletions as CDC
`status: "Deleted"` entries, voids as Intuit's zero-amount "Voided" documents. Written from the notes,
not from the connector's code.

Transactions (Invoice, Payment, CreditMemo, SalesReceipt) are hard-deleted: gone from queries, seen
only through CDC [27]. Name lists (Customer, Item) are never deleted, only made `Active: false`.
"""

from __future__ import annotations

import random
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any, Final

from connectors.sandbox.company import PRODUCTS, customers
from store.canonical import Allocation, CanonicalDocument, DocumentKind, Line, PartyRef, Status

ENTITY_KIND: Final[Mapping[str, DocumentKind]] = {
    "Invoice": DocumentKind.INVOICE,
    "Payment": DocumentKind.PAYMENT,
    "CreditMemo": DocumentKind.CREDIT_NOTE,
    "SalesReceipt": DocumentKind.INVOICE,
    "Customer": DocumentKind.CUSTOMER,
    "Item": DocumentKind.PRODUCT,
}
"""Entity (the query's FROM and the answer's array name) -> the canonical kind of its documents."""

NAME_LISTS: Final = frozenset({"Customer", "Item"})
"""Never hard-deleted; a query without an `Active` condition returns only the active ones [27]."""

PACIFIC: Final = timezone(timedelta(hours=-8))
"""QuickBooks writes times with the company's offset (`2015-01-16T15:08:12-08:00` [28])."""


def qb_time(moment: datetime) -> str:
    return moment.astimezone(PACIFIC).isoformat(timespec="seconds")


@dataclass(frozen=True)
class Gone:
    """A hard-deleted transaction: CDC reports it (Id and MetaData only) as changed at `at`."""

    at: datetime


class QuickBooksDataset:
    """What one QuickBooks company (realm) holds. Thread-safe; renders on every request."""

    def __init__(self, *, home_currency: str = "CNY") -> None:
        self.home_currency = home_currency
        self._lock = threading.RLock()
        self._docs: dict[str, dict[str, CanonicalDocument]] = {e: {} for e in ENTITY_KIND}
        self._gone: dict[str, dict[str, Gone]] = {e: {} for e in ENTITY_KIND}
        self._sync: dict[tuple[str, str], int] = {}

    # ------------------------------------------------------------------------- mutations

    def put(self, entity: str, doc: CanonicalDocument) -> None:
        if doc.kind is not ENTITY_KIND[entity]:
            raise ValueError(f"{entity} holds {ENTITY_KIND[entity].value} documents, not {doc.kind.value}")
        if doc.source_modified_at is None or doc.source_modified_at.microsecond:
            raise ValueError(f"{doc.key}: LastUpdatedTime is required, in whole seconds")
        with self._lock:
            if entity not in NAME_LISTS and any(
                doc.external_id in self._docs[e] for e in ENTITY_KIND if e != entity and e not in NAME_LISTS
            ):
                raise ValueError(f"transaction id {doc.external_id} is taken by another entity")
            self._docs[entity][doc.external_id] = doc
            self._gone[entity].pop(doc.external_id, None)
            key = (entity, doc.external_id)
            self._sync[key] = self._sync.get(key, -1) + 1

    def edit(self, entity: str, external_id: str, at: datetime, **changes: Any) -> CanonicalDocument:
        with self._lock:
            current = self._docs[entity][external_id]
            updated = current.model_copy(update={**changes, "source_modified_at": at})
            updated = CanonicalDocument.model_validate(updated.model_dump())
            self.put(entity, updated)
            return updated

    def void(self, entity: str, external_id: str, at: datetime) -> CanonicalDocument:
        """Intuit's void: the document stays, every amount becomes 0 and the private note is prefixed
        "Voided" [25][26]; there is no status field."""
        with self._lock:
            doc = self._docs[entity][external_id]
            lines = tuple(
                line.model_copy(update={"amount": Decimal(0), "quantity": Decimal(0)}) for line in doc.lines
            )
            changes: dict[str, Any] = {
                "total": Decimal(0),
                "balance": Decimal(0),
                "lines": lines,
                "status": Status.VOID,
                "raw_status": "Voided",
            }
            if doc.tax is not None:
                changes["tax"] = Decimal(0)
            if entity == "Payment":
                changes["allocations"] = ()
            return self.edit(entity, external_id, at, **changes)

    def delete(self, entity: str, external_id: str, at: datetime) -> None:
        if entity in NAME_LISTS:
            raise ValueError(f"{entity} is a name list: QuickBooks only makes it inactive")
        with self._lock:
            self._docs[entity].pop(external_id)
            self._gone[entity][external_id] = Gone(at)

    # ------------------------------------------------------------------------- reading

    def rows(self, entity: str) -> list[dict[str, Any]]:
        """The live rows of an entity, as QuickBooks JSON."""
        with self._lock:
            return [self._render(entity, d) for d in self._docs[entity].values()]

    def deletions(self, entity: str) -> list[tuple[datetime, dict[str, Any]]]:
        """CDC's entries of deleted transactions: `{"Id", "status": "Deleted", "MetaData"}` [13][26]."""
        with self._lock:
            return [
                (
                    g.at,
                    {
                        "Id": ext,
                        "status": "Deleted",
                        "domain": "QBO",
                        "MetaData": {"LastUpdatedTime": qb_time(g.at)},
                    },
                )
                for ext, g in self._gone[entity].items()
            ]

    def live(self, entity: str) -> list[CanonicalDocument]:
        with self._lock:
            return sorted(self._docs[entity].values(), key=lambda d: int(d.external_id))

    def truth(self, *, source: str) -> list[CanonicalDocument]:
        """Every live document as a sync must store it, ordered by (kind, external_id)."""
        with self._lock:
            docs = [d for entity in ENTITY_KIND for d in self._docs[entity].values()]
        return sorted(
            (d.model_copy(update={"source": source, "revision": 0}) for d in docs),
            key=lambda d: (d.kind.value, d.external_id),
        )

    def deleted_ids(self) -> set[tuple[DocumentKind, str]]:
        with self._lock:
            return {(ENTITY_KIND[e], ext) for e, items in self._gone.items() for ext in items}

    def latest(self) -> datetime:
        with self._lock:
            times = [d.source_modified_at for e in ENTITY_KIND for d in self._docs[e].values()]
            times += [g.at for e in ENTITY_KIND for g in self._gone[e].values()]
        return max(t for t in times if t is not None)

    def count(self) -> int:
        with self._lock:
            return sum(len(items) for items in self._docs.values())

    # ------------------------------------------------------------------------- rendering

    def _render(self, entity: str, doc: CanonicalDocument) -> dict[str, Any]:
        row = RENDER[entity](doc)
        row["Id"] = doc.external_id
        row["SyncToken"] = str(self._sync.get((entity, doc.external_id), 0))
        row["MetaData"] = {
            "CreateTime": qb_time(doc.source_modified_at or datetime.now(UTC)),
            "LastUpdatedTime": qb_time(doc.source_modified_at or datetime.now(UTC)),
        }
        return row


def _ref(value: str | None, name: str | None) -> dict[str, Any]:
    return {"value": value, "name": name} if name else {"value": value}


def _txn(doc: CanonicalDocument) -> dict[str, Any]:
    row: dict[str, Any] = {
        "TxnDate": doc.issued_on.isoformat() if doc.issued_on else None,
        "CurrencyRef": _ref(doc.currency, None),
        "ExchangeRate": doc.exchange_rate,
        "TotalAmt": doc.total,
    }
    if doc.number is not None:
        row["DocNumber"] = doc.number
    if doc.party is not None:
        row["CustomerRef"] = _ref(doc.party.external_id, doc.party.name)
    if doc.tax is not None:
        row["TxnTaxDetail"] = {"TotalTax": doc.tax}
    if doc.status is Status.VOID:
        row["PrivateNote"] = "Voided"
    return row


def _sales_lines(doc: CanonicalDocument) -> list[dict[str, Any]]:
    lines: list[dict[str, Any]] = []
    for n, line in enumerate(doc.lines, start=1):
        detail: dict[str, Any] = {"ItemRef": _ref(line.product_external_id, line.product)}
        if line.quantity is not None:
            detail["Qty"] = line.quantity
        if line.unit_price is not None:
            detail["UnitPrice"] = line.unit_price
        row: dict[str, Any] = {
            "Id": str(n),
            "LineNum": n,
            "Amount": line.amount,
            "DetailType": "SalesItemLineDetail",
            "SalesItemLineDetail": detail,
        }
        if line.description is not None:
            row["Description"] = line.description
        lines.append(row)
    subtotal = sum((line.amount for line in doc.lines), Decimal(0))
    lines.append({"Amount": subtotal, "DetailType": "SubTotalLineDetail", "SubTotalLineDetail": {}})
    return lines


def _invoice(doc: CanonicalDocument) -> dict[str, Any]:
    row = _txn(doc)
    row.update(Balance=doc.balance, Line=_sales_lines(doc))
    if doc.due_on is not None:
        row["DueDate"] = doc.due_on.isoformat()
    return row


def _credit_memo(doc: CanonicalDocument) -> dict[str, Any]:
    row = _txn(doc)
    row.update(Balance=doc.balance, RemainingCredit=doc.balance, Line=_sales_lines(doc))
    return row


def _sales_receipt(doc: CanonicalDocument) -> dict[str, Any]:
    row = _txn(doc)
    row.update(
        Balance=doc.balance, Line=_sales_lines(doc), DepositToAccountRef={"value": "35", "name": "Checking"}
    )
    if "payment_reference" in doc.references:
        row["PaymentRefNum"] = doc.references["payment_reference"]
    return row


_TXN_TYPE: Final = {DocumentKind.INVOICE: "Invoice", DocumentKind.CREDIT_NOTE: "CreditMemo"}
"""A payment line's LinkedTxn type by what it links: an invoice paid, or a credit memo used (§1.5)."""


def _payment(doc: CanonicalDocument) -> dict[str, Any]:
    row = _txn(doc)
    row.pop("DocNumber", None)
    row.update(
        UnappliedAmt=doc.balance,
        DepositToAccountRef={"value": "4", "name": "Undeposited Funds"},
        Line=[
            {
                "Amount": a.amount,
                "LinkedTxn": [{"TxnId": a.invoice_external_id, "TxnType": _TXN_TYPE[a.target_kind]}],
            }
            for a in doc.allocations
        ],
    )
    if doc.number is not None:
        row["PaymentRefNum"] = doc.number
    return row


def _customer(doc: CanonicalDocument) -> dict[str, Any]:
    return {
        "DisplayName": doc.number,
        "CompanyName": doc.number,
        "Active": doc.status is not Status.VOID,
        "Balance": doc.balance,
        "CurrencyRef": _ref(doc.currency, None),
    }


def _item(doc: CanonicalDocument) -> dict[str, Any]:
    line = doc.lines[0]
    return {
        "Name": line.product,
        "Sku": line.sku,
        "UnitPrice": line.unit_price,
        "Type": doc.raw_status,
        "Active": doc.status is not Status.VOID,
    }


RENDER: Final[Mapping[str, Callable[[CanonicalDocument], dict[str, Any]]]] = {
    "Invoice": _invoice,
    "Payment": _payment,
    "CreditMemo": _credit_memo,
    "SalesReceipt": _sales_receipt,
    "Customer": _customer,
    "Item": _item,
}


# ----------------------------------------------------------------------------- a company


@dataclass(frozen=True)
class Sizes:
    customers: int = 150
    invoices: int = 1_200
    payments: int = 700
    credit_memos: int = 100
    sales_receipts: int = 100


RATES: Final[Mapping[str, Decimal]] = {"CNY": Decimal(1), "USD": Decimal("7.1345"), "EUR": Decimal("7.7021")}
"""Home currency CNY; `ExchangeRate` is CNY per unit of the document's currency (the direction the
connector's docs mark UNVERIFIED for every locale)."""

START: Final = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
"""Modification times start here, a minute apart per document."""


def generate(  # noqa: PLR0915 - one company, told in order
    sizes: Sizes = Sizes(), *, seed: int = 7, start: datetime = START
) -> QuickBooksDataset:
    """A company with the cases a reconciler must meet: multi-currency customers (CNY, USD, EUR), a
    payment split over three invoices, an invoice paid by two payments, an unapplied payment, a voided
    invoice, an inactive customer, credit memos and sales receipts. Ids are QuickBooks-style numbers."""
    rng = random.Random(seed)
    data = QuickBooksDataset()
    clock = iter(start + timedelta(minutes=n) for n in range(10_000_000))
    ids = iter(range(100, 10_000_000))
    people = customers(sizes.customers, rng)
    currency_of: dict[str, str] = {}
    for person in people:
        cid = str(person.index + 1)
        currency = "CNY" if person.domestic else ("USD" if person.index % 3 else "EUR")
        currency_of[cid] = currency
        data.put(
            "Customer",
            CanonicalDocument(
                source="sandbox",
                kind=DocumentKind.CUSTOMER,
                external_id=cid,
                number=person.name,
                party=PartyRef(external_id=cid, name=person.name),
                currency=currency,
                balance=Decimal(0),
                status=Status.VOID if person.index == 5 else Status.OPEN,
                raw_status="Inactive" if person.index == 5 else "Active",
                source_modified_at=next(clock),
            ),
        )
    for n, product in enumerate(PRODUCTS, start=1):
        data.put(
            "Item",
            CanonicalDocument(
                source="sandbox",
                kind=DocumentKind.PRODUCT,
                external_id=str(n),
                number=product.sku,
                lines=(
                    Line(
                        product=product.name,
                        sku=product.sku,
                        unit_price=product.price_cny,
                        amount=product.price_cny,
                    ),
                ),
                raw_status="Service" if product.sku == "SVC-HR" else "Inventory",
                source_modified_at=next(clock),
            ),
        )

    def party(cid: str) -> PartyRef:
        return PartyRef(external_id=cid, name=data._docs["Customer"][cid].number)

    def sale(kind_entity: str, number: str, cid: str) -> CanonicalDocument:
        currency = currency_of[cid]
        lines = []
        for _ in range(rng.randint(1, 3)):
            k = rng.randrange(len(PRODUCTS))
            product, qty = PRODUCTS[k], Decimal(rng.randint(1, 5))
            price = (product.price_cny / RATES[currency]).quantize(Decimal("0.01"))
            lines.append(
                Line(
                    product=product.name,
                    product_external_id=str(k + 1),
                    quantity=qty,
                    unit_price=price,
                    amount=price * qty,
                    description=product.sku,
                )
            )
        net = sum((line.amount for line in lines), Decimal(0))
        tax = (net * Decimal("0.06")).quantize(Decimal("0.01"))
        issued = date(2026, 1, 1) + timedelta(days=rng.randrange(59))
        return CanonicalDocument(
            source="sandbox",
            kind=ENTITY_KIND[kind_entity],
            external_id=str(next(ids)),
            number=number,
            party=party(cid),
            issued_on=issued,
            currency=currency,
            exchange_rate=RATES[currency],
            total=net + tax,
            balance=net + tax,
            tax=tax,
            lines=tuple(lines),
            source_modified_at=next(clock),
            due_on=issued + timedelta(days=30) if kind_entity == "Invoice" else None,
        )

    cids = [str(p.index + 1) for p in people]
    invoices = [sale("Invoice", str(1001 + n), rng.choice(cids)) for n in range(sizes.invoices)]
    for doc in invoices:
        data.put("Invoice", doc)
    # Payments: the first pays three invoices of one customer (split), the next two pay one invoice
    # together, one is unapplied; the rest pay one invoice each, some in part.
    by_customer: dict[str, list[CanonicalDocument]] = {}
    for doc in invoices:
        assert doc.party is not None
        assert doc.party.external_id is not None
        by_customer.setdefault(doc.party.external_id, []).append(doc)
    split_owner = next(c for c, docs in by_customer.items() if len(docs) >= 4)
    split, shared = by_customer[split_owner][:3], by_customer[split_owner][3]
    unpaid = [d for d in invoices if d not in split and d is not shared]
    rng.shuffle(unpaid)
    balances = {d.external_id: d.total or Decimal(0) for d in invoices}

    def pay(
        allocs: list[tuple[CanonicalDocument, Decimal]], cid: str, unapplied: Decimal = Decimal(0)
    ) -> None:
        applied = sum((amount for _, amount in allocs), Decimal(0))
        currency = currency_of[cid]
        doc = CanonicalDocument(
            source="sandbox",
            kind=DocumentKind.PAYMENT,
            external_id=str(next(ids)),
            number=f"PMT-{len(data._docs['Payment']) + 1:05d}",
            party=party(cid),
            issued_on=date(2026, 2, 27),
            currency=currency,
            exchange_rate=RATES[currency],
            total=applied + unapplied,
            balance=unapplied,
            status=Status.PAID,
            references={"payment_reference": f"PMT-{len(data._docs['Payment']) + 1:05d}"},
            allocations=tuple(Allocation(invoice_external_id=i.external_id, amount=a) for i, a in allocs),
            source_modified_at=next(clock),
        )
        data.put("Payment", doc)
        for invoice, amount in allocs:
            balances[invoice.external_id] -= amount

    pay([(d, d.total or Decimal(0)) for d in split], split_owner)
    half = ((shared.total or Decimal(0)) / 2).quantize(Decimal("0.01"))
    pay([(shared, half)], split_owner)
    pay([(shared, (shared.total or Decimal(0)) - half)], split_owner)
    pay([], cids[0], unapplied=Decimal("500.00"))
    for doc in unpaid[: max(0, sizes.payments - 4)]:
        total = doc.total or Decimal(0)
        amount = total if rng.random() < 0.8 else (total / 3).quantize(Decimal("0.01"))
        assert doc.party is not None
        assert doc.party.external_id is not None
        pay([(doc, amount)], doc.party.external_id)
    for doc in invoices:
        balance = balances[doc.external_id]
        status = (
            Status.PAID
            if balance == 0
            else Status.PARTIALLY_PAID
            if balance < (doc.total or 0)
            else Status.OPEN
        )
        data._docs["Invoice"][doc.external_id] = doc.model_copy(update={"balance": balance, "status": status})
    for n in range(sizes.credit_memos):
        memo = sale("CreditMemo", f"CM-{n + 1:04d}", rng.choice(cids))
        data.put("CreditMemo", memo)
    for n in range(sizes.sales_receipts):
        receipt = sale("SalesReceipt", f"SR-{n + 1:04d}", rng.choice(cids)).model_copy(
            update={
                "balance": Decimal(0),
                "status": Status.PAID,
                "raw_status": "SalesReceipt",
                "references": {"kind": "sales_receipt", "payment_reference": f"CHK-{n + 1}"},
            }
        )
        data.put("SalesReceipt", receipt)
    open_invoice = next(d for d in data.live("Invoice") if d.status is Status.OPEN)
    data.void("Invoice", open_invoice.external_id, next(clock))
    return data


def split_payment(data: QuickBooksDataset) -> CanonicalDocument:
    """The payment that pays three invoices."""
    return next(d for d in data.live("Payment") if len(d.allocations) == 3)


def shared_invoice(data: QuickBooksDataset) -> str:
    """The invoice two payments pay together."""
    seen: dict[str, int] = {}
    for doc in data.live("Payment"):
        for alloc in doc.allocations:
            seen[alloc.invoice_external_id] = seen.get(alloc.invoice_external_id, 0) + 1
    return next(i for i, n in seen.items() if n == 2)
