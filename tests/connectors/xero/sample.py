"""A generated Xero organisation for the sandbox tests: the canonical truth the connector must reproduce,
with every shape the issue names — several currencies, voided and deleted documents, a payment split
over three invoices (one batch), an invoice paid by two payments, credit notes, over- and prepayments,
archived contacts — and rows of the payable side a receivables reader must leave out."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from connectors.sandbox.xero import XeroDataset, canonical_rate, xero_id
from connectors.sandbox.xero.dataset import day_date, ms_date
from store.canonical import Allocation, CanonicalDocument, DocumentKind, Line, PartyRef, Status

SOURCE = "xero"
START = datetime(2026, 9, 1, 8, 0, tzinfo=UTC)
RATES = {"NZD": Decimal(1), "USD": Decimal("0.625"), "EUR": Decimal("0.5"), "AUD": Decimal("0.8")}
"""Xero `CurrencyRate` per currency (units per base NZD): inverses exact (1.6, 2, 1.25)."""
TAX = Decimal("0.15")
CENT = Decimal("0.01")


@dataclass(frozen=True)
class Sizes:
    contacts: int = 60
    items: int = 12
    invoices: int = 1_400


@dataclass
class Planted:
    """Ids of the documents the tests look at."""

    split_payment: list[str]
    """Three payments of one batch, each paying a whole invoice."""
    split_invoices: list[str]
    twice_paid_invoice: str
    twice_payments: list[str]
    voided_invoice: str
    deleted_invoice: str
    foreign_invoice: str
    usd_invoice: str


def _doc(kind: DocumentKind, external_id: str, at: datetime, **fields: object) -> CanonicalDocument:
    return CanonicalDocument.model_validate(
        {"source": SOURCE, "kind": kind, "external_id": external_id, "source_modified_at": at, **fields}
    )


def _money(value: Decimal) -> Decimal:
    return value.quantize(CENT)


def _refs(currency: str, **more: str) -> dict[str, str]:
    return {"xero_currency_rate": str(RATES[currency]), **more}


def sample(sizes: Sizes = Sizes(), seed: int = 7) -> tuple[XeroDataset, Planted]:
    rng = random.Random(seed)
    data = XeroDataset(name="Kiwi Trading Ltd", base_currency="NZD")
    moment = [START]

    def tick() -> datetime:
        moment[0] += timedelta(seconds=rng.randint(1, 90))
        return moment[0]

    contacts = []
    for n in range(sizes.contacts):
        cid = xero_id(f"contact-{seed}-{n}")
        archived = n % 17 == 16
        party = PartyRef(external_id=cid, name=f"Customer {n:03d} Ltd")
        contacts.append(party)
        data.put(
            "Contacts",
            _doc(
                DocumentKind.CUSTOMER, cid, tick(), number=f"C{n:04d}", party=party,
                status=Status.VOID if archived else Status.OPEN, raw_status="ARCHIVED" if archived else "ACTIVE",
            ),
        )  # fmt: skip
    items = []
    for n in range(sizes.items):
        iid, code, price = xero_id(f"item-{seed}-{n}"), f"SKU-{n:03d}", Decimal(rng.randint(500, 90000)) / 100
        items.append((code, price))
        line = Line(product=f"Widget {n}", product_external_id=iid, sku=code, description=f"Widget model {n}",
                    unit_price=price, amount=price)  # fmt: skip
        data.put(
            "Items", _doc(DocumentKind.PRODUCT, iid, tick(), number=code, status=Status.OPEN, lines=(line,))
        )

    invoices: list[CanonicalDocument] = []
    for n in range(sizes.invoices):
        currency = rng.choice(["NZD", "NZD", "NZD", "USD", "EUR", "AUD"])
        lines = []
        for code, price in rng.sample(items, rng.randint(1, min(3, len(items)))):
            qty = Decimal(rng.randint(1, 9))
            amount = _money(price * qty)
            lines.append(Line(product=code, sku=code, description=f"{code} x {qty}", quantity=qty,
                              unit_price=price, amount=amount, tax=_money(amount * TAX)))  # fmt: skip
        subtotal = sum((ln.amount for ln in lines), Decimal(0))
        tax = sum((ln.tax or Decimal(0) for ln in lines), Decimal(0))
        total = subtotal + tax
        issued = date(2026, 8, 1) + timedelta(days=rng.randint(0, 40))
        word = rng.choice(
            ["AUTHORISED", "AUTHORISED", "PAID", "PAID", "PAID", "DRAFT", "SUBMITTED", "VOIDED"]
        )
        status = {"AUTHORISED": Status.OPEN, "PAID": Status.PAID, "DRAFT": Status.DRAFT,
                  "SUBMITTED": Status.DRAFT, "VOIDED": Status.VOID}[word]  # fmt: skip
        invoices.append(
            _doc(
                DocumentKind.INVOICE, xero_id(f"invoice-{seed}-{n}"), tick(), number=f"INV-{n + 1:05d}",
                party=contacts[rng.randrange(len(contacts))], issued_on=issued, due_on=issued + timedelta(days=30),
                currency=currency, exchange_rate=canonical_rate(RATES[currency]), subtotal=subtotal, tax=tax,
                total=total, balance=Decimal(0) if word == "PAID" else total, discount=Decimal(0),
                shipping=Decimal(0), adjustment=Decimal(0), rounding=Decimal(0), tax_inclusive=False,
                status=status, raw_status=word, lines=tuple(lines),
                references=_refs(currency, reference=f"PO-{n:05d}") if n % 3 == 0 else _refs(currency),
            )
        )  # fmt: skip
    paid = [d for d in invoices if d.raw_status == "PAID"]
    open_ = [d for d in invoices if d.raw_status == "AUTHORISED"]

    def pay(invoice: CanonicalDocument, amount: Decimal, key: str, **refs: str) -> CanonicalDocument:
        assert invoice.currency is not None
        return _doc(
            DocumentKind.PAYMENT, xero_id(f"payment-{seed}-{key}"), tick(), party=invoice.party,
            issued_on=invoice.issued_on, currency=invoice.currency, exchange_rate=invoice.exchange_rate,
            total=amount, balance=Decimal(0), status=Status.PAID, raw_status="AUTHORISED",
            allocations=(Allocation(invoice_external_id=invoice.external_id, amount=amount),),
            references=_refs(invoice.currency, **refs),
        )  # fmt: skip

    payments: list[CanonicalDocument] = []
    # A payment split over three invoices: one bank receipt (a batch) of three payments.
    batch = xero_id(f"batch-{seed}")
    split = paid[:3]
    payments += [
        pay(inv, inv.total or Decimal(0), f"split-{i}", batch_payment=batch) for i, inv in enumerate(split)
    ]
    # An invoice paid by two payments.
    twice = paid[3]
    half = _money((twice.total or Decimal(0)) / 2)
    payments += [pay(twice, half, "twice-0"), pay(twice, (twice.total or Decimal(0)) - half, "twice-1")]
    for inv in paid[4:]:
        payments.append(pay(inv, inv.total or Decimal(0), inv.external_id))
    # Partly paid open invoices.
    for inv in open_[: len(open_) // 3]:
        part = _money((inv.total or Decimal(0)) / 4)
        payments.append(pay(inv, part, inv.external_id))
        invoices[invoices.index(inv)] = inv.model_copy(
            update={"balance": (inv.total or Decimal(0)) - part, "status": Status.PARTIALLY_PAID}
        )
    for doc in invoices:
        data.put("Invoices", doc)
    for doc in payments:
        data.put("Payments", doc)

    # Credit notes, over- and prepayments on the open invoices left.
    rest = open_[len(open_) // 3 :]
    for n, inv in enumerate(rest[:40]):
        assert inv.currency is not None
        amount = _money((inv.total or Decimal(0)) / 5)
        credit = amount * 2 if n % 4 == 0 else amount
        net = _money(credit / (1 + TAX))
        data.put(
            "CreditNotes",
            _doc(
                DocumentKind.CREDIT_NOTE, xero_id(f"credit-{seed}-{n}"), tick(), number=f"CN-{n + 1:04d}",
                party=inv.party, issued_on=inv.issued_on, currency=inv.currency, exchange_rate=inv.exchange_rate,
                subtotal=net, tax=credit - net, total=credit, balance=credit - amount,
                status=Status.OPEN if credit > amount else Status.PAID,
                raw_status="AUTHORISED" if credit > amount else "PAID",
                allocations=(Allocation(invoice_external_id=inv.external_id, amount=amount),),
                references=_refs(inv.currency),
            ),
        )  # fmt: skip
    for endpoint, what, kind_word in (
        ("Overpayments", "overpayment", "o"),
        ("Prepayments", "prepayment", "p"),
    ):
        for n, inv in enumerate(rest[40 + (0 if kind_word == "o" else 20) :][:20]):
            assert inv.currency is not None
            total = _money(Decimal(rng.randint(1000, 50000)) / 100)
            used = _money(total / 2) if n % 2 else Decimal(0)
            data.put(
                endpoint,
                _doc(
                    DocumentKind.PAYMENT, xero_id(f"{what}-{seed}-{n}"), tick(), party=inv.party,
                    issued_on=inv.issued_on, currency=inv.currency, exchange_rate=inv.exchange_rate, total=total,
                    balance=total - used, status=Status.OPEN, raw_status="AUTHORISED",
                    allocations=(Allocation(invoice_external_id=inv.external_id, amount=used),) if used else (),
                    references=_refs(inv.currency, unapplied=what),
                ),
            )  # fmt: skip

    # The payable side: bills, a supplier payment and credit, money spent — never in the truth.
    at = ms_date(tick())
    bill = xero_id(f"bill-{seed}")
    data.add_foreign("Invoices", {"Type": "ACCPAY", "InvoiceID": bill, "InvoiceNumber": "BILL-1", "Status": "AUTHORISED",
                                  "Total": Decimal("99.00"), "UpdatedDateUTC": at, "Date": day_date(date(2026, 8, 2))})  # fmt: skip
    data.add_foreign("Payments", {"PaymentID": xero_id(f"bill-pay-{seed}"), "PaymentType": "ACCPAYPAYMENT", "Amount":
                                  Decimal("99.00"), "Status": "AUTHORISED", "Invoice": {"InvoiceID": bill}, "UpdatedDateUTC": at})  # fmt: skip
    data.add_foreign("CreditNotes", {"Type": "ACCPAYCREDIT", "CreditNoteID": xero_id(f"bill-credit-{seed}"),
                                     "Total": Decimal("5.00"), "Status": "AUTHORISED", "UpdatedDateUTC": at})  # fmt: skip
    data.add_foreign("Overpayments", {"Type": "SPEND-OVERPAYMENT", "OverpaymentID": xero_id(f"spend-{seed}"),
                                      "Total": Decimal("7.00"), "Status": "AUTHORISED", "UpdatedDateUTC": at})  # fmt: skip
    # Deleted before any sync: its DELETED row must not become a live document.
    deleted = next(d for d in invoices if d.raw_status == "DRAFT")
    data.delete("Invoices", deleted.external_id, tick())
    voided = next(d for d in invoices if d.raw_status == "VOIDED")
    usd = next(d for d in invoices if d.currency == "USD" and d.raw_status == "PAID")
    return data, Planted(
        split_payment=[p.external_id for p in payments[:3]],
        split_invoices=[d.external_id for d in split],
        twice_paid_invoice=twice.external_id,
        twice_payments=[p.external_id for p in payments[3:5]],
        voided_invoice=voided.external_id,
        deleted_invoice=deleted.external_id,
        foreign_invoice=bill,
        usd_invoice=usd.external_id,
    )
