"""`ledgerbridge connector list|test`: configured connectors, their health, and a live connection check."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import click
from rich.table import Table

from config.loader import ConfigError
from connectors.errors import ConnectorError
from store.runs import SqlSyncLog, StreamStatus
from sync.admin_service import check_connector
from sync.check_words import check_json, check_line
from sync.cli import AppContext, BadConfig, CommandFailed, emit_json, json_option
from sync.commands.common import database
from sync.console import echo_line, literal, stdout_console
from sync.engine import iso


def health(status: StreamStatus | None) -> str:
    """ok | failed | running | interrupted | never synced — from the stream's last run."""
    if status is None or status.last_run is None:
        return "never synced"
    return status.last_run.status


@click.group("connector")
def connector_group() -> None:
    """Configured connectors."""


@connector_group.command("list")
@json_option
@click.pass_obj
def list_connectors(app: AppContext, as_json: bool) -> None:
    """Each connector with its streams, last successful sync, lag since then, and health."""
    settings = app.config.settings
    now = datetime.now(UTC)
    with database(app) as engine:
        statuses = {(s.connector, s.stream): s for s in SqlSyncLog(engine).statuses()}
    connectors: list[dict[str, Any]] = []
    for connector in settings.connectors:
        streams = []
        for stream in connector.streams:
            status = statuses.get((connector.name, stream))
            last_ok = status.last_ok_at if status else None
            streams.append(
                {
                    "stream": stream,
                    "health": health(status),
                    "last_sync": iso(last_ok),
                    "lag_seconds": None if last_ok is None else int((now - last_ok).total_seconds()),
                    "cursor": iso(status.cursor if status else None),
                    "error": status.last_run.error if status and status.last_run else None,
                    "resets_at": iso(status.last_run.resets_at if status and status.last_run else None),
                }
            )
        connectors.append({"name": connector.name, "kind": connector.kind, "streams": streams})
    if as_json:
        emit_json({"connectors": connectors})
        return
    if not connectors:
        click.echo(app.text("connector.none"))
        return
    text = app.text
    table = Table(
        *(text(f"connector.col.{name}") for name in ("connector", "kind")),
        text("sync.col.stream"),
        *(text(f"connector.col.{name}") for name in ("health", "last_sync", "lag")),
        text("sync.col.error"),
    )
    for connector_row in connectors:
        for s in connector_row["streams"]:
            lag = "" if s["lag_seconds"] is None else _duration(s["lag_seconds"])
            capped = " " + text("connector.daily_cap", resets_at=s["resets_at"]) if s["resets_at"] else ""
            shown = _health_words(app, s["health"])
            table.add_row(
                connector_row["name"],
                connector_row["kind"],
                s["stream"],
                shown + capped,
                s["last_sync"] or "",
                lag,
                literal(s["error"]),
            )
    stdout_console().print(table)


@connector_group.command("test")
@click.argument("name")
@json_option
@click.pass_obj
def test_connector(app: AppContext, name: str, as_json: bool) -> None:
    """Authenticate and read one page of each object each stream reads; print what works and what to fix.
    WARN: an optional object is missing, forbidden or empty (the sync goes on without it, at the cost
    named). Exit 1 if any check failed."""
    with database(app) as engine:
        try:
            app.config.settings.connector(name)
        except KeyError as exc:
            raise BadConfig(str(exc.args[0])) from exc
        try:
            results = check_connector(engine, app.config.settings, name)
        except ConfigError as exc:
            raise BadConfig(str(exc)) from exc
        except ConnectorError as exc:
            raise CommandFailed(app.text("connector.check_failed", connector=name, error=exc)) from exc
    if as_json:
        emit_json(
            {
                "connector": name,
                "checks": [check_json(r) for r in results],
            }
        )
    else:
        for result in results:
            mark = app.text(
                "connector.mark_fail"
                if not result.ok
                else "connector.mark_warn"
                if result.state
                else "connector.mark_ok"
            )
            what, detail = check_line(app.catalogue, result)
            echo_line(f"{mark} {what}" + (f" — {detail}" if detail else ""))
    failed = [r for r in results if not r.ok]
    if failed:
        raise CommandFailed(
            app.text("connector.checks_failed", connector=name, failed=len(failed), total=len(results))
        )


def _health_words(app: AppContext, health_code: str) -> str:
    """A stream's health code (`ok`, `failed`, `never synced`...) in the reader's words."""
    key = "runstatus.never" if health_code == "never synced" else f"runstatus.{health_code}"
    return app.text(key) if app.catalogue.has(key) else health_code


def _duration(seconds: int) -> str:
    if seconds < 120:
        return f"{seconds}s"
    if seconds < 7200:
        return f"{seconds // 60}m"
    if seconds < 172800:
        return f"{seconds // 3600}h"
    return f"{seconds // 86400}d"


from sync.commands.authorize_cmd import authorize  # noqa: E402 - the group exists first

connector_group.add_command(authorize)
