"""Database engines and schema migrations: SQLite (WAL) or PostgreSQL (psycopg 3), Alembic run in-process."""

from __future__ import annotations

import os
from contextlib import AbstractContextManager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, create_engine, event
from sqlalchemy import Engine as Engine  # noqa: PLC0414 - re-exported for the shell (below)
from sqlalchemy.engine import make_url

if TYPE_CHECKING:
    from alembic.config import Config

# Alembic is imported where migrations run, not here: every page-writer process (one per large stream
# of a sync, sync/page_writer.py) imports this module and never migrates; alembic (with mako) was about
# a fifth of such a process's start-up imports (issue 18).

# The shell (sync/) never imports SQLAlchemy (issue 16: the store is the only owner of SQL): where it
# holds the database handle, it names its type `store.db.Engine`.

MIGRATIONS = Path(__file__).with_name("migrations")
DATABASE_MODE = 0o600
"""A new SQLite file is readable by its owner only, like the key (SQLite gives its -wal and -shm the
same mode), whatever the umask."""
BUSY_TIMEOUT_MS = 30_000
"""How long a SQLite writer waits for another writer before failing (the lease lock waits longer)."""


class SchemaNotReady(Exception):
    """The database is missing or behind the code: say which command fixes it."""


def normalize_url(url: str) -> str:
    """Accept the URLs operators write (`postgres://`, `postgresql://`) and use psycopg 3 for them."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def sqlite_path(url: str) -> Path | None:
    """The file of a SQLite URL (None for PostgreSQL or an in-memory database)."""
    parsed = make_url(normalize_url(url))
    if parsed.get_backend_name() != "sqlite" or not parsed.database or parsed.database == ":memory:":
        return None
    if parsed.database.startswith("file:") or "mode=memory" in str(parsed.query):
        return None
    return Path(parsed.database)


def describe_url(url: str) -> str:
    """The configured database URL as an operator may read it: the password hidden."""
    return make_url(normalize_url(url)).render_as_string(hide_password=True)


def describe(engine: Engine) -> str:
    """The database an engine is connected to, its password hidden."""
    return engine.url.render_as_string(hide_password=True)


def database_name(engine: Engine) -> str | None:
    """The engine URL's database part: the file of a SQLite engine (or `:memory:`), a PostgreSQL name."""
    return engine.url.database


def make_sqlite_directory(url: str) -> None:
    """Create the directory of a SQLite file URL (nothing for PostgreSQL or an in-memory database)."""
    parsed = make_url(normalize_url(url))
    if parsed.get_backend_name() == "sqlite" and parsed.database and parsed.database != ":memory:":
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)


def libpq_url(engine: Engine) -> tuple[str, str | None]:
    """A libpq URL of a PostgreSQL engine without its password, and the password (for `PGPASSWORD`:
    never on a command line)."""
    url = make_url(normalize_url(engine.url.render_as_string(hide_password=False)))
    plain = url.set(drivername="postgresql", password=None).render_as_string(hide_password=False)
    return plain, None if not url.password else str(url.password)


def create_owner_only(path: Path) -> None:
    """Create `path` empty with mode 0600 unless it exists (SQLite then opens it and keeps the mode)."""
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, DATABASE_MODE)
    except FileExistsError:
        return
    except FileNotFoundError:  # no such directory: SQLite says so in its own words
        return
    os.close(descriptor)


def is_sqlite(engine: Engine | Connection) -> bool:
    return engine.dialect.name == "sqlite"


def make_engine(url: str, **kwargs: Any) -> Engine:
    """An engine with the pragmas and transaction handling this application relies on.

    SQLite: WAL (readers never block the writer), foreign keys on, a busy timeout, synchronous=NORMAL
    (durable across process crashes; a power cut may lose the last commits but never corrupts), and
    SQLAlchemy emitting BEGIN itself so that DDL is transactional and `write_transaction` can take the
    write lock up front (BEGIN IMMEDIATE) instead of failing to upgrade a read lock later.
    """
    url = normalize_url(url)
    if make_url(url).get_backend_name() != "sqlite":
        return create_engine(url, pool_pre_ping=True, **kwargs)
    database = sqlite_path(url)
    if database is not None:
        create_owner_only(database)
    engine = create_engine(url, connect_args={"timeout": BUSY_TIMEOUT_MS / 1000}, **kwargs)
    event.listen(engine, "connect", _sqlite_on_connect)
    event.listen(engine, "begin", _sqlite_begin)
    return engine


def write_transaction(engine: Engine) -> AbstractContextManager[Connection]:
    """A transaction that will write: on SQLite it takes the write lock at BEGIN (waits, never deadlocks)."""
    return engine.execution_options(sqlite_begin="IMMEDIATE").begin()


def _sqlite_on_connect(dbapi_connection: Any, _record: Any) -> None:
    dbapi_connection.isolation_level = None  # SQLAlchemy emits BEGIN (see _sqlite_begin)
    cursor = dbapi_connection.cursor()
    try:
        for pragma in (
            "journal_mode=WAL",
            "synchronous=NORMAL",
            "foreign_keys=ON",
            f"busy_timeout={BUSY_TIMEOUT_MS}",
            "temp_store=MEMORY",
            "cache_size=-32000",
        ):
            cursor.execute(f"PRAGMA {pragma}")
    finally:
        cursor.close()


def _sqlite_begin(conn: Connection) -> None:
    mode = conn.get_execution_options().get("sqlite_begin", "DEFERRED")
    conn.exec_driver_sql(f"BEGIN {mode}")


# ----------------------------------------------------------------------------- migrations


def alembic_config() -> Config:
    """Alembic configuration built in code: no alembic.ini is needed at runtime."""
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


def head_revision() -> str:
    """The newest migration the code knows."""
    from alembic.script import ScriptDirectory

    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    if head is None:  # pragma: no cover - the package always ships migrations
        raise RuntimeError("no migrations found")
    return head


def is_known_revision(revision: str) -> bool:
    """Whether `revision` is a migration this code ships (a newer database's is not)."""
    from alembic.script import ScriptDirectory
    from alembic.util import CommandError

    try:
        script = ScriptDirectory.from_config(alembic_config()).get_revision(revision)
    except CommandError:
        script = None
    return script is not None


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Apply migrations up to `revision` in one transaction (transactional DDL on both databases)."""
    from alembic import command

    config = alembic_config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, revision)


def current_revision(engine: Engine) -> str | None:
    """The migration the database is at, or None for an empty database."""
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def require_current(engine: Engine) -> None:
    """Raise SchemaNotReady unless the database is migrated to the code's head revision."""
    current = current_revision(engine)
    if current is None:
        raise SchemaNotReady(
            "the database has no ledger yet: run `ledgerbridge init` (or `ledgerbridge db upgrade`)"
        )
    head = head_revision()
    if current != head:
        raise SchemaNotReady(
            f"the database schema is at revision {current}, the code needs {head}: "
            "run `ledgerbridge db upgrade`"
        )
