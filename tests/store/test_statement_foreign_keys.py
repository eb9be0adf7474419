"""The foreign keys of a document's lines, allocations and revisions and of a revision's sync run hold
on both databases: constraints on SQLite, statement-level triggers on PostgreSQL (migration 0016,
ADR 0037). An orphan child is refused whether it comes by INSERT, UPDATE or COPY, naming the table and
the missing key; deleting a document cascades to its children and nobody else's; deleting a run a
revision names is refused; and on PostgreSQL a document delete waits for a writer of child rows in
flight, as the row-level KEY SHARE locks made it wait."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import psycopg
import pytest
from alembic import command
from sqlalchemy import Connection, Engine, delete, exc, insert, inspect, select, text, update

from store.backups import reinstall_triggers, without_triggers
from store.db import alembic_config, make_engine, upgrade
from store.tables import allocations, document_lines, documents, revisions, sync_runs
from tests.conftest import table_counts

NOW = datetime(2026, 12, 5, 8, 0, tzinfo=UTC)
MISSING = 987654321
CHILDREN = ("document_lines", "allocations", "revisions")


def _document(conn: Connection, external_id: str) -> int:
    values = {
        "source": "shop",
        "kind": "invoice",
        "external_id": external_id,
        "stream": "invoices",
        "status": "open",
        "refs": "{}",
        "deleted": False,
        "revision": 1,
        "payload_hash": "h",
        "created_at": NOW,
        "updated_at": NOW,
    }
    return int(conn.execute(insert(documents).values(**values).returning(documents.c.id)).scalar_one())


def _run(conn: Connection) -> int:
    values = {"connector": "shop", "stream": "invoices", "mode": "full", "status": "ok", "started_at": NOW}
    zeros = dict.fromkeys(("fetched", "created", "updated", "unchanged", "deleted", "quarantined"), 0)
    return int(
        conn.execute(insert(sync_runs).values(**values, **zeros).returning(sync_runs.c.id)).scalar_one()
    )


def _child(table: str, document_id: int, position: int = 1, run_id: int | None = None) -> dict[str, Any]:
    if table == "document_lines":
        return {"document_id": document_id, "position": position, "amount": 1_000_000}
    if table == "allocations":
        return {
            "document_id": document_id,
            "position": position,
            "invoice_external_id": "INV-1",
            "target_kind": "invoice",
            "amount": 1_000_000,
        }
    return {
        "document_id": document_id,
        "revision": position,
        "change_kind": "created",
        "sync_run_id": run_id,
        "payload_hash": "h",
        "raw_payload": "{}",
        "snapshot": "{}",
        "recorded_at": NOW.replace(tzinfo=None),
    }


def _insert_raw(conn: Connection, table: str, row: dict[str, Any]) -> None:
    """Raw rows (amounts already scaled, naive UTC): what a page write's COPY or executemany sends."""
    names = ", ".join(row)
    conn.execute(text(f"INSERT INTO {table} ({names}) VALUES ({', '.join(':' + n for n in row)})"), row)


def _write(engine: Engine, table: str, rows: list[dict[str, Any]]) -> None:
    with engine.begin() as conn:
        for row in rows:
            _insert_raw(conn, table, row)


def _copy_lines(engine: Engine, rows: list[tuple[int, int, int]]) -> None:
    """COPY (document_id, position, amount) rows into document_lines, as a page write does."""
    with engine.begin() as conn:
        raw = conn.connection.dbapi_connection
        assert raw is not None
        statement = "COPY document_lines (document_id, position, amount) FROM STDIN"
        with raw.cursor() as cursor, cursor.copy(statement) as copy:  # type: ignore[attr-defined]
            for row in rows:
                copy.write_row(row)


def _family(engine: Engine, external_id: str) -> int:
    """A document with a line, an allocation and a revision of a run."""
    with engine.begin() as conn:
        document_id = _document(conn, external_id)
        run_id = _run(conn)
        for table in CHILDREN:
            _insert_raw(conn, table, _child(table, document_id, run_id=run_id))
    return document_id


@pytest.mark.parametrize("table", CHILDREN)
def test_an_orphan_child_inserted_is_refused_naming_the_table_and_the_key(engine: Engine, table: str) -> None:
    good = _family(engine, "INV-1")
    with pytest.raises(exc.IntegrityError) as refused:  # a good row first, in the same transaction
        _write(engine, table, [_child(table, good, position=2), _child(table, MISSING, position=3)])
    if engine.dialect.name == "postgresql":
        assert isinstance(refused.value.orig, psycopg.errors.ForeignKeyViolation)
        message = str(refused.value.orig)
        assert f'table "{table}"' in message
        assert f'document_id = {MISSING} is not present in table "documents"' in message
    assert table_counts(engine, *CHILDREN) == dict.fromkeys(CHILDREN, 1), "the transaction wrote nothing"


def test_a_revision_naming_a_missing_run_is_refused(engine: Engine) -> None:
    good = _family(engine, "INV-1")
    with pytest.raises(exc.IntegrityError) as refused, engine.begin() as conn:
        _insert_raw(conn, "revisions", _child("revisions", good, position=2, run_id=MISSING))
    if engine.dialect.name == "postgresql":
        assert f'sync_run_id = {MISSING} is not present in table "sync_runs"' in str(refused.value.orig)
    with engine.begin() as conn:  # no run at all is fine, as with the constraint
        _insert_raw(conn, "revisions", _child("revisions", good, position=2, run_id=None))


def test_an_update_pointing_a_child_at_a_missing_document_is_refused(engine: Engine) -> None:
    _family(engine, "INV-1")
    with pytest.raises(exc.IntegrityError) as refused, engine.begin() as conn:
        conn.execute(update(document_lines).values(document_id=MISSING))
    if engine.dialect.name == "postgresql":
        assert 'table "document_lines"' in str(refused.value.orig)


def test_deleting_a_document_cascades_to_its_children_and_nobody_elses(engine: Engine) -> None:
    gone = _family(engine, "INV-1")
    kept = _family(engine, "INV-2")
    with engine.begin() as conn:
        conn.execute(delete(documents).where(documents.c.id == gone))
    with engine.connect() as conn:
        for table in (document_lines, allocations, revisions):
            assert conn.execute(select(table.c.document_id)).scalars().all() == [kept], table.name


def test_deleting_a_run_a_revision_names_is_refused(engine: Engine) -> None:
    _family(engine, "INV-1")
    with pytest.raises(exc.IntegrityError) as refused, engine.begin() as conn:
        conn.execute(delete(sync_runs))
    if engine.dialect.name == "postgresql":
        assert 'is still referenced from table "revisions"' in str(refused.value.orig)
    assert table_counts(engine, "sync_runs", "revisions") == {"sync_runs": 1, "revisions": 1}


def _postgres_only(engine: Engine) -> None:
    if engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL's statement triggers (SQLite keeps its constraints)")


def test_postgresql_refuses_an_orphan_line_copied_in(engine: Engine) -> None:
    _postgres_only(engine)
    good = _family(engine, "INV-1")
    with pytest.raises(psycopg.errors.ForeignKeyViolation) as refused:
        _copy_lines(engine, [(good, 2, 5), (MISSING, 1, 5), (good, 3, 5)])
    assert 'table "document_lines"' in str(refused.value)
    assert f"document_id = {MISSING} is not present" in str(refused.value)
    assert table_counts(engine, "document_lines") == {"document_lines": 1}


def test_postgresql_refuses_changing_a_referenced_id_or_truncating_documents_alone(engine: Engine) -> None:
    _postgres_only(engine)
    document_id = _family(engine, "INV-1")
    with pytest.raises(exc.IntegrityError, match="still referenced"), engine.begin() as conn:
        conn.execute(update(documents).values(id=MISSING).where(documents.c.id == document_id))
    with pytest.raises(exc.IntegrityError, match="child tables still hold rows"), engine.begin() as conn:
        conn.execute(text("TRUNCATE documents"))
    with engine.begin() as conn:  # with its children, as TRUNCATE ... CASCADE did
        conn.execute(text("TRUNCATE documents, document_lines, allocations, revisions"))
    assert table_counts(engine, "documents", *CHILDREN) == dict.fromkeys(("documents", *CHILDREN), 0)


def test_postgresql_document_delete_waits_for_a_writer_of_child_rows_in_flight(engine: Engine) -> None:
    """The trade of ADR 0037: no KEY SHARE lock per row, so a delete of documents locks the child tables
    first (SHARE ROW EXCLUSIVE) and cannot pass a writer whose new lines are not committed yet."""
    _postgres_only(engine)
    document_id = _family(engine, "INV-1")
    with engine.connect() as writer, engine.connect() as deleter:
        writer.begin()
        _insert_raw(writer, "document_lines", _child("document_lines", document_id, position=2))
        deleter.begin()
        deleter.execute(text("SET LOCAL lock_timeout = '300ms'"))
        with pytest.raises(exc.OperationalError, match="lock timeout"):
            deleter.execute(delete(documents).where(documents.c.id == document_id))
        deleter.rollback()
        writer.commit()
        with deleter.begin():
            deleter.execute(delete(documents).where(documents.c.id == document_id))
    assert table_counts(engine, "documents", *CHILDREN) == dict.fromkeys(("documents", *CHILDREN), 0)


def test_postgresql_restore_puts_back_ledgerbridges_own_triggers_over_what_a_dump_carried(
    engine: Engine,
) -> None:
    """A restore skips the dump's FUNCTION and TRIGGER entries (without_triggers) and creates its own:
    a function body of the same name that lets orphans through, and a trigger of another name, are gone."""
    _postgres_only(engine)
    listing = (
        "; Archive created at 2026-12-05\n"
        "210; 1259 16390 TABLE public documents postgres\n"
        "220; 1255 16400 FUNCTION public fk_document_lines_document_id_documents() postgres\n"
        "230; 2620 16410 TRIGGER public documents halve_total postgres\n"
    )
    assert without_triggers(listing).splitlines() == [
        "; Archive created at 2026-12-05",
        "210; 1259 16390 TABLE public documents postgres",
        ";220; 1255 16400 FUNCTION public fk_document_lines_document_id_documents() postgres",
        ";230; 2620 16410 TRIGGER public documents halve_total postgres",
    ]
    good = _family(engine, "INV-1")
    with engine.begin() as conn:
        conn.execute(
            text(
                "CREATE OR REPLACE FUNCTION fk_document_lines_document_id_documents() RETURNS trigger"
                " LANGUAGE plpgsql AS $$ BEGIN RETURN NULL; END $$"
            )
        )
        conn.execute(
            text(
                "CREATE TRIGGER halve_total BEFORE UPDATE ON documents FOR EACH ROW"
                " EXECUTE FUNCTION suppress_redundant_updates_trigger()"
            )
        )
    reinstall_triggers(engine)
    with pytest.raises(psycopg.errors.ForeignKeyViolation):
        _copy_lines(engine, [(MISSING, 1, 5)])
    with engine.connect() as conn:
        names = conn.execute(text("SELECT tgname FROM pg_trigger WHERE NOT tgisinternal")).scalars().all()
    assert "halve_total" not in names
    assert len(names) == 16
    _copy_lines(engine, [(good, 2, 5)])


def test_downgrading_past_0016_puts_the_constraints_back_and_upgrading_again_the_triggers(
    empty_database_url: str,
) -> None:
    engine = make_engine(empty_database_url)
    try:
        upgrade(engine)
        config = alembic_config()
        with engine.begin() as connection:
            config.attributes["connection"] = connection
            command.downgrade(config, "0015")
        assert _foreign_keys(engine) == EVERY_KEY
        upgrade(engine)
        expected = set() if engine.dialect.name == "postgresql" else EVERY_KEY
        assert _foreign_keys(engine) == expected
    finally:
        engine.dispose()


EVERY_KEY = {
    ("document_lines", "documents"),
    ("allocations", "documents"),
    ("revisions", "documents"),
    ("revisions", "sync_runs"),
}


def _foreign_keys(engine: Engine) -> set[tuple[str, str]]:
    found = inspect(engine)
    return {
        (table, key["referred_table"])
        for table in ("document_lines", "allocations", "revisions")
        for key in found.get_foreign_keys(table)
    }
