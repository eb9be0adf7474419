"""Report jobs: load from the store, stream into the pure report builders, write the chosen format.

Nothing here holds a whole report: documents and exceptions are read in batches and flow through the
renderers, which write as they go. Files are written beside their destination and renamed into
place, so finance never opens a half-written report (sync/outputs.py: and never over a file that is
not a previous report).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import IO, Any, Literal, TypeVar

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from config.rules import AnyRule, CollectionsRule, MatchRule, SettlementRule, SideSpec
from config.settings import Settings
from reconcile.periods import Period
from reconcile.report.csvfile import CSV_ENCODING, render_csv
from reconcile.report.excel import render_xlsx
from reconcile.report.htmlfile import render_html
from reconcile.report.i18n import Catalogue, Lang
from reconcile.report.jsonfile import render_json
from reconcile.report.mismatches import (
    AUDIT_KIND,
    AuditPointer,
    ExceptionItem,
    RuleSummary,
    mismatch_report,
    party_name,
)
from reconcile.report.model import Report
from reconcile.report.terminal import render_table
from reconcile.result import Bridge
from store.canonical import CanonicalDocument
from store.db import Engine
from store.discrepancies import DiscrepancyType, DocumentRef
from store.exception_counts import ExceptionScope, by_type
from store.reconcile_repository import StoredException
from store.report_queries import SqlReportQueries
from store.repository import Revision, SqlLedgerRepository
from sync.console import stdout_console
from sync.outputs import Destination, OutputKind, atomic_output, check_destination

Format = Literal["table", "csv", "xlsx", "html", "json"]
FORMATS: tuple[Format, ...] = ("table", "csv", "xlsx", "html", "json")
OUTPUT_KINDS: dict[Format, OutputKind] = {
    "table": "report-table",
    "csv": "report-csv",
    "xlsx": "report-xlsx",
    "html": "report-html",
    "json": "report-json",
}
T = TypeVar("T")
PROGRESS_THRESHOLD = 10_000
"""Reports with more rows than this show a progress bar when stderr is a terminal."""


class ReportError(Exception):
    """The report cannot be made as asked (e.g. an ambiguous source); the message says what to choose."""


# ---------------------------------------------------------------------------- mismatches


@dataclass(frozen=True)
class MismatchFilter:
    """What the mismatch report covers: rules, period (on the exceptions' earliest issue date), statuses."""

    rules: tuple[str, ...] = ()
    period: Period | None = None
    statuses: tuple[str, ...] = ()

    def store_scope(self) -> ExceptionScope:
        """The same filter as the store's exception queries take it."""
        period = self.period
        bounded = period is not None and period.start is not None and period.end is not None
        return ExceptionScope(
            rules=self.rules,
            statuses=self.statuses,
            start=period.start if bounded and period is not None else None,
            end=period.end if bounded and period is not None else None,
        )


def build_mismatches(
    engine: Engine,
    settings: Settings,
    *,
    scope: MismatchFilter,
    lang: Lang,
    now: datetime,
    details: bool = True,
    advance: Callable[[int], None] = lambda _n: None,
    queries: SqlReportQueries | None = None,
    ledger: SqlLedgerRepository | None = None,
) -> Report:
    """The mismatch report: each rule's latest bridge (of the period asked, if any), counts per type,
    then every exception, type by type, streamed in keyset pages; with `details`, both sides' current
    documents and their revision history. `queries` and `ledger`: the store's repositories it reads
    through (default: on `engine`)."""
    queries = queries or SqlReportQueries(engine)
    ledger = ledger or SqlLedgerRepository(engine)
    counts = queries.exception_counts(scope.store_scope())
    plans = audit_plan_names(queries, settings)
    configured = {rule.name for rule in settings.reconcile.rules} | plans
    names = list(scope.rules) or sorted(configured | set(counts))
    summaries = [
        RuleSummary(
            rule=name,
            period=_run_period(run, scope),
            bridge=None if run is None or kind == AUDIT_KIND else _bridge(run["bridge"]),
            counts=counts.get(name, {}),
            sides=_sides(settings, name),
            kind=kind,
        )
        for name in names
        for run in [queries.latest_run(name, None if scope.period is None else scope.period.name)]
        for kind in [AUDIT_KIND if name in plans else None if run is None else str(run["rule_kind"])]
    ]
    totals = by_type(counts)
    groups = (
        (name.value, counted(_exceptions_of(queries, scope, name.value), advance))
        for name in DiscrepancyType
        if totals.get(name.value)
    )

    def load(ref: DocumentRef) -> tuple[CanonicalDocument | None, Sequence[Revision]]:
        return ledger.get(ref.key), ledger.history(ref.key)

    def load_party(ref: DocumentRef) -> str | None:
        document = ledger.get(ref.key)
        return None if document is None else party_name(document)

    return mismatch_report(
        summaries,
        groups,
        lang=lang,
        timezone=settings.timezone,
        generated_at=now,
        filters=_filter_meta(scope, lang),
        load_document=load if details else None,
        load_party=load_party,
        audit_by_rule=audit_pointers(queries, settings, scope, plans, names),
    )


def audit_plan_names(queries: SqlReportQueries, settings: Settings) -> set[str]:
    """Audit plans: the configured ones (with the implicit `audit`) and any whose runs are stored."""
    return {plan.name for plan in settings.reconcile.plans()} | queries.rules_of_kind(AUDIT_KIND)


def audit_pointers(
    queries: SqlReportQueries,
    settings: Settings,
    scope: MismatchFilter,
    plans: set[str],
    names: Sequence[str],
) -> list[AuditPointer]:
    """The audit plans' findings in scope (period, statuses; whatever rules were asked for) counted per
    rule of the report whose sides read the audited document's source and kind, per plan and type."""
    reads: dict[tuple[str, str], list[str]] = {}
    for rule in settings.reconcile.rules:
        if rule.name not in names:
            continue
        for spec in _rule_sides(rule):
            rules = reads.setdefault((spec.source, spec.kind), [])
            if rule.name not in rules:
                rules.append(rule.name)
    if not reads or not plans:
        return []
    found: dict[tuple[str, str], dict[str, int]] = {}
    audits = replace(scope, rules=tuple(sorted(plans))).store_scope()
    for plan, kind, refs in queries.audited_documents(audits):
        for name in reads.get(refs, []):
            counts = found.setdefault((name, plan), {})
            counts[kind] = counts.get(kind, 0) + 1
    order = {name: index for index, name in enumerate(names)}
    return [
        AuditPointer(rule=rule, plan=plan, counts=counts)
        for (rule, plan), counts in sorted(found.items(), key=lambda item: (order[item[0][0]], item[0][1]))
    ]


def _rule_sides(rule: AnyRule) -> list[SideSpec]:
    if isinstance(rule, MatchRule | CollectionsRule):
        return [rule.left, rule.right]
    return [side for side in (rule.invoices, rule.payments, rule.credit_notes) if side is not None]


def _sides(settings: Settings, name: str) -> tuple[str | None, str | None]:
    """The sources a configured rule compares (a rule no longer configured has none)."""
    for rule in settings.reconcile.rules:
        if rule.name == name:
            if isinstance(rule, SettlementRule):
                return rule.invoices.source, rule.payments.source
            return rule.left.source, rule.right.source
    return None, None


def count_exceptions(engine: Engine, scope: MismatchFilter) -> dict[str, dict[str, int]]:
    """Exceptions in scope per rule and type: {rule: {type: count}}."""
    return SqlReportQueries(engine).exception_counts(scope.store_scope())


def _exceptions_of(queries: SqlReportQueries, scope: MismatchFilter, kind: str) -> Iterator[ExceptionItem]:
    """One type's exceptions in id order, a keyset page at a time (memory stays flat)."""
    for stored in queries.exceptions(replace(scope.store_scope(), types=(kind,))):
        yield _item(stored)


def _item(stored: StoredException) -> ExceptionItem:
    found = stored.discrepancy()
    return ExceptionItem(
        id=str(stored.id),
        status=stored.status.value,
        discrepancy=found,
        assignee=stored.assignee,
        first_seen_at=stored.first_seen_at,
        last_seen_at=stored.last_seen_at,
    )


def _run_period(run: Mapping[Any, Any] | None, scope: MismatchFilter) -> str:
    if run is not None:
        return str(run["period"])
    return scope.period.name if scope.period is not None else "all"


def _bridge(text: str) -> Bridge:
    data = json.loads(text)
    return Bridge(
        currency=data.get("currency"),
        left_total=Decimal(data["left_total"]),
        right_total=Decimal(data["right_total"]),
        explained={name: Decimal(amount) for name, amount in data.get("explained", {}).items()},
        unconverted=int(data.get("unconverted", 0)),
    )


def _filter_meta(scope: MismatchFilter, lang: Lang) -> tuple[tuple[str, str], ...]:
    catalogue = Catalogue(lang)
    every = catalogue.text("meta.all")
    period = scope.period.name if scope.period is not None else "all"
    return (
        ("meta.period", every if period == "all" else period),
        ("meta.rule", ", ".join(scope.rules) or every),
        ("meta.status", ", ".join(catalogue.value("status", s) for s in scope.statuses) or every),
    )


# ---------------------------------------------------------------------------- writing


def write_report(
    report: Report,
    fmt: Format,
    output: Path | None,
    *,
    console: Console | None = None,
    destination: Destination | None = None,
) -> None:
    """Render `report` in `fmt` to `output`, or to stdout when no path is given. A file is written
    atomically (0600), and only where `destination` allows (sync/outputs.py: never over the database,
    its key or the config; over another existing file only when it is a previous report in `fmt`, or
    forced); OutputRefused says why not."""
    if output is None:
        _to_stdout(report, fmt, console)
        return
    check_destination(output, OUTPUT_KINDS[fmt], destination or Destination())
    encoding = CSV_ENCODING if fmt == "csv" else "utf-8"
    with atomic_output(output, binary=fmt == "xlsx", encoding=encoding) as stream:
        _render(report, fmt, stream)


def _to_stdout(report: Report, fmt: Format, console: Console | None) -> None:
    if fmt == "table":
        render_table(report, console or stdout_console())
    elif fmt == "xlsx":
        if sys.stdout.isatty():
            raise ReportError("an Excel workbook is binary: give --output PATH (e.g. --output report.xlsx)")
        render_xlsx(report, sys.stdout.buffer)
        sys.stdout.buffer.flush()
    else:
        _render(report, fmt, sys.stdout)
        sys.stdout.flush()


def _render(report: Report, fmt: Format, stream: IO[str] | IO[bytes]) -> None:
    if fmt == "xlsx":
        render_xlsx(report, stream)  # type: ignore[arg-type]
    elif fmt == "csv":
        render_csv(report, stream)  # type: ignore[arg-type]
    elif fmt == "html":
        render_html(report, stream)  # type: ignore[arg-type]
    elif fmt == "json":
        render_json(report, stream)  # type: ignore[arg-type]
    else:
        render_table(report, Console(file=stream, width=200, color_system=None))  # type: ignore[arg-type]


# ---------------------------------------------------------------------------- progress


@contextmanager
def progress(
    total: int | None, *, label: str, enabled: bool, console: Console | None = None
) -> Iterator[Callable[[int], None]]:
    """A progress bar (on stderr unless `console` is given) for long reports: over PROGRESS_THRESHOLD
    rows and `enabled` (the caller checks stderr is a terminal); yields `advance(n)`, else a no-op."""
    if not enabled or total is None or total <= PROGRESS_THRESHOLD:
        yield lambda _n: None
        return
    bar = Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=console or Console(stderr=True),
        transient=True,
    )
    with bar:
        task = bar.add_task(label, total=total)
        yield lambda n: bar.advance(task, n)


def counted(items: Iterable[T], advance: Callable[[int], None], every: int = 500) -> Iterator[T]:
    """Pass items through, advancing the progress bar every `every` items."""
    pending = 0
    for item in items:
        yield item
        pending += 1
        if pending == every:
            advance(pending)
            pending = 0
    if pending:
        advance(pending)
