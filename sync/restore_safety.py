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

What a backup holds is read by the store (store/backups.py, store/maintenance.py); this module decides.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator, Mapping, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

from cryptography.fernet import InvalidToken

from reconcile.report.i18n import Catalogue
from store.backups import Head, ledger_schema_names, ledger_triggers, sqlite_objects, sqlite_objects_at
from store.db import Engine
from store.integrity import Seal
from store.locks import LockHeld, named_lock
from store.maintenance import other_lock_holder
from store.secrets import SecretBox, SecretKeyError

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
    "FUNCTION",
    "TRIGGER",
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


# ----------------------------------------------------------------------------- schema


def check_sqlite_schema(path: Path, revision: str) -> None:
    """Every object in the backup's sqlite_master is one a database migrated to `revision` has."""
    expected = sqlite_objects_at(revision)
    found = sqlite_objects(path)
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


def check_pg_listing(listing: str) -> None:
    """Every entry of the dump's table of contents is a table, index, sequence, constraint, default or
    comment of ledgerbridge's tables in the public schema: a trigger, view, function, rule, policy or
    extension (whatever pg_catalog entry it would create) is refused, but for ledgerbridge's own foreign-key
    triggers and their functions by name (ADR 0037), which the restore skips and creates anew."""
    tables, indexes = ledger_schema_names()
    functions, triggers = ledger_triggers()
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
        ours = functions if kind == "FUNCTION" else triggers if kind == "TRIGGER" else None
        if ours is not None and " ".join(words[1:3] if kind == "TRIGGER" else [name]) not in ours:
            raise UnsafeBackup("restore.foreign_pg_entry", entry=entry.rsplit(" ", 1)[0])


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


# ----------------------------------------------------------------------------- the locks


@contextmanager
def every_lock(engine: Engine, connectors: Sequence[str]) -> Iterator[None]:
    """Hold the daemon's and every connector's lock; LockHeld if any of them, or any other lock (a
    token refresh, a connector no longer configured), is held by someone else."""
    names = [DAEMON_LOCK, *(f"connector {name}" for name in connectors)]
    with ExitStack() as stack:
        for name in names:
            stack.enter_context(named_lock(engine, name, holder="restore"))
        other = other_lock_holder(engine, names)
        if other is not None:
            raise LockHeld(other, None)
        yield


# ----------------------------------------------------------------------------- the manifest


def write_manifest(backup: Path, manifest: Mapping[str, object]) -> Path:
    """`<backup>.manifest.json`, 0600: what the copy is, and its audit head (row and MAC)."""
    path = backup.with_name(backup.name + ".manifest.json")
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        json.dump(manifest, handle, indent=2, sort_keys=True)
        handle.write("\n")
    return path
