"""Migrations build exactly the schema the code declares, and commands refuse a database that is behind."""

from __future__ import annotations

import importlib
import pkgutil

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import text

import store
from store.canonical import DocumentKey, DocumentKind
from store.db import SchemaNotReady, current_revision, head_revision, make_engine, require_current, upgrade
from store.repository import SqlLedgerRepository
from store.schema import compared_on, metadata


def _import_every_table_module() -> None:
    for module in pkgutil.iter_modules(store.__path__):
        if module.name not in {"migrations"}:
            importlib.import_module(f"store.{module.name}")


def test_an_empty_database_is_refused_with_the_command_that_fixes_it(empty_database_url: str) -> None:
    engine = make_engine(empty_database_url)
    try:
        assert current_revision(engine) is None
        with pytest.raises(SchemaNotReady, match="run `ledgerbridge init`"):
            require_current(engine)
    finally:
        engine.dispose()


def test_upgrade_reaches_head_and_matches_the_declared_tables(empty_database_url: str) -> None:
    _import_every_table_module()
    engine = make_engine(empty_database_url)
    try:
        upgrade(engine)
        assert current_revision(engine) == head_revision()
        require_current(engine)
        with engine.connect() as conn:
            opts = {"compare_type": True, "include_object": compared_on(conn.dialect.name)}
            diff = compare_metadata(MigrationContext.configure(conn, opts=opts), metadata)
        assert diff == []
    finally:
        engine.dispose()


def test_upgrading_twice_changes_nothing(empty_database_url: str) -> None:
    engine = make_engine(empty_database_url)
    try:
        upgrade(engine)
        upgrade(engine)
        assert current_revision(engine) == head_revision()
    finally:
        engine.dispose()


def test_a_database_behind_the_code_asks_for_db_upgrade(empty_database_url: str) -> None:
    engine = make_engine(empty_database_url)
    try:
        upgrade(engine)
        with engine.begin() as conn:  # as if written by an older release
            conn.execute(text("UPDATE alembic_version SET version_num = '0000'"))
        with pytest.raises(SchemaNotReady, match=r"at revision 0000, .* run `ledgerbridge db upgrade`"):
            require_current(engine)
    finally:
        engine.dispose()


def test_documents_written_before_0004_read_back_with_unknown_total_components(
    empty_database_url: str,
) -> None:
    """Rows from an older release gain the five columns as NULL: unknown until re-synced, never 0."""
    engine = make_engine(empty_database_url)
    try:
        upgrade(engine, "0003")
        with engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO documents (source, kind, external_id, stream, status, refs, deleted, revision,"
                    " payload_hash, created_at, updated_at, subtotal, total)"
                    " VALUES ('shop', 'invoice', 'INV-1', 'invoices', 'open', '{}', false, 1, 'h',"
                    " '2026-11-27 08:00:00', '2026-11-27 08:00:00', 1000000, 1130000)"
                )
            )
        upgrade(engine)
        stored = SqlLedgerRepository(engine).get(
            DocumentKey(source="shop", kind=DocumentKind.INVOICE, external_id="INV-1")
        )
        assert stored is not None
        assert str(stored.total) == "113.00"
        assert (
            stored.discount,
            stored.shipping,
            stored.adjustment,
            stored.rounding,
            stored.tax_inclusive,
        ) == (
            None,
            None,
            None,
            None,
            None,
        )
    finally:
        engine.dispose()
