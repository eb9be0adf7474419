"""The neutral report model every renderer reads: a report of titled sections of typed columns and rows.

Rows are consumed once, as they stream in: a renderer never needs the whole report in memory. The
few summary sections (bridge statements, counts) are small and materialized; the long sections
(exceptions, per-customer rows) are iterables the loader fills lazily.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum

from reconcile.report.i18n import Lang


class CellKind(StrEnum):
    """How a column's values are typed, formatted and stored in a spreadsheet."""

    TEXT = "text"
    CODE = "code"
    """Document numbers and ids: always text, leading zeros kept."""
    LABEL = "label"
    """A stable coded value (type, status) shown through the catalogue namespace of the column."""
    MONEY = "money"
    """A Decimal amount in the row's currency (the section's `currency_column`)."""
    COUNT = "count"
    DATE = "date"
    DATETIME = "datetime"
    """An aware UTC instant, shown in the company time zone."""


Cell = str | int | Decimal | date | datetime | None


@dataclass(frozen=True, slots=True)
class Column:
    """One column: `key` is its stable machine name (JSON field, label `col.<key>`)."""

    key: str
    kind: CellKind = CellKind.TEXT
    namespace: str | None = None
    """For LABEL columns: the catalogue namespace of the values (`type`, `status`, `kind`...)."""

    @property
    def label_key(self) -> str:
        return f"col.{self.key}"


@dataclass(frozen=True, slots=True)
class RevisionView:
    """One revision of a document, as the report shows it."""

    revision: int
    change: str
    """A ChangeKind value: created, updated, deleted, restored."""
    recorded_at: datetime | None
    changes: tuple[tuple[str, str, str], ...] = ()
    """(field, before, after) display text for each shown field that changed in this revision."""


@dataclass(frozen=True, slots=True)
class DocumentView:
    """One document of an exception, with its fields as display text and its revision history."""

    source: str
    kind: str
    external_id: str
    number: str | None
    fields: tuple[tuple[str, str], ...]
    """(field name, display value) in display order; field names are catalogue `field.*` keys."""
    history: tuple[RevisionView, ...] = ()

    @property
    def title(self) -> str:
        return self.number or self.external_id


@dataclass(frozen=True, slots=True)
class Detail:
    """What one exception shows beside its row: both sides side by side, the differing fields marked."""

    left: tuple[DocumentView, ...]
    right: tuple[DocumentView, ...]
    differing: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True)
class Row:
    """One row: cells in column order, and (exceptions only) the detail shown beside it."""

    cells: tuple[Cell, ...]
    detail: Detail | None = None
    total: bool = False
    """A total line: rendered bold and kept at the bottom when a table is sorted."""
    residue: bool = False
    """A rounding residue line (what the line above hides at the currency's minor unit): people see its
    amount with every place; machine formats (JSON) leave it out, their amounts being exact."""


@dataclass(frozen=True)
class Section:
    """A titled table. `rows` is read once; `count` (when known) drives progress and sizing."""

    key: str
    title: str
    """Display title, already translated."""
    columns: tuple[Column, ...]
    rows: Iterable[Row]
    count: int | None = None
    currency_column: str | None = "currency"

    def column_index(self, key: str) -> int | None:
        for index, column in enumerate(self.columns):
            if column.key == key:
                return index
        return None


@dataclass(frozen=True)
class Report:
    """A whole report: a title, facts about it, small summary sections, then the streamed sections."""

    kind: str
    """Stable name: `mismatches`, `o2c` or `aging`."""
    lang: Lang
    timezone: str
    generated_at: datetime
    meta: tuple[tuple[str, str], ...]
    """(catalogue key, display value) facts shown under the title: period, filters, as-of date."""
    summary: tuple[Section, ...]
    sections: Iterable[Section] = field(default=())
    bridges: tuple[BridgeChart, ...] = ()
    filter_types: tuple[str, ...] = ()
    """Discrepancy types offered in the HTML filter (those the report contains)."""
    filter_statuses: tuple[str, ...] = ()
    """Exception statuses offered in the HTML filter."""
    columns: tuple[Column, ...] = ()
    """The streamed sections' columns: a CSV of a report with no rows still gets its header."""


@dataclass(frozen=True, slots=True)
class BridgeChart:
    """The bridge statement of one rule as the HTML chart draws it (a small waterfall)."""

    rule: str
    currency: str | None
    left_total: Decimal
    right_total: Decimal
    steps: tuple[tuple[str, Decimal], ...]
    """(label, amount) in order: each explained type, then the unexplained remainder if any."""
