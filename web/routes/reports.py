"""The Reports pages (readers): order-to-cash and AR ageing as tables with server-drawn SVG bar charts,
the CLI's options as form inputs (the sources as selects: every problem with them said at once), and
downloads in every report format and both languages. The figures are the CLI's: the same source choice,
builders and writers (sync/ledger_report_job.py, reconcile/report/*); nothing here computes one."""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Annotated, Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import RedirectResponse, Response
from rich.console import Console

from config.settings import Settings
from reconcile.aging import BUCKETS
from reconcile.o2c import MEASURES, GroupBy
from reconcile.periods import PeriodError, parse_period
from reconcile.report.csvfile import CSV_ENCODING, render_csv
from reconcile.report.display import display_cell, row_currency
from reconcile.report.excel import render_xlsx
from reconcile.report.fmt import format_amount
from reconcile.report.htmlfile import render_html
from reconcile.report.i18n import LANGS, Catalogue, Lang
from reconcile.report.jsonfile import render_json
from reconcile.report.model import CellKind, Report, Row, Section
from reconcile.report.terminal import render_table
from store.db import Engine
from store.report_queries import SqlReportQueries
from sync.ledger_report_job import Sources, build_aging, build_o2c, choose_sources, source_names
from sync.report_job import FORMATS, Format, ReportError
from web.auth import Principal, require
from web.permissions import Permission
from web.rendering import render, request_lang
from web.state import web_state

router = APIRouter()

Reader = Annotated[Principal, Depends(require(Permission.LEDGER_READ))]
Names = Annotated[list[str] | None, Query()]

DETAIL_FORMATS: tuple[Format, ...] = ("html", "json")
"""As `report o2c|aging`: only these show each customer's folded spellings."""
MEDIA: dict[Format, tuple[str, str]] = {
    "table": ("text/plain; charset=utf-8", "txt"),
    "csv": ("text/csv; charset=utf-8", "csv"),
    "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "xlsx"),
    "html": ("text/html; charset=utf-8", "html"),
    "json": ("application/json", "json"),
}


@dataclass(frozen=True)
class _Choice:
    """The form: what `report o2c|aging` takes as options."""

    kind: str
    by: str
    period: str
    as_of: str
    orders_from: tuple[str, ...]
    invoices_from: tuple[str, ...]
    payments_from: tuple[str, ...]
    measure: str

    def query(self, **extra: str) -> list[tuple[str, str]]:
        pairs = [("by", self.by), ("as_of", self.as_of)]
        if self.kind == "o2c":
            pairs += [("period", self.period), ("measure", self.measure)]
            pairs += [("orders_from", s) for s in self.orders_from]
            pairs += [("payments_from", s) for s in self.payments_from]
        pairs += [("invoices_from", s) for s in self.invoices_from]
        return [(k, v) for k, v in pairs if v] + list(extra.items())


class _Refused(Exception):
    """The choice cannot make a report; the message says why (already in the reader's language)."""


# ----------------------------------------------------------------------------- routes


@router.get("/reports")
def reports_home(who: Reader) -> Response:
    return RedirectResponse("/reports/o2c", status_code=303)


@router.get("/reports/o2c")
def o2c_page(
    request: Request,
    who: Reader,
    *,
    by: str = "customer",
    period: str = "all",
    as_of: str = "",
    orders_from: Names = None,
    invoices_from: Names = None,
    payments_from: Names = None,
    measure: str = "outstanding",
) -> Response:
    choice = _Choice(
        "o2c",
        by if by in {g.value for g in GroupBy} else "customer",
        period.strip() or "all",
        as_of.strip(),
        source_names(orders_from or ()),
        source_names(invoices_from or ()),
        source_names(payments_from or ()),
        measure if measure in MEASURES else "outstanding",
    )
    return _page(request, choice)


@router.get("/reports/aging")
def aging_page(
    request: Request,
    who: Reader,
    *,
    by: str = "customer",
    as_of: str = "",
    invoices_from: Names = None,
) -> Response:
    choice = _Choice(
        "aging",
        by if by in {"customer", "salesperson"} else "customer",
        "",
        as_of.strip(),
        (),
        source_names(invoices_from or ()),
        (),
        "",
    )
    return _page(request, choice)


@router.get("/reports/{kind}/download")
def download(
    request: Request,
    who: Reader,
    kind: str,
    *,
    fmt: str = "csv",
    lang: str = "",
    by: str = "customer",
    period: str = "all",
    as_of: str = "",
    orders_from: Names = None,
    invoices_from: Names = None,
    payments_from: Names = None,
) -> Response:
    """The report as a file in `fmt` (table text, CSV, XLSX, HTML, JSON) and `lang` (zh, en)."""
    if kind not in {"o2c", "aging"} or fmt not in FORMATS:
        return render(request, "error.html", {"error": "web.error.not_found"}, status_code=404)
    chosen_fmt: Format = fmt  # checked against FORMATS above
    report_lang: Lang = lang if lang in LANGS else request_lang(request)
    choice = _Choice(
        kind,
        by,
        period.strip() or "all",
        as_of.strip(),
        source_names(orders_from or ()),
        source_names(invoices_from or ()),
        source_names(payments_from or ()),
        "",
    )
    try:
        report = _build(request, choice, report_lang, details=chosen_fmt in DETAIL_FORMATS)
    except _Refused as exc:
        return _page(request, choice, refused=str(exc))
    media, extension = MEDIA[chosen_fmt]
    return Response(
        render_report(report, chosen_fmt),
        media_type=media,
        headers={"Content-Disposition": f'attachment; filename="{kind}-{report_lang}.{extension}"'},
    )


# ----------------------------------------------------------------------------- building


def _build(request: Request, choice: _Choice, lang: Lang, *, details: bool) -> Report:
    """The report the CLI would make from the same options (ReportError and bad dates: _Refused)."""
    state = web_state(request)
    settings, engine, now = state.settings, state.engine, state.clock()
    catalogue = Catalogue(lang)
    as_of = _date(choice.as_of, catalogue, "web.reports.as_of")
    try:
        if choice.kind == "o2c":
            given = {
                "--orders-from": choice.orders_from,
                "--invoices-from": choice.invoices_from,
                "--payments-from": choice.payments_from,
            }
            chosen = choose_sources(engine, settings, given, catalogue)
            try:
                period = parse_period(choice.period, now, settings.zone)
            except PeriodError as exc:
                raise _Refused(
                    catalogue.text(
                        "web.reports.bad_input", field=catalogue.text("web.reports.period"), error=exc
                    )
                ) from exc
            return build_o2c(
                engine,
                settings,
                by=GroupBy(choice.by),
                period=period,
                sources=Sources(
                    orders=chosen["--orders-from"],
                    invoices=chosen["--invoices-from"],
                    payments=chosen["--payments-from"],
                ),
                lang=lang,
                now=now,
                as_of=as_of,
                details=details,
            )
        chosen = choose_sources(engine, settings, {"--invoices-from": choice.invoices_from}, catalogue)
        return build_aging(
            engine,
            settings,
            by=GroupBy(choice.by),
            invoices_from=chosen["--invoices-from"],
            lang=lang,
            now=now,
            as_of=as_of,
            details=details,
        )
    except ReportError as exc:
        raise _Refused(str(exc)) from exc


def _date(text: str, catalogue: Catalogue, label: str) -> date | None:
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        error = catalogue.text("web.reports.bad_date")
        raise _Refused(
            catalogue.text("web.reports.bad_input", field=catalogue.text(label), error=error)
        ) from exc


def render_report(report: Report, fmt: Format) -> bytes:
    """The report in `fmt` as the CLI writes it to a file (CSV with its BOM, XLSX binary)."""
    if fmt == "xlsx":
        binary = io.BytesIO()
        render_xlsx(report, binary)
        return binary.getvalue()
    text = io.StringIO()
    if fmt == "csv":
        render_csv(report, text)
        return text.getvalue().encode(CSV_ENCODING)
    if fmt == "html":
        render_html(report, text)
    elif fmt == "json":
        render_json(report, text)
    else:
        render_table(report, Console(file=text, width=200, color_system=None))
    return text.getvalue().encode("utf-8")


# ----------------------------------------------------------------------------- the page


def _page(request: Request, choice: _Choice, *, refused: str | None = None) -> Response:
    state = web_state(request)
    lang = request_lang(request)
    catalogue = Catalogue(lang)
    table: dict[str, Any] | None = None
    charts: list[dict[str, Any]] = []
    if refused is None:
        try:
            report = _build(request, choice, lang, details=False)
        except _Refused as exc:
            refused = str(exc)
        else:
            table, charts = _table_and_charts(report, choice, catalogue, ZoneInfo(state.settings.timezone))
    context = {
        "choice": choice,
        "refused": refused,
        "table": table,
        "charts": charts,
        "sources": _sources(state.engine, state.settings),
        "formats": FORMATS,
        "langs": LANGS,
        "measures": MEASURES,
        "group_bys": [g.value for g in GroupBy] if choice.kind == "o2c" else ["customer", "salesperson"],
        "download": lambda fmt, report_lang: _download_link(choice, fmt, report_lang),
    }
    return render(request, "reports.html", context, status_code=400 if refused else 200)


def _download_link(choice: _Choice, fmt: str, lang: str) -> str:
    return f"/reports/{choice.kind}/download?" + urlencode(choice.query(fmt=fmt, lang=lang))


def _sources(engine: Engine, settings: Settings) -> list[str]:
    """Every source a report may name: the configured connectors and every source the ledger holds."""
    holders = SqlReportQueries(engine).source_holders()
    return sorted({c.name for c in settings.connectors} | {s for found in holders.values() for s in found})


def _table_and_charts(
    report: Report, choice: _Choice, catalogue: Catalogue, zone: ZoneInfo
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The report's one section as display rows, and its charts: o2c — per currency, a bar per group
    for the chosen measure; ageing — per currency total, a bar per bucket."""
    (section,) = list(report.sections)
    rows: list[Row] = list(section.rows)
    shown = [
        {
            "total": row.total,
            "cells": [
                {
                    "text": display_cell(value, column, row_currency(section, row), catalogue, zone),
                    "num": column.kind in (CellKind.MONEY, CellKind.COUNT),
                }
                for value, column in zip(row.cells, section.columns, strict=True)
            ],
        }
        for row in rows
    ]
    table = {
        "title": section.title,
        "meta": [(catalogue.text(key), value) for key, value in report.meta],
        "headings": [
            {"text": catalogue.text(c.label_key), "num": c.kind in (CellKind.MONEY, CellKind.COUNT)}
            for c in section.columns
        ],
        "rows": shown,
    }
    if choice.kind == "o2c":
        charts = _o2c_charts(section, rows, choice, catalogue)
    else:
        charts = _aging_charts(section, rows, catalogue)
    return table, charts


def _o2c_charts(
    section: Section, rows: Sequence[Row], choice: _Choice, catalogue: Catalogue
) -> list[dict[str, Any]]:
    measure = section.column_index(choice.measure)
    if measure is None:
        return []
    per_currency: dict[str, list[tuple[str, Decimal]]] = {}
    for row in rows:
        if row.total:
            continue
        currency = row_currency(section, row) or ""
        value = row.cells[measure]
        per_currency.setdefault(currency, []).append(
            (str(row.cells[0]), value if isinstance(value, Decimal) else Decimal(0))
        )
    return [
        _chart(
            catalogue.text(
                "web.reports.chart.o2c",
                measure=catalogue.text(f"col.{choice.measure}"),
                by=catalogue.text(f"col.{choice.by}"),
                currency=currency,
            ),
            bars,
            currency,
            catalogue,
        )
        for currency, bars in per_currency.items()
    ]


def _aging_charts(section: Section, rows: Sequence[Row], catalogue: Catalogue) -> list[dict[str, Any]]:
    """One chart per currency total line (`Total`), a bar per bucket."""
    indexes = [section.column_index(bucket) for bucket in BUCKETS]
    total_label = catalogue.text("ui.total")
    charts = []
    for row in rows:
        if not row.total or row.cells[0] != total_label:
            continue
        currency = row_currency(section, row) or ""
        bars = []
        for bucket, index in zip(BUCKETS, indexes, strict=True):
            value = row.cells[index] if index is not None else None
            bars.append(
                (catalogue.text(f"col.{bucket}"), value if isinstance(value, Decimal) else Decimal(0))
            )
        charts.append(
            _chart(catalogue.text("web.reports.chart.aging", currency=currency), bars, currency, catalogue)
        )
    return charts


BAR_HEIGHT = 22
LABEL_WIDTH = 220
PLOT_WIDTH = 460
AMOUNT_WIDTH = 150


def _chart(
    title: str, bars: Sequence[tuple[str, Decimal]], currency: str, catalogue: Catalogue
) -> dict[str, Any]:
    """A horizontal bar chart's geometry (the template draws it as SVG): each bar's width in
    proportion to the largest magnitude; negative amounts drawn the same length, marked `negative`."""
    largest = max((abs(amount) for _, amount in bars), default=Decimal(0))
    drawn = []
    for index, (label, amount) in enumerate(bars):
        width = 0 if not largest else int(abs(amount) / largest * PLOT_WIDTH)
        text = format_amount(amount, currency or None)
        drawn.append(
            {
                "label": label,
                "amount": text,
                "title": catalogue.text("web.reports.chart.bar", label=label, amount=text),
                "y": index * BAR_HEIGHT,
                "width": max(width, 1 if amount else 0),
                "negative": amount < 0,
            }
        )
    return {
        "title": title,
        "bars": drawn,
        "height": max(1, len(bars)) * BAR_HEIGHT,
        "width": LABEL_WIDTH + PLOT_WIDTH + AMOUNT_WIDTH,
        "label_width": LABEL_WIDTH,
        "plot_width": PLOT_WIDTH,
        "bar_height": BAR_HEIGHT - 6,
    }
