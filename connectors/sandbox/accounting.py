"""The books the demo keeps its company's accounting in: Zoho Books (the Zoho sandbox), QuickBooks Online
or Xero (their own sandboxes), chosen by `ledgerbridge demo --accounting NAME` from `ACCOUNTING`.

Each choice says what its books can hold (sales orders or not; credit notes applied on the note or
through a payment), serves the generated company's Books documents as that vendor holds them, and turns
the generator's truth — written in Zoho Books' terms — into the chosen books' terms: the same plants,
their documents under the vendor's ids, the few findings the vendor's own model changes (`changed`, each
with its reason), the records and the malformed records as that vendor serves them."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from connectors.quickbooks.client import token_key as quickbooks_token_key
from connectors.sandbox.bank_files import BANK, COLLECTIONS
from connectors.sandbox.demo_servers import quickbooks_sandbox, quickbooks_yaml, xero_sandbox, xero_yaml
from connectors.sandbox.generator import (
    BOOKS,
    FXIAOKE_VS_BOOKS,
    RUNS,
    DemoCompany,
    Malformed,
    Trap,
    Truth,
    doc_key,
    key,
)
from connectors.sandbox.quickbooks.company import quickbooks_dataset
from connectors.sandbox.server import ServedSandbox
from connectors.sandbox.xero.dataset import xero_id
from connectors.xero.client import token_key as xero_token_key
from store.canonical import Allocation, CanonicalDocument, DocumentKind, Status

_LEDGER = (DocumentKind.INVOICE, DocumentKind.CREDIT_NOTE, DocumentKind.PAYMENT)


@dataclass(frozen=True)
class ServedBooks:
    """The company's books in a vendor's own sandbox: the sandbox (not started), every document it
    serves as a sync must store it, which of them it serves broken, and where each came from."""

    sandbox: ServedSandbox
    documents: list[CanonicalDocument]
    malformed: list[Malformed]
    origins: dict[str, str]
    """Vendor document key -> the Zoho Books document key it holds (several may share one: a payment
    split per invoice, its unapplied rest, a credit note's application)."""
    yaml: Callable[[str, str], str]
    """(its URL, a `secret:NAME` reference to its client secret) -> its `connectors:` entry, without
    the refresh token (seeded into the token store, as `connector authorize` leaves it)."""
    client_secret: str
    refresh_token: str


@dataclass(frozen=True)
class Accounting:
    """One choice of books (a row of `ACCOUNTING`)."""

    name: str
    """The `--accounting` value."""
    label: str
    source: str
    """Its connector name in the demo configuration (and the source of its truth keys)."""
    sales_orders: bool
    """Holds sales orders: the Fxiaoke-vs-books order rule runs against it."""
    credit_notes_applied: bool
    """A credit note names the invoices it is applied to (else a payment applies it, as QuickBooks'
    zero payment does): the settlement rule reads credit notes, the audit checks their excess."""
    owners: bool
    """Its invoices name a salesperson: the audit plan checks missing owners in the books too."""
    serve: Callable[[DemoCompany], ServedBooks] | None = None
    """Its own sandbox for the company's books; None: served by the Zoho sandbox."""
    token_key: Callable[[Any], str] | None = None
    """Its connector's token row, given the connector's settings (where the refresh token is seeded)."""
    changed: Mapping[tuple[str, str], str | None] = field(default_factory=dict)
    """(plant, the type Zoho Books shows) -> the type these books show instead; None: not visible."""

    @property
    def bank(self) -> bool:
        """The demo's bank statements are written from these books' payments (Zoho Books only: a vendor
        sandbox splits a Books payment into several documents under other numbers — Xero a payment per
        invoice plus an overpayment, QuickBooks zero payments for credit memos — so statements written
        from Books' payments would plant findings of the split, not of the bank)."""
        return self.serve is None

    @property
    def runs(self) -> tuple[str, ...]:
        """The demo's rules and audit plan against these books, in `reconcile run` order."""
        return tuple(
            run
            for run in RUNS
            if (self.sales_orders or run != FXIAOKE_VS_BOOKS) and (self.bank or run != COLLECTIONS)
        )

    def truth(self, company: DemoCompany, served: ServedBooks | None) -> Truth:
        """The company's truth in these books' terms (Zoho Books: the generator's truth as it is)."""
        books = company.truth
        if served is None:
            return books
        forward: dict[str, list[str]] = {}
        for vendor_key, origin in served.origins.items():
            forward.setdefault(origin, []).append(vendor_key)
        moved = _Moved(forward, {str(d.key): d for d in served.documents})
        planted = []
        for plant in books.planted:
            kind = self.changed.get((plant.plant, plant.type), plant.type)
            if plant.rule not in self.runs or kind is None:
                continue
            left, right = (moved.side(side, kind) for side in (plant.left, plant.right))
            planted.append(dataclasses.replace(plant, type=kind, left=left, right=right))
        traps = [
            Trap(trap.rule, trap.trap, moved.side(trap.documents, None))
            for trap in books.traps
            if trap.rule in self.runs
        ]
        broken = {m.external_id for m in served.malformed}
        records = {(s, k): n for (s, k), n in books.records.items() if s not in (BOOKS, BANK)}
        for doc in served.documents:
            if doc.external_id not in broken:
                records[(self.source, doc.kind.value)] = records.get((self.source, doc.kind.value), 0) + 1
        malformed = [m for m in books.malformed if m.source != BOOKS] + served.malformed
        return dataclasses.replace(
            books, planted=planted, traps=traps, malformed=malformed, runs=self.runs,
            records=type(books.records)(records),
        )  # fmt: skip


@dataclass(frozen=True)
class _Moved:
    forward: dict[str, list[str]]
    documents: dict[str, CanonicalDocument]

    def side(self, keys: Iterable[str], finding: str | None) -> tuple[str, ...]:
        """Zoho Books keys as the vendor keys a finding of type `finding` names: a Books payment held as
        several vendor documents is its unapplied one in an `unapplied_payment`, else the ones applying
        money (None: all of them; other keys stay as they are)."""
        result: list[str] = []
        for old in keys:
            new = self.forward.get(old, [old] if not old.startswith(f"{BOOKS}/") else [])
            if len(new) > 1 and finding is not None:
                docs = [self.documents[k] for k in new]
                wanted = [
                    k
                    for k, d in zip(new, docs, strict=True)
                    if (_unapplied(d) > 0 if finding == "unapplied_payment" else bool(d.allocations))
                ]
                new = wanted or new
            result += new
        return tuple(result)


def _unapplied(doc: CanonicalDocument) -> Decimal:
    return (doc.total or Decimal(0)) - sum((a.amount for a in doc.allocations), Decimal(0))


# ----------------------------------------------------------------------------- Xero


def serve_xero(company: DemoCompany) -> ServedBooks:
    """The books as one Xero organisation (connectors/sandbox/xero/company.py), vendor limits off."""
    sandbox = xero_sandbox(company)
    data = sandbox.dataset
    documents = data.truth(source="xero")
    present = {str(d.key) for d in documents}
    origins: dict[str, str] = {}
    for kind, seeds in _XERO_SEEDS.items():
        for doc in company.zoho.live("books", kind):
            for seed in seeds(doc):
                vendor_key = key("xero", kind, xero_id(seed))
                if vendor_key in present:
                    origins[vendor_key] = doc_key(BOOKS, doc)
    malformed = [
        Malformed("xero", "invoices", xero_id(f"invoice:{m.external_id}"), "Date", m.value)
        for m in company.truth.malformed
        if m.source == BOOKS
    ]
    return ServedBooks(
        sandbox, documents, malformed, origins,
        yaml=lambda url, secret: xero_yaml(url, sandbox.options, secret=secret),
        client_secret=sandbox.options.client_secret, refresh_token=sandbox.options.refresh_token,
    )  # fmt: skip


_XERO_SEEDS: dict[DocumentKind, Callable[[CanonicalDocument], list[str]]] = {
    DocumentKind.INVOICE: lambda d: [f"invoice:{d.external_id}"],
    DocumentKind.CREDIT_NOTE: lambda d: [f"credit:{d.external_id}"],
    DocumentKind.PAYMENT: lambda d: [
        *(f"payment:{d.external_id}:{n}" for n in range(len(d.allocations))),
        f"overpayment:{d.external_id}",
    ],
}
"""How connectors/sandbox/xero/company.py names a Books document's Xero documents (xero_id seeds)."""


# ----------------------------------------------------------------------------- QuickBooks

QUICKBOOKS = "quickbooks"


def serve_quickbooks(company: DemoCompany) -> ServedBooks:
    """The books as one QuickBooks company (connectors/sandbox/quickbooks/company.py), vendor limits
    off, plus what QuickBooks does where Books applies a credit note to an invoice: a zero payment with
    a line per invoice it credits and one using the credit memo (api-notes §1.5: a payment covers
    invoices and credit memos), and the
    Books records the demo serves broken served broken here too (an unreadable `TxnDate`)."""
    data = quickbooks_dataset(company)
    origins: dict[str, str] = {}
    waiting: dict[tuple[DocumentKind, str | None], list[CanonicalDocument]] = {}
    for entity in ("Invoice", "CreditMemo", "Payment"):
        for doc in data.live(entity):
            waiting.setdefault((doc.kind, doc.number), []).append(doc)
    books: dict[str, CanonicalDocument] = {}
    for kind in _LEDGER:
        for doc in company.zoho.live("books", kind):
            queue = waiting.get((doc.kind, doc.number))
            if queue:
                held = queue.pop(0)
                origins[str(held.key)] = doc_key(BOOKS, doc)
                books[doc.external_id] = held
    next_id = max(int(d.external_id) for d in data.truth(source=QUICKBOOKS)) + 1
    for note in company.zoho.live("books", DocumentKind.CREDIT_NOTE):
        memo = books.get(note.external_id)
        applied = tuple(
            Allocation(invoice_external_id=books[a.invoice_external_id].external_id, amount=a.amount)
            for a in note.allocations
            if a.invoice_external_id in books
        )
        if memo is None or not applied:
            continue
        payment = CanonicalDocument(
            source=QUICKBOOKS, kind=DocumentKind.PAYMENT, external_id=str(next_id), party=memo.party,
            issued_on=memo.issued_on, currency=memo.currency, exchange_rate=memo.exchange_rate,
            total=Decimal(0), balance=Decimal(0), status=Status.PAID,
            allocations=(*applied, Allocation(invoice_external_id=memo.external_id,
                amount=sum((a.amount for a in applied), Decimal(0)), target_kind=DocumentKind.CREDIT_NOTE)),
            references={"payment_reference": memo.number} if memo.number else {},
            number=memo.number, source_modified_at=memo.source_modified_at,
        )  # fmt: skip
        data.put("Payment", payment)
        origins[str(payment.key)] = doc_key(BOOKS, note)
        next_id += 1
    overrides: dict[str, dict[str, str]] = {}
    malformed = []
    for bad in company.truth.malformed:
        broken = books.get(bad.external_id)
        if bad.source == BOOKS and broken is not None:
            overrides[broken.external_id] = {"TxnDate": bad.value}
            malformed.append(Malformed(QUICKBOOKS, "invoices", broken.external_id, "TxnDate", bad.value))
    sandbox = quickbooks_sandbox(company, dataset=data, overrides=overrides)
    return ServedBooks(
        sandbox, data.truth(source=QUICKBOOKS), malformed, origins,
        yaml=lambda url, secret: quickbooks_yaml(url, sandbox.options, secret=secret),
        client_secret=sandbox.options.oauth.client_secret,
        refresh_token=sandbox.options.oauth.initial_refresh_token,
    )  # fmt: skip


# ----------------------------------------------------------------------------- the choices

ZOHO_BOOKS = Accounting(
    name="zoho_books",
    label="Zoho Books",
    source=BOOKS,
    sales_orders=True,
    credit_notes_applied=True,
    owners=True,
)
_UNAPPLIED = {("allocation_to_missing", "missing_in_left"): "unapplied_payment"}
"""Neither QuickBooks nor Xero keeps an allocation to an invoice it does not have: the payment's money
is unapplied there (QuickBooks' UnappliedAmt, a Xero overpayment)."""


def _vendor_books(
    name: str,
    label: str,
    serve: Callable[[DemoCompany], ServedBooks],
    token_key: Callable[[Any], str],
    *,
    credit_notes_applied: bool,
    changed: Mapping[tuple[str, str], str | None] | None = None,
) -> Accounting:
    """Books in a vendor's own sandbox: no sales orders, no salesperson on an invoice."""
    return Accounting(
        name=name, label=label, source=name, sales_orders=False, credit_notes_applied=credit_notes_applied,
        owners=False, serve=serve, token_key=token_key, changed={**_UNAPPLIED, **(changed or {})},
    )  # fmt: skip


ACCOUNTING: dict[str, Accounting] = {
    ZOHO_BOOKS.name: ZOHO_BOOKS,
    QUICKBOOKS: _vendor_books(
        QUICKBOOKS,
        "QuickBooks Online",
        serve_quickbooks,
        quickbooks_token_key,
        credit_notes_applied=False,
        changed={
            # The credit memo itself names no invoice (its zero payment does): the audit has nothing to
            # compare it with; the settlement still sees the invoice overpaid.
            ("credit_note_exceeds_invoice", "credit_note_exceeds_invoice"): None,
            # Every foreign invoice carries a rate; keyed at 1 the CNY figure in USD agrees in CNY, and
            # the rule compares no currencies.
            ("currency_mismatch", "currency_mismatch"): None,
        },
    ),
    "xero": _vendor_books("xero", "Xero", serve_xero, xero_token_key, credit_notes_applied=True),
}
"""`--accounting` choices, by name; `ZOHO_BOOKS` is the default (the demo as it always was)."""
