"""Rate budgets are the organization's, shared with its other apps (issue 14 §2): a per-minute or
concurrency limit is waited out — never a failed stream — and the connector slows down, then speeds up
again; only a spent daily cap stops the stream, saying when it resets."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import responses

from connectors.errors import QuotaExhaustedError
from connectors.http import RateLimiter, limit_window
from connectors.zoho.books import build_books
from connectors.zoho.connector import ZohoConnector
from connectors.zoho.crm import build_crm
from tests.conftest import FakeTokenStore, FixedClock
from tests.connectors.zoho.helpers import (
    API,
    add_token,
    books_settings,
    calls_to,
    crm_page,
    crm_settings,
    make_deps,
    record,
)

BOOKS = f"{API}/books/v3"
LIMITED = {"code": 45, "message": "Request Limit Exceeded"}


def empty_invoices() -> dict[str, object]:
    context = {"page": 1, "per_page": 200, "has_more_page": False}
    return {"code": 0, "message": "success", "invoices": [], "page_context": context}


def books(token_store: FakeTokenStore, clock: FixedClock, sleeps: list[float]) -> ZohoConnector:
    return build_books(books_settings(), make_deps(token_store, clock, sleeps=sleeps, source="zoho-books"))


def read_invoices(connector: ZohoConnector) -> int:
    return sum(len(page.records) for page in connector.streams()["invoices"].pages(None))


def test_more_429s_than_retry_attempts_are_waited_out_and_the_stream_completes(
    mocked: responses.RequestsMock, token_store: FakeTokenStore, clock: FixedClock
) -> None:
    """Before: six attempts in about eight seconds, then the stream failed."""
    add_token(mocked)
    for _ in range(8):
        mocked.get(f"{BOOKS}/invoices", json=LIMITED, status=429, headers={"Retry-After": "7"})
    mocked.get(f"{BOOKS}/invoices", json=empty_invoices())
    sleeps: list[float] = []
    connector = books(token_store, clock, sleeps)

    assert read_invoices(connector) == 0
    assert [s for s in sleeps if s >= 1] == [7.0] * 8  # (shorter sleeps: the slowed-down rate limiter)
    assert connector._session.http.waited_seconds == 56.0


def test_without_retry_after_a_per_minute_limit_waits_for_the_rest_of_the_minute(
    mocked: responses.RequestsMock, token_store: FakeTokenStore, clock: FixedClock
) -> None:
    add_token(mocked)
    daily = {"X-Rate-Limit-Limit": "7500", "X-Rate-Limit-Remaining": "6775", "X-Rate-Limit-Reset": "34881"}
    mocked.get(f"{BOOKS}/invoices", json=LIMITED, status=429, headers=daily)
    mocked.get(f"{BOOKS}/invoices", json=empty_invoices())
    sleeps: list[float] = []

    assert read_invoices(books(token_store, clock, sleeps)) == 0
    waits = [s for s in sleeps if s >= 1]
    assert len(waits) == 1
    assert waits[0] <= 60.0  # the minute's rest, not the 34881 s of the daily window


@pytest.mark.parametrize(
    ("headers", "wait"),
    [
        ({"Retry-After": "12"}, 12.0),
        ({"X-Rate-Limit-Reset": "17", "X-Rate-Limit-Remaining": "3"}, 17.0),
        ({"Retry-After": "5", "X-Rate-Limit-Reset": "17"}, 5.0),
    ],
)
def test_the_window_is_retry_after_else_a_reset_within_the_minute(
    headers: dict[str, str], wait: float
) -> None:
    assert limit_window(headers, lambda: 1_800_000_030.0) == wait


def test_the_rest_of_the_minute_is_the_window_when_the_vendor_says_nothing() -> None:
    assert limit_window({}, lambda: 1_800_000_020.0) == 40.0  # 1_800_000_000 is a whole minute
    assert limit_window({"X-Rate-Limit-Reset": "34881"}, lambda: 1_800_000_020.0) == 40.0


def test_a_spent_books_daily_cap_stops_the_stream_at_once_with_the_reset_time(
    mocked: responses.RequestsMock, token_store: FakeTokenStore, clock: FixedClock
) -> None:
    add_token(mocked)
    headers = {"X-Rate-Limit-Limit": "1000", "X-Rate-Limit-Remaining": "0", "X-Rate-Limit-Reset": "3600"}
    mocked.get(f"{BOOKS}/invoices", json=LIMITED, status=429, headers=headers)
    sleeps: list[float] = []
    before = datetime.now(UTC)

    with pytest.raises(QuotaExhaustedError, match="daily API cap") as caught:
        read_invoices(books(token_store, clock, sleeps))

    resets = caught.value.resets_at
    assert resets is not None
    assert before + timedelta(seconds=3590) <= resets <= datetime.now(UTC) + timedelta(seconds=3610)
    assert resets.isoformat(timespec="seconds") in str(caught.value)
    assert sleeps == []  # no waiting, no retrying: the cap is spent for the day
    assert len(calls_to(mocked, "/books/v3/invoices")) == 1


def test_a_crm_concurrency_limit_is_waited_out_and_spent_credits_stop_the_stream(
    mocked: responses.RequestsMock, token_store: FakeTokenStore, clock: FixedClock
) -> None:
    add_token(mocked)
    busy = {"code": "TOO_MANY_REQUESTS", "details": {}, "message": "limit", "status": "error"}
    mocked.get(f"{API}/crm/v8/Accounts", json=busy, status=429, headers={"Retry-After": "3"})
    mocked.get(f"{API}/crm/v8/Accounts", json=crm_page([record(1)], more=False))
    sleeps: list[float] = []
    connector = build_crm(crm_settings(streams=["accounts"]), make_deps(token_store, clock, sleeps=sleeps))

    assert connector.streams()["accounts"].first_page() == 1
    assert [s for s in sleeps if s >= 1] == [3.0]

    mocked.get(f"{API}/crm/v8/Accounts", json=busy, status=429, headers={"X-API-CREDITS-REMAINING": "0"})
    with pytest.raises(QuotaExhaustedError, match="24-hour API credits are spent"):
        connector.streams()["accounts"].first_page()


def test_the_connector_halves_its_rate_on_each_limit_and_recovers_it_gradually() -> None:
    limiter = RateLimiter(10.0, clock=lambda: 0.0, sleep=lambda _s: None)

    assert limiter.slow_down() == 5.0
    assert limiter.slow_down() == 2.5
    for _ in range(10):
        limiter.slow_down()
    assert limiter.rate == 10.0 / 16  # never below a sixteenth

    limiter.recover()
    assert limiter.rate == pytest.approx(10.0 / 16 + 0.2)  # one step of 1/50 of the configured rate
    for _ in range(100):
        limiter.recover()
    assert limiter.rate == 10.0  # and never above it
