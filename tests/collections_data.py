"""Payments and bank statement lines for the collections rule's tests (issue 21), as canonical documents
shaped by the bank contract (/tmp/team/BANK.md): external_id `<account>/<reference>`, number = the bank
reference, total signed (credit > 0), references account/value_date/remittance/end_to_end_id/...
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from config.rules import CollectionsRule
from store.canonical import Allocation, CanonicalDocument, DocumentKind, PartyRef

BOOKS, BANK = "zoho-books", "bank-icbc"
ACCOUNT = "CN0000111122223333"
COLLECTIONS_RULE = CollectionsRule.model_validate(
    {
        "name": "books-vs-bank",
        "kind": "collections",
        "payments": {"source": BOOKS, "kind": "payment"},
        "bank": {"source": BANK, "kind": "bank_transaction"},
        "tolerance": {"amount": "0.01"},
        "date_window_days": 5,
        "fee_tolerance": {"amount": "5.00", "percent": "3"},
        "audit": [],
    }
)
TODAY = date(2026, 11, 20)
"""The run's day in these tests: payments dated after TODAY - 5 days are still in transit."""


def _document(
    kind: DocumentKind, external_id: str, total: str, on: date, party: PartyRef, **fields: Any
) -> Any:
    return CanonicalDocument(
        source=BANK if kind is DocumentKind.BANK_TRANSACTION else BOOKS,
        kind=kind,
        external_id=external_id,
        party=party,
        issued_on=on,
        currency="CNY",
        total=Decimal(total),
        **fields,
    )


def payment(
    external_id: str,
    total: str,
    on: date,
    party: str = "Acme Trading Co., Ltd.",
    *,
    number: str | None = None,
    invoices: tuple[tuple[str, str], ...] = (),
    **references: str,
) -> CanonicalDocument:
    """A Books payment; `invoices`: (invoice external id, amount) it applies to."""
    allocations = tuple(Allocation(invoice_external_id=i, amount=Decimal(a)) for i, a in invoices)
    return _document(
        DocumentKind.PAYMENT,
        external_id,
        total,
        on,
        PartyRef(external_id=f"C-{party}", name=party),
        number=number or external_id,
        references=dict(references),
        allocations=allocations,
    )


def invoice(external_id: str, number: str, total: str, on: date) -> CanonicalDocument:
    party = PartyRef(external_id="C-Acme", name="Acme Trading Co., Ltd.")
    return _document(DocumentKind.INVOICE, external_id, total, on, party, number=number)


def bank_line(
    reference: str,
    amount: str,
    booked: date,
    payer: str = "ACME TRADING CO LTD",
    *,
    remittance: str | None = None,
    value_date: date | None = None,
    **references: str,
) -> CanonicalDocument:
    """One statement line as the bank-statement connector stores it (BANK.md)."""
    refs: dict[str, Any] = {
        "account": ACCOUNT,
        "value_date": (value_date or booked).isoformat(),
        "bank_reference": reference,
        "statement_id": f"STMT-{booked:%Y%m}",
    }
    if remittance is not None:
        refs["remittance"] = remittance
    refs.update(references)
    external_id = f"{ACCOUNT}/{reference}"
    kind = DocumentKind.BANK_TRANSACTION
    return _document(
        kind, external_id, amount, booked, PartyRef(name=payer), number=reference, references=refs
    )


def consistent_company(days: int = 60, start: date = date(2026, 9, 1)) -> list[CanonicalDocument]:
    """A company whose every payment reached the bank, in every way a payment does: the bank reference
    is the payment's number, the remittance names the invoice (full-width, or spaced), a payment with no
    trace but its amount a day later, a card processor's payout net of its fee (the fee booked as a
    finding, so not here), a split receipt. Plus bank debits and a reversed credit, neither a receipt."""
    docs: list[CanonicalDocument] = []
    for n in range(days):
        day = start + timedelta(days=n)
        amount = f"{1000 + n * 37}.{n % 100:02d}"
        docs.append(payment(f"PMT-{n:05d}", amount, day, party=f"Customer {n} Ltd"))
        style = n % 3
        if style == 0:
            docs.append(bank_line(f"PMT-{n:05d}", amount, day + timedelta(days=1), payer=f"CUSTOMER {n}"))
        elif style == 1:
            docs.append(
                bank_line(
                    f"B{n:08d}", amount, day, payer=f"Customer {n}", remittance=f"ＰＭＴ－{n:05d} thanks"
                )
            )
        else:
            docs.append(
                bank_line(f"C{n:08d}", amount, day + timedelta(days=2), payer=f"CUSTOMER {n} LIMITED")
            )
        docs.append(bank_line(f"D{n:08d}", f"-{100 + n}.00", day, payer="Landlord", remittance="rent"))
    split_on = start + timedelta(days=days + 1)
    docs.append(payment("PMT-SPLIT", "3000.00", split_on, party="Split Buyer Ltd"))
    docs.append(bank_line("S1", "1000.00", split_on, payer="Split Buyer Ltd"))
    docs.append(bank_line("S2", "2000.00", split_on + timedelta(days=2), payer="SPLIT BUYER LTD"))
    docs.append(bank_line("R1", "777.00", split_on, payer="Mistaken Payer"))
    docs.append(
        bank_line("R2", "-777.00", split_on + timedelta(days=1), payer="Mistaken Payer", reversal="true")
    )
    return docs


def planted_collections() -> tuple[list[CanonicalDocument], dict[str, set[tuple[str, ...]]]]:
    """Documents with one of each collections finding, and what must be found: type -> document ids."""
    oct_ = date(2026, 10, 10)
    docs = [
        # not_in_bank: recorded as received on 10-10, nothing in the bank by 11-20.
        payment("PMT-LOST", "4321.00", oct_, party="Ghost Buyer Ltd"),
        # unrecorded_receipt: money in the bank that no payment records.
        bank_line("X-900", "888.00", oct_, payer="Unknown Payer", remittance="Payment INV-404 thanks"),
        # fee_difference: a card processor's payout of three payments less 2.9%.
        payment("PMT-C1", "100.00", oct_, party="Card Customer A", deposit="PO-77"),
        payment("PMT-C2", "200.00", oct_ + timedelta(days=1), party="Card Customer B", deposit="PO-77"),
        payment("PMT-C3", "300.00", oct_ + timedelta(days=1), party="Card Customer C", deposit="PO-77"),
        bank_line("PAYOUT-77", "582.60", oct_ + timedelta(days=3), payer="STRIPE PAYMENTS", batch_count="3"),
        # in transit: dated yesterday, nothing in the bank yet, no finding.
        payment("PMT-NEW", "55.00", TODAY - timedelta(days=1), party="Fresh Buyer Ltd"),
    ]
    expected = {
        "not_in_bank": {(f"{BOOKS}/payment/PMT-LOST",)},
        "unrecorded_receipt": {(f"{BANK}/bank_transaction/{ACCOUNT}/X-900",)},
        "fee_difference": {
            (
                f"{BOOKS}/payment/PMT-C1",
                f"{BOOKS}/payment/PMT-C2",
                f"{BOOKS}/payment/PMT-C3",
                f"{BANK}/bank_transaction/{ACCOUNT}/PAYOUT-77",
            )
        },
    }
    return docs, expected
