"""What a backup file is and holds, read by the store (issue 16: the store is the only owner of SQL):
the SQLite copy and restore (online backup API), a backup's schema revision, its objects, its first
secret or token and its audit head — from a SQLite file, or from a pg_dump custom-format file through
`pg_restore`. What restore then accepts is decided by sync/restore_safety.py (ADR 0020)."""

from __future__ import annotations

import importlib
import sqlite3
import subprocess
import tempfile
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine, text

from store.audit_tables import audit_log  # noqa: F401 - and the audit log's
from store.db import is_known_revision, make_engine, upgrade
from store.reconcile_tables import reconcile_runs  # noqa: F401 - and reconciliation's
from store.schema import metadata
from store.statement_keys import SINCE as STATEMENT_KEYS_SINCE
from store.statement_keys import function_names, reinstall_after_restore, trigger_names
from store.tables import documents  # noqa: F401 - registers the ledger's tables in `metadata`

_LEDGER_TABLES = frozenset({"alembic_version", "documents", "revisions", "sync_state", "sync_runs"})


class ForeignFile(Exception):
    """The file is not a ledgerbridge database (or not one this code can use)."""


class CopyFailed(Exception):
    """SQLite could not copy the database (its own words are the message)."""


@dataclass(frozen=True)
class Head:
    """The audit chain's head row of a backup: its sequence number, MAC and sealing scheme."""

    seq: int
    mac: str
    scheme: str

    def as_json(self) -> dict[str, object]:
        return {"seq": self.seq, "mac": self.mac, "scheme": self.scheme}


# ----------------------------------------------------------------------------- SQLite


def copy_sqlite(source: Path, target: Path) -> None:
    """Copy the live database `source` page by page (SQLite's online backup API, safe while others
    write) into `target`, left as one self-contained file (no WAL)."""
    try:
        with closing(sqlite3.connect(source)) as src, closing(sqlite3.connect(target)) as dst:
            src.backup(dst)
            dst.execute("PRAGMA journal_mode=DELETE")  # a self-contained single file
    except sqlite3.Error as exc:
        raise CopyFailed(str(exc)) from exc


def restore_sqlite(backup_file: Path, live: Path) -> None:
    """Replace the live database's contents with the backup's, page by page."""
    try:
        with closing(sqlite3.connect(backup_file)) as src, closing(sqlite3.connect(live)) as dst:
            src.backup(dst)
    except sqlite3.Error as exc:
        raise CopyFailed(str(exc)) from exc


def sqlite_revision(path: Path) -> str:
    """The schema revision of a SQLite backup, or ForeignFile saying why it is not usable here."""
    try:
        with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as conn:
            tables = {name for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
            if not tables >= _LEDGER_TABLES:
                raise ForeignFile("a SQLite database, but not a ledgerbridge ledger (its tables are missing)")
            if conn.execute("PRAGMA quick_check").fetchone() != ("ok",):
                raise ForeignFile("the database file is damaged (integrity check failed)")
            rows = conn.execute("SELECT version_num FROM alembic_version").fetchall()
    except sqlite3.DatabaseError as exc:
        raise ForeignFile(f"unreadable as SQLite: {exc}") from exc
    if len(rows) != 1:
        raise ForeignFile("its schema version is missing")
    return known_revision(str(rows[0][0]))


def known_revision(revision: str) -> str:
    """`revision` if this code knows it, else ForeignFile."""
    if not is_known_revision(revision):
        raise ForeignFile(f"schema revision {revision!r} is unknown to this version of ledgerbridge (newer?)")
    return revision


def sqlite_objects(path: Path) -> frozenset[tuple[str, str, str]]:
    """(type, name, table) of every object in a SQLite file's sqlite_master."""
    with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as conn:
        return _objects(conn)


_TEMPLATES: dict[str, frozenset[tuple[str, str, str]]] = {}


def sqlite_objects_at(revision: str) -> frozenset[tuple[str, str, str]]:
    """The same for a fresh database migrated to `revision` (built once per revision)."""
    if revision not in _TEMPLATES:
        with tempfile.TemporaryDirectory() as folder:
            engine = make_engine(f"sqlite:///{Path(folder) / 'template.db'}")
            try:
                upgrade(engine, revision)
            finally:
                engine.dispose()
            with closing(sqlite3.connect(Path(folder) / "template.db")) as conn:
                _TEMPLATES[revision] = _objects(conn)
    return _TEMPLATES[revision]


def _objects(conn: sqlite3.Connection) -> frozenset[tuple[str, str, str]]:
    rows = conn.execute("SELECT type, name, tbl_name FROM sqlite_master WHERE name NOT LIKE 'sqlite_%'")
    return frozenset((str(kind), str(name), str(table)) for kind, name, table in rows)


def sqlite_contents(path: Path) -> tuple[list[tuple[str, str]], Head | None]:
    """(label, ciphertext) of a secret or token, and the audit head, of a SQLite backup."""
    with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as conn:
        cipher = [
            (f"secret:{name}", value)
            for name, value in conn.execute("SELECT name, ciphertext FROM secrets LIMIT 1")
        ]
        cipher += [
            (f"token:{key}", value)
            for key, value in conn.execute("SELECT key, ciphertext FROM tokens LIMIT 1")
        ]
        columns = {row[1] for row in conn.execute("PRAGMA table_info(audit_head)")}
        head = None
        if columns:
            scheme = "scheme" if "scheme" in columns else "'sha256'"
            row = conn.execute(f"SELECT seq, hash, {scheme} FROM audit_head WHERE id = 1").fetchone()  # noqa: S608 - fixed names
            head = None if row is None else Head(int(row[0]), str(row[1]), str(row[2]))
    return cipher, head


# ----------------------------------------------------------------------------- pg_dump


def register_all_tables() -> None:
    """Import every `store/*tables.py` module, so `metadata` holds every table a migration creates (a new
    table module is found by its name, never by remembering to import it here)."""
    package = Path(__file__).parent
    for module in sorted(package.glob("*tables.py")):
        importlib.import_module(f"store.{module.stem}")


def ledger_schema_names() -> tuple[frozenset[str], frozenset[str]]:
    """The names of the tables (with alembic_version) and of the indexes ledgerbridge creates."""
    register_all_tables()
    tables = frozenset(metadata.tables) | {"alembic_version"}
    indexes = frozenset(
        index.name for table in metadata.tables.values() for index in table.indexes if index.name
    )
    return tables, indexes


def ledger_triggers() -> tuple[frozenset[str], frozenset[str]]:
    """How a pg_dump listing names ledgerbridge's own trigger functions ("name()") and triggers
    ("table name") on PostgreSQL (store/statement_keys.py, ADR 0037)."""
    functions = frozenset(f"{name}()" for name in function_names())
    return functions, frozenset(f"{table} {name}" for table, name in trigger_names())


def without_triggers(listing: str) -> str:
    """A pg_restore --list with every FUNCTION and TRIGGER entry commented out: a restore creates the
    tables, data, indexes and constraints of the dump, and ledgerbridge's own triggers from its code
    (`reinstall_triggers`), never a function body or trigger the file carries."""
    kept = []
    for line in listing.splitlines():
        parts = line.split(None, 4)  # "12; 1255 16390 FUNCTION public name() owner"
        skip = not line.startswith(";") and len(parts) > 3 and parts[3] in ("FUNCTION", "TRIGGER")
        kept.append(f";{line}" if skip else line)
    return "\n".join(kept) + "\n"


def reinstall_triggers(engine: Engine) -> None:
    """After a PostgreSQL restore: ledgerbridge's foreign-key triggers, if the restored schema has them."""
    with engine.begin() as conn:
        revision = conn.execute(text("SELECT version_num FROM alembic_version")).scalar_one()
        if str(revision) >= STATEMENT_KEYS_SINCE:
            reinstall_after_restore(conn)


def pg_dump_revision(tool: str, path: Path) -> str:
    """The schema revision of a pg_dump custom-format file (`tool` is pg_restore), or ForeignFile."""
    listing = subprocess.run(  # noqa: S603 - fixed tool, arguments passed as a list
        [tool, "--list", str(path)], capture_output=True, text=True, check=False
    )
    if listing.returncode != 0:
        raise ForeignFile(f"pg_restore cannot read it: {listing.stderr.strip()}")
    if (
        " TABLE DATA public alembic_version " not in listing.stdout
        or " TABLE public documents " not in listing.stdout
    ):
        raise ForeignFile("a pg_dump file, but not of a ledgerbridge database")
    data = subprocess.run(  # noqa: S603 - fixed tool, arguments passed as a list
        [tool, "--data-only", "--table=alembic_version", "--file=-", str(path)],
        capture_output=True,
        text=True,
        check=False,
    )
    lines = data.stdout.splitlines()
    try:
        start = next(i for i, line in enumerate(lines) if line.startswith("COPY public.alembic_version"))
    except StopIteration as exc:
        raise ForeignFile("its schema version is missing") from exc
    return known_revision(lines[start + 1].strip())


def pg_dump_contents(tool: str, path: Path) -> tuple[list[tuple[str, str]], Head | None]:
    """(label, ciphertext) of a secret or token, and the audit head, read from a pg_dump custom-format
    file (its COPY data)."""
    cipher = [(f"secret:{r[0]}", r[1]) for r in _copy_rows(tool, path, "secrets")[:1]]
    cipher += [(f"token:{r[0]}", r[1]) for r in _copy_rows(tool, path, "tokens")[:1]]
    heads = _copy_rows(tool, path, "audit_head")
    head = None
    if heads:
        row = heads[0]  # id, seq, hash[, scheme]
        head = Head(int(row[1]), row[2], row[3] if len(row) > 3 else "sha256")
    return cipher, head


def _copy_rows(tool: str, path: Path, table: str) -> list[list[str]]:
    data = subprocess.run(  # noqa: S603 - fixed tool, arguments passed as a list
        [tool, "--data-only", f"--table={table}", "--file=-", str(path)],
        capture_output=True,
        text=True,
        check=False,
    )
    rows: list[list[str]] = []
    copying = False
    for line in data.stdout.splitlines():
        if line.startswith(f"COPY public.{table} "):
            copying = True
        elif copying and line == "\\.":
            break
        elif copying:
            rows.append(line.split("\t"))
    return rows
