"""The Zoho sandbox itself: the vendor behaviours the connectors are tested against."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import requests

from connectors.sandbox.server import FaultPlan
from connectors.sandbox.zoho import ZohoSandbox, ZohoSandboxOptions
from store.canonical import DocumentKind
from tests.connectors.zoho.sample import SampleSizes, sample_dataset

REFRESH = {
    "grant_type": "refresh_token",
    "client_id": "1000.SANDBOXCLIENT",
    "client_secret": "sandbox-secret",
    "refresh_token": "1000.sandbox-refresh-token",
}


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def sandbox(clock: Clock) -> Iterator[ZohoSandbox]:
    box = ZohoSandbox(
        sample_dataset(SampleSizes(crm_invoices=2_100)),
        clock=clock,
        options=ZohoSandboxOptions(access_token_ttl=60),
    )
    with box:
        yield box


def login(sandbox: ZohoSandbox) -> dict[str, str]:
    body = requests.post(f"{sandbox.url}/oauth/v2/token", data=REFRESH, timeout=5).json()
    return {"Authorization": f"Zoho-oauthtoken {body['access_token']}"}


def get(sandbox: ZohoSandbox, path: str, headers: dict[str, str], **params: Any) -> requests.Response:
    return requests.get(f"{sandbox.url}{path}", params=params, headers=headers, timeout=5)


FIELDS = "Invoice_Number,Modified_Time"


def test_the_token_answer_names_the_sandbox_as_api_domain_and_accepts_query_parameters(
    sandbox: ZohoSandbox,
) -> None:
    body = requests.post(f"{sandbox.url}/oauth/v2/token", params=REFRESH, timeout=5).json()

    assert body["api_domain"] == sandbox.url
    assert body["expires_in"] == 60


def test_calls_without_the_zoho_oauthtoken_prefix_or_after_expiry_get_invalid_token(
    sandbox: ZohoSandbox, clock: Clock
) -> None:
    headers = login(sandbox)
    bearer = {"Authorization": headers["Authorization"].replace("Zoho-oauthtoken", "Bearer")}

    assert get(sandbox, "/crm/v8/Invoices", bearer, fields=FIELDS).json()["code"] == "INVALID_TOKEN"
    assert get(sandbox, "/crm/v8/Invoices", headers, fields=FIELDS).status_code == 200
    clock.now += 61
    expired = get(sandbox, "/crm/v8/Invoices", headers, fields=FIELDS)
    assert (expired.status_code, expired.json()["code"]) == (401, "INVALID_TOKEN")


def test_fields_are_required_and_page_stops_at_two_thousand_records(sandbox: ZohoSandbox) -> None:
    headers = login(sandbox)

    missing = get(sandbox, "/crm/v8/Invoices", headers)
    too_far = get(sandbox, "/crm/v8/Invoices", headers, fields=FIELDS, page=11, per_page=200)
    both = get(sandbox, "/crm/v8/Invoices", headers, fields=FIELDS, page=1, page_token="x")

    assert (missing.status_code, missing.json()["code"]) == (400, "REQUIRED_PARAM_MISSING")
    assert (too_far.status_code, too_far.json()["code"]) == (400, "DISCRETE_PAGINATION_LIMIT_EXCEEDED")
    assert both.status_code == 400


def test_the_page_token_of_page_ten_reaches_the_records_after_two_thousand(sandbox: ZohoSandbox) -> None:
    headers = login(sandbox)
    query = {"fields": FIELDS, "per_page": 200, "sort_by": "Modified_Time", "sort_order": "asc"}
    tenth = get(sandbox, "/crm/v8/Invoices", headers, page=10, **query).json()

    rest = get(
        sandbox, "/crm/v8/Invoices", headers, page_token=tenth["info"]["next_page_token"], **query
    ).json()

    assert len(rest["data"]) == 2_100 - 2_000
    assert rest["info"]["more_records"] is False


def test_if_modified_since_returns_only_newer_records_and_304_when_none(sandbox: ZohoSandbox) -> None:
    headers = login(sandbox)
    latest = max(d.source_modified_at for d in sandbox.dataset.live("crm", DocumentKind.INVOICE))  # type: ignore[type-var]
    assert latest is not None
    since = {"If-Modified-Since": (latest - timedelta(seconds=1)).isoformat()}

    newer = get(sandbox, "/crm/v8/Invoices", {**headers, **since}, fields=FIELDS)
    none = get(
        sandbox, "/crm/v8/Invoices", {**headers, "If-Modified-Since": latest.isoformat()}, fields=FIELDS
    )

    assert newer.status_code == 200
    assert len(newer.json()["data"]) >= 1
    assert none.status_code == 304


def test_deleted_records_leave_the_module_and_appear_in_deleted(sandbox: ZohoSandbox) -> None:
    headers = login(sandbox)
    victim = sandbox.dataset.live("crm", DocumentKind.SALES_ORDER)[0]
    sandbox.dataset.delete(
        "crm", DocumentKind.SALES_ORDER, victim.external_id, datetime(2027, 1, 1, tzinfo=UTC)
    )

    deleted = get(sandbox, "/crm/v8/Sales_Orders/deleted", headers).json()["data"]
    ids = [r["id"] for r in get(sandbox, "/crm/v8/Sales_Orders", headers, fields="SO_Number").json()["data"]]

    assert [(d["id"], d["deleted_time"]) for d in deleted] == [
        (victim.external_id, "2027-01-01T08:00:00+08:00")
    ]
    assert victim.external_id not in ids


def test_books_refuses_calls_without_organization_id(sandbox: ZohoSandbox) -> None:
    headers = login(sandbox)

    answer = get(sandbox, "/books/v3/invoices", headers)

    assert answer.status_code == 400
    assert "organization_id" in answer.json()["message"]


def test_refreshing_more_than_ten_times_in_ten_minutes_is_refused(sandbox: ZohoSandbox, clock: Clock) -> None:
    for _ in range(10):
        assert (
            "access_token" in requests.post(f"{sandbox.url}/oauth/v2/token", data=REFRESH, timeout=5).json()
        )

    refused = requests.post(f"{sandbox.url}/oauth/v2/token", data=REFRESH, timeout=5)
    clock.now += 601
    again = requests.post(f"{sandbox.url}/oauth/v2/token", data=REFRESH, timeout=5)

    assert refused.json()["error"] == "Access Denied"
    assert "too many requests" in refused.json()["error_description"]
    assert "access_token" in again.json()


def test_a_429_burst_answers_the_next_calls_with_429_then_recovers(sandbox: ZohoSandbox) -> None:
    headers = login(sandbox)
    sandbox.faults.burst_429 = 2

    statuses = [
        get(sandbox, "/crm/v8/Accounts", headers, fields="Account_Name").status_code for _ in range(3)
    ]

    assert statuses == [429, 429, 200]


def test_the_sandbox_listens_on_loopback_only() -> None:
    with ZohoSandbox(sample_dataset(SampleSizes()), faults=FaultPlan()) as url:
        assert url.startswith("http://127.0.0.1:")
