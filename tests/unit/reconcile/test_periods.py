"""Periods on the issue date, in the company time zone."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from reconcile.periods import PeriodError, parse_period

SHANGHAI = ZoneInfo("Asia/Shanghai")
# 2026-10-31 18:30 UTC is already November 1st in Shanghai.
NOW = datetime(2026, 10, 31, 18, 30, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "start", "end"),
    [
        ("2026-10", date(2026, 10, 1), date(2026, 10, 31)),
        ("2026-02", date(2026, 2, 1), date(2026, 2, 28)),
        ("2026-Q3", date(2026, 7, 1), date(2026, 9, 30)),
        ("2026", date(2026, 1, 1), date(2026, 12, 31)),
        ("current_month", date(2026, 11, 1), date(2026, 11, 30)),
        ("previous_month", date(2026, 10, 1), date(2026, 10, 31)),
        ("previous_quarter", date(2026, 7, 1), date(2026, 9, 30)),
    ],
)
def test_periods_cover_whole_months_quarters_and_years_in_the_company_zone(
    text: str, start: date, end: date
) -> None:
    period = parse_period(text, NOW, SHANGHAI)
    assert (period.start, period.end) == (start, end)
    assert period.contains(start)
    assert period.contains(end)
    assert not period.contains(None)


def test_all_contains_every_document_even_undated_ones() -> None:
    period = parse_period("all", NOW, SHANGHAI)
    assert period.is_all
    assert period.contains(None)


@pytest.mark.parametrize("text", ["2026-13", "Q3", "last week", "2026-q3"])
def test_an_unknown_period_says_what_is_accepted(text: str) -> None:
    with pytest.raises(PeriodError, match="2026-Q3"):
        parse_period(text, NOW, SHANGHAI)
