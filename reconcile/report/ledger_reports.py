"""The order-to-cash and ageing summaries as reports (the neutral model every renderer reads)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from reconcile.aging import BUCKETS, AgingSummary
from reconcile.o2c import MEASURES, O2CSummary
from reconcile.report.fmt import format_date, format_datetime
from reconcile.report.i18n import Catalogue, Lang
from reconcile.report.model import CellKind, Column, Report, Row, Section


def o2c_report(
    summary: O2CSummary,
    *,
    lang: Lang,
    timezone: str,
    generated_at: datetime,
    period: str,
    sources: Sequence[str] = (),
) -> Report:
    """One section: a row per group and currency, then a total row per currency."""
    return _grouped_report(
        "o2c",
        (*(Column(name, CellKind.MONEY) for name in MEASURES),),
        [(row.group, row.currency, row.measures) for row in summary.rows],
        [(row.currency, row.measures) for row in summary.totals],
        _Facts(lang, timezone, generated_at, period, summary.by.value, summary.as_of, tuple(sources)),
    )


def aging_report(
    summary: AgingSummary,
    *,
    lang: Lang,
    timezone: str,
    generated_at: datetime,
    sources: Sequence[str] = (),
) -> Report:
    """One section: open balances per group and currency in the five buckets, with totals."""
    return _grouped_report(
        "aging",
        (*(Column(name, CellKind.MONEY) for name in BUCKETS), Column("total", CellKind.MONEY)),
        [(row.group, row.currency, (*row.buckets, row.total)) for row in summary.rows],
        [(row.currency, (*row.buckets, row.total)) for row in summary.totals],
        _Facts(lang, timezone, generated_at, None, summary.by.value, summary.as_of, tuple(sources)),
    )


@dataclass(frozen=True)
class _Facts:
    lang: Lang
    timezone: str
    generated_at: datetime
    period: str | None
    by: str
    as_of: date
    sources: tuple[str, ...]


def _grouped_report(
    kind: str,
    measures: tuple[Column, ...],
    rows: Sequence[tuple[str | None, str | None, tuple[Decimal, ...]]],
    totals: Sequence[tuple[str | None, tuple[Decimal, ...]]],
    facts: _Facts,
) -> Report:
    """A report of one section: group, currency, the measures; then the total lines per currency."""
    catalogue = Catalogue(facts.lang)

    def lines() -> Iterator[Row]:
        for group, currency, amounts in rows:
            yield Row((_group_text(group, catalogue), currency, *amounts))
        for currency, amounts in totals:
            yield Row((catalogue.text("ui.total"), currency, *amounts), total=True)

    section = Section(
        key=kind,
        title=catalogue.text(f"section.{kind}"),
        columns=(Column(facts.by), Column("currency", CellKind.CODE), *measures),
        rows=lines(),
        count=len(rows) + len(totals),
    )
    return Report(
        kind=kind,
        lang=facts.lang,
        timezone=facts.timezone,
        generated_at=facts.generated_at,
        meta=_meta(catalogue, facts),
        summary=(),
        sections=(section,),
    )


def _group_text(group: str | None, catalogue: Catalogue) -> str:
    return group if group is not None else catalogue.text("ui.none")


def _meta(catalogue: Catalogue, facts: _Facts) -> tuple[tuple[str, str], ...]:
    found: list[tuple[str, str]] = [
        ("meta.generated_at", format_datetime(facts.generated_at, ZoneInfo(facts.timezone))),
        ("meta.timezone", facts.timezone),
    ]
    if facts.period is not None:
        found.append(("meta.period", catalogue.text("meta.all") if facts.period == "all" else facts.period))
    found.append(("meta.by", catalogue.text(f"by.{facts.by}")))
    found.append(("meta.as_of", format_date(facts.as_of)))
    if facts.sources:
        found.append(("meta.sources", ", ".join(facts.sources)))
    return tuple(found)
