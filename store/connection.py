"""What the shell may know about a database connection, without speaking SQLAlchemy itself.

`sync/` holds an engine as an opaque handle (typed `store.db.Engine`) that it passes to the store's
repositories; it catches `DatabaseError` when the database cannot be read; and it asks the few
questions below about the database it holds (one writer or many, where a writer process connects).
Everything else about the database (SQL, tables, transactions) stays in `store/` (issue 16).
"""

from __future__ import annotations

from sqlalchemy import Engine
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError

from store.db import is_sqlite, normalize_url

__all__ = ["DatabaseError", "check_connection", "postgres_database", "single_writer", "writer_url"]

DatabaseError = SQLAlchemyError
"""Anything the database (or its driver) raised: unreachable, refused, a failed statement."""


def single_writer(engine: Engine) -> bool:
    """True for SQLite: one process writes at a time, so one daemon serves it (PostgreSQL replicas share
    the work through tick claims and advisory locks)."""
    return is_sqlite(engine)


def writer_url(engine: Engine) -> str | None:
    """The URL another process (the sync's writer process) connects with, password included, or None
    when only this process can see the database (an in-memory SQLite database)."""
    url = engine.url
    if is_sqlite(engine) and (url.database in (None, "", ":memory:") or "memory" in str(url.query)):
        return None
    return url.render_as_string(hide_password=False)


def check_connection(engine: Engine) -> None:
    """Connect once and let go; raises DatabaseError when the database cannot be reached."""
    with engine.connect():
        pass


def postgres_database(url: str) -> str | None:
    """The database's name in a PostgreSQL URL (a secret box names its audit head file after it);
    None for SQLite."""
    parsed = make_url(normalize_url(url))
    return None if parsed.get_backend_name() == "sqlite" else parsed.database
