"""What `restore` checks before it replaces the ledger (issue 13, ADR 0020), and what `backup` records:

- the schema: only the tables and indexes ledgerbridge creates at the backup's revision — no trigger,
  view, function or other object it did not make (SQLite: sqlite_master against a database migrated to
  the same revision; PostgreSQL: the dump's table of contents, the pg_catalog entries it would create);
- the key: the backup's secrets and tokens decrypt with this installation's key, and its audit chain is
  sealed with the seal derived from it (a database from another installation is refused, the key named
  by its fingerprint, never shown);
- the locks: restore takes the daemon's and every connector's lock and refuses while anything else holds
  a lock (a sync, a token refresh), so nothing writes into the database being replaced;
- the backup's manifest (`<backup>.manifest.json`): the audit head (row and MAC) of the copy, so that
  the head file kept outside the database can be checked against it or restored from it.
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from contextlib import ExitStack, closing, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from cryptography.fernet import InvalidToken
from sqlalchemy import Engine, text

from reconcile.report.i18n import Catalogue
from store.audit_tables import audit_log  # noqa: F401 - and the audit log's
from store.db import is_sqlite, make_engine, upgrade
from store.integrity import Seal
from store.locks import LockHeld, advisory_key, named_lock
from store.reconcile_tables import reconcile_runs  # noqa: F401 - and reconciliation's
from store.schema import metadata
from store.secrets import SecretBox, SecretKeyError
from store.tables import documents  # noqa: F401 - registers the ledger's tables in `metadata`

DAEMON_LOCK = "daemon"
_PG_ALLOWED = (
    "TABLE DATA",
    "TABLE",
    "INDEX",
    "SEQUENCE OWNED BY",
    "SEQUENCE SET",
    "SEQUENCE",
    "DEFAULT",
    "FK CONSTRAINT",
    "CONSTRAINT",
    "COMMENT",
)
"""Table-of-contents entry types of a pg_dump of a ledgerbridge database (longest prefix first)."""


class UnsafeBackup(Exception):
    """The backup carries something ledgerbridge did not make, or comes from another key. `key` and
    `params` word it from the catalogue in the reader's language; str() is the English."""

    def __init__(self, key: str, **params: object) -> None:
        self.key = key
        self.params = params
        super().__init__(Catalogue("en").text(key, **params))

    def words(self, catalogue: Catalogue) -> str:
        return catalogue.text(self.key, **{k: _worded(v, catalogue) for k, v in self.params.items()})


@dataclass(frozen=True)
class _Part:
    """A catalogue text nested in another one's placeholder."""

    key: str
    params: Mapping[str, object]


def _worded(value: object, catalogue: Catalogue) -> object:
    return catalogue.text(value.key, **value.params) if isinstance(value, _Part) else value


@dataclass(frozen=True)
class Head:
    seq: int
    mac: str
    scheme: str

    def as_json(self) -> dict[str, object]:
        return {"seq": self.seq, "mac": self.mac, "scheme": self.scheme}


# ----------------------------------------------------------------------------- schema


def check_sqlite_schema(path: Path, revision: str) -> None:
    """Every object in the backup's sqlite_master is one a database migrated to `revision` has."""
    expected = _sqlite_objects_at(revision)
    with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as conn:
        found = _sqlite_objects(conn)
    foreign = sorted(found - expected)
    if foreign:
        kind, name, table = foreign[0]
        raise UnsafeBackup(
            "restore.foreign_object",
            kind=kind,
            name=repr(name),
            where=_Part("restore.foreign_on", {"table": table}) if table != name else "",
            more=_Part("restore.foreign_more", {"count": len(foreign) - 1}) if len(foreign) > 1 else "",
        )


_TEMPLATES: dict[str, frozenset[tuple[str, str, str]]] = {}


def _sqlite_objects_at(revision: str) -> frozenset[tuple[str, str, str]]:
    if revision not in _TEMPLATES:
        with tempfile.TemporaryDirectory() as folder:
            engine = make_engine(f"sqlite:///{Path(folder) / 'template.db'}")
            try:
                upgrade(engine, revision)
            finally:
                engine.dispose()
            with closing(sqlite3.connect(Path(folder) / "template.db")) as conn:
                _TEMPLATES[revision] = _sqlite_objects(conn)
    return _TEMPLATES[revision]


def _sqlite_objects(conn: sqlite3.Connection) -> frozenset[tuple[str, str, str]]:
    rows = conn.execute("SELECT type, name, tbl_name FROM sqlite_master WHERE name NOT LIKE 'sqlite_%'")
    return frozenset((str(kind), str(name), str(table)) for kind, name, table in rows)


def check_pg_listing(listing: str) -> None:
    """Every entry of the dump's table of contents is a table, index, sequence, constraint, default or
    comment of ledgerbridge's tables in the public schema: a trigger, view, function, rule, policy or
    extension (whatever pg_catalog entry it would create) is refused."""
    tables = set(metadata.tables) | {"alembic_version"}
    indexes = {index.name for table in metadata.tables.values() for index in table.indexes}
    for line in listing.splitlines():
        if not line.strip() or line.startswith(";"):
            continue
        parts = line.split(None, 3)  # "12; 1259 16390 TABLE public documents owner"
        entry = parts[3] if len(parts) == 4 else line
        kind = next((k for k in _PG_ALLOWED if entry.startswith(k + " ")), None)
        if kind is None:
            raise UnsafeBackup("restore.foreign_pg_entry", entry=entry.rsplit(" ", 1)[0])
        words = entry[len(kind) :].split()
        schema, name = [*words, "", ""][:2]
        if schema != "public":
            raise UnsafeBackup("restore.foreign_schema", kind=kind, schema=schema, name=name)
        if kind in ("TABLE", "TABLE DATA") and name not in tables:
            raise UnsafeBackup("restore.foreign_table", name=repr(name))
        if kind == "INDEX" and name not in indexes:
            raise UnsafeBackup("restore.foreign_index", name=repr(name))


# ----------------------------------------------------------------------------- the key


def check_key(ciphertexts: Sequence[tuple[str, str]], head: Head | None, box: SecretBox, seal: Seal) -> None:
    """The backup's first secret or token decrypts with this installation's key, and its audit chain
    is sealed with the seal derived from that key. Nothing to check (an empty ledger) passes."""
    for label, ciphertext in ciphertexts[:1]:
        try:
            box.decrypt(label, ciphertext)
        except (SecretKeyError, InvalidToken, ValueError) as exc:
            raise UnsafeBackup("restore.other_key", fingerprint=box.fingerprint, where=box.where) from exc
    if head is not None and head.scheme.startswith("hmac-sha256:"):
        theirs = head.scheme.partition(":")[2]
        if theirs != seal.fingerprint:
            raise UnsafeBackup("restore.other_seal", theirs=theirs, ours=seal.fingerprint, where=box.where)


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


def pg_dump_contents(tool: str, path: Path) -> tuple[list[tuple[str, str]], Head | None]:
    """The same, read from a pg_dump custom-format file (its COPY data)."""
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


# ----------------------------------------------------------------------------- the locks


@contextmanager
def every_lock(engine: Engine, connectors: Sequence[str]) -> Iterator[None]:
    """Hold the daemon's and every connector's lock; LockHeld if any of them, or any other lock (a
    token refresh, a connector no longer configured), is held by someone else."""
    names = [DAEMON_LOCK, *(f"connector {name}" for name in connectors)]
    with ExitStack() as stack:
        for name in names:
            stack.enter_context(named_lock(engine, name, holder="restore"))
        other = _other_holder(engine, names)
        if other is not None:
            raise LockHeld(other, None)
        yield


def _other_holder(engine: Engine, ours: Sequence[str]) -> str | None:
    with engine.connect() as conn:
        if is_sqlite(engine):
            now = datetime.now(UTC).replace(tzinfo=None).isoformat(" ", "microseconds")
            for name, holder in conn.execute(
                text("SELECT name, holder FROM leases WHERE expires_at > :now"), {"now": now}
            ):
                if name not in ours:
                    return f"{name} (held by {holder.split('|', 1)[0]})"
            return None
        keys = {advisory_key(name) for name in ours}
        rows = conn.execute(
            text(
                "SELECT classid::bigint, objid::bigint, pid FROM pg_locks WHERE locktype = 'advisory' "
                "AND granted AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"
            )
        ).all()
        for high, low, pid in rows:
            key = int.from_bytes(((int(high) << 32) | int(low)).to_bytes(8, "big"), "big", signed=True)
            if key not in keys:
                return f"a lock of process {pid}"
    return None


# ----------------------------------------------------------------------------- the manifest


def write_manifest(backup: Path, manifest: Mapping[str, object]) -> Path:
    """`<backup>.manifest.json`, 0600: what the copy is, and its audit head (row and MAC)."""
    path = backup.with_name(backup.name + ".manifest.json")
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        json.dump(manifest, handle, indent=2, sort_keys=True)
        handle.write("\n")
    return path
