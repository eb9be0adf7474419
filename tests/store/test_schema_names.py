"""restore knows ledgerbridge's own tables and indexes from the table modules: every table and index a
migration creates must be among them, or restoring a backup of this very installation is refused."""

from __future__ import annotations

from store.backups import ledger_schema_names, sqlite_objects_at
from store.db import head_revision


def test_every_table_and_index_the_migrations_create_is_known_to_restore() -> None:
    tables, indexes = ledger_schema_names()
    created = sqlite_objects_at(head_revision())
    assert {name for kind, name, _ in created if kind == "table"} <= tables
    assert {name for kind, name, _ in created if kind == "index"} <= indexes
