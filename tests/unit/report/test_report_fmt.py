"""Money and date formatting: separators, currency, the minor unit (exact for machines), the company time zone."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from reconcile.report.fmt import (
    currency_places,
    display_width,
    format_amount,
    format_date,
    format_datetime,
    format_exact,
    plain_amount,
    rounding_residue,
    to_minor_unit,
)


@pytest.mark.parametrize(
    ("amount", "currency", "shown"),
    [
        ("1234567.5", "CNY", "CNY 1,234,567.50"),
        ("-1234.5", "USD", "USD -1,234.50"),
        ("0", "CNY", "CNY 0.00"),
        ("8404028.578", "CNY", "CNY 8,404,028.58"),
        ("60426.6889", "CNY", "CNY 60,426.69"),
        ("-0.0001", "CNY", "CNY 0.00"),
        ("0.005", "CNY", "CNY 0.00"),
        ("0.015", "CNY", "CNY 0.02"),
        ("1500000.4", "JPY", "JPY 1,500,000"),
        ("2500.5", "KRW", "KRW 2,500"),
        ("1234.5678", "KWD", "KWD 1,234.568"),
        ("0.0005", "BHD", "BHD 0.000"),
        ("12.30", None, "12.30"),
    ],
)
def test_people_read_amounts_rounded_half_even_to_the_currencys_minor_unit(
    amount: str, currency: str | None, shown: str
) -> None:
    assert format_amount(Decimal(amount), currency) == shown


@pytest.mark.parametrize(
    ("amount", "currency", "residue", "exact"),
    [
        ("-0.0001", "CNY", "-0.0001", "CNY -0.0001"),
        ("8404028.578", "CNY", "-0.002", "CNY 8,404,028.578"),
        ("1234.50", "CNY", "0", "CNY 1,234.50"),
        ("1500000.4", "JPY", "0.4", "JPY 1,500,000.4"),
        ("1.2345", "OMR", "0.0005", "OMR 1.2345"),
    ],
)
def test_what_rounding_hides_is_the_residue_and_the_exact_text_shows_every_place(
    amount: str, currency: str, residue: str, exact: str
) -> None:
    value = Decimal(amount)
    assert rounding_residue(value, currency) == Decimal(residue)
    assert to_minor_unit(value, currency) + rounding_residue(value, currency) == value
    assert format_exact(value, currency) == exact


def test_minor_units_follow_iso_4217() -> None:
    assert [currency_places(code) for code in ("CNY", "USD", "JPY", "KRW", "BHD", "KWD", "JOD")] == [
        2, 2, 0, 0, 3, 3, 3
    ]  # fmt: skip
    assert [currency_places(code) for code in ("OMR", "TND", "IQD", "LYD", "CLF", None)] == [3, 3, 3, 3, 4, 2]


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
