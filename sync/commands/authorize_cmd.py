"""`ledgerbridge connector authorize NAME`: an admin connects a vendor account (OAuth 2.0 authorization
code). Prints the consent URL (and opens a browser when there is a display), receives the code on a
one-shot loopback listener (`state` checked) or takes it pasted (`--paste`), trades it for tokens and
stores them encrypted (ADR 0033) — through sync/authorize.py, as the web Connectors page does."""

from __future__ import annotations

import os
import sys
import webbrowser
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any, Final

import click

from config.loader import ConfigError
from connectors.errors import ConnectorError
from connectors.oauth2 import (
    CallbackError,
    LoopbackReceiver,
    authorization_url,
    new_state,
    parse_callback,
)
from sync.authorize import TARGETS, complete, target_of
from sync.cli import AppContext, BadConfig, CommandFailed
from sync.commands.common import actor_name, actor_option, database

DEFAULT_REDIRECT: Final = "http://127.0.0.1:8976/callback"
"""The loopback redirect URI to register with the vendor's app (any loopback port works if registered)."""


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
@actor_option
@click.pass_obj
def authorize(
    app: AppContext,
    *,
    name: str,
    paste: bool,
    redirect_uri: str,
    no_browser: bool,
    timeout: int,
    actor: str | None,
) -> None:
    """Connect the vendor account of connector NAME: open the vendor's consent page, receive the
    authorization code on a loopback redirect (or pasted with --paste), trade it for tokens and store
    them encrypted."""
    settings = app.config.settings
    try:
        connector = settings.connector(name)
    except KeyError as exc:
        raise BadConfig(str(exc.args[0])) from exc
    if connector.kind not in TARGETS:
        raise BadConfig(app.text("authorize.unsupported", connector=name, kind=connector.kind))
    with database(app) as engine:
        try:
            target = target_of(engine, settings, connector)
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
        try:
            done = complete(
                engine,
                settings,
                connector,
                target,
                callback=callback,
                redirect_uri=redirect_uri,
                now=datetime.now(UTC),
                actor=actor_name(actor),
                audit_detail={"via": "cli"},
            )
        except ConnectorError as exc:
            raise CommandFailed(app.text("authorize.exchange_failed", error=exc)) from exc
    click.echo(app.text("authorize.done", connector=name))
    if "realmId" in done.token.extra:
        click.echo(app.text("authorize.realm", realm=done.token.extra["realmId"]))
    if done.set_refresh is not None:
        click.echo(app.text("authorize.set_refresh", connector=name, reference=done.set_refresh))


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
