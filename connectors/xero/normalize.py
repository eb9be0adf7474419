"""Pure normalizers: one Xero Accounting API record (parsed JSON, numbers as Decimal) -> a canonical
document. Field names and statuses are those of api-notes §2.4; what the notes leave unverified is
said where it is decided (and in docs/connectors/xero.md)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Final

from pydantic import ValidationError

from connectors.base import NormalizeContext, RawRecord
from connectors.errors import RecordError
from connectors.fields import document, exact_decimal, object_rows
from connectors.fields import field_name as _name
from connectors.fields import line as _line
from connectors.fields import text as _text
from connectors.reasons import Rule
from connectors.xero.dates import XeroDateError, parse_day, parse_instant
from store.canonical import Allocation, CanonicalDocument, DocumentKind, Line, PartyRef, Status

Normalizer = Callable[[RawRecord, NormalizeContext], CanonicalDocument]

DELETED: Final = "DELETED"
"""The status of a deleted invoice, credit note or payment: the stream passes it on as a tombstone."""

DOCUMENT_STATUS: Final[Mapping[str, Status]] = {
    "DRAFT": Status.DRAFT,
    "SUBMITTED": Status.DRAFT,  # awaiting approval: not yet owed
    "AUTHORISED": Status.OPEN,
    "PAID": Status.PAID,
    "VOIDED": Status.VOID,
    "DELETED": Status.DELETED,
}
"""Invoice and credit note `Status` (api-notes §2.4). AUTHORISED with money paid is partially paid."""

CREDIT_STATUS: Final[Mapping[str, Status]] = {
    "AUTHORISED": Status.OPEN,  # credit left to allocate
    "PAID": Status.PAID,  # wholly allocated
    "VOIDED": Status.VOID,
    "DELETED": Status.DELETED,
}
"""Overpayment and prepayment `Status` (AUTHORISED|PAID|VOIDED; DELETED treated defensively)."""

PAYMENT_STATUS: Final[Mapping[str, Status]] = {"AUTHORISED": Status.PAID, "DELETED": Status.DELETED}
CONTACT_STATUS: Final[Mapping[str, Status]] = {
    "ACTIVE": Status.OPEN,
    "ARCHIVED": Status.VOID,
    "GDPRREQUEST": Status.VOID,
}

SALES_INVOICE: Final = "ACCREC"
SALES_CREDIT: Final = "ACCRECCREDIT"
RECEIVED_PAYMENT: Final = "ACCRECPAYMENT"
RECEIVED_OVERPAYMENT: Final = "RECEIVE-OVERPAYMENT"
RECEIVED_PREPAYMENT: Final = "RECEIVE-PREPAYMENT"


def status_of(raw: RawRecord, table: Mapping[str, Status], default: Status) -> tuple[Status, str | None]:
    status = _text(raw, "Status")
    if status is None:
        return default, None
    return table.get(status.strip().upper(), default), status


# ----------------------------------------------------------------------------- documents


def invoice(raw: RawRecord, ctx: NormalizeContext) -> CanonicalDocument:
    """A sales invoice (Type ACCREC). `SubTotal` excludes tax in Xero whatever `LineAmountTypes` says
    (Total = SubTotal + TotalTax), so the canonical total is never tax-inclusive; line-level discounts
    are inside `SubTotal` (document discount 0); Xero has no shipping, adjustment or rounding header."""
    status, raw_status = status_of(raw, DOCUMENT_STATUS, Status.OPEN)
    due, paid = _amount(raw, "AmountDue"), _amount(raw, "AmountPaid")
    if status is Status.OPEN and paid and due:
        status = Status.PARTIALLY_PAID
    return _document(
        ctx,
        kind=DocumentKind.INVOICE,
        external_id=_id(raw, "InvoiceID"),
        number=_text(raw, "InvoiceNumber"),
        due_on=_day(raw, "DueDate"),
        subtotal=_amount(raw, "SubTotal"),
        tax=_amount(raw, "TotalTax"),
        total=_amount(raw, "Total"),
        balance=due,
        discount=Decimal(0),
        shipping=Decimal(0),
        adjustment=Decimal(0),
        rounding=Decimal(0),
        tax_inclusive=False,
        status=status,
        raw_status=raw_status,
        lines=_lines(raw),
        **_common(raw, party=_contact(raw, "Contact")),
    )


def credit_note(raw: RawRecord, ctx: NormalizeContext) -> CanonicalDocument:
    """A sales credit note (Type ACCRECCREDIT): `Allocations[]` -> allocations, `RemainingCredit` the
    part not yet allocated or refunded."""
    status, raw_status = status_of(raw, DOCUMENT_STATUS, Status.OPEN)
    return _document(
        ctx,
        kind=DocumentKind.CREDIT_NOTE,
        external_id=_id(raw, "CreditNoteID"),
        number=_text(raw, "CreditNoteNumber"),
        subtotal=_amount(raw, "SubTotal"),
        tax=_amount(raw, "TotalTax"),
        total=_amount(raw, "Total"),
        balance=_amount(raw, "RemainingCredit"),
        status=status,
        raw_status=raw_status,
        allocations=_allocations(raw),
        **_common(raw, party=_contact(raw, "Contact")),
    )


def payment(raw: RawRecord, ctx: NormalizeContext) -> CanonicalDocument:
    """A payment received against one invoice (PaymentType ACCRECPAYMENT): `Amount` allocated to
    `Invoice.InvoiceID`, nothing left unapplied (a Xero payment always pays one document; money
    received beyond invoices is an overpayment or prepayment). Several payments made as one bank
    receipt share a `BatchPaymentID` (references.batch_payment). The currency and the party are the
    invoice's (the payment has no CurrencyCode of its own)."""
    status, raw_status = status_of(raw, PAYMENT_STATUS, Status.PAID)
    target = _object(raw, "Invoice")
    amount = _amount(raw, "Amount")
    allocations: tuple[Allocation, ...] = ()
    if target is not None and amount:
        allocations = (
            _allocation("Invoice", invoice_id=_id(target, "InvoiceID", where="Invoice"), amount=amount),
        )
    references = {"batch_payment": batch} if (batch := _text(raw, "BatchPaymentID")) else {}
    currency = _text(target, "CurrencyCode", where="Invoice") if target is not None else None
    return _document(
        ctx,
        kind=DocumentKind.PAYMENT,
        external_id=_id(raw, "PaymentID"),
        number=None,
        total=amount,
        balance=Decimal(0),
        status=status,
        raw_status=raw_status,
        allocations=allocations,
        **_common(
            raw,
            party=_contact(target, "Contact", where="Invoice") if target is not None else None,
            currency=currency,
            references=references,
        ),
    )


def overpayment(raw: RawRecord, ctx: NormalizeContext) -> CanonicalDocument:
    """Money received beyond the invoices (Type RECEIVE-OVERPAYMENT): a payment whose `Allocations[]`
    are what was applied later and `RemainingCredit` what is still unapplied."""
    return _credit(raw, ctx, "OverpaymentID", "overpayment")


def prepayment(raw: RawRecord, ctx: NormalizeContext) -> CanonicalDocument:
    """Money received before an invoice (Type RECEIVE-PREPAYMENT), read like an overpayment."""
    return _credit(raw, ctx, "PrepaymentID", "prepayment")


def _credit(raw: RawRecord, ctx: NormalizeContext, id_field: str, what: str) -> CanonicalDocument:
    status, raw_status = status_of(raw, CREDIT_STATUS, Status.OPEN)
    return _document(
        ctx,
        kind=DocumentKind.PAYMENT,
        external_id=_id(raw, id_field),
        total=_amount(raw, "Total"),
        balance=_amount(raw, "RemainingCredit"),
        status=status,
        raw_status=raw_status,
        allocations=_allocations(raw),
        **_common(raw, party=_contact(raw, "Contact"), references={"unapplied": what}),
    )


def contact(raw: RawRecord, ctx: NormalizeContext) -> CanonicalDocument:
    """A contact -> a customer (the contact is the party). ARCHIVED and GDPRREQUEST contacts are void."""
    status, raw_status = status_of(
        {"Status": raw.get("ContactStatus")} if "ContactStatus" in raw else {}, CONTACT_STATUS, Status.OPEN
    )
    external_id = _id(raw, "ContactID")
    return _document(
        ctx,
        kind=DocumentKind.CUSTOMER,
        external_id=external_id,
        number=_text(raw, "ContactNumber") or _text(raw, "AccountNumber"),
        party=PartyRef(external_id=external_id, name=_text(raw, "Name")),
        status=status,
        raw_status=raw_status,
        source_modified_at=_instant(raw, "UpdatedDateUTC", required=True),
    )


def item(raw: RawRecord, ctx: NormalizeContext) -> CanonicalDocument:
    """An item -> a product, described by one line (name, code, sales unit price)."""
    external_id = _id(raw, "ItemID")
    sales = _object(raw, "SalesDetails")
    price = _amount(sales, "UnitPrice", where="SalesDetails") if sales is not None else None
    line = _line(
        "SalesDetails",
        product=_text(raw, "Name"),
        product_external_id=external_id,
        sku=_text(raw, "Code"),
        description=_text(raw, "Description"),
        unit_price=price,
        amount=price if price is not None else Decimal(0),
    )
    return _document(
        ctx,
        kind=DocumentKind.PRODUCT,
        external_id=external_id,
        number=_text(raw, "Code"),
        status=Status.OPEN,
        lines=(line,),
        source_modified_at=_instant(raw, "UpdatedDateUTC", required=True),
    )


# ----------------------------------------------------------------------------- shared parts


def _common(
    raw: RawRecord,
    *,
    party: PartyRef | None,
    currency: str | None = None,
    references: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    refs = dict(references or {})
    if reference := _text(raw, "Reference"):
        refs["reference"] = reference
    rate = _amount(raw, "CurrencyRate")
    if rate is not None and rate > 0:
        refs["xero_currency_rate"] = str(rate)
    return {
        "party": party,
        "issued_on": _day(raw, "Date"),
        "currency": currency or _text(raw, "CurrencyCode"),
        "exchange_rate": base_rate(rate),
        "references": refs,
        "source_modified_at": _instant(raw, "UpdatedDateUTC", required=True),
    }


def base_rate(currency_rate: Decimal | None) -> Decimal | None:
    """The canonical rate (base currency per unit of the document's) from Xero's `CurrencyRate`, read
    as units of the document's currency per unit of the base currency, so inverted (UNVERIFIED: the
    notes do not say which way Xero's rate goes; docs/connectors/xero.md). Missing or 0: unknown; 1: 1.
    Xero's own rate is kept as references.xero_currency_rate."""
    if currency_rate is None or currency_rate <= 0:
        return None
    return Decimal(1) / currency_rate


def _contact(raw: Mapping[str, Any] | None, key: str, *, where: str = "") -> PartyRef | None:
    found = _object(raw, key, where=where) if raw is not None else None
    if found is None:
        return None
    name = f"{where}.{key}" if where else key
    contact_id, contact_name = _text(found, "ContactID", where=name), _text(found, "Name", where=name)
    return PartyRef(external_id=contact_id, name=contact_name) if contact_id or contact_name else None


def _allocations(raw: RawRecord) -> tuple[Allocation, ...]:
    """`Allocations[]`: `Amount` applied to `Invoice.InvoiceID` (zero amounts are left out)."""
    allocations = []
    for where, row in object_rows(raw, "Allocations"):
        amount = _amount(row, "Amount", where=where)
        if not amount:
            continue
        target = _object(row, "Invoice", where=where)
        if target is None:
            raise RecordError("an allocation needs its Invoice", field=f"{where}.Invoice", rule=Rule.MISSING)
        allocations.append(
            _allocation(where, invoice_id=_id(target, "InvoiceID", where=f"{where}.Invoice"), amount=amount)
        )
    return tuple(allocations)


def _allocation(where: str, *, invoice_id: str, amount: Decimal) -> Allocation:
    try:
        return Allocation(invoice_external_id=invoice_id, amount=amount)
    except ValidationError as exc:
        error = exc.errors()[0]
        raise RecordError.from_validation(error, error["msg"], field=f"{where}.Amount") from exc


def _lines(raw: RawRecord) -> tuple[Line, ...]:
    """`LineItems[]` (the paged list carries them [47]): `LineAmount` as the line amount (it includes
    tax when LineAmountTypes is Inclusive, as Xero shows it), `UnitAmount`, `Quantity`, `TaxAmount`."""
    lines = []
    for where, row in object_rows(raw, "LineItems"):
        amount = _amount(row, "LineAmount", where=where)
        if amount is None:
            raise RecordError("a line needs LineAmount", field=f"{where}.LineAmount", rule=Rule.MISSING)
        lines.append(
            _line(
                where,
                product=_text(row, "ItemCode", where=where),
                sku=_text(row, "ItemCode", where=where),
                description=_text(row, "Description", where=where),
                quantity=_amount(row, "Quantity", where=where),
                unit_price=_amount(row, "UnitAmount", where=where),
                amount=amount,
                tax=_amount(row, "TaxAmount", where=where),
            )
        )
    return tuple(lines)


# ----------------------------------------------------------------------------- field readers


def _document(ctx: NormalizeContext, **fields: Any) -> CanonicalDocument:
    return document(ctx.source, **fields)


def _object(raw: Mapping[str, Any], key: str, *, where: str = "") -> Mapping[str, Any] | None:
    value = raw.get(key)
    if value is None:
        return None
    if not isinstance(value, Mapping):
        raise RecordError("must be an object", field=_name(key, where), rule=Rule.NOT_AN_OBJECT, value=value)
    return value


def _id(raw: Mapping[str, Any], key: str, *, where: str = "") -> str:
    value = raw.get(key)
    if value is None or value == "":
        raise RecordError("is missing", field=_name(key, where), rule=Rule.MISSING)
    if not isinstance(value, str):
        raise RecordError(
            f"must be an id string, got {type(value).__name__}",
            field=_name(key, where),
            rule=Rule.NOT_AN_ID,
            value=value,
        )
    return value


def _amount(raw: Mapping[str, Any], key: str, *, where: str = "") -> Decimal | None:
    """An exact amount as the JSON text had it (the HTTP loop parses numbers as Decimal); a float or a
    boolean is refused, a numeric string accepted."""
    return exact_decimal(_name(key, where), raw.get(key), not_decimal=Rule.NOT_FINITE)


def _day(raw: RawRecord, key: str) -> date | None:
    value = _text(raw, key)
    if value is None:
        return None
    try:
        return parse_day(value)
    except XeroDateError as exc:
        raise RecordError(str(exc), field=key, rule=Rule.NOT_A_DATE, value=value) from exc


def _instant(raw: RawRecord, key: str, *, required: bool) -> datetime | None:
    value = _text(raw, key)
    if value is None:
        iso = _text(raw, f"{key}String")  # UpdatedDateUTCString: the ISO twin the spec now has [47]
        if iso is None:
            if required:
                raise RecordError("is missing (it is the sync cursor)", field=key, rule=Rule.MISSING)
            return None
        value, key = iso, f"{key}String"
    try:
        return parse_instant(value)
    except XeroDateError as exc:
        raise RecordError(str(exc), field=key, rule=Rule.NOT_A_TIME, value=value) from exc
