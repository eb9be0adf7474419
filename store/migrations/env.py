"""Alembic environment: runs on the connection store.db.upgrade hands over (no alembic.ini at runtime)."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection

from store.schema import compared_on, metadata

config = context.config


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=connection.dialect.name == "sqlite",  # SQLite ALTERs by table copy
        compare_type=True,
        include_object=compared_on(connection.dialect.name),  # PostgreSQL's trigger-checked keys (0016)
    )
    with context.begin_transaction():
        context.run_migrations()


def _online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    from store.db import make_engine  # command-line alembic: `-x url=...`

    url = context.get_x_argument(as_dictionary=True).get("url") or config.get_main_option("sqlalchemy.url")
    if not url:
        raise SystemExit("pass the database with `alembic -x url=sqlite:///ledgerbridge.db ...`")
    engine = make_engine(url)
    try:
        with engine.begin() as conn:
            _run(conn)
    finally:
        engine.dispose()


if context.is_offline_mode():
    raise SystemExit("offline (SQL script) migrations are not supported; use `ledgerbridge db upgrade`")
_online()
