"""Connecting a vendor account (OAuth 2.0 authorization code, ADR 0033), one code path for
`ledgerbridge connector authorize NAME` and the web Connectors page: which app a connector kind signs in
with (`TARGETS`), the consent URL, and trading the code for tokens that are stored encrypted.

The callers own how the redirect comes back (a loopback listener or a pasted code; the web app's
callback route) and how `state` is checked.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

from config.loader import resolve_secret
from connectors.base import Token
from connectors.http import HttpClient, Interpreter
from connectors.oauth2 import Callback, OAuthApp, exchange_code, interpret_token_errors
from connectors.quickbooks import client as quickbooks_client
from connectors.xero import client as xero_client
from connectors.zoho import auth as zoho_auth
from store.audit_log import record_audit
from store.db import Engine
from store.secrets import SqlSecretStore, SqlTokenStore
from sync.bootstrap import ConnectorTokenStore, secret_box


@dataclass(frozen=True)
class Target:
    """How one connector kind is authorized: its OAuth app, how its token endpoint says errors, the
    token row a refresh token belongs in, and the secret the refresh token is also kept as (when the
    kind's config names its refresh token: `credentials.refresh_token: secret:<that name>`)."""

    app: OAuthApp
    interpret: Interpreter
    key: Callable[[str], str]
    refresh_secret: str | None = None


def _zoho(settings: Any, resolve: Callable[[str], str]) -> Target:
    endpoints = zoho_auth.resolve_endpoints(settings.data_center, settings.endpoints)
    client_id = resolve(settings.credentials.client_id)
    app = zoho_auth.oauth_app(
        settings.kind, endpoints.accounts_url, client_id, resolve(settings.credentials.client_secret)
    )
    return Target(
        app,
        zoho_auth.interpret_token_response,
        lambda refresh: zoho_auth.token_key(endpoints.accounts_url, client_id, refresh),
        refresh_secret=f"{settings.name}.refresh_token",
    )


def _xero(settings: Any, resolve: Callable[[str], str]) -> Target:
    return Target(
        xero_client.oauth_app(settings, resolve),
        interpret_token_errors("Xero"),
        lambda _refresh: xero_client.token_key(settings),  # the row wins over a configured refresh token
    )


def _quickbooks(settings: Any, resolve: Callable[[str], str]) -> Target:
    return Target(
        quickbooks_client.oauth_app(settings, resolve),
        interpret_token_errors("QuickBooks"),
        lambda _refresh: quickbooks_client.token_key(settings),  # the row wins over a configured one
    )


TARGETS: Final[dict[str, Callable[[Any, Callable[[str], str]], Target]]] = {
    "zoho_crm": _zoho,
    "zoho_books": _zoho,
    "xero": _xero,
    "quickbooks": _quickbooks,
}
"""Connector kind -> how it is authorized (a new OAuth vendor adds one line)."""


def authorizable(kind: str) -> bool:
    """Whether connectors of this kind are connected by an OAuth consent."""
    return kind in TARGETS


def target_of(engine: Engine, settings: Any, connector: Any) -> Target:
    """The Target of a configured connector, its credentials resolved (`secret:NAME` from the store).
    Raises KeyError for a kind without a flow, config.loader.ConfigError / ValueError for a bad config."""
    secrets = SqlSecretStore(engine, secret_box(settings))
    return TARGETS[connector.kind](connector, lambda value: resolve_secret(value, secrets.get))


@dataclass(frozen=True)
class Authorized:
    """What a completed consent stored: the token row (with `realmId` for QuickBooks), and the secret
    reference the config should name as its refresh token, when it names another (Zoho)."""

    token: Token
    set_refresh: str | None = None


def complete(
    engine: Engine,
    settings: Any,
    connector: Any,
    target: Target,
    *,
    callback: Callback,
    redirect_uri: str,
    now: datetime,
    actor: str | None = None,
    audit_detail: Mapping[str, Any] | None = None,
) -> Authorized:
    """Trade the callback's code for tokens and store them encrypted: the token row under the store's
    refresh lock and, for a kind that keeps it so, the refresh token as its secret. With `actor`, audit
    `connector.authorize` ({connector} and `audit_detail`, never a token) once the row is stored, under
    the same lock (the token store writes in its own transaction, so the entry is the next one; the web
    route audits through its own helper and passes no actor). Raises
    connectors.errors.ConnectorError when the vendor does not exchange the code."""
    name = connector.name
    http = HttpClient(f"{name}/accounts", interpret=target.interpret, redirects="never")
    try:
        token = exchange_code(http, target.app, callback, redirect_uri, now)
    finally:
        http.close()
    refresh = token.extra["refresh_token"]
    token = Token(token.access_token, token.expires_at, {**token.extra, "connector": name})
    box = secret_box(settings)
    if target.refresh_secret is not None:
        SqlSecretStore(engine, box).set(target.refresh_secret, refresh)
    tokens = ConnectorTokenStore(SqlTokenStore(engine, box))
    key = target.key(refresh)
    with tokens.refresh_lock(key):
        tokens.save(key, token)
        if actor is not None:
            detail = {"connector": name, **(audit_detail or {})}
            record_audit(engine, actor, "connector.authorize", detail)
    set_refresh = None
    if target.refresh_secret is not None:
        reference = f"secret:{target.refresh_secret}"
        credentials = getattr(connector, "credentials", None)
        if getattr(credentials, "refresh_token", None) != reference:
            set_refresh = reference
    return Authorized(token, set_refresh)
