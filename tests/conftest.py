"""Shared fixtures: real databases (SQLite and PostgreSQL), a fixed clock, a fake token store.

Fixtures (use them; never create tables in the `test` database yourself):

- `database_url` — parametrized over ``sqlite`` and ``postgres``: the URL of a database holding a
  clean, fully migrated schema (every Alembic revision up to head) that belongs to this test alone.
  SQLite: a copy of a migrated template file under ``tmp_path``. PostgreSQL: a throwaway database
  ``lb_<random>`` created once per test session and xdist worker (CREATE DATABASE against
  ``$LEDGERBRIDGE_TEST_POSTGRES_URL``), dropped at the end; every table is truncated before each test.
  The PostgreSQL case is skipped with a reason only when ``LEDGERBRIDGE_TEST_POSTGRES_URL`` is unset.
- `engine` — a `sqlalchemy.Engine` (store.db.make_engine) on `database_url`, disposed after the test.
- `empty_database_url` — same parametrization, but a database with no tables at all (migration tests).
- `clock` — a `FixedClock`: callable returning an aware UTC datetime, `clock.advance(minutes=5)`.
- `token_store` — a `FakeTokenStore` implementing `connectors.base.TokenStore` in memory.
- (autouse) structlog is reset to its defaults after every test, so a CLI command run in-process
  cannot leave it printing into that test's closed capture.
- (autouse) the process's known secrets (config.redaction.KNOWN) are forgotten after every test.

Test folders are packages (each has an ``__init__.py``), so helpers import as ``tests.<folder>.<module>``.
"""

from __future__ import annotations

import os
import shutil
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg
import pytest
import structlog
from sqlalchemy import Engine, make_url, text

from config.redaction import KNOWN
from connectors.base import Token
from store.db import make_engine, upgrade

POSTGRES_ENV = "LEDGERBRIDGE_TEST_POSTGRES_URL"
BACKENDS = ["sqlite", "postgres"]


# ----------------------------------------------------------------------------- clock and fakes


class FixedClock:
    """A clock that stands still until told to move: `clock()` -> aware UTC datetime."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> datetime:
        self.now += timedelta(**delta)
        return self.now


class FakeTokenStore:
    """connectors.base.TokenStore in memory; `saved` records every save in order."""

    def __init__(self) -> None:
        self.tokens: dict[str, Token] = {}
        self.saved: list[tuple[str, Token]] = []
        self._locks: dict[str, threading.Lock] = {}
        self._guard = threading.Lock()

    def load(self, key: str) -> Token | None:
        return self.tokens.get(key)

    def save(self, key: str, token: Token) -> None:
        self.tokens[key] = token
        self.saved.append((key, token))

    @contextmanager
    def refresh_lock(self, key: str) -> Iterator[None]:
        with self._guard:
            lock = self._locks.setdefault(key, threading.Lock())
        with lock:
            yield


@pytest.fixture(autouse=True)
def _structlog_defaults_after_each_test() -> Iterator[None]:
    """A command run in-process configures structlog to print to the stderr of *that* test (a capture
    that is closed afterwards); later tests in the same worker must not log into it."""
    yield
    structlog.reset_defaults()


@pytest.fixture(autouse=True)
def _known_secrets_forgotten_after_each_test() -> Iterator[None]:
    """The process's secret registry (config.redaction.KNOWN) learns every secret a test's in-process
    command resolves; a short test value such as "secret" would then be scrubbed from a later test's
    output in the same worker ("no [REDACTED] named ..."), so each test starts from nothing known."""
    yield
    KNOWN.forget_all()


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(datetime(2026, 11, 27, 8, 0, tzinfo=UTC))


@pytest.fixture
def token_store() -> FakeTokenStore:
    return FakeTokenStore()


# ----------------------------------------------------------------------------- databases


def _worker(config: pytest.Config) -> str:
    workerinput = getattr(config, "workerinput", None)
    return str(workerinput["workerid"]) if workerinput else "main"


def _admin_url(base: str) -> str:
    """A libpq URL for psycopg itself (it does not understand `postgresql+psycopg://`)."""
    return make_url(base).set(drivername="postgresql").render_as_string(hide_password=False)


@contextmanager
def _throwaway_postgres(base: str, label: str) -> Iterator[str]:
    name = f"lb_{label}_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(_admin_url(base), autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield make_url(base).set(database=name).render_as_string(hide_password=False)
    finally:
        with psycopg.connect(_admin_url(base), autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _postgres_base() -> str:
    base = os.environ.get(POSTGRES_ENV)
    if not base:
        pytest.skip(f"PostgreSQL tests need {POSTGRES_ENV} (CI sets it)")
    return base


@pytest.fixture(scope="session")
def _postgres_session_url(request: pytest.FixtureRequest) -> Iterator[str]:
    """One migrated throwaway PostgreSQL database per session and xdist worker."""
    with _throwaway_postgres(_postgres_base(), _worker(request.config)) as url:
        engine = make_engine(url)
        try:
            upgrade(engine)
        finally:
            engine.dispose()
        yield url
    _forget_audit_head(url)


@pytest.fixture(scope="session")
def _sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite file that each test copies (migrating once is much faster than per test)."""
    path = tmp_path_factory.mktemp("template") / "ledger.db"
    engine = make_engine(f"sqlite:///{path}")
    try:
        upgrade(engine)
    finally:
        engine.dispose()
    return path


def _truncate_all(url: str) -> None:
    with psycopg.connect(_admin_url(url), autocommit=True) as conn:
        rows = conn.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename <> 'alembic_version'"
        ).fetchall()
        if rows:
            names = ", ".join(f'"{name}"' for (name,) in rows)
            conn.execute(f"TRUNCATE {names} RESTART IDENTITY CASCADE")


@pytest.fixture(params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        path = tmp_path / "ledger.db"
        shutil.copyfile(request.getfixturevalue("_sqlite_template"), path)
        return f"sqlite:///{path}"
    url: str = request.getfixturevalue("_postgres_session_url")
    _truncate_all(url)
    # The audit head file a CLI run anchors the emptied log in (./ledgerbridge.<db>.audit-head: no key
    # file configured): the next test starts a new log, which the old anchor would call cut (ADR 0020).
    _forget_audit_head(url)
    return url


def _forget_audit_head(url: str) -> None:
    for stale in Path.cwd().glob(f"ledgerbridge.{make_url(url).database}.audit-head*"):
        stale.unlink(missing_ok=True)


@pytest.fixture(params=BACKENDS)
def empty_database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'empty.db'}"
        return
    with _throwaway_postgres(_postgres_base(), "empty") as url:
        yield url


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    engine = make_engine(database_url)
    try:
        yield engine
    finally:
        engine.dispose()


def table_counts(engine: Engine, *names: str) -> dict[str, int]:
    """Row counts of the named tables (a helper for assertions)."""
    with engine.connect() as conn:
        return {name: int(conn.execute(text(f"SELECT COUNT(*) FROM {name}")).scalar_one()) for name in names}
