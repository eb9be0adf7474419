"""PostgreSQL's foreign keys of a page write's tables as statement-level triggers (migration 0016,
ADR 0037): the four keys a page write checks (lines, allocations and revisions of a document, a revision's
sync run) as one anti-join over each statement's transition table, and the parent side (ON DELETE CASCADE
or NO ACTION, an id update, a TRUNCATE) as the constraints did it. The migration installs them; a restore
re-installs them from here, so a dump's own function bodies and triggers never run (ADR 0020)."""

# ruff: noqa: S608 - the SQL is built from the fixed table and column names below, never from input

from __future__ import annotations

from sqlalchemy import Connection, text

SINCE = "0016"
"""The schema revision that replaced the constraints by these triggers."""

# (child table, its column, the parent table, the constraint's ON DELETE): the names are migration 0001's.
FOREIGN_KEYS = (
    ("document_lines", "document_id", "documents", "CASCADE"),
    ("allocations", "document_id", "documents", "CASCADE"),
    ("revisions", "document_id", "documents", "CASCADE"),
    ("revisions", "sync_run_id", "sync_runs", "NO ACTION"),
)
PARENTS = ("documents", "sync_runs")


def constraint_name(child: str, column: str, parent: str) -> str:
    return f"fk_{child}_{column}_{parent}"


def _children(parent: str) -> list[tuple[str, str, str]]:
    return [(child, column, on_delete) for child, column, up, on_delete in FOREIGN_KEYS if up == parent]


def _violation(table: str, name: str, detail: str) -> str:
    """RAISE as the constraint did: SQLSTATE 23503 (psycopg's ForeignKeyViolation, an IntegrityError). The
    text is joined with ||, no format(): the driver would take a `%s` in the statement for a parameter."""
    return (
        f"RAISE EXCEPTION USING ERRCODE = 'foreign_key_violation', CONSTRAINT = '{name}', TABLE = '{table}',"
        f' MESSAGE = \'insert, update or delete on table "{table}" violates foreign key "{name}"'
        f" (trigger, ADR 0037): ' || {detail};"
    )


def _child_check(child: str, column: str, parent: str) -> list[str]:
    """AFTER INSERT and AFTER UPDATE of the child, once per statement (a COPY included): any new row whose
    key names no parent row refuses the statement."""
    name = constraint_name(child, column, parent)
    detail = f"'{column} = ' || orphan || ' is not present in table \"{parent}\"'"
    body = f"""
        DECLARE orphan bigint;
        BEGIN
            SELECT n.{column} INTO orphan FROM ledger_new_rows AS n
             WHERE n.{column} IS NOT NULL
               AND NOT EXISTS (SELECT 1 FROM {parent} AS p WHERE p.id = n.{column})
             LIMIT 1;
            IF FOUND THEN
                {_violation(child, name, detail)}
            END IF;
            RETURN NULL;
        END"""
    return [
        f"CREATE OR REPLACE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $${body}$$",
        *(
            f"CREATE TRIGGER {name}_{event.lower()} AFTER {event} ON {child}"
            f" REFERENCING NEW TABLE AS ledger_new_rows FOR EACH STATEMENT EXECUTE FUNCTION {name}()"
            for event in ("INSERT", "UPDATE")
        ),
    ]


def _parent_side(parent: str) -> list[str]:
    """DELETE of the parent: first lock its child tables against writers (SHARE ROW EXCLUSIVE: a writer
    in flight is waited for, a later one waits for this commit: what the row-level KEY SHARE locks
    gave), then CASCADE set-based or refuse as NO ACTION did. An UPDATE of the parent's id that leaves a
    child behind and a TRUNCATE of the parent alone that leaves children are refused too."""
    children = _children(parent)
    tables = ", ".join(sorted({child for child, _, _ in children}))
    deleted = []
    for child, column, on_delete in children:
        name = constraint_name(child, column, parent)
        if on_delete == "CASCADE":
            deleted.append(f"DELETE FROM {child} WHERE {column} IN (SELECT id FROM ledger_old_rows);")
            continue
        detail = f"'key (id) = ' || orphan || ' is still referenced from table \"{child}\"'"
        deleted.append(
            f"SELECT c.{column} INTO orphan FROM {child} AS c"
            f" WHERE c.{column} IN (SELECT id FROM ledger_old_rows) LIMIT 1;"
            f" IF FOUND THEN {_violation(parent, name, detail)} END IF;"
        )
    kept = []
    for child, column, _ in children:
        name = constraint_name(child, column, parent)
        detail = f"'key (id) = ' || OLD.id || ' is still referenced from table \"{child}\"'"
        kept.append(
            f"IF EXISTS (SELECT 1 FROM {child} WHERE {column} = OLD.id) THEN"
            f" {_violation(parent, name, detail)} END IF;"
        )
    left = " OR ".join(f"EXISTS (SELECT 1 FROM {child})" for child in sorted({c for c, _, _ in children}))
    truncated = _violation(parent, f"fk_{parent}_truncate", "'its child tables still hold rows'")
    fn = f"ledger_{parent}"
    plpgsql = "RETURNS trigger LANGUAGE plpgsql AS"
    return [
        f"CREATE OR REPLACE FUNCTION {fn}_delete_lock() {plpgsql} $$ BEGIN"
        f" LOCK TABLE {tables} IN SHARE ROW EXCLUSIVE MODE; RETURN NULL; END $$",
        f"CREATE OR REPLACE FUNCTION {fn}_delete() {plpgsql} $$ DECLARE orphan bigint; BEGIN"
        f" {' '.join(deleted)} RETURN NULL; END $$",
        f"CREATE OR REPLACE FUNCTION {fn}_id_update() {plpgsql} $$ BEGIN {' '.join(kept)}"
        " RETURN NULL; END $$",
        f"CREATE OR REPLACE FUNCTION {fn}_truncate() {plpgsql} $$ BEGIN IF {left} THEN {truncated} END IF;"
        " RETURN NULL; END $$",
        f"CREATE TRIGGER {fn}_delete_lock BEFORE DELETE ON {parent}"
        f" FOR EACH STATEMENT EXECUTE FUNCTION {fn}_delete_lock()",
        f"CREATE TRIGGER {fn}_delete AFTER DELETE ON {parent}"
        f" REFERENCING OLD TABLE AS ledger_old_rows FOR EACH STATEMENT EXECUTE FUNCTION {fn}_delete()",
        f"CREATE TRIGGER {fn}_id_update AFTER UPDATE OF id ON {parent}"
        f" FOR EACH ROW WHEN (OLD.id IS DISTINCT FROM NEW.id) EXECUTE FUNCTION {fn}_id_update()",
        f"CREATE TRIGGER {fn}_truncate AFTER TRUNCATE ON {parent}"
        f" FOR EACH STATEMENT EXECUTE FUNCTION {fn}_truncate()",
    ]


def _functions() -> list[str]:
    return [constraint_name(child, column, parent) for child, column, parent, _ in FOREIGN_KEYS] + [
        f"ledger_{parent}_{what}"
        for parent in PARENTS
        for what in ("delete_lock", "delete", "id_update", "truncate")
    ]


def function_names() -> frozenset[str]:
    """The trigger functions ledgerbridge creates in the public schema."""
    return frozenset(_functions())


def trigger_names() -> frozenset[tuple[str, str]]:
    """(table, trigger) of every trigger ledgerbridge creates."""
    found = set()
    for statement in install_statements():
        if statement.startswith("CREATE TRIGGER "):
            words = statement.split()
            found.add((words[words.index("ON") + 1], words[2]))
    return frozenset(found)


def install_statements() -> list[str]:
    """Create (or replace) every function and trigger; the constraints are gone already."""
    statements = []
    for child, column, parent, _ in FOREIGN_KEYS:
        statements += _child_check(child, column, parent)
    for parent in PARENTS:
        statements += _parent_side(parent)
    return statements


def install(conn: Connection) -> None:
    for statement in install_statements():
        conn.exec_driver_sql(statement)  # as written: no text() parsing of `:name`


def reinstall_after_restore(conn: Connection) -> None:
    """After a pg_restore of a dump at SINCE or later: drop every trigger of the public schema's tables
    and create ledgerbridge's own functions and triggers over whatever the dump carried under their names
    (restore_safety only let those names through)."""
    rows = conn.execute(
        text(
            "SELECT t.tgname, c.relname FROM pg_trigger AS t JOIN pg_class AS c ON c.oid = t.tgrelid"
            " JOIN pg_namespace AS n ON n.oid = c.relnamespace"
            " WHERE n.nspname = 'public' AND NOT t.tgisinternal"
        )
    ).all()
    for trigger, table in rows:
        conn.exec_driver_sql(f'DROP TRIGGER "{trigger}" ON "{table}"')
    install(conn)
