"""The rich console for results on stdout, shared by the CLI commands and the report job, how text a
vendor or a person wrote reaches it — literally (never as Rich markup) and without control characters
(no ANSI or OSC-8 escape from a vendor ever reaches the terminal) —, and listings laid out for where
they go: a table, cards on a narrow terminal, tab-separated lines when piped."""

from __future__ import annotations

import shutil
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Final

import click
from rich.console import Console
from rich.text import Text

from reconcile.report.fmt import display_width
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


# ----------------------------------------------------------------------------- listings

CARD_BELOW_FIT: Final = 24
"""Display columns the wrapping column (an explanation, a list of changes) needs at least: a terminal
narrower than the other columns plus this gets one card per row instead of a table."""
_GAP: Final = "  "


@dataclass(frozen=True)
class Column:
    """A listing's column: its heading (already translated), alignment, and whether it is the one column
    that wraps on a terminal (the last, free text)."""

    heading: str
    right: bool = False
    wraps: bool = False


def stdout_layout() -> tuple[bool, int]:
    """(is a terminal, its width): the width honours $COLUMNS, as `shutil` does."""
    return _stdout_is_tty(), shutil.get_terminal_size().columns


def _stdout_is_tty() -> bool:
    return sys.stdout.isatty()


def print_listing(columns: Sequence[Column], rows: Iterable[Sequence[object]]) -> None:
    """A listing on stdout, laid out for where it goes (docs/reconcile.md, "Listings"):

    - piped or redirected: tab-separated, the heading row first, exactly one line per row (cells made one
      line, tabs turned to spaces): no padding, nothing wraps, `cut -f` and spreadsheets read it;
    - a terminal wide enough for the table: columns aligned by display width (CJK counts two), the
      wrapping column folded onto continuation lines under itself;
    - a narrower terminal: one card per row, `heading: value` lines, a blank line between cards.
    """
    cells = [
        [terminal_text("" if value is None else str(value), one_line=True) for value in row] for row in rows
    ]
    is_tty, width = stdout_layout()
    if not is_tty:
        for values in [[c.heading for c in columns], *cells]:
            click.echo("\t".join(cell.replace("\t", " ") for cell in values))
        return
    lines = _table(columns, cells, width)
    for line in lines if lines is not None else _cards(columns, cells):
        click.echo(line)


def _table(columns: Sequence[Column], cells: Sequence[Sequence[str]], width: int) -> list[str] | None:
    """The aligned table, or None when the terminal is too narrow for it."""
    widths = [
        max([display_width(c.heading), *(display_width(row[i]) for row in cells)])
        for i, c in enumerate(columns)
    ]
    fixed = sum(w for w, c in zip(widths, columns, strict=True) if not c.wraps)
    fixed += len(_GAP) * (len(columns) - 1)
    room = width - fixed
    wrapping = [i for i, c in enumerate(columns) if c.wraps]
    if room < (CARD_BELOW_FIT if wrapping else 0):
        return None
    for i in wrapping:
        widths[i] = min(widths[i], max(room, 1))
    lines: list[str] = []
    for row in [[c.heading for c in columns], *cells]:
        folded = [_wrap(text, widths[i]) if columns[i].wraps else [text] for i, text in enumerate(row)]
        for n in range(max(len(parts) for parts in folded)):
            parts = [
                _pad(part[n] if n < len(part) else "", widths[i], columns[i].right)
                for i, part in enumerate(folded)
            ]
            lines.append(_GAP.join(parts).rstrip())
    return lines


def _cards(columns: Sequence[Column], cells: Sequence[Sequence[str]]) -> list[str]:
    label = max(display_width(c.heading) for c in columns)
    lines: list[str] = []
    for number, row in enumerate(cells):
        if number:
            lines.append("")
        lines.extend(
            f"{_pad(c.heading, label, False)}  {value}".rstrip()
            for c, value in zip(columns, row, strict=True)
        )
    return lines


def _pad(text: str, width: int, right: bool) -> str:
    space = " " * max(width - display_width(text), 0)
    return space + text if right else text + space


def _wrap(text: str, width: int) -> list[str]:
    """Text folded to `width` display columns: at a space when the line has one, else anywhere (CJK)."""
    lines: list[str] = []
    line, used = "", 0
    for ch in text:
        w = display_width(ch)
        if used + w > width and line:
            cut = line.rfind(" ")
            if cut > 0:
                lines.append(line[:cut])
                line = line[cut + 1 :]
            else:
                lines.append(line)
                line = ""
            used = display_width(line)
        line += ch
        used += w
    if line or not lines:
        lines.append(line)
    return lines


def joined(lang: str, items: Iterable[str]) -> str:
    """Items of a list in one line: the enumeration comma in Chinese (punctuation, not a message)."""
    return ("、" if lang == "zh" else ", ").join(items)
