"""The Fxiaoke connector over HTTP (`responses`): request bodies, tokens, errorCodes, paging, limits."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import responses
from structlog.testing import capture_logs

from connectors.base import Token
from connectors.errors import (
    AuthError,
    FatalApiError,
    QuotaExhaustedError,
    TokenExpiredError,
)
from connectors.fxiaoke.streams import SPECS, FxiaokeStream
from store.canonical import DocumentKind
from tests.check_lines import said
from tests.conftest import FakeTokenStore, FixedClock
from tests.connectors.fxiaoke.helpers import (
    BASE,
    CREDENTIALS,
    CUSTOM_URL,
    OAUTH_URL,
    QUERY_URL,
    TOKEN_URL,
    USER,
    Tables,
    body_of,
    calls_to,
    connector,
    envelope,
    recording,
    token_answer,
    trace_id_of,
)

T0_MS = 1_764_230_400_000  # 2025-11-27 08:00 UTC


def order_row(i: int, modified: int) -> dict[str, Any]:
    return {
        "_id": f"{i:024x}",
        "name": f"20251127-{i:06d}",
        "account_id": "5f3a2c1e7c604a00017d9a10",
        "account_id__r": "上海申远贸易有限公司",
        "order_amount": "100.00",
        "life_status": "normal",
        "last_modified_time": modified,
    }


def orders_stream(
    mock: responses.RequestsMock, token_store: FakeTokenStore, clock: FixedClock, rows: list[Any]
) -> tuple[FxiaokeStream, Tables]:
    mock.post(TOKEN_URL, json=token_answer())
    tables = Tables({"SalesOrderObj": rows, "SalesOrderProductObj": []})
    tables.register(mock)
    return connector(token_store, clock).sweepable("sales_orders"), tables


def test_the_token_request_and_every_query_carry_the_documented_fields_and_casing(
    token_store: FakeTokenStore, clock: FixedClock
) -> None:
    since = datetime(2025, 11, 27, 8, 0, tzinfo=UTC)
    with recording() as mock:
        stream, tables = orders_stream(mock, token_store, clock, [order_row(1, T0_MS + 5)])
        pages = list(stream.pages(since))

    assert body_of(mock.calls[0].request) == {
        "appId": "FSAID_131a8b2",
        "appSecret": "s3cr3t-app",
        "permanentCode": "PERM-42",
    }
    first = tables.bodies[0]
    assert {k: first[k] for k in ("corpAccessToken", "corpId", "currentOpenUserId")} == {
        "corpAccessToken": "tok-1",
        "corpId": "FSCID_1",
        "currentOpenUserId": USER,
    }
    info = first["data"]["search_query_info"]
    assert first["data"]["dataObjectApiName"] == "SalesOrderObj"
    assert info["limit"] == 100
    assert info["offset"] == 0
    assert info["filters"] == [
        {"field_name": "last_modified_time", "operator": "GTE", "field_values": [str(T0_MS)]}
    ]
    assert info["orders"] == [
        {"fieldName": "last_modified_time", "isAsc": True},
        {"fieldName": "_id", "isAsc": True},
    ]
    assert "order_amount" in info["fieldProjection"]
    assert "searchQueryInfo" not in first["data"]
    detail = tables.bodies[1]["data"]
    assert detail["dataObjectApiName"] == "SalesOrderProductObj"
    assert detail["search_query_info"]["filters"] == [
        {"field_name": "order_id", "operator": "IN", "field_values": [f"{1:024x}"]}
    ]
    assert [len(p.records) for p in pages] == [1]
    assert pages[0].records[0]["details"] == {"SalesOrderProductObj": []}


def test_every_request_has_its_own_third_trace_id_even_a_retry(
    token_store: FakeTokenStore, clock: FixedClock
) -> None:
    with recording() as mock:
        mock.post(TOKEN_URL, json=token_answer())
        mock.post(QUERY_URL, json=envelope(code=-1, message="系统繁忙"))
        mock.post(QUERY_URL, json=envelope({"dataList": []}))
        connector(token_store, clock).api.query("AccountObj")
        connector(token_store, clock).api.query("AccountObj")

    traces = [trace_id_of(call.request) for call in mock.calls]
    assert len(traces) == 4
    assert None not in traces
    assert len(set(traces)) == 4


def test_an_expired_token_is_refreshed_once_and_the_call_retried_once(
    token_store: FakeTokenStore, clock: FixedClock
) -> None:
    with recording() as mock:
        mock.post(TOKEN_URL, json=token_answer("tok-1"))
        mock.post(TOKEN_URL, json=token_answer("tok-2"))
        mock.post(QUERY_URL, json=envelope(code=20016, message="corpAccessToken 已过期"))
        mock.post(QUERY_URL, json=envelope({"dataList": [{"_id": "a"}]}))
        rows = connector(token_store, clock).api.query("AccountObj")

    assert rows == [{"_id": "a"}]
    sent = [body_of(r).get("corpAccessToken") for r in calls_to(mock, QUERY_URL)]
    assert sent == ["tok-1", "tok-2"]
    assert token_store.tokens["fxiaoke:fxk"].access_token == "tok-2"


def test_a_token_refused_twice_gives_up_with_the_trace_id(
    token_store: FakeTokenStore, clock: FixedClock
) -> None:
    with recording() as mock:
        mock.post(TOKEN_URL, json=token_answer("tok-1"))
        mock.post(TOKEN_URL, json=token_answer("tok-2"))
        mock.post(QUERY_URL, json=envelope(code=20016, message="invalid", trace="E-O.abc"))
        with pytest.raises(AuthError, match="freshly fetched token was refused too") as caught:
            connector(token_store, clock).api.query("AccountObj")

    assert not isinstance(caught.value, TokenExpiredError)  # final: no third token request
    assert caught.value.trace_id == "E-O.abc"
    assert len(calls_to(mock, TOKEN_URL)) == 2


@pytest.mark.parametrize("code", [-1, 50009, 14001, 30004])
def test_busy_and_throttled_answers_are_retried_until_the_call_succeeds(
    code: int, token_store: FakeTokenStore, clock: FixedClock
) -> None:
    with recording() as mock:
        mock.post(TOKEN_URL, json=token_answer())
        mock.post(QUERY_URL, json=envelope(code=code, message="busy"))
        mock.post(QUERY_URL, json=envelope(code=code, message="busy"))
        mock.post(QUERY_URL, json=envelope({"dataList": [{"_id": "a"}]}))
        rows = connector(token_store, clock).api.query("AccountObj")

    assert rows == [{"_id": "a"}]


def test_a_truncated_body_is_retried(token_store: FakeTokenStore, clock: FixedClock) -> None:
    with recording() as mock:
        mock.post(TOKEN_URL, json=token_answer())
        mock.post(QUERY_URL, body='{"errorCode":0,"data":{"dataList":[{"_id":"a"')
        mock.post(QUERY_URL, json=envelope({"dataList": [{"_id": "a"}]}))
        rows = connector(token_store, clock).api.query("AccountObj")

    assert rows == [{"_id": "a"}]


def test_a_failed_call_logs_its_trace_id(token_store: FakeTokenStore, clock: FixedClock) -> None:
    with recording() as mock, capture_logs() as logs:
        mock.post(TOKEN_URL, json=token_answer())
        mock.post(QUERY_URL, json=envelope(code=10002, message="对象不存在", trace="E-O.trace-9"))
        with pytest.raises(FatalApiError, match=r"E-O\.trace-9") as caught:
            connector(token_store, clock).api.query("NoSuchObj")

    assert caught.value.vendor_code == "10002"
    assert {"event": "fxiaoke.api_error", "trace_id": "E-O.trace-9", "error_code": 10002}.items() <= next(
        e for e in logs if e["event"] == "fxiaoke.api_error"
    ).items()


def test_the_daily_quota_stops_every_stream_until_midnight_in_shanghai(
    token_store: FakeTokenStore, clock: FixedClock
) -> None:
    fxk = connector(token_store, clock)
    with recording() as mock:
        mock.post(TOKEN_URL, json=token_answer())
        mock.post(QUERY_URL, json=envelope(code=30002, message="今日调用次数已用完"))
        with pytest.raises(QuotaExhaustedError) as first:
            fxk.api.query("AccountObj")
        with pytest.raises(QuotaExhaustedError) as second:
            list(fxk.streams()["products"].pages(None))
        assert len(mock.calls) == 2  # the second stream never called Fxiaoke

    # clock: 2026-11-27 08:00 UTC = 16:00 in Shanghai -> resets at 2026-11-28 00:00 +08:00
    assert first.value.resets_at == datetime(2026, 11, 28, tzinfo=ZoneInfo("Asia/Shanghai"))
    assert "midnight Asia/Shanghai" in str(second.value)
    clock.now = datetime(2026, 11, 27, 16, 0, 1, tzinfo=UTC)
    with recording() as mock:
        mock.post(TOKEN_URL, json=token_answer("tok-2"))
        mock.post(QUERY_URL, json=envelope({"dataList": []}))
        assert fxk.api.query("AccountObj") == []


@pytest.mark.parametrize(
    ("code", "error", "advice"),
    [
        (30003, FatalApiError, "resource pack"),
        (20021, AuthError, "enterprise admin must enable"),
        (20022, AuthError, "enterprise admin must enable"),
        (20014, AuthError, "current_open_user_id"),
        (20017, AuthError, "app_id, app_secret and permanent_code"),
    ],
)
def test_errors_an_admin_must_fix_stop_at_once_with_advice(
    code: int, error: type[Exception], advice: str, token_store: FakeTokenStore, clock: FixedClock
) -> None:
    with recording() as mock:
        mock.post(TOKEN_URL, json=token_answer())
        mock.post(QUERY_URL, json=envelope(code=code, message="refused"))
        with pytest.raises(error, match=advice):
            connector(token_store, clock).api.query("AccountObj")
        assert len(mock.calls) == 2


def test_bad_app_credentials_fail_the_connection_check_with_what_to_check(
    token_store: FakeTokenStore, clock: FixedClock
) -> None:
    with recording() as mock:
        mock.post(TOKEN_URL, json=envelope(code=20006, message="appId或appSecret错误"))
        results = said(connector(token_store, clock).check())

    assert [(r.ok, r.what) for r in results] == [(False, "authenticate (corpAccessToken)")]
    assert "app_secret" in results[0].detail


def test_the_connection_check_reads_one_row_of_each_stream(
    token_store: FakeTokenStore, clock: FixedClock
) -> None:
    with recording() as mock:
        mock.post(TOKEN_URL, json=token_answer())
        tables = Tables({name: [] for name in ("AccountObj", "ProductObj")})
        tables.register(mock)
        results = connector(token_store, clock, streams=["accounts", "products"]).check()

    assert [r.ok for r in results] == [True, True, True]
    assert [b["data"]["search_query_info"]["limit"] for b in tables.bodies] == [1, 1]


def test_paging_reads_past_ten_thousand_rows_without_ever_sending_an_offset(
    token_store: FakeTokenStore, clock: FixedClock
) -> None:
    rows = [order_row(i, T0_MS + i // 3) for i in range(10_250)]
    with recording() as mock:
        mock.post(TOKEN_URL, json=token_answer())
        tables = Tables({"SalesOrderObj": rows, "SalesOrderProductObj": []})
        tables.register(mock)
        stream = connector(token_store, clock).streams()["sales_orders"]
        seen = [r["_id"] for page in stream.pages(None) for r in page.records]

    assert len(seen) == len(set(seen)) == 10_250
    infos = [b["data"]["search_query_info"] for b in tables.bodies]
    assert {i["offset"] for i in infos} == {0}
    masters = [
        i
        for b, i in zip(tables.bodies, infos, strict=True)
        if b["data"]["dataObjectApiName"] == "SalesOrderObj"
    ]
    assert int(masters[-1]["filters"][0]["field_values"][0]) > T0_MS + 10_000 // 3  # past row 10,000


def test_the_id_sweep_asks_for_ids_only_and_pages_by_id(
    token_store: FakeTokenStore, clock: FixedClock
) -> None:
    rows = [order_row(i, T0_MS) for i in range(250)]
    with recording() as mock:
        mock.post(TOKEN_URL, json=token_answer())
        tables = Tables({"PaymentObj": rows})
        tables.register(mock)
        batches = list(connector(token_store, clock).sweepable("payments").live_ids())

    assert [len(b) for b in batches] == [100, 100, 50]
    infos = [b["data"]["search_query_info"] for b in tables.bodies]
    assert all(i["fieldProjection"] == ["_id"] for i in infos)
    assert infos[1]["filters"] == [{"field_name": "_id", "operator": "GT", "field_values": [f"{99:024x}"]}]


def test_custom_objects_are_queried_on_the_custom_path(
    token_store: FakeTokenStore, clock: FixedClock
) -> None:
    with recording() as mock:
        mock.post(TOKEN_URL, json=token_answer())
        mock.post(CUSTOM_URL, json=envelope({"dataList": [{"_id": "c1"}]}))
        rows = connector(token_store, clock).api.query("object_receivable__c")

    assert rows == [{"_id": "c1"}]


def test_payments_attach_their_allocations_from_order_payment_rows(
    token_store: FakeTokenStore, clock: FixedClock
) -> None:
    payment = {**order_row(7, T0_MS), "payment_amount": "300.00", "name": "20251127-000007"}
    allocations = [
        {"_id": "b2", "payment_id": f"{7:024x}", "order_id": "o2", "payment_amount": "100.00"},
        {"_id": "b1", "payment_id": f"{7:024x}", "order_id": "o1", "payment_amount": "200.00"},
        {"_id": "b3", "payment_id": "another", "order_id": "o3", "payment_amount": "1.00"},
    ]
    with recording() as mock:
        mock.post(TOKEN_URL, json=token_answer())
        Tables({"PaymentObj": [payment], "OrderPaymentObj": allocations}).register(mock)
        stream = connector(token_store, clock).streams()["payments"]
        (page,) = list(stream.pages(None))
        doc = stream.normalize(page.records[0])

    assert [(a.invoice_external_id, a.amount, a.target_kind) for a in doc.allocations] == [
        ("o1", Decimal("200.00"), DocumentKind.SALES_ORDER),
        ("o2", Decimal("100.00"), DocumentKind.SALES_ORDER),
    ]


def test_a_cached_token_is_reused_across_connectors_and_refreshed_early(
    token_store: FakeTokenStore, clock: FixedClock
) -> None:
    with recording() as mock:
        mock.post(TOKEN_URL, json=token_answer("tok-1"))
        mock.post(QUERY_URL, json=envelope({"dataList": []}))
        connector(token_store, clock).api.query("AccountObj")
        connector(token_store, clock).api.query("AccountObj")
        assert len(calls_to(mock, TOKEN_URL)) == 1

        clock.advance(seconds=7200 - 599)  # inside the last 600 s: Fxiaoke hands out a new token
        mock.post(TOKEN_URL, json=token_answer("tok-2"))
        connector(token_store, clock).api.query("AccountObj")

    assert [t.access_token for _, t in token_store.saved] == ["tok-1", "tok-2"]


def test_a_token_handed_back_unchanged_early_is_used_without_asking_again(
    token_store: FakeTokenStore, clock: FixedClock
) -> None:
    token_store.tokens["fxiaoke:fxk"] = Token(
        "tok-1", clock() + timedelta(seconds=500), {"style": "legacy", "corp_id": "FSCID_1"}
    )
    with recording() as mock:
        mock.post(TOKEN_URL, json=token_answer("tok-1", expires_in=500))
        mock.post(QUERY_URL, json=envelope({"dataList": []}))
        fxk = connector(token_store, clock)
        for _ in range(3):
            fxk.api.query("AccountObj")

    assert len(calls_to(mock, TOKEN_URL)) == 1


def test_the_bearer_style_sends_headers_and_no_token_in_the_body(
    token_store: FakeTokenStore, clock: FixedClock
) -> None:
    with recording() as mock:
        mock.post(OAUTH_URL, json={**envelope(), "accessToken": "bear-1", "expiresIn": 7200, "ea": "fs-ea-9"})
        mock.post(QUERY_URL, json=envelope({"dataList": []}))
        connector(token_store, clock, auth_style="bearer").api.query("AccountObj")

    token_call, query_call = mock.calls
    assert body_of(token_call.request) == {
        "appId": CREDENTIALS["app_id"],
        "appSecret": CREDENTIALS["app_secret"],
        "permanentCode": CREDENTIALS["permanent_code"],
        "grantType": "app_secret",
    }
    headers = query_call.request.headers
    assert (headers["authorization"], headers["x-fs-ea"], headers["x-fs-userid"]) == (
        "Bearer bear-1",
        "fs-ea-9",
        USER,
    )
    body = body_of(query_call.request)
    assert body["convertUserId"] is True
    assert not {"corpAccessToken", "corpId", "currentOpenUserId"} & set(body)


def test_an_answer_without_an_envelope_is_not_mistaken_for_data(
    token_store: FakeTokenStore, clock: FixedClock
) -> None:
    with recording() as mock:
        mock.post(TOKEN_URL, json=token_answer())
        mock.post(QUERY_URL, json={"unexpected": True})
        with pytest.raises(Exception, match="errorCode envelope"):
            connector(token_store, clock, retry_attempts=1).api.query("AccountObj")


def test_the_base_url_comes_from_the_configuration(token_store: FakeTokenStore, clock: FixedClock) -> None:
    with recording() as mock:
        mock.post(TOKEN_URL, json=token_answer())
        mock.post(QUERY_URL, json=envelope({"dataList": []}))
        connector(token_store, clock).api.query("AccountObj")

    assert len(calls_to(mock, BASE)) == len(mock.calls) == 2


def test_the_order_query_asks_for_every_field_its_total_is_made_of() -> None:
    """data/query returns only the projected fields: without `discount` (a percent) every order's
    discount would be unknown and its total never audited."""
    assert {"order_amount", "product_amount", "discount"} <= set(SPECS["sales_orders"].projection)
