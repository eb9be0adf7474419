"""Tables of the web app: its users (argon2id password hashes), their server-side sessions and the
failed logins that throttle guessing (ADR 0028)."""

from __future__ import annotations

from sqlalchemy import Column, ForeignKey, Index, String, Table, Text

from store.schema import UtcDateTime, metadata
from store.tables import ID

users = Table(
    "users",
    metadata,
    Column("id", ID, primary_key=True, autoincrement=True),
    Column("name", String(100), nullable=False, unique=True),
    Column("role", String(16), nullable=False, comment="viewer | reviewer | admin"),
    Column("password_hash", Text, nullable=False, comment="argon2id, PHC string ($argon2id$...)"),
    Column("lang", String(5), comment="zh | en; NULL = the browser's Accept-Language"),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("updated_at", UtcDateTime(), nullable=False),
    Column("disabled_at", UtcDateTime(), comment="NULL = may log in"),
)

web_sessions = Table(
    "web_sessions",
    metadata,
    Column(
        "token_hash",
        String(64),
        primary_key=True,
        comment="SHA-256 of the cookie's token: a copy of the database opens no session",
    ),
    Column("user_id", ID, ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("csrf_token", String(64), nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("last_seen_at", UtcDateTime(), nullable=False),
    Column("address", String(100), comment="the client address at login"),
)

login_failures = Table(
    "login_failures",
    metadata,
    Column("id", ID, primary_key=True, autoincrement=True),
    Column("username", String(100), nullable=False),
    Column("address", String(100), nullable=False),
    Column("failed_at", UtcDateTime(), nullable=False),
    Index("ix_login_failures_username_failed_at", "username", "failed_at"),
    Index("ix_login_failures_address_failed_at", "address", "failed_at"),
)
