"""`ledgerbridge config check`: every problem in the configuration, one per line, not only the first."""

from __future__ import annotations

import click

from config.loader import ConfigError, load_config
from sync.cli import AppContext, BadConfig


@click.group("config")
def config_group() -> None:
    """The configuration file."""


@config_group.command("check")
@click.pass_context
def check(ctx: click.Context) -> None:
    """List every problem in the configuration as file:line (exit 2 when any), else print ok."""
    app: AppContext = ctx.obj
    try:
        loaded = load_config(app.config_path)
    except ConfigError as exc:
        for problem in exc.problems:
            click.echo(app.redactor.redact_text(problem), err=True)
        count = len(exc.problems)
        raise BadConfig(app.text("config.problem" if count == 1 else "config.problems", count=count)) from exc
    click.echo(app.text("config.ok", path=loaded.path))
