"""The order-to-cash and ageing summaries as reports (the neutral model every renderer reads)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from reconcile.aging import BUCKETS, UNKNOWN, AgingSummary
from reconcile.o2c import BANK_MEASURE, MEASURES, BaseTotal, O2CRow, O2CSummary
from reconcile.report.fmt import format_date, format_datetime
from reconcile.report.i18n import Catalogue, Lang
from reconcile.report.model import Cell, CellKind, Column, Report, Row, Section

VARIANTS_COLUMN = "variants"
"""Detail formats only: the customer spellings folded into a row (`; ` between them)."""


def o2c_report(
    summary: O2CSummary,
    *,
    lang: Lang,
    timezone: str,
    generated_at: datetime,
    period: str,
    sources: Sequence[str] = (),
    details: bool = False,
) -> Report:
    """One section: a row per group and currency, a total row per currency, then the grand total in
    the base currency. With `details` (JSON, HTML) and by customer, each row lists the spellings folded."""
    measures = (*MEASURES, BANK_MEASURE) if summary.banked else MEASURES

    def amounts(row: O2CRow) -> tuple[Decimal, ...]:
        banked = (row.collected_in_bank or Decimal(0),) if summary.banked else ()
        return (*row.measures, *banked)

    return _grouped_report(
        "o2c",
        tuple(Column(name, CellKind.MONEY) for name in measures),
        [_Line(row.group, row.currency, amounts(row), row.variants) for row in summary.rows],
        [(row.currency, amounts(row)) for row in summary.totals],
        _Facts(
            lang,
            timezone,
            generated_at,
            period,
            summary.by.value,
            summary.as_of,
            tuple(sources),
            summary.base,
            summary.unsettled,
            details and summary.by.value == "customer",
        ),
    )


def aging_report(
    summary: AgingSummary,
    *,
    lang: Lang,
    timezone: str,
    generated_at: datetime,
    sources: Sequence[str] = (),
    details: bool = False,
) -> Report:
    """One section: what is owed per group and currency in the five buckets, their total, and what is
    of unknown settlement; totals per currency, then the grand total in the base currency."""
    base = summary.base
    if base is not None:  # the converted buckets, their total, then settlement unknown (not in the total)
        buckets = base.amounts[: len(BUCKETS)]
        base = BaseTotal(
            base.currency, (*buckets, sum(buckets, Decimal(0)), base.amounts[-1]), base.unconverted
        )
    return _grouped_report(
        "aging",
        (
            *(Column(name, CellKind.MONEY) for name in BUCKETS),
            Column("total", CellKind.MONEY),
            Column(UNKNOWN, CellKind.MONEY),
        ),
        [
            _Line(row.group, row.currency, (*row.buckets, row.total, row.settlement_unknown), row.variants)
            for row in summary.rows
        ],
        [(row.currency, (*row.buckets, row.total, row.settlement_unknown)) for row in summary.totals],
        _Facts(
            lang,
            timezone,
            generated_at,
            None,
            summary.by.value,
            summary.as_of,
            tuple(sources),
            base,
            summary.unsettled,
            details and summary.by.value == "customer",
        ),
    )


@dataclass(frozen=True)
class _Line:
    group: str | None
    currency: str | None
    amounts: tuple[Decimal, ...]
    variants: tuple[str, ...]


@dataclass(frozen=True)
class _Facts:
    lang: Lang
    timezone: str
    generated_at: datetime
    period: str | None
    by: str
    as_of: date
    sources: tuple[str, ...]
    base: BaseTotal | None
    unsettled: int
    variants: bool


def _grouped_report(
    kind: str,
    measures: tuple[Column, ...],
    rows: Sequence[_Line],
    totals: Sequence[tuple[str | None, tuple[Decimal, ...]]],
    facts: _Facts,
) -> Report:
    """A report of one section: group, currency, the measures; the total lines per currency; the
    grand total in the base currency."""
    catalogue = Catalogue(facts.lang)
    extra: tuple[Cell, ...] = (None,) if facts.variants else ()

    def lines() -> Iterator[Row]:
        for line in rows:
            folded: tuple[Cell, ...] = ("; ".join(line.variants),) if facts.variants else ()
            yield Row((_group_text(line.group, catalogue), line.currency, *line.amounts, *folded))
        for currency, amounts in totals:
            yield Row((catalogue.text("ui.total"), currency, *amounts, *extra), total=True)
        if facts.base is not None:
            label = _base_label(facts.base, catalogue)
            yield Row((label, facts.base.currency, *facts.base.amounts, *extra), total=True)

    columns = (Column(facts.by), Column("currency", CellKind.CODE), *measures)
    if facts.variants:
        columns = (*columns, Column(VARIANTS_COLUMN))
    section = Section(
        key=kind,
        title=catalogue.text(f"section.{kind}"),
        columns=columns,
        rows=lines(),
        count=len(rows) + len(totals) + (facts.base is not None),
    )
    return Report(
        kind=kind,
        lang=facts.lang,
        timezone=facts.timezone,
        generated_at=facts.generated_at,
        meta=_meta(catalogue, facts),
        summary=(),
        sections=(section,),
        columns=columns,
    )


def _group_text(group: str | None, catalogue: Catalogue) -> str:
    return group if group is not None else catalogue.text("ui.none")


def _base_label(base: BaseTotal, catalogue: Catalogue) -> str:
    """ "Total in CNY (base currency)", saying how many documents it leaves out when some have no rate."""
    if not base.unconverted:
        return catalogue.text("o2c.base_total", currency=base.currency)
    return catalogue.text("o2c.base_total_partial", currency=base.currency, count=base.unconverted)


def _counted(catalogue: Catalogue, key: str, count: int) -> str:
    return catalogue.text(f"{key}.{'one' if count == 1 else 'many'}", count=count)


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
    if facts.base is not None:
        found.append(("o2c.meta.base_currency", facts.base.currency))
        if facts.base.unconverted:
            found.append(
                ("o2c.meta.unconverted", _counted(catalogue, "o2c.unconverted", facts.base.unconverted))
            )
    if facts.unsettled:
        found.append(
            ("o2c.meta.settlement_unknown", _counted(catalogue, "o2c.settlement_unknown", facts.unsettled))
        )
    return tuple(found)
