"""Xero's rotating refresh tokens through the shared OAuth module (30-minute access tokens, each refresh
a new refresh token saved before use, the superseded one dead after Xero's 30-minute grace), and the
page paginator's stops."""

from __future__ import annotations

from datetime import timedelta

import pytest

from connectors.errors import AuthError, FatalApiError
from connectors.paging import Answer, HttpRequest
from connectors.xero.client import token_key
from connectors.xero.streams import XeroPages
from tests.conftest import FakeTokenStore, FixedClock
from tests.connectors.xero.sample import Sizes, sample
from tests.connectors.xero.support import SandboxClock, sandbox, settings, xero_connector


def test_each_refresh_rotates_the_refresh_token_which_is_saved_and_the_superseded_one_dies_after_the_grace(
    clock: FixedClock,
) -> None:
    data, _ = sample(Sizes(invoices=60, contacts=5, items=3))
    ticking, store = SandboxClock(), FakeTokenStore()
    with sandbox(data, ticking) as url:
        seed = settings(url).credentials.refresh_token
        key = token_key(settings(url))
        with xero_connector(url, store, clock, ticking) as connector:
            assert connector.streams()["items"].first_page() == 3
            first = store.tokens[key]
            assert first.expires_at - clock() == timedelta(minutes=30)
            assert first.extra["refresh_token"] != seed  # rotated, and saved before the token was used
            clock.advance(minutes=31)
            ticking.sleep(31 * 60)  # past Xero's 30-minute grace for the seed
            assert connector.streams()["items"].first_page() == 3  # refreshed with the rotated token
            second = store.tokens[key]
            assert second.extra["refresh_token"] not in (seed, first.extra["refresh_token"])
            assert [t.extra["refresh_token"] for _, t in store.saved] == [
                first.extra["refresh_token"], second.extra["refresh_token"],
            ]  # fmt: skip
        with xero_connector(url, FakeTokenStore(), clock, ticking) as stale:  # only the dead seed
            with pytest.raises(AuthError, match="connector authorize xero"):
                stale.streams()["items"].first_page()


def _answer(rows: list[dict[str, str]], **pagination: int) -> Answer:
    return Answer({"pagination": pagination} if pagination else {}, rows)


def test_pages_stop_at_page_count_or_without_pagination_at_a_short_page() -> None:
    pages = XeroPages(1000, "/Invoices")
    request = pages.init_request(HttpRequest("GET", "/Invoices"))
    assert dict(request.params) == {"page": 1, "pageSize": 1000}
    pages.update_state(_answer([{"InvoiceID": "a"}], page=1, pageCount=2))
    assert pages.has_next_page
    assert dict(pages.update_request(request).params) == {"page": 2, "pageSize": 1000}
    pages.update_state(_answer([{"InvoiceID": "b"}], page=2, pageCount=2))
    assert not pages.has_next_page
    unsized = XeroPages(None, "/Invoices")
    unsized.update_state(_answer([{"InvoiceID": str(n)} for n in range(100)]))
    assert unsized.has_next_page  # a full default page and no pagination: maybe more
    unsized.update_request(HttpRequest("GET", "/Invoices"))
    unsized.update_state(_answer([{"InvoiceID": "x"}]))
    assert not unsized.has_next_page


def test_a_page_repeating_the_previous_one_is_an_error_not_an_endless_loop() -> None:
    pages = XeroPages(None, "/Invoices")
    same = [{"InvoiceID": str(n)} for n in range(100)]
    pages.update_state(_answer(same))
    pages.update_request(HttpRequest("GET", "/Invoices"))
    with pytest.raises(FatalApiError, match="ignored `page`"):
        pages.update_state(_answer(same))
