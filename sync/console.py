"""The rich console for results on stdout, shared by the CLI commands and the report job."""

from __future__ import annotations

import sys

from rich.console import Console

PIPE_WIDTH = 240
"""Width of tables written to a pipe or file: wide enough never to squeeze or cut a column."""


def stdout_console() -> Console:
    """The terminal's width on a terminal; PIPE_WIDTH when piped to a file or another program."""
    return Console() if sys.stdout.isatty() else Console(width=PIPE_WIDTH)
