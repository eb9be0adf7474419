"""The installation's seal: the keys that make the audit chain and the documents' digests tamper-evident,
and the audit head file that anchors the chain outside the database (ADR 0020).

The seal is derived from the secrets key (HKDF-SHA256, its own label; then one HMAC label per use), so it
lives wherever that key lives ($LEDGERBRIDGE_SECRET_KEY or the key file) and never in the database:
whoever can write the database but not read the key cannot forge a chain row or a document digest. A
database restored under another key fails both checks; `secret rotate-key` re-seals under the new key.
The head file (`<key name>.audit-head`, beside the key file) holds the newest audit row's id and MAC:
rows cut from the end of the log (with `audit_head` moved back) are caught by it.

Engines get their seal attached where they are opened (sync/bootstrap.py `open_engine`, the writer
process); an engine without one (library use, unit tests) seals with UNKEYED, a public key: a verify with
the installation's seal reports every row written that way.
"""

from __future__ import annotations

import base64
import contextlib
import fcntl
import hashlib
import hmac
import json
import os
import re
import threading
import weakref
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from sqlalchemy import Connection, Engine, event

HEAD_SUFFIX = ".audit-head"
_SEAL_LABEL = b"ledgerbridge seal v1"
_AUDIT_LABEL = b"ledgerbridge audit chain v1"
_DOCUMENT_LABEL = b"ledgerbridge document digest v1"


class SecretKeyError(Exception):
    """A key is missing, malformed, or not the one the database was encrypted or sealed with (defined
    here, below store.secrets, which re-exports it: the commands turn it into a one-line failure)."""


class SealError(SecretKeyError):
    """The seal key file or the audit head file cannot be read or is malformed."""


@dataclass(frozen=True)
class Seal:
    """The keys derived from one seal key (HMAC-SHA256 with a label each: the audit chain's MACs can
    never be replayed as document digests), and where the audit head is anchored (None: nowhere)."""

    audit_key: bytes
    document_key: bytes
    fingerprint: str
    """First 16 hex digits of SHA-256 over a third derived value: names the key, reveals nothing."""
    head_file: Path | None
    origin: str

    @classmethod
    def from_key(cls, key: bytes, *, head_file: Path | None, origin: str) -> Seal:
        return cls(
            audit_key=hmac.digest(key, _AUDIT_LABEL, "sha256"),
            document_key=hmac.digest(key, _DOCUMENT_LABEL, "sha256"),
            fingerprint=fingerprint(key),
            head_file=head_file,
            origin=origin,
        )

    def audit_mac(self, material: bytes) -> str:
        return hmac.digest(self.audit_key, material, "sha256").hex()

    def document_digest(self, material: bytes) -> str:
        return hmac.digest(self.document_key, material, "sha256").hex()


def fingerprint(key: bytes) -> str:
    return hashlib.sha256(hmac.digest(key, b"ledgerbridge key fingerprint", "sha256")).hexdigest()[:16]


UNKEYED_ORIGIN = "unkeyed (no seal key attached)"
UNKEYED = Seal.from_key(b"ledgerbridge-unkeyed-public-seal", head_file=None, origin=UNKEYED_ORIGIN)


def head_file_for(key_file: Path, database: str | None = None) -> Path:
    """The audit head file beside the secrets key file `key_file`: `<key name>.audit-head`, or
    `<key name>.<database>.audit-head` for a server database (several may share one key's folder)."""
    if not database:
        return key_file.with_name(key_file.stem + HEAD_SUFFIX)
    safe = re.sub(r"[^A-Za-z0-9_.-]", "_", database)
    return key_file.with_name(f"{key_file.stem}.{safe}{HEAD_SUFFIX}")


def seal_from_secret_key(fernet_key: bytes, *, head_file: Path | None, origin: str) -> Seal:
    """The seal derived from the installation's secrets key (HKDF-SHA256 with its own label)."""
    try:
        raw = base64.urlsafe_b64decode(fernet_key)
    except ValueError as exc:
        raise SealError(f"{origin} is not a valid key") from exc
    master = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_SEAL_LABEL).derive(raw)
    return Seal.from_key(master, head_file=head_file, origin=origin)


# ----------------------------------------------------------------------------- engines and their seal

_LOADERS: weakref.WeakKeyDictionary[Engine, Callable[[], Seal]] = weakref.WeakKeyDictionary()
_LOADED: weakref.WeakKeyDictionary[Engine, Seal] = weakref.WeakKeyDictionary()
_GUARD = threading.Lock()


def attach_seal(engine: Engine, seal: Seal | Callable[[], Seal]) -> None:
    """Seal what `engine` writes with `seal` (or the seal a loader returns on first use)."""
    with _GUARD:
        _LOADED.pop(engine, None)
        if not event.contains(engine, "commit", _anchor_on_commit):
            event.listen(engine, "commit", _anchor_on_commit)
            event.listen(engine, "rollback", _forget_on_rollback)
        if isinstance(seal, Seal):
            _LOADED[engine] = seal
        else:
            _LOADERS[engine] = seal


def seal_of(bind: Engine | Connection) -> Seal:
    engine = _base(bind)
    with _GUARD:
        found = _LOADED.get(engine)
        if found is not None:
            return found
        loader = _LOADERS.get(engine)
        if loader is None:
            return UNKEYED
        found = _LOADED[engine] = loader()
        return found


def _base(bind: Engine | Connection) -> Engine:
    engine = bind.engine if isinstance(bind, Connection) else bind
    while (proxied := getattr(engine, "_proxied", None)) is not None:  # execution_options() copies
        engine = proxied
    return engine


_PENDING = "ledgerbridge_audit_anchor"


def anchor_after_commit(connection: Connection, path: Path, seq: int, mac: str) -> None:
    """Move the head file to (seq, mac) when `connection`'s transaction commits (not if it rolls back)."""
    connection.info[_PENDING] = (path, seq, mac)


def _anchor_on_commit(connection: Connection) -> None:
    pending = connection.info.pop(_PENDING, None)
    if pending is not None:
        advance_anchor(*pending)


def _forget_on_rollback(connection: Connection) -> None:
    connection.info.pop(_PENDING, None)


# ----------------------------------------------------------------------------- the audit head file


@dataclass(frozen=True)
class Anchor:
    seq: int
    mac: str


def read_anchor(path: Path) -> Anchor | None:
    """The anchored head, or None when the file does not exist. SealError when it is unreadable."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return Anchor(int(data["seq"]), str(data["mac"]))
    except FileNotFoundError:
        return None
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise SealError(f"the audit head file {path} is unreadable: {exc}") from exc


def advance_anchor(path: Path, seq: int, mac: str) -> None:
    """Move the anchored head to (seq, mac) unless it already names a later row (appends committed by
    other processes may reach here out of order). Atomic (rename), 0600, serialized by a lock file."""
    with _locked(path.with_name(path.name + ".lock")):
        current = read_anchor(path)
        if current is not None and current.seq > seq:
            return
        write_anchor(path, seq, mac)


def write_anchor(path: Path, seq: int, mac: str) -> None:
    partial = path.with_name(f".{path.name}.partial")
    descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        handle.write(json.dumps({"seq": seq, "mac": mac}) + "\n")
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(partial, path)


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    descriptor = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX)
        yield
    finally:
        os.close(descriptor)


__all__ = [
    "UNKEYED",
    "Anchor",
    "Seal",
    "SealError",
    "SecretKeyError",
    "advance_anchor",
    "anchor_after_commit",
    "attach_seal",
    "fingerprint",
    "head_file_for",
    "read_anchor",
    "seal_from_secret_key",
    "seal_of",
    "write_anchor",
]
