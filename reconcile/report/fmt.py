"""Display formatting for reports: amounts at the currency's minor unit with separators, local dates.

People read amounts rounded half-even to the ISO 4217 minor unit (ADR 0021); what the rounding hides is
shown apart (`rounding_residue`, `format_exact`). Machines (CSV, JSON) get `plain_amount`: exact.
"""

from __future__ import annotations

import unicodedata
from datetime import date, datetime
from decimal import ROUND_HALF_EVEN, Decimal
from zoneinfo import ZoneInfo

from config.currencies import minor_unit


def currency_places(currency: str | None) -> int:
    """Decimal places of the currency's minor unit (ISO 4217): JPY 0, CNY 2, KWD 3; 2 when unknown."""
    return minor_unit(currency)


def to_minor_unit(value: Decimal, currency: str | None = None) -> Decimal:
    """The amount rounded half-even to the currency's minor unit, as people read it (ADR 0021)."""
    rounded = value.quantize(Decimal(1).scaleb(-currency_places(currency)), rounding=ROUND_HALF_EVEN)
    return rounded.copy_abs() if rounded.is_zero() else rounded  # -0.0001 shows 0.00, never -0.00


def rounding_residue(value: Decimal, currency: str | None = None) -> Decimal:
    """What rounding to the minor unit hides: `value - to_minor_unit(value)` (0 for most amounts)."""
    return value - to_minor_unit(value, currency)


def plain_amount(value: Decimal, currency: str | None = None) -> str:
    """An amount as exact plain decimal text (no separators), for machines (CSV, sort keys): at least
    the currency's places and every further significant place, never rounded (`0.0001` stays)."""
    places = currency_places(currency)
    exponent = value.normalize().as_tuple().exponent
    needed = -exponent if isinstance(exponent, int) and exponent < 0 else 0
    return f"{value:.{max(places, needed)}f}"


def format_amount(value: Decimal | None, currency: str | None = None) -> str:
    """An amount as a person reads it, rounded half-even to the currency's minor unit:
    `Decimal("-1234567.578"), "CNY"` -> `"CNY -1,234,567.58"`; None -> empty text. What the rounding
    hides (`rounding_residue`) is shown apart by the caller, in full with `format_exact`."""
    if value is None:
        return ""
    return _grouped(f"{to_minor_unit(value, currency):f}", currency)


def format_exact(value: Decimal | None, currency: str | None = None) -> str:
    """An amount with separators and every place it has (`CNY -0.0001`): a rounding residue, or a value
    kept as data (a finding's field)."""
    if value is None:
        return ""
    return _grouped(plain_amount(value, currency), currency)


def _grouped(text: str, currency: str | None) -> str:
    sign = "-" if text.startswith("-") else ""
    digits = text.lstrip("-")
    whole, _, fraction = digits.partition(".")
    grouped = f"{int(whole):,}"
    number = f"{sign}{grouped}.{fraction}" if fraction else f"{sign}{grouped}"
    return f"{currency} {number}" if currency else number


def format_date(value: date | None) -> str:
    """A date-only field (already in the company's calendar) as ISO text."""
    return "" if value is None else value.isoformat()


def local_datetime(value: datetime, zone: ZoneInfo) -> datetime:
    """An aware UTC instant as wall-clock time in the company zone (naive: spreadsheets have no zones)."""
    if value.tzinfo is None:
        raise ValueError("datetime must be timezone-aware")
    return value.astimezone(zone).replace(tzinfo=None)


def format_datetime(value: datetime | None, zone: ZoneInfo) -> str:
    """An aware instant shown in the company time zone, to the minute: `2026-10-05 16:00`."""
    return "" if value is None else local_datetime(value, zone).strftime("%Y-%m-%d %H:%M")


def display_width(text: str) -> int:
    """Columns a string takes in a terminal or a spreadsheet: CJK and full-width characters count two."""
    return sum(2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1 for ch in text)
