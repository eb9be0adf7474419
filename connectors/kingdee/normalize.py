"""Pure normalizers: one regrouped K/3 Cloud bill (header fields, `entries`) -> a canonical document.

Statuses (api-notes §12): `FDocumentStatus` Z 暂存, A 创建, B 审核中, C 已审核, D 重新审核. Only an audited
bill (C) is booked; the others are kept as drafts, their letter in `raw_status`. `FCancelStatus` B
(作废) voids a bill (A is normal; the letters are UNVERIFIED beyond the issue's naming of the field).
Money is the bill currency's, tax-inclusive as Chinese invoices are: a line's amount is its 价税合计
(`FAllAmount` on orders; each form names it, `BillFields`), its unit price the tax-inclusive `FTaxPrice`;
the subtotal is the sum of the lines, the total and tax the head's 价税合计 and 税额 (a head that is not
the sum of its lines shows in the total-identity audit); the exchange rate, the local currency and
the local total are kept. Times without an offset are the company's local time."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, Final

from connectors.base import NormalizeContext, RawRecord
from connectors.errors import RecordError
from connectors.fields import document, exact_decimal, iso_day, line, object_rows, text
from connectors.kingdee.query import ENTRIES
from connectors.reasons import Rule
from store.canonical import (
    MONEY_QUANTUM,
    Allocation,
    CanonicalDocument,
    DocumentKind,
    Line,
    PartyRef,
    Status,
)

Normalizer = Callable[[RawRecord, NormalizeContext], CanonicalDocument]

BOOKED: Final = "C"
DRAFTS: Final = frozenset({"Z", "A", "B", "D"})
CANCELLED: Final = "B"
FORBIDDEN: Final = "B"
"""`FForbidStatus` B: a customer or material disabled (禁用)."""

CURRENCY_NUMBERS: Final[Mapping[str, str]] = {
    "PRE001": "CNY",
    "PRE002": "HKD",
    "PRE003": "EUR",
    "PRE004": "JPY",
    "PRE005": "TWD",
    "PRE006": "GBP",
    "PRE007": "USD",
}
"""K/3 Cloud's preset currency numbers (币别编码) -> ISO 4217 (UNVERIFIED: not in the notes; an ISO code
in the field is taken as it is)."""

SALES_ORG: Final = "FSaleOrgId"
ORGANIZATION: Final = f"{SALES_ORG}.FNumber"
"""The sales organization (销售组织) of every bill form, the field `org_numbers` filters on."""
RECEIVABLE_FORM: Final = "AR_receivable"
ORDER_FORM: Final = "SAL_SaleOrder"
TARGETS: Final[Mapping[str, DocumentKind]] = {
    RECEIVABLE_FORM: DocumentKind.INVOICE,
    ORDER_FORM: DocumentKind.SALES_ORDER,
}
"""A receipt's source bill type (`FSrcBillTypeId`) -> what its allocation pays."""


# ----------------------------------------------------------------------------- readers


def local_time(raw: RawRecord, key: str, ctx: NormalizeContext, *, required: bool) -> datetime | None:
    """A K/3 Cloud time ('2026-11-27T09:30:00.123', no offset: the company's local time) -> aware UTC."""
    value = text(raw, key)
    if value is None:
        if required:
            raise RecordError("is missing (it is the sync cursor)", field=key, rule=Rule.MISSING)
        return None
    try:
        parsed = datetime.fromisoformat(value.strip().replace(" ", "T"))
    except ValueError as exc:
        raise RecordError(
            f"{value!r} is not a date and time", field=key, rule=Rule.NOT_A_TIME, value=value
        ) from exc
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=ctx.timezone)
    return parsed.astimezone(UTC)


def amount(raw: Mapping[str, Any], key: str, where: str = "") -> Decimal | None:
    return exact_decimal(f"{where}.{key}" if where else key, raw.get(key))


def currency(raw: RawRecord, key: str) -> str | None:
    value = text(raw, key)
    if value is None:
        return None
    code = CURRENCY_NUMBERS.get(value.strip().upper(), value.strip().upper())
    if len(code) != 3 or not code.isalpha():
        raise RecordError(
            f"currency number {value!r} has no ISO 4217 code known here",
            field=key,
            rule=Rule.INVALID,
            value=value,
        )
    return code


def status_of(raw: RawRecord, booked: Status) -> tuple[Status, str | None]:
    """`FDocumentStatus` (and `FCancelStatus`) -> canonical status and the raw letters ("C", "C/B")."""
    letter = (text(raw, "FDocumentStatus") or "").strip().upper()
    cancel = (text(raw, "FCancelStatus") or "").strip().upper()
    raw_status = f"{letter}/{cancel}" if cancel else letter or None
    if cancel == CANCELLED:
        return Status.VOID, raw_status
    if letter == BOOKED:
        return booked, raw_status
    if letter in DRAFTS:
        return Status.DRAFT, raw_status
    raise RecordError("is not Z, A, B, C or D", field="FDocumentStatus", rule=Rule.INVALID, value=letter)


def _id(raw: RawRecord, key: str) -> str:
    value = text(raw, key)
    if value is None:
        raise RecordError("is missing", field=key, rule=Rule.MISSING)
    return value


def _party(raw: RawRecord, key: str) -> PartyRef | None:
    ref, name = text(raw, key), text(raw, f"{key}.FName")
    if ref in (None, "0") and name is None:
        return None
    return PartyRef(external_id=None if ref == "0" else ref, name=name)


@dataclass(frozen=True)
class BillFields:
    """Where one form keeps what a canonical document needs (K/3 Cloud names differ per form: 销售订单
    `FBillAllAmount`, 应收单 `FALLAMOUNTFOR`, 收款单 `FRECAMOUNTFOR`...). Head fields first, then the
    entry's; `None` when the form has no such field."""

    customer: str
    currency: str
    local_currency: str
    total: str
    local_total: str
    tax: str | None = None
    due: str | None = None
    material: str = "FMaterialId"
    quantity: str = "FQty"
    tax_price: str = "FTaxPrice"
    line_tax: str = "FEntryTaxAmount"
    line_total: str = "FAllAmount"

    def head(self) -> tuple[str, ...]:
        optional = tuple(k for k in (self.tax, self.due) if k is not None)
        return (
            self.customer,
            f"{self.customer}.FName",
            f"{self.currency}.FCode",
            f"{self.local_currency}.FCode",
            "FExchangeRate",
            self.total,
            self.local_total,
            *optional,
        )

    def lines(self) -> tuple[str, ...]:
        m = self.material
        return (
            m,
            f"{m}.FNumber",
            f"{m}.FName",
            self.quantity,
            self.tax_price,
            self.line_tax,
            self.line_total,
        )


def _money_header(raw: RawRecord, f: BillFields, ctx: NormalizeContext) -> dict[str, Any]:
    code = currency(raw, f"{f.currency}.FCode")
    rate = amount(raw, "FExchangeRate")
    if code is not None and code == ctx.base_currency and rate in (None, Decimal(0)):
        rate = Decimal(1)
    return {"currency": code, "exchange_rate": rate if rate and rate > 0 else None}


def _entries(raw: RawRecord) -> Iterator[tuple[str, Mapping[str, Any]]]:
    return object_rows(raw, ENTRIES)


def _price(row: Mapping[str, Any], key: str, where: str) -> Decimal | None:
    """The tax-inclusive unit price, when it fits the ledger's four places (prices often carry more:
    then the line keeps its amount and the raw record keeps the price)."""
    price = amount(row, key, where)
    return price if price is not None and price == price.quantize(MONEY_QUANTUM) else None


def _lines(raw: RawRecord, f: BillFields) -> tuple[Line, ...]:
    made = []
    for where, row in _entries(raw):
        total = amount(row, f.line_total, where)
        if total is None:
            raise RecordError(
                "is missing (the line's 价税合计)", field=f"{where}.{f.line_total}", rule=Rule.MISSING
            )
        made.append(
            line(
                where,
                product=text(row, f"{f.material}.FName", where=where),
                product_external_id=text(row, f.material, where=where),
                sku=text(row, f"{f.material}.FNumber", where=where),
                quantity=amount(row, f.quantity, where),
                unit_price=_price(row, f.tax_price, where),
                amount=total,
                tax=amount(row, f.line_tax, where),
            )
        )
    return tuple(made)


def _bill(
    raw: RawRecord,
    ctx: NormalizeContext,
    f: BillFields,
    *,
    kind: DocumentKind,
    references: Mapping[str, str | None] | None = None,
) -> CanonicalDocument:
    status, raw_status = status_of(raw, Status.OPEN)
    lines = _lines(raw, f)
    return document(
        ctx.source,
        kind=kind,
        external_id=_id(raw, "FID"),
        number=text(raw, "FBillNo"),
        party=_party(raw, f.customer),
        issued_on=iso_day(text(raw, "FDate"), "FDate"),
        due_on=iso_day(text(raw, f.due), f.due) if f.due else None,
        **_money_header(raw, f, ctx),
        subtotal=sum((ln.amount for ln in lines), Decimal(0)),
        tax=amount(raw, f.tax) if f.tax else None,
        total=amount(raw, f.total),
        discount=Decimal(0),
        shipping=Decimal(0),
        adjustment=Decimal(0),
        rounding=Decimal(0),
        tax_inclusive=True,
        status=status,
        raw_status=raw_status,
        lines=lines,
        references=_references(raw, f, **(references or {})),
        source_modified_at=local_time(raw, "FModifyDate", ctx, required=True),
    )


def _references(raw: RawRecord, f: BillFields, **named: str | None) -> dict[str, str]:
    """The local (base) currency and total beside the bill currency's, the organization, and `named`."""
    local = currency(raw, f"{f.local_currency}.FCode")
    local_total = amount(raw, f.local_total)
    found = {
        "local_currency": local,
        "local_total": None if local_total is None else str(local_total),
        "organization": text(raw, ORGANIZATION),
        **named,
    }
    return {k: v for k, v in found.items() if v}


# ----------------------------------------------------------------------------- documents

ORDER_FIELDS: Final = BillFields(
    "FCustId", "FSettleCurrId", "FLocalCurrId", "FBillAllAmount", "FBillAllAmount_LC", tax="FBillTaxAmount"
)
RECEIVABLE_FIELDS: Final = BillFields(
    "FCUSTOMERID", "FCURRENCYID", "FMAINBOOKSTDCURRID", "FALLAMOUNTFOR", "FALLAMOUNT",
    tax="FTAXAMOUNTFOR", due="FENDDATE_H", material="FMATERIALID", quantity="FPriceQty",
    line_tax="FTAXAMOUNTFOR_D", line_total="FALLAMOUNTFOR_D",
)  # fmt: skip
RECEIPT_FIELDS: Final = BillFields(
    "FCONTACTUNIT", "FCURRENCYID", "FMAINBOOKCURID", "FRECAMOUNTFOR", "FRECAMOUNT"
)
INVOICE_FIELDS: Final = BillFields(
    "FCUSTOMERID", "FCURRENCYID", "FMAINBOOKSTDCURRID", "FAFTERTOTALTAXFOR", "FAFTERTOTALTAX",
    tax="FTAXAMOUNTFOR", material="FMATERIALID", quantity="FPRICEQTY", tax_price="FAUXTAXPRICE",
    line_tax="FDETAILTAXAMOUNTFOR", line_total="FALLAMOUNTFOR",
)  # fmt: skip
RECEIPT_SOURCES: Final = ("FSRCBILLTYPEID", "FSRCBILLID", "FSRCBILLNO", "FREALRECAMOUNT")
"""A receipt's source-bill entry (FRECEIVEBILLSRCENTRY): what each line of the receipt pays."""
INVOICE_SOURCES: Final = ("FSRCBILLTYPEID", "FSRCBILLID", "FSRCBILLNO")


def sales_order(raw: RawRecord, ctx: NormalizeContext) -> CanonicalDocument:
    """销售订单 SAL_SaleOrder: customer `FCustId`, currency `FSettleCurrId` (结算币别), total
    `FBillAllAmount` (价税合计), lines of FSaleOrderEntry."""
    return _bill(raw, ctx, ORDER_FIELDS, kind=DocumentKind.SALES_ORDER)


def receivable(raw: RawRecord, ctx: NormalizeContext) -> CanonicalDocument:
    """应收单 AR_receivable, the invoice side of the ledger: customer `FCUSTOMERID`, currency `FCURRENCYID`,
    total `FALLAMOUNTFOR` (价税合计), due `FENDDATE_H` (到期日), lines of FEntityDetail."""
    return _bill(raw, ctx, RECEIVABLE_FIELDS, kind=DocumentKind.INVOICE)


def sales_invoice(raw: RawRecord, ctx: NormalizeContext) -> CanonicalDocument:
    """销售增值税专用发票 IV_SALESIC / 销售普通发票 IV_SALESOC: an invoice keyed `<form>:<FID>` (the two
    forms number their bills apart), naming its form, its invoice number (`FIVNUMBER`) and the
    receivables it invoices (its lines' `FSRCBILLID` / `FSRCBILLNO`) in `references`."""
    form = _id(raw, "FormId")
    sources = sorted({s for _, row in _entries(raw) if (s := text(row, "FSRCBILLNO"))})
    made = _bill(
        raw,
        ctx,
        INVOICE_FIELDS,
        kind=DocumentKind.INVOICE,
        references={
            "vat_form": form,
            "vat_number": text(raw, "FIVNUMBER"),
            "receivable_number": ",".join(sources) or None,
        },
    )
    return made.model_copy(update={"external_id": f"{form}:{made.external_id}"})


def receipt(raw: RawRecord, ctx: NormalizeContext) -> CanonicalDocument:
    """收款单 AR_RECEIVEBILL: the amount received `FRECAMOUNTFOR` from `FCONTACTUNIT`; each source-bill
    entry (源单, FRECEIVEBILLSRCENTRY) allocates `FREALRECAMOUNT` to the receivable or sales order
    `FSRCBILLID` of type `FSRCBILLTYPEID` (entries to other bill types are left in the raw record; the
    rest of the receipt is unapplied)."""
    f = RECEIPT_FIELDS
    status, raw_status = status_of(raw, Status.PAID)
    allocated: dict[tuple[str, DocumentKind], Decimal] = {}
    for where, row in _entries(raw):
        target = TARGETS.get(text(row, "FSRCBILLTYPEID", where=where) or "")
        bill = text(row, "FSRCBILLID", where=where)
        paid = amount(row, "FREALRECAMOUNT", where)
        if target is None or bill in (None, "0") or paid is None:
            continue
        key = (str(bill), target)
        allocated[key] = allocated.get(key, Decimal(0)) + paid
    return document(
        ctx.source,
        kind=DocumentKind.PAYMENT,
        external_id=_id(raw, "FID"),
        number=text(raw, "FBillNo"),
        party=_party(raw, f.customer),
        issued_on=iso_day(text(raw, "FDate"), "FDate"),
        **_money_header(raw, f, ctx),
        total=amount(raw, f.total),
        status=status,
        raw_status=raw_status,
        allocations=tuple(
            Allocation(invoice_external_id=bill, amount=paid, target_kind=kind)
            for (bill, kind), paid in allocated.items()
        ),
        references=_references(raw, f),
        source_modified_at=local_time(raw, "FModifyDate", ctx, required=True),
    )


def _master(raw: RawRecord, ctx: NormalizeContext, kind: DocumentKind, id_key: str) -> CanonicalDocument:
    status, raw_status = status_of(raw, Status.OPEN)
    if (text(raw, "FForbidStatus") or "").upper() == FORBIDDEN and status is not Status.VOID:
        status, raw_status = Status.VOID, f"{raw_status}/forbidden"
    external_id, name = _id(raw, id_key), text(raw, "FName")
    customer = kind is DocumentKind.CUSTOMER
    return document(
        ctx.source,
        kind=kind,
        external_id=external_id,
        number=text(raw, "FNumber"),
        party=PartyRef(external_id=external_id, name=name) if customer else None,
        status=status,
        raw_status=raw_status,
        references={
            k: v
            for k, v in {
                "organization": text(raw, "FUseOrgId.FNumber"),
                "name": None if customer else name,
            }.items()
            if v
        },
        source_modified_at=local_time(raw, "FModifyDate", ctx, required=True),
    )


def customer(raw: RawRecord, ctx: NormalizeContext) -> CanonicalDocument:
    """客户 BD_Customer, keyed by `FCUSTID` (what bills' `FCustId` / `FCustomerId` hold)."""
    return _master(raw, ctx, DocumentKind.CUSTOMER, "FCUSTID")


def material(raw: RawRecord, ctx: NormalizeContext) -> CanonicalDocument:
    """物料 BD_MATERIAL, keyed by `FMATERIALID` (what lines' `FMaterialId` holds)."""
    return _master(raw, ctx, DocumentKind.PRODUCT, "FMATERIALID")
