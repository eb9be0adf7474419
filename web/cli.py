"""`ledgerbridge web`: serve the web app in the foreground until Ctrl-C/SIGTERM.

sync/commands/__init__.py names this module by its path string and the CLI imports it only when the
command runs, so sync never imports web. This module in turn uses the click context object only through
the small `_App` protocol below and never imports the CLI (sync.cli, sync.commands): an import-linter
contract says so."""

from __future__ import annotations

from typing import Protocol

import click

from config.loader import LoadedConfig
from store.db import SchemaNotReady
from store.users import SqlUserStore
from sync.bootstrap import open_engine
from web.serve import exposed, serve_foreground

EXIT_USAGE = 2


class _App(Protocol):
    """What this command reads of sync.cli.AppContext (the object click passes)."""

    @property
    def config(self) -> LoadedConfig: ...

    def text(self, key: str, **params: object) -> str: ...


class _BadSetup(click.ClickException):
    exit_code = EXIT_USAGE


@click.command("web")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option(
    "--port", type=click.IntRange(0, 65535), default=8080, show_default=True, help="Port to listen on."
)
@click.option(
    "--proxy-headers",
    is_flag=True,
    help="Trust X-Forwarded-Proto/-For from the reverse proxy in front.",
)
@click.pass_obj
def web_command(app: _App, host: str, port: int, proxy_headers: bool) -> None:
    """Serve the web app for finance and admins until Ctrl-C/SIGTERM (loopback by default)."""
    settings = app.config.settings
    try:
        engine = open_engine(settings)
    except SchemaNotReady as exc:
        raise _BadSetup(app.text("errors.schema", detail=str(exc))) from exc
    try:
        if exposed(host, proxy_headers):
            click.echo(app.text("web.exposed", host=host), err=True)
        if not SqlUserStore(engine).list():
            click.echo(app.text("web.no_users"), err=True)
        shown = f"[{host}]" if ":" in host else host
        click.echo(app.text("web.serving", url=f"http://{shown}:{port}/"), err=True)
        serve_foreground(settings, engine, host=host, port=port, proxy_headers=proxy_headers)
    finally:
        engine.dispose()
