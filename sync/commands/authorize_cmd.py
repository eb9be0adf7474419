"""`ledgerbridge connector authorize NAME`: an admin connects a vendor account (OAuth 2.0 authorization
code). Prints the consent URL (and opens a browser when there is a display), receives the code on a
one-shot loopback listener (`state` checked) or takes it pasted (`--paste`), trades it for tokens and
stores them encrypted (ADR 0033). The web Connectors page offering the same is a follow-up."""

from __future__ import annotations

import os
import sys
import webbrowser
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Final

import click

from config.loader import ConfigError, resolve_secret
from connectors.base import Token
from connectors.errors import ConnectorError
from connectors.http import HttpClient, Interpreter
from connectors.oauth2 import (
    CallbackError,
    LoopbackReceiver,
    OAuthApp,
    authorization_url,
    exchange_code,
    interpret_token_errors,
    new_state,
    parse_callback,
)
from connectors.quickbooks import client as quickbooks_client
from connectors.xero import client as xero_client
from connectors.zoho import auth as zoho_auth
from store.secrets import SqlSecretStore, SqlTokenStore
from sync.bootstrap import ConnectorTokenStore, secret_box
from sync.cli import AppContext, BadConfig, CommandFailed
from sync.commands.common import database

DEFAULT_REDIRECT: Final = "http://127.0.0.1:8976/callback"
"""The loopback redirect URI to register with the vendor's app (any loopback port works if registered)."""


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


def has_display(environ: Mapping[str, str] = os.environ) -> bool:
    """Whether a browser can be opened here (a desktop, not an SSH session on a server)."""
    if sys.platform in ("darwin", "win32"):
        return True
    return bool(environ.get("DISPLAY") or environ.get("WAYLAND_DISPLAY"))


@click.command("authorize")
@click.argument("name")
@click.option(
    "--paste", is_flag=True, help="Paste the code (or the whole redirected URL) instead of listening."
)
@click.option(
    "--redirect-uri",
    default=DEFAULT_REDIRECT,
    show_default=True,
    help="The redirect URI registered with the vendor's app; a loopback one is listened on.",
)
@click.option("--no-browser", is_flag=True, help="Only print the URL, never open a browser.")
@click.option("--timeout", default=300, show_default=True, help="Seconds to wait for the redirect.")
@click.pass_obj
def authorize(
    app: AppContext, *, name: str, paste: bool, redirect_uri: str, no_browser: bool, timeout: int
) -> None:
    """Connect the vendor account of connector NAME: open the vendor's consent page, receive the
    authorization code on a loopback redirect (or pasted with --paste), trade it for tokens and store
    them encrypted."""
    settings = app.config.settings
    try:
        connector = settings.connector(name)
    except KeyError as exc:
        raise BadConfig(str(exc.args[0])) from exc
    make = TARGETS.get(connector.kind)
    if make is None:
        raise BadConfig(app.text("authorize.unsupported", connector=name, kind=connector.kind))
    with database(app) as engine:
        box = secret_box(settings)
        secrets = SqlSecretStore(engine, box)
        try:
            target = make(connector, lambda value: resolve_secret(value, secrets.get))
        except (ConfigError, ValueError) as exc:
            raise BadConfig(str(exc)) from exc
        state = new_state()
        url = authorization_url(target.app, redirect_uri, state)
        click.echo(app.text("authorize.open", url=url))
        try:
            callback = _receive(
                app,
                url=url,
                redirect_uri=redirect_uri,
                state=state,
                keep=target.app.callback_fields,
                paste=paste,
                no_browser=no_browser,
                timeout=timeout,
            )
        except CallbackError as exc:
            raise CommandFailed(app.text("authorize.refused", error=exc)) from exc
        http = HttpClient(f"{name}/accounts", interpret=target.interpret, redirects="never")
        try:
            token = exchange_code(http, target.app, callback, redirect_uri, datetime.now(UTC))
        except ConnectorError as exc:
            raise CommandFailed(app.text("authorize.exchange_failed", error=exc)) from exc
        finally:
            http.close()
        refresh = token.extra["refresh_token"]
        token = Token(token.access_token, token.expires_at, {**token.extra, "connector": name})
        if target.refresh_secret is not None:
            secrets.set(target.refresh_secret, refresh)
        tokens = ConnectorTokenStore(SqlTokenStore(engine, box))
        key = target.key(refresh)
        with tokens.refresh_lock(key):
            tokens.save(key, token)
    click.echo(app.text("authorize.done", connector=name))
    if "realmId" in token.extra:
        click.echo(app.text("authorize.realm", realm=token.extra["realmId"]))
    if target.refresh_secret is not None:
        reference = f"secret:{target.refresh_secret}"
        credentials = getattr(connector, "credentials", None)
        if getattr(credentials, "refresh_token", None) != reference:
            click.echo(app.text("authorize.set_refresh", connector=name, reference=reference))


def _receive(
    app: AppContext,
    *,
    url: str,
    redirect_uri: str,
    state: str,
    keep: tuple[str, ...],
    paste: bool,
    no_browser: bool,
    timeout: int,
) -> Any:
    if paste:
        answer = click.prompt(app.text("authorize.paste_prompt")).strip()
        # A whole redirected URL carries the state we sent: check it. A bare code carries nothing to check.
        return parse_callback(
            answer if "=" in answer else f"code={answer}", state if "state=" in answer else None, keep
        )
    try:
        receiver = LoopbackReceiver(redirect_uri)
    except ValueError as exc:
        raise BadConfig(app.text("authorize.not_loopback", redirect_uri=redirect_uri)) from exc
    with receiver:
        if not no_browser and has_display():
            webbrowser.open(url)
        click.echo(app.text("authorize.waiting", redirect_uri=redirect_uri, seconds=timeout))
        query = receiver.wait(timeout)
    if query is None:
        raise CommandFailed(app.text("authorize.timeout", seconds=timeout))
    return parse_callback(query, state, keep)
