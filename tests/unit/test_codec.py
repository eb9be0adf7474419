"""Row encoding for the bulk writer: exactly what the SQLAlchemy column types would store."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy.dialects import sqlite
from sqlalchemy.dialects.sqlite import DATE, DATETIME

from store.canonical import CanonicalDocument, DocumentKind, Line, to_minor_units
from store.codec import (
    DOCUMENT_COLUMNS,
    HEAD_COLUMNS,
    LINE_COLUMNS,
    RowEncoder,
    _scaled,
    document_row,
    page_record,
    tidy_amount,
)


@pytest.mark.parametrize(
    ("stored", "shown"),
    [
        ("1234.5000", "1234.50"),
        ("0.1234", "0.1234"),
        ("0.1000", "0.10"),
        ("-3.0000", "-3.00"),
        ("1E+3", "1000.00"),
    ],
)
def test_amounts_read_back_show_two_places_at_least_and_no_extra_zeros(stored: str, shown: str) -> None:
    tidy = tidy_amount(Decimal(stored))
    assert str(tidy) == shown
    assert tidy == Decimal(stored)


def test_sqlite_dates_and_times_are_written_as_sqlalchemy_writes_them() -> None:
    dialect = sqlite.dialect()
    moment = datetime(2026, 11, 27, 16, 5, 7, 42, tzinfo=timezone(timedelta(hours=8)))
    as_datetime = DATETIME().bind_processor(dialect)  # type: ignore[no-untyped-call]
    as_date = DATE().bind_processor(dialect)  # type: ignore[no-untyped-call]
    assert as_datetime is not None
    assert as_date is not None
    encode = RowEncoder(sqlite=True)
    assert encode.moment(moment) == as_datetime(moment.astimezone(UTC).replace(tzinfo=None))
    assert encode.moment(moment) == "2026-11-27 08:05:07.000042"
    assert encode.day(date(2026, 2, 3)) == as_date(date(2026, 2, 3))
    postgres = RowEncoder(sqlite=False)
    assert postgres.moment(moment) == datetime(2026, 11, 27, 8, 5, 7, 42)
    assert postgres.placeholder == "%s"


def test_a_document_row_holds_money_as_scaled_integers_and_rates_as_exact_text() -> None:
    document = CanonicalDocument(
        source="shop",
        kind=DocumentKind.INVOICE,
        external_id="1",
        total=Decimal("98765432109.1234"),
        exchange_rate=Decimal("7.123456789"),
        references={"sales_order": "SO-1"},
        lines=(Line(amount=Decimal("0.3"), quantity=Decimal("1.5")),),
    )
    encoded = RowEncoder(sqlite=True).encode(page_record(document, "h", b"{}"), "s")
    assert len(encoded.head) == len(HEAD_COLUMNS)
    row = dict(
        zip(
            DOCUMENT_COLUMNS,
            document_row(encoded.head, deleted=0, revision=3, payload_hash="h", run_id=9, now="t"),
            strict=True,
        )
    )
    assert row["total"] == 987654321091234
    assert row["exchange_rate"] == "7.123456789"
    assert row["refs"] == '{"sales_order": "SO-1"}'
    assert (row["kind"], row["status"], row["deleted"], row["revision"]) == ("invoice", "open", 0, 3)
    [line] = [dict(zip(LINE_COLUMNS, (5, 0, *values), strict=True)) for values in encoded.lines]
    assert (line["document_id"], line["amount"], line["quantity"]) == (5, 3000, "1.5")


def test_the_generated_insert_names_every_column_once() -> None:
    statement = RowEncoder(sqlite=True).insert("documents", DOCUMENT_COLUMNS)
    assert statement.count("?") == len(DOCUMENT_COLUMNS)
    assert "INSERT INTO documents (source, kind, external_id" in statement


@settings(max_examples=500)
@given(st.decimals(min_value=-(10**13) + 1, max_value=10**13 - 1, places=4, allow_nan=False))
def test_a_snapshot_amount_scales_exactly_as_the_canonical_conversion(amount: Decimal) -> None:
    """The write path reads amounts back from the snapshot's text (`str` of the Decimal) with a fast path
    for plain decimals; exponents and long zero tails take the Decimal path. Both must be exact."""
    for text in (str(amount), str(amount.normalize()), f"{amount}00"):
        assert _scaled(text) == to_minor_units(Decimal(text))


def test_a_snapshot_amount_with_five_places_is_refused() -> None:
    with pytest.raises(ValueError, match="more than 4 decimal places"):
        _scaled("1.23456")
