"""Tables of the operations side: the append-only audit log, chained by keyed MACs (store/integrity.py),
and the daemon's job claims."""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, Integer, String, Table, Text

from store.schema import UtcDateTime, metadata

audit_log = Table(
    "audit_log",
    metadata,
    Column("id", BigInteger, primary_key=True, autoincrement=False, comment="1, 2, 3... without gaps"),
    Column("recorded_at", UtcDateTime(), nullable=False),
    Column("actor", String(200), nullable=False),
    Column("action", String(100), nullable=False),
    Column("detail", Text, nullable=False, comment="canonical JSON object, hashed exactly as stored"),
    Column("prev_hash", String(64), nullable=False),
    Column(
        "hash",
        String(64),
        nullable=False,
        comment="HMAC-SHA256 under the seal key of (prev_hash, id, time, actor, action, detail)",
    ),
)

audit_head = Table(
    "audit_head",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False, comment="always 1"),
    Column("seq", BigInteger, nullable=False, comment="id of the newest audit_log row"),
    Column("hash", String(64), nullable=False, comment="hash of the newest audit_log row"),
    Column(
        "scheme",
        String(64),
        nullable=False,
        server_default="sha256",
        comment="sha256 (unkeyed, before 0006) or hmac-sha256:<seal key fingerprint>",
    ),
)

job_claims = Table(
    "job_claims",
    metadata,
    Column("job", String(200), primary_key=True),
    Column("tick", UtcDateTime(), primary_key=True, comment="the scheduled fire time the claim is for"),
    Column("holder", Text, nullable=False, comment="host:pid of the daemon that ran it"),
    Column("claimed_at", UtcDateTime(), nullable=False),
)
