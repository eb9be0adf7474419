"""The rich console for results on stdout, shared by the CLI commands and the report job, and how text
a vendor or a person wrote reaches it: literally (never as Rich markup) and without control characters
(no ANSI or OSC-8 escape from a vendor ever reaches the terminal)."""

from __future__ import annotations

import sys

import click
from rich.console import Console
from rich.text import Text

from reconcile.report.safe import terminal_text

PIPE_WIDTH = 240
"""Width of tables written to a pipe or file: wide enough never to squeeze or cut a column."""


def stdout_console() -> Console:
    """The terminal's width on a terminal; PIPE_WIDTH when piped to a file or another program."""
    return Console() if sys.stdout.isatty() else Console(width=PIPE_WIDTH)


def literal(value: object, *, one_line: bool = False) -> Text:
    """A table cell or line showing `value` as it is: markup not parsed, control characters removed."""
    return Text(terminal_text("" if value is None else str(value), one_line=one_line))


def echo_line(line: str) -> None:
    """One line of a listing holding vendor text: control characters removed, breaks made spaces."""
    click.echo(terminal_text(line, one_line=True))
