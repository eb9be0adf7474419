"""End to end over real HTTP: the Kingdee sandbox (written apart from the client, from the same notes)
serves a known K/3 Cloud account; the real sync engine and the registered `kingdee` connector must
reproduce it exactly — over 10,000 bills whose entry rows straddle pages, then only the changes — and
stay exact with sessions that expire mid-run, 5% HTTP 500s and cut bodies; hard deletes are found by
the id sweep; a form answered empty is reported by `connector test`."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Engine

from config.kinds import KingdeeSettings
from connectors.base import ConnectorDeps, NormalizeContext, TokenStore
from connectors.kingdee.connector import KingdeeConnector, build_kingdee
from connectors.sandbox.kingdee import (
    KingdeeCompany,
    KingdeeSandbox,
    KingdeeSandboxOptions,
    KingdeeSpec,
    apply_later_changes,
    generate_kingdee_company,
)
from connectors.sandbox.server import FaultPlan
from store.canonical import CanonicalDocument, DocumentKind
from store.repository import SqlLedgerRepository
from tests.check_lines import said
from tests.conftest import FakeTokenStore, FixedClock
from tests.e2e.sync_support import sync, tokens

pytestmark = pytest.mark.slow

SOURCE = "kingdee"
ALL_STREAMS = ["sales_orders", "receivables", "receipts", "sales_invoices", "customers", "materials"]
KINDS: Mapping[str, DocumentKind] = {
    "SAL_SaleOrder": DocumentKind.SALES_ORDER,
    "AR_receivable": DocumentKind.INVOICE,
    "IV_SALESIC": DocumentKind.INVOICE,
    "IV_SALESOC": DocumentKind.INVOICE,
    "AR_RECEIVEBILL": DocumentKind.PAYMENT,
    "BD_Customer": DocumentKind.CUSTOMER,
    "BD_MATERIAL": DocumentKind.PRODUCT,
}
VAT_FORMS = ("IV_SALESIC", "IV_SALESOC")


def _external_id(form: str, fid: int) -> str:
    return f"{form}:{fid}" if form in VAT_FORMS else str(fid)


def truth_of(company: KingdeeCompany) -> dict[tuple[DocumentKind, str], tuple[Any, ...]]:
    """What the ledger must hold for each live bill and master record, from the sandbox's own facts."""
    expected: dict[tuple[DocumentKind, str], tuple[Any, ...]] = {}
    for form, records in company.dataset.truth().items():
        for fid, facts in records.items():
            key = (KINDS[form], _external_id(form, fid))
            if form in ("BD_Customer", "BD_MATERIAL"):
                expected[key] = (facts.number, facts.document_status, facts.forbidden)
                continue
            allocations = sorted((str(a.source_fid), a.amount) for a in facts.allocations)
            lines = [line.all_amount for line in facts.lines]
            expected[key] = (
                facts.number, facts.total, facts.currency, facts.exchange_rate, facts.document_status,
                facts.cancel_status, lines, allocations,
            )  # fmt: skip
    return expected


def ledger_of(engine: Engine) -> dict[tuple[DocumentKind, str], tuple[Any, ...]]:
    found: dict[tuple[DocumentKind, str], tuple[Any, ...]] = {}
    for doc in SqlLedgerRepository(engine).iter_documents(source=SOURCE, include_deleted=False):
        found[(doc.kind, doc.external_id)] = _facts(doc)
    return found


def _facts(doc: CanonicalDocument) -> tuple[Any, ...]:
    letters = (doc.raw_status or "").split("/")
    if doc.kind in (DocumentKind.CUSTOMER, DocumentKind.PRODUCT):
        return (doc.number, letters[0], "forbidden" in letters)
    allocations = sorted((a.invoice_external_id, a.amount) for a in doc.allocations)
    return (
        doc.number, doc.total, doc.currency, doc.exchange_rate, letters[0], letters[1],
        [line.amount for line in doc.lines], allocations,
    )  # fmt: skip


def assert_ledger_is_the_truth(engine: Engine, company: KingdeeCompany) -> None:
    ledger, truth = ledger_of(engine), truth_of(company)
    assert sorted(ledger) == sorted(truth)
    assert [(key, ledger[key], truth[key]) for key in truth if ledger[key] != truth[key]][:1] == []


def settings(box: KingdeeSandbox, company: KingdeeCompany, **more: Any) -> KingdeeSettings:
    options = box.options
    return KingdeeSettings.model_validate(
        {
            "name": SOURCE,
            "kind": "kingdee",
            "server_url": box.server_url,
            "acct_id": company.dataset.acct_id,
            "user_name": options.user_name,
            "credentials": {"app_id": options.app_id, "app_secret": options.app_secret},
            "streams": ALL_STREAMS,
            "limits": {"requests_per_minute": 1_000_000},
            **more,
        }
    )


@contextmanager
def kingdee(
    box: KingdeeSandbox, company: KingdeeCompany, store: TokenStore, clock: FixedClock, **more: Any
) -> Iterator[KingdeeConnector]:
    context = NormalizeContext(source=SOURCE, timezone=ZoneInfo("Asia/Shanghai"), base_currency="CNY")
    deps = ConnectorDeps(store, lambda value: value, context, clock, sleep=lambda _: None)
    connector = build_kingdee(settings(box, company, **more), deps)
    try:
        yield connector
    finally:
        connector.close()


def _clock(company: KingdeeCompany) -> FixedClock:
    return FixedClock(company.spec.as_of + timedelta(hours=1))


def test_over_10000_bills_full_then_incremental_equal_the_truth_with_entry_rows_split_across_pages(
    engine: Engine, tmp_path: Path
) -> None:
    company = generate_kingdee_company(KingdeeSpec(customers=40, orders=4_000, seed=7))
    assert company.dataset.count() > 10_000
    clock = _clock(company)
    box = KingdeeSandbox(company.dataset)
    with box, kingdee(box, company, tokens(engine, clock, tmp_path), clock) as connector:
        first = sync(engine, clock, connector)
        assert sum(r.fetched for r in first.values()) > 10_000
        assert_ledger_is_the_truth(engine, company)
        pages = [q for q in box.stats.queries if q.get("FormId") == "SAL_SaleOrder"]
        assert len(pages) > 2  # several pages of 2,000 rows: bills were split and regrouped
        assert box.stats.logins == 1  # one session for every stream and thread

        clock.now = company.spec.as_of + timedelta(days=1, hours=2)
        changes = apply_later_changes(company, edits=20, deletes=0)
        second = sync(engine, clock, connector)
        assert sum(r.updated for r in second.values()) == len(changes.edited)
        assert sum(r.created for r in second.values()) == 0
        assert box.stats.logins == 2  # a day later the session is past its 20 minutes: one new sign-in
        assert_ledger_is_the_truth(engine, company)


def test_sessions_expiring_mid_run_500s_cut_bodies_and_ten_place_decimals_leave_the_ledger_exact(
    engine: Engine, tmp_path: Path
) -> None:
    company = generate_kingdee_company(KingdeeSpec(customers=10, orders=150, seed=3))
    clock = _clock(company)
    box = KingdeeSandbox(
        company.dataset,
        options=KingdeeSandboxOptions(session_max_calls=5, decimal_scale=10),  # 1130.0000000000
        faults=FaultPlan(rate_500=0.05, rate_truncated=0.05, seed=3),
    )
    with box, kingdee(box, company, tokens(engine, clock, tmp_path), clock, page_size=50) as connector:
        sync(engine, clock, connector)
        assert box.stats.sessions_lost > 0
        assert box.stats.logins > 1
        assert_ledger_is_the_truth(engine, company)


def test_hard_deletes_are_found_by_the_sweep(engine: Engine, tmp_path: Path) -> None:
    company = generate_kingdee_company(KingdeeSpec(customers=10, orders=120, seed=5))
    clock = _clock(company)
    box = KingdeeSandbox(company.dataset)
    with box, kingdee(box, company, tokens(engine, clock, tmp_path), clock, page_size=40) as connector:
        sync(engine, clock, connector)
        clock.now = company.spec.as_of + timedelta(days=1, hours=2)
        changes = apply_later_changes(company, edits=0, deletes=5)
        assert len(changes.deleted) == 5
        unswept = sync(engine, clock, connector)
        assert sum(r.deleted for r in unswept.values()) == 0  # a vanished bill is not in any query
        swept = sync(engine, clock, connector, sweep=True)
        assert sum(r.deleted for r in swept.values()) == 5
        assert_ledger_is_the_truth(engine, company)
    gone = {
        (d.kind, d.external_id)
        for d in SqlLedgerRepository(engine).iter_documents(source=SOURCE)
        if d.deleted
    }
    assert gone == {(KINDS[form], _external_id(form, fid)) for form, fid in company.dataset.deleted()}


def test_connector_test_reports_a_form_answered_with_no_rows_instead_of_success() -> None:
    company = generate_kingdee_company(KingdeeSpec(customers=5, orders=20, seed=9))
    clock = _clock(company)
    box = KingdeeSandbox(
        company.dataset, options=KingdeeSandboxOptions(empty_forms=frozenset({"AR_receivable"}))
    )
    with box, kingdee(box, company, FakeTokenStore(), clock) as connector:
        results = {r.what: r for r in said(connector.check())}
    empty = results["stream receivables (AR_receivable)"]
    assert (empty.ok, empty.state) == (True, "empty")
    assert empty.detail.startswith("0 rows — check permission for AR_receivable")
    assert results["stream sales_orders (SAL_SaleOrder)"].state == ""


def test_a_login_result_other_than_1_is_refused_even_with_a_session_cookie() -> None:
    company = generate_kingdee_company(KingdeeSpec(customers=5, orders=10, seed=9))
    clock = _clock(company)
    box = KingdeeSandbox(company.dataset, options=KingdeeSandboxOptions(login_result_type=2))
    with box, kingdee(box, company, FakeTokenStore(), clock) as connector:
        results = said(connector.check())
    assert not results[0].ok
    assert "LoginResultType 2" in results[0].detail
    assert all(r.detail == "skipped: cannot sign in" for r in results[1:])


def test_the_clock_is_utc_and_the_filter_is_company_local_time() -> None:
    company = generate_kingdee_company(KingdeeSpec(customers=5, orders=30, seed=4))
    clock = _clock(company)
    box = KingdeeSandbox(company.dataset)
    since = datetime(2026, 9, 1, 1, 30, tzinfo=UTC)
    with box, kingdee(box, company, FakeTokenStore(), clock, streams=["sales_orders"]) as connector:
        stream = connector.streams()["sales_orders"]
        docs = [stream.normalize(r) for page in stream.pages(since) for r in page.records]
    truth = {
        str(fid)
        for fid, facts in company.dataset.truth()["SAL_SaleOrder"].items()
        if facts.modified_at >= since  # 09:30 in Shanghai: the filter's local time
    }
    assert {d.external_id for d in docs} == truth
    assert all(d.source_modified_at is not None and d.source_modified_at >= since for d in docs)


def test_bills_deleted_and_saved_again_while_the_pass_reads_are_neither_skipped_nor_kept(
    engine: Engine, tmp_path: Path
) -> None:
    """Rows shift under the pass: the anchor sees it, the pass re-reads from there, nothing is skipped;
    the deleted bill goes with the sweep, the saved one is read in its new version."""
    company = generate_kingdee_company(KingdeeSpec(customers=10, orders=200, seed=12))
    clock = _clock(company)
    box = KingdeeSandbox(company.dataset)
    orders = sorted(company.dataset.truth()["SAL_SaleOrder"].values(), key=lambda b: (b.modified_at, b.fid))
    with box, kingdee(box, company, tokens(engine, clock, tmp_path), clock, page_size=60) as connector:
        session = connector.session
        query = session.execute_bill_query
        calls, filters = 0, []

        def shifting(data: Mapping[str, Any]) -> Any:
            nonlocal calls
            filters.append(data["FilterString"])
            rows = query(data)
            calls += 1 if data["FormId"] == "SAL_SaleOrder" else 0
            if calls == 3 and data["FormId"] == "SAL_SaleOrder":
                company.dataset.delete("SAL_SaleOrder", orders[0].fid)
                company.dataset.touch(
                    "SAL_SaleOrder", orders[1].fid, company.spec.as_of + timedelta(minutes=30)
                )
                calls += 1
            return rows

        session.execute_bill_query = shifting  # type: ignore[method-assign]
        sync(engine, clock, connector, streams=["sales_orders"], sweep=True)
    assert any(f.startswith("FModifyDate >= ") for f in filters)  # the pass re-read from its anchor
    ledger = {
        d.external_id: d
        for d in SqlLedgerRepository(engine).iter_documents(source=SOURCE, kind=DocumentKind.SALES_ORDER)
    }
    truth = company.dataset.truth()["SAL_SaleOrder"]
    assert {k for k, d in ledger.items() if not d.deleted} == {str(fid) for fid in truth}
    assert ledger[str(orders[0].fid)].deleted
    touched = ledger[str(orders[1].fid)]
    assert touched.source_modified_at == company.spec.as_of + timedelta(minutes=30)
    assert [ln.amount for ln in touched.lines] == [ln.all_amount for ln in truth[orders[1].fid].lines]


def test_password_login_works_where_the_tenant_allows_it_and_is_refused_where_it_does_not() -> None:
    company = generate_kingdee_company(KingdeeSpec(customers=5, orders=10, seed=9))
    clock = _clock(company)
    box = KingdeeSandbox(company.dataset)
    password = {"credentials": {"password": box.options.password}, "streams": ["customers"]}
    with box:
        with kingdee(box, company, FakeTokenStore(), clock, **password) as connector:
            allowed = said(connector.check())
        box.options.password_login = False  # a tenant opened after 2022-11-29 (UNVERIFIED)
        with kingdee(box, company, FakeTokenStore(), clock, **password) as connector:
            refused = said(connector.check())
    assert allowed[0].ok
    assert "ValidateUser" in allowed[0].what
    assert not refused[0].ok
    assert "password login is refused by tenants opened after 2022-11-29" in refused[0].detail


@pytest.mark.parametrize("over_limit", ["clamp", "error"])
def test_a_limit_above_the_servers_cap_reads_every_bill_whether_it_is_clamped_or_refused(
    over_limit: str,
) -> None:
    company = generate_kingdee_company(KingdeeSpec(customers=10, orders=900, seed=6))
    clock = _clock(company)
    box = KingdeeSandbox(company.dataset, options=KingdeeSandboxOptions(over_limit=over_limit))
    with (
        box,
        kingdee(box, company, FakeTokenStore(), clock, streams=["sales_orders"], page_size=5000) as connector,
    ):
        stream = connector.streams()["sales_orders"]
        read = [r["FID"] for page in stream.pages(None) for r in page.records]
    assert sorted(read) == sorted(company.dataset.truth()["SAL_SaleOrder"])
    answered = {q["Limit"] for q in box.stats.queries}  # (a refused query is not counted as answered)
    assert answered == ({5000} if over_limit == "clamp" else {2000})


def test_a_session_lost_said_only_in_words_and_a_forbidden_form_are_understood() -> None:
    company = generate_kingdee_company(KingdeeSpec(customers=5, orders=40, seed=2))
    clock = _clock(company)
    options = KingdeeSandboxOptions(
        session_max_calls=3, session_lost_msgcode=False, forbidden_forms=frozenset({"AR_RECEIVEBILL"})
    )
    box = KingdeeSandbox(company.dataset, options=options)
    with box, kingdee(box, company, FakeTokenStore(), clock, page_size=20) as connector:
        stream = connector.streams()["sales_orders"]
        read = {r["FID"] for page in stream.pages(None) for r in page.records}
        results = {r.what: r for r in said(connector.check())}
    assert read == set(company.dataset.truth()["SAL_SaleOrder"])
    assert box.stats.logins > 1
    refused = results["stream receipts (AR_RECEIVEBILL)"]
    assert not refused.ok
    assert "MsgCode 2" in refused.detail
