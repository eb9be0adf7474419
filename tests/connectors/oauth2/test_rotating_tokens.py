"""connectors.oauth2 over real HTTP against the QuickBooks sandbox's Intuit OAuth (rotating refresh
tokens): the rotated refresh token is saved with the access token before the access token is used, two
threads never refresh at once, the refresh token's expiry is kept, and a refused refresh says what to do."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import timedelta

import pytest
import requests

from connectors.base import Token
from connectors.errors import AuthError
from connectors.http import HttpClient
from connectors.oauth2 import (
    OAuthApp,
    RotatingTokenAuth,
    authorization_url,
    exchange_code,
    interpret_token_errors,
    parse_callback,
    refresh_expires_at,
    refresh_expiry_warning,
)
from connectors.sandbox.quickbooks.oauth import IntuitOAuth, OAuthOptions
from connectors.sandbox.server import SandboxServer
from tests.conftest import FakeTokenStore, FixedClock


@pytest.fixture
def intuit() -> Iterator[tuple[IntuitOAuth, str]]:
    oauth = IntuitOAuth(OAuthOptions(hard_expires_in=20 * 86400))
    server = SandboxServer(lambda r: oauth.handle(r) or _not_found(), name="intuit")
    with server:
        yield oauth, server.url


def _not_found():  # type: ignore[no-untyped-def]
    from connectors.sandbox.server import Response

    return Response(404, {})


def _app(url: str) -> OAuthApp:
    options = OAuthOptions()
    return OAuthApp(
        vendor="QuickBooks",
        authorize_url=f"{url}/connect/oauth2",
        token_url=f"{url}/oauth2/v1/tokens/bearer",
        client_id=options.client_id,
        client_secret=options.client_secret,
        scopes=("com.intuit.quickbooks.accounting",),
        token_headers={"x-include-refresh-token-hard-expires-in": "true"},
        callback_fields=("realmId",),
    )


def _auth(url: str, store: FakeTokenStore, clock: FixedClock, seed: str | None) -> RotatingTokenAuth:
    http = HttpClient(
        "qb/accounts", interpret=interpret_token_errors("QuickBooks"), requests_per_second=50, burst=10
    )
    return RotatingTokenAuth(
        app=_app(url),
        http=http,
        store=store,
        key="quickbooks:qb",
        clock=clock,
        label="qb",
        seed_refresh_token=seed,
    )


def test_a_refresh_saves_the_rotated_refresh_token_with_the_access_token_before_handing_it_out(
    intuit: tuple[IntuitOAuth, str], token_store: FakeTokenStore, clock: FixedClock
) -> None:
    oauth, url = intuit
    auth = _auth(url, token_store, clock, "qb-sandbox-refresh-0")
    token = auth.token()
    [(key, saved)] = token_store.saved
    assert key == "quickbooks:qb"
    assert saved == token
    assert saved.extra["refresh_token"].startswith("qb-refresh-")  # rotated, not the seed
    assert saved.extra["connector"] == "qb"
    # the earlier of the rolling 100 days and the hard expiry (20 days in this sandbox)
    assert refresh_expires_at(saved) == clock.now + timedelta(days=20)
    assert refresh_expiry_warning(saved, clock.now) is not None
    assert oauth.access_valid(token.access_token)
    clock.advance(hours=2)
    second = auth.token()  # expired: refreshed with the ROTATED token, which the sandbox knows
    assert second.extra["refresh_token"] != saved.extra["refresh_token"]
    assert oauth.refreshes == 2


def test_threads_refresh_once(
    intuit: tuple[IntuitOAuth, str], token_store: FakeTokenStore, clock: FixedClock
) -> None:
    oauth, url = intuit
    auths = [_auth(url, token_store, clock, "qb-sandbox-refresh-0") for _ in range(8)]
    got: list[Token] = []
    threads = [threading.Thread(target=lambda a=a: got.append(a.token())) for a in auths]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert oauth.refreshes == 1
    assert len({t.access_token for t in got}) == 1


def test_a_superseded_refresh_token_past_the_grace_says_to_authorize_again(
    intuit: tuple[IntuitOAuth, str], token_store: FakeTokenStore, clock: FixedClock
) -> None:
    oauth, url = intuit
    _auth(url, token_store, clock, "qb-sandbox-refresh-0").token()
    oauth.options.grace_seconds = 0
    other = FakeTokenStore()  # a store that never saw the rotation: it still holds the seed
    with pytest.raises(AuthError, match="connector authorize"):
        _auth(url, other, clock, "qb-sandbox-refresh-0").token()


def test_no_refresh_token_at_all_says_to_authorize(
    intuit: tuple[IntuitOAuth, str], token_store: FakeTokenStore, clock: FixedClock
) -> None:
    _, url = intuit
    with pytest.raises(AuthError, match="not authorized yet"):
        _auth(url, token_store, clock, None).token()


def test_the_consent_redirect_is_checked_and_its_code_exchanged_with_realm(
    intuit: tuple[IntuitOAuth, str], clock: FixedClock
) -> None:
    _, url = intuit
    app = _app(url)
    redirect = "http://127.0.0.1:1/callback"
    answer = requests.get(authorization_url(app, redirect, "s1"), allow_redirects=False, timeout=5)
    location = answer.headers["Location"]
    with pytest.raises(ValueError, match="state"):
        parse_callback(location, "another state", app.callback_fields)
    callback = parse_callback(location, "s1", app.callback_fields)
    http = HttpClient("qb/accounts", interpret=interpret_token_errors("QuickBooks"))
    token = exchange_code(http, app, callback, redirect, clock.now)
    assert token.extra["realmId"] == OAuthOptions().realm_id
    assert token.extra["refresh_token"].startswith("qb-refresh-")
    with pytest.raises(AuthError, match="invalid_grant"):  # a code is single-use
        exchange_code(http, app, callback, redirect, clock.now)
