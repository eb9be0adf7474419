"""QuickBooks Online entities -> canonical documents (pure; api-notes quickbooks-xero-bank.md §1.5).

Money is exact from the JSON text (the HTTP loop parses fractions as Decimal; a float is refused).
`CurrencyRef.value` is the currency, `ExchangeRate` the rate (home currency per unit of the document's,
UNVERIFIED direction for every locale), `DocNumber` the number, `CustomerRef` the party, `TxnDate` the
issue date and `MetaData.LastUpdatedTime` the cursor.

- Void (no status field exists): an invoice whose `TotalAmt` is 0 and whose `PrivateNote` starts with
  "Voided" (Intuit blog [25]; the exact note text is UNVERIFIED beyond that blog) -> Status.VOID.
- Payment allocations: `Line[]` whose `LinkedTxn[]` has `TxnType` "Invoice" -> `Line.Amount` applied to
  `TxnId`; "CreditMemo" -> the credit memo's amount used by the payment (target kind credit_note: a
  payment applying a credit to an invoice is a zero payment with both lines, api-notes §1.5 [33]);
  `UnappliedAmt` -> balance.
- Invoice status from `Balance` vs `TotalAmt`: 0 paid, equal open, between partially paid.
- Customers and items are master data (Customer: DisplayName, Active; Item: Name, Sku, UnitPrice).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from connectors.base import NormalizeContext, RawRecord
from connectors.errors import RecordError
from connectors.fields import cursor_time, document, exact_decimal, field_name, iso_day, line, object_rows
from connectors.fields import opt_str as _opt
from connectors.reasons import Rule
from store.canonical import Allocation, CanonicalDocument, DocumentKind, Line, PartyRef, Status

VOID_NOTE = "voided"


def invoice(raw: RawRecord, ctx: NormalizeContext) -> CanonicalDocument:
    total, balance = _amount(raw, "TotalAmt"), _amount(raw, "Balance")
    void = is_voided(raw)
    status = Status.VOID if void else _paid_status(total, balance)
    return _document(
        ctx,
        raw,
        kind=DocumentKind.INVOICE,
        due_on=_date(raw, "DueDate"),
        total=total,
        balance=balance,
        tax=_tax(raw),
        status=status,
        raw_status="Voided" if void else None,
        lines=_lines(raw),
    )


def credit_memo(raw: RawRecord, ctx: NormalizeContext) -> CanonicalDocument:
    """A credit memo: `Balance` (else `RemainingCredit`) is the credit still unused. QuickBooks links a
    credit memo to invoices through a Payment's lines, so the memo itself carries no allocations."""
    balance = _amount(raw, "Balance")
    if balance is None:
        balance = _amount(raw, "RemainingCredit")
    return _document(
        ctx,
        raw,
        kind=DocumentKind.CREDIT_NOTE,
        total=_amount(raw, "TotalAmt"),
        balance=balance,
        tax=_tax(raw),
        status=Status.VOID if is_voided(raw) else Status.OPEN,
        lines=_lines(raw),
    )


def sales_receipt(raw: RawRecord, ctx: NormalizeContext) -> CanonicalDocument:
    """A cash sale (no invoice): an invoice paid on the spot, so the ledger holds it as a paid invoice;
    `references.kind` says it was a sales receipt and `PaymentRefNum` is kept."""
    total = _amount(raw, "TotalAmt")
    void = is_voided(raw)
    refs = {"kind": "sales_receipt"}
    if (ref := _text(raw, "PaymentRefNum")) is not None:
        refs["payment_reference"] = ref
    return _document(
        ctx,
        raw,
        kind=DocumentKind.INVOICE,
        total=total,
        balance=_amount(raw, "Balance"),
        tax=_tax(raw),
        status=Status.VOID if void else Status.PAID,
        raw_status="Voided" if void else "SalesReceipt",
        lines=_lines(raw),
        references=refs,
    )


def payment(raw: RawRecord, ctx: NormalizeContext) -> CanonicalDocument:
    refs = {}
    if (ref := _text(raw, "PaymentRefNum")) is not None:
        refs["payment_reference"] = ref
    return _document(
        ctx,
        raw,
        kind=DocumentKind.PAYMENT,
        number=_text(raw, "PaymentRefNum"),
        total=_amount(raw, "TotalAmt"),
        balance=_amount(raw, "UnappliedAmt"),
        status=Status.VOID if is_voided(raw) else Status.PAID,
        allocations=payment_allocations(raw),
        references=refs,
    )


def customer(raw: RawRecord, ctx: NormalizeContext) -> CanonicalDocument:
    active = raw.get("Active")
    name = _text(raw, "DisplayName") or _text(raw, "CompanyName")
    return _make(
        ctx,
        kind=DocumentKind.CUSTOMER,
        external_id=_id(raw, "Id"),
        number=name,
        party=PartyRef(external_id=_id(raw, "Id"), name=name),
        currency=_ref(raw, "CurrencyRef")[0],
        balance=_amount(raw, "Balance"),
        status=Status.VOID if active is False else Status.OPEN,
        raw_status=None if active is None else ("Active" if active else "Inactive"),
        source_modified_at=_modified(raw),
    )


def item(raw: RawRecord, ctx: NormalizeContext) -> CanonicalDocument:
    active = raw.get("Active")
    price = _amount(raw, "UnitPrice")
    name = _text(raw, "Name")
    return _make(
        ctx,
        kind=DocumentKind.PRODUCT,
        external_id=_id(raw, "Id"),
        number=_text(raw, "Sku") or name,
        lines=(Line(product=name, sku=_text(raw, "Sku"), unit_price=price, amount=price or Decimal(0)),),
        status=Status.VOID if active is False else Status.OPEN,
        raw_status=_text(raw, "Type"),
        source_modified_at=_modified(raw),
    )


def is_voided(raw: RawRecord) -> bool:
    """Voided: zero total and a private note starting "Voided" (QuickBooks has no void status)."""
    note = raw.get("PrivateNote")
    total = _amount(raw, "TotalAmt")
    return total == 0 and isinstance(note, str) and note.strip().lower().startswith(VOID_NOTE)


_LINKED_KINDS: dict[str, DocumentKind] = {
    "Invoice": DocumentKind.INVOICE,
    "CreditMemo": DocumentKind.CREDIT_NOTE,
}


def payment_allocations(raw: RawRecord) -> tuple[Allocation, ...]:
    """`Line[].LinkedTxn[]` of TxnType "Invoice" (money applied to it) or "CreditMemo" (credit the payment
    uses) -> allocations; amounts to one target over several lines are added up. A line linking more
    than one transaction cannot say how its amount splits: refused."""
    found: dict[tuple[str, DocumentKind], Decimal] = {}
    for where, row in object_rows(raw, "Line"):
        linked = [
            txn
            for txn in _list(row, "LinkedTxn", where=where)
            if isinstance(txn, Mapping) and txn.get("TxnType") in _LINKED_KINDS
        ]
        if not linked:
            continue
        if len(linked) > 1:
            raise RecordError(
                "one payment line links several invoices: its amount cannot be split",
                field=f"{where}.LinkedTxn",
                rule=Rule.INVALID,
                value=linked,
            )
        amount = _amount(row, "Amount", where=where)
        if amount is None or amount == 0:
            continue
        key = (_id(linked[0], "TxnId", where=f"{where}.LinkedTxn[0]"), _LINKED_KINDS[linked[0]["TxnType"]])
        found[key] = found.get(key, Decimal(0)) + amount
    return tuple(
        Allocation(invoice_external_id=target, amount=amount, target_kind=kind)
        for (target, kind), amount in found.items()
    )


def deleted_entry(raw: RawRecord, ctx: NormalizeContext, kind: DocumentKind) -> CanonicalDocument:
    """A CDC `status: "Deleted"` entry (Id and MetaData only) as a deleted document."""
    return _make(
        ctx,
        kind=kind,
        external_id=_id(raw, "Id"),
        status=Status.DELETED,
        deleted=True,
        source_modified_at=_modified(raw, required=False),
    )


# ----------------------------------------------------------------------------- shared


def _document(ctx: NormalizeContext, raw: RawRecord, **fields: Any) -> CanonicalDocument:
    currency, _ = _ref(raw, "CurrencyRef")
    party_id, party_name = _ref(raw, "CustomerRef")
    common: dict[str, Any] = {
        "external_id": _id(raw, "Id"),
        "number": _text(raw, "DocNumber"),
        "party": PartyRef(external_id=party_id, name=party_name) if party_id or party_name else None,
        "issued_on": _date(raw, "TxnDate"),
        "currency": currency,
        "exchange_rate": _rate(raw),
        "source_modified_at": _modified(raw),
    }
    return _make(ctx, **{**common, **fields})


def _make(ctx: NormalizeContext, **fields: Any) -> CanonicalDocument:
    return document(ctx.source, **fields)


def _paid_status(total: Decimal | None, balance: Decimal | None) -> Status:
    if total is None or balance is None:
        return Status.OPEN
    if balance == 0 and total != 0:
        return Status.PAID
    if 0 < balance < total:
        return Status.PARTIALLY_PAID
    return Status.OPEN


def _tax(raw: RawRecord) -> Decimal | None:
    detail = raw.get("TxnTaxDetail")
    if detail is None:
        return None
    if not isinstance(detail, Mapping):
        raise RecordError("must be an object", field="TxnTaxDetail", rule=Rule.NOT_AN_OBJECT, value=detail)
    return _amount(detail, "TotalTax", where="TxnTaxDetail")


def _lines(raw: RawRecord) -> tuple[Line, ...]:
    """Sales item lines (`SalesItemLineDetail`); subtotal, discount and group lines are not goods."""
    result = []
    for where, row in object_rows(raw, "Line"):
        if row.get("DetailType") != "SalesItemLineDetail":
            continue
        detail = row.get("SalesItemLineDetail") or {}
        if not isinstance(detail, Mapping):
            raise RecordError(
                "must be an object", field=f"{where}.SalesItemLineDetail", rule=Rule.NOT_AN_OBJECT
            )
        amount = _amount(row, "Amount", where=where)
        if amount is None:
            raise RecordError("a line needs Amount", field=f"{where}.Amount", rule=Rule.MISSING)
        item_id, item_name = _ref(detail, "ItemRef", where=f"{where}.SalesItemLineDetail")
        result.append(
            line(
                where,
                product=item_name,
                product_external_id=item_id,
                description=_text(row, "Description"),
                quantity=_number(f"{where}.SalesItemLineDetail.Qty", detail.get("Qty")),
                unit_price=_number(f"{where}.SalesItemLineDetail.UnitPrice", detail.get("UnitPrice")),
                amount=amount,
            )
        )
    return tuple(result)


def _list(raw: Mapping[str, Any], key: str, *, where: str = "") -> Sequence[Any]:
    value = raw.get(key)
    if value is None:
        return ()
    if not isinstance(value, list):
        name = f"{where}.{key}" if where else key
        raise RecordError("must be a list", field=name, rule=Rule.NOT_A_LIST, value=value)
    return value


def _ref(raw: Mapping[str, Any], key: str, *, where: str = "") -> tuple[str | None, str | None]:
    value = raw.get(key)
    if value is None:
        return None, None
    if not isinstance(value, Mapping):
        name = f"{where}.{key}" if where else key
        raise RecordError("a reference must be an object {value, name}", field=name, rule=Rule.NOT_AN_OBJECT)
    return _opt(value.get("value")), _opt(value.get("name"))


def _id(raw: Mapping[str, Any], key: str, *, where: str = "") -> str:
    value = raw.get(key)
    name = f"{where}.{key}" if where else key
    if value is None or value == "":
        raise RecordError("is missing", field=name, rule=Rule.MISSING)
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise RecordError("must be a string id", field=name, rule=Rule.NOT_AN_ID, value=value)
    return str(value)


def _text(raw: Mapping[str, Any], key: str) -> str | None:
    value = raw.get(key)
    if isinstance(value, Mapping | list):
        raise RecordError("expected text", field=key, rule=Rule.NOT_TEXT, value=value)
    return _opt(value)


def _number(field: str, value: Any) -> Decimal | None:
    return exact_decimal(field, value, not_decimal=Rule.NOT_FINITE)


def _amount(raw: Mapping[str, Any], key: str, *, where: str = "") -> Decimal | None:
    return _number(field_name(key, where), raw.get(key))


def _rate(raw: RawRecord) -> Decimal | None:
    rate = _amount(raw, "ExchangeRate")
    return rate if rate is not None and rate > 0 else None


def _date(raw: RawRecord, key: str) -> date | None:
    return iso_day(_text(raw, key), key)


def _modified(raw: RawRecord, *, required: bool = True) -> datetime | None:
    """`MetaData.LastUpdatedTime`, '2015-01-16T15:08:12-08:00' (offset required) -> aware UTC."""
    meta = raw.get("MetaData")
    value = meta.get("LastUpdatedTime") if isinstance(meta, Mapping) else None
    text = value if isinstance(value, str) and value else None
    return cursor_time(text, "MetaData.LastUpdatedTime", required=required)
