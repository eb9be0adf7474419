"""CLI command groups, one module each; `COMMANDS` is what sync/cli.py attaches."""

from __future__ import annotations

import click

from sync.commands.report_cmd import report_group

COMMANDS: list[click.Command] = [report_group]
