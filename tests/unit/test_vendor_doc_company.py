"""The vendors' published examples as one small company: every audit check over it raises exactly what
the examples themselves contain, and nothing our own assumptions would add (issue 12 §5)."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from config.rules import AuditPlan
from connectors.base import NormalizeContext
from connectors.fxiaoke import normalize as fx
from connectors.http import parse_json
from connectors.zoho import normalize as zoho
from reconcile.audits import AuditLimits, audit_plan
from reconcile.matching import as_rows
from store.canonical import CanonicalDocument

DOCS = Path(__file__).parents[1] / "fixtures"
ZONE = ZoneInfo("Asia/Shanghai")
SERVER_ASSIGNED = {
    "_id": "5ffd0000784bf00001ef2000",
    "name": "20210113-000001",
    "last_modified_time": 1610530245871,
}
"""What a create payload lacks because the server assigns it (the fxiaoke sample tests add the same)."""
PAYMENT_CUT = {"account_id": "5e0000000000000000000001", "last_modified_time": 1597652454276}
"""The stored copy of the payment example is cut before these two required fields."""


def _load(path: str) -> Any:
    return parse_json((DOCS / path).read_text(encoding="utf-8"))


def _company() -> list[CanonicalDocument]:
    crm = NormalizeContext(source="zoho-crm", timezone=ZONE, base_currency="USD")
    books = NormalizeContext(source="zoho-books", timezone=ZONE, base_currency="USD")
    fxiaoke = NormalizeContext(source="fxiaoke", timezone=ZONE, base_currency="CNY")
    order = _load("fxiaoke/docs/sales_order_create_payload.json")
    payment = _load("fxiaoke/docs/payment_query_response.json")["data"]["dataList"][0]
    return [
        *(zoho.crm_invoice(r, crm) for r in _load("zoho/docs/crm_invoice_response.json")["data"]),
        *(zoho.crm_sales_order(r, crm) for r in _load("zoho/docs/crm_sales_order_response.json")["data"]),
        zoho.books_invoice(_load("zoho/docs/books_invoice_get.json")["invoice"], books),
        fx.normalize_sales_order(
            {**order["object_data"], "details": order["details"], **SERVER_ASSIGNED}, fxiaoke
        ),
        fx.normalize_payment({**payment, **PAYMENT_CUT}, fxiaoke),
    ]


def _audit(docs: list[CanonicalDocument]) -> tuple[set[tuple[str, str | None]], dict[str, dict[str, int]]]:
    by_scope: dict[tuple[str, str], list[CanonicalDocument]] = {}
    for doc in docs:
        by_scope.setdefault((doc.source, doc.kind.value), []).append(doc)
    plan = AuditPlan.model_validate(
        {"name": "vendor-samples", "scope": [{"source": s, "kind": k} for s, k in by_scope]}
    )
    scoped = [
        (as_rows(rows), plan.checks_for(entry))
        for rows, entry in zip(by_scope.values(), plan.scope, strict=True)
    ]
    result = audit_plan(plan.name, scoped, AuditLimits.of(plan))
    found = {(d.type.value, (d.left or d.right)[0].number) for d in result.discrepancies}
    return found, {check: dict(reasons) for check, reasons in result.skipped.items()}


def test_the_published_examples_raise_only_the_findings_the_examples_themselves_contain() -> None:
    found, _ = _audit(_company())

    invoice = _load("zoho/docs/books_invoice_get.json")["invoice"]
    # Zoho's own "Get an invoice" example names no salesperson, and its one line of 120.00 is not its
    # sub_total of 10000.00: both are in the published example, so both are findings.
    assert not str(invoice.get("salesperson_name") or "").strip()
    assert [line["item_total"] for line in invoice["line_items"]] != [invoice["sub_total"]]
    assert found == {("missing_owner", "INV-00003"), ("total_not_sum_of_lines", "INV-00003")}


def test_what_the_examples_do_not_say_is_skipped_and_counted_never_guessed() -> None:
    _, skipped = _audit(_company())

    # The Books example has no roundoff_value; the stored CRM examples stop before Sub_Total.
    assert skipped["total_not_subtotal_plus_tax"] == {"rounding_unknown": 1}
    assert skipped["discount_above_limit"] == {"subtotal_unknown": 2}
