"""Money is exact in the database: amounts round-trip and SQL sums them exactly, on SQLite and PostgreSQL."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, func, insert, select

from store.canonical import MONEY_LIMIT
from store.tables import documents

QUANTUM = Decimal("0.0001")
amounts = st.decimals(
    min_value=-MONEY_LIMIT + QUANTUM,
    max_value=MONEY_LIMIT - QUANTUM,
    places=4,
    allow_nan=False,
    allow_infinity=False,
)
NOW = datetime(2026, 11, 27, tzinfo=UTC)
EXAMPLES = settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


def _store(engine: Engine, values: list[Decimal]) -> str:
    source = f"money-{uuid.uuid4().hex[:8]}"
    rows = [
        {
            "source": source,
            "kind": "invoice",
            "external_id": str(i),
            "stream": "invoices",
            "total": value,
            "status": "open",
            "refs": "{}",
            "deleted": False,
            "revision": 1,
            "payload_hash": "0" * 64,
            "created_at": NOW,
            "updated_at": NOW,
        }
        for i, value in enumerate(values)
    ]
    with engine.begin() as conn:
        conn.execute(insert(documents), rows)
    return source


def _totals(engine: Engine, source: str) -> list[Decimal]:
    with engine.connect() as conn:
        query = select(documents.c.total).where(documents.c.source == source).order_by(documents.c.id)
        return list(conn.execute(query).scalars())


def _sql_sum(engine: Engine, source: str) -> Decimal:
    with engine.connect() as conn:
        total = conn.execute(select(func.sum(documents.c.total)).where(documents.c.source == source))
        return Decimal(total.scalar_one())


def test_large_and_binary_unfriendly_amounts_come_back_exactly(engine: Engine) -> None:
    values = [Decimal("98765432109.1234"), Decimal("0.1") + Decimal("0.2"), Decimal("-0.0001")]
    source = _store(engine, values)
    assert _totals(engine, source) == [Decimal("98765432109.1234"), Decimal("0.3"), Decimal("-0.0001")]
    assert str(_sql_sum(engine, source)) == "98765432109.4233"


def test_sum_in_sql_of_point_one_and_point_two_is_exactly_point_three(engine: Engine) -> None:
    source = _store(engine, [Decimal("0.1"), Decimal("0.2")])
    assert _sql_sum(engine, source) == Decimal("0.3")


def test_a_float_is_refused_on_the_way_to_the_database(engine: Engine) -> None:
    with pytest.raises(Exception, match="Money columns take Decimal, not float"):
        _store(engine, [0.1])  # type: ignore[list-item]


@EXAMPLES
@given(value=amounts)
def test_any_amount_round_trips_exactly(engine: Engine, value: Decimal) -> None:
    source = _store(engine, [value])
    [stored] = _totals(engine, source)
    assert stored == value
    assert stored.as_tuple().exponent == -4  # never a binary float on the way


@EXAMPLES
@given(values=st.lists(amounts, min_size=1, max_size=30))
def test_sql_sum_equals_the_exact_decimal_sum(engine: Engine, values: list[Decimal]) -> None:
    source = _store(engine, values)
    assert _sql_sum(engine, source) == sum(values, Decimal(0))
