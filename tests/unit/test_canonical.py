"""The canonical vocabulary refuses what would not be exact: floats, sub-cent fractions, overflow, NaN."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from pydantic import ValidationError

from store.canonical import CanonicalDocument, DocumentKind, from_minor_units, payload_hash, to_minor_units


def _invoice(**fields: object) -> CanonicalDocument:
    return CanonicalDocument(source="books", kind=DocumentKind.INVOICE, external_id="1", **fields)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "amount", ["0.0001", "-0.0001", "9999999999999.9999", "98765432109.1234", "1.000000", "1E+3"]
)
def test_amounts_within_four_places_and_ten_to_the_thirteen_are_kept_exactly(amount: str) -> None:
    document = _invoice(total=Decimal(amount))
    assert document.total == Decimal(amount)
    assert from_minor_units(to_minor_units(Decimal(amount))) == Decimal(amount)


@pytest.mark.parametrize(
    ("amount", "why"),
    [
        ("1.23456", "no more than 4 decimal places"),
        ("10000000000000", "no more than 13 digits before the decimal point"),
        ("NaN", "finite number"),
        ("-Infinity", "finite number"),
    ],
)
def test_an_amount_that_cannot_be_stored_exactly_is_refused(amount: str, why: str) -> None:
    with pytest.raises(ValidationError, match=why):
        _invoice(total=Decimal(amount))
    with pytest.raises(ValueError, match=r"decimal places|out of range|finite"):
        to_minor_units(Decimal(amount))


def test_a_float_amount_is_refused_even_when_it_looks_round() -> None:
    with pytest.raises(ValidationError, match="Decimal"):
        _invoice(total=100.0)


@pytest.mark.parametrize("rate", ["0", "-1.5", "NaN"])
def test_an_exchange_rate_must_be_positive_and_finite(rate: str) -> None:
    with pytest.raises(ValidationError):
        _invoice(exchange_rate=Decimal(rate))
    assert _invoice(exchange_rate=Decimal("7.123456789")).exchange_rate == Decimal("7.123456789")


def test_modification_times_must_be_utc_and_aware() -> None:
    assert _invoice(source_modified_at=datetime(2026, 1, 1, tzinfo=UTC)).source_modified_at is not None
    with pytest.raises(ValidationError, match="in UTC"):
        _invoice(source_modified_at=datetime(2026, 1, 1, tzinfo=timezone(timedelta(hours=8))))
    with pytest.raises(ValidationError, match="timezone-aware"):
        _invoice(source_modified_at=datetime(2026, 1, 1))


def test_currencies_are_iso_codes() -> None:
    assert _invoice(currency="CNY").currency == "CNY"
    for bad in ("cny", "RMB1", "人民币"):
        with pytest.raises(ValidationError, match="ISO 4217"):
            _invoice(currency=bad)


def test_the_payload_hash_ignores_key_order_but_not_a_trailing_zero() -> None:
    assert payload_hash({"a": Decimal("1.5"), "b": 2}) == payload_hash({"b": 2, "a": Decimal("1.5")})
    assert payload_hash({"a": Decimal("1.5")}) != payload_hash({"a": Decimal("1.50")})
