"""Secrets end to end: set/list/delete/rotate-key through the CLI, audited; and with DEBUG logging, a
sync that succeeds and one that fails leave no secret in any log line, error message or database file."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from cryptography.fernet import Fernet, InvalidToken

from connectors.sandbox.zoho import ZohoSandbox
from store.secrets import create_key_file
from tests.connectors.zoho.sample import SampleSizes, sample_dataset
from tests.e2e.daemon_support import (
    TEST_KEY,
    invoke,
    open_engine,
    reap,
    scalar,
    start_cli,
    stop,
    wait_for,
    write_config,
)

pytestmark = [pytest.mark.slow, pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)]


def _config(tmp_path: Path, database_url: str, **sections: object) -> Path:
    return write_config(tmp_path / "lb.yaml", database_url, **sections)


def test_a_secret_is_set_from_stdin_listed_without_its_value_deleted_and_every_step_audited(
    tmp_path: Path, database_url: str
) -> None:
    config = _config(
        tmp_path,
        database_url,
        notifications={"webhook": {"url": "http://127.0.0.1:9/h", "signing_secret": "secret:hook-key"}},
    )
    assert (
        invoke(
            config, "secret", "set", "zoho-client-secret", "--as", "alice", input_text="v4lue-xyz\n"
        ).returncode
        == 0
    )

    listed = invoke(config, "secret", "list", "--json")
    assert listed.returncode == 0
    document = json.loads(listed.stdout)
    assert [s["name"] for s in document["secrets"]] == ["zoho-client-secret"]
    assert document["missing"] == [{"name": "hook-key", "used_by": ["notifications.webhook.signing_secret"]}]
    assert "v4lue-xyz" not in listed.stdout + listed.stderr

    assert invoke(config, "secret", "delete", "zoho-client-secret", "--yes").returncode == 0
    missing = invoke(config, "secret", "delete", "zoho-client-secret", "--yes")
    assert missing.returncode == 1
    assert "no secret named 'zoho-client-secret'" in missing.stderr

    audit = json.loads(invoke(config, "audit", "list", "--json").stdout)["entries"]
    assert [(e["actor"], e["action"], e["detail"]["name"]) for e in audit][::-1][:1] == [
        ("alice", "secret.set", "zoho-client-secret")
    ]
    assert [e["action"] for e in audit] == ["secret.delete", "secret.set"]
    assert invoke(config, "audit", "verify").returncode == 0


def test_rotate_key_reencrypts_every_secret_and_the_old_key_no_longer_opens_them(
    tmp_path: Path, database_url: str
) -> None:
    key_file = tmp_path / "ledger.key"  # beside the SQLite file: the default when no key is in the env
    assert create_key_file(key_file)
    old_key = key_file.read_bytes().strip()
    config = _config(tmp_path, database_url)
    no_env = {"LEDGERBRIDGE_SECRET_KEY": ""}
    assert invoke(config, "secret", "set", "a", input_text="first-secret", env=no_env).returncode == 0
    assert invoke(config, "secret", "set", "b", input_text="second-secret", env=no_env).returncode == 0
    engine = open_engine(database_url)
    try:
        before = scalar(engine, "SELECT ciphertext FROM secrets WHERE name = 'a'")
        rotated = invoke(config, "secret", "rotate-key", "--json", env=no_env)
        assert rotated.returncode == 0, rotated.stderr
        assert json.loads(rotated.stdout)["reencrypted"] == {"secrets": 2, "tokens": 0}
        after = scalar(engine, "SELECT ciphertext FROM secrets WHERE name = 'a'")
    finally:
        engine.dispose()
    new_key = key_file.read_bytes().strip()
    assert new_key != old_key
    assert not (tmp_path / "ledger.key.new").exists()
    assert json.loads(Fernet(new_key).decrypt(after.encode()))["value"] == "first-secret"
    with pytest.raises(InvalidToken):
        Fernet(old_key).decrypt(after.encode())
    assert before != after
    audit = json.loads(invoke(config, "audit", "list", "--json", env=no_env).stdout)["entries"]
    assert audit[0]["action"] == "secret.rotate_key"


def test_rotate_key_with_the_key_in_the_environment_needs_a_file_for_the_new_key(
    tmp_path: Path, database_url: str
) -> None:
    config = _config(tmp_path, database_url)
    refused = invoke(config, "secret", "rotate-key")
    assert refused.returncode == 2
    assert "pass --new-key-file PATH" in refused.stderr
    target = tmp_path / "new.key"
    assert invoke(config, "secret", "rotate-key", "--new-key-file", str(target)).returncode == 0
    assert oct(target.stat().st_mode & 0o777) == "0o600"
    assert target.read_bytes().strip() != TEST_KEY.encode()


def test_with_debug_logging_no_secret_reaches_logs_errors_or_the_database_file(
    tmp_path: Path, database_url: str
) -> None:
    sandbox = ZohoSandbox(sample_dataset(SampleSizes())).start()
    try:
        connector = {
            "kind": "zoho_crm",
            "streams": ["invoices"],
            "endpoints": {"accounts_url": sandbox.url},
            "schedule": {"every_seconds": 1},
        }
        config = _config(
            tmp_path,
            database_url,
            connectors=[
                {
                    **connector,
                    "name": "crm",
                    "credentials": {
                        "client_id": "1000.SANDBOXCLIENT",
                        "client_secret": "secret:zoho-client-secret",
                        "refresh_token": "1000.sandbox-refresh-token",
                    },
                },
                {
                    **connector,
                    "name": "crm-revoked",
                    "credentials": {
                        "client_id": "1000.REVOKEDCLIENT",  # its own token key: nothing cached to reuse
                        "client_secret": "wrong-client-secret-123",
                        "refresh_token": "1000.sandbox-refresh-token",
                    },
                },
            ],
        )
        stored = invoke(config, "secret", "set", "zoho-client-secret", input_text="sandbox-secret")
        assert stored.returncode == 0
        log = tmp_path / "daemon.log"
        engine = open_engine(database_url)
        daemon = start_cli(config, "daemon", stderr=log, log_level="debug")
        try:
            wait_for(
                lambda: scalar(
                    engine, "SELECT COUNT(*) FROM sync_runs WHERE connector='crm' AND status='ok'"
                ),
                what="a successful sync",
            )
            wait_for(
                lambda: scalar(
                    engine, "SELECT COUNT(*) FROM sync_runs WHERE connector='crm-revoked' AND status='failed'"
                ),
                what="the sync refused by the vendor",
            )
            status_code, _ = stop(daemon)
            errors = [
                row
                for row in engine.connect().exec_driver_sql("SELECT error FROM sync_runs").scalars()
                if row
            ]
        finally:
            reap(daemon)
            engine.dispose()
        access_tokens = list(sandbox._state.tokens)  # what the vendor handed out
    finally:
        sandbox.stop()

    assert status_code == 0
    assert access_tokens
    assert any("invalid_client" in e for e in errors)
    secrets = ["sandbox-secret", "1000.sandbox-refresh-token", "wrong-client-secret-123", *access_tokens]
    text = log.read_text(encoding="utf-8")
    assert '"level": "debug"' in text
    database_bytes = b"".join(p.read_bytes() for p in tmp_path.glob("ledger.db*"))
    for secret in secrets:
        assert secret not in text, f"{secret!r} leaked into a log line"
        assert all(secret not in e for e in errors), f"{secret!r} leaked into an error message"
        assert secret.encode() not in database_bytes, f"{secret!r} is in the database file in plain text"
