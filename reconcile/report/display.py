"""Cells as text for people (terminal, HTML) and as plain values for machines (CSV, JSON)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from reconcile.report.fmt import (
    format_amount,
    format_date,
    format_datetime,
    format_exact,
    plain_amount,
    rounding_residue,
)
from reconcile.report.i18n import Catalogue
from reconcile.report.model import Cell, CellKind, Column, Row, Section


def row_currency(section: Section, row: Row) -> str | None:
    """The currency the row's money cells are in (the section's currency column), if any."""
    if section.currency_column is None:
        return None
    index = section.column_index(section.currency_column)
    if index is None:
        return None
    value = row.cells[index]
    return value if isinstance(value, str) and value else None


def display_cell(
    value: Cell,
    column: Column,
    currency: str | None,
    catalogue: Catalogue,
    zone: ZoneInfo,
    *,
    exact: bool = False,
) -> str:
    """A cell as a person reads it: amounts grouped with the currency at its minor unit (`exact`: every
    place, for a rounding residue line), labels translated, local times."""
    if value is None:
        return ""
    if column.kind is CellKind.MONEY and isinstance(value, Decimal):
        return format_exact(value, currency) if exact else format_amount(value, currency)
    if column.kind is CellKind.LABEL and column.namespace is not None and isinstance(value, str):
        return catalogue.value(column.namespace, value)
    if column.kind is CellKind.COUNT and isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, datetime):
        return format_datetime(value, zone)
    if isinstance(value, date):
        return format_date(value)
    return str(value)


def amount_text(value: Decimal | None, currency: str | None, catalogue: Catalogue) -> str:
    """An amount in a sentence or a detail field: at the minor unit, and what that hides said beside it
    (`CNY 100.00 (exact residue CNY -0.0001 from rounding)`); an amount wholly below the minor unit
    exactly (`CNY -0.0001 (less than the minor unit, shown exactly)`); None -> empty text."""
    if value is None:
        return ""
    text = format_amount(value, currency)
    residue = rounding_residue(value, currency)
    if not residue:
        return text
    if residue == value:  # all of it is below the minor unit: say it exactly rather than `0.00`
        return format_exact(value, currency) + catalogue.text("money.below_minor_unit")
    return text + catalogue.text("money.residue", residue=format_exact(residue, currency))


def plain_cell(
    value: Cell, column: Column, currency: str | None, catalogue: Catalogue, zone: ZoneInfo
) -> str:
    """A cell as a spreadsheet or script reads it back: exact amounts without separators, ISO dates."""
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return plain_amount(value, currency)
    if column.kind is CellKind.LABEL and column.namespace is not None and isinstance(value, str):
        return catalogue.value(column.namespace, value)
    if isinstance(value, datetime):
        return format_datetime(value, zone)
    if isinstance(value, date):
        return format_date(value)
    return str(value)


def headings(section: Section, catalogue: Catalogue) -> list[str]:
    return [catalogue.text(column.label_key) for column in section.columns]
