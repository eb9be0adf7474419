"""The web app's users, sessions and failed logins: argon2id password hashes, server-side sessions kept as
hashes of their tokens, and the counts that throttle login guessing (ADR 0028). Every change to a user
is audited in the same transaction as the change."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import Connection, Engine, delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from store.audit_log import append_audit
from store.db import write_transaction
from store.web_tables import login_failures, users, web_sessions

Clock = Callable[[], datetime]
NAME_MAX = 100


class Role(StrEnum):
    VIEWER = "viewer"
    REVIEWER = "reviewer"
    ADMIN = "admin"


class UserError(Exception):
    """A user change that cannot be made (a name taken, no such user); the message says which."""


class UnknownUser(UserError):
    pass


class UserExists(UserError):
    pass


@dataclass(frozen=True)
class User:
    id: int
    name: str
    role: Role
    lang: str | None
    created_at: datetime
    disabled_at: datetime | None

    @property
    def enabled(self) -> bool:
        return self.disabled_at is None

    def as_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "role": str(self.role),
            "lang": self.lang,
            "created_at": self.created_at.isoformat(),
            "disabled_at": None if self.disabled_at is None else self.disabled_at.isoformat(),
        }


@dataclass(frozen=True)
class Session:
    """A logged-in browser: its user, its CSRF token, when it began and was last used."""

    user: User
    csrf_token: str
    created_at: datetime
    last_seen_at: datetime


def _utc_now() -> datetime:
    return datetime.now(UTC)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class PasswordHashing:
    """argon2id (argon2-cffi's defaults: RFC 9106's second recommended parameters, which it keeps current);
    a hash made under older parameters is replaced at the next successful login."""

    def __init__(self, hasher: PasswordHasher | None = None) -> None:
        self._hasher = hasher or PasswordHasher()
        self._dummy: str | None = None

    def hash(self, password: str) -> str:
        return self._hasher.hash(password)

    def verify(self, stored: str | None, password: str) -> bool:
        """Whether `password` matches; an unknown user (`stored` None) costs the same time as a known one."""
        if stored is None and self._dummy is None:
            self._dummy = self._hasher.hash(secrets.token_hex(16))
        try:
            return self._hasher.verify(stored or self._dummy or "", password) and stored is not None
        except (VerificationError, InvalidHashError):
            return False

    def needs_rehash(self, stored: str) -> bool:
        return self._hasher.check_needs_rehash(stored)


class SqlUserStore:
    """Users, their sessions and failed logins in the database. `actor` names who made a change, for the
    audit log (the OS user for the CLI, the web user for the web app)."""

    def __init__(self, engine: Engine, *, clock: Clock = _utc_now, hashing: PasswordHashing | None = None):
        self._engine = engine
        self._clock = clock
        self._hashing = hashing or PasswordHashing()

    def reachable(self) -> bool:
        """Whether the database answers (the web app's health check)."""
        try:
            with self._engine.connect() as conn:
                conn.execute(select(func.count()).select_from(users).where(users.c.id == 0))
        except SQLAlchemyError:
            return False
        return True

    # ------------------------------------------------------------------------- users

    def add(self, name: str, role: Role, password: str, *, actor: str, via: str = "cli") -> User:
        _check_name(name)
        now = self._clock()
        digest = self._hashing.hash(password)
        try:
            with write_transaction(self._engine) as conn:
                new_id = conn.execute(
                    insert(users)
                    .values(name=name, role=str(role), password_hash=digest, created_at=now, updated_at=now)
                    .returning(users.c.id)
                ).scalar_one()
                append_audit(
                    conn, actor, "user.add", {"user": name, "role": str(role), "via": via}, clock=self._clock
                )
        except IntegrityError as exc:
            raise UserExists(f"a user named {name!r} exists") from exc
        return User(int(new_id), name, role, None, now, None)

    def get(self, name: str) -> User | None:
        with self._engine.connect() as conn:
            row = conn.execute(select(users).where(users.c.name == name)).first()
        return None if row is None else _user(row._mapping)

    def list(self) -> list[User]:
        with self._engine.connect() as conn:
            rows = conn.execute(select(users).order_by(users.c.name)).all()
        return [_user(row._mapping) for row in rows]

    def disable(self, name: str, *, actor: str, via: str = "cli") -> User:
        """Refuse the user's logins from now on and end their sessions."""
        now = self._clock()
        values = {"disabled_at": func.coalesce(users.c.disabled_at, now), "updated_at": now}
        return self._update_ending_sessions(name, values, "user.disable", actor=actor, via=via)

    def enable(self, name: str, *, actor: str, via: str = "cli") -> User:
        now = self._clock()
        with write_transaction(self._engine) as conn:
            user = self._require(conn, name)
            conn.execute(update(users).where(users.c.id == user.id).values(disabled_at=None, updated_at=now))
            append_audit(conn, actor, "user.enable", {"user": name, "via": via}, clock=self._clock)
        return self._reload(name)

    def reset_password(self, name: str, password: str, *, actor: str, via: str = "cli") -> User:
        """Set a new password and end every session of the user (a stolen session dies with the old one)."""
        now = self._clock()
        digest = self._hashing.hash(password)
        values = {"password_hash": digest, "updated_at": now}
        return self._update_ending_sessions(name, values, "user.reset_password", actor=actor, via=via)

    def _update_ending_sessions(
        self, name: str, values: dict[str, Any], action: str, *, actor: str, via: str
    ) -> User:
        """Set `values` on the user's row, end all its sessions and audit `action`, in one transaction."""
        with write_transaction(self._engine) as conn:
            user = self._require(conn, name)
            conn.execute(update(users).where(users.c.id == user.id).values(**values))
            ended = conn.execute(delete(web_sessions).where(web_sessions.c.user_id == user.id)).rowcount
            append_audit(
                conn,
                actor,
                action,
                {"user": name, "sessions_ended": ended, "via": via},
                clock=self._clock,
            )
        return self._reload(name)

    def set_lang(self, name: str, lang: str | None, *, actor: str, via: str = "web") -> None:
        now = self._clock()
        with write_transaction(self._engine) as conn:
            user = self._require(conn, name)
            conn.execute(update(users).where(users.c.id == user.id).values(lang=lang, updated_at=now))
            append_audit(
                conn, actor, "user.set_lang", {"user": name, "lang": lang, "via": via}, clock=self._clock
            )

    def check_password(self, name: str, password: str) -> User | None:
        """The enabled user whose password this is, else None (unknown, disabled or wrong: one answer,
        in about the same time). An outdated hash is upgraded on the way."""
        with self._engine.connect() as conn:
            row = conn.execute(select(users).where(users.c.name == name)).first()
        stored = None if row is None else str(row.password_hash)
        if not self._hashing.verify(stored, password) or row is None or row.disabled_at is not None:
            return None
        if stored is not None and self._hashing.needs_rehash(stored):
            with write_transaction(self._engine) as conn:
                conn.execute(
                    update(users)
                    .where(users.c.id == row.id)
                    .values(password_hash=self._hashing.hash(password))
                )
        return _user(row._mapping)

    # ------------------------------------------------------------------------- failed logins

    def record_failure(self, username: str, address: str, *, actor: str, reason: str) -> None:
        """Count one failed login (for the throttle) and audit it; rows older than a day are dropped."""
        now = self._clock()
        with write_transaction(self._engine) as conn:
            conn.execute(
                insert(login_failures).values(
                    username=username[:NAME_MAX], address=address[:100], failed_at=now
                )
            )
            conn.execute(delete(login_failures).where(login_failures.c.failed_at < now - timedelta(days=1)))
            append_audit(
                conn,
                actor,
                "web.login_failed",
                {"user": username[:NAME_MAX], "address": address, "reason": reason},
                clock=self._clock,
            )

    def recent_failures(self, username: str, address: str, since: datetime) -> tuple[int, int]:
        """Failed logins since `since`: (for this user name, from this address)."""
        count = select(func.count()).select_from(login_failures).where(login_failures.c.failed_at >= since)
        with self._engine.connect() as conn:
            by_user = conn.execute(count.where(login_failures.c.username == username[:NAME_MAX])).scalar_one()
            by_address = conn.execute(count.where(login_failures.c.address == address[:100])).scalar_one()
        return int(by_user), int(by_address)

    def clear_failures(self, username: str) -> None:
        with write_transaction(self._engine) as conn:
            conn.execute(delete(login_failures).where(login_failures.c.username == username[:NAME_MAX]))

    # ------------------------------------------------------------------------- sessions

    def open_session(
        self,
        user: User,
        *,
        address: str,
        replaces: str | None = None,
        detail: Mapping[str, Any] | None = None,
    ) -> tuple[str, str]:
        """A new session for `user` (a fresh token: the one the browser had before, `replaces`, ends),
        audited as `web.login`. Returns (cookie token, CSRF token)."""
        now = self._clock()
        token, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
        with write_transaction(self._engine) as conn:
            if replaces:
                conn.execute(delete(web_sessions).where(web_sessions.c.token_hash == hash_token(replaces)))
            conn.execute(
                insert(web_sessions).values(
                    token_hash=hash_token(token),
                    user_id=user.id,
                    csrf_token=csrf,
                    created_at=now,
                    last_seen_at=now,
                    address=address[:100],
                )
            )
            append_audit(
                conn, user.name, "web.login", {"address": address, **(detail or {})}, clock=self._clock
            )
        return token, csrf

    def session(
        self, token: str, *, idle: timedelta, lifetime: timedelta, touch_after: timedelta
    ) -> Session | None:
        """The live session of a cookie token, its use recorded; None (and the row gone) when it is unknown,
        idle longer than `idle`, older than `lifetime`, or its user was disabled."""
        now = self._clock()
        key = hash_token(token)
        query = (
            select(
                users,
                web_sessions.c.csrf_token,
                web_sessions.c.created_at.label("session_created_at"),
                web_sessions.c.last_seen_at,
            )
            .join(users, users.c.id == web_sessions.c.user_id)
            .where(web_sessions.c.token_hash == key)
        )
        with self._engine.connect() as conn:
            row = conn.execute(query).first()
        if row is None:
            return None
        found = row._mapping
        began, last_seen = found["session_created_at"], found["last_seen_at"]
        if now - last_seen > idle or now - began > lifetime or found["disabled_at"] is not None:
            self.close_session(token)
            return None
        if now - last_seen >= touch_after:  # one write a minute, not one per request
            with write_transaction(self._engine) as conn:
                conn.execute(
                    update(web_sessions).where(web_sessions.c.token_hash == key).values(last_seen_at=now)
                )
            last_seen = now
        return Session(_user(found), str(found["csrf_token"]), began, last_seen)

    def close_session(self, token: str, *, actor: str | None = None) -> None:
        """End a session; with `actor`, audited as `web.logout`."""
        with write_transaction(self._engine) as conn:
            ended = conn.execute(delete(web_sessions).where(web_sessions.c.token_hash == hash_token(token)))
            if actor is not None and ended.rowcount:
                append_audit(conn, actor, "web.logout", {}, clock=self._clock)

    def purge_sessions(self, idle: timedelta, lifetime: timedelta) -> int:
        now = self._clock()
        with write_transaction(self._engine) as conn:
            stale = (web_sessions.c.last_seen_at < now - idle) | (web_sessions.c.created_at < now - lifetime)
            return int(conn.execute(delete(web_sessions).where(stale)).rowcount)

    # ------------------------------------------------------------------------- helpers

    def _require(self, conn: Connection, name: str) -> User:
        row = conn.execute(select(users).where(users.c.name == name)).first()
        if row is None:
            raise UnknownUser(f"no user named {name!r}")
        return _user(row._mapping)

    def _reload(self, name: str) -> User:
        user = self.get(name)
        if user is None:  # pragma: no cover - just written
            raise UnknownUser(f"no user named {name!r}")
        return user


def _check_name(name: str) -> None:
    if not name or len(name) > NAME_MAX or not name.isprintable() or name != name.strip():
        raise UserError(f"a user name is 1-{NAME_MAX} printable characters without surrounding spaces")


def _user(row: Any) -> User:
    """A User from a row's mapping."""
    return User(
        id=int(row["id"]),
        name=str(row["name"]),
        role=Role(row["role"]),
        lang=row["lang"],
        created_at=row["created_at"],
        disabled_at=row["disabled_at"],
    )
