"""CLI command groups, one module each; `COMMANDS` is what sync/cli.py attaches."""

from __future__ import annotations

import click

COMMANDS: list[click.Command] = []
