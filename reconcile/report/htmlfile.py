"""The HTML renderer: one self-contained file (inline style, script and SVG; no network), streamed."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import TextIO
from zoneinfo import ZoneInfo

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from markupsafe import Markup, escape

from reconcile.report.display import display_cell, headings, row_currency
from reconcile.report.fmt import format_amount, format_datetime, plain_amount
from reconcile.report.i18n import Catalogue
from reconcile.report.model import BridgeChart, CellKind, Detail, DocumentView, Report, Row, Section

_CSS = {
    CellKind.MONEY: "num",
    CellKind.COUNT: "num",
    CellKind.CODE: "code",
    CellKind.DATE: "nowrap",
    CellKind.DATETIME: "nowrap",
    CellKind.LABEL: "nowrap",
}


def render_html(report: Report, stream: TextIO) -> None:
    """Write the report as one HTML document, chunk by chunk as the rows arrive."""
    catalogue = Catalogue(report.lang)
    zone = ZoneInfo(report.timezone)
    environment = Environment(
        loader=PackageLoader("reconcile.report", "templates"),
        autoescape=select_autoescape(default=True, default_for_string=True),
        undefined=StrictUndefined,
        trim_blocks=False,
    )
    template = environment.get_template("report.html.j2")
    summary = [_section(section, catalogue, zone) for section in report.summary]
    context = {
        "html_lang": "zh-CN" if report.lang == "zh" else "en",
        "title": catalogue.text(f"report.{report.kind}"),
        "meta": [(catalogue.text(key), value) for key, value in report.meta],
        "bridges": [_chart(chart, catalogue) for chart in report.bridges],
        "summary": summary,
        "has_sections": True,
        "sections": (_section(section, catalogue, zone) for section in report.sections),
        "type_options": [(name, catalogue.value("type", name)) for name in report.filter_types],
        "status_options": [(name, catalogue.value("status", name)) for name in report.filter_statuses],
        "ui": _UiLabels(catalogue),
    }
    for chunk in template.generate(**context):
        stream.write(chunk)


class _UiLabels:
    """`ui.name` in the template -> the catalogue's `ui.name` label (an unknown one is an error)."""

    def __init__(self, catalogue: Catalogue) -> None:
        self._catalogue = catalogue

    def __getattr__(self, name: str) -> str:
        return self._catalogue.text(f"ui.{name}")


# ---------------------------------------------------------------------------- rows


@dataclass(frozen=True, slots=True)
class _Cell:
    text: str
    sort: str
    css: str


@dataclass(frozen=True, slots=True)
class _Side:
    heading: str
    fields: list[tuple[str, str, bool]]
    history: list[_Entry]


@dataclass(frozen=True, slots=True)
class _Entry:
    heading: str
    changes: list[str]


@dataclass(frozen=True, slots=True)
class _DetailView:
    sides: list[_Side]


@dataclass(frozen=True, slots=True)
class _RowView:
    cells: list[_Cell]
    type: str
    status: str
    total: bool
    detail: _DetailView | None


@dataclass(frozen=True, slots=True)
class _SectionView:
    key: str
    title: str
    headings: list[str]
    width: int
    rows: Iterable[_RowView]


def _section(section: Section, catalogue: Catalogue, zone: ZoneInfo) -> _SectionView:
    return _SectionView(
        key=section.key,
        title=section.title,
        headings=headings(section, catalogue),
        width=len(section.columns),
        rows=(_row(section, row, catalogue, zone) for row in section.rows),
    )


def _row(section: Section, row: Row, catalogue: Catalogue, zone: ZoneInfo) -> _RowView:
    currency = row_currency(section, row)
    cells = []
    coded: dict[str, str] = {}
    for value, column in zip(row.cells, section.columns, strict=True):
        css = _CSS.get(column.kind, "") + (" col-explanation" if column.key == "explanation" else "")
        if isinstance(value, Decimal) and value < 0:
            css += " neg"
        if column.kind is CellKind.LABEL and isinstance(value, str):
            coded[column.key] = value
        text = display_cell(value, column, currency, catalogue, zone, exact=row.residue)
        cells.append(_Cell(text=text, sort=_sort_key(value, text, currency), css=css.strip()))
    detail = None if row.detail is None else _detail(row.detail, catalogue, zone)
    return _RowView(
        cells=cells,
        type=coded.get("type", ""),
        status=coded.get("status", ""),
        total=row.total,
        detail=detail,
    )


def _sort_key(value: object, text: str, currency: str | None) -> str:
    if isinstance(value, Decimal):
        return plain_amount(value, currency)
    if isinstance(value, bool):
        return text
    if isinstance(value, int):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    return text


def _detail(detail: Detail, catalogue: Catalogue, zone: ZoneInfo) -> _DetailView:
    sides = [_side(view, catalogue.text("ui.left"), detail, catalogue, zone) for view in detail.left]
    sides += [_side(view, catalogue.text("ui.right"), detail, catalogue, zone) for view in detail.right]
    return _DetailView(sides=sides)


def _side(view: DocumentView, which: str, detail: Detail, catalogue: Catalogue, zone: ZoneInfo) -> _Side:
    kind = catalogue.value("kind", view.kind) if catalogue.has(f"kind.{view.kind}") else view.kind
    heading = f"{which} · {view.source} · {kind} {view.title}"
    fields = [
        (catalogue.text(f"field.{name}"), value, name in detail.differing) for name, value in view.fields
    ]
    history = [
        _Entry(
            heading=" · ".join(
                part
                for part in (
                    catalogue.text("ui.revision", number=entry.revision),
                    catalogue.value("change", entry.change),
                    format_datetime(entry.recorded_at, zone),
                )
                if part
            ),
            changes=[
                f"{catalogue.text(f'field.{name}')}: {before} → {after}"
                for name, before, after in entry.changes
            ],
        )
        for entry in view.history
    ]
    return _Side(heading=heading, fields=fields, history=history)


# ---------------------------------------------------------------------------- bridge chart

_CHART_WIDTH, _LABEL_WIDTH, _AMOUNT_WIDTH, _BAR_HEIGHT, _GAP = 560, 170, 130, 18, 8


@dataclass(frozen=True, slots=True)
class _ChartView:
    caption: str
    svg: Markup


def _chart(chart: BridgeChart, catalogue: Catalogue) -> _ChartView:
    """A horizontal waterfall of the difference (left - right): each explained line adds its amount,
    the last bar is the whole difference. The totals themselves are in the caption: beside them the
    explained amounts would be too thin to see."""
    bars: list[tuple[str, Decimal, Decimal, bool]] = []
    running = Decimal(0)
    for label, amount in chart.steps:
        bars.append((label, running, running + amount, False))
        running += amount
    difference = chart.left_total - chart.right_total
    bars.append((catalogue.text("bridge.difference"), Decimal(0), difference, True))
    low = min(Decimal(0), *(min(a, b) for _, a, b, _ in bars))
    high = max(Decimal(0), *(max(a, b) for _, a, b, _ in bars))
    span = (high - low) or Decimal(1)
    plot = Decimal(_CHART_WIDTH - _LABEL_WIDTH - _AMOUNT_WIDTH - 10)

    def x(value: Decimal) -> int:
        return _LABEL_WIDTH + int(((value - low) / span * plot).to_integral_value())

    height = len(bars) * (_BAR_HEIGHT + _GAP) + _GAP
    parts = [
        f'<svg role="img" width="{_CHART_WIDTH}" height="{height}" viewBox="0 0 {_CHART_WIDTH} {height}">',
        f"<title>{escape(catalogue.text('section.bridge'))} {escape(chart.rule)}</title>",
        f'<line x1="{x(Decimal(0))}" y1="0" x2="{x(Decimal(0))}" y2="{height}" stroke="#9aa5b1"/>',
    ]
    for index, (label, start, end, is_total) in enumerate(bars):
        top = _GAP + index * (_BAR_HEIGHT + _GAP)
        left, right = sorted((x(start), x(end)))
        colour = "#4a78b5" if is_total else ("#c0504d" if end < start else "#6aa84f")
        shown = escape(format_amount(end - start, chart.currency))
        parts.append(
            f'<text x="4" y="{top + 13}">{escape(label)}</text>'
            f'<rect x="{left}" y="{top}" width="{max(right - left, 1)}" height="{_BAR_HEIGHT}" '
            f'fill="{colour}"><title>{shown}</title></rect>'
            f'<text x="{_CHART_WIDTH - 4}" y="{top + 13}" text-anchor="end">{shown}</text>'
        )
    parts.append("</svg>")
    left_text = format_amount(chart.left_total, chart.currency)
    right_text = format_amount(chart.right_total, chart.currency)
    difference_text = format_amount(difference, chart.currency)
    caption = (
        f"{chart.rule} — {catalogue.text('bridge.left_total')} {left_text}"
        f" − {catalogue.text('bridge.right_total')} {right_text} = {difference_text}"
    )
    return _ChartView(caption=caption, svg=Markup("".join(parts)))  # noqa: S704 - every text part is escaped
