"""`ledgerbridge demo`: the whole product on a generated company, in one command."""

from __future__ import annotations

from pathlib import Path
from types import TracebackType
from typing import Literal

import click
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from connectors.sandbox.generator import CompanySpec, DemoCompany
from reconcile.report.i18n import Catalogue
from store.canonical import DiscrepancyType
from sync.bootstrap import utc_now
from sync.cli import AppContext, BadConfig, CommandFailed, emit_json, json_option
from sync.demo import (
    DEFAULT_DIR,
    AbstractProgress,
    DemoDirectoryRefused,
    DemoOptions,
    DemoResult,
    run_demo,
)
from sync.logs import configure_logging
from sync.reconcile_job import PlanRun

_TEXT = {
    "en": {
        "title": "ledgerbridge demo",
        "records": "Records per source",
        "source": "source",
        "kind": "kind",
        "documents": "documents",
        "deleted": "deleted",
        "quarantined": "quarantined",
        "exceptions": "Exceptions per rule and type",
        "rule": "rule",
        "type": "type",
        "count": "count",
        "amount": "amount",
        "bridge": "Bridge statement (base currency)",
        "left": "left total",
        "right": "right total",
        "difference": "difference",
        "explained": "explained by",
        "unexplained": "unexplained",
        "files": "Files",
        "next": "Next",
        "took": "done in {seconds:.1f} s; {requests} API requests to the sandboxes",
    },
    "zh": {
        "title": "ledgerbridge 演示",
        "records": "各来源的记录",
        "source": "来源",
        "kind": "类型",
        "documents": "单据数",
        "deleted": "已删除",
        "quarantined": "已隔离",
        "exceptions": "各规则的差异（按类型）",
        "rule": "规则",
        "type": "差异类型",
        "count": "数量",
        "amount": "金额",
        "bridge": "差异调节表（本位币）",
        "left": "左侧合计",
        "right": "右侧合计",
        "difference": "差额",
        "explained": "差额来源",
        "unexplained": "未解释",
        "files": "文件",
        "next": "下一步",
        "took": "用时 {seconds:.1f} 秒；向沙箱发出 {requests} 次 API 请求",
    },
}


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
    "--clean",
    is_flag=True,
    help="A clean company: nothing planted, nothing malformed (only traps); every rule and audit must "
    "report zero exceptions.",
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
    clean: bool,
    as_json: bool,
) -> None:
    """Start the bundled Zoho and Fxiaoke sandboxes on loopback with a generated company, configure
    against them, sync, reconcile, write the reports and print what was found."""
    app: AppContext = ctx.obj
    _quiet_logs(ctx, app)
    console = Console(stderr=True)
    interactive = console.is_terminal and not as_json
    spec = CompanySpec(customers=customers, orders=orders, seed=seed, planted=not clean)
    options = DemoOptions(directory, spec, lang)
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
    if as_json:
        emit_json(result.to_json())
    else:
        _print_summary(result, lang)
    if failed:
        raise CommandFailed(
            f"{len(failed)} sync run(s) failed, first: {failed[0].connector}/{failed[0].stream}"
        )


def _quiet_logs(ctx: click.Context, app: AppContext) -> None:
    """The demo prints its own story: logs only for warnings, unless --log-level was given."""
    parent = ctx.parent
    if parent is not None and parent.get_parameter_source("log_level") is click.core.ParameterSource.DEFAULT:
        configure_logging("warning", extra_processors=[app.redactor])


class _Bars(AbstractProgress):
    """One progress bar per connector, sized by the records the company has there."""

    def __init__(self, company: DemoCompany) -> None:
        truth = company.truth
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


def _print_summary(result: DemoResult, lang: Literal["zh", "en"]) -> None:
    text = _TEXT[lang]
    catalogue = Catalogue(lang)
    out = Console()
    records = Table(text["source"], text["kind"], text["documents"], text["deleted"], title=text["records"])
    for source, kinds in sorted(result.records.items()):
        for kind, count in sorted(kinds.items()):
            records.add_row(source, kind, f"{count:,}", str(result.deleted.get(source, {}).get(kind, "")))
    for source, streams in sorted(result.quarantined.items()):
        for stream, count in sorted(streams.items()):
            records.add_row(source, f"{stream} ({text['quarantined']})", str(count), "")
    out.print(records)
    exceptions = Table(text["rule"], text["type"], text["count"], title=text["exceptions"])
    order = {t.value: i for i, t in enumerate(DiscrepancyType)}
    for rule, counts in result.exceptions().items():
        for kind, count in sorted(counts.items(), key=lambda item: order.get(item[0], 99)):
            exceptions.add_row(rule, _label(catalogue, kind), str(count))
    out.print(exceptions)
    bridge = Table(text["rule"], text["explained"], text["amount"], title=text["bridge"])
    for run in result.rules:
        if isinstance(run, PlanRun):  # an audit plan compares nothing: no bridge
            continue
        statement = run.result.bridge
        lines = [
            (text["left"], statement.left_total),
            (text["right"], statement.right_total),
            (text["difference"], statement.difference),
            *((_label(catalogue, name), amount) for name, amount in sorted(statement.explained.items())),
            (text["unexplained"], statement.unexplained),
        ]
        for n, (name, amount) in enumerate(lines):
            bridge.add_row(
                run.rule.name if n == 0 else "", name, f"{amount:,.2f}", end_section=n == len(lines) - 1
            )
    out.print(bridge)
    out.print(f"[bold]{text['files']}[/bold]")
    for label, path in (
        ("config", result.config),
        ("database", result.database),
        ("truth", result.truth),
        *sorted(result.reports.items()),
    ):
        out.print(f"  {label:<9} {path}")
    config = result.config
    out.print(f"[bold]{text['next']}[/bold]")
    out.print(f"  ledgerbridge --config {config} exceptions list")
    out.print(f"  ledgerbridge --config {config} report mismatches --format table")
    out.print(f"  ledgerbridge --config {config} sync status")
    out.print(text["took"].format(seconds=result.seconds, requests=sum(result.requests.values())))
