"""The `quickbooks` connector over real HTTP against the sandbox: query passes paged by STARTPOSITION
with an overlap, CDC for incremental reads (deletes as tombstones), minorversion on every call, the
rotating-token auth refreshing once on a 401, and Fault.Error[] as connector errors."""

from __future__ import annotations

import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import requests

from connectors.base import ConnectorDeps, NormalizeContext
from connectors.errors import AuthError, FatalApiError, TokenExpiredError
from connectors.quickbooks.client import interpreter
from connectors.quickbooks.connector import build_quickbooks
from connectors.quickbooks.streams import PAGE_OVERLAP, Statement
from connectors.sandbox.quickbooks.app import QuickBooksSandbox, QuickBooksSandboxOptions
from connectors.sandbox.quickbooks.dataset import QuickBooksDataset, Sizes, generate
from connectors.sandbox.quickbooks.oauth import OAuthOptions
from connectors.sandbox.quickbooks.query import parse
from store.canonical import CanonicalDocument, DocumentKind
from tests.check_lines import said
from tests.conftest import FakeTokenStore, FixedClock
from tests.connectors.quickbooks.support import SandboxClock, quickbooks_connector, sandbox, settings

ENTITY_OF = {"invoices": "Invoice", "payments": "Payment", "credit_memos": "CreditMemo",
             "sales_receipts": "SalesReceipt", "customers": "Customer", "items": "Item"}  # fmt: skip


def read(stream: Any, since: datetime | None = None) -> tuple[list[CanonicalDocument], list[str]]:
    docs, gone = [], []
    for page in stream.pages(since):
        docs += [stream.normalize(r) for r in page.records]
        gone += [t.external_id for t in page.tombstones]
    return docs, gone


def truth_of(data: QuickBooksDataset, entity: str) -> list[CanonicalDocument]:
    return sorted(
        (d.model_copy(update={"source": "qbo"}) for d in data.live(entity)), key=lambda d: d.external_id
    )


@pytest.fixture
def world() -> Iterator[tuple[QuickBooksDataset, Any, FixedClock, FakeTokenStore]]:
    data = generate(Sizes(customers=40, invoices=2_100, payments=200, credit_memos=30, sales_receipts=30))
    clock = FixedClock(data.latest() + timedelta(hours=1))
    ticks = SandboxClock()
    box = sandbox(data, clock, ticks)
    tokens = FakeTokenStore()
    with box, quickbooks_connector(box, tokens, clock, ticks) as connector:
        yield data, (box, connector), clock, tokens


def test_every_stream_reads_the_company_exactly_with_minorversion_75_on_every_call(world: Any) -> None:
    data, (box, connector), _, tokens = world
    for name, stream in connector.streams().items():
        docs, gone = read(stream)
        assert gone == []
        assert sorted(docs, key=lambda d: d.external_id) == truth_of(data, ENTITY_OF[name]), name
    assert set(box.minor_versions) == {"75"}
    assert [t.extra["refresh_token"] for _, t in tokens.saved][-1] != box.options.oauth.initial_refresh_token


def test_pages_start_positions_overlap_and_rows_read_twice_go_on_once(world: Any) -> None:
    _data, (box, connector), _, _ = world
    box.server.reset_counts()
    docs, _ = read(connector.streams()["invoices"])
    assert len(docs) == len({d.external_id for d in docs}) == 2_100
    assert box.server.request_counts[f"/v3/company/{box.realm_id}/query"] == 3  # 1, 981, 1961
    assert PAGE_OVERLAP == 20
    text = Statement("Invoice", start=981).text()
    query = parse(text)
    assert (query.start, query.max_results, query.order) == (
        981,
        1000,
        (("MetaData.LastUpdatedTime", False),),
    )


def test_name_lists_are_asked_for_inactive_rows_too(world: Any) -> None:
    _data, (_, connector), _, _ = world
    docs, _ = read(connector.streams()["customers"])
    assert any(d.raw_status == "Inactive" for d in docs)
    assert len(docs) == 40


def test_an_incremental_read_within_30_days_uses_cdc_deletes_are_tombstones(world: Any) -> None:
    data, (box, connector), clock, _ = world
    at = clock.now
    invoices = data.live("Invoice")
    data.delete("Invoice", invoices[0].external_id, at)
    data.edit("Invoice", invoices[1].external_id, at, balance=Decimal(0))
    data.void("Invoice", invoices[2].external_id, at)
    clock.advance(minutes=10)
    box.server.reset_counts()
    docs, gone = read(connector.streams()["invoices"], since=at - timedelta(minutes=5))
    assert gone == [invoices[0].external_id]
    assert sorted(d.external_id for d in docs) == sorted(i.external_id for i in invoices[1:3])
    counts = box.server.request_counts
    assert counts[f"/v3/company/{box.realm_id}/cdc"] == 1
    assert f"/v3/company/{box.realm_id}/query" not in counts


def test_a_cursor_older_than_cdc_reaches_reads_the_query_endpoint_since_it(world: Any) -> None:
    data, (box, connector), clock, _ = world
    box.server.reset_counts()
    since = clock.now - timedelta(days=31)
    docs, _ = read(connector.streams()["payments"], since=since)
    assert len(docs) == len(data.live("Payment"))
    assert f"/v3/company/{box.realm_id}/cdc" not in box.server.request_counts


def test_a_401_refreshes_once_and_the_call_goes_through(world: Any) -> None:
    data, (box, connector), _, _tokens = world
    stream = connector.streams()["items"]
    read(stream)
    refreshes = box.oauth.refreshes
    box.oauth.expire(connector.session.auth.token().access_token)
    docs, _ = read(stream)
    assert len(docs) == len(data.live("Item"))
    assert box.oauth.refreshes == refreshes + 1


def answer(status: int) -> requests.Response:
    response = requests.Response()
    response.status_code = status
    return response


def fault(kind: str, code: str, message: str, detail: str = "") -> dict[str, Any]:
    return {"Fault": {"Error": [{"Message": message, "Detail": detail, "code": code}], "type": kind},
            "time": datetime.now(UTC).isoformat()}  # fmt: skip


def test_fault_errors_become_connector_errors_with_the_vendors_words() -> None:
    interpret = interpreter("qbo", "123")
    with pytest.raises(
        FatalApiError, match="ValidationFault 4000: Error parsing query: QueryParserError"
    ) as raised:
        interpret(answer(400), fault("ValidationFault", "4000", "Error parsing query", "QueryParserError"))
    assert raised.value.vendor_code == "4000"
    with pytest.raises(FatalApiError, match="610"):  # a Fault inside HTTP 200 is an error too
        interpret(answer(200), fault("ValidationFault", "610", "Object Not Found"))
    with pytest.raises(TokenExpiredError):
        interpret(answer(401), fault("AuthenticationFault", "3200", "message=AuthenticationFailed"))
    with pytest.raises(AuthError, match="realm_id"):
        interpret(answer(403), fault("AuthorizationFault", "3100", "ApplicationAuthorizationFailed"))
    with pytest.raises(AuthError, match="subscription"):
        interpret(answer(400), fault("ValidationFault", "6190", "Invalid Company Status"))
    interpret(answer(429), None)  # the XML throttle fault: left to the kit's wait
    interpret(answer(200), {"QueryResponse": {}})
    assert DocumentKind.INVOICE


@pytest.mark.parametrize("keep", ["oldest", "newest"])
def test_a_full_cdc_window_is_split_where_its_prefix_checks_out_else_read_by_the_query_endpoint(
    keep: str,
) -> None:
    data = generate(Sizes(customers=40, invoices=2_500, payments=10, credit_memos=0, sales_receipts=0))
    clock = FixedClock(data.latest() + timedelta(hours=1))
    since = data.live("Invoice")[0].source_modified_at
    assert since is not None
    gone = [d.external_id for d in data.live("Invoice")[:3]]
    for n, external_id in enumerate(gone):  # deleted early in the window: in the first CDC answer
        data.delete("Invoice", external_id, since + timedelta(seconds=n))
    ticks = SandboxClock()
    box = sandbox(data, clock, ticks, options=QuickBooksSandboxOptions(cdc_keep=keep))  # type: ignore[arg-type]
    with box, quickbooks_connector(box, FakeTokenStore(), clock, ticks) as connector:
        docs, tombstones = read(connector.streams()["invoices"], since=since)
    assert {d.external_id for d in docs} == {d.external_id for d in data.live("Invoice")}
    # Kept newest, the cut answer lost the early deletions: only `sync --sweep` finds those.
    assert sorted(tombstones) == (sorted(gone) if keep == "oldest" else [])
    counts = box.server.request_counts
    cdc, query = counts[f"/v3/company/{box.realm_id}/cdc"], counts[f"/v3/company/{box.realm_id}/query"]
    if keep == "oldest":  # 2,500 changes: 1,000 + 1,000 + the rest, each full answer checked by count(*)
        assert (cdc, query) == (3, 2)
    else:  # the newest 1,000 kept: the count does not match, the query endpoint reads the window
        assert cdc == 1
        assert query == 1 + 3  # the count, then three pages


def test_the_connector_paces_itself_under_intuits_10_a_second_from_several_threads() -> None:
    data = generate(Sizes(customers=4, invoices=20, payments=5, credit_memos=0, sales_receipts=0))
    clock = FixedClock(data.latest() + timedelta(hours=1))
    box = QuickBooksSandbox(data, now=clock)  # real time: 10 a second, 500 a minute, 10 in flight
    context = NormalizeContext(source="qbo", timezone=ZoneInfo("UTC"), base_currency="CNY")
    deps = ConnectorDeps(FakeTokenStore(), lambda v: v, context, clock)  # real sleeps
    with box:
        connector = build_quickbooks(settings(box, limits={"concurrency": 8}), deps)
        stream = connector.streams()["items"]
        stream.count()  # signed in
        started = time.monotonic()
        with ThreadPoolExecutor(8) as pool:
            counts = list(pool.map(lambda _: stream.count(), range(30)))
        took = time.monotonic() - started
        connector.close()
    assert counts == [len(data.live("Item"))] * 30
    assert box.throttled == 0  # never over 10 in any second
    assert took >= 30 / (500 / 60) - 1.5  # about 8.3 a second


def test_connector_test_warns_30_days_before_the_refresh_tokens_hard_expiry() -> None:
    data = generate(Sizes(customers=4, invoices=20, payments=5, credit_memos=0, sales_receipts=0))
    clock = FixedClock(data.latest() + timedelta(hours=1))
    ticks = SandboxClock()
    options = QuickBooksSandboxOptions(oauth=OAuthOptions(hard_expires_in=12 * 86400))
    box = sandbox(data, clock, ticks, options=options)
    with box, quickbooks_connector(box, FakeTokenStore(), clock, ticks, streams=["items"]) as connector:
        raw = connector.check()
    lines = said(raw)
    assert [line.ok for line in lines] == [True, True]
    expires = (clock.now + timedelta(days=12)).date().isoformat()
    assert f"WARNING: the refresh token expires {expires}" in lines[0].detail
    assert "connector authorize" in lines[0].detail
    [chinese] = said(raw[:1], "zh")
    assert f"；警告：刷新令牌将于 {expires} 过期（还剩 12 天）" in chinese.detail
    assert chinese.detail.startswith("访问令牌有效期至 ")
