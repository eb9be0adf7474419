"""The vendor normalizers' compiled readers (connectors.fields.compiled) change nothing but speed: on
vendor-shaped records — as the sandboxes serve them, and with hostile values put in every field one at
a time — each Zoho and Fxiaoke normalizer gives exactly what its full readers alone give: the same
document (every value with its type and exponent, the same fields set) or the same error (type,
sentence, field, rule, value). The full readers are the code as it was before the compiled readers."""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from pydantic import BaseModel, ValidationError

from connectors.base import NormalizeContext
from connectors.errors import RecordError
from connectors.fxiaoke import normalize as fx
from connectors.zoho import normalize as zoho

HOSTILE: tuple[Any, ...] = (
    None,
    "",
    " ",
    "NaN",
    Decimal("NaN"),
    Decimal("sNaN"),
    Decimal("Infinity"),
    Decimal("-Infinity"),
    "Infinity",
    1.5,
    0.0,
    True,
    False,
    {},
    {"id": "1", "name": "x"},
    [],
    [1],
    ["x"],
    [""],
    Decimal("1E+20"),
    Decimal("1e20"),
    10**20,
    12345678901234567890,
    "1,000.5",
    " 7 ",
    "12.50",
    "abc",
    0,
    -1,
    7,
    Decimal("0"),
    Decimal("0.00"),
    Decimal("-0.01"),
    Decimal("0.00001"),
    Decimal("12.5"),
    Decimal("9999999999999.9999"),
    Decimal("-1E+13"),
    "2026-11-27",
    "2026-11-27T16:00:00+08:00",
    "2026-11-27T16:00:00+0800",
    "2026-11-27T16:00:00",
    "27/11/2026",
    "1778721844000",
    "-5",
    "²",
    "usd",
    "USD",
    "US",
    "true",
    "item_level",
    "entity_level",
    "no_rounding",
    "invalid",
    "ineffective",
    "Paid",
)

CRM_LINE = {
    "id": "4629874672509605907",
    "Product_Name": {"id": "5725767000000000062", "name": "Power module PM-24", "Product_Code": "PM-24"},
    "Quantity": 8,
    "List_Price": Decimal("356.80"),
    "Total": Decimal("2854.40"),
    "Discount": Decimal("0.00"),
    "Total_After_Discount": Decimal("2854.40"),
    "Net_Total": Decimal("3225.47"),
    "Tax": Decimal("371.07"),
    "Description": None,
}
CRM_SALES_ORDER = {
    "id": "5725767000000005010",
    "Owner": {"id": "4646742674309453249", "name": "王芳", "email": "375709@sandbox.example"},
    "Modified_Time": "2026-05-14T09:46:36+08:00",
    "Created_Time": "2026-05-14T12:00:00+08:00",
    "Subject": "SO-02473",
    "Account_Name": {"id": "5725767000000000002", "name": "杭州长江电子有限公司"},
    "Status": "Approved",
    "Due_Date": "2026-06-13",
    "Sub_Total": Decimal("8414.40"),
    "Discount": Decimal("0.00"),
    "Tax": Decimal("1093.87"),
    "Adjustment": 0,
    "Grand_Total": Decimal("9508.27"),
    "Currency": "CNY",
    "Exchange_Rate": 1,
    "SO_Number": "SO-02473",
    "Quote_Name": None,
    "Deal_Name": {"id": "5725767000000009999", "name": "Deal"},
    "Ordered_Items": [
        CRM_LINE,
        {
            **CRM_LINE,
            "id": "4460306812208715527",
            "Quantity": 2,
            "Description": "二号",
            "Total_After_Discount": Decimal("2560.00"),
        },
    ],
}
CRM_INVOICE = {
    "id": "5725767000000003967",
    "Owner": {"id": "4298329243280158168", "name": "张伟", "email": "853252@sandbox.example"},
    "Modified_Time": "2026-05-14T11:18:33+08:00",
    "Subject": "INV-001952",
    "Account_Name": {"id": "5725767000000000041", "name": "Lakeside Trading Co., Ltd."},
    "Status": "Paid",
    "Due_Date": "2026-06-13",
    "Sub_Total": Decimal("1853.33"),
    "Discount": Decimal("37.07"),
    "Tax": Decimal("240.93"),
    "Adjustment": 0,
    "Excise_Duty": Decimal("0"),
    "Grand_Total": Decimal("2057.19"),
    "Currency": "USD",
    "Exchange_Rate": Decimal("7.1234"),
    "Invoice_Number": "INV-001952",
    "Invoice_Date": "2026-05-14",
    "Sales_Order": {"id": "5725767000000003966", "name": "SO-01952"},
    "Invoiced_Items": [
        {
            "id": "4786680310676520497",
            "Product_Name": {
                "id": "5725767000000000062",
                "name": "Power module PM-24",
                "Product_Code": "PM-24",
            },
            "quantity": 37,
            "list_price": Decimal("50.09"),
            "total": Decimal("1853.33"),
            "tax": Decimal("240.93"),
            "product_description": "lower-case keys (Zoho's examples show both)",
        }
    ],
}
BOOKS_INVOICE = {
    "invoice_id": "4600000000000000001",
    "invoice_number": "INV-000001",
    "status": "overdue",
    "due_date": "2026-09-08",
    "balance": Decimal("13057.83"),
    "salesperson_name": "王芳",
    "shipping_charge": 0,
    "adjustment": 0,
    "date": "2026-08-09",
    "customer_id": "4600100000000000004",
    "customer_name": "南京新元实业有限公司",
    "reference_number": "SO-00001",
    "currency_code": "CNY",
    "exchange_rate": 1,
    "total": Decimal("13057.83"),
    "sub_total": Decimal("11555.60"),
    "tax_total": Decimal("1502.23"),
    "discount_type": "entity_level",
    "discount_amount": Decimal("0.00"),
    "roundoff_value": None,
    "transaction_rounding_type": "no_rounding",
    "is_inclusive_tax": False,
    "created_time": "2026-09-03T09:36:39+0800",
    "last_modified_time": "2026-09-03T09:36:39+0800",
}
BOOKS_PAYMENT = {
    "payment_id": "4600000000000000003",
    "payment_number": "PMT-000001",
    "payment_mode": "banktransfer",
    "amount": Decimal("14050.38"),
    "unused_amount": Decimal("0.00"),
    "invoice_numbers": "INV-000002,INV-000524",
    "date": "2026-09-11",
    "customer_id": "4600100000000000042",
    "customer_name": "Atlas Logistics GmbH",
    "reference_number": "",
    "currency_code": "EUR",
    "exchange_rate": Decimal("7.8012"),
    "total": Decimal("14050.38"),
    "created_time": "2026-09-11T10:11:53+0800",
    "last_modified_time": "2026-09-11T10:11:53+0800",
    "invoices": [
        {
            "invoice_id": "4600000000000000002",
            "invoice_number": "INV-000002",
            "amount_applied": Decimal("7992.13"),
        },
        {
            "invoice_id": "4600000000000000972",
            "invoice_number": "INV-000524",
            "amount_applied": Decimal("6058.25"),
        },
        {
            "invoice_id": "4600000000000000973",
            "invoice_number": "INV-000525",
            "amount_applied": Decimal("0.00"),
        },
    ],
    "_ledgerbridge_allocations": "list",
}
BOOKS_SALES_ORDER = {
    "salesorder_id": "4600000000000005911",
    "salesorder_number": "20260827-000001",
    "status": "open",
    "order_status": "open",
    "shipment_date": None,
    "salesperson_name": "陈静",
    "date": "2026-08-27",
    "customer_id": "4600100000000000012",
    "customer_name": "成都远航自动化设备有限公司",
    "reference_number": "",
    "currency_code": "CNY",
    "exchange_rate": 1,
    "total": Decimal("63701.90"),
    "discount_type": "item_level",
    "created_time": "2026-08-28T16:50:38+0800",
    "last_modified_time": "2026-08-28T16:50:38+0800",
}
BOOKS_CREDIT_NOTE = {
    "creditnote_id": "4600000000000000078",
    "creditnote_number": "CN-00001",
    "status": "closed",
    "balance": Decimal("0.00"),
    "date": "2026-09-05",
    "customer_id": "4600100000000000047",
    "customer_name": "Harbourview Electronics GmbH",
    "reference_number": "",
    "currency_code": "EUR",
    "exchange_rate": Decimal("7.8012"),
    "total": Decimal("634.48"),
    "tds_amount": Decimal("0.00"),
    "created_time": "2026-09-05T13:56:01+0800",
    "last_modified_time": "2026-09-05T13:56:01+0800",
    "invoices_credited": [
        {
            "invoice_id": "4600000000000000076",
            "invoice_number": "INV-000045",
            "date": "2026-09-02",
            "amount_applied": Decimal("634.48"),
            "creditnote_invoice_id": "4796883592194399153",
        }
    ],
}
FX_SALES_ORDER = {
    "_id": "6a052434511e7ea419000d4d",
    "name": "20260514-001426",
    "owner": ["1002"],
    "life_status": "normal",
    "last_modified_time": 1778721844000,
    "account_id": "68d66498511e7ea419000003",
    "account_id__r": "武汉卓越实业有限公司",
    "order_time": 1778688000000,
    "order_amount": "57656.70",
    "product_amount": "57700.00",
    "discount": "99.92",
    "receivable_amount": "0.00",
    "payment_amount": "57656.70",
    "order_status": "7",
    "details": {
        "SalesOrderProductObj": [
            {
                "_id": "6ae5bc20511e7ea419002754",
                "order_id": "6a052434511e7ea419000d4d",
                "product_id": "68d68130511e7ea419000028",
                "product_id__r": "变频器 VF-22",
                "quantity": "6",
                "sales_price": "4620.00",
                "subtotal": "27720.00",
            },
            {
                "_id": "6ae5bc20511e7ea419002753",
                "order_id": "6a052434511e7ea419000d4d",
                "product_id": "68d6816c511e7ea419000029",
                "product_id__r": "Cable kit, 5 m",
                "quantity": "333",
                "sales_price": "89.90",
                "subtotal": "29936.70",
            },
        ]
    },
}
FX_PAYMENT = {
    "_id": "6a07e3b4511e7ea41900098b",
    "name": "HK2026051600787",
    "owner": ["1002"],
    "life_status": "normal",
    "last_modified_time": 1778901940000,
    "account_id": "68d66a38511e7ea41900001b",
    "account_id__r": "深圳同创电子有限公司",
    "order_id": "6a057c60511e7ea41900098a",
    "payment_amount": "38534.40",
    "payment_time": 1778860800000,
    "mc_currency": "usd",
    "mc_exchange_rate": "7.1234",
    "details": {
        "OrderPaymentObj": [
            {
                "_id": "6ae5bc20511e7ea4190021fc",
                "payment_id": "6a07e3b4511e7ea41900098b",
                "order_id": "6a057c60511e7ea41900098a",
                "payment_amount": "38000.40",
            },
            {
                "_id": "6ae5bc20511e7ea4190021fb",
                "payment_id": "6a07e3b4511e7ea41900098b",
                "order_id": "6a057c60511e7ea41900098b",
                "payment_amount": "34.00",
            },
        ]
    },
}
FX_INVOICE_APPLICATION = {
    "_id": "6a07cc79511e7ea41900076c",
    "name": "KP-202605-000769",
    "owner": ["1002"],
    "life_status": "normal",
    "last_modified_time": "1778895993000",
    "account_id": "68d66510511e7ea419000005",
    "account_id__r": "杭州博远科技有限公司",
    "order_id": "6a053d85511e7ea41900076a",
    "invoice_no": "59685485",
    "invoice_applied_amount": "28579.50",
    "invoice_date": 1778860800000,
    "details": {
        "InvoiceApplicationLinesObj": [
            {
                "_id": "6ae5bc20511e7ea419001f12",
                "invoice_id": "6a07cc79511e7ea41900076c",
                "order_id": "6a053d85511e7ea41900076a",
                "invoiced_amount": "28579.50",
                "tax_amount": "3287.91",
            }
        ]
    },
}

Normalizer = Callable[[Any, NormalizeContext], Any]
SAMPLES: tuple[tuple[str, Normalizer, dict[str, Any]], ...] = (
    ("crm sales order", zoho.crm_sales_order, CRM_SALES_ORDER),
    ("crm invoice", zoho.crm_invoice, CRM_INVOICE),
    ("books invoice", zoho.books_invoice, BOOKS_INVOICE),
    ("books payment", zoho.books_payment, BOOKS_PAYMENT),
    ("books sales order", zoho.books_sales_order, BOOKS_SALES_ORDER),
    ("books credit note", zoho.books_credit_note, BOOKS_CREDIT_NOTE),
    ("fxiaoke sales order", fx.normalize_sales_order, FX_SALES_ORDER),
    ("fxiaoke payment", fx.normalize_payment, FX_PAYMENT),
    ("fxiaoke invoice application", fx.normalize_invoice_application, FX_INVOICE_APPLICATION),
)
EXTRA_KEYS = (
    "Product_Details",
    "Excise_Duty",
    "line_items",
    "tds_summary",
    "tcs_amount",
    "total_retention_amount",
    "discount_total",
    "is_inclusive_tax",
    "mc_currency",
    "mc_exchange_rate",
    "details",
)
CONTEXT = NormalizeContext(source="vendor", timezone=ZoneInfo("Asia/Shanghai"), base_currency="CNY")

Path = tuple[str | int, ...]


def _paths(value: Any, prefix: Path = ()) -> Iterator[Path]:
    """Every key and list position in a record, outermost first."""
    if isinstance(value, dict):
        for key, inner in value.items():
            yield (*prefix, key)
            yield from _paths(inner, (*prefix, key))
    elif isinstance(value, list):
        for i, inner in enumerate(value):
            yield (*prefix, i)
            yield from _paths(inner, (*prefix, i))


def _with(record: dict[str, Any], path: Path, value: Any, *, delete: bool = False) -> dict[str, Any]:
    changed = copy.deepcopy(record)
    where: Any = changed
    for step in path[:-1]:
        where = where[step]
    if delete:
        del where[path[-1]]
    else:
        where[path[-1]] = value
    return changed


def _variants(record: dict[str, Any]) -> Iterator[dict[str, Any]]:
    yield record
    paths = [*_paths(record), *((key,) for key in EXTRA_KEYS if key not in record)]
    for path in paths:
        if path[-1] in record or len(path) > 1:
            yield _with(record, path, None, delete=True)
        for value in HOSTILE:
            yield _with(record, path, value)
    for key, value in record.items():  # a list or lookup replaced by its rows' own shapes
        if isinstance(value, list) and value:
            yield _with(record, (key,), [value[0], value[0]])
            yield _with(record, (key,), tuple(value))


def _shape(document: BaseModel) -> Any:
    """A document as compared: every value's repr (type and exponent), and the fields set, nested."""

    def fields_set(model: Any) -> Any:
        if isinstance(model, BaseModel):
            return (
                sorted(model.model_fields_set),
                {name: fields_set(getattr(model, name)) for name in type(model).model_fields},
            )
        if isinstance(model, tuple):
            return [fields_set(item) for item in model]
        return None

    return repr(document), fields_set(document)


def _outcome(normalizer: Normalizer, raw: dict[str, Any]) -> tuple[Any, ...]:
    try:
        document = normalizer(copy.deepcopy(raw), CONTEXT)
    except RecordError as exc:
        return ("RecordError", str(exc), exc.reason, exc.field, exc.rule, exc.value)
    except ValidationError as exc:
        return ("ValidationError", str(exc), exc.errors(include_url=False))
    except Exception as exc:  # noqa: BLE001 - whatever the full readers raise, the same must come out
        return (type(exc).__name__, str(exc))
    return ("document", _shape(document))


@pytest.mark.parametrize(("name", "normalizer", "record"), SAMPLES, ids=[s[0] for s in SAMPLES])
def test_compiled_and_full_readers_agree_on_every_hostile_value(
    name: str, normalizer: Normalizer, record: dict[str, Any]
) -> None:
    full: Normalizer = normalizer.full  # type: ignore[attr-defined]
    fast: Normalizer = normalizer.fast  # type: ignore[attr-defined]
    fast(record, CONTEXT)  # the sample is the common case: the compiled reader takes it
    compared = taken = documents = 0
    for raw in _variants(record):
        expected = _outcome(full, raw)
        assert _outcome(normalizer, raw) == expected, raw
        compared += 1
        documents += expected[0] == "document"
        try:
            fast(copy.deepcopy(raw), CONTEXT)
        except Exception:  # noqa: BLE001 - declined: the full readers answered, compared above
            continue
        taken += 1
        assert expected[0] == "document", raw  # what the compiled reader takes, the full readers take
    # Not vacuous: the compiled reader answered for many variants, and the full readers refused many.
    assert taken > compared // 10, (taken, compared)
    assert compared - documents > compared // 10, (documents, compared)


def test_the_compiled_reader_declines_rather_than_guesses() -> None:
    """Spot checks of the cases the comparison above relies on: values the full readers convert or
    refuse with a reason the compiled readers leave to them."""
    cases: list[tuple[Normalizer, dict[str, Any]]] = [
        (zoho.crm_invoice, {**CRM_INVOICE, "Grand_Total": "12,345.25"}),
        (zoho.crm_invoice, {**CRM_INVOICE, "Grand_Total": 1.5}),
        (zoho.crm_sales_order, {**CRM_SALES_ORDER, "Ordered_Items": None, "Product_Details": [CRM_LINE]}),
        (zoho.books_invoice, {**BOOKS_INVOICE, "is_inclusive_tax": "true"}),
        (zoho.books_invoice, {**BOOKS_INVOICE, "line_items": [{"item_total": Decimal("1.00")}]}),
        (fx.normalize_sales_order, {**FX_SALES_ORDER, "details": {"SalesOrderProductObj": None}}),
    ]
    for normalizer, raw in cases:
        with pytest.raises(Exception):  # noqa: B017, PT011 - declined, however the compiled reader says it
            normalizer.fast(raw, CONTEXT)  # type: ignore[attr-defined]
        assert _outcome(normalizer, raw) == _outcome(normalizer.full, raw)  # type: ignore[attr-defined]
    # Fxiaoke reads "1,000.5" as 1000.5 (its amounts are text): the compiled reader does too.
    grouped = {**FX_PAYMENT, "payment_amount": "1,000.5"}
    assert fx.normalize_payment.fast(grouped, CONTEXT).total == Decimal("1000.5")  # type: ignore[attr-defined]
    assert _outcome(fx.normalize_payment, grouped) == _outcome(fx.normalize_payment.full, grouped)  # type: ignore[attr-defined]


def test_the_compiled_readers_documents_are_the_full_readers() -> None:
    """A few values pinned, so the comparison is not between two equal mistakes."""
    order = zoho.crm_sales_order(CRM_SALES_ORDER, CONTEXT)
    assert [line.quantity for line in order.lines] == [Decimal(8), Decimal(2)]
    assert order.references == {"deal": "5725767000000009999"}
    assert order.source_modified_at == datetime(2026, 5, 14, 1, 46, 36, tzinfo=UTC)
    payment = fx.normalize_payment(FX_PAYMENT, CONTEXT)
    assert (payment.currency, payment.exchange_rate, payment.balance) == (
        "USD",
        Decimal("7.1234"),
        Decimal("500.00"),
    )
    assert [a.invoice_external_id for a in payment.allocations] == [
        "6a057c60511e7ea41900098b",
        "6a057c60511e7ea41900098a",
    ]
    application = fx.normalize_invoice_application(FX_INVOICE_APPLICATION, CONTEXT)
    assert application.status.value == "unknown"
    assert application.number == "59685485"
