"""bootstrap wires connectors to the database: secrets resolved from the encrypted store, tokens kept there."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import Engine

import sync.bootstrap
from config.loader import ConfigError
from config.settings import Settings
from connectors.base import ConnectorDeps, Token
from connectors.jsonl import build as jsonl_build
from store.secrets import KEY_ENV, SqlSecretStore, create_key_file
from sync.bootstrap import build_connector, secret_box


def _settings(tmp_path: Path, engine: Engine) -> Settings:
    return Settings.model_validate(
        {
            "database_url": engine.url.render_as_string(hide_password=False),
            "timezone": "Asia/Shanghai",
            "secret_key_file": str(tmp_path / "test.key"),
            "connectors": [{"name": "shop", "kind": "jsonl", "path": str(tmp_path / "x.jsonl")}],
        }
    )


def test_a_built_connector_resolves_secrets_and_keeps_tokens_encrypted_in_the_database(
    engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = _settings(tmp_path, engine)
    create_key_file(tmp_path / "test.key")
    environ: dict[str, str] = {}
    SqlSecretStore(engine, secret_box(settings, environ)).set("shop-key", "s3cret")
    handed: list[ConnectorDeps] = []

    def factory(connector_settings: Any, deps: ConnectorDeps) -> Any:
        handed.append(deps)
        return jsonl_build(connector_settings, deps)

    monkeypatch.setitem(sync.bootstrap.FACTORIES, "jsonl", factory)
    connector = build_connector(settings, settings.connector("shop"), engine, environ=environ)
    assert connector.name == "shop"
    [deps] = handed
    assert deps.resolve("secret:shop-key") == "s3cret"
    assert deps.resolve("literal") == "literal"
    with pytest.raises(ConfigError, match="ledgerbridge secret set missing"):
        deps.resolve("secret:missing")
    assert (deps.context.source, str(deps.context.timezone), deps.context.base_currency) == (
        "shop",
        "Asia/Shanghai",
        "CNY",
    )

    token = Token(
        "1000.abc", datetime(2026, 11, 27, 9, tzinfo=UTC), {"api_domain": "https://www.zohoapis.com"}
    )
    deps.token_store.save("shop", token)
    with deps.token_store.refresh_lock("shop"):
        loaded = deps.token_store.load("shop")
    assert loaded == token
    assert isinstance(loaded, Token)
    assert deps.token_store.load("other") is None


def test_the_key_can_come_from_the_environment(engine: Engine, tmp_path: Path) -> None:
    settings = _settings(tmp_path, engine)
    environ = {KEY_ENV: Fernet.generate_key().decode()}
    box = secret_box(settings, environ)
    assert box.where == f"${KEY_ENV}"
    SqlSecretStore(engine, box).set("n", "v")
    assert SqlSecretStore(engine, secret_box(settings, environ)).get("n") == "v"
    assert not (tmp_path / "test.key").exists()
