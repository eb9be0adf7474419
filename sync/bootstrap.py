"""Wiring, done once at the entry point: settings -> database engine, secret box, token store, connectors."""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from config.loader import resolve_secret
from config.settings import Settings
from connectors.base import Clock, Connector, ConnectorDeps, ConnectorFactory, NormalizeContext, Token
from connectors.http import Observer
from connectors.registry import CONNECTOR_KINDS
from store.api_calls import SqlApiCalls
from store.connection import postgres_database
from store.db import Engine, make_engine, require_current
from store.integrity import attach_seal
from store.secrets import SecretBox, SqlSecretStore, SqlTokenStore, default_key_file
from sync.api_meter import ApiMeter, MeteredConnector, both

FACTORIES: dict[str, ConnectorFactory] = {name: kind.build for name, kind in CONNECTOR_KINDS.items()}
"""Connector factories by config `kind`, from connectors/registry.py (a dict: tests swap one in)."""


def utc_now() -> datetime:
    return datetime.now(UTC)


def open_engine(settings: Settings, *, check_schema: bool = True) -> Engine:
    """The database engine; raises store.db.SchemaNotReady (saying which command fixes it) when the
    schema is missing or behind, unless `check_schema` is False (init, db upgrade)."""
    engine = make_engine(settings.database_url)
    attach_seal(engine, secret_box(settings).seal)  # the audit chain's and digests' keys (ADR 0020)
    if check_schema:
        try:
            require_current(engine)
        except Exception:
            engine.dispose()
            raise
    return engine


def secret_box(settings: Settings, environ: Mapping[str, str] | None = None) -> SecretBox:
    """The encryption box: key from $LEDGERBRIDGE_SECRET_KEY or the key file (read on first use)."""
    return SecretBox(
        default_key_file(settings.database_url, settings.secret_key_file),
        os.environ if environ is None else environ,
        database=postgres_database(settings.database_url),
    )


class ConnectorTokenStore:
    """connectors.base.TokenStore over the encrypted `tokens` table."""

    def __init__(self, tokens: SqlTokenStore) -> None:
        self._tokens = tokens

    def load(self, key: str) -> Token | None:
        stored = self._tokens.load(key)
        if stored is None:
            return None
        return Token(access_token=stored.access_token, expires_at=stored.expires_at, extra=dict(stored.extra))

    def save(self, key: str, token: Token) -> None:
        self._tokens.save(key, token)

    @contextmanager
    def refresh_lock(self, key: str) -> Iterator[None]:
        with self._tokens.refresh_lock(key):
            yield


def build_connector(
    settings: Settings,
    connector_settings: Any,
    engine: Engine,
    *,
    clock: Clock = utc_now,
    observer: Observer | None = None,
    environ: Mapping[str, str] | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> Connector:
    """Build a configured connector with its ports wired to the database. `sleep` waits between HTTP
    retries (the daemon passes one that a shutdown interrupts). Its API calls are counted per month
    (sync/api_meter.py)."""
    box = secret_box(settings, environ)
    meter = ApiMeter(SqlApiCalls(engine), clock)
    secrets = SqlSecretStore(engine, box, clock)
    deps = ConnectorDeps(
        token_store=ConnectorTokenStore(SqlTokenStore(engine, box, clock)),
        resolve=lambda value: resolve_secret(value, secrets.get),
        context=NormalizeContext(
            source=connector_settings.name, timezone=settings.zone, base_currency=settings.base_currency
        ),
        clock=clock,
        observer=both(meter.observe, observer),
        sleep=sleep,
    )
    factory = FACTORIES.get(connector_settings.kind)
    if factory is None:
        raise KeyError(f"connector kind {connector_settings.kind!r} is not available in this installation")
    return MeteredConnector(factory(connector_settings, deps), meter)
