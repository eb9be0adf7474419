"""The Kingdee data generator: a company whose served rows add up to its truth, over 10,000 bills when
asked, the next day's edits and hard deletes, and the demo company's Fxiaoke books as Kingdee bills."""

from __future__ import annotations

from collections import defaultdict
from datetime import timedelta
from decimal import Decimal

import pytest

from connectors.sandbox.generator import CompanySpec, generate_company
from connectors.sandbox.kingdee import (
    KingdeeSandbox,
    KingdeeSpec,
    apply_later_changes,
    generate_kingdee_company,
    kingdee_from_demo,
)
from connectors.sandbox.kingdee.dataset import (
    BILL_FORMS,
    CANCELLED,
    RECEIPT,
    RECEIVABLE,
    SALES_ORDER,
    VAT_ORDINARY,
    VAT_SPECIAL,
)
from store.canonical import DocumentKind, Status
from tests.sandbox.kingdee_http import logged_in, query


def _read_all(session: object, sandbox: KingdeeSandbox, form: str, keys: str) -> list[list[object]]:
    rows: list[list[object]] = []
    while page := query(
        session, sandbox, form, keys, OrderString="FModifyDate, FID", StartRow=len(rows), Limit=2000
    ):
        rows.extend(page)
    return rows


def test_served_rows_page_by_page_add_up_to_the_truth_of_every_bill() -> None:
    company = generate_kingdee_company(KingdeeSpec(customers=30, orders=900, seed=7))
    truth = company.truth()
    assert all(truth[form] for form in BILL_FORMS)
    sandbox = KingdeeSandbox(company.dataset)
    with sandbox:
        session = logged_in(sandbox)
        rows = _read_all(
            session,
            sandbox,
            SALES_ORDER,
            "FID,FSaleOrderEntry_FEntryID,FAllAmount,FBillAllAmount,FAllAmount_LC",
        )
        assert len(rows) > 2000  # more than one page of lines
        lines: dict[int, Decimal] = defaultdict(Decimal)
        for fid, _entry, line_total, _head, _local in rows:
            lines[int(str(fid))] += Decimal(str(line_total))
        assert lines == {fid: bill.total for fid, bill in truth[SALES_ORDER].items()}
        allocated = _read_all(
            session,
            sandbox,
            RECEIPT,
            "FID,FRECEIVEBILLSRCENTRY_FEntryID,FSRCBILLTYPEID,FSRCBILLID,FREALRECAMOUNT",
        )
        served = {
            (int(str(r[0])), int(str(r[1]))): (r[2], int(str(r[3])), Decimal(str(r[4]))) for r in allocated
        }
        expected = {
            (bill.fid, a.entry_id): (a.source_form, a.source_fid, a.amount)
            for bill in truth[RECEIPT].values()
            for a in bill.allocations
        }
        assert served == expected
        assert {form for form, _, _ in served.values()} == {RECEIVABLE, SALES_ORDER}


def test_the_company_has_drafts_cancelled_bills_foreign_currency_and_split_receipts() -> None:
    company = generate_kingdee_company(KingdeeSpec(customers=40, orders=600, seed=11))
    orders = company.truth()[SALES_ORDER].values()
    assert {o.document_status for o in orders} >= {"Z", "C"}
    assert any(o.cancel_status == CANCELLED for o in orders)
    assert {o.currency for o in orders} >= {"CNY", "USD"}
    assert {o.tax_inclusive for o in orders} == {True, False}
    assert max(len(o.lines) for o in orders) > 3
    for bill in [*orders, *company.truth()[RECEIVABLE].values()]:
        assert bill.total == sum((line.all_amount for line in bill.lines), Decimal(0))
        assert bill.total_local == sum((line.all_amount_local for line in bill.lines), Decimal(0))
    paid = defaultdict(int)
    for receipt in company.truth()[RECEIPT].values():
        for allocation in receipt.allocations:
            paid[allocation.source_fid] += 1
    assert max(paid.values()) >= 2  # a receivable split over two receipts
    assert any(len(r.allocations) == 2 for r in company.truth()[RECEIPT].values())
    assert company.truth()[VAT_SPECIAL]
    assert company.truth()[VAT_ORDINARY]


@pytest.mark.slow
def test_four_thousand_orders_make_more_than_ten_thousand_bills() -> None:
    company = generate_kingdee_company(KingdeeSpec(customers=200, orders=4000, seed=2026))
    assert company.dataset.count() > 10_000


def test_the_next_day_moves_modify_dates_and_deletes_bills_for_good() -> None:
    company = generate_kingdee_company(KingdeeSpec(customers=10, orders=120, seed=3))
    before = company.dataset.count()
    changes = apply_later_changes(company, edits=6, deletes=4)
    assert len(changes.edited) == 6
    assert len(changes.deleted) == 4
    assert company.dataset.count() == before - 4
    assert sorted(changes.deleted) == company.dataset.deleted()
    for form, fid in changes.edited:
        assert company.dataset.get(form, fid).modified_at == company.spec.as_of + timedelta(days=1)
    sandbox = KingdeeSandbox(company.dataset)
    with sandbox:
        session = logged_in(sandbox)
        for form, fid in changes.deleted:
            assert query(session, sandbox, form, "FID", FilterString=f"FID = {fid}") == []


def test_the_demo_companys_fxiaoke_books_become_kingdee_bills_with_the_same_totals() -> None:
    demo = generate_company(CompanySpec(customers=20, orders=120, seed=5))
    data = kingdee_from_demo(demo)
    fx = demo.fxiaoke.truth()
    orders = {bill.note: bill for bill in data.bills(SALES_ORDER)}
    fx_orders = [d for d in fx if d.kind is DocumentKind.SALES_ORDER]
    assert len(orders) == len(fx_orders)
    for doc in fx_orders:
        bill = orders[doc.external_id]
        assert bill.number == doc.number
        assert bill.total == doc.total
        assert bill.currency == doc.currency
        assert bill.cancelled == (doc.status is Status.VOID)
    receipts = {bill.note: bill for bill in data.bills(RECEIPT)}
    for doc in (d for d in fx if d.kind is DocumentKind.PAYMENT):
        if doc.external_id in receipts:
            assert receipts[doc.external_id].total == doc.total
    assert len(data.lookups.customers) == len([d for d in fx if d.kind is DocumentKind.CUSTOMER])
    assert data.bills(RECEIVABLE)
    assert data.bills(VAT_SPECIAL) + data.bills(VAT_ORDINARY)
