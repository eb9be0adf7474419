"""Whole-database maintenance the operations commands ask for: re-encrypting every secret and token
under a new key (`secret rotate-key`), and the locks around a restore (who else holds one; the restored
copy's leases, held by no one here). The shell asks; the SQL stays in the store (issue 16)."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from datetime import UTC, datetime

from sqlalchemy import Engine, delete, select, text, update

from config.settings import SECRET_PREFIX
from store.audit_log import append_audit, reseal_audit
from store.db import is_sqlite, write_transaction
from store.digests import reseal_documents
from store.integrity import attach_seal
from store.locks import advisory_key
from store.secrets import SecretBox
from store.tables import leases, secrets, tokens


def reencrypt_all(engine: Engine, old: SecretBox, new: SecretBox, actor: str) -> dict[str, int]:
    """Re-encrypt every secret and token from `old`'s key to `new`'s, re-seal the audit chain and the
    documents' digests (sealed with keys derived from the key, ADR 0020), and record the rotation under
    the new seal: all in one transaction. Returns how many secrets and tokens were re-encrypted."""
    counts = {"secrets": 0, "tokens": 0}
    with write_transaction(engine) as conn:
        for name, ciphertext in conn.execute(select(secrets.c.name, secrets.c.ciphertext)).all():
            label = f"{SECRET_PREFIX}{name}"
            fresh = new.encrypt(label, old.decrypt(label, ciphertext))
            conn.execute(update(secrets).where(secrets.c.name == name).values(ciphertext=fresh))
            counts["secrets"] += 1
        for key, ciphertext in conn.execute(select(tokens.c.key, tokens.c.ciphertext)).all():
            label = f"token:{key}"
            fresh = new.encrypt(label, old.decrypt(label, ciphertext))
            conn.execute(update(tokens).where(tokens.c.key == key).values(ciphertext=fresh))
            counts["tokens"] += 1
        # The audit chain and the documents' digests are sealed with keys derived from this key
        # (ADR 0020): re-seal them in the same transaction, then record the rotation under the new seal.
        old_seal = old.seal()
        new_seal = dataclasses.replace(new.seal(), head_file=old_seal.head_file, origin=old_seal.origin)
        documents, failing = reseal_documents(conn, old_seal, new_seal)
        resealed = {"audit_rows": reseal_audit(conn, old_seal, new_seal), "documents": documents}
        if failing:
            resealed["documents_failing"] = failing  # still fail under the new key: `audit verify`
        attach_seal(engine, new_seal)
        append_audit(conn, actor, "secret.rotate_key", {**counts, "resealed": resealed})
    return counts


def release_all_leases(engine: Engine) -> None:
    """Forget every SQLite lease: a restored copy's leases are held by no process here."""
    with write_transaction(engine) as conn:
        conn.execute(delete(leases))


def other_lock_holder(engine: Engine, ours: Sequence[str]) -> str | None:
    """Who holds a lock other than the named ones we hold (a token refresh, a connector no longer
    configured), in words; None when nobody does. SQLite: an unexpired lease; PostgreSQL: any granted
    advisory lock in this database whose key is not one of ours."""
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
