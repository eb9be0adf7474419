"""The Books v3 reader: organization_id everywhere, has_more_page paging, the cursor, detail reads."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
import responses

from connectors.errors import FatalApiError
from connectors.zoho.books import build_books
from connectors.zoho.connector import ZohoConnector
from tests.conftest import FakeTokenStore, FixedClock
from tests.connectors.zoho.helpers import (
    API,
    add_token,
    books_settings,
    calls_to,
    make_deps,
    params_of,
)

BOOKS = f"{API}/books/v3"


def listing(key: str, rows: list[dict[str, Any]], *, more: bool, page: int = 1) -> dict[str, Any]:
    context = {"page": page, "per_page": 200, "has_more_page": more}
    return {"code": 0, "message": "success", key: rows, "page_context": context}


def payment(i: int, **extra: Any) -> dict[str, Any]:
    return {
        "payment_id": f"4600000000555{i:02d}",
        "payment_number": f"PAY-{i}",
        "amount": 100,
        "unused_amount": 0,
        "date": "2026-11-21",
        "customer_id": "460000000000101",
        "customer_name": "杭州青禾食品有限公司",
        "currency_code": "CNY",
        "last_modified_time": "2026-11-21T09:00:00+0800",
        **extra,
    }


@pytest.fixture
def connector(
    mocked: responses.RequestsMock, token_store: FakeTokenStore, clock: FixedClock
) -> ZohoConnector:
    add_token(mocked)
    return build_books(books_settings(), make_deps(token_store, clock, source="zoho-books"))


def test_every_call_carries_the_organization_id_and_pages_follow_has_more_page(
    mocked: responses.RequestsMock, connector: ZohoConnector
) -> None:
    mocked.get(f"{BOOKS}/invoices", json=listing("invoices", [{"invoice_id": "1"}], more=True))
    mocked.get(f"{BOOKS}/invoices", json=listing("invoices", [{"invoice_id": "2"}], more=False, page=2))

    pages = list(connector.streams()["invoices"].pages(None))

    assert [[r["invoice_id"] for r in p.records] for p in pages] == [["1"], ["2"]]
    sent = [params_of(c) for c in calls_to(mocked, "/books/v3/invoices")]
    assert [(p["organization_id"], p["page"], p["per_page"]) for p in sent] == [
        ("10234695", "1", "200"),
        ("10234695", "2", "200"),
    ]
    assert all("last_modified_time" not in p for p in sent)
    assert connector.streams()["invoices"].ordered is False


def test_an_incremental_read_filters_by_last_modified_time_in_utc_without_the_offset_colon(
    mocked: responses.RequestsMock, connector: ZohoConnector
) -> None:
    mocked.get(f"{BOOKS}/salesorders", json=listing("salesorders", [], more=False))

    list(connector.streams()["sales_orders"].pages(datetime(2026, 11, 20, 8, 0, 5, tzinfo=UTC)))

    (call,) = calls_to(mocked, "/books/v3/salesorders")
    assert params_of(call)["last_modified_time"] == "2026-11-20T08:00:05+0000"


def test_payments_listed_without_allocations_are_completed_from_their_detail(
    mocked: responses.RequestsMock, connector: ZohoConnector
) -> None:
    mocked.get(f"{BOOKS}/customerpayments", json=listing("customerpayments", [payment(1)], more=False))
    applied = [{"invoice_id": "460000000012345", "amount_applied": 100}]
    mocked.get(
        f"{BOOKS}/customerpayments/460000000055501",
        json={"code": 0, "message": "success", "payment": payment(1, invoices=applied)},
    )
    stream = connector.streams()["customer_payments"]

    (page,) = list(stream.pages(None))

    (detail_call,) = calls_to(mocked, "/books/v3/customerpayments/460000000055501")
    assert params_of(detail_call)["organization_id"] == "10234695"
    document = stream.normalize(page.records[0])
    assert [(a.invoice_external_id, a.amount) for a in document.allocations] == [
        ("460000000012345", Decimal(100))
    ]


def test_payments_listed_with_allocations_need_no_detail_read(
    mocked: responses.RequestsMock, connector: ZohoConnector
) -> None:
    rows = [payment(1, invoices=[]), payment(2, invoices=[{"invoice_id": "9", "amount_applied": 5}])]
    mocked.get(f"{BOOKS}/customerpayments", json=listing("customerpayments", rows, more=False))

    (page,) = list(connector.streams()["customer_payments"].pages(None))

    assert len(page.records) == 2
    assert len(mocked.calls) == 2  # the token and the list, no detail


def test_an_unknown_organization_is_fatal_and_says_to_check_organization_id(
    mocked: responses.RequestsMock, connector: ZohoConnector
) -> None:
    mocked.get(
        f"{BOOKS}/invoices",
        json={"code": 6041, "message": "This user is not associated with the organization_id 10234695."},
        status=400,
    )

    with pytest.raises(FatalApiError, match="check organization_id") as caught:
        list(connector.streams()["invoices"].pages(None))

    assert caught.value.vendor_code == "6041"


def test_an_invalid_token_refreshes_once_and_a_rate_limit_is_retried(
    mocked: responses.RequestsMock, connector: ZohoConnector
) -> None:
    add_token(mocked, access_token="1000.second")
    mocked.get(f"{BOOKS}/creditnotes", json={"code": 57, "message": "Invalid Access Token"}, status=401)
    mocked.get(f"{BOOKS}/creditnotes", json={"code": 45, "message": "Request Limit Exceeded"}, status=429)
    mocked.get(f"{BOOKS}/creditnotes", json=listing("creditnotes", [], more=False))

    assert next(iter(connector.streams()["credit_notes"].pages(None))).records == []
    calls = calls_to(mocked, "/books/v3/creditnotes")
    assert [c.request.headers["Authorization"] for c in calls] == [
        "Zoho-oauthtoken 1000.access",
        "Zoho-oauthtoken 1000.second",
        "Zoho-oauthtoken 1000.second",
    ]


def test_live_ids_lists_every_id_for_a_deletion_sweep(
    mocked: responses.RequestsMock, connector: ZohoConnector
) -> None:
    mocked.get(
        f"{BOOKS}/invoices", json=listing("invoices", [{"invoice_id": "1"}, {"invoice_id": "2"}], more=False)
    )

    assert list(connector.streams()["invoices"].live_ids()) == [["1", "2"]]
