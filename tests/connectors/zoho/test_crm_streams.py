"""The CRM v8 reader: what it sends (fields, paging, If-Modified-Since) and how it reads answers."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import responses

from connectors.errors import AuthError, FatalApiError
from connectors.zoho.connector import ZohoStream
from connectors.zoho.crm import CRM_STREAMS, build_crm
from tests.conftest import FakeTokenStore, FixedClock
from tests.connectors.zoho.helpers import (
    API,
    add_token,
    calls_to,
    crm_page,
    crm_settings,
    make_deps,
    params_of,
    record,
)

INVOICES = f"{API}/crm/v8/Invoices"
SINCE = datetime(2026, 11, 20, 1, 10, tzinfo=UTC)


@pytest.fixture
def sleeps() -> list[float]:
    return []


@pytest.fixture
def invoices(
    mocked: responses.RequestsMock, token_store: FakeTokenStore, clock: FixedClock, sleeps: list[float]
) -> ZohoStream:
    add_token(mocked)
    connector = build_crm(crm_settings(streams=["invoices"]), make_deps(token_store, clock, sleeps=sleeps))
    return connector.streams()["invoices"]


def test_a_full_read_sends_the_field_list_and_sorts_by_modified_time_ascending(
    mocked: responses.RequestsMock, invoices: ZohoStream
) -> None:
    mocked.get(f"{INVOICES}/deleted", status=204)  # a first sync reads the deleted list too
    mocked.get(INVOICES, json=crm_page([record(1), record(2)], more=False))

    pages = list(invoices.pages(None))

    assert [len(p.records) for p in pages] == [2]
    (call,) = calls_to(mocked, "/crm/v8/Invoices")
    params = params_of(call)
    assert params["fields"].split(",") == list(CRM_STREAMS["invoices"].fields)
    assert len(params["fields"].split(",")) <= 50
    assert (params["per_page"], params["sort_by"], params["sort_order"], params["page"]) == (
        "200",
        "Modified_Time",
        "asc",
        "1",
    )
    assert "If-Modified-Since" not in call.request.headers
    assert invoices.ordered is True
    (deleted_call,) = calls_to(mocked, "/crm/v8/Invoices/deleted")  # deleted before we ever saw them
    assert "If-Modified-Since" not in deleted_call.request.headers


def test_pages_one_to_ten_use_page_and_the_eleventh_uses_the_page_token_alone(
    mocked: responses.RequestsMock, invoices: ZohoStream
) -> None:
    mocked.get(f"{INVOICES}/deleted", status=204)  # a first sync reads the deleted list too
    for n in range(1, 11):
        rows = [record(n * 1000 + i) for i in range(200)]
        mocked.get(INVOICES, json=crm_page(rows, more=True, token=f"tok-{n}"))
    mocked.get(INVOICES, json=crm_page([record(99_999)], more=True, token="tok-11"))
    mocked.get(INVOICES, json=crm_page([record(99_998)], more=False))

    pages = list(invoices.pages(None))

    assert sum(len(p.records) for p in pages) == 2_002
    sent = [params_of(c) for c in calls_to(mocked, "/crm/v8/Invoices")]
    assert [p.get("page") for p in sent[:10]] == [str(n) for n in range(1, 11)]
    assert "page" not in sent[10]
    assert sent[10]["page_token"] == "tok-10"
    assert "page" not in sent[11]
    assert sent[11]["page_token"] == "tok-11"


def test_an_incremental_read_sends_if_modified_since_and_reads_deletions_first(
    mocked: responses.RequestsMock, invoices: ZohoStream
) -> None:
    deleted = {
        "data": [
            {
                "id": "5725770000000000009",
                "display_name": "INV-9",
                "type": "recycle",
                "deleted_time": "2026-11-20T10:00:00+08:00",
            },
        ],
        "info": {"per_page": 200, "count": 1, "page": 1, "more_records": False},
    }
    mocked.get(f"{INVOICES}/deleted", json=deleted)
    mocked.get(INVOICES, json=crm_page([record(1)], more=False))

    pages = list(invoices.pages(SINCE))

    (entry,) = pages[0].records  # passed on as a record the stream makes a tombstone of
    tombstone = invoices.normalize(entry)
    assert (tombstone.external_id, tombstone.number, tombstone.status.value) == (
        "5725770000000000009",
        "INV-9",
        "deleted",
    )
    assert tombstone.references == {"deleted_at": "2026-11-20T02:00:00Z"}
    assert len(pages[1].records) == 1
    deleted_call, records_call = mocked.calls[1:]
    assert str(deleted_call.request.url).split("?")[0].endswith("/Invoices/deleted")
    assert params_of(deleted_call)["type"] == "all"
    for call in (deleted_call, records_call):
        assert call.request.headers["If-Modified-Since"] == "2026-11-20T01:10:00+00:00"


@pytest.mark.parametrize("status", [204, 304])
def test_an_empty_module_or_nothing_modified_yields_no_records(
    mocked: responses.RequestsMock, invoices: ZohoStream, status: int
) -> None:
    mocked.get(f"{INVOICES}/deleted", status=204)
    mocked.get(INVOICES, status=status)

    pages = list(invoices.pages(SINCE))

    assert [p for p in pages if p.records or p.tombstones] == []
    assert len(calls_to(mocked, "/crm/v8/Invoices")) == 1


def test_more_than_fifty_fields_are_fetched_in_batches_and_merged_by_id(
    mocked: responses.RequestsMock, token_store: FakeTokenStore, clock: FixedClock
) -> None:
    mocked.get(f"{INVOICES}/deleted", status=204)  # a first sync reads the deleted list too
    add_token(mocked)
    extra = [f"Custom_{i}__c" for i in range(45)]
    connector = build_crm(
        crm_settings(streams=["invoices"], extra_fields={"invoices": extra}), make_deps(token_store, clock)
    )
    first, second = record(1), record(2)
    mocked.get(INVOICES, json=crm_page([first, second], more=False))
    mocked.get(
        INVOICES,
        json=crm_page(
            [{"id": second["id"], "Custom_44__c": "b"}, {"id": first["id"], "Custom_44__c": "a"}], more=False
        ),
    )

    (page,) = list(connector.streams()["invoices"].pages(None))

    main, batch = calls_to(mocked, "/crm/v8/Invoices")
    main_fields = params_of(main)["fields"].split(",")
    batch_fields = params_of(batch)["fields"].split(",")
    assert len(main_fields) == 50
    assert 0 < len(batch_fields) <= 50
    assert set(main_fields).isdisjoint(batch_fields)
    assert set(main_fields) | set(batch_fields) == {*CRM_STREAMS["invoices"].fields, *extra}
    assert params_of(batch)["ids"] == f"{first['id']},{second['id']}"
    assert [(r["id"], r["Custom_44__c"], r["Modified_Time"]) for r in page.records] == [
        (first["id"], "a", first["Modified_Time"]),
        (second["id"], "b", second["Modified_Time"]),
    ]


def test_a_page_token_that_comes_back_twice_stops_the_read_with_an_error(
    mocked: responses.RequestsMock, invoices: ZohoStream
) -> None:
    mocked.get(f"{INVOICES}/deleted", status=204)  # a first sync reads the deleted list too
    for n in range(1, 11):
        mocked.get(INVOICES, json=crm_page([record(n)], more=True, token="tok-x"))
    mocked.get(INVOICES, json=crm_page([record(11)], more=True, token="tok-x"))

    with pytest.raises(FatalApiError, match="same page_token"):
        list(invoices.pages(None))


def test_a_missing_scope_is_an_auth_error_naming_the_scope_without_a_token_refresh(
    mocked: responses.RequestsMock, invoices: ZohoStream
) -> None:
    mocked.get(f"{INVOICES}/deleted", status=204)  # a first sync reads the deleted list too
    body = {
        "code": "OAUTH_SCOPE_MISMATCH",
        "details": {},
        "message": "invalid oauth scope",
        "status": "error",
    }
    mocked.get(INVOICES, json=body, status=401)

    with pytest.raises(AuthError, match=r"ZohoCRM\.modules\.READ") as caught:
        list(invoices.pages(None))

    assert caught.value.vendor_code == "OAUTH_SCOPE_MISMATCH"
    assert len(calls_to(mocked, "/oauth/v2/token")) == 1


def test_a_bad_request_is_fatal_and_carries_the_vendor_code_and_details(
    mocked: responses.RequestsMock, invoices: ZohoStream
) -> None:
    mocked.get(f"{INVOICES}/deleted", status=204)  # a first sync reads the deleted list too
    body = {
        "code": "REQUIRED_PARAM_MISSING",
        "details": {"param_name": "fields"},
        "message": "One of the expected parameter is missing",
        "status": "error",
    }
    mocked.get(INVOICES, json=body, status=400)

    with pytest.raises(FatalApiError, match="param_name") as caught:
        list(invoices.pages(None))

    assert caught.value.vendor_code == "REQUIRED_PARAM_MISSING"
    assert len(calls_to(mocked, "/crm/v8/Invoices")) == 1


def test_rate_limits_and_server_errors_are_retried_honouring_retry_after(
    mocked: responses.RequestsMock, invoices: ZohoStream, sleeps: list[float]
) -> None:
    mocked.get(f"{INVOICES}/deleted", status=204)  # a first sync reads the deleted list too
    too_many = {"code": "TOO_MANY_REQUESTS", "details": {}, "message": "limit", "status": "error"}
    mocked.get(INVOICES, json=too_many, status=429, headers={"Retry-After": "7"})
    mocked.get(
        INVOICES,
        json={"code": "INTERNAL_ERROR", "details": {}, "message": "x", "status": "error"},
        status=500,
    )
    mocked.get(INVOICES, json=crm_page([record(1)], more=False))

    pages = list(invoices.pages(None))

    assert len(pages[0].records) == 1
    assert len(calls_to(mocked, "/crm/v8/Invoices")) == 3
    assert 7 in sleeps


def test_a_truncated_body_is_retried(mocked: responses.RequestsMock, invoices: ZohoStream) -> None:
    mocked.get(f"{INVOICES}/deleted", status=204)  # a first sync reads the deleted list too
    mocked.get(INVOICES, body='{"data": [{"id": "1", "Modified_Ti', status=200)
    mocked.get(INVOICES, json=crm_page([record(1)], more=False))

    pages = list(invoices.pages(None))

    assert len(pages[0].records) == 1
    assert len(calls_to(mocked, "/crm/v8/Invoices")) == 2


def test_more_records_without_a_page_token_after_two_thousand_is_an_error_not_a_silent_stop(
    mocked: responses.RequestsMock, invoices: ZohoStream
) -> None:
    mocked.get(f"{INVOICES}/deleted", status=204)  # a first sync reads the deleted list too
    for n in range(1, 11):
        mocked.get(INVOICES, json=crm_page([record(n)], more=True, token=None))

    with pytest.raises(FatalApiError, match="next_page_token"):
        list(invoices.pages(None))


def test_live_ids_lists_every_id_with_a_minimal_field_list(
    mocked: responses.RequestsMock, invoices: ZohoStream
) -> None:
    mocked.get(INVOICES, json=crm_page([record(1), record(2)], more=False))

    assert list(invoices.live_ids()) == [[record(1)["id"], record(2)["id"]]]
    assert params_of(calls_to(mocked, "/crm/v8/Invoices")[0])["fields"] == "Modified_Time"


def test_orders_and_invoices_ask_for_every_component_of_their_total() -> None:
    """The CRM returns only the fields asked for: without Discount and Adjustment the total's components
    would always be unknown and the total never audited."""
    wanted = {"Sub_Total", "Discount", "Tax", "Adjustment", "Excise_Duty", "Grand_Total"}
    assert wanted <= set(CRM_STREAMS["sales_orders"].fields)
    assert wanted <= set(CRM_STREAMS["invoices"].fields)
