"""Money and date formatting: thousands separators, currency, exactness, the company time zone."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from reconcile.report.fmt import display_width, format_amount, format_date, format_datetime, plain_amount


@pytest.mark.parametrize(
    ("amount", "currency", "shown"),
    [
        ("1234567.5", "CNY", "CNY 1,234,567.50"),
        ("-1234.5", "USD", "USD -1,234.50"),
        ("0", "CNY", "CNY 0.00"),
        ("999.999", "CNY", "CNY 999.999"),
        ("0.0001", "CNY", "CNY 0.0001"),
        ("1500000", "JPY", "JPY 1,500,000"),
        ("12.30", None, "12.30"),
    ],
)
def test_amounts_show_thousands_separators_the_currency_and_never_round(
    amount: str, currency: str | None, shown: str
) -> None:
    assert format_amount(Decimal(amount), currency) == shown


def test_a_missing_amount_shows_as_blank() -> None:
    assert format_amount(None, "CNY") == ""


def test_plain_amounts_read_back_to_the_same_decimal() -> None:
    for text in ("1234567.5", "-0.01", "0.0001", "1E+3"):
        assert Decimal(plain_amount(Decimal(text), "CNY")) == Decimal(text)
    assert plain_amount(Decimal("1E+3"), "CNY") == "1000.00"


def test_instants_show_in_the_company_time_zone() -> None:
    instant = datetime(2026, 10, 31, 17, 30, tzinfo=UTC)
    assert format_datetime(instant, ZoneInfo("Asia/Shanghai")) == "2026-11-01 01:30"
    assert format_datetime(instant, ZoneInfo("Europe/London")) == "2026-10-31 17:30"
    assert format_date(date(2026, 1, 5)) == "2026-01-05"


def test_chinese_characters_take_two_columns() -> None:
    assert display_width("金额") == 4
    assert display_width("INV-1") == 5
