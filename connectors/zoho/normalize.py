"""Pure normalizers: one Zoho CRM v8 / Books v3 record (parsed JSON) -> one canonical document."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any, Final

from connectors.base import NormalizeContext, RawRecord
from connectors.errors import RecordError
from connectors.fields import (
    Declined,
    build_document,
    compiled,
    cursor_time,
    document,
    field_name,
    iso_day,
    object_rows,
)
from connectors.fields import exact_decimal as _to_decimal
from connectors.fields import line as _line
from connectors.fields import opt_str as _opt_str
from connectors.fields import text as _text
from connectors.reasons import Rule
from store.canonical import Allocation, CanonicalDocument, DocumentKind, Line, PartyRef, Status

Normalizer = Callable[[RawRecord, NormalizeContext], CanonicalDocument]

# ----------------------------------------------------------------------------- statuses

CRM_SALES_ORDER_STATUS: Mapping[str, Status] = {
    "created": Status.OPEN,
    "approved": Status.OPEN,
    "confirmed": Status.OPEN,
    "delivered": Status.OPEN,
    "draft": Status.DRAFT,
    "cancelled": Status.VOID,
    "canceled": Status.VOID,
}
CRM_INVOICE_STATUS: Mapping[str, Status] = {
    "created": Status.OPEN,
    "approved": Status.OPEN,
    "delivered": Status.OPEN,
    "sent": Status.OPEN,
    "draft": Status.DRAFT,
    "paid": Status.PAID,
    "partially paid": Status.PARTIALLY_PAID,
    "cancelled": Status.VOID,
    "canceled": Status.VOID,
    "void": Status.VOID,
}
BOOKS_INVOICE_STATUS: Mapping[str, Status] = {
    "draft": Status.DRAFT,
    "pending_approval": Status.DRAFT,
    "approved": Status.OPEN,
    "sent": Status.OPEN,
    "viewed": Status.OPEN,
    "unpaid": Status.OPEN,
    "overdue": Status.OPEN,
    "partially_paid": Status.PARTIALLY_PAID,
    "paid": Status.PAID,
    "void": Status.VOID,
}
BOOKS_SALES_ORDER_STATUS: Mapping[str, Status] = {"draft": Status.DRAFT, "void": Status.VOID}
BOOKS_CREDIT_NOTE_STATUS: Mapping[str, Status] = {
    "draft": Status.DRAFT,
    "open": Status.OPEN,
    "closed": Status.PAID,
    "void": Status.VOID,
}
BOOKS_PAYMENT_STATUS: Mapping[str, Status] = {"failure": Status.VOID, "void": Status.VOID}


def map_status(raw: str | None, table: Mapping[str, Status], default: Status) -> Status:
    """Canonical status for a vendor status; values outside the table (custom picklist values) get
    `default`, and the raw value is kept beside it so nothing is lost."""
    if raw is None:
        return default
    return table.get(raw.strip().casefold(), default)


# ----------------------------------------------------------------------------- compiled readers
#
# The common record shape read inline (issue 18): each field with its common type only — text a `str`,
# an amount a finite `Decimal` or an `int`, a lookup a `dict` — anything else raises `Declined`, and
# the full readers below normalize the record (connectors.fields.compiled). They read the fields the
# full readers read and pass the document the same keys; only the first failure's name differs, and a
# failing record is never theirs to name.


def _c_text(raw: RawRecord, key: str) -> str | None:
    value = raw.get(key)
    if type(value) is str:
        return value or None
    if value is None:
        return None
    raise Declined


def _c_opt(value: Any) -> str | None:
    if type(value) is str:
        return value or None
    if value is None:
        return None
    raise Declined


def _c_id(raw: Mapping[str, Any], key: str) -> str:
    value = raw.get(key)
    if type(value) is str and value:
        return value
    if type(value) is int:
        return str(value)
    raise Declined


def _c_number(value: Any) -> Decimal | None:
    if type(value) is Decimal:
        if value.is_finite():
            return value
        raise Declined
    if value is None:
        return None
    if type(value) is int:
        return Decimal(value)
    raise Declined


def _c_amount(raw: Mapping[str, Any], key: str) -> Decimal | None:
    value = raw.get(key)
    if type(value) is Decimal:
        if value.is_finite():
            return value
        raise Declined
    if value is None:
        return None
    if type(value) is int:
        return Decimal(value)
    raise Declined


def _c_rate(raw: RawRecord, key: str) -> Decimal | None:
    rate = _c_number(raw.get(key))
    return rate if rate is not None and rate > 0 else None


def _c_day(raw: RawRecord, key: str) -> date | None:
    value = _c_text(raw, key)
    return None if value is None else date.fromisoformat(value[:10])


def _c_time(raw: RawRecord, key: str, *, required: bool) -> datetime | None:
    value = _c_text(raw, key)
    if value is None:
        if required:
            raise Declined
        return None
    parsed = datetime.fromisoformat(value.strip())
    if parsed.utcoffset() is None:
        raise Declined
    return parsed.astimezone(UTC)


def _c_lookup(raw: RawRecord, key: str) -> tuple[str | None, str | None]:
    value = raw.get(key)
    if value is None:
        return None, None
    if type(value) is not dict:
        raise Declined
    return _c_opt(value.get("id")), _c_opt(value.get("name"))


def _c_references(raw: RawRecord, lookups: tuple[tuple[str, str], ...]) -> dict[str, str]:
    references = {}
    for name, key in lookups:
        target_id, _ = _c_lookup(raw, key)
        if target_id is not None:
            references[name] = target_id
    return references


_CRM_LINE_PICKS: Final = (
    ("total_after_discount", "total"),
    ("product_code",),
    ("description", "product_description"),
    ("quantity",),
    ("list_price", "unit_price"),
    ("tax",),
)
_crm_line_plans: dict[tuple[Any, ...], tuple[tuple[Any, ...], ...]] = {}
"""Per line-item key shape (its keys in order): the keys each of `_CRM_LINE_PICKS` reads, in the order
`_crm_line`'s `pick` tries them — the casefolding done once per shape, not per line."""


def _crm_line_plan(row: dict[Any, Any]) -> tuple[tuple[Any, ...], ...]:
    shape = tuple(row)
    plan = _crm_line_plans.get(shape)
    if plan is None:
        keys = {str(k).casefold(): k for k in row}
        plan = tuple(
            tuple(keys[name] for name in names if keys.get(name) is not None) for names in _CRM_LINE_PICKS
        )
        if len(_crm_line_plans) >= 256:
            _crm_line_plans.clear()
        _crm_line_plans[shape] = plan
    return plan


def _c_pick(row: dict[Any, Any], keys: tuple[Any, ...]) -> Any:
    for key in keys:
        value = row[key]
        if value is not None:
            return value
    return None


def _c_line_number(row: dict[Any, Any], keys: tuple[Any, ...]) -> Decimal | None:
    """`_c_number(_c_pick(row, keys))` in one call (four a line item)."""
    for key in keys:
        value = row[key]
        if value is not None:
            if type(value) is Decimal:
                if value.is_finite():
                    return value
                raise Declined
            if type(value) is int:
                return Decimal(value)
            raise Declined
    return None


def _c_crm_lines(raw: RawRecord, subform: str) -> tuple[dict[str, Any], ...]:
    rows = raw.get(subform)
    if rows is None:
        if raw.get("Product_Details") is not None:
            raise Declined
        return ()
    if type(rows) is not list:
        raise Declined
    lines = []
    for row in rows:
        if type(row) is not dict:
            raise Declined
        totals, codes, descriptions, quantities, prices, taxes = _crm_line_plan(row)
        product = row.get("Product_Name") or row.get("product") or {}
        if type(product) is not dict:
            raise Declined
        amount = _c_line_number(row, totals)
        if amount is None:
            raise Declined
        lines.append(
            {
                "product": _c_opt(product.get("name")),
                "product_external_id": _c_opt(product.get("id")),
                "sku": _c_opt(product.get("Product_Code")) or _c_opt(_c_pick(row, codes)),
                "description": _c_opt(_c_pick(row, descriptions)),
                "quantity": _c_line_number(row, quantities),
                "unit_price": _c_line_number(row, prices),
                "amount": amount,
                "tax": _c_line_number(row, taxes),
            }
        )
    return tuple(lines)


def _c_crm_header_amount(raw: RawRecord, key: str) -> Decimal | None:
    if key not in raw:
        return None
    value = _c_amount(raw, key)
    return Decimal(0) if value is None else value


def _c_crm_common(raw: RawRecord, fields: dict[str, Any]) -> CanonicalDocument:
    account_id, account_name = _c_lookup(raw, "Account_Name")
    owner_id, owner_name = _c_lookup(raw, "Owner")
    adjustment = _c_crm_header_amount(raw, "Adjustment")
    for key in CRM_UNMODELLED:
        if _c_amount(raw, key):
            adjustment = None
    fields["party"] = (
        {"external_id": account_id, "name": account_name} if account_id or account_name else None
    )
    fields["owner"] = owner_name or owner_id
    fields["currency"] = _c_text(raw, "Currency")
    fields["exchange_rate"] = _c_rate(raw, "Exchange_Rate")
    fields["subtotal"] = _c_amount(raw, "Sub_Total")
    fields["tax"] = _c_amount(raw, "Tax")
    fields["total"] = _c_amount(raw, "Grand_Total")
    fields["source_modified_at"] = _c_time(raw, "Modified_Time", required=True)
    fields["discount"] = _c_crm_header_amount(raw, "Discount")
    fields["shipping"] = Decimal(0)
    fields["adjustment"] = adjustment
    fields["rounding"] = Decimal(0)
    fields["tax_inclusive"] = False
    return build_document(fields)


def _c_crm_sales_order(raw: RawRecord, ctx: NormalizeContext) -> CanonicalDocument:
    status = _c_text(raw, "Status")
    created = _c_time(raw, "Created_Time", required=False)
    fields = {
        "source": ctx.source,
        "kind": DocumentKind.SALES_ORDER,
        "external_id": _c_id(raw, "id"),
        "number": _c_text(raw, "SO_Number"),
        "issued_on": created.astimezone(ctx.timezone).date() if created else None,
        "due_on": _c_day(raw, "Due_Date"),
        "status": map_status(status, CRM_SALES_ORDER_STATUS, Status.OPEN),
        "raw_status": status,
        "references": _c_references(raw, (("quote", "Quote_Name"), ("deal", "Deal_Name"))),
        "lines": _c_crm_lines(raw, "Ordered_Items"),
    }
    return _c_crm_common(raw, fields)


def _c_crm_invoice(raw: RawRecord, ctx: NormalizeContext) -> CanonicalDocument:
    status = _c_text(raw, "Status")
    fields = {
        "source": ctx.source,
        "kind": DocumentKind.INVOICE,
        "external_id": _c_id(raw, "id"),
        "number": _c_text(raw, "Invoice_Number"),
        "issued_on": _c_day(raw, "Invoice_Date"),
        "due_on": _c_day(raw, "Due_Date"),
        "status": map_status(status, CRM_INVOICE_STATUS, Status.OPEN),
        "raw_status": status,
        "references": _c_references(raw, (("sales_order", "Sales_Order"),)),
        "lines": _c_crm_lines(raw, "Invoiced_Items"),
    }
    return _c_crm_common(raw, fields)


def _c_books_common(raw: RawRecord, fields: dict[str, Any], *, total: bool = True) -> None:
    customer_id, customer_name = _c_text(raw, "customer_id"), _c_text(raw, "customer_name")
    reference = _c_text(raw, "reference_number")
    fields["party"] = (
        {"external_id": customer_id, "name": customer_name} if customer_id or customer_name else None
    )
    fields["issued_on"] = _c_day(raw, "date")
    fields["currency"] = _c_text(raw, "currency_code")
    fields["exchange_rate"] = _c_rate(raw, "exchange_rate")
    fields["references"] = {"reference_number": reference} if reference else {}
    fields["source_modified_at"] = _c_time(raw, "last_modified_time", required=True)
    if total:
        fields["total"] = _c_amount(raw, "total")


def _c_books_components(raw: RawRecord, fields: dict[str, Any]) -> None:
    """`books_components` of a header without line items or a TDS summary (the lists' records)."""
    if raw.get("line_items") is not None or raw.get("tds_summary") is not None:
        raise Declined
    adjustment = _c_amount(raw, "adjustment")
    for key in BOOKS_UNMODELLED_HEADER:
        if _c_amount(raw, key):
            adjustment = None
    kind = _c_text(raw, "discount_type")
    amount = _c_amount(raw, "discount_amount")
    if amount is None:
        amount = _c_amount(raw, "discount_total")
    if kind == "item_level":
        discount: Decimal | None = Decimal(0)
    elif kind == "entity_level":
        discount = amount
    else:
        discount = amount if amount == 0 else None
    rounding = _c_amount(raw, "roundoff_value")
    if rounding is None and _c_text(raw, "transaction_rounding_type") == "no_rounding":
        rounding = Decimal(0)
    inclusive = raw.get("is_inclusive_tax")
    if inclusive is not None and type(inclusive) is not bool:
        raise Declined
    fields["discount"] = discount
    fields["shipping"] = _c_amount(raw, "shipping_charge")
    fields["adjustment"] = adjustment
    fields["rounding"] = rounding
    fields["tax_inclusive"] = inclusive


def _c_allocations(raw: RawRecord, key: str) -> tuple[dict[str, Any], ...]:
    rows = raw.get(key)
    if rows is None:
        return ()
    if type(rows) is not list:
        raise Declined
    allocations = []
    for row in rows:
        if type(row) is not dict:
            raise Declined
        amount = _c_amount(row, "amount_applied")
        if amount is None or amount == 0:
            continue
        allocations.append({"invoice_external_id": _c_id(row, "invoice_id"), "amount": amount})
    return tuple(allocations)


def _c_books_invoice(raw: RawRecord, ctx: NormalizeContext) -> CanonicalDocument:
    status = _c_text(raw, "status")
    fields = {
        "source": ctx.source,
        "kind": DocumentKind.INVOICE,
        "external_id": _c_id(raw, "invoice_id"),
        "number": _c_text(raw, "invoice_number"),
        "due_on": _c_day(raw, "due_date"),
        "subtotal": _c_amount(raw, "sub_total"),
        "tax": _c_amount(raw, "tax_total"),
        "balance": _c_amount(raw, "balance"),
        "status": map_status(status, BOOKS_INVOICE_STATUS, Status.OPEN),
        "raw_status": status,
        "lines": (),
        "owner": _c_text(raw, "salesperson_name"),
    }
    _c_books_common(raw, fields)
    _c_books_components(raw, fields)
    return build_document(fields)


def _c_books_sales_order(raw: RawRecord, ctx: NormalizeContext) -> CanonicalDocument:
    status = _c_text(raw, "status") or _c_text(raw, "order_status")
    fields = {
        "source": ctx.source,
        "kind": DocumentKind.SALES_ORDER,
        "external_id": _c_id(raw, "salesorder_id"),
        "number": _c_text(raw, "salesorder_number"),
        "subtotal": _c_amount(raw, "sub_total"),
        "tax": _c_amount(raw, "tax_total"),
        "status": map_status(status, BOOKS_SALES_ORDER_STATUS, Status.OPEN),
        "raw_status": status,
        "lines": (),
        "owner": _c_text(raw, "salesperson_name"),
    }
    _c_books_common(raw, fields)
    _c_books_components(raw, fields)
    return build_document(fields)


def _c_books_payment(raw: RawRecord, ctx: NormalizeContext) -> CanonicalDocument:
    status = _c_text(raw, "status")
    fields = {
        "source": ctx.source,
        "kind": DocumentKind.PAYMENT,
        "external_id": _c_id(raw, "payment_id"),
        "number": _c_text(raw, "payment_number"),
        "total": _c_amount(raw, "amount"),
        "balance": _c_amount(raw, "unused_amount"),
        "status": map_status(status, BOOKS_PAYMENT_STATUS, Status.PAID),
        "raw_status": status,
        "allocations": _c_allocations(raw, "invoices"),
    }
    _c_books_common(raw, fields, total=False)
    return build_document(fields)


def _c_books_credit_note(raw: RawRecord, ctx: NormalizeContext) -> CanonicalDocument:
    status = _c_text(raw, "status")
    fields = {
        "source": ctx.source,
        "kind": DocumentKind.CREDIT_NOTE,
        "external_id": _c_id(raw, "creditnote_id"),
        "number": _c_text(raw, "creditnote_number"),
        "subtotal": _c_amount(raw, "sub_total"),
        "tax": _c_amount(raw, "tax_total"),
        "balance": _c_amount(raw, "balance"),
        "status": map_status(status, BOOKS_CREDIT_NOTE_STATUS, Status.OPEN),
        "raw_status": status,
        "allocations": _c_allocations(raw, "invoices_credited"),
    }
    _c_books_common(raw, fields)
    _c_books_components(raw, fields)
    return build_document(fields)


# ----------------------------------------------------------------------------- CRM


@compiled(_c_crm_sales_order)
def crm_sales_order(raw: RawRecord, ctx: NormalizeContext) -> CanonicalDocument:
    """A CRM Sales_Orders record. Sales orders have no order-date field: `issued_on` is the date of
    Created_Time in the company's time zone."""
    status = _text(raw, "Status")
    created = _datetime(raw, "Created_Time", required=False)
    return _document(
        ctx,
        raw,
        kind=DocumentKind.SALES_ORDER,
        external_id=_id(raw, "id"),
        number=_text(raw, "SO_Number"),
        issued_on=created.astimezone(ctx.timezone).date() if created else None,
        due_on=_date(raw, "Due_Date"),
        status=map_status(status, CRM_SALES_ORDER_STATUS, Status.OPEN),
        raw_status=status,
        references=_references(raw, {"quote": "Quote_Name", "deal": "Deal_Name"}),
        lines=_crm_lines(raw, "Ordered_Items"),
        **_crm_common(raw),
    )


@compiled(_c_crm_invoice)
def crm_invoice(raw: RawRecord, ctx: NormalizeContext) -> CanonicalDocument:
    """A CRM Invoices record; its Sales_Order lookup becomes `references.sales_order`."""
    status = _text(raw, "Status")
    return _document(
        ctx,
        raw,
        kind=DocumentKind.INVOICE,
        external_id=_id(raw, "id"),
        number=_text(raw, "Invoice_Number"),
        issued_on=_date(raw, "Invoice_Date"),
        due_on=_date(raw, "Due_Date"),
        status=map_status(status, CRM_INVOICE_STATUS, Status.OPEN),
        raw_status=status,
        references=_references(raw, {"sales_order": "Sales_Order"}),
        lines=_crm_lines(raw, "Invoiced_Items"),
        **_crm_common(raw),
    )


DELETED_ENTRY = "_deleted_entry"
"""Key the CRM stream adds to an entry of `GET /{Module}/deleted` it passes on as a record (its value:
the module's canonical kind), so the stream's normalize() makes it a tombstone."""


def crm_deleted_entry(raw: RawRecord, ctx: NormalizeContext) -> CanonicalDocument:
    """An entry of CRM's `/{Module}/deleted` as a tombstone: a deleted document with what the entry says.

    `display_name` is the record's name field (an invoice's or order's Subject, which carries its
    number; an account's name) — kept as the number, or for an account as the party; a permanently
    deleted entry has none (null). Who deleted it (`deleted_by.name`) and when (`deleted_time`, UTC)
    go to references `deleted_by` / `deleted_at`, for the `deleted_in_source` explanation. No
    `source_modified_at`: a deletion time must not move an ordered stream's cursor (see CrmStream)."""
    kind = DocumentKind(str(raw.get(DELETED_ENTRY)))
    name = _text(raw, "display_name")
    deleted_by = raw.get("deleted_by")
    who = _opt_str(deleted_by.get("name")) if isinstance(deleted_by, Mapping) else None
    when = _datetime(raw, "deleted_time", required=False)
    references = {"deleted_by": who} if who else {}
    if when is not None:
        references["deleted_at"] = when.isoformat().replace("+00:00", "Z")
    by_name = kind is DocumentKind.CUSTOMER
    return _document(
        ctx,
        raw,
        kind=kind,
        external_id=_id(raw, "id"),
        number=None if by_name else name,
        party=PartyRef(external_id=_id(raw, "id"), name=name) if by_name and name else None,
        status=Status.DELETED,
        raw_status=_text(raw, "type"),
        references=references,
    )


def crm_account(raw: RawRecord, ctx: NormalizeContext) -> CanonicalDocument:
    """A CRM Accounts record -> a customer (the account itself is the party)."""
    external_id = _id(raw, "id")
    return _document(
        ctx,
        raw,
        kind=DocumentKind.CUSTOMER,
        external_id=external_id,
        number=_text(raw, "Account_Number"),
        party=PartyRef(external_id=external_id, name=_text(raw, "Account_Name")),
        owner=_owner(raw),
        source_modified_at=_datetime(raw, "Modified_Time", required=True),
    )


def crm_product(raw: RawRecord, ctx: NormalizeContext) -> CanonicalDocument:
    """A CRM Products record -> a product, described by one line (name, code, unit price)."""
    external_id = _id(raw, "id")
    price = _amount(raw, "Unit_Price")
    line = _line(
        "Unit_Price",
        product=_text(raw, "Product_Name"),
        product_external_id=external_id,
        sku=_text(raw, "Product_Code"),
        description=_text(raw, "Description"),
        unit_price=price,
        amount=price if price is not None else Decimal(0),
    )
    active = raw.get("Product_Active")
    return _document(
        ctx,
        raw,
        kind=DocumentKind.PRODUCT,
        external_id=external_id,
        number=_text(raw, "Product_Code"),
        owner=_owner(raw),
        status=Status.VOID if active is False else Status.OPEN,
        lines=(line,),
        source_modified_at=_datetime(raw, "Modified_Time", required=True),
    )


def _crm_common(raw: RawRecord) -> dict[str, Any]:
    account_id, account_name = _lookup(raw, "Account_Name")
    return {
        "party": PartyRef(external_id=account_id, name=account_name) if account_id or account_name else None,
        "owner": _owner(raw),
        "currency": _text(raw, "Currency"),
        "exchange_rate": _rate(raw, "Exchange_Rate"),
        "subtotal": _amount(raw, "Sub_Total"),
        "tax": _amount(raw, "Tax"),
        "total": _amount(raw, "Grand_Total"),
        "source_modified_at": _datetime(raw, "Modified_Time", required=True),
        **_crm_components(raw),
    }


CRM_UNMODELLED: tuple[str, ...] = ("Excise_Duty",)
"""CRM header amounts the total identity has no place for. Whether Excise_Duty is inside Grand_Total is
not documented [verify on a live org]: when it is non-zero the adjustment is left unknown, so the
document's total is not audited rather than flagged on a guess."""


def _crm_components(raw: RawRecord) -> dict[str, Any]:
    """What a CRM inventory total is made of: Grand_Total = Sub_Total - Discount + Tax + Adjustment
    (Zoho's published Sales Orders/Invoices response examples; docs/connectors/zoho.md). Sub_Total is the
    sum of the line totals after their line discounts (the line amount read here), so the header
    `Discount` is the document-level discount only and is not counted twice. CRM has no shipping or
    rounding header fields (0) and adds Tax on top (tax_inclusive False)."""
    adjustment = _crm_header_amount(raw, "Adjustment")
    if any(_amount(raw, key) for key in CRM_UNMODELLED):
        adjustment = None
    return {
        "discount": _crm_header_amount(raw, "Discount"),
        "shipping": Decimal(0),
        "adjustment": adjustment,
        "rounding": Decimal(0),
        "tax_inclusive": False,
    }


def _crm_header_amount(raw: RawRecord, key: str) -> Decimal | None:
    """A header amount: absent from the payload (not requested in `fields`) = unknown; JSON null is how
    CRM sends an empty field (api-notes zoho.md 2.7), which for an amount means none = 0."""
    if key not in raw:
        return None
    value = _amount(raw, key)
    return Decimal(0) if value is None else value


def _crm_lines(raw: RawRecord, subform: str) -> tuple[Line, ...]:
    """Line items of a v4+ subform (`Ordered_Items` / `Invoiced_Items`), whatever the key casing
    (Zoho's examples show both `Quantity` and `quantity`). A v2-style `Product_Details` list (the
    pre-v4 name, seen in old exports and v2 integrations) is read deliberately when the subform is
    absent: its rows have the same amounts, with the product under `product` instead of `Product_Name`."""
    rows = raw.get(subform)
    name = subform
    if rows is None and raw.get("Product_Details") is not None:
        rows, name = raw.get("Product_Details"), "Product_Details"
    if rows is None:
        return ()
    if not isinstance(rows, Sequence) or isinstance(rows, str):
        raise RecordError("line items must be a list", field=name, rule=Rule.NOT_A_LIST, value=rows)
    return tuple(_crm_line(row, f"{name}[{i}]") for i, row in enumerate(rows))


def _crm_line(row: Any, where: str) -> Line:
    if not isinstance(row, Mapping):
        raise RecordError("a line item must be an object", field=where, rule=Rule.NOT_AN_OBJECT, value=row)
    keys = {str(k).casefold(): k for k in row}

    def pick(*names: str) -> tuple[str | None, Any]:
        """The first of `names` present (any casing) and not null: (its key, its value), else (None,
        None). The field's name for an error message is made only when there is one (issue 18)."""
        for candidate in names:
            key = keys.get(candidate)
            if key is not None and (value := row[key]) is not None:
                return key, value
        return None, None

    def number(*names: str) -> Decimal | None:
        key, value = pick(*names)
        if type(value) is Decimal and value.is_finite():  # nearly every call: the HTTP loop's number
            return value
        return _to_decimal(f"{where}.{key or names[0]}", value)

    product = row.get("Product_Name") or row.get("product") or {}
    if not isinstance(product, Mapping):
        raise RecordError(
            "the product lookup must be an object",
            field=f"{where}.Product_Name",
            rule=Rule.NOT_AN_OBJECT,
            value=product,
        )
    if pick("total_after_discount", "total")[1] is None:
        raise RecordError(
            "a line item needs a total", field=f"{where}.total_after_discount", rule=Rule.MISSING
        )
    return _line(
        where,
        product=_opt_str(product.get("name")),
        product_external_id=_opt_str(product.get("id")),
        sku=_opt_str(product.get("Product_Code")) or _opt_str(pick("product_code")[1]),
        description=_opt_str(pick("description", "product_description")[1]),
        quantity=number("quantity"),
        unit_price=number("list_price", "unit_price"),
        amount=number("total_after_discount", "total"),
        tax=number("tax"),
    )


# ----------------------------------------------------------------------------- Books


@compiled(_c_books_invoice)
def books_invoice(raw: RawRecord, ctx: NormalizeContext) -> CanonicalDocument:
    """A Books invoice as the list returns it (header totals; line items only if the payload has them)."""
    status = _text(raw, "status")
    return _document(
        ctx,
        raw,
        kind=DocumentKind.INVOICE,
        external_id=_id(raw, "invoice_id"),
        number=_text(raw, "invoice_number"),
        due_on=_date(raw, "due_date"),
        subtotal=_amount(raw, "sub_total"),
        tax=_amount(raw, "tax_total"),
        balance=_amount(raw, "balance"),
        status=map_status(status, BOOKS_INVOICE_STATUS, Status.OPEN),
        raw_status=status,
        lines=_books_lines(raw),
        owner=_text(raw, "salesperson_name"),
        **_books_common(raw),
        **books_components(raw),
    )


@compiled(_c_books_sales_order)
def books_sales_order(raw: RawRecord, ctx: NormalizeContext) -> CanonicalDocument:
    status = _text(raw, "status") or _text(raw, "order_status")
    return _document(
        ctx,
        raw,
        kind=DocumentKind.SALES_ORDER,
        external_id=_id(raw, "salesorder_id"),
        number=_text(raw, "salesorder_number"),
        subtotal=_amount(raw, "sub_total"),
        tax=_amount(raw, "tax_total"),
        status=map_status(status, BOOKS_SALES_ORDER_STATUS, Status.OPEN),
        raw_status=status,
        lines=_books_lines(raw),
        owner=_text(raw, "salesperson_name"),
        **_books_common(raw),
        **books_components(raw),
    )


@compiled(_c_books_payment)
def books_payment(raw: RawRecord, ctx: NormalizeContext) -> CanonicalDocument:
    """A customer payment: `invoices[].amount_applied` -> allocations, `unused_amount` -> balance
    (the unapplied part). The list may omit `invoices`; the stream then reads the payment's detail."""
    status = _text(raw, "status")
    return _document(
        ctx,
        raw,
        kind=DocumentKind.PAYMENT,
        external_id=_id(raw, "payment_id"),
        number=_text(raw, "payment_number"),
        total=_amount(raw, "amount"),
        balance=_amount(raw, "unused_amount"),
        status=map_status(status, BOOKS_PAYMENT_STATUS, Status.PAID),
        raw_status=status,
        allocations=_allocations(raw, "invoices"),
        **_books_common(raw, total=False),
    )


@compiled(_c_books_credit_note)
def books_credit_note(raw: RawRecord, ctx: NormalizeContext) -> CanonicalDocument:
    """A credit note: `invoices_credited[].amount_applied` -> allocations, `balance` = still unused."""
    status = _text(raw, "status")
    return _document(
        ctx,
        raw,
        kind=DocumentKind.CREDIT_NOTE,
        external_id=_id(raw, "creditnote_id"),
        number=_text(raw, "creditnote_number"),
        subtotal=_amount(raw, "sub_total"),
        tax=_amount(raw, "tax_total"),
        balance=_amount(raw, "balance"),
        status=map_status(status, BOOKS_CREDIT_NOTE_STATUS, Status.OPEN),
        raw_status=status,
        allocations=_allocations(raw, "invoices_credited"),
        **_books_common(raw),
        **books_components(raw),
    )


def _books_common(raw: RawRecord, *, total: bool = True) -> dict[str, Any]:
    customer_id, customer_name = _text(raw, "customer_id"), _text(raw, "customer_name")
    common: dict[str, Any] = {
        "party": PartyRef(external_id=customer_id, name=customer_name)
        if customer_id or customer_name
        else None,
        "issued_on": _date(raw, "date"),
        "currency": _text(raw, "currency_code"),
        "exchange_rate": _rate(raw, "exchange_rate"),
        "references": {"reference_number": ref} if (ref := _text(raw, "reference_number")) else {},
        "source_modified_at": _datetime(raw, "last_modified_time", required=True),
    }
    if total:
        common["total"] = _amount(raw, "total")
    return common


BOOKS_UNMODELLED_HEADER: tuple[str, ...] = ("tds_amount", "tcs_amount", "total_retention_amount")
"""Books header amounts that change a total without a canonical component (India's TDS/TCS, retention)."""


def books_components(raw: RawRecord) -> dict[str, Any]:
    """What a Books invoice, sales order or credit note total is made of, in Zoho's own discount order.

    - `discount_type` "item_level": the discounts are inside the line `item_total`s and `sub_total`, so
      the document discount is 0 (repeating them would count them twice). "entity_level": the header
      discount amount (`discount_amount`, else `discount_total`) is the document discount. Without a
      type, a zero amount is still no discount; anything else is unknown.
    - `is_discount_before_tax` decides what the tax is computed on, so it is already inside `tax_total`;
      the identity total = sub_total - discount + shipping + adjustment + rounding (+ tax) is the same
      either way.
    - `shipping_charge`, `adjustment`, `roundoff_value` (a `transaction_rounding_type` of "no_rounding"
      says rounding is 0), `is_inclusive_tax`.
    A field absent from the payload (the list endpoint leaves most out) is None: unknown, never guessed.
    A non-zero component the canonical model has no field for (India's TDS on a line or in
    `tds_summary`, TCS, retention) leaves the adjustment unknown, so the total is not audited."""
    adjustment = _amount(raw, "adjustment")
    if _has_unmodelled_component(raw):
        adjustment = None
    return {
        "discount": _books_discount(raw),
        "shipping": _amount(raw, "shipping_charge"),
        "adjustment": adjustment,
        "rounding": _books_rounding(raw),
        "tax_inclusive": _flag(raw, "is_inclusive_tax"),
    }


def _books_discount(raw: RawRecord) -> Decimal | None:
    kind = _text(raw, "discount_type")
    amount = _amount(raw, "discount_amount")
    if amount is None:
        amount = _amount(raw, "discount_total")
    if kind == "item_level":
        return Decimal(0)
    if kind == "entity_level":
        return amount
    return amount if amount == 0 else None


def _books_rounding(raw: RawRecord) -> Decimal | None:
    rounding = _amount(raw, "roundoff_value")
    if rounding is None and _text(raw, "transaction_rounding_type") == "no_rounding":
        return Decimal(0)
    return rounding


def _has_unmodelled_component(raw: RawRecord) -> bool:
    if any(_amount(raw, key) for key in BOOKS_UNMODELLED_HEADER):
        return True
    for key, field in (("tds_summary", "tds_amount"), ("line_items", "tds_tax_amount")):
        rows = raw.get(key)
        if isinstance(rows, Sequence) and not isinstance(rows, str):
            for i, row in enumerate(rows):
                if isinstance(row, Mapping) and _amount(row, field, where=f"{key}[{i}]"):
                    return True
    return False


def _flag(raw: RawRecord, key: str) -> bool | None:
    value = raw.get(key)
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, str) and value.casefold() in ("true", "false"):
        return value.casefold() == "true"
    raise RecordError(
        f"must be true or false, got {value!r}", field=key, rule=Rule.NOT_A_BOOLEAN, value=value
    )


def _allocations(raw: RawRecord, key: str) -> tuple[Allocation, ...]:
    rows = raw.get(key)
    if rows is None:
        return ()
    if not isinstance(rows, Sequence) or isinstance(rows, str):
        raise RecordError("must be a list", field=key, rule=Rule.NOT_A_LIST, value=rows)
    allocations = []
    for i, row in enumerate(rows):
        where = f"{key}[{i}]"
        if not isinstance(row, Mapping):
            raise RecordError("must be an object", field=where, rule=Rule.NOT_AN_OBJECT, value=row)
        amount = _amount(row, "amount_applied", where=where)
        if amount is None or amount == 0:
            continue
        allocations.append(Allocation(invoice_external_id=_id(row, "invoice_id", where=where), amount=amount))
    return tuple(allocations)


def _books_lines(raw: RawRecord) -> tuple[Line, ...]:
    """Books line items, present only in single-record payloads (the lists carry header totals)."""
    lines = []
    for where, row in object_rows(raw, "line_items"):
        amount = _amount(row, "item_total", where=where)
        if amount is None:
            raise RecordError("a line item needs item_total", field=f"{where}.item_total", rule=Rule.MISSING)
        lines.append(
            _line(
                where,
                product=_text(row, "name"),
                product_external_id=_text(row, "item_id"),
                sku=_text(row, "sku"),
                description=_text(row, "description"),
                quantity=_to_decimal(f"{where}.quantity", row.get("quantity")),
                unit_price=_amount(row, "rate", where=where),
                amount=amount,
            )
        )
    return tuple(lines)


# ----------------------------------------------------------------------------- field readers


def _document(ctx: NormalizeContext, raw: RawRecord, **fields: Any) -> CanonicalDocument:
    return document(ctx.source, **fields)


def _id(raw: Mapping[str, Any], key: str, *, where: str = "") -> str:
    value = raw.get(key)
    name = f"{where}.{key}" if where else key
    if value is None or value == "":
        raise RecordError("is missing", field=name, rule=Rule.MISSING)
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise RecordError(
            f"must be a string of digits, got {type(value).__name__}",
            field=name,
            rule=Rule.NOT_AN_ID,
            value=value,
        )
    return str(value)


def _lookup(raw: RawRecord, key: str) -> tuple[str | None, str | None]:
    value = raw.get(key)
    if value is None:
        return None, None
    if not isinstance(value, Mapping):
        raise RecordError(
            "a lookup must be an object with id and name", field=key, rule=Rule.NOT_AN_OBJECT, value=value
        )
    return _opt_str(value.get("id")), _opt_str(value.get("name"))


def _references(raw: RawRecord, lookups: Mapping[str, str]) -> dict[str, str]:
    references = {}
    for name, key in lookups.items():
        target_id, _ = _lookup(raw, key)
        if target_id is not None:
            references[name] = target_id
    return references


def _owner(raw: RawRecord) -> str | None:
    owner_id, owner_name = _lookup(raw, "Owner")
    return owner_name or owner_id


def _amount(raw: Mapping[str, Any], key: str, *, where: str = "") -> Decimal | None:
    value = raw.get(key)
    if type(value) is Decimal and value.is_finite():  # nearly every call: no field name to make
        return value
    return _to_decimal(field_name(key, where), value)


def _rate(raw: RawRecord, key: str) -> Decimal | None:
    """Exchange rate as the vendor gives it (its direction is unverified: see docs/connectors/zoho.md);
    a missing or zero rate means unknown."""
    rate = _amount(raw, key)
    return rate if rate is not None and rate > 0 else None


def _date(raw: RawRecord, key: str) -> date | None:
    return iso_day(_text(raw, key), key)


def _datetime(raw: RawRecord, key: str, *, required: bool) -> datetime | None:
    """'2026-11-27T16:00:00+08:00' (CRM) or '2026-11-27T16:00:00+0800' (Books) -> aware UTC datetime."""
    return cursor_time(_text(raw, key), key, required=required)
