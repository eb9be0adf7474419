"""Order-to-cash and ageing jobs: which sources to read each kind from, then the summaries.

Each option (`--orders-from`, `--invoices-from`, `--payments-from`) names one or more sources; a kind
nobody named is read from the only source that holds it. Every problem with the choice is said at
once (ReportError, exit 2). Invoices that keep no settlement of their own (Fxiaoke invoice
applications) are settled from their own source's orders and collections before the summary streams
(reconcile/order_settlement.py, ADR 0022).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime

from config.rules import MatchRule, Tolerance
from config.settings import Settings
from reconcile.aging import aging_summary
from reconcile.findings import Tolerances
from reconcile.o2c import GroupBy, o2c_summary
from reconcile.order_settlement import NO_SETTLEMENTS, Settlements, settle_by_orders
from reconcile.periods import Period
from reconcile.report.i18n import Catalogue, Lang
from reconcile.report.ledger_reports import aging_report, o2c_report
from reconcile.report.model import Report
from store.canonical import CanonicalDocument, DocumentKind
from store.db import Engine
from store.ledger_rows import LedgerRow
from store.reconcile_repository import DocumentSet, SqlReconcileRepository
from store.report_queries import SqlReportQueries
from store.repository import SqlLedgerRepository
from sync.collections_job import banked_payments
from sync.report_job import ReportError

OPTIONS: Mapping[str, DocumentKind] = {
    "--orders-from": DocumentKind.SALES_ORDER,
    "--invoices-from": DocumentKind.INVOICE,
    "--payments-from": DocumentKind.PAYMENT,
}
"""Each source option and the kind it chooses the sources of (credit notes follow the invoices)."""


@dataclass(frozen=True)
class Sources:
    """The sources each kind is read from (empty: that kind is in no source)."""

    orders: tuple[str, ...] = ()
    invoices: tuple[str, ...] = ()
    payments: tuple[str, ...] = ()

    def named(self) -> list[str]:
        return list(dict.fromkeys((*self.orders, *self.invoices, *self.payments)))


def source_names(values: Iterable[str]) -> tuple[str, ...]:
    """Repeated and comma-separated option values -> the sources, each once, in the order given."""
    return tuple(dict.fromkeys(name.strip() for value in values for name in value.split(",") if name.strip()))


def choose_sources(
    engine: Engine, settings: Settings, given: Mapping[str, Sequence[str]], catalogue: Catalogue
) -> dict[str, tuple[str, ...]]:
    """The sources of each option in `given` (option -> names, possibly none). A name no connector
    and no ledger source has, a kind held by several sources that nobody chose between, and two
    sources a match rule reconciles against each other (the same sales, counted twice) are all
    reported together in one ReportError."""
    holders = SqlReportQueries(engine).source_holders()
    known = sorted({c.name for c in settings.connectors} | {s for found in holders.values() for s in found})
    problems: list[str] = []
    chosen: dict[str, tuple[str, ...]] = {}
    for option, names in given.items():
        kind = OPTIONS[option]
        kind_text = catalogue.text(f"o2c.kind.{kind.value}")
        held = holders.get(kind.value, [])
        if not names:
            if len(held) > 1:
                problems.append(
                    catalogue.text(
                        "o2c.error.choose",
                        option=option,
                        kind=kind_text,
                        sources=", ".join(held),
                        first=held[0],
                    )
                )
            chosen[option] = tuple(held[:1]) if len(held) == 1 else ()
            continue
        for name in names:
            if name not in known:
                shown = ", ".join(known) or catalogue.text("o2c.error.none_configured")
                problems.append(
                    catalogue.text("o2c.error.unknown_source", option=option, source=name, known=shown)
                )
        rule = _mirroring_rule(settings, kind, names)
        if rule is not None:
            problems.append(
                catalogue.text(
                    "o2c.error.mirrored", option=option, sources=",".join(names), rule=rule, kind=kind_text
                )
            )
        chosen[option] = tuple(names)
    if problems:
        raise ReportError(f"{catalogue.text('o2c.error.prefix')}: " + "; ".join(problems))
    return chosen


def _mirroring_rule(settings: Settings, kind: DocumentKind, names: Sequence[str]) -> str | None:
    """A match rule comparing documents of `kind` between two of `names`: those sources keep the same
    sales, so adding them would count each twice. Different kinds or unrelated sources add up."""
    wanted = {kind.value}
    if kind is DocumentKind.INVOICE:
        wanted.add(DocumentKind.CREDIT_NOTE.value)
    for rule in settings.reconcile.rules:
        if not isinstance(rule, MatchRule) or rule.left.kind not in wanted or rule.right.kind not in wanted:
            continue
        if rule.left.source != rule.right.source and {rule.left.source, rule.right.source} <= set(names):
            return rule.name
    return None


# ---------------------------------------------------------------------------- the reports


def build_o2c(
    engine: Engine,
    settings: Settings,
    *,
    by: GroupBy,
    period: Period,
    sources: Sources,
    lang: Lang,
    now: datetime,
    as_of: date | None = None,
    details: bool = False,
) -> Report:
    """Order-to-cash from the ledger: orders, then invoices and credit notes, then payments (payments
    follow their invoices' and orders' salesperson, so those come first)."""
    repository = SqlLedgerRepository(engine)
    today = as_of or now.astimezone(settings.zone).date()
    stream = _chain(
        _stream(repository, sources.orders, [DocumentKind.SALES_ORDER]),
        _stream(repository, sources.invoices, [DocumentKind.INVOICE, DocumentKind.CREDIT_NOTE]),
        _stream(repository, sources.payments, [DocumentKind.PAYMENT]),
    )
    summary = o2c_summary(
        stream,
        by=by,
        as_of=today,
        start=period.start,
        end=period.end,
        settlements=order_settlements(engine, sources.invoices),
        base_currency=settings.base_currency,
        banked=banked_payments(engine, settings, sources.payments, today),
    )
    return o2c_report(
        summary,
        lang=lang,
        timezone=settings.timezone,
        generated_at=now,
        period=period.name,
        sources=sources.named(),
        details=details,
    )


def build_aging(
    engine: Engine,
    settings: Settings,
    *,
    by: GroupBy,
    invoices_from: Sequence[str],
    lang: Lang,
    now: datetime,
    as_of: date | None = None,
    details: bool = False,
) -> Report:
    """AR ageing of the invoices of the sources of record, on `as_of` (default: today, company time)."""
    repository = SqlLedgerRepository(engine)
    today = as_of or now.astimezone(settings.zone).date()
    summary = aging_summary(
        _stream(repository, invoices_from, [DocumentKind.INVOICE]),
        as_of=today,
        by=by,
        settlements=order_settlements(engine, invoices_from),
        base_currency=settings.base_currency,
    )
    return aging_report(
        summary,
        lang=lang,
        timezone=settings.timezone,
        generated_at=now,
        sources=list(invoices_from),
        details=details,
    )


def order_settlements(engine: Engine, invoice_sources: Sequence[str]) -> Settlements:
    """Settle the invoices of unknown status of these sources from each source's own orders and
    collections (only sources that have such invoices are read)."""
    repository = SqlReconcileRepository(engine)
    queries = SqlReportQueries(engine)
    orders: list[LedgerRow] = []
    invoices: list[LedgerRow] = []
    payments: list[LedgerRow] = []
    unknown_allocations: set[str] = set()
    for source in invoice_sources:
        if not queries.has_unknown_invoices(source):
            continue
        orders += repository.load_rows(DocumentSet(source, DocumentKind.SALES_ORDER.value, {}))
        invoices += repository.load_rows(DocumentSet(source, DocumentKind.INVOICE.value, {}))
        payments += repository.load_rows(
            DocumentSet(source, DocumentKind.PAYMENT.value, {}, with_allocations=True)
        )
        if repository.allocations_unknown(source):
            unknown_allocations.add(source)
    if not invoices:
        return NO_SETTLEMENTS
    return settle_by_orders(
        orders,
        invoices,
        payments,
        tolerances=Tolerances.of(Tolerance()),
        allocations_unknown=unknown_allocations,
    )


def _stream(
    repository: SqlLedgerRepository, sources: Sequence[str], kinds: Sequence[DocumentKind]
) -> Iterator[CanonicalDocument]:
    for source in sources:
        for kind in kinds:
            yield from repository.iter_documents(source=source, kind=kind, include_deleted=False)


def _chain(*streams: Iterable[CanonicalDocument]) -> Iterator[CanonicalDocument]:
    for stream in streams:
        yield from stream
