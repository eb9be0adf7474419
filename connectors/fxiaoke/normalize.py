"""Pure Fxiaoke record → canonical document mapping (api-notes §7, §8; docs/connectors/fxiaoke.md).

Amounts arrive as strings ("1.00"; numbers accepted too) → Decimal; `last_modified_time` (ms) → UTC;
date-only fields (ms at midnight tenant time) → the date in the company's zone; `mc_currency` /
`mc_exchange_rate` when present, else the base currency; `life_status` → canonical status
(`invalid` 作废 → void); `owner` (a list of employee ids) → its first id; `account_id__r` → party name.
Detail rows ride along under `raw["details"][<detail apiName>]`. A record that cannot be trusted raises
`RecordError` naming the field.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from functools import partial
from typing import Any

from pydantic import ValidationError

from connectors.base import NormalizeContext, RawRecord
from connectors.errors import RecordError
from connectors.fields import Declined, build_document, compiled
from connectors.reasons import Rule
from store.canonical import (
    MONEY_LIMIT,
    MONEY_QUANTUM,
    Allocation,
    CanonicalDocument,
    DocumentKind,
    Line,
    PartyRef,
    Status,
)

DETAILS = "details"
"""Key under which a stream attaches detail rows to their master record."""
ORDER_LINES = "SalesOrderProductObj"
PAYMENT_ALLOCATIONS = "OrderPaymentObj"
INVOICE_LINES = "InvoiceApplicationLinesObj"
APPLICATION_REFERENCE = "invoice_application"
UNAVAILABLE_REFERENCE = "details_unavailable"
"""A document whose detail object the tenant would not let us read (`raw["details"][<apiName>]` is None)
names that object under this reference: its lines (or allocations) are unknown, not absent."""

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_STATUS = {
    "ineffective": Status.DRAFT,  # 未生效
    "under_review": Status.DRAFT,  # 审核中
    "normal": Status.OPEN,  # 正常
    "in_change": Status.OPEN,  # 变更中
    "invalid": Status.VOID,  # 已作废
}

Normalizer = Callable[[RawRecord, NormalizeContext], CanonicalDocument]


# ----------------------------------------------------------------------------- field readers


def _text(raw: RawRecord, name: str, *, required: bool = False) -> str | None:
    value = raw.get(name)
    if type(value) is str and value:  # nearly every call: the text itself, without the checks below
        return value
    if value is None or value == "":
        if required:
            raise RecordError("is missing", field=name, rule=Rule.MISSING)
        return None
    if isinstance(value, list):  # employee / lookup lists: the first entry
        return _text({name: value[0]}, name, required=required) if value else None
    if isinstance(value, bool | dict):
        raise RecordError(f"is not text: {value!r}", field=name, rule=Rule.NOT_TEXT, value=value)
    return str(value)


def _decimal(raw: RawRecord, name: str, *, required: bool = False, money: bool = False) -> Decimal | None:
    value = raw.get(name)
    if value is None or value == "":
        if required:
            raise RecordError("is missing", field=name, rule=Rule.MISSING)
        return None
    if isinstance(value, bool) or not isinstance(value, str | int | Decimal):
        raise RecordError(f"is not a number: {value!r}", field=name, rule=Rule.NOT_A_NUMBER, value=value)
    try:
        number = Decimal(value.strip().replace(",", "")) if isinstance(value, str) else Decimal(value)
    except InvalidOperation:
        raise RecordError(
            f"is not a number: {value!r}", field=name, rule=Rule.NOT_A_NUMBER, value=value
        ) from None
    if not number.is_finite():
        raise RecordError(f"is not a finite number: {value!r}", field=name, rule=Rule.NOT_FINITE, value=value)
    if money and (number != number.quantize(MONEY_QUANTUM) or abs(number) >= MONEY_LIMIT):
        raise RecordError(
            f"is not an amount the ledger keeps exactly: {value!r}",
            field=name,
            rule=Rule.TOO_LARGE if abs(number) >= MONEY_LIMIT else Rule.TOO_PRECISE,
            value=value,
        )
    return number


def _money(raw: RawRecord, name: str) -> Decimal | None:
    return _decimal(raw, name, money=True)


def _amount(raw: RawRecord, name: str) -> Decimal:
    number = _decimal(raw, name, required=True, money=True)
    assert number is not None
    return number


def _ms(raw: RawRecord, name: str, *, required: bool = False) -> int | None:
    value = raw.get(name)
    if value is None or value == "":
        if required:
            raise RecordError("is missing", field=name, rule=Rule.MISSING)
        return None
    if isinstance(value, bool) or not str(value).lstrip("-").isdigit():
        raise RecordError(
            f"is not a millisecond timestamp: {value!r}", field=name, rule=Rule.NOT_A_TIMESTAMP, value=value
        )
    return int(str(value))


def _moment(raw: RawRecord, name: str) -> datetime:
    ms = _ms(raw, name, required=True)
    assert ms is not None
    return _EPOCH + timedelta(milliseconds=ms)


def _day(raw: RawRecord, name: str, ctx: NormalizeContext) -> date | None:
    ms = _ms(raw, name)
    return None if ms is None else (_EPOCH + timedelta(milliseconds=ms)).astimezone(ctx.timezone).date()


def _currency(raw: RawRecord, ctx: NormalizeContext) -> tuple[str, Decimal | None]:
    code = _text(raw, "mc_currency")
    if code is None:
        return ctx.base_currency, None
    if len(code) != 3 or not code.isascii() or not code.isalpha():
        raise RecordError(
            f"is not an ISO currency code: {code!r}",
            field="mc_currency",
            rule=Rule.NOT_A_CURRENCY,
            value=code,
        )
    rate = _decimal(raw, "mc_exchange_rate")
    if rate is not None and rate <= 0:
        raise RecordError(
            f"must be positive: {rate}", field="mc_exchange_rate", rule=Rule.NOT_POSITIVE, value=rate
        )
    return code.upper(), rate


def _status(raw: RawRecord) -> tuple[Status, str | None]:
    life = _text(raw, "life_status")
    return _STATUS.get(life or "normal", Status.OPEN), life


def _party(raw: RawRecord) -> PartyRef:
    return PartyRef(external_id=_text(raw, "account_id", required=True), name=_text(raw, "account_id__r"))


def _ledger(raw: RawRecord, ctx: NormalizeContext, date_field: str) -> dict[str, Any]:
    """What every order, payment and invoice application carries: number, party, date, currency."""
    currency, rate = _currency(raw, ctx)
    return {
        "number": _text(raw, "name", required=True),
        "party": _party(raw),
        "issued_on": _day(raw, date_field, ctx),
        "currency": currency,
        "exchange_rate": rate,
    }


def unavailable_details(raw: RawRecord) -> list[str]:
    """The detail objects a stream could not read for this record (attached as None, not as rows)."""
    details = raw.get(DETAILS)
    if not isinstance(details, Mapping):
        return []
    return sorted(str(name) for name, rows in details.items() if rows is None)


def _details(raw: RawRecord, api_name: str) -> list[Mapping[str, Any]]:
    details = raw.get(DETAILS) or {}
    rows = details.get(api_name, []) if isinstance(details, Mapping) else None
    if isinstance(details, Mapping) and api_name in details and rows is None:
        return []  # the object was unavailable: no rows, and the reference says they are unknown
    if not isinstance(rows, list) or not all(isinstance(r, Mapping) for r in rows):
        raise RecordError(
            "is not a list of rows", field=f"{DETAILS}.{api_name}", rule=Rule.NOT_A_LIST, value=rows
        )
    return sorted(rows, key=_detail_order)


def _detail_order(row: Mapping[str, Any]) -> str:
    """The order detail rows are read in, by both readers: by `_id`."""
    return str(row.get("_id", ""))


def _each_detail(raw: RawRecord, api_name: str, read: Callable[[Mapping[str, Any]], Any]) -> tuple[Any, ...]:
    return tuple(
        _checked(partial(read, row), f"{DETAILS}.{api_name}[{index}]")
        for index, row in enumerate(_details(raw, api_name))
    )


def _checked(make: Callable[[], Any], where: str | None = None) -> Any:
    """Run a model constructor; its validation failure becomes a RecordError naming the field."""
    try:
        return make()
    except RecordError as exc:
        if not where:
            raise
        message = exc.reason.removeprefix(f"{exc.field}: ") if exc.field else exc.reason
        moved = RecordError(message, field=f"{where}.{exc.field}" if exc.field else where, rule=exc.rule)
        moved.value = exc.value
        raise moved from None
    except ValidationError as exc:
        error = exc.errors()[0]
        loc = ".".join(str(part) for part in error["loc"])
        field = ".".join(p for p in (where, loc) if p) or None
        raise RecordError.from_validation(error, error["msg"], field=field) from None


def _build(raw: RawRecord, ctx: NormalizeContext, kind: DocumentKind, **fields: Any) -> CanonicalDocument:
    status, life = _status(raw)
    missing = unavailable_details(raw)
    if missing:
        fields["references"] = {**fields.get("references", {}), UNAVAILABLE_REFERENCE: ",".join(missing)}
    document: CanonicalDocument = _checked(
        lambda: CanonicalDocument(
            source=ctx.source,
            kind=kind,
            external_id=_text(raw, "_id", required=True),
            owner=_text(raw, "owner"),
            status=status,
            raw_status=life,
            source_modified_at=_moment(raw, "last_modified_time"),
            **fields,
        )
    )
    return document


# ----------------------------------------------------------------------------- compiled readers
#
# The common record shape read inline (issue 18): text a non-empty `str` (or a list whose first entry
# is one), an amount a numeric `str`, `int` or `Decimal`, a time an `int` or digit string, details a
# dict of lists of dicts with none unavailable — anything else raises `Declined` (or fails on its own),
# and the full readers above normalize the record (connectors.fields.compiled). They read the fields
# the full readers read and pass the document the same keys.


def _c_text(raw: Mapping[str, Any], name: str) -> str | None:
    value = raw.get(name)
    if type(value) is str:
        return value or None
    if value is None:
        return None
    if type(value) is list:
        if not value:
            return None
        first = value[0]
        if type(first) is str and first:
            return first
    raise Declined


def _c_required(raw: Mapping[str, Any], name: str) -> str:
    value = _c_text(raw, name)
    if value is None:
        raise Declined
    return value


def _c_decimal(raw: Mapping[str, Any], name: str, *, money: bool = False) -> Decimal | None:
    value = raw.get(name)
    kind = type(value)
    if kind is str:
        if not value:
            return None
        number = Decimal(value.strip().replace(",", ""))
    elif value is None:
        return None
    elif kind is int or kind is Decimal:
        number = Decimal(value)
    else:
        raise Declined
    if not number.is_finite():
        raise Declined
    if money and (number != number.quantize(MONEY_QUANTUM) or abs(number) >= MONEY_LIMIT):
        raise Declined
    return number


def _c_amount(raw: Mapping[str, Any], name: str) -> Decimal:
    number = _c_decimal(raw, name, money=True)
    if number is None:
        raise Declined
    return number


def _c_ms(raw: Mapping[str, Any], name: str) -> int | None:
    value = raw.get(name)
    if type(value) is int:
        return value
    if value is None:
        return None
    if type(value) is str and value and value.lstrip("-").isdigit():
        return int(value)
    raise Declined


def _c_details(raw: RawRecord, api_name: str) -> list[dict[str, Any]]:
    details = raw.get(DETAILS) or {}
    if type(details) is not dict:
        raise Declined
    rows = details.get(api_name, [])
    if type(rows) is not list:
        raise Declined
    for row in rows:
        if type(row) is not dict:
            raise Declined
    return sorted(rows, key=_detail_order)


def _c_ledger(raw: RawRecord, ctx: NormalizeContext, date_field: str) -> dict[str, Any]:
    code = _c_text(raw, "mc_currency")
    rate = None
    if code is None:
        currency = ctx.base_currency
    elif len(code) == 3 and code.isascii() and code.isalpha():
        rate = _c_decimal(raw, "mc_exchange_rate")
        if rate is not None and rate <= 0:
            raise Declined
        currency = code.upper()
    else:
        raise Declined
    ms = _c_ms(raw, date_field)
    return {
        "number": _c_required(raw, "name"),
        "party": {"external_id": _c_required(raw, "account_id"), "name": _c_text(raw, "account_id__r")},
        "issued_on": None
        if ms is None
        else (_EPOCH + timedelta(milliseconds=ms)).astimezone(ctx.timezone).date(),
        "currency": currency,
        "exchange_rate": rate,
    }


def _c_build(
    raw: RawRecord,
    ctx: NormalizeContext,
    kind: DocumentKind,
    fields: dict[str, Any],
    *,
    live: Status = Status.OPEN,
) -> CanonicalDocument:
    """`_build` of a record with every detail object read; `live`: the status of a live record."""
    details = raw.get(DETAILS) or {}
    if type(details) is not dict or None in details.values():
        raise Declined
    life = _c_text(raw, "life_status")
    status = _STATUS.get(life or "normal", Status.OPEN)
    modified = _c_ms(raw, "last_modified_time")
    if modified is None:
        raise Declined
    fields["source"] = ctx.source
    fields["kind"] = kind
    fields["external_id"] = _c_required(raw, "_id")
    fields["owner"] = _c_text(raw, "owner")
    fields["status"] = live if status is Status.OPEN else status
    fields["raw_status"] = life
    fields["source_modified_at"] = _EPOCH + timedelta(milliseconds=modified)
    return build_document(fields)


def _c_sales_order(raw: RawRecord, ctx: NormalizeContext) -> CanonicalDocument:
    fields = _c_ledger(raw, ctx, "order_time")
    subtotal = _c_decimal(raw, "product_amount", money=True)
    total = _c_amount(raw, "order_amount")
    percent = _c_decimal(raw, "discount")
    discount = None
    if subtotal is not None and percent is not None:  # order_discount
        charged = (subtotal * percent / _HUNDRED).quantize(_CENTS, rounding=ROUND_HALF_UP)
        if subtotal and abs(total / subtotal * _HUNDRED - percent) <= _PERCENT_ROUNDING:
            charged = total
        discount = subtotal - charged
    fields["subtotal"] = subtotal
    fields["total"] = total
    fields["balance"] = _c_decimal(raw, "receivable_amount", money=True)
    fields["lines"] = tuple(
        {
            "product": _c_text(row, "product_id__r"),
            "product_external_id": _c_text(row, "product_id"),
            "quantity": _c_decimal(row, "quantity"),
            "unit_price": _c_decimal(row, "sales_price", money=True),
            "amount": _c_amount(row, "subtotal"),
        }
        for row in _c_details(raw, ORDER_LINES)
    )
    fields["discount"] = discount
    fields["shipping"] = Decimal(0)
    fields["adjustment"] = Decimal(0)
    fields["rounding"] = Decimal(0)
    fields["tax_inclusive"] = True
    return _c_build(raw, ctx, DocumentKind.SALES_ORDER, fields)


def _c_payment(raw: RawRecord, ctx: NormalizeContext) -> CanonicalDocument:
    fields = _c_ledger(raw, ctx, "payment_time")
    total = _c_amount(raw, "payment_amount")
    allocations = []
    applied = Decimal(0)
    for row in _c_details(raw, PAYMENT_ALLOCATIONS):
        amount = _c_amount(row, "payment_amount")
        applied += amount
        allocations.append(
            {
                "invoice_external_id": _c_required(row, "order_id"),
                "amount": amount,
                "target_kind": DocumentKind.SALES_ORDER,
            }
        )
    order = _c_text(raw, "order_id")
    fields["total"] = total
    fields["balance"] = total - applied
    fields["references"] = {"sales_order": order} if order else {}
    fields["allocations"] = tuple(allocations)
    return _c_build(raw, ctx, DocumentKind.PAYMENT, fields)


def _c_invoice_application(raw: RawRecord, ctx: NormalizeContext) -> CanonicalDocument:
    application = _c_required(raw, "name")
    references = {APPLICATION_REFERENCE: application}
    order = _c_text(raw, "order_id")
    if order:
        references["sales_order"] = order
    fields = _c_ledger(raw, ctx, "invoice_date")
    fields["number"] = _c_text(raw, "invoice_no") or application
    fields["total"] = _c_amount(raw, "invoice_applied_amount")
    fields["tax_inclusive"] = True
    fields["references"] = references
    fields["lines"] = tuple(
        {"amount": _c_amount(row, "invoiced_amount"), "tax": _c_decimal(row, "tax_amount", money=True)}
        for row in _c_details(raw, INVOICE_LINES)
    )
    return _c_build(raw, ctx, DocumentKind.INVOICE, fields, live=Status.UNKNOWN)


# ----------------------------------------------------------------------------- objects


def normalize_account(raw: RawRecord, ctx: NormalizeContext) -> CanonicalDocument:
    """AccountObj (客户): the customer itself is the party; `name` is 客户名称."""
    return _build(
        raw,
        ctx,
        DocumentKind.CUSTOMER,
        party=PartyRef(external_id=_text(raw, "_id", required=True), name=_text(raw, "name", required=True)),
    )


def normalize_product(raw: RawRecord, ctx: NormalizeContext) -> CanonicalDocument:
    """ProductObj (产品): number = product_code; one line with the name, code and list price.
    `product_status` "99" (已作废) is void like `life_status` invalid."""
    price = _money(raw, "price")
    code = _text(raw, "product_code")
    document = _build(
        raw,
        ctx,
        DocumentKind.PRODUCT,
        number=code,
        lines=(
            _checked(
                lambda: Line(
                    product=_text(raw, "name", required=True),
                    product_external_id=_text(raw, "_id", required=True),
                    sku=code,
                    unit_price=price,
                    amount=price if price is not None else Decimal(0),
                ),
            ),
        ),
    )
    if raw.get("product_status") == "99" and document.status is not Status.VOID:
        return document.model_copy(update={"status": Status.VOID})
    return document


def _order_line(row: Mapping[str, Any]) -> Line:
    return Line(
        product=_text(row, "product_id__r"),
        product_external_id=_text(row, "product_id"),
        quantity=_decimal(row, "quantity"),
        unit_price=_money(row, "sales_price"),
        amount=_amount(row, "subtotal"),
    )


_HUNDRED = Decimal(100)
_CENTS = Decimal("0.01")
_PERCENT_ROUNDING = Decimal("0.005")
"""Half of the last place of a percent kept to 0.01 % (the order's `discount`)."""


def order_discount(raw: RawRecord) -> Decimal | None:
    """The document discount of a SalesOrderObj, in money. Its `discount` field is a PERCENT of the
    product amount that is charged ("100" = no discount; api-notes fxiaoke-kingdee.md §7, [BELL] create
    payload), so the discount is product_amount - product_amount * discount / 100, to the cent (the
    currency fields carry 2 decimal places). Either field absent: unknown (None).

    The percent is itself rounded (UNVERIFIED how far: read here as to 0.01 %, the precision of a
    percentage field): "100.07" can stand for the 100.0666 % between product_amount 132028.17 and
    order_amount 132116.17, and 0.0034 % of that subtotal is 4.42. When order_amount is what the percent
    rounds from, the discount is the amounts' own difference (no false audit finding from the rounding);
    otherwise it is what the percent says, and the total identity shows the disagreement."""
    subtotal = _money(raw, "product_amount")
    percent = _decimal(raw, "discount")
    if subtotal is None or percent is None:
        return None
    charged = (subtotal * percent / _HUNDRED).quantize(_CENTS, rounding=ROUND_HALF_UP)
    total = _money(raw, "order_amount")
    if total is not None and subtotal and abs(total / subtotal * _HUNDRED - percent) <= _PERCENT_ROUNDING:
        charged = total
    return subtotal - charged


@compiled(_c_sales_order)
def normalize_sales_order(raw: RawRecord, ctx: NormalizeContext) -> CanonicalDocument:
    """SalesOrderObj (销售订单) with its SalesOrderProductObj lines: total = order_amount,
    subtotal = product_amount, balance = receivable_amount (still to be collected). Amounts are
    tax-inclusive (Chinese practice: prices include VAT), the discount comes from the percent field
    (`order_discount`), and an order has no shipping, adjustment or rounding of its own (0)."""
    return _build(
        raw,
        ctx,
        DocumentKind.SALES_ORDER,
        **_ledger(raw, ctx, "order_time"),
        subtotal=_money(raw, "product_amount"),
        total=_amount(raw, "order_amount"),
        balance=_money(raw, "receivable_amount"),
        lines=_each_detail(raw, ORDER_LINES, _order_line),
        discount=order_discount(raw),
        shipping=Decimal(0),
        adjustment=Decimal(0),
        rounding=Decimal(0),
        tax_inclusive=True,
    )


def _allocation(row: Mapping[str, Any]) -> Allocation:
    return Allocation(
        invoice_external_id=_text(row, "order_id", required=True) or "",
        amount=_amount(row, "payment_amount"),
        target_kind=DocumentKind.SALES_ORDER,
    )


@compiled(_c_payment)
def normalize_payment(raw: RawRecord, ctx: NormalizeContext) -> CanonicalDocument:
    """PaymentObj (回款) with its OrderPaymentObj rows as allocations to sales orders;
    number = 回款编号 (`name`); balance = the amount not allocated to any order."""
    total = _amount(raw, "payment_amount")
    allocations: Sequence[Allocation] = _each_detail(raw, PAYMENT_ALLOCATIONS, _allocation)
    order = _text(raw, "order_id")
    known = PAYMENT_ALLOCATIONS not in unavailable_details(raw)
    return _build(
        raw,
        ctx,
        DocumentKind.PAYMENT,
        **_ledger(raw, ctx, "payment_time"),
        total=total,
        # Allocations unread (OrderPaymentObj unavailable): how much is unapplied is unknown, not all of it.
        balance=total - sum((a.amount for a in allocations), Decimal(0)) if known else None,
        references={"sales_order": order} if order else {},
        allocations=tuple(allocations),
    )


def _invoice_line(row: Mapping[str, Any]) -> Line:
    return Line(amount=_amount(row, "invoiced_amount"), tax=_money(row, "tax_amount"))


@compiled(_c_invoice_application)
def normalize_invoice_application(raw: RawRecord, ctx: NormalizeContext) -> CanonicalDocument:
    """InvoiceApplicationObj (开票申请) as an invoice: number = invoice_no (发票号码) once issued, else the
    application's own number; the application number is kept under references.invoice_application and
    order_id under references.sales_order (docs/decisions/0006-fxiaoke-invoice-applications.md).

    The applied amount is tax-inclusive (价税合计). The object has no tax or subtotal field of its own, so
    both stay unknown at document level (each line keeps its `tax_amount`: nothing is derived that the
    vendor does not show). An application has no payment status of its own:
    a live one (life_status normal / in_change) is Status.UNKNOWN, which reconciliation derives from the
    order's collections; drafts and void applications keep their status."""
    application = _text(raw, "name", required=True)
    assert application is not None
    references = {APPLICATION_REFERENCE: application}
    order = _text(raw, "order_id")
    if order:
        references["sales_order"] = order
    document = _build(
        raw,
        ctx,
        DocumentKind.INVOICE,
        **{**_ledger(raw, ctx, "invoice_date"), "number": _text(raw, "invoice_no") or application},
        total=_amount(raw, "invoice_applied_amount"),
        tax_inclusive=True,
        references=references,
        lines=_each_detail(raw, INVOICE_LINES, _invoice_line),
    )
    if document.status is Status.OPEN:
        return document.model_copy(update={"status": Status.UNKNOWN})
    return document
