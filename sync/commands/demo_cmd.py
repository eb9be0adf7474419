"""`ledgerbridge demo`: the whole product on a generated company, in one command."""

from __future__ import annotations

import shlex
from pathlib import Path
from types import TracebackType
from typing import Literal

import click
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from config.loader import load_config
from connectors.sandbox.accounting import ACCOUNTING, ZOHO_BOOKS
from connectors.sandbox.generator import CompanySpec, Truth
from reconcile.report.i18n import Catalogue
from store.discrepancies import DiscrepancyType
from sync.bootstrap import utc_now
from sync.cli import AppContext, BadConfig, CommandFailed, emit_json, json_option
from sync.demo import (
    DEFAULT_DIR,
    PAIRS,
    ZOHO_FXIAOKE,
    AbstractProgress,
    DemoDirectoryRefused,
    DemoOptions,
    DemoResult,
    run_demo,
)
from sync.demo_web import DemoLogin, demo_logins, serve_web, web_url
from sync.logs import configure_logging
from sync.reconcile_job import PlanRun


@click.command("demo")
@click.option(
    "--dir",
    "directory",
    type=click.Path(file_okay=False, path_type=Path),
    default=DEFAULT_DIR,
    show_default=True,
    help="Where the demo's config, database, truth file and reports go: a new or empty directory, or one "
    "a previous demo made (re-running there is safe; any other directory is refused).",
)
@click.option("--orders", type=click.IntRange(1, 200_000), default=400, show_default=True)
@click.option("--customers", type=click.IntRange(2, 1_000), default=40, show_default=True)
@click.option("--seed", type=int, default=2026, show_default=True, help="Same seed, same company.")
@click.option("--lang", type=click.Choice(["zh", "en"]), default="zh", show_default=True)
@click.option(
    "--pair",
    type=click.Choice(list(PAIRS)),
    default=ZOHO_FXIAOKE,
    show_default=True,
    help="Which systems the company lives in: Zoho CRM and Fxiaoke against the --accounting books, or "
    "Fxiaoke against the Kingdee K/3 Cloud account it feeds.",
)
@click.option(
    "--accounting",
    type=click.Choice(list(ACCOUNTING)),
    default=ZOHO_BOOKS.name,
    show_default=True,
    help="Where the company keeps its books: Zoho Books, QuickBooks Online or Xero (each in its own "
    "sandbox); Zoho CRM and Fxiaoke are reconciled against them.",
)
@click.option(
    "--clean",
    is_flag=True,
    help="A clean company: nothing planted, nothing malformed (only traps); every rule and audit must "
    "report zero exceptions.",
)
@click.option(
    "--web",
    "serve",
    is_flag=True,
    help="Then serve the web app over the demo's database until Ctrl-C (log in with the printed users).",
)
@click.option("--host", default="127.0.0.1", show_default=True, help="With --web: the address to listen on.")
@click.option(
    "--port", type=click.IntRange(1, 65535), default=8080, show_default=True, help="With --web: the port."
)
@json_option
@click.pass_context
def demo(
    ctx: click.Context,
    *,
    directory: Path,
    orders: int,
    customers: int,
    seed: int,
    lang: Literal["zh", "en"],
    pair: str,
    accounting: str,
    clean: bool,
    serve: bool,
    host: str,
    port: int,
    as_json: bool,
) -> None:
    """Start the bundled Zoho and Fxiaoke sandboxes on loopback with a generated company, configure
    against them, sync, reconcile, write the reports and print what was found, then the web app's
    address and a reviewer's and an admin's login (new passwords each run); --web serves it."""
    app: AppContext = ctx.obj
    _quiet_logs(ctx, app)
    console = Console(stderr=True)
    interactive = console.is_terminal and not as_json
    spec = CompanySpec(customers=customers, orders=orders, seed=seed, planted=not clean)
    options = DemoOptions(directory, spec, lang, accounting, pair)
    try:
        result = run_demo(
            options,
            clock=utc_now,
            progress=_Bars if interactive else None,
            step=(lambda text: console.print(f"[dim]· {text}[/dim]")) if not as_json else None,
        )
    except DemoDirectoryRefused as exc:
        found = ", ".join(exc.found)
        raise BadConfig(
            Catalogue(lang).text("cli.demo_dir_foreign", path=str(exc.directory), found=found)
        ) from exc
    except ValueError as exc:
        raise BadConfig(str(exc)) from exc
    failed = [r for r in result.syncs if not r.ok]
    settings = load_config(result.config).settings
    logins = demo_logins(settings, clock=utc_now)
    url = web_url(host, port)
    if as_json:
        emit_json({**result.to_json(), "web": {"url": url, "logins": [login.to_json() for login in logins]}})
    else:
        _print_summary(result, lang)
        _print_web(result.config, logins, lang, url=url, serving=serve)
    if failed:
        raise CommandFailed(
            f"{len(failed)} sync run(s) failed, first: {failed[0].connector}/{failed[0].stream}"
        )
    if serve:
        serve_web(settings, host=host, port=port)


def _quiet_logs(ctx: click.Context, app: AppContext) -> None:
    """The demo prints its own story: logs only for warnings, unless --log-level was given."""
    parent = ctx.parent
    if parent is not None and parent.get_parameter_source("log_level") is click.core.ParameterSource.DEFAULT:
        configure_logging("warning", extra_processors=[app.redactor])


class _Bars(AbstractProgress):
    """One progress bar per connector, sized by the records the company has there."""

    def __init__(self, truth: Truth) -> None:
        expected: dict[str, int] = {}
        for (source, _), count in truth.records.items():
            expected[source] = expected.get(source, 0) + count
        for bad in truth.malformed:
            expected[bad.source] = expected.get(bad.source, 0) + 1
        self._bars = Progress(
            TextColumn("{task.description:<12}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=Console(stderr=True),
        )
        self._tasks = {
            name: self._bars.add_task(name, total=total) for name, total in sorted(expected.items())
        }
        self._fetched: dict[tuple[str, str], int] = {}

    def advance(self, connector: str, stream: str, fetched: int) -> None:
        self._fetched[(connector, stream)] = fetched
        done = sum(n for (name, _), n in self._fetched.items() if name == connector)
        if connector in self._tasks:
            self._bars.update(self._tasks[connector], completed=done)

    def __enter__(self) -> _Bars:
        self._bars.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._bars.stop()


def _label(catalogue: Catalogue, name: str) -> str:
    """A discrepancy type or bridge line in the reader's language (the finance reports' catalogue)."""
    for namespace in ("type", "bridge"):
        if catalogue.has(f"{namespace}.{name}"):
            return catalogue.value(namespace, name)
    return name


def _print_summary(result: DemoResult, lang: Literal["zh", "en"], out: Console | None = None) -> None:
    catalogue = Catalogue(lang)
    text = catalogue.text
    out = out or Console()
    out.print(text("demo.books", label=result.books))
    records = Table(
        text("demo.source"),
        text("demo.kind"),
        text("demo.documents"),
        text("demo.deleted"),
        title=text("demo.records"),
    )
    for source, kinds in sorted(result.records.items()):
        for kind, count in sorted(kinds.items()):
            records.add_row(source, kind, f"{count:,}", str(result.deleted.get(source, {}).get(kind, "")))
    for source, streams in sorted(result.quarantined.items()):
        for stream, count in sorted(streams.items()):
            records.add_row(source, f"{stream} ({text('demo.quarantined')})", str(count), "")
    out.print(records)
    exceptions = Table(
        text("demo.rule"), text("demo.type"), text("demo.count"), title=text("demo.exceptions")
    )
    order = {t.value: i for i, t in enumerate(DiscrepancyType)}
    for rule, counts in result.exceptions().items():
        for kind, count in sorted(counts.items(), key=lambda item: order.get(item[0], 99)):
            exceptions.add_row(rule, _label(catalogue, kind), str(count))
    out.print(exceptions)
    for bank in result.collections():
        found = ("、" if lang == "zh" else ", ").join(  # a list as each language writes one
            text("demo.bank.finding", label=_label(catalogue, kind), count=count)
            for kind, count in bank.findings.items()
        )
        said = found or text("demo.bank.clean")
        files = ", ".join(bank.files)
        _line(out, text("demo.bank", files=files, connector=bank.connector, lines=bank.lines, rule=bank.rule,
                        findings=said))  # fmt: skip
    bridge = Table(text("demo.rule"), text("demo.explained"), text("demo.amount"), title=text("demo.bridge"))
    for run in result.rules:
        if isinstance(run, PlanRun):  # an audit plan compares nothing: no bridge
            continue
        statement = run.result.bridge
        lines = [
            (text("demo.left"), statement.left_total),
            (text("demo.right"), statement.right_total),
            (text("demo.difference"), statement.difference),
            *((_label(catalogue, name), amount) for name, amount in sorted(statement.explained.items())),
            (text("demo.unexplained"), statement.unexplained),
        ]
        for n, (name, amount) in enumerate(lines):
            bridge.add_row(
                run.rule.name if n == 0 else "", name, f"{amount:,.2f}", end_section=n == len(lines) - 1
            )
    out.print(bridge)
    out.print(f"[bold]{text('demo.files')}[/bold]")
    for label, path in (
        ("config", result.config),
        ("database", result.database),
        ("truth", result.truth),
        *sorted(result.reports.items()),
    ):
        _line(out, f"  {label:<9} {path}")
    out.print(f"[bold]{text('demo.next')}[/bold]")
    for command in next_steps(result.config):
        _line(out, f"  {command}")
    total = sum(result.requests.values())
    out.print(text("demo.took", seconds=f"{result.seconds:.1f}", requests=total))


def _print_web(
    config: Path,
    logins: list[DemoLogin],
    lang: Literal["zh", "en"],
    *,
    url: str,
    serving: bool,
    out: Console | None = None,
) -> None:
    """Where the web app is (or how to start it) and the demo's logins, their passwords shown once."""
    text = Catalogue(lang).text
    out = out or Console()
    out.print(f"[bold]{text('demo.web.title')}[/bold]")
    if serving:
        _line(out, "  " + text("demo.web.serving", url=url))
    else:
        command = f"ledgerbridge --config {shlex.quote(str(config))} web"
        _line(out, "  " + text("demo.web.start", command=command))
        _line(out, "  " + text("demo.web.open", url=url))
    for login in logins:
        role = text(f"web.role.{login.role.value}")
        _line(out, "  " + text("demo.web.login", role=role, name=login.name, password=login.password))
    _line(out, "  " + text("demo.web.once"))


def next_steps(config: Path) -> list[str]:
    """The commands the summary suggests, ready to paste into a shell (the path quoted when it must be)."""
    prefix = f"ledgerbridge --config {shlex.quote(str(config))}"
    return [
        f"{prefix} exceptions list",
        f"{prefix} report mismatches --format table",
        f"{prefix} sync status",
    ]


def _line(out: Console, line: str) -> None:
    """One line as it is: never wrapped at the terminal's width (a command split in two cannot be
    copied), no markup read into a path, no highlighting."""
    out.print(line, soft_wrap=True, markup=False, highlight=False)
