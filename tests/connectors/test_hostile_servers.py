"""Hostile servers over real HTTP on loopback (issue 13): credentials never follow a redirect, data calls
follow only same-origin redirects, and a server that trickles its answer fails the request at its total
deadline. A second local server on another port stands for "another host" and records what it got."""

from __future__ import annotations

import time
from typing import Any

import pytest
import requests
import responses

from config.settings import ZohoCrmSettings
from connectors.errors import AuthError, FatalApiError, TransientError
from connectors.fxiaoke.auth import LEGACY_TOKEN_PATH
from connectors.http import HttpClient, RetryPolicy
from connectors.zoho.client import crm_budget, interpret_crm, open_session
from tests.conftest import FakeTokenStore, FixedClock
from tests.connectors.fxiaoke import helpers as fxk
from tests.connectors.hostile import Answer, HostileServer, Seen, json_answer, redirect
from tests.connectors.zoho.helpers import make_deps

ZOHO_SECRET = "zoho-client-secret-7f3a91"
ZOHO_REFRESH = "1000.refresh-token-b81c44"
FOREIGN_TOKEN = "1000.foreign-token-from-elsewhere"
NO_RETRY = RetryPolicy(attempts=1, base_delay=0.0)


def foreign_token(_seen: Seen) -> Answer:
    """What the other host answers: a token of its own, which must never be used."""
    return json_answer(
        {
            "access_token": FOREIGN_TOKEN,
            "corpAccessToken": FOREIGN_TOKEN,
            "corpId": "x",
            "errorCode": 0,
            "expires_in": 3600,
            "api_domain": "http://127.0.0.1:9",
        }
    )


def zoho_settings(url: str, **limits: Any) -> ZohoCrmSettings:
    return ZohoCrmSettings.model_validate(
        {
            "name": "zoho-crm",
            "kind": "zoho_crm",
            "credentials": {
                "client_id": "1000.CLIENT",
                "client_secret": ZOHO_SECRET,
                "refresh_token": ZOHO_REFRESH,
            },
            "endpoints": {"accounts_url": url, "api_url": url},
            "limits": {"requests_per_minute": 1_000_000, "concurrency": 2, **limits},
            "timeout_seconds": 5,
        }
    )


@pytest.mark.parametrize("status", [307, 302, 301, 308])
def test_a_zoho_token_endpoint_redirecting_elsewhere_is_an_auth_error_and_the_secret_never_arrives_there(
    status: int, clock: FixedClock
) -> None:
    with (
        HostileServer(foreign_token) as elsewhere,
        HostileServer(lambda _s: redirect(elsewhere.url + "/oauth/v2/token", status)) as accounts,
    ):
        store = FakeTokenStore()
        session = open_session(
            zoho_settings(accounts.url),
            make_deps(store, clock),
            interpret=interpret_crm,
            budget=crm_budget(zoho_settings(accounts.url)),
            retry=NO_RETRY,
        )
        try:
            with pytest.raises(
                AuthError, match=rf"HTTP {status}, a redirect to http://127\.0\.0\.1:\d+"
            ) as raised:
                session.auth.token()
        finally:
            session.close()
    assert "never followed" in str(raised.value)
    assert len(accounts.seen) == 1
    assert ZOHO_SECRET.encode() in accounts.seen[0].body  # the configured server did get the grant
    assert elsewhere.seen == []  # the other host received nothing: no client_secret, no refresh_token
    assert store.saved == []  # and no token (certainly not the other host's) was kept


def test_a_zoho_token_endpoint_redirecting_to_itself_is_refused_too(clock: FixedClock) -> None:
    with HostileServer(
        lambda s: redirect("/oauth/v2/token?again=1") if "again" not in s.path else foreign_token(s)
    ) as accounts:
        session = open_session(
            zoho_settings(accounts.url),
            make_deps(FakeTokenStore(), clock),
            interpret=interpret_crm,
            budget=crm_budget(zoho_settings(accounts.url)),
            retry=NO_RETRY,
        )
        try:
            with pytest.raises(AuthError, match="HTTP 307"):
                session.auth.token()
        finally:
            session.close()
    assert len(accounts.seen) == 1


@pytest.mark.parametrize("status", [307, 302])
@pytest.mark.parametrize("style", ["legacy", "bearer"])
def test_an_fxiaoke_token_endpoint_redirecting_elsewhere_sends_no_app_secret_nor_permanent_code_there(
    status: int, style: str, clock: FixedClock
) -> None:
    with (
        HostileServer(foreign_token) as elsewhere,
        HostileServer(lambda _s: redirect(elsewhere.url + LEGACY_TOKEN_PATH, status)) as fxiaoke,
    ):
        store = FakeTokenStore()
        connector = fxk.connector(
            store, clock, retry_attempts=1, endpoints={"base_url": fxiaoke.url}, auth_style=style
        )
        try:
            with pytest.raises(AuthError, match=f"HTTP {status}, a redirect"):
                connector.auth.token()
        finally:
            connector.close()
    assert len(fxiaoke.seen) == 1
    assert b"s3cr3t-app" in fxiaoke.seen[0].body
    assert elsewhere.seen == []
    assert store.saved == []


def test_an_fxiaoke_data_call_redirected_elsewhere_never_carries_the_corp_access_token_there(
    clock: FixedClock,
) -> None:
    def vendor(seen: Seen) -> Answer:
        if LEGACY_TOKEN_PATH in seen.path:
            return json_answer(
                {"errorCode": 0, "corpAccessToken": "CAT-token-5566778899", "corpId": "C1", "expiresIn": 7200}
            )
        return redirect(elsewhere.url + seen.path, 307)

    with HostileServer(foreign_token) as elsewhere, HostileServer(vendor) as fxiaoke:
        connector = fxk.connector(
            FakeTokenStore(), clock, retry_attempts=1, endpoints={"base_url": fxiaoke.url}
        )
        try:
            with pytest.raises(FatalApiError, match="redirect to another origin"):
                connector.api.query("SalesOrderObj")
        finally:
            connector.close()
    assert b"CAT-token-5566778899" in fxiaoke.received()
    assert elsewhere.seen == []


def test_a_zoho_data_call_follows_a_same_origin_redirect_but_not_one_to_another_port(
    clock: FixedClock,
) -> None:
    def vendor(seen: Seen) -> Answer:
        if seen.path.startswith("/oauth"):
            return json_answer({"access_token": "1000.real-access-token", "expires_in": 3600})
        if seen.path.startswith("/moved"):
            return json_answer({"data": [{"id": "1"}]})
        if seen.path.startswith("/same"):
            return redirect("/moved/here", 302)
        return redirect(elsewhere.url + "/crm/v8/Invoices", 307)

    with (
        HostileServer(lambda _s: json_answer({"data": [{"id": "FOREIGN"}]})) as elsewhere,
        HostileServer(vendor) as api,
    ):
        cfg = zoho_settings(api.url)
        session = open_session(
            cfg,
            make_deps(FakeTokenStore(), clock),
            interpret=interpret_crm,
            budget=crm_budget(cfg),
            retry=NO_RETRY,
        )
        try:
            followed = session.http.request("GET", api.url + "/same/place")
            with pytest.raises(
                FatalApiError, match=r"redirect to another origin \(http://127\.0\.0\.1:\d+\)"
            ):
                session.http.request("GET", api.url + "/crm/v8/Invoices")
        finally:
            session.close()
    assert followed.body == {"data": [{"id": "1"}]}
    assert [s.path for s in api.seen if not s.path.startswith("/oauth")] == [
        "/same/place",
        "/moved/here",
        "/crm/v8/Invoices",
    ]
    assert all(
        s.headers.get("Authorization") == "Zoho-oauthtoken 1000.real-access-token" for s in api.seen[1:]
    )
    assert elsewhere.seen == []  # neither the access token nor the request went there; nothing foreign read


def test_a_server_trickling_its_body_fails_the_request_at_the_total_deadline_not_never() -> None:
    body = b'{"data": [' + b'{"id": "1"},' * 200 + b'{"id": "2"}]}'
    with HostileServer(
        lambda _s: Answer(200, {"Content-Type": "application/json"}, body, trickle_seconds=0.05)
    ) as slow:
        client = HttpClient(
            "slow",
            interpret=lambda _r, _b: None,
            timeout=(2.0, 2.0),
            deadline=1.0,
            retry=NO_RETRY,
            requests_per_second=1000,
        )
        started = time.monotonic()
        with pytest.raises(TransientError, match=r"did not finish within its 1s deadline"):
            client.request("GET", slow.url + "/data")
        took = time.monotonic() - started
        client.close()
    assert took < 2.0  # every byte came inside the 2 s read timeout: only the deadline ended it
    assert len(body) * 0.05 > 10  # the whole body would have taken over 10 s


def test_a_server_trickling_its_headers_is_cut_at_the_deadline_too() -> None:
    answer = Answer(
        200, {"Content-Type": "application/json"}, b"{}", trickle_seconds=0.05, trickle_headers=True
    )
    with HostileServer(lambda _s: answer) as slow:
        client = HttpClient(
            "slow",
            interpret=lambda _r, _b: None,
            timeout=(2.0, 2.0),
            deadline=1.0,
            retry=NO_RETRY,
            requests_per_second=1000,
        )
        started = time.monotonic()
        with pytest.raises(TransientError, match=r"did not finish within its 1s deadline"):
            client.request("GET", slow.url + "/data")
        took = time.monotonic() - started
        client.close()
    assert took < 2.0  # the headers alone (over 400 bytes) would take over 20 s


def test_a_deadline_failure_is_retried_like_a_timeout_and_the_next_attempt_can_succeed() -> None:
    answers = iter(
        [
            Answer(
                200, {"Content-Type": "application/json"}, b'{"ok": true, "pad": "' + b"x" * 100 + b'"}', 0.05
            ),
            json_answer({"ok": True}),
        ]
    )
    with HostileServer(lambda _s: next(answers)) as flaky:
        client = HttpClient(
            "flaky",
            interpret=lambda _r, _b: None,
            deadline=0.5,
            retry=RetryPolicy(attempts=2, base_delay=0.0),
            requests_per_second=1000,
            sleep=lambda _s: None,
        )
        assert client.request("GET", flaky.url + "/x").body == {"ok": True}
        client.close()
    assert len(flaky.seen) == 2


def test_the_request_deadline_is_configurable_per_connector_with_a_sensible_default() -> None:
    assert zoho_settings("http://x").limits.request_deadline_seconds == 120
    assert zoho_settings("http://x", request_deadline_seconds=5).limits.request_deadline_seconds == 5
    with pytest.raises(ValueError, match="greater than 0"):
        zoho_settings("http://x", request_deadline_seconds=0)


@responses.activate
def test_with_responses_a_token_redirect_is_an_auth_error_and_no_token_is_taken(clock: FixedClock) -> None:
    responses.post(
        "https://accounts.zoho.com/oauth/v2/token", status=302, headers={"Location": "https://evil.example/t"}
    )
    responses.post("https://evil.example/t", json={"access_token": FOREIGN_TOKEN, "expires_in": 3600})
    cfg = zoho_settings("https://accounts.zoho.com")
    session = open_session(
        cfg,
        make_deps(FakeTokenStore(), clock),
        interpret=interpret_crm,
        budget=crm_budget(cfg),
        retry=NO_RETRY,
    )
    with pytest.raises(AuthError, match=r"a redirect to https://evil\.example:443"):
        session.auth.token()
    assert [c.request.url for c in responses.calls] == ["https://accounts.zoho.com/oauth/v2/token"]


@responses.activate
def test_with_responses_a_data_redirect_to_another_host_is_an_error_not_foreign_data() -> None:
    responses.get(
        "https://www.zohoapis.com/crm/v8/Invoices",
        status=301,
        headers={"Location": "https://evil.example/crm"},
    )
    responses.get("https://evil.example/crm", json={"data": [{"id": "FOREIGN"}]})
    client = HttpClient(
        "crm",
        interpret=lambda _r, _b: None,
        retry=NO_RETRY,
        requests_per_second=1000,
        session=requests.Session(),
    )
    with pytest.raises(FatalApiError, match="only same-origin redirects are followed"):
        client.request("GET", "https://www.zohoapis.com/crm/v8/Invoices")
    assert len(responses.calls) == 1
