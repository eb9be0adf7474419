"""Secrets and tokens are encrypted at rest: without the key a copy of the database reveals nothing."""

from __future__ import annotations

import stat
import threading
from datetime import UTC, datetime
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import Engine, select, update

from store.db import is_sqlite
from store.secrets import (
    KEY_ENV,
    SecretBox,
    SecretKeyError,
    SqlSecretStore,
    SqlTokenStore,
    StoredToken,
    create_key_file,
    default_key_file,
)
from store.tables import secrets, tokens

VALUE = "zoho-client-secret-4f1c9e7a"


@pytest.fixture
def box(tmp_path: Path) -> SecretBox:
    key_file = tmp_path / "ledgerbridge.key"
    assert create_key_file(key_file)
    return SecretBox(key_file, environ={})


def test_a_secret_round_trips_and_lists_by_name_only(engine: Engine, box: SecretBox) -> None:
    store = SqlSecretStore(engine, box)
    store.set("zoho-client-secret", VALUE)
    store.set("zoho-client-secret", VALUE + "-rotated")
    assert store.get("zoho-client-secret") == VALUE + "-rotated"
    assert [info.name for info in store.list()] == ["zoho-client-secret"]
    assert store.get("missing") is None
    assert store.delete("zoho-client-secret")
    assert store.get("zoho-client-secret") is None


def test_a_copy_of_the_database_without_the_key_reveals_no_secret(engine: Engine, box: SecretBox) -> None:
    SqlSecretStore(engine, box).set("fxk-app-secret", VALUE)
    SqlTokenStore(engine, box).save("fxk", StoredToken(VALUE + "-token", datetime(2026, 11, 27, tzinfo=UTC)))
    with engine.connect() as conn:
        stored = [
            *conn.execute(select(secrets.c.ciphertext)).scalars(),
            *conn.execute(select(tokens.c.ciphertext)).scalars(),
        ]
    assert len(stored) == 2
    assert all(VALUE not in text for text in stored)
    if is_sqlite(engine):
        engine.dispose()  # checkpoint the WAL into the file
        path = Path(str(engine.url.database))
        raw = b"".join(p.read_bytes() for p in path.parent.glob(path.name + "*"))
        assert VALUE.encode() not in raw
        assert b"fxk-app-secret" in raw  # the name is visible, only the value is secret


def test_the_wrong_key_is_refused_with_a_clear_message(
    engine: Engine, box: SecretBox, tmp_path: Path
) -> None:
    SqlSecretStore(engine, box).set("s", VALUE)
    other = SecretBox(tmp_path / "none", environ={KEY_ENV: Fernet.generate_key().decode()})
    with pytest.raises(SecretKeyError, match="the database was encrypted with another key"):
        SqlSecretStore(engine, other).get("s")


def test_a_missing_or_malformed_key_says_how_to_get_one(tmp_path: Path) -> None:
    with pytest.raises(SecretKeyError, match="ledgerbridge init"):
        SecretBox(tmp_path / "absent.key", environ={}).encrypt("n", "v")
    with pytest.raises(SecretKeyError, match=f"\\${KEY_ENV} is not a valid key"):
        SecretBox(tmp_path / "absent.key", environ={KEY_ENV: "short"}).encrypt("n", "v")


def test_a_value_moved_to_another_name_is_refused(engine: Engine, box: SecretBox) -> None:
    store = SqlSecretStore(engine, box)
    store.set("a", "alpha")
    store.set("b", "beta")
    with engine.begin() as conn:
        stolen = conn.execute(select(secrets.c.ciphertext).where(secrets.c.name == "a")).scalar_one()
        conn.execute(update(secrets).where(secrets.c.name == "b").values(ciphertext=stolen))
    with pytest.raises(SecretKeyError, match="belongs to"):
        store.get("b")


def test_the_key_file_is_created_owner_only_and_never_replaced(tmp_path: Path) -> None:
    key_file = default_key_file(f"sqlite:///{tmp_path}/books.db")
    assert key_file == tmp_path / "books.key"
    assert create_key_file(key_file)
    first = key_file.read_bytes()
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert not create_key_file(key_file)
    assert key_file.read_bytes() == first
    assert default_key_file("postgresql://db/x") == Path("ledgerbridge.key")
    assert default_key_file("sqlite:///x.db", "/etc/lb.key") == Path("/etc/lb.key")


def test_tokens_round_trip_and_refreshes_are_serialized(engine: Engine, box: SecretBox) -> None:
    store = SqlTokenStore(engine, box)
    expires = datetime(2026, 11, 27, 9, tzinfo=UTC)
    store.save("zoho-crm", StoredToken("1000.abc", expires, {"api_domain": "https://www.zohoapis.com"}))
    loaded = store.load("zoho-crm")
    assert loaded == StoredToken("1000.abc", expires, {"api_domain": "https://www.zohoapis.com"})
    assert store.load("other") is None
    refreshed: list[int] = []

    def refresh(n: int) -> None:
        with SqlTokenStore(engine, box).refresh_lock("zoho-crm"):  # separate stores, like processes
            seen = len(refreshed)
            threading.Event().wait(0.01)
            refreshed.append(seen)

    threads = [threading.Thread(target=refresh, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert sorted(refreshed) == [0, 1, 2, 3]  # each refresh saw all earlier ones finished
