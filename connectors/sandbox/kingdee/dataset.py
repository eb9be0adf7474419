"""What one Kingdee K/3 Cloud (金蝶云星空) account holds: bills and base data as plain facts (the truth
a sync must reproduce), and the field catalogue `ExecuteBillQuery` answers from (api-notes §12).

The notes name the forms, FDocumentStatus and the query's shape; they do not list field keys. The
keys here are K/3 Cloud's standard metadata keys as public integration code uses them (BELL, which
§12 cites: FSettleCurrId, FTaxPrice, FAllAmount, FCURRENCYID, FRECEIVEBILLSRCENTRY ...). README.md
lists every key the sandbox knows; a key it does not know is answered with an error, as K/3 Cloud
answers an unknown field.
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, Final, TypedDict
from zoneinfo import ZoneInfo

SALES_ORDER: Final = "SAL_SaleOrder"
RECEIVABLE: Final = "AR_receivable"
RECEIPT: Final = "AR_RECEIVEBILL"
VAT_SPECIAL: Final = "IV_SALESIC"
VAT_ORDINARY: Final = "IV_SALESOC"
CUSTOMER: Final = "BD_Customer"
MATERIAL: Final = "BD_MATERIAL"
BILL_FORMS: Final = (SALES_ORDER, RECEIVABLE, RECEIPT, VAT_SPECIAL, VAT_ORDINARY)
BASE_FORMS: Final = (CUSTOMER, MATERIAL)
FORMS: Final = (*BILL_FORMS, *BASE_FORMS)

DOCUMENT_STATUSES: Final = ("Z", "A", "B", "C", "D")
"""FDocumentStatus: Z 暂存, A 创建, B 审核中, C 已审核, D 重新审核 (api-notes §12)."""
CANCEL_ACTIVE, CANCELLED = "A", "B"
"""FCancelStatus: A 未作废, B 已作废 (K/3 Cloud's convention; not in the notes)."""

CURRENCIES: Final[Mapping[str, tuple[int, str, str]]] = {
    "CNY": (1, "PRE001", "人民币"),
    "HKD": (2, "PRE002", "香港元"),
    "EUR": (3, "PRE003", "欧元"),
    "JPY": (4, "PRE004", "日本日元"),
    "GBP": (6, "PRE006", "英镑"),
    "USD": (7, "PRE007", "美元"),
}
"""ISO code -> (FCURRENCYID internal id, FNumber, FName). A currency's `.FNumber` is PRE00n, its ISO
code is `.FCode` (K/3 Cloud's standard currencies; not in the notes)."""

ORG: Final = (100001, "100", "演示销售组织")
SETTLE_TYPE: Final = (4, "JSFS04_SYS", "电汇")
BILL_TYPES: Final[Mapping[str, tuple[int, str, str]]] = {
    SALES_ORDER: (1001, "XSDD01_SYS", "标准销售订单"),
    RECEIVABLE: (1002, "YSD01_SYS", "标准应收单"),
    RECEIPT: (1003, "SKDLX01_SYS", "销售收款单"),
    VAT_SPECIAL: (1004, "XSZZSZYFP01_SYS", "销售增值税专用发票"),
    VAT_ORDINARY: (1005, "XSPTFP01_SYS", "销售普通发票"),
}
"""FBillTypeID per form; the VAT-special bill type is the one BELL uses (api-notes §12)."""

DEFAULT_ACCT_ID: Final = "62f0a9c2e5b1a4"
"""The sandbox account's acctId (数据中心 id), as INTERFACES.md's example."""
SERVER_ZONE: Final = ZoneInfo("Asia/Shanghai")
"""K/3 Cloud answers dates and times in the server's local time, with no offset."""

_CENT: Final = Decimal("0.01")
_PRICE: Final = Decimal("0.000001")


def money(value: Decimal) -> Decimal:
    return value.quantize(_CENT, rounding=ROUND_HALF_UP)


# ----------------------------------------------------------------------------- facts


@dataclass(frozen=True)
class CustomerFacts:
    cust_id: int
    number: str
    name: str
    currency: str = "CNY"
    tax_code: str | None = None
    document_status: str = "C"
    forbidden: bool = False
    modified_at: datetime = datetime(2026, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class MaterialFacts:
    material_id: int
    number: str
    name: str
    specification: str = ""
    tax_rate: Decimal = Decimal(13)
    document_status: str = "C"
    forbidden: bool = False
    modified_at: datetime = datetime(2026, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class LineFacts:
    """One entry line of an order, receivable or invoice. Amounts in the bill's currency and, `_local`,
    in the account's base currency (line amount x exchange rate, rounded per line)."""

    entry_id: int
    material: str
    """The material's FNumber."""
    quantity: Decimal
    price: Decimal
    """Unit price without tax (FPrice)."""
    tax_price: Decimal
    """Unit price with tax (FTaxPrice)."""
    tax_rate: Decimal
    """Percent, e.g. 13."""
    amount: Decimal
    tax: Decimal
    all_amount: Decimal
    amount_local: Decimal
    tax_local: Decimal
    all_amount_local: Decimal
    source_form: str | None = None
    source_fid: int | None = None
    source_number: str | None = None
    order_number: str | None = None
    """The sales order this line comes from (receivables' FORDERNUMBER, invoices' FSALESORDERNO)."""


@dataclass(frozen=True)
class AllocationFacts:
    """A receipt's source-bill entry (收款单源单明细): money of the receipt applied to a bill."""

    entry_id: int
    source_form: str
    source_fid: int
    source_number: str
    amount: Decimal
    """本次收款金额, in the receipt's currency."""
    source_total: Decimal = Decimal(0)
    """The source bill's FAFTTAXTOTALAMOUNT (its total with tax)."""


@dataclass(frozen=True)
class BillFacts:
    """A bill as the truth knows it. `total` is FAllAmount-like: the bill's total with tax (a receipt's
    amount received); `subtotal`/`tax` are the lines' sums (zero for receipts)."""

    form: str
    fid: int
    number: str
    bill_date: date
    customer: str
    """The customer's FNumber."""
    currency: str
    exchange_rate: Decimal
    """Base-currency units per unit of `currency` (1 for CNY)."""
    tax_inclusive: bool
    document_status: str
    cancel_status: str
    created_at: datetime
    modified_at: datetime
    subtotal: Decimal
    tax: Decimal
    total: Decimal
    total_local: Decimal
    lines: tuple[LineFacts, ...] = ()
    allocations: tuple[AllocationFacts, ...] = ()
    settlement_entry_id: int | None = None
    """A receipt's one settlement line (FRECEIVEBILLENTRY): how the money came in."""
    due_on: date | None = None
    invoice_number: str | None = None
    """A VAT invoice's FIVNUMBER."""
    note: str = ""

    @property
    def cancelled(self) -> bool:
        return self.cancel_status == CANCELLED


def make_line(
    entry_id: int,
    material: str,
    quantity: Decimal,
    unit_price: Decimal,
    *,
    tax_rate: Decimal,
    tax_inclusive: bool,
    exchange_rate: Decimal,
    **source: Any,
) -> LineFacts:
    """A line priced as K/3 Cloud prices it: from the tax-inclusive price (FTaxPrice) when the bill is
    entered with tax, else from the price without tax (FPrice); amounts rounded to cents per line."""
    factor = 1 + tax_rate / 100
    if tax_inclusive:
        tax_price = unit_price
        all_amount = money(quantity * tax_price)
        amount = money(all_amount / factor)
        price = (tax_price / factor).quantize(_PRICE, rounding=ROUND_HALF_UP)
    else:
        price = unit_price
        amount = money(quantity * price)
        all_amount = money(amount * factor)
        tax_price = (price * factor).quantize(_PRICE, rounding=ROUND_HALF_UP)
    amount_local = money(amount * exchange_rate)
    all_local = money(all_amount * exchange_rate)
    return LineFacts(
        entry_id=entry_id,
        material=material,
        quantity=quantity,
        price=price,
        tax_price=tax_price,
        tax_rate=tax_rate,
        amount=amount,
        tax=all_amount - amount,
        all_amount=all_amount,
        amount_local=amount_local,
        tax_local=all_local - amount_local,
        all_amount_local=all_local,
        **source,
    )


class Totals(TypedDict):
    subtotal: Decimal
    tax: Decimal
    total: Decimal
    total_local: Decimal


def totals(lines: Iterable[LineFacts]) -> Totals:
    """subtotal, tax, total, total_local of a bill: the sums of its lines (K/3 Cloud's head totals)."""
    rows = list(lines)
    return Totals(
        subtotal=sum((line.amount for line in rows), Decimal(0)),
        tax=sum((line.tax for line in rows), Decimal(0)),
        total=sum((line.all_amount for line in rows), Decimal(0)),
        total_local=sum((line.all_amount_local for line in rows), Decimal(0)),
    )


# ----------------------------------------------------------------------------- field catalogue


@dataclass(frozen=True)
class Ref:
    """A base-data reference as a row holds it: `F` is the internal id, `F.FNumber`, `F.FName`
    (and, for currencies, `F.FCode`) its properties."""

    id: int
    number: str
    name: str
    code: str | None = None


Getter = Callable[[Any, Any], Any]
"""(head facts, entry facts or None) -> value."""


@dataclass(frozen=True)
class FieldDef:
    entity: str | None
    """None: a head field; else the entry entity whose lines it expands."""
    get: Getter


def _head(get: Callable[[Any], Any]) -> FieldDef:
    return FieldDef(None, lambda head, _line: get(head))


def _entry(entity: str, get: Callable[[Any], Any]) -> FieldDef:
    return FieldDef(entity, lambda _head, line: None if line is None else get(line))


class Lookups:
    """What a row needs from the rest of the account: customers and materials by number."""

    def __init__(self) -> None:
        self.customers: dict[str, CustomerFacts] = {}
        self.materials: dict[str, MaterialFacts] = {}

    def customer(self, number: str) -> Ref:
        cust = self.customers.get(number)
        return Ref(cust.cust_id, cust.number, cust.name) if cust else Ref(0, number, "")

    def material(self, number: str) -> Ref:
        mat = self.materials.get(number)
        return Ref(mat.material_id, mat.number, mat.name) if mat else Ref(0, number, "")


def currency_ref(code: str) -> Ref:
    internal, number, name = CURRENCIES[code]
    return Ref(internal, number, name, code)


def _fixed(values: tuple[int, str, str]) -> Ref:
    return Ref(*values)


def local_time(moment: datetime) -> datetime:
    """A UTC moment as the server's naive local time (what rows carry and filters compare)."""
    return moment.astimezone(SERVER_ZONE).replace(tzinfo=None)


def _day(value: date | None) -> datetime | None:
    return None if value is None else datetime(value.year, value.month, value.day)  # noqa: DTZ001 - server local


@dataclass(frozen=True)
class _Seq:
    """An entry line with its FSeq (1-based position in its bill)."""

    seq: int
    facts: Any

    @property
    def entry_id(self) -> int:
        return int(self.facts.entry_id)


def _numbered(items: Iterable[Any]) -> list[_Seq]:
    return [_Seq(n, item) for n, item in enumerate(items, start=1)]


_PARTY: Final[Mapping[str, str]] = {
    SALES_ORDER: "FCUSTID FSETTLECURRID FLOCALCURRID",
    RECEIVABLE: "FCUSTOMERID FCURRENCYID FMAINBOOKSTDCURRID",
    RECEIPT: "FCONTACTUNIT FCURRENCYID FMAINBOOKCURID",
    VAT_SPECIAL: "FCUSTOMERID FCURRENCYID FMAINBOOKSTDCURRID",
    VAT_ORDINARY: "FCUSTOMERID FCURRENCYID FMAINBOOKSTDCURRID",
}
"""Per bill form: its customer, bill-currency and base-currency field keys."""

_HEAD_ATTRS: Final = ("tax_inclusive", "subtotal", "tax", "total", "total_local", "note")
_HEAD_KEYS: Final[Mapping[str, str]] = {
    SALES_ORDER: "FISINCLUDEDTAX FBILLAMOUNT FBILLTAXAMOUNT FBILLALLAMOUNT FBILLALLAMOUNT_LC FNOTE",
    RECEIVABLE: "FISTAX FNOTAXAMOUNTFOR FTAXAMOUNTFOR FALLAMOUNTFOR FALLAMOUNT -",
    RECEIPT: "- - - FRECAMOUNTFOR FRECAMOUNT FREMARK",
    VAT_SPECIAL: "FISTAX FHEADAUXPRICEFOR FTAXAMOUNTFOR FAFTERTOTALTAXFOR FAFTERTOTALTAX -",
    VAT_ORDINARY: "FISTAX FHEADAUXPRICEFOR FTAXAMOUNTFOR FAFTERTOTALTAXFOR FAFTERTOTALTAX -",
}
"""Per bill form: the keys of `_HEAD_ATTRS` in that order ("-": the form has no such field)."""

_FORM_HEAD: Final[Mapping[str, Mapping[str, Callable[[Any], Any]]]] = {
    SALES_ORDER: {
        "FBILLAMOUNT_LC": lambda b: sum((line.amount_local for line in b.lines), Decimal(0)),
        "FBILLTAXAMOUNT_LC": lambda b: sum((line.tax_local for line in b.lines), Decimal(0)),
        "FCLOSESTATUS": lambda _b: "A",
    },
    RECEIVABLE: {"FENDDATE_H": lambda b: _day(b.due_on)},
    RECEIPT: {},
    VAT_SPECIAL: {
        "FIVNUMBER": lambda b: b.invoice_number,
        "FINVOICEDATE": lambda b: _day(b.bill_date),
        "FREDBLUE": lambda _b: "0",
    },
}
"""Per bill form: its other head fields."""

_LINE_ATTRS: Final = (
    "material", "material_name", "quantity", "price", "tax_price", "tax_rate", "amount", "tax", "all_amount",
    "amount_local", "tax_local", "all_amount_local", "source_form", "source_fid", "source_number",
    "order_number",
)  # fmt: skip
_LINE_KEYS: Final[Mapping[str, tuple[str, str]]] = {
    SALES_ORDER: ("FSALEORDERENTRY", "FMATERIALID FMATERIALNAME FQTY FPRICE FTAXPRICE FENTRYTAXRATE FAMOUNT "
                  "FENTRYTAXAMOUNT FALLAMOUNT FAMOUNT_LC FTAXAMOUNT_LC FALLAMOUNT_LC - - - -"),
    RECEIVABLE: ("FENTITYDETAIL", "FMATERIALID FMATERIALNAME FPRICEQTY FPRICE FTAXPRICE FENTRYTAXRATE "
                 "FNOTAXAMOUNTFOR_D FTAXAMOUNTFOR_D FALLAMOUNTFOR_D FNOTAXAMOUNT_D FTAXAMOUNT_D FALLAMOUNT_D "
                 "FSOURCETYPE - FSOURCEBILLNO FORDERNUMBER"),
    VAT_SPECIAL: ("FSALESICENTRY", "FMATERIALID FMATERIALNAME FPRICEQTY FAUXPRICE FAUXTAXPRICE FTAXRATE "
                  "FAMOUNTFOR FDETAILTAXAMOUNTFOR FALLAMOUNTFOR FNOTAXAMOUNT FDETAILTAXAMOUNT FALLAMOUNT "
                  "FSRCBILLTYPEID FSRCBILLID FSRCBILLNO FSALESORDERNO"),
    VAT_ORDINARY: ("FSALESOCENTRY", "FMATERIALID FMATERIALNAME FPRICEQTY FAUXPRICE FAUXTAXPRICE FTAXRATE "
                   "FAMOUNTFOR FDETAILTAXAMOUNTFOR FALLAMOUNTFOR FNOTAXAMOUNT FDETAILTAXAMOUNT FALLAMOUNT "
                   "FSRCBILLTYPEID FSRCBILLID FSRCBILLNO FSALESORDERNO"),
}  # fmt: skip
"""Per form with priced lines: the entry entity and the keys of `_LINE_ATTRS` in that order."""

_RECEIPT_SETTLEMENT: Final = "FRECEIVEBILLENTRY"
_RECEIPT_SOURCES: Final = "FRECEIVEBILLSRCENTRY"
_ALLOCATION_KEYS: Final[Mapping[str, Callable[[Any], Any]]] = {
    "FSRCBILLTYPEID": lambda a: a.facts.source_form,
    "FSRCBILLID": lambda a: a.facts.source_fid,
    "FSRCBILLNO": lambda a: a.facts.source_number,
    "FSRCSEQ": lambda a: a.seq,
    "FREALRECAMOUNT": lambda a: a.facts.amount,
    "FAFTTAXTOTALAMOUNT": lambda a: a.facts.source_total,
}
"""A receipt's source-bill entry fields (its allocations)."""

_BASE_KEYS: Final[Mapping[str, Mapping[str, Callable[[Any], Any]]]] = {
    CUSTOMER: {
        "FCUSTID": lambda c: c.cust_id,
        "FSHORTNAME": lambda c: c.name[:10],
        "FTAXREGISTERCODE": lambda c: c.tax_code,
        "FTRADINGCURRID": lambda c: currency_ref(c.currency),
    },
    MATERIAL: {
        "FMATERIALID": lambda m: m.material_id,
        "FSPECIFICATION": lambda m: m.specification,
        "FTAXRATEID": lambda m: Ref(int(m.tax_rate), f"SL{int(m.tax_rate):02d}_SYS", f"{m.tax_rate}%增值税"),
    },
}
"""Base data's own fields; FNumber, FName, FDocumentStatus, FForbidStatus, the orgs and FModifyDate
are common to both."""


def _attribute(name: str) -> Callable[[Any], Any]:
    return lambda item: getattr(item, name)


def _fact(name: str) -> Callable[[_Seq], Any]:
    """An entry line's fact by attribute name."""
    return lambda line: getattr(line.facts, name)


def _bill_fields(form: str, lookups: Lookups) -> dict[str, FieldDef]:
    """Head fields every bill form has (its own spelling of customer and currencies), then its amounts."""
    customer_key, currency_key, local_key = _PARTY[form].split()
    fields = {
        "FID": _head(lambda b: b.fid),
        "FBILLNO": _head(lambda b: b.number),
        "FDATE": _head(lambda b: _day(b.bill_date)),
        "FDOCUMENTSTATUS": _head(lambda b: b.document_status),
        "FCANCELSTATUS": _head(lambda b: b.cancel_status),
        "FCREATEDATE": _head(lambda b: local_time(b.created_at)),
        "FMODIFYDATE": _head(lambda b: local_time(b.modified_at)),
        "FAPPROVEDATE": _head(lambda b: local_time(b.modified_at) if b.document_status == "C" else None),
        "FBILLTYPEID": _head(lambda _b: _fixed(BILL_TYPES[form])),
        "FSALEORGID": _head(lambda _b: _fixed(ORG)),
        customer_key: _head(lambda b: lookups.customer(b.customer)),
        currency_key: _head(lambda b: currency_ref(b.currency)),
        local_key: _head(lambda _b: currency_ref("CNY")),
        "FEXCHANGERATE": _head(lambda b: b.exchange_rate),
    }
    for attr, key in zip(_HEAD_ATTRS, _HEAD_KEYS[form].split(), strict=True):
        if key != "-":
            fields[key] = _head(_attribute(attr))
    own = _FORM_HEAD[VAT_SPECIAL if form == VAT_ORDINARY else form]
    fields.update({key: _head(get) for key, get in own.items()})
    return fields


def _line_fields(form: str, lookups: Lookups) -> dict[str, FieldDef]:
    entity, keys = _LINE_KEYS[form]
    fields = {
        f"{entity}_FENTRYID": _entry(entity, lambda ln: ln.entry_id),
        "FENTRYID": _entry(entity, lambda ln: ln.entry_id),
        "FSEQ": _entry(entity, lambda ln: ln.seq),
    }
    for attr, key in zip(_LINE_ATTRS, keys.split(), strict=True):
        if attr == "material":
            fields[key] = _entry(entity, lambda ln: lookups.material(ln.facts.material))
        elif attr == "material_name":
            fields[key] = _entry(entity, lambda ln: lookups.material(ln.facts.material).name)
        elif key != "-":
            fields[key] = _entry(entity, _fact(attr))
    return fields


def _receipt_fields(lookups: Lookups) -> dict[str, FieldDef]:
    settlement, sources = _RECEIPT_SETTLEMENT, _RECEIPT_SOURCES

    def settled(get: Callable[[Any], Any]) -> FieldDef:
        return FieldDef(settlement, lambda b, line: None if line is None else get(b))

    fields = {
        "FPAYUNIT": _head(lambda b: lookups.customer(b.customer)),
        "FCONTACTUNITTYPE": _head(lambda _b: CUSTOMER),
        "FREALRECAMOUNTFOR": _head(lambda b: b.total),
        f"{settlement}_FENTRYID": settled(lambda b: b.settlement_entry_id),
        "FSETTLETYPEID": settled(lambda _b: _fixed(SETTLE_TYPE)),
        "FRECTOTALAMOUNTFOR": settled(lambda b: b.total),
        f"{sources}_FENTRYID": _entry(sources, lambda a: a.entry_id),
        "FSRCCURRENCYID": FieldDef(sources, lambda b, a: None if a is None else currency_ref(b.currency)),
    }
    fields.update({key: _entry(sources, get) for key, get in _ALLOCATION_KEYS.items()})
    return fields


def _base_fields(form: str) -> dict[str, FieldDef]:
    fields = {
        "FNUMBER": _head(lambda r: r.number),
        "FNAME": _head(lambda r: r.name),
        "FDOCUMENTSTATUS": _head(lambda r: r.document_status),
        "FFORBIDSTATUS": _head(lambda r: "B" if r.forbidden else "A"),
        "FCREATEORGID": _head(lambda _r: _fixed(ORG)),
        "FUSEORGID": _head(lambda _r: _fixed(ORG)),
        "FMODIFYDATE": _head(lambda r: local_time(r.modified_at)),
    }
    fields.update({key: _head(get) for key, get in _BASE_KEYS[form].items()})
    return fields


Entries = Callable[[Any], dict[str, list[Any]]]
"""A record -> its entry entities' lines (numbered)."""


def catalogue(form: str, lookups: Lookups) -> tuple[dict[str, FieldDef], Entries]:
    """The field keys `form` answers (upper-cased; `.FNumber`-style properties resolved by the query)
    and how a record's entry entities are listed. Raises KeyError for a form the sandbox does not know."""
    if form in BASE_FORMS:
        return _base_fields(form), lambda _record: {}
    fields = _bill_fields(form, lookups)
    if form == RECEIPT:
        fields.update(_receipt_fields(lookups))
        return fields, lambda b: {
            _RECEIPT_SETTLEMENT: [_Seq(1, None)] if b.settlement_entry_id else [],
            _RECEIPT_SOURCES: _numbered(b.allocations),
        }
    entity = _LINE_KEYS[form][0]
    fields.update(_line_fields(form, lookups))
    return fields, lambda b: {entity: _numbered(b.lines)}


# ----------------------------------------------------------------------------- the account


@dataclass
class _Counters:
    fid: Iterable[int] = field(default_factory=lambda: itertools.count(100001))
    entry: Iterable[int] = field(default_factory=lambda: itertools.count(200001))
    master: Iterable[int] = field(default_factory=lambda: itertools.count(300001))


class KingdeeDataset:
    """One K/3 Cloud account (数据中心, `acct_id`). Thread-safe. Bills are facts; rows are rendered
    per query. Deletes are hard: a deleted bill's rows vanish (`deleted()` remembers it for tests).

    Build with `new_fid()`/`new_entry_id()`/`new_master_id()` and `put_*`; change with `edit`,
    `delete`; read the truth with `truth()`."""

    def __init__(self, *, acct_id: str = DEFAULT_ACCT_ID, name: str = "演示公司账套") -> None:
        self.acct_id = acct_id
        self.name = name
        self._lock = threading.RLock()
        self._counters = _Counters()
        self.lookups = Lookups()
        self._bills: dict[str, dict[int, BillFacts]] = {form: {} for form in BILL_FORMS}
        self._deleted: dict[tuple[str, int], BillFacts] = {}
        self.version = 0
        """Bumped on every change (query caches key on it)."""

    # ------------------------------------------------------------------------- ids

    def new_fid(self) -> int:
        with self._lock:
            return next(iter(self._counters.fid))

    def new_entry_id(self) -> int:
        with self._lock:
            return next(iter(self._counters.entry))

    def new_master_id(self) -> int:
        with self._lock:
            return next(iter(self._counters.master))

    # ------------------------------------------------------------------------- mutations

    def put_customer(self, customer: CustomerFacts) -> None:
        with self._lock:
            self.lookups.customers[customer.number] = customer
            self.version += 1

    def put_material(self, material: MaterialFacts) -> None:
        with self._lock:
            self.lookups.materials[material.number] = material
            self.version += 1

    def put(self, bill: BillFacts) -> BillFacts:
        if bill.form not in BILL_FORMS:
            raise ValueError(f"{bill.form} is not a bill form")
        if bill.document_status not in DOCUMENT_STATUSES:
            raise ValueError(f"FDocumentStatus {bill.document_status!r} is not one of Z/A/B/C/D")
        if bill.modified_at.tzinfo is None or bill.created_at.tzinfo is None:
            raise ValueError("created_at and modified_at must be timezone-aware")
        with self._lock:
            self._bills[bill.form][bill.fid] = bill
            self._deleted.pop((bill.form, bill.fid), None)
            self.version += 1
        return bill

    def edit(self, form: str, fid: int, at: datetime, **changes: Any) -> BillFacts:
        """Change a bill's facts; FModifyDate becomes `at`."""
        with self._lock:
            return self.put(replace(self._bills[form][fid], **changes, modified_at=at))

    def touch(self, form: str, fid: int, at: datetime) -> BillFacts:
        """Save a bill unchanged: only FModifyDate moves."""
        return self.edit(form, fid, at)

    def delete(self, form: str, fid: int) -> BillFacts:
        """K/3 Cloud's Delete: the bill and its entries are gone from every query."""
        with self._lock:
            bill = self._bills[form].pop(fid)
            self._deleted[(form, fid)] = bill
            self.version += 1
            return bill

    # ------------------------------------------------------------------------- reading

    def bills(self, form: str) -> list[BillFacts]:
        """The live bills of a form in FID order (a snapshot)."""
        with self._lock:
            return sorted(self._bills[form].values(), key=lambda b: b.fid)

    def get(self, form: str, fid: int) -> BillFacts:
        with self._lock:
            return self._bills[form][fid]

    def records(self, form: str) -> list[Any]:
        """What a query of `form` reads: bills, or customers/materials."""
        with self._lock:
            if form == CUSTOMER:
                return sorted(self.lookups.customers.values(), key=lambda c: c.cust_id)
            if form == MATERIAL:
                return sorted(self.lookups.materials.values(), key=lambda m: m.material_id)
            return sorted(self._bills[form].values(), key=lambda b: b.fid)

    def truth(self) -> dict[str, dict[int, Any]]:
        """What a correct reader ends up with: form -> id (FID; FCUSTID/FMATERIALID for base data) ->
        facts. Drafts and cancelled bills are included (their FDocumentStatus/FCancelStatus say so)."""
        with self._lock:
            result: dict[str, dict[int, Any]] = {form: dict(bills) for form, bills in self._bills.items()}
            result[CUSTOMER] = {c.cust_id: c for c in self.lookups.customers.values()}
            result[MATERIAL] = {m.material_id: m for m in self.lookups.materials.values()}
            return result

    def deleted(self) -> list[tuple[str, int]]:
        """(form, FID) of every bill deleted so far (what a reader must drop)."""
        with self._lock:
            return sorted(self._deleted)

    def count(self, form: str | None = None) -> int:
        with self._lock:
            forms = [form] if form else list(BILL_FORMS)
            return sum(len(self._bills[f]) for f in forms)


__all__ = [
    "BASE_FORMS",
    "BILL_FORMS",
    "CANCELLED",
    "CANCEL_ACTIVE",
    "CURRENCIES",
    "CUSTOMER",
    "FORMS",
    "MATERIAL",
    "RECEIPT",
    "RECEIVABLE",
    "SALES_ORDER",
    "VAT_ORDINARY",
    "VAT_SPECIAL",
    "AllocationFacts",
    "BillFacts",
    "CustomerFacts",
    "FieldDef",
    "KingdeeDataset",
    "LineFacts",
    "MaterialFacts",
    "Ref",
    "catalogue",
    "make_line",
    "money",
    "totals",
]
