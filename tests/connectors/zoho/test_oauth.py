"""Zoho OAuth as the connectors use it: data centers, caching, refresh ahead of expiry, errors."""

from __future__ import annotations

import threading
import time
from datetime import timedelta

import pytest
import requests
import responses

from connectors.base import Token
from connectors.errors import AuthError
from connectors.zoho.connector import ZohoConnector
from connectors.zoho.crm import build_crm
from tests.conftest import FakeTokenStore, FixedClock
from tests.connectors.zoho.helpers import (
    API,
    TOKEN_URL,
    add_token,
    calls_to,
    crm_page,
    crm_settings,
    form_of,
    make_deps,
    record,
)

DATA_CENTERS = [
    ("com", "https://accounts.zoho.com", "https://www.zohoapis.com"),
    ("eu", "https://accounts.zoho.eu", "https://www.zohoapis.eu"),
    ("in", "https://accounts.zoho.in", "https://www.zohoapis.in"),
    ("com.au", "https://accounts.zoho.com.au", "https://www.zohoapis.com.au"),
    ("com.cn", "https://accounts.zoho.com.cn", "https://www.zohoapis.com.cn"),
    ("jp", "https://accounts.zoho.jp", "https://www.zohoapis.jp"),
    ("ca", "https://accounts.zohocloud.ca", "https://www.zohoapis.ca"),
    ("sa", "https://accounts.zoho.sa", "https://www.zohoapis.sa"),
]


def read_accounts(connector: ZohoConnector) -> int:
    return connector.streams()["accounts"].first_page()


@pytest.mark.parametrize(("data_center", "accounts", "api"), DATA_CENTERS)
def test_each_data_center_signs_in_at_its_accounts_server_and_calls_the_api_domain_it_names(  # noqa: PLR0917 - fixtures and parameters
    mocked: responses.RequestsMock,
    token_store: FakeTokenStore,
    clock: FixedClock,
    data_center: str,
    accounts: str,
    api: str,
) -> None:
    add_token(mocked, url=f"{accounts}/oauth/v2/token", api_domain=api)
    mocked.get(f"{api}/crm/v8/Accounts", json=crm_page([record(1)], more=False))
    connector = build_crm(
        crm_settings(data_center=data_center, streams=["accounts"]), make_deps(token_store, clock)
    )

    assert read_accounts(connector) == 1
    assert [str(c.request.url).split("?")[0] for c in mocked.calls] == [
        f"{accounts}/oauth/v2/token",
        f"{api}/crm/v8/Accounts",
    ]


def test_the_refresh_is_a_form_post_of_the_refresh_grant_and_calls_carry_the_zoho_oauthtoken_header(
    mocked: responses.RequestsMock, token_store: FakeTokenStore, clock: FixedClock
) -> None:
    add_token(mocked, access_token="1000.abc")
    mocked.get(f"{API}/crm/v8/Accounts", json=crm_page([record(1)], more=False))
    connector = build_crm(crm_settings(streams=["accounts"]), make_deps(token_store, clock))

    read_accounts(connector)

    token_call, api_call = mocked.calls
    assert form_of(token_call) == {
        "grant_type": "refresh_token",
        "client_id": "1000.CLIENT",
        "client_secret": "s3cret",
        "refresh_token": "1000.refresh",
    }
    assert "refresh_token" not in (token_call.request.url or "")  # never in a URL that could be logged
    assert api_call.request.headers["Authorization"] == "Zoho-oauthtoken 1000.abc"


def test_the_access_token_is_reused_and_refreshed_a_few_minutes_before_it_expires(
    mocked: responses.RequestsMock, token_store: FakeTokenStore, clock: FixedClock
) -> None:
    add_token(mocked)
    mocked.get(f"{API}/crm/v8/Accounts", json=crm_page([record(1)], more=False))
    connector = build_crm(crm_settings(streams=["accounts"]), make_deps(token_store, clock))

    read_accounts(connector)
    clock.advance(minutes=54)
    read_accounts(connector)
    assert len(calls_to(mocked, "/oauth/v2/token")) == 1

    clock.advance(minutes=2)  # 56 minutes: inside the 5-minute margin before expiry
    read_accounts(connector)
    assert len(calls_to(mocked, "/oauth/v2/token")) == 2
    assert token_store.saved[-1][1].expires_at == clock.now + timedelta(hours=1)


def test_a_token_another_process_saved_is_used_without_refreshing(
    mocked: responses.RequestsMock, token_store: FakeTokenStore, clock: FixedClock
) -> None:
    connector = build_crm(crm_settings(streams=["accounts"]), make_deps(token_store, clock))
    key = connector._session.auth.key
    token_store.save(key, Token("1000.shared", clock.now + timedelta(minutes=30), {"api_domain": API}))
    mocked.get(f"{API}/crm/v8/Accounts", json=crm_page([record(1)], more=False))

    read_accounts(connector)

    assert calls_to(mocked, "/oauth/v2/token") == []
    assert mocked.calls[0].request.headers["Authorization"] == "Zoho-oauthtoken 1000.shared"


def test_threads_needing_a_token_at_once_cause_one_refresh(
    mocked: responses.RequestsMock, token_store: FakeTokenStore, clock: FixedClock
) -> None:
    def slow_token(request: requests.PreparedRequest) -> tuple[int, dict[str, str], str]:
        time.sleep(0.05)  # hold the refresh open so the other threads must wait for it
        return 200, {}, f'{{"access_token": "1000.once", "api_domain": "{API}", "expires_in": 3600}}'

    mocked.add_callback(responses.POST, TOKEN_URL, callback=slow_token)
    connector = build_crm(crm_settings(streams=["accounts"]), make_deps(token_store, clock))
    auth = connector._session.auth
    start = threading.Barrier(8)
    seen: list[str] = []

    def worker() -> None:
        start.wait()
        seen.append(auth.token().access_token)

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert len(calls_to(mocked, "/oauth/v2/token")) == 1
    assert seen == ["1000.once"] * 8


def test_invalid_client_fails_even_with_http_200_and_says_to_check_client_and_data_center(
    mocked: responses.RequestsMock, token_store: FakeTokenStore, clock: FixedClock
) -> None:
    mocked.post(TOKEN_URL, json={"error": "invalid_client"}, status=200)
    connector = build_crm(crm_settings(streams=["accounts"]), make_deps(token_store, clock))

    with pytest.raises(AuthError) as caught:
        read_accounts(connector)

    message = str(caught.value)
    assert "invalid_client" in message
    assert "client_id" in message
    assert "data_center" in message
    assert token_store.saved == []


def test_invalid_code_tells_the_admin_to_replace_the_refresh_token(
    mocked: responses.RequestsMock, token_store: FakeTokenStore, clock: FixedClock
) -> None:
    mocked.post(TOKEN_URL, json={"error": "invalid_code"}, status=400)
    connector = build_crm(crm_settings(streams=["accounts"]), make_deps(token_store, clock))

    with pytest.raises(AuthError, match=r"invalid_code.*refresh_token"):
        read_accounts(connector)


def test_a_refresh_throttle_is_waited_out_and_retried(
    mocked: responses.RequestsMock, token_store: FakeTokenStore, clock: FixedClock
) -> None:
    mocked.post(
        TOKEN_URL,
        json={"error": "Access Denied", "error_description": "You have made too many requests continuously."},
        status=400,
    )
    add_token(mocked)
    mocked.get(f"{API}/crm/v8/Accounts", json=crm_page([record(1)], more=False))
    sleeps: list[float] = []
    connector = build_crm(crm_settings(streams=["accounts"]), make_deps(token_store, clock, sleeps=sleeps))

    assert read_accounts(connector) == 1
    assert len(calls_to(mocked, "/oauth/v2/token")) == 2
    assert max(sleeps) >= 60


def test_a_rotated_refresh_token_is_saved_and_used_for_the_next_refresh(
    mocked: responses.RequestsMock, token_store: FakeTokenStore, clock: FixedClock
) -> None:
    add_token(mocked, refresh_token="1000.rotated")
    mocked.get(f"{API}/crm/v8/Accounts", json=crm_page([record(1)], more=False))
    connector = build_crm(crm_settings(streams=["accounts"]), make_deps(token_store, clock))

    read_accounts(connector)
    assert token_store.saved[-1][1].extra["refresh_token"] == "1000.rotated"
    clock.advance(hours=2)
    read_accounts(connector)

    second = calls_to(mocked, "/oauth/v2/token")[1]
    assert form_of(second)["refresh_token"] == "1000.rotated"


def test_a_configured_api_url_wins_over_the_token_api_domain(
    mocked: responses.RequestsMock, token_store: FakeTokenStore, clock: FixedClock
) -> None:
    add_token(mocked, api_domain="https://www.zohoapis.eu")
    mocked.get("https://proxy.internal/crm/v8/Accounts", json=crm_page([record(1)], more=False))
    settings = crm_settings(streams=["accounts"], endpoints={"api_url": "https://proxy.internal/"})
    connector = build_crm(settings, make_deps(token_store, clock))

    assert read_accounts(connector) == 1
    assert str(mocked.calls[1].request.url).startswith("https://proxy.internal/crm/v8/Accounts?")


def test_an_invalid_token_answer_refreshes_once_and_retries_once(
    mocked: responses.RequestsMock, token_store: FakeTokenStore, clock: FixedClock
) -> None:
    add_token(mocked, access_token="1000.first")
    add_token(mocked, access_token="1000.second")
    invalid = {"code": "INVALID_TOKEN", "details": {}, "message": "invalid oauth token", "status": "error"}
    mocked.get(f"{API}/crm/v8/Accounts", json=invalid, status=401)
    mocked.get(f"{API}/crm/v8/Accounts", json=crm_page([record(1)], more=False))
    connector = build_crm(crm_settings(streams=["accounts"]), make_deps(token_store, clock))

    assert read_accounts(connector) == 1
    api_calls = calls_to(mocked, "/crm/v8/Accounts")
    assert [c.request.headers["Authorization"] for c in api_calls] == [
        "Zoho-oauthtoken 1000.first",
        "Zoho-oauthtoken 1000.second",
    ]


def test_a_token_refused_after_a_fresh_refresh_fails_with_a_data_center_hint(
    mocked: responses.RequestsMock, token_store: FakeTokenStore, clock: FixedClock
) -> None:
    add_token(mocked)
    invalid = {"code": "INVALID_TOKEN", "details": {}, "message": "invalid oauth token", "status": "error"}
    mocked.get(f"{API}/crm/v8/Accounts", json=invalid, status=401)
    connector = build_crm(crm_settings(streams=["accounts"]), make_deps(token_store, clock))

    with pytest.raises(AuthError, match="data_center") as caught:
        read_accounts(connector)

    assert caught.value.vendor_code == "INVALID_TOKEN"
    assert len(calls_to(mocked, "/oauth/v2/token")) == 2
    assert len(calls_to(mocked, "/crm/v8/Accounts")) == 2
