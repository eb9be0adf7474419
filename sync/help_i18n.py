"""Command help in the reader's language (ADR 0024): each command's summary and description, and its
options' help lines, from the catalogue (key `help.<command path>`, options `help.<command path>.<--opt>`
or the shared `help.option.<--opt>`), chosen when the help is printed.

The language is the root `--lang` (peeked from the arguments, since `--help` is handled before the other
options), else $LEDGERBRIDGE_LANG, else the config's locale read quietly (a missing or broken config
means English), else English. English help stays the commands' docstrings; Chinese replaces it on a
copy of the command made for the one help page, so nothing shared is ever changed."""

from __future__ import annotations

import copy
import os
import re
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any, Protocol, runtime_checkable

import click
from click.formatting import iter_rows, measure_table
from rich.cells import cell_len

from config.loader import ConfigError, load_config
from reconcile.report.i18n import LANGS, Catalogue, Lang

ROOT_KEY = "help.ledgerbridge"
SHARED_OPTION = "help.option."
PEEKED = "ledgerbridge.peeked_globals"
"""ctx.meta key: the root options `--lang` and `--config` read from the raw arguments."""
_VALUED = ("--config", "--log-level", "--lang")


def help_key(path: Sequence[str]) -> str:
    """The catalogue key of a command's help: `help.sync.run`; the root is `help.ledgerbridge`."""
    return "help." + ".".join(path) if path else ROOT_KEY


def option_name(param: click.Parameter) -> str | None:
    """The long name an option's help is keyed by (`--json`), None for arguments."""
    if not isinstance(param, click.Option):
        return None
    names = [*param.opts, *param.secondary_opts]
    return max(names, key=len)


def option_key(catalogue: Catalogue, path: Sequence[str], name: str) -> str | None:
    """The command's own key for the option, else the shared one, else None."""
    for key in (f"{help_key(path)}.{name}", f"{SHARED_OPTION}{name}"):
        if catalogue.has(key):
            return key
    return None


def summary(description: str) -> str:
    """The first sentence of a Chinese description: what a command list shows."""
    return description.split("。", 1)[0].strip()


def peek_globals(args: Sequence[str]) -> dict[str, str]:
    """`--lang` and `--config` given before the subcommand, read before click parses them."""
    found: dict[str, str] = {}
    words = list(args)
    index = 0
    while index < len(words):
        word = words[index]
        if word == "--" or not word.startswith("-"):
            break
        name, equals, value = word.partition("=")
        if name in _VALUED:
            if not equals:
                index += 1
                value = words[index] if index < len(words) else ""
            found[name] = value
        index += 1
    return found


@runtime_checkable
class _Speaks(Protocol):
    """The CLI's context object (sync.cli.AppContext) once the root callback made it: named by what it
    offers, so this module, which sync.cli imports, never imports sync.cli back."""

    @property
    def lang(self) -> Lang: ...


def help_language(ctx: click.Context) -> Lang:
    """The language of the help page being printed (see the module docstring)."""
    root = ctx.find_root()
    if isinstance(root.obj, _Speaks):  # the root callback ran: --lang or env, then the config
        return root.obj.lang
    peeked: dict[str, str] = root.meta.get(PEEKED, {})
    return quiet_language(peeked.get("--lang"), peeked.get("--config"))


def quiet_language(lang_option: str | None, config_path: str | None) -> Lang:
    """--lang, else $LEDGERBRIDGE_LANG, else the config's locale, else English; never an error (for help
    pages and the last-resort lines printed when a command could not even start)."""
    for candidate in (lang_option, os.environ.get("LEDGERBRIDGE_LANG")):
        if candidate in LANGS:
            return candidate
    try:
        return load_config(config_path).settings.locale or "en"
    except (ConfigError, OSError, ValueError):
        return "en"


def _path(ctx: click.Context) -> list[str]:
    names: list[str] = []
    current: click.Context | None = ctx
    while current is not None and current.parent is not None:
        names.append(current.info_name or "")
        current = current.parent
    return names[::-1]


def translated(command: click.Command, path: Sequence[str], catalogue: Catalogue) -> click.Command:
    """A copy of `command` whose description, options' help and subcommands' summaries are in the
    catalogue's language (a key it lacks leaves that text as it is)."""
    shown = copy.copy(command)
    key = help_key(path)
    if catalogue.has(key):
        shown.help = catalogue.text(key)
        shown.short_help = summary(shown.help)
    params = []
    for param in command.params:
        name = option_name(param)
        found = None if name is None else option_key(catalogue, path, name)
        shown_param = param
        if found is not None and isinstance(param, click.Option) and param.help:  # as in English
            shown_param = copy.copy(param)
            shown_param.help = catalogue.text(found)
        params.append(shown_param)
    shown.params = params
    own_help_option = command.get_help_option

    def help_option(ctx: click.Context) -> click.Option | None:
        option = own_help_option(ctx)
        if option is None or not catalogue.has(f"{SHARED_OPTION}--help"):
            return option
        option = copy.copy(option)
        option.help = catalogue.text(f"{SHARED_OPTION}--help")
        return option

    shown.get_help_option = help_option  # type: ignore[method-assign] # this copy only
    if isinstance(command, click.Group) and isinstance(shown, click.Group):
        shown.commands = {
            name: _summarised(sub, [*path, name], catalogue) for name, sub in command.commands.items()
        }
    return shown


def _summarised(command: click.Command, path: Sequence[str], catalogue: Catalogue) -> click.Command:
    key = help_key(path)
    if not catalogue.has(key):
        return command
    shown = copy.copy(command)
    shown.short_help = summary(catalogue.text(key))
    return shown


class TranslatingContext(click.Context):
    """A click context whose help page speaks the reader's language."""

    def get_help(self) -> str:
        lang = help_language(self)
        if lang == "en":
            return super().get_help()
        return translated(self.command, _path(self), Catalogue(lang)).get_help(self)

    def make_formatter(self) -> click.HelpFormatter:
        if help_language(self) == "en":
            return super().make_formatter()
        return WideHelpFormatter(Catalogue("zh"), width=self.terminal_width, max_width=self.max_content_width)


def adopt(command: click.Command) -> None:
    """Give `command` and every subcommand the translating context (language-neutral: the language is
    chosen when a help page is printed)."""
    command.context_class = TranslatingContext
    if isinstance(command, click.Group):
        for sub in command.commands.values():
            adopt(sub)


def walk(command: click.Command, path: Sequence[str] = ()) -> Iterator[tuple[list[str], click.Command]]:
    """(path, command) for `command` and every subcommand under it."""
    yield list(path), command
    if isinstance(command, click.Group):
        for name, sub in sorted(command.commands.items()):
            yield from walk(sub, [*path, name])


# ----------------------------------------------------------------------------- wide-character layout

_WIDE = "\u2e80-\u9fff\uf900-\ufaff\uff00-\uffef"
_TOKEN = re.compile(rf"[{_WIDE}]|[^\s{_WIDE}]+|\s+")
_NO_LINE_START = frozenset("，。、：；！？）》」』")
_NO_LINE_END = frozenset("（《「『")


def wrap(text: str, width: int, initial_indent: str = "", subsequent_indent: str = "") -> str:
    """Wrap by display width (a Chinese character takes two columns), paragraph by paragraph; a
    Chinese character may break anywhere, a Latin word never, no line starts with a closing mark and
    none ends with an opening one (the character before or the mark moves to the next line)."""
    out: list[str] = []
    for number, paragraph in enumerate(re.split(r"\n\s*\n", text.strip())):
        lines: list[str] = []
        first = initial_indent if number == 0 else subsequent_indent
        line, pending = first, ""
        for token in _TOKEN.findall(" ".join(paragraph.split())):
            if token.isspace():
                pending = " "
                continue
            filled = line != (subsequent_indent if lines else first)
            candidate = (pending if filled else "") + token
            pending = ""
            if filled and cell_len(line + candidate) > width:
                carry = ""
                if token in _NO_LINE_START and len(line) > len(subsequent_indent) + 1:
                    line, carry = line[:-1], line[-1]
                while line[-1:] in _NO_LINE_END and len(line.strip()) > 1:
                    line, carry = line[:-1], line[-1] + carry
                lines.append(line.rstrip())
                line, candidate = subsequent_indent + carry, token
            line += candidate
        lines.append(line)
        out.append("\n".join(lines))
    return "\n\n".join(out)


class WideHelpFormatter(click.HelpFormatter):
    """click's help layout with Chinese headings and wrapping measured in display columns."""

    def __init__(self, catalogue: Catalogue, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._catalogue = catalogue

    def write_usage(self, prog: str, args: str = "", prefix: str | None = None) -> None:
        super().write_usage(prog, args, prefix=self._catalogue.text("help.heading.usage") + " ")

    @contextmanager
    def section(self, name: str) -> Iterator[None]:
        key = f"help.heading.{name.lower()}"
        with super().section(self._catalogue.text(key) if self._catalogue.has(key) else name):
            yield

    def write_text(self, text: str) -> None:
        indent = " " * self.current_indent
        self.write(wrap(text, self.width, indent, indent))
        self.write("\n")

    def write_dl(self, rows: Iterable[tuple[str, str]], col_max: int = 30, col_spacing: int = 2) -> None:
        rows = list(rows)
        widths = measure_table(rows)
        first_col = min(widths[0], col_max) + col_spacing
        for first, second in iter_rows(rows, len(widths)):
            self.write(f"{'':>{self.current_indent}}{first}")
            if not second:
                self.write("\n")
                continue
            if cell_len(first) <= first_col - col_spacing:
                self.write(" " * (first_col - cell_len(first)))
            else:
                self.write("\n" + " " * (first_col + self.current_indent))
            lines = wrap(second, max(self.width - first_col - 2 - self.current_indent, 10)).splitlines()
            self.write((lines[0] if lines else "") + "\n")
            for line in lines[1:]:
                self.write(f"{'':>{first_col + self.current_indent}}{line}\n")
