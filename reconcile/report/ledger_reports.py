"""The order-to-cash and ageing summaries as reports (the neutral model every renderer reads)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from reconcile.aging import BUCKETS, AgingRow, AgingSummary
from reconcile.o2c import O2CRow, O2CSummary
from reconcile.report.fmt import format_date, format_datetime
from reconcile.report.i18n import Catalogue, Lang
from reconcile.report.model import Cell, CellKind, Column, Report, Row, Section

O2C_MEASURES = ("ordered", "invoiced", "credited", "collected", "outstanding", "overdue")


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
    catalogue = Catalogue(lang)
    columns = (
        Column(summary.by.value),
        Column("currency", CellKind.CODE),
        *(Column(name, CellKind.MONEY) for name in O2C_MEASURES),
    )

    def rows() -> Iterator[Row]:
        for row in summary.rows:
            yield Row(_o2c_cells(row, _group_text(row.group, catalogue)))
        for row in summary.totals:
            yield Row(_o2c_cells(row, catalogue.text("ui.total")), total=True)

    section = Section(
        key="o2c",
        title=catalogue.text("section.o2c"),
        columns=columns,
        rows=rows(),
        count=len(summary.rows) + len(summary.totals),
    )
    return Report(
        kind="o2c",
        lang=lang,
        timezone=timezone,
        generated_at=generated_at,
        meta=_meta(
            catalogue,
            timezone=timezone,
            generated_at=generated_at,
            period=period,
            by=summary.by.value,
            as_of=summary.as_of,
            sources=sources,
        ),
        summary=(),
        sections=(section,),
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
    catalogue = Catalogue(lang)
    columns = (
        Column(summary.by.value),
        Column("currency", CellKind.CODE),
        *(Column(name, CellKind.MONEY) for name in BUCKETS),
        Column("total", CellKind.MONEY),
    )

    def rows() -> Iterator[Row]:
        for row in summary.rows:
            yield Row(_aging_cells(row, _group_text(row.group, catalogue)))
        for row in summary.totals:
            yield Row(_aging_cells(row, catalogue.text("ui.total")), total=True)

    section = Section(
        key="aging",
        title=catalogue.text("section.aging"),
        columns=columns,
        rows=rows(),
        count=len(summary.rows) + len(summary.totals),
    )
    return Report(
        kind="aging",
        lang=lang,
        timezone=timezone,
        generated_at=generated_at,
        meta=_meta(
            catalogue,
            timezone=timezone,
            generated_at=generated_at,
            period=None,
            by=summary.by.value,
            as_of=summary.as_of,
            sources=sources,
        ),
        summary=(),
        sections=(section,),
    )


def _group_text(group: str | None, catalogue: Catalogue) -> str:
    return group if group is not None else catalogue.text("ui.none")


def _o2c_cells(row: O2CRow, group: str) -> tuple[Cell, ...]:
    measures: tuple[Decimal, ...] = (
        row.ordered,
        row.invoiced,
        row.credited,
        row.collected,
        row.outstanding,
        row.overdue,
    )
    return (group, row.currency, *measures)


def _aging_cells(row: AgingRow, group: str) -> tuple[Cell, ...]:
    return (group, row.currency, *row.buckets, row.total)


def _meta(
    catalogue: Catalogue,
    *,
    timezone: str,
    generated_at: datetime,
    period: str | None,
    by: str,
    as_of: date,
    sources: Sequence[str],
) -> tuple[tuple[str, str], ...]:
    facts: list[tuple[str, str]] = [
        ("meta.generated_at", format_datetime(generated_at, ZoneInfo(timezone))),
        ("meta.timezone", timezone),
    ]
    if period is not None:
        facts.append(("meta.period", catalogue.text("meta.all") if period == "all" else period))
    facts.append(("meta.by", catalogue.text(f"by.{by}")))
    facts.append(("meta.as_of", format_date(as_of)))
    if sources:
        facts.append(("meta.sources", ", ".join(sources)))
    return tuple(facts)
