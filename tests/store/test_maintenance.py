"""Whole-database maintenance the store answers for the shell (issue 16): key rotation re-encrypts
every secret and token in one go, and restore learns who else holds a lock and forgets a copy's leases."""

from __future__ import annotations

import os
import socket
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, insert, select

from store.audit_log import list_audit
from store.db import is_sqlite, write_transaction
from store.integrity import attach_seal
from store.locks import named_lock
from store.maintenance import other_lock_holder, reencrypt_all, release_all_leases
from store.secrets import (
    SecretBox,
    SecretKeyError,
    SqlSecretStore,
    SqlTokenStore,
    StoredToken,
    create_key_file,
)
from store.tables import leases


def _box(path: Path) -> SecretBox:
    assert create_key_file(path)
    return SecretBox(path, environ={})


def test_rotation_re_encrypts_every_secret_and_token_and_records_it_under_the_new_seal(
    engine: Engine, tmp_path: Path
) -> None:
    old, new = _box(tmp_path / "old.key"), _box(tmp_path / "new.key")
    attach_seal(engine, old.seal())
    SqlSecretStore(engine, old).set("zoho-secret", "s3cret")
    SqlSecretStore(engine, old).set("fx-secret", "other")
    expires = datetime(2026, 11, 27, tzinfo=UTC)
    SqlTokenStore(engine, old).save("zoho", StoredToken("tok-1", expires))

    counts = reencrypt_all(engine, old, new, "ops")

    assert counts == {"secrets": 2, "tokens": 1}
    assert SqlSecretStore(engine, new).get("zoho-secret") == "s3cret"
    assert SqlSecretStore(engine, new).get("fx-secret") == "other"
    token = SqlTokenStore(engine, new).load("zoho")
    assert token is not None
    assert token.access_token == "tok-1"
    with pytest.raises(SecretKeyError):
        SqlSecretStore(engine, old).get("zoho-secret")  # the old key opens nothing any more
    rotation = [entry for entry in list_audit(engine) if entry.action == "secret.rotate_key"]
    assert [(entry.actor, entry.detail["secrets"], entry.detail["tokens"]) for entry in rotation] == [
        ("ops", 2, 1)
    ]


def test_another_holder_of_a_lock_is_named_and_our_own_locks_are_not(engine: Engine) -> None:
    assert other_lock_holder(engine, ["daemon"]) is None
    with named_lock(engine, "daemon", holder="restore"):
        assert other_lock_holder(engine, ["daemon"]) is None  # ours
        with named_lock(engine, "token zoho", holder="token refresh"):
            other = other_lock_holder(engine, ["daemon"])
            assert other is not None
            if is_sqlite(engine):
                assert other == "token zoho (held by token refresh)"
            else:
                assert other.startswith("a lock of process ")
            assert other_lock_holder(engine, ["daemon", "token zoho"]) is None
    assert other_lock_holder(engine, ["daemon"]) is None  # released


def test_a_restored_copy_s_leases_are_forgotten(engine: Engine) -> None:
    now = datetime.now(UTC)
    with write_transaction(engine) as conn:
        conn.execute(
            insert(leases).values(
                name="connector zoho",
                holder="sync run|copied",
                host=socket.gethostname(),
                pid=os.getpid(),
                acquired_at=now,
                expires_at=now + timedelta(days=365),
            )
        )
    if is_sqlite(engine):  # SQLite's locks are these leases: the copy's looks held until forgotten
        assert other_lock_holder(engine, []) == "connector zoho (held by sync run)"
    release_all_leases(engine)
    assert other_lock_holder(engine, []) is None
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(leases)).scalar_one() == 0
