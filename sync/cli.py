"""The `ledgerbridge` command line: the group, global options, exit statuses and error messages."""

from __future__ import annotations

import importlib
import json
import sys
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NoReturn

import click

from config.loader import ConfigError, LoadedConfig, load_config
from reconcile.report.i18n import LANGS, Catalogue, Lang
from sync.help_i18n import (
    PEEKED,
    TranslatingContext,
    adopt,
    help_key,
    help_language,
    peek_globals,
    quiet_language,
    summary,
)
from sync.logs import LEVELS, configure_logging
from sync.redact import Redactor

EXIT_OK = 0
EXIT_FAILED = 1
"""The work ran but failed (a sync run failed, a lock was held...)."""
EXIT_USAGE = 2
"""Bad usage or bad configuration."""


class CommandFailed(click.ClickException):
    """The work ran and failed: one line on stderr, exit status 1."""

    exit_code = EXIT_FAILED


class BadConfig(click.ClickException):
    """Bad usage or configuration: one line on stderr saying what to fix, exit status 2."""

    exit_code = EXIT_USAGE


@dataclass
class AppContext:
    """What every command shares: where the config is, loaded once and only when a command needs it."""

    config_path: str | None
    lang_option: Lang | None = None
    """`--lang` (or $LEDGERBRIDGE_LANG); None lets the configured locale decide."""
    _loaded: LoadedConfig | None = field(default=None, repr=False)
    redactor: Redactor = field(default_factory=Redactor, repr=False)
    """Scrubs secrets from logs and error lines; learns the config's literal credentials on load and
    every `secret:NAME` value resolved (call `redactor.add(value)`)."""

    @property
    def config(self) -> LoadedConfig:
        if self._loaded is None:
            try:
                self._loaded = load_config(self.config_path)
            except ConfigError as exc:
                raise BadConfig(self.redactor.redact_text(str(exc))) from exc
            self.redactor.learn_settings(self._loaded.settings)
        return self._loaded

    @property
    def config_file(self) -> Path:
        return self.config.path

    @property
    def lang(self) -> Lang:
        """The language a person reads: --lang / $LEDGERBRIDGE_LANG, else the config's `locale` when it
        sets one, else English — also when there is no readable config (init, demo and --help work
        without one). Unlike reports, the CLI does not infer Chinese from the time zone (ADR 0024)."""
        if self.lang_option is not None:
            return self.lang_option
        if self._loaded is None:
            try:
                self._loaded = load_config(self.config_path)
            except (ConfigError, OSError):
                return "en"
            self.redactor.learn_settings(self._loaded.settings)
        return self._loaded.settings.locale or "en"

    @property
    def catalogue(self) -> Catalogue:
        """The one catalogue (reconcile/report/i18n.py) in the reader's language."""
        return Catalogue(self.lang)

    def text(self, key: str, **params: object) -> str:
        return self.catalogue.text(key, **params)


def emit_json(document: Any) -> None:
    """One JSON document on stdout (logs go to stderr)."""
    click.echo(json.dumps(document, ensure_ascii=False, indent=2, default=str))


def fail(message: str) -> NoReturn:
    raise CommandFailed(message)


json_option = click.option("--json", "as_json", is_flag=True, help="Print one JSON document on stdout.")


class LazyGroup(click.Group):
    """The top-level group: commands come from sync.commands.COMMANDS and are imported when invoked.
    Every command's help page speaks the reader's language (sync/help_i18n.py, ADR 0024)."""

    context_class = TranslatingContext

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        ctx.meta[PEEKED] = peek_globals(args)  # `--help` is answered before --lang is processed
        return super().parse_args(ctx, args)

    def list_commands(self, ctx: click.Context) -> list[str]:
        from sync.commands import COMMANDS

        return sorted({*COMMANDS, *super().list_commands(ctx)})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        from sync.commands import COMMANDS

        command = super().get_command(ctx, cmd_name)
        if command is not None or cmd_name not in COMMANDS:
            return command
        ref = COMMANDS[cmd_name]
        command = getattr(importlib.import_module(ref.module), ref.attribute)
        if not isinstance(command, click.Command):
            raise TypeError(f"{ref.module}.{ref.attribute} is not a click command")
        adopt(command)
        self.add_command(command, cmd_name)
        return command

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """List commands from the table's one-line help, without importing any of them."""
        from sync.commands import COMMANDS

        catalogue = Catalogue(help_language(ctx))
        rows = [(name, _summary(catalogue, name, ref.short_help)) for name, ref in sorted(COMMANDS.items())]
        with formatter.section("Commands"):
            formatter.write_dl(rows)


def _summary(catalogue: Catalogue, name: str, english: str) -> str:
    key = help_key([name])
    return summary(catalogue.text(key)) if catalogue.lang != "en" and catalogue.has(key) else english


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--config",
    "config_path",
    type=click.Path(dir_okay=False),
    default=None,
    help="Configuration file (else $LEDGERBRIDGE_CONFIG, else ./ledgerbridge.yaml).",
)
@click.option(
    "--log-level",
    type=click.Choice(LEVELS),
    default="info",
    show_default=True,
    help="How much the log says: debug, info, warning or error.",
)
@click.option(
    "--lang",
    "lang",
    type=click.Choice(LANGS),
    envvar="LEDGERBRIDGE_LANG",
    default=None,
    help="Language of everything printed: zh or en (else $LEDGERBRIDGE_LANG, else the config's locale).",
)
@click.version_option(package_name="ledgerbridge")
@click.pass_context
def cli(ctx: click.Context, config_path: str | None, log_level: str, lang: Lang | None) -> None:
    """ledgerbridge keeps a company's sales books honest: it syncs CRM and accounting systems into one
    canonical ledger and reconciles them."""
    redactor = ctx.obj if isinstance(ctx.obj, Redactor) else Redactor()
    configure_logging(log_level, extra_processors=[redactor])
    redactor.install_stdlib()
    ctx.obj = AppContext(config_path=config_path, lang_option=lang, redactor=redactor)


def main(argv: list[str] | None = None) -> int:
    """Console entry point: runs the CLI and maps failures to the documented exit statuses; the
    last-resort lines speak the reader's language too."""
    redactor = Redactor()
    args = list(sys.argv[1:] if argv is None else argv)

    def text(key: str, **params: object) -> str:
        peeked = peek_globals(args)
        try:
            lang = quiet_language(peeked.get("--lang"), peeked.get("--config"))
        except Exception:  # noqa: BLE001 - the last-resort line must print whatever the config does
            lang = "en"
        return Catalogue(lang).text(key, **params)

    try:
        cli.main(args=args, prog_name="ledgerbridge", standalone_mode=False, obj=redactor)
    except click.exceptions.Exit as exc:
        return int(exc.exit_code)
    except click.Abort:
        click.echo(text("errors.aborted"), err=True)
        return EXIT_FAILED
    except click.ClickException as exc:
        exit_code = exc.exit_code
        if isinstance(exc, click.UsageError):
            exc.show()
            return EXIT_USAGE
        click.echo(f"ledgerbridge: {redactor.redact_text(exc.format_message())}", err=True)
        return exit_code
    except ConfigError as exc:
        click.echo(f"ledgerbridge: {redactor.redact_text(str(exc))}", err=True)
        return EXIT_USAGE
    except KeyboardInterrupt:
        click.echo(text("errors.interrupted"), err=True)
        return 130
    except Exception as exc:  # noqa: BLE001 - the last boundary: print the bug scrubbed, never a raw traceback
        trace = "".join(traceback.format_exception(exc))
        click.echo(f"ledgerbridge: {text('errors.internal', trace=redactor.redact_text(trace))}", err=True)
        return EXIT_FAILED
    return EXIT_OK


def run(argv: list[str] | None = None, *, exit: Callable[[int], Any] = sys.exit) -> None:
    exit(main(argv))


if __name__ == "__main__":  # pragma: no cover
    run()
