"""How a page write puts its rows into the tables: `executemany` of one statement per row, or on
PostgreSQL `COPY ... FROM STDIN` (psycopg 3) — the rows streamed into the table in one command.

Both take the very same row tuples (store/repository.py builds them) and leave the very same rows
behind; tests/store/test_page_copy.py holds them to that. On PostgreSQL executemany costs the server a
Bind/Execute round of the pipeline per row; COPY parses the stream in one go (ADR 0031, figures in
docs/performance.md). Updates by id go through a session-local staging table: the rows are COPYed
into it and merged with one `UPDATE ... FROM`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

from sqlalchemy import Connection

from store.codec import RowEncoder

_TYPES = "ledgerbridge_copy_types"
_STAGING = "ledgerbridge_page_{table}"
"""A temporary table per target table (per session, emptied at every commit)."""


class PageRows(Protocol):
    """Writes prebuilt row tuples (values in `columns` order) inside the caller's transaction."""

    def insert(
        self,
        conn: Connection,
        table: str,
        columns: Sequence[str],
        rows: Sequence[tuple[Any, ...]],
        utf8: Sequence[str] = (),
    ) -> None:
        """INSERT the rows; values of the `utf8` columns may be UTF-8 bytes (stored as text)."""

    def update_by_id(
        self, conn: Connection, table: str, columns: Sequence[str], rows: Sequence[tuple[Any, ...]]
    ) -> None:
        """UPDATE each row by id: a row is the values of `columns`, then the id."""


class ExecuteMany:
    """One INSERT/UPDATE statement, executed for every row (SQLite; PostgreSQL before issue 18)."""

    def __init__(self, encode: RowEncoder) -> None:
        self._encode = encode

    def insert(
        self,
        conn: Connection,
        table: str,
        columns: Sequence[str],
        rows: Sequence[tuple[Any, ...]],
        utf8: Sequence[str] = (),
    ) -> None:
        if rows:
            conn.exec_driver_sql(self._encode.insert(table, columns, utf8=utf8), list(rows))

    def update_by_id(
        self, conn: Connection, table: str, columns: Sequence[str], rows: Sequence[tuple[Any, ...]]
    ) -> None:
        if rows:
            conn.exec_driver_sql(self._encode.update_by_id(table, columns), list(rows))


class CopyRows:
    """PostgreSQL: COPY the rows in (binary format; the UTF-8 bytes of `utf8` columns go as they are: a
    text value's binary form is its UTF-8 bytes, which the server checks as it reads them). Updates: COPY
    into the staging table, then one UPDATE joined on the id."""

    def insert(
        self,
        conn: Connection,
        table: str,
        columns: Sequence[str],
        rows: Sequence[tuple[Any, ...]],
        utf8: Sequence[str] = (),
    ) -> None:
        if not rows:
            return
        if utf8:
            at = [columns.index(name) for name in utf8]
            if not all(isinstance(row[index], bytes) for row in rows for index in at):
                rows = [_encoded(row, at) for row in rows]  # the same values, all as bytes
        _copy(conn, table, columns, rows, utf8)

    def update_by_id(
        self, conn: Connection, table: str, columns: Sequence[str], rows: Sequence[tuple[Any, ...]]
    ) -> None:
        if not rows:
            return
        staging = _staging(conn, table, (*columns, "id"))
        _copy(conn, staging, (*columns, "id"), rows)
        sets = ", ".join(f"{name} = s.{name}" for name in columns)
        conn.exec_driver_sql(
            f"UPDATE {table} AS t SET {sets} FROM {staging} AS s WHERE t.id = s.id"  # noqa: S608 - fixed names
        )
        conn.exec_driver_sql(f"DELETE FROM {staging}")  # noqa: S608 - the next page's merge starts empty


def _encoded(row: tuple[Any, ...], at: Sequence[int]) -> tuple[Any, ...]:
    values = list(row)
    for index in at:
        value = values[index]
        if isinstance(value, str):
            values[index] = value.encode("utf-8")
    return tuple(values)


_BYTES = 17
"""bytea's type oid: the dumper that writes bytes as they are, for a text column given its UTF-8 bytes."""


def _copy(
    conn: Connection,
    table: str,
    columns: Sequence[str],
    rows: Sequence[tuple[Any, ...]],
    utf8: Sequence[str] = (),
) -> None:
    """COPY in binary format: each value dumped by psycopg's C dumper for its column's type (no text to
    parse on the server); the types come from the catalogue, once per connection and table. The `utf8`
    columns' bytes are written unchanged (psycopg's bytes dumper): the server reads them with the
    column's own (text) receive function, which checks they are valid UTF-8 — no decoding here and
    re-encoding in the driver."""
    raw = conn.connection.dbapi_connection
    assert raw is not None
    types = _column_types(conn, table, columns)
    if utf8:
        types = [_BYTES if name in utf8 else oid for name, oid in zip(columns, types, strict=True)]
    statement = f"COPY {table} ({', '.join(columns)}) FROM STDIN (FORMAT BINARY)"
    with raw.cursor() as cursor, cursor.copy(statement) as copy:  # type: ignore[attr-defined]
        copy.set_types(types)
        for row in rows:
            copy.write_row(row)


def _column_types(conn: Connection, table: str, columns: Sequence[str]) -> list[int]:
    """The type oids of `columns`, cached on the pooled connection (a staging table lives as long)."""
    cache: dict[str, dict[str, int]] = conn.connection.info.setdefault(_TYPES, {})
    found = cache.get(table)
    if found is None or any(name not in found for name in columns):
        query = (
            "SELECT attname, atttypid::int FROM pg_attribute WHERE attrelid = to_regclass(%s) AND attnum > 0"
        )
        found = cache[table] = {str(name): int(oid) for name, oid in conn.exec_driver_sql(query, (table,))}
    return [found[name] for name in columns]


def _staging(conn: Connection, table: str, columns: Sequence[str]) -> str:
    """The session's staging table for `table` (created on first use: the columns' types as in `table`,
    no constraints; ON COMMIT DELETE ROWS, and emptied after each merge in case of a later one)."""
    name = _STAGING.format(table=table)
    exists = conn.exec_driver_sql("SELECT to_regclass(%s)", (f"pg_temp.{name}",)).scalar_one()
    if exists is None:
        conn.exec_driver_sql(
            f"CREATE TEMPORARY TABLE {name} ON COMMIT DELETE ROWS AS "  # noqa: S608 - fixed names
            f"SELECT {', '.join(columns)} FROM {table} WITH NO DATA"
        )
    return name


def page_rows(encode: RowEncoder, *, copy: bool = True) -> PageRows:
    """COPY on PostgreSQL (unless `copy` is off), executemany on SQLite."""
    return CopyRows() if copy and not encode.sqlite else ExecuteMany(encode)


__all__ = ["CopyRows", "ExecuteMany", "PageRows", "page_rows"]
