"""Canonical documents -> the JSON Zoho CRM v8 and Zoho Books v3 would send for them (sandbox only)."""

from __future__ import annotations

import hashlib
from datetime import date, datetime, time, timedelta, timezone
from decimal import Decimal
from typing import Any, Literal
from zoneinfo import ZoneInfo

from connectors.sandbox.zoho.dataset import ZohoDataset
from store.canonical import CanonicalDocument, DocumentKind, Line

LineKeys = Literal["title", "lower"]
"""Zoho's own examples disagree on line-item key casing (`Quantity` vs `quantity`): render either."""

_LINE_KEYS: dict[LineKeys, dict[str, str]] = {
    "title": {
        "quantity": "Quantity",
        "list_price": "List_Price",
        "total": "Total",
        "discount": "Discount",
        "after_discount": "Total_After_Discount",
        "net_total": "Net_Total",
        "tax": "Tax",
        "description": "Description",
    },
    "lower": {
        "quantity": "quantity",
        "list_price": "list_price",
        "total": "total",
        "discount": "Discount",
        "after_discount": "total_after_discount",
        "net_total": "net_total",
        "tax": "Tax",
        "description": "product_description",
    },
}


def zoho_id(*parts: str) -> str:
    """A stable 19-digit Zoho-style id derived from `parts` (owners, line rows, users)."""
    digest = hashlib.sha256("|".join(parts).encode("utf-8")).hexdigest()
    return "4" + str(int(digest[:15], 16)).rjust(18, "0")[-18:]


def parse_offset(value: str) -> timezone:
    """'+08:00' / '-07:00' -> a fixed-offset zone."""
    sign = -1 if value.startswith("-") else 1
    hours, minutes = value.lstrip("+-").split(":")
    return timezone(sign * timedelta(hours=int(hours), minutes=int(minutes)))


def crm_time(value: datetime, offset: timezone) -> str:
    return value.astimezone(offset).isoformat(timespec="seconds")


def books_time(value: datetime, zone: ZoneInfo) -> str:
    return value.astimezone(zone).strftime("%Y-%m-%dT%H:%M:%S%z")


def _day(value: date | None) -> str | None:
    return value.isoformat() if value is not None else None


def _user(name: str | None) -> dict[str, Any] | None:
    if name is None:
        return None
    slug = "".join(c for c in name.lower() if c.isascii() and c.isalnum()) or zoho_id(name)[-6:]
    return {"id": zoho_id("user", name), "name": name, "email": f"{slug}@sandbox.example"}


def _lookup(external_id: str | None, name: str | None) -> dict[str, Any] | None:
    if external_id is None:
        return None
    return {"id": external_id, "name": name}


# ----------------------------------------------------------------------------- CRM


def crm_record(
    doc: CanonicalDocument, dataset: ZohoDataset, *, offset: timezone, line_keys: LineKeys
) -> dict[str, Any]:
    """A full CRM v8 record (every field the sandbox knows); the server trims it to `fields`."""
    assert doc.source_modified_at is not None  # the dataset refuses documents without it
    record: dict[str, Any] = {
        "id": doc.external_id,
        "Owner": _user(doc.owner),
        "Modified_Time": crm_time(doc.source_modified_at, offset),
        "Created_Time": crm_time(_created(doc, dataset), offset),
        "Modified_By": _user(doc.owner),
    }
    if doc.kind is DocumentKind.CUSTOMER:
        record |= {
            "Account_Name": doc.party.name if doc.party else None,
            "Account_Number": doc.number,
            "Phone": None,
            "Billing_City": None,
        }
        return record
    if doc.kind is DocumentKind.PRODUCT:
        line = doc.lines[0] if doc.lines else None
        record |= {
            "Product_Name": line.product if line else None,
            "Product_Code": doc.number,
            "Unit_Price": line.unit_price if line else None,
            "Description": line.description if line else None,
            "Product_Active": doc.status.value != "void",
        }
        return record
    record |= {
        "Subject": doc.number,
        "Account_Name": _lookup(doc.party.external_id, doc.party.name) if doc.party else None,
        "Contact_Name": None,
        "Status": doc.raw_status,
        "Due_Date": _day(doc.due_on),
        "Sub_Total": doc.subtotal,
        "Discount": doc.discount,
        "Tax": doc.tax,
        "Adjustment": doc.adjustment,
        "Grand_Total": doc.total,
        "Currency": doc.currency,
        "Exchange_Rate": doc.exchange_rate,
        "Description": None,
    }
    rows = [_crm_line(doc, i, line, line_keys) for i, line in enumerate(doc.lines)]
    if doc.kind is DocumentKind.SALES_ORDER:
        record |= {
            "SO_Number": doc.number,
            "Quote_Name": _ref(dataset, doc, "quote"),
            "Deal_Name": _ref(dataset, doc, "deal"),
            "Ordered_Items": rows,
        }
    else:
        record |= {
            "Invoice_Number": doc.number,
            "Invoice_Date": _day(doc.issued_on),
            "Sales_Order": _ref(dataset, doc, "sales_order"),
            "Invoiced_Items": rows,
        }
    return record


def _created(doc: CanonicalDocument, dataset: ZohoDataset) -> datetime:
    """CRM sales orders have no order-date field: their issue date is Created_Time's date (company
    time zone), so render it at noon of `issued_on` there; everything else was created when modified."""
    assert doc.source_modified_at is not None
    if doc.kind is DocumentKind.SALES_ORDER and doc.issued_on is not None:
        return datetime.combine(doc.issued_on, time(12), tzinfo=ZoneInfo(dataset.timezone))
    return doc.source_modified_at


def _ref(dataset: ZohoDataset, doc: CanonicalDocument, name: str) -> dict[str, Any] | None:
    target_id = doc.references.get(name)
    if target_id is None:
        return None
    label = dataset.number_of("crm", DocumentKind.SALES_ORDER, target_id) if name == "sales_order" else None
    return {"id": target_id, "name": label}


def _crm_line(doc: CanonicalDocument, index: int, line: Line, casing: LineKeys) -> dict[str, Any]:
    keys = _LINE_KEYS[casing]
    gross = line.amount
    if line.quantity is not None and line.unit_price is not None:
        product = line.quantity * line.unit_price
        if product == product.quantize(Decimal("0.0001")):
            gross = product
    return {
        "id": zoho_id("line", doc.external_id, str(index)),
        "Product_Name": {
            "id": line.product_external_id,
            "name": line.product,
            "Product_Code": line.sku,
        },
        keys["quantity"]: line.quantity,
        keys["list_price"]: line.unit_price,
        keys["total"]: gross,
        keys["discount"]: gross - line.amount,
        keys["after_discount"]: line.amount,
        keys["net_total"]: line.amount + (line.tax or Decimal(0)),
        keys["tax"]: line.tax,
        keys["description"]: line.description,
    }


# ----------------------------------------------------------------------------- Books


def books_record(doc: CanonicalDocument, dataset: ZohoDataset, *, detail: bool) -> dict[str, Any]:
    """A Books v3 record as the list (`detail=False`) or the single-record endpoint returns it."""
    assert doc.source_modified_at is not None
    zone = ZoneInfo(dataset.timezone)
    common: dict[str, Any] = {
        "date": _day(doc.issued_on),
        "customer_id": doc.party.external_id if doc.party else None,
        "customer_name": doc.party.name if doc.party else None,
        "reference_number": doc.references.get("reference_number", ""),
        "currency_code": doc.currency,
        "exchange_rate": doc.exchange_rate,
        "total": doc.total,
        "created_time": books_time(doc.source_modified_at, zone),
        "last_modified_time": books_time(doc.source_modified_at, zone),
    }
    if doc.kind is DocumentKind.INVOICE:
        record = {
            "invoice_id": doc.external_id,
            "invoice_number": doc.number,
            "status": doc.raw_status,
            "due_date": _day(doc.due_on),
            "balance": doc.balance,
            "salesperson_name": doc.owner or "",
            "shipping_charge": doc.shipping,
            "adjustment": doc.adjustment,
            **common,
        }
        if detail:
            record |= dataset.detail_fields(doc.external_id)
        return record
    if doc.kind is DocumentKind.SALES_ORDER:
        return {
            "salesorder_id": doc.external_id,
            "salesorder_number": doc.number,
            "status": doc.raw_status,
            "shipment_date": None,
            "salesperson_name": doc.owner or "",
            **common,
        }
    if doc.kind is DocumentKind.PAYMENT:
        record = {
            "payment_id": doc.external_id,
            "payment_number": doc.number,
            "payment_mode": "banktransfer",
            "amount": doc.total,
            "unused_amount": doc.balance,
            "invoice_numbers": ",".join(_numbers(dataset, doc)),  # Books' list: comma-separated
            **common,
        }
        if doc.raw_status is not None:
            record["status"] = doc.raw_status
        if detail:
            record["invoices"] = [
                _applied(dataset, doc, a.invoice_external_id, a.amount, True) for a in doc.allocations
            ]
        return record
    record = {
        "creditnote_id": doc.external_id,
        "creditnote_number": doc.number,
        "status": doc.raw_status,
        "balance": doc.balance,
        **common,
    }
    if detail:
        record["invoices_credited"] = [
            _applied(dataset, doc, a.invoice_external_id, a.amount, False) for a in doc.allocations
        ]
    return record


def _numbers(dataset: ZohoDataset, doc: CanonicalDocument) -> list[str]:
    numbers = []
    for allocation in doc.allocations:
        invoice = dataset.get("books", DocumentKind.INVOICE, allocation.invoice_external_id)
        numbers.append(invoice.number if invoice and invoice.number else "")
    return numbers


def _applied(
    dataset: ZohoDataset, doc: CanonicalDocument, invoice_id: str, amount: Decimal, payment: bool
) -> dict[str, Any]:
    invoice = dataset.get("books", DocumentKind.INVOICE, invoice_id)
    row: dict[str, Any] = {
        "invoice_id": invoice_id,
        "invoice_number": invoice.number if invoice else None,
        "date": _day(invoice.issued_on) if invoice else None,
        "amount_applied": amount,
    }
    if payment:
        row |= {
            "invoice_payment_id": zoho_id("applied", doc.external_id, invoice_id),
            "invoice_amount": invoice.total if invoice else None,
            "balance_amount": invoice.balance if invoice else None,
        }
    else:
        row["creditnote_invoice_id"] = zoho_id("credited", doc.external_id, invoice_id)
    return row
