"""Shared SQL building blocks: the one MetaData every table module uses, and exact column types."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import BigInteger, DateTime, Dialect, MetaData, String
from sqlalchemy.types import TypeDecorator

from store.canonical import from_minor_units, to_minor_units

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

TRIGGER_ON_POSTGRESQL = {"postgresql": "statement triggers"}
"""The `info` of a foreign key that PostgreSQL enforces with statement-level triggers instead of a
constraint (migration 0016, ADR 0037): the database has no such constraint there, by design."""


def compared_on(dialect: str) -> Callable[[Any, str | None, str, bool, Any], bool]:
    """Alembic's include_object for comparing the tables with a `dialect` database: everything, except on
    PostgreSQL the foreign keys its triggers enforce (tests/store/test_migrations.py checks the triggers)."""

    def include(obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any) -> bool:
        if dialect != "postgresql" or type_ != "foreign_key_constraint" or reflected:
            return True
        return bool(obj.info != TRIGGER_ON_POSTGRESQL)

    return include


class Money(TypeDecorator[Decimal]):
    """An exact amount stored as a BIGINT of MONEY_SCALE places: exact on SQLite and PostgreSQL alike,
    and SQL SUM() over it is exact too (divide by 10^MONEY_SCALE after summing)."""

    impl = BigInteger
    cache_ok = True

    def process_bind_param(self, value: Decimal | None, dialect: Dialect) -> int | None:
        if value is None:
            return None
        if not isinstance(value, Decimal):
            raise TypeError(f"Money columns take Decimal, not {type(value).__name__}")
        return to_minor_units(value)

    def process_result_value(self, value: Any, dialect: Dialect) -> Decimal | None:
        return None if value is None else from_minor_units(int(value))


class ExactDecimal(TypeDecorator[Decimal]):
    """A Decimal of any precision kept as its exact text (exchange rates, quantities): never summed in SQL."""

    impl = String(64)
    cache_ok = True

    def process_bind_param(self, value: Decimal | None, dialect: Dialect) -> str | None:
        if value is None:
            return None
        if not isinstance(value, Decimal):
            raise TypeError(f"ExactDecimal columns take Decimal, not {type(value).__name__}")
        return str(value)

    def process_result_value(self, value: Any, dialect: Dialect) -> Decimal | None:
        return None if value is None else Decimal(value)


class UtcDateTime(TypeDecorator[datetime]):
    """An aware UTC datetime, stored as naive UTC on both databases (same text order on SQLite)."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError("UtcDateTime columns take timezone-aware datetimes")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        moment = datetime.fromisoformat(value) if isinstance(value, str) else value  # raw SQLite text
        if not isinstance(moment, datetime):
            raise TypeError(f"UtcDateTime read a {type(moment).__name__}")
        return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
