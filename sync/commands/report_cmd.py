"""`ledgerbridge report mismatches|o2c|aging`: the finance reports, in five formats and two languages."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import click

from config.settings import Settings
from reconcile.o2c import GroupBy
from reconcile.periods import Period, PeriodError, parse_period
from reconcile.report.i18n import LANGS, Catalogue, Lang
from reconcile.report.model import Report
from store.db import Engine
from store.discrepancies import ExceptionStatus
from sync.bootstrap import utc_now
from sync.cli import AppContext, BadConfig, CommandFailed, emit_json, json_option
from sync.commands.common import database, force_option, output_destination
from sync.ledger_report_job import Sources, build_aging, build_o2c, choose_sources, source_names
from sync.outputs import Destination, OutputRefused, check_destination
from sync.report_job import (
    FORMATS,
    OUTPUT_KINDS,
    Format,
    MismatchFilter,
    ReportError,
    build_mismatches,
    count_exceptions,
    progress,
    write_report,
)


def _output_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """--format, --output, --force, --lang and --json, shared by every report."""
    for option in reversed(
        (
            click.option("--format", "fmt", type=click.Choice(FORMATS), default="table", show_default=True),
            click.option(
                "--output",
                type=click.Path(dir_okay=False, path_type=Path),
                default=None,
                help="Write to this file (default: stdout; an Excel workbook needs a file). An existing "
                "file is replaced only when it is a previous report in this format (or with --force).",
            ),
            force_option,
            click.option(
                "--lang",
                type=click.Choice(LANGS),
                default=None,
                help="zh or en (default: `locale` in the config; zh when the time zone is Asia/Shanghai).",
            ),
            json_option,
        )
    ):
        command = option(command)
    return command


@click.group("report")
def report_group() -> None:
    """Finance reports: reconciliation mismatches, order-to-cash, AR ageing."""


@report_group.command("mismatches")
@click.option(
    "--rule", "rules", multiple=True, metavar="NAME", help="Only this rule or audit plan (repeatable)."
)
@click.option("--period", default=None, help="Exceptions of documents issued in 2026-10, 2026-Q3, 2026...")
@click.option(
    "--status",
    "statuses",
    multiple=True,
    type=click.Choice([s.value for s in ExceptionStatus]),
    help="Only exceptions in this state (repeatable; default: all).",
)
@click.option("--no-history", is_flag=True, help="Leave out both sides' documents and revision history.")
@_output_options
@click.pass_obj
def mismatches_command(
    app: AppContext,
    *,
    rules: tuple[str, ...],
    period: str | None,
    statuses: tuple[str, ...],
    no_history: bool,
    fmt: Format,
    output: Path | None,
    force: bool,
    lang: Lang | None,
    as_json: bool,
) -> None:
    """The reconciliation mismatch report: bridge statements, counts per type, every exception."""
    settings = app.config.settings
    now = utc_now()
    known = {rule.name for rule in settings.reconcile.rules} | {p.name for p in settings.reconcile.plans()}
    unknown = [name for name in rules if name not in known]
    if unknown:
        raise BadConfig(
            f"--rule {unknown[0]!r} is not a configured rule or audit plan "
            f"({', '.join(sorted(known)) or 'none'})"
        )
    scope = MismatchFilter(
        rules=rules, period=None if period is None else _period(period, now, settings.zone), statuses=statuses
    )
    fmt = _format(fmt, output, as_json)
    chosen = lang or settings.effective_locale
    destination = output_destination(app, force=force)
    with _report_errors(chosen), database(app) as engine:
        _check(output, fmt, destination)
        total = sum(sum(per_type.values()) for per_type in count_exceptions(engine, scope).values())
        shown = fmt != "table" or output is not None
        with progress(total, label="report", enabled=shown and sys.stderr.isatty()) as advance:
            report = build_mismatches(
                engine,
                settings,
                scope=scope,
                lang=chosen,
                now=now,
                details=not no_history and fmt in ("html", "json"),
                advance=advance,
            )
            write_report(report, fmt, output, destination=destination)
    _done(as_json, "mismatches", fmt, output, exceptions=total)


def _sources_option(flag: str, what: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """A repeatable source option: `--orders-from a --orders-from b` and `--orders-from a,b` alike."""
    return click.option(
        flag,
        multiple=True,
        metavar="SOURCE[,SOURCE]",
        help=f"Source(s) of the {what} (repeatable or comma-separated; their documents are added up). "
        "Default: the only source holding them.",
    )


@report_group.command("o2c")
@click.option("--by", type=click.Choice([g.value for g in GroupBy]), default="customer", show_default=True)
@click.option(
    "--period", default="all", show_default=True, help="2026-10, 2026-Q3, 2026, all, previous_month..."
)
@click.option("--as-of", type=click.DateTime(["%Y-%m-%d"]), default=None, help="Judge overdue on this date.")
@_sources_option("--orders-from", "sales orders")
@_sources_option("--invoices-from", "invoices and credit notes")
@_sources_option("--payments-from", "payments")
@_output_options
@click.pass_obj
def o2c_command(
    app: AppContext,
    *,
    by: str,
    period: str,
    as_of: datetime | None,
    orders_from: tuple[str, ...],
    invoices_from: tuple[str, ...],
    payments_from: tuple[str, ...],
    fmt: Format,
    output: Path | None,
    force: bool,
    lang: Lang | None,
    as_json: bool,
) -> None:
    """Ordered, invoiced, credited, collected, outstanding and overdue per customer, salesperson or month."""

    def build(engine: Engine, settings: Settings, now: datetime, chosen_fmt: Format) -> Report:
        given = {
            "--orders-from": source_names(orders_from),
            "--invoices-from": source_names(invoices_from),
            "--payments-from": source_names(payments_from),
        }
        chosen = choose_sources(engine, settings, given, Catalogue(lang or app.lang))
        return build_o2c(
            engine,
            settings,
            by=GroupBy(by),
            period=_period(period, now, settings.zone),
            sources=Sources(
                orders=chosen["--orders-from"],
                invoices=chosen["--invoices-from"],
                payments=chosen["--payments-from"],
            ),
            lang=_report_lang(app, lang, settings),
            now=now,
            as_of=_day(as_of),
            details=chosen_fmt in _DETAIL_FORMATS,
        )

    _produce(app, "o2c", build, fmt=fmt, output=output, force=force, lang=lang, as_json=as_json)


@report_group.command("aging")
@click.option("--by", type=click.Choice(["customer", "salesperson"]), default="customer", show_default=True)
@click.option(
    "--as-of", type=click.DateTime(["%Y-%m-%d"]), default=None, help="Age on this date (default: today)."
)
@_sources_option("--invoices-from", "invoices")
@_output_options
@click.pass_obj
def aging_command(
    app: AppContext,
    *,
    by: str,
    as_of: datetime | None,
    invoices_from: tuple[str, ...],
    fmt: Format,
    output: Path | None,
    force: bool,
    lang: Lang | None,
    as_json: bool,
) -> None:
    """Open invoice balances by days overdue: current, 1–30, 31–60, 61–90, over 90."""

    def build(engine: Engine, settings: Settings, now: datetime, chosen_fmt: Format) -> Report:
        given = {"--invoices-from": source_names(invoices_from)}
        chosen = choose_sources(engine, settings, given, Catalogue(lang or app.lang))
        return build_aging(
            engine,
            settings,
            by=GroupBy(by),
            invoices_from=chosen["--invoices-from"],
            lang=_report_lang(app, lang, settings),
            now=now,
            as_of=_day(as_of),
            details=chosen_fmt in _DETAIL_FORMATS,
        )

    _produce(app, "aging", build, fmt=fmt, output=output, force=force, lang=lang, as_json=as_json)


_DETAIL_FORMATS: tuple[Format, ...] = ("html", "json")
"""Formats that show each customer's folded spellings (a column the others leave out)."""


# ---------------------------------------------------------------------------- helpers


def _produce(
    app: AppContext,
    name: str,
    build: Callable[[Engine, Settings, datetime, Format], Report],
    *,
    fmt: Format,
    output: Path | None,
    force: bool,
    lang: Lang | None,
    as_json: bool,
) -> None:
    """Check where it goes, open the database, build the report, write it, say where it went."""
    fmt = _format(fmt, output, as_json)
    destination = output_destination(app, force=force)
    with _report_errors(lang or app.lang), database(app) as engine:
        _check(output, fmt, destination)
        report = build(engine, app.config.settings, utc_now(), fmt)
        write_report(report, fmt, output, destination=destination)
    _done(as_json, name, fmt, output)


def _report_lang(app: AppContext, lang: Lang | None, settings: Settings) -> Lang:
    """The report's language: --lang of the report or of the command line, else the configured locale
    (Chinese when the time zone is Asia/Shanghai). Errors use the CLI's language (`app.lang`)."""
    return lang or app.lang_option or settings.effective_locale


def _check(output: Path | None, fmt: Format, destination: Destination) -> None:
    """Refuse a destination before any work (write_report checks again just before writing)."""
    if output is not None:
        check_destination(output, OUTPUT_KINDS[fmt], destination)


def _period(text: str, now: datetime, zone: ZoneInfo) -> Period:
    try:
        return parse_period(text, now, zone)
    except PeriodError as exc:
        raise BadConfig(f"--period: {exc}") from exc


def _day(value: datetime | None) -> date | None:
    return None if value is None else value.date()


@contextmanager
def _report_errors(lang: Lang) -> Iterator[None]:
    """ReportError and a refused --output -> exit 2 with its message (it always says which option to
    give; a refusal in the report's language); a file that cannot be written -> exit 1."""
    try:
        yield
    except ReportError as exc:
        raise BadConfig(str(exc)) from exc
    except OutputRefused as exc:
        raise BadConfig(exc.message(lang)) from exc
    except OSError as exc:
        raise CommandFailed(f"cannot write the report: {exc}") from exc


def _format(fmt: Format, output: Path | None, as_json: bool) -> Format:
    """`--json` without `--output` means the report itself as JSON on stdout."""
    return "json" if as_json and output is None else fmt


def _done(as_json: bool, name: str, fmt: str, output: Path | None, **counts: int) -> None:
    """After writing a file: where it is (one JSON document with --json, a line on stderr otherwise)."""
    if output is None:
        return
    if as_json:
        emit_json({"report": name, "format": fmt, "output": str(output.resolve()), **counts})
    else:
        click.echo(f"wrote {output}", err=True)
