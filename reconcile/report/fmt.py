"""Display formatting for reports: exact amounts with thousands separators and currency, local dates."""

from __future__ import annotations

import unicodedata
from datetime import date, datetime
from decimal import Decimal
from typing import Final
from zoneinfo import ZoneInfo

_ZERO_DECIMAL_CURRENCIES: Final = frozenset({"JPY", "KRW", "VND", "CLP", "ISK", "UGX", "XAF", "XOF"})


def currency_places(currency: str | None) -> int:
    """Decimal places an amount in this currency is shown with (2 unless the currency has no minor unit)."""
    return 0 if currency in _ZERO_DECIMAL_CURRENCIES else 2


def plain_amount(value: Decimal, currency: str | None = None) -> str:
    """An amount as plain decimal text (no separators): at least the currency's places, never rounded.

    A difference of 0.0001 must not display as 0.00, so extra significant places are kept.
    """
    places = currency_places(currency)
    exponent = value.normalize().as_tuple().exponent
    needed = -exponent if isinstance(exponent, int) and exponent < 0 else 0
    return f"{value:.{max(places, needed)}f}"


def format_amount(value: Decimal | None, currency: str | None = None) -> str:
    """`Decimal("-1234567.5"), "CNY"` -> `"CNY -1,234,567.50"`; None -> empty text."""
    if value is None:
        return ""
    text = plain_amount(value, currency)
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
