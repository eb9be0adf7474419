"""The Fxiaoke sandbox behaves as the api-notes describe: tokens, envelopes, query rules, voids, deletes."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pytest
import requests

from connectors.sandbox.fxiaoke import FxiaokeDataset, FxiaokeSandbox, customer
from store.canonical import CanonicalDocument, DocumentKind, Line, PartyRef, Status

AT = datetime(2026, 11, 1, 2, 0, tzinfo=UTC)


class Clock:
    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


def order(dataset: FxiaokeDataset, number: str, **changes: Any) -> CanonicalDocument:
    fields: dict[str, Any] = {
        "source": "fxiaoke",
        "kind": DocumentKind.SALES_ORDER,
        "external_id": dataset.new_id(AT),
        "number": number,
        "party": PartyRef(external_id="5f3a2c1e7c604a00017d9a10", name="上海申远贸易有限公司"),
        "issued_on": date(2026, 11, 1),
        "total": Decimal("100.00"),
        "lines": (
            Line(product="伺服电机", quantity=Decimal(1), unit_price=Decimal(100), amount=Decimal(100)),
        ),
        **changes,
    }
    return dataset.add(CanonicalDocument(**fields), modified_at=AT)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def dataset() -> FxiaokeDataset:
    ds = FxiaokeDataset(clock=lambda: AT)
    ds.add(customer(ds.new_id(AT), "上海申远贸易有限公司", owner="1001"), modified_at=AT)
    return ds


@pytest.fixture
def sandbox(dataset: FxiaokeDataset, clock: Clock) -> Iterator[FxiaokeSandbox]:
    with FxiaokeSandbox(dataset, clock=clock) as server:
        yield server


def get_token(sandbox: FxiaokeSandbox, **changes: str) -> dict[str, Any]:
    creds = sandbox.credentials
    body = {
        "appId": creds.app_id,
        "appSecret": creds.app_secret,
        "permanentCode": creds.permanent_code,
        **changes,
    }
    answer: dict[str, Any] = requests.post(
        sandbox.url + "/cgi/corpAccessToken/get/V2", json=body, timeout=5
    ).json()
    return answer


def query(
    sandbox: FxiaokeSandbox, data: dict[str, Any], *, path: str = "/cgi/crm/v2/data/query"
) -> dict[str, Any]:
    token = get_token(sandbox)
    body = {
        "corpAccessToken": token["corpAccessToken"],
        "corpId": token["corpId"],
        "currentOpenUserId": "FSUID_SANDBOX_ADMIN",
        "data": data,
    }
    answer: dict[str, Any] = requests.post(
        sandbox.url + path + "?thirdTraceId=t-1", json=body, timeout=5
    ).json()
    return answer


def search(api_name: str = "SalesOrderObj", **info: Any) -> dict[str, Any]:
    return {"dataObjectApiName": api_name, "search_query_info": {"limit": 100, "offset": 0, **info}}


def test_the_same_token_is_handed_out_until_its_last_ten_minutes(
    sandbox: FxiaokeSandbox, clock: Clock
) -> None:
    first = get_token(sandbox)
    clock.now += 6000
    again = get_token(sandbox)
    clock.now += 700
    renewed = get_token(sandbox)

    assert first["errorCode"] == 0
    assert again["corpAccessToken"] == first["corpAccessToken"]
    assert again["expiresIn"] == 1200
    assert renewed["corpAccessToken"] != first["corpAccessToken"]
    assert renewed["expiresIn"] == 7200


def test_wrong_credentials_are_refused_with_their_codes(sandbox: FxiaokeSandbox) -> None:
    assert get_token(sandbox, appSecret="nope")["errorCode"] == 20006
    assert get_token(sandbox, permanentCode="nope")["errorCode"] == 20015
    assert get_token(sandbox, appSecret="")["errorCode"] == 10006


def test_the_token_endpoint_allows_ten_calls_a_minute(sandbox: FxiaokeSandbox) -> None:
    codes = [get_token(sandbox)["errorCode"] for _ in range(11)]

    assert codes == [0] * 10 + [30004]


def test_concurrent_token_calls_are_refused(dataset: FxiaokeDataset, clock: Clock) -> None:
    with FxiaokeSandbox(dataset, clock=clock, token_latency=0.3) as sandbox:
        answers: list[int] = []
        threads = [
            threading.Thread(target=lambda: answers.append(get_token(sandbox)["errorCode"])) for _ in range(2)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

    assert sorted(answers) == [-1, 0]
    assert sandbox.stats.token_concurrent_refused == 1


def test_business_calls_need_a_token_and_a_user_and_echo_the_trace_id(sandbox: FxiaokeSandbox) -> None:
    url = sandbox.url + "/cgi/crm/v2/data/query?thirdTraceId=abc-123"
    token = get_token(sandbox)
    missing = requests.post(url, json={"data": search()}, timeout=5).json()
    no_user = requests.post(
        url,
        json={"corpAccessToken": token["corpAccessToken"], "corpId": token["corpId"], "data": search()},
        timeout=5,
    ).json()
    expired = requests.post(
        url, json={"corpAccessToken": "dead", "corpId": token["corpId"], "currentOpenUserId": "x"}, timeout=5
    ).json()

    assert (missing["errorCode"], missing["traceId"]) == (20017, "abc-123")
    assert no_user["errorCode"] == 10001
    assert expired["errorCode"] == 20016


@pytest.mark.parametrize(
    ("data", "code"),
    [
        ({"dataObjectApiName": "SalesOrderObj", "searchQueryInfo": {}}, 10001),
        (search(filters=[{"fieldName": "_id", "operator": "EQ", "field_values": ["x"]}]), 10001),
        (search(filters=[{"field_name": "_id", "operator": "EQ", "field_values": "x"}]), 10001),
        (search(orders=[{"field_name": "_id", "isAsc": True}]), 10001),
        (search(limit=101), 10001),
        (search(limit=30, offset=45), 10001),
        (search(offset=10_100), 10013),
        (search("Receivable__c"), 10002),
    ],
)
def test_requests_off_the_documented_shape_are_refused(
    sandbox: FxiaokeSandbox, data: dict[str, Any], code: int
) -> None:
    assert query(sandbox, data)["errorCode"] == code


def test_custom_objects_are_served_on_the_custom_path_only(sandbox: FxiaokeSandbox) -> None:
    assert query(sandbox, search("AccountObj"), path="/cgi/crm/custom/v2/data/query")["errorCode"] == 10002


def test_rows_are_vendor_json_with_omitted_optional_fields(
    sandbox: FxiaokeSandbox, dataset: FxiaokeDataset
) -> None:
    doc = order(dataset, "20261101-000001", owner="1001", balance=Decimal("40.00"))

    (row,) = query(sandbox, search())["data"]["dataList"]

    assert row["_id"] == doc.external_id
    assert row["order_amount"] == "100.00"
    assert row["receivable_amount"] == "40.00"
    assert row["account_id__r"] == "上海申远贸易有限公司"
    assert row["order_time"] == 1793462400000  # 2026-11-01 00:00 in Shanghai = 10-31 16:00 UTC
    assert row["owner"] == ["1001"]
    assert "mc_currency" not in row
    assert "product_amount" not in row


def test_filters_orders_and_projection_are_applied(sandbox: FxiaokeSandbox, dataset: FxiaokeDataset) -> None:
    docs = [order(dataset, f"20261101-00000{i}") for i in range(3)]
    ids = [d.external_id for d in docs]

    answer = query(
        sandbox,
        search(
            filters=[{"field_name": "_id", "operator": "IN", "field_values": ids[:2]}],
            orders=[{"fieldName": "_id", "isAsc": False}],
            fieldProjection=["name"],
        ),
    )

    assert answer["data"]["dataList"] == [
        {"_id": ids[1], "name": "20261101-000001"},
        {"_id": ids[0], "name": "20261101-000000"},
    ]


def test_voided_records_stay_visible_and_hard_deleted_ones_vanish(
    sandbox: FxiaokeSandbox, dataset: FxiaokeDataset
) -> None:
    kept, gone = order(dataset, "20261101-000001"), order(dataset, "20261101-000002")
    dataset.void(kept.external_id)
    dataset.void(gone.external_id)
    dataset.delete(gone.external_id)

    rows = query(sandbox, search())["data"]["dataList"]
    lines = query(sandbox, search("SalesOrderProductObj"))["data"]["dataList"]

    assert [(r["_id"], r["life_status"]) for r in rows] == [(kept.external_id, "invalid")]
    assert {r["order_id"] for r in lines} == {kept.external_id}
    assert dataset.get(kept.external_id).status is Status.VOID
    assert [d.external_id for d in dataset.deleted()] == [gone.external_id]


def test_only_voided_records_can_be_deleted(dataset: FxiaokeDataset) -> None:
    doc = order(dataset, "20261101-000001")

    with pytest.raises(ValueError, match="voided"):
        dataset.delete(doc.external_id)


def test_the_daily_quota_answers_30002_until_it_is_restored(sandbox: FxiaokeSandbox) -> None:
    sandbox.exhaust_quota()
    spent = query(sandbox, search())["errorCode"]
    sandbox.restore_quota()

    assert spent == 30002
    assert query(sandbox, search())["errorCode"] == 0


def test_the_per_path_throttle_answers_30004(dataset: FxiaokeDataset, clock: Clock) -> None:
    with FxiaokeSandbox(dataset, clock=clock, throttle=(2, 60.0)) as sandbox:
        codes = [query(sandbox, search())["errorCode"] for _ in range(3)]

    assert codes == [0, 0, 30004]
