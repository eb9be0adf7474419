"""Reconciliation periods: `2026-10`, `2026-Q3`, `2026`, `all`, and the relative names a rule may use."""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from config.rules import PERIOD_HELP

_MONTH = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")
_QUARTER = re.compile(r"^(\d{4})-Q([1-4])$")
_YEAR = re.compile(r"^(\d{4})$")


class PeriodError(ValueError):
    """A period that cannot be read; the message says what is accepted."""


@dataclass(frozen=True)
class Period:
    """A closed range of issue dates (company time zone); `all` has no bounds."""

    name: str
    start: date | None = None
    end: date | None = None

    def contains(self, day: date | None) -> bool:
        if self.start is None or self.end is None:
            return True
        return day is not None and self.start <= day <= self.end

    @property
    def is_all(self) -> bool:
        return self.start is None


def parse_period(text: str, now: datetime, zone: ZoneInfo) -> Period:
    """Read a period; relative names (previous_month...) are resolved against `now` in `zone`."""
    value = text.strip()
    if value == "all":
        return Period("all")
    today = now.astimezone(zone).date()
    relative = _relative(value, today)
    if relative is not None:
        value = relative
    if match := _MONTH.match(value):
        year, month = _year(match[1], text), int(match[2])
        return Period(value, date(year, month, 1), _month_end(year, month))
    if match := _QUARTER.match(value):
        year, quarter = _year(match[1], text), int(match[2])
        first = 3 * quarter - 2
        return Period(value, date(year, first, 1), _month_end(year, first + 2))
    if match := _YEAR.match(value):
        year = _year(match[1], text)
        return Period(value, date(year, 1, 1), date(year, 12, 31))
    raise PeriodError(f"{text!r} is not {PERIOD_HELP}")


def _year(digits: str, text: str) -> int:
    year = int(digits)
    if year < 1:  # the calendar has no year 0 (`0000-01` crashed every command that took --period)
        raise PeriodError(f"{text!r}: the year must be 0001 to 9999")
    return year


def _relative(value: str, today: date) -> str | None:
    quarter = (today.month - 1) // 3 + 1
    previous_month = today.replace(day=1) - timedelta(days=1)
    previous_quarter = (today.year, quarter - 1) if quarter > 1 else (today.year - 1, 4)
    return {
        "current_month": f"{today.year}-{today.month:02d}",
        "previous_month": f"{previous_month.year}-{previous_month.month:02d}",
        "current_quarter": f"{today.year}-Q{quarter}",
        "previous_quarter": f"{previous_quarter[0]}-Q{previous_quarter[1]}",
        "current_year": f"{today.year}",
        "previous_year": f"{today.year - 1}",
    }.get(value)


def _month_end(year: int, month: int) -> date:
    """The last day of the month (December 9999 too: no day after it is computed)."""
    return date(year, month, calendar.monthrange(year, month)[1])
