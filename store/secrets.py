"""Encrypted secrets and tokens in the database (Fernet): a copy of the database without the key reveals
nothing. The key comes from $LEDGERBRIDGE_SECRET_KEY or a key file that `ledgerbridge init` creates 0600."""

from __future__ import annotations

import json
import os
import re
import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import structlog
from cryptography.fernet import Fernet, InvalidToken
from sqlalchemy import Engine, delete, select
from sqlalchemy.engine import make_url

from store.db import normalize_url, write_transaction
from store.integrity import Seal, SecretKeyError, fingerprint, head_file_for, seal_from_secret_key
from store.locks import named_lock
from store.repository import _upsert
from store.tables import secrets, tokens

log = structlog.get_logger(__name__)

KEY_ENV = "LEDGERBRIDGE_SECRET_KEY"
DEFAULT_KEY_FILE = "ledgerbridge.key"
TOKEN_LOCK_WAIT_SECONDS = 120.0
SECRET_NAME_PATTERN = r"[A-Za-z0-9][A-Za-z0-9._\-]{0,199}"  # noqa: S105 - a pattern, not a password
"""A secret's name (`secret set`, the Connectors page): a letter or digit, then up to 199 letters, digits,
dots, underscores and hyphens. Valid as a Python and as an HTML `pattern` (JavaScript `v`) expression."""
_SECRET_NAME = re.compile(rf"^{SECRET_NAME_PATTERN}$")


def is_secret_name(name: str) -> bool:
    """Whether `name` may name a secret (SECRET_NAME_PATTERN)."""
    return _SECRET_NAME.match(name) is not None


def default_key_file(database_url: str, configured: str | None = None) -> Path:
    """settings.secret_key_file, else beside the SQLite file (`<name>.key`), else ./ledgerbridge.key."""
    if configured:
        return Path(configured)
    url = make_url(normalize_url(database_url))
    if url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:":
        database = Path(url.database)
        return database.with_name(f"{database.stem}.key")
    return Path(DEFAULT_KEY_FILE)


def create_key_file(path: Path) -> bool:
    """Write a new random key readable by the owner only (0600); never replaces an existing file."""
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return False
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(Fernet.generate_key() + b"\n")
    return True


def check_key_file_mode(path: Path) -> None:
    """Refuse a key file that the group or others may read or write (as ssh refuses a private key):
    whoever can read it can decrypt every secret. The error says the chmod that fixes it."""
    mode = path.stat().st_mode
    if mode & 0o077:
        raise SecretKeyError(
            f"the key file {path} is readable or writable by others (mode {mode & 0o777:o}): "
            f"run `chmod 600 {path}`"
        )


def _created(path: Path) -> bool:
    try:
        return create_key_file(path)
    except OSError:  # no such folder, read-only: the missing key is reported when it is read
        return False


class SecretBox:
    """Encrypts and decrypts values bound to their name (a ciphertext moved to another name is refused).

    The key is read on first use, so commands that need no secret work without one."""

    def __init__(self, key_file: Path, environ: Mapping[str, str], *, database: str | None = None) -> None:
        """`database`: the server database's name the audit head file is named after (None: SQLite)."""
        self._key_file = key_file
        self._database = database
        self._environ = environ
        self._fernet: Fernet | None = None
        self._key = b""

    @property
    def where(self) -> str:
        return f"${KEY_ENV}" if self._environ.get(KEY_ENV) else str(self._key_file)

    def encrypt(self, name: str, value: str) -> str:
        plain = json.dumps({"name": name, "value": value}, ensure_ascii=False).encode("utf-8")
        return self._cipher().encrypt(plain).decode("ascii")

    def decrypt(self, name: str, ciphertext: str) -> str:
        try:
            plain = json.loads(self._cipher().decrypt(ciphertext.encode("ascii")))
        except InvalidToken as exc:
            raise SecretKeyError(
                f"cannot decrypt {name!r}: the database was encrypted with another key (check {self.where})"
            ) from exc
        if plain.get("name") != name:
            raise SecretKeyError(
                f"the stored value of {name!r} belongs to {plain.get('name')!r}: refusing it"
            )
        return str(plain["value"])

    def seal(self) -> Seal:
        """The keys of the audit chain and the documents' digests, derived from this key (ADR 0020),
        with the audit head file beside the key file. An installation with no key at all (never
        `init`ed, nothing in the environment) gets its key file now, as `init` would write it: whatever
        it writes is sealed, and no secret could have been encrypted without a key."""
        if not self._environ.get(KEY_ENV) and _created(self._key_file):
            log.warning("secrets.key_created", key_file=str(self._key_file), why="the audit seal needs a key")
        self._cipher()
        head_file = head_file_for(self._key_file, self._database)
        return seal_from_secret_key(self._key, head_file=head_file, origin=self.where)

    @property
    def fingerprint(self) -> str:
        """Names the key without revealing it (16 hex digits)."""
        self._cipher()
        return fingerprint(self._key)

    def _cipher(self) -> Fernet:
        if self._fernet is None:
            self._fernet = self._load()
        return self._fernet

    def _load(self) -> Fernet:
        if self._environ.get(KEY_ENV):
            key, origin = self._environ[KEY_ENV].strip().encode("ascii"), f"${KEY_ENV}"
        else:
            try:
                check_key_file_mode(self._key_file)
                key, origin = self._key_file.read_bytes().strip(), str(self._key_file)
            except FileNotFoundError as exc:
                raise SecretKeyError(
                    f"no encryption key: set {KEY_ENV} or run `ledgerbridge init` to create {self._key_file}"
                ) from exc
        try:
            fernet = Fernet(key)
        except ValueError as exc:
            raise SecretKeyError(
                f"{origin} is not a valid key (32 url-safe base64 bytes, as `ledgerbridge init` writes)"
            ) from exc
        self._key = key
        return fernet


@dataclass(frozen=True)
class StoredToken:
    """A token as kept in the database; same fields as connectors.base.Token (sync/bootstrap.py adapts:
    the store sits below the connectors and does not import them)."""

    access_token: str
    expires_at: datetime
    extra: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class SecretInfo:
    name: str
    set_at: datetime


def _utc_now() -> datetime:
    return datetime.now(UTC)


class SqlSecretStore:
    """Named secrets (API client secrets...) encrypted in the `secrets` table."""

    def __init__(self, engine: Engine, box: SecretBox, clock: Callable[[], datetime] = _utc_now) -> None:
        self._engine = engine
        self._box = box
        self._clock = clock

    def set(self, name: str, value: str) -> None:
        row = {
            "name": name,
            "ciphertext": self._box.encrypt(f"secret:{name}", value),
            "set_at": self._clock(),
        }
        with write_transaction(self._engine) as conn:
            statement = _upsert(conn)(secrets).values(row)
            conn.execute(
                statement.on_conflict_do_update(
                    index_elements=["name"],
                    set_={"ciphertext": statement.excluded.ciphertext, "set_at": statement.excluded.set_at},
                )
            )

    def get(self, name: str) -> str | None:
        with self._engine.connect() as conn:
            ciphertext = conn.execute(select(secrets.c.ciphertext).where(secrets.c.name == name)).scalar()
        return None if ciphertext is None else self._box.decrypt(f"secret:{name}", ciphertext)

    def list(self) -> list[SecretInfo]:
        """Names and when they were set (never the values)."""
        with self._engine.connect() as conn:
            rows = conn.execute(select(secrets.c.name, secrets.c.set_at).order_by(secrets.c.name))
            return [SecretInfo(name=row.name, set_at=row.set_at) for row in rows]

    def delete(self, name: str) -> bool:
        with write_transaction(self._engine) as conn:
            return bool(conn.execute(delete(secrets).where(secrets.c.name == name)).rowcount)


class SqlTokenStore:
    """Access (and rotated refresh) tokens encrypted in the `tokens` table — the storage behind
    connectors.base.TokenStore; `refresh_lock` serializes refreshes across threads and processes."""

    def __init__(
        self,
        engine: Engine,
        box: SecretBox,
        clock: Callable[[], datetime] = _utc_now,
        *,
        lock_wait_seconds: float = TOKEN_LOCK_WAIT_SECONDS,
    ) -> None:
        self._engine = engine
        self._box = box
        self._clock = clock
        self._lock_wait = lock_wait_seconds
        self._threads: dict[str, threading.Lock] = {}
        self._guard = threading.Lock()

    def load(self, key: str) -> StoredToken | None:
        with self._engine.connect() as conn:
            ciphertext = conn.execute(select(tokens.c.ciphertext).where(tokens.c.key == key)).scalar()
        if ciphertext is None:
            return None
        data = json.loads(self._box.decrypt(f"token:{key}", ciphertext))
        return StoredToken(
            access_token=data["access_token"],
            expires_at=datetime.fromisoformat(data["expires_at"]),
            extra=dict(data.get("extra", {})),
        )

    def save(self, key: str, token: StoredToken | Any) -> None:
        """Save any object with access_token, expires_at (aware) and extra (connectors.base.Token)."""
        plain = json.dumps(
            {
                "access_token": token.access_token,
                "expires_at": token.expires_at.isoformat(),
                "extra": dict(token.extra),
            }
        )
        row = {"key": key, "ciphertext": self._box.encrypt(f"token:{key}", plain), "saved_at": self._clock()}
        with write_transaction(self._engine) as conn:
            statement = _upsert(conn)(tokens).values(row)
            conn.execute(
                statement.on_conflict_do_update(
                    index_elements=["key"],
                    set_={
                        "ciphertext": statement.excluded.ciphertext,
                        "saved_at": statement.excluded.saved_at,
                    },
                )
            )

    def refresh_deadlines(self) -> dict[str, datetime]:
        """Connector name -> when its refresh token dies, for every token row that says both (rows
        written by connectors.oauth2: `connector` and `refresh_expires_at` in the token's extra). Two
        rows of one connector (an old chain after a re-authorization): the latest saved wins."""
        with self._engine.connect() as conn:
            rows = conn.execute(select(tokens.c.key, tokens.c.ciphertext).order_by(tokens.c.saved_at)).all()
        found: dict[str, datetime] = {}
        for key, ciphertext in rows:
            try:
                extra = json.loads(self._box.decrypt(f"token:{key}", ciphertext)).get("extra", {})
            except SecretKeyError:
                continue
            connector, deadline = extra.get("connector"), extra.get("refresh_expires_at")
            if connector and deadline:
                found[str(connector)] = datetime.fromisoformat(deadline)
        return found

    def forget_all(self) -> int:
        """Delete every cached token (their issuer will not take them again, e.g. the demo's new
        sandboxes); the connectors sign in afresh. Returns how many were deleted."""
        with write_transaction(self._engine) as conn:
            return int(conn.execute(delete(tokens)).rowcount)

    @contextmanager
    def refresh_lock(self, key: str) -> Iterator[None]:
        with self._guard:
            local = self._threads.setdefault(key, threading.Lock())
        with (
            local,
            named_lock(self._engine, f"token {key}", wait_seconds=self._lock_wait, holder="token-refresh"),
        ):
            yield


__all__ = [
    "KEY_ENV",
    "SecretBox",
    "SecretInfo",
    "SecretKeyError",
    "SqlSecretStore",
    "SqlTokenStore",
    "StoredToken",
    "check_key_file_mode",
    "create_key_file",
    "default_key_file",
]
