"""One registry per connector kind: config/kinds.py (settings model, stream names) and
connectors/registry.py (streams implemented, factory) name the same kinds and the same streams."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from config.kinds import KINDS, ConnectorSettingsBase, stream_names
from connectors.base import ConnectorDeps, NormalizeContext
from connectors.registry import CONNECTOR_KINDS
from sync.bootstrap import FACTORIES
from tests.conftest import FakeTokenStore

_REQUIRED: dict[str, dict[str, Any]] = {
    "zoho_crm": {"credentials": {"client_id": "id", "client_secret": "s", "refresh_token": "r"}},
    "zoho_books": {
        "organization_id": "10234695",
        "credentials": {"client_id": "id", "client_secret": "s", "refresh_token": "r"},
    },
    "fxiaoke": {
        "credentials": {
            "app_id": "a",
            "app_secret": "s",
            "permanent_code": "p",
            "current_open_user_id": "FSUID_1",
        }
    },
    "jsonl": {"path": "data/{stream}.jsonl"},
    "xero": {"credentials": {"client_id": "id", "client_secret": "s"}},
    "quickbooks": {"realm_id": "1", "credentials": {"client_id": "id", "client_secret": "s"}},
    "kingdee": {
        "server_url": "https://erp.example.com/K3Cloud",
        "acct_id": "62f0a9c2e5b1a4",
        "user_name": "api",
        "credentials": {"app_id": "a", "app_secret": "s"},
    },
    "bank_statement": {},
}
"""The least each kind's settings need to validate (no network is touched by building a connector)."""

_OPT_IN: dict[str, set[str]] = {"kingdee": {"sales_invoices"}}
"""Streams a kind reads only when configured (Kingdee's VAT invoices invoice its receivables again)."""


def _deps() -> ConnectorDeps:
    context = NormalizeContext(source="x", timezone=ZoneInfo("Asia/Shanghai"), base_currency="CNY")
    return ConnectorDeps(FakeTokenStore(), lambda value: value, context, lambda: datetime.now(UTC))


def test_config_and_connectors_register_the_same_kinds() -> None:
    assert sorted(KINDS) == sorted(CONNECTOR_KINDS) == sorted(_REQUIRED)


def test_bootstrap_has_a_factory_for_every_kind_the_config_accepts() -> None:
    assert sorted(FACTORIES) == sorted(KINDS)
    assert all(FACTORIES[name] is kind.build for name, kind in CONNECTOR_KINDS.items())


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_a_kind_is_built_from_the_settings_model_the_config_validates(kind: str) -> None:
    assert CONNECTOR_KINDS[kind].settings is KINDS[kind]
    assert CONNECTOR_KINDS[kind].name == kind


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_the_config_accepts_exactly_the_streams_the_connector_reads(kind: str) -> None:
    configured = stream_names(KINDS[kind])
    implemented = CONNECTOR_KINDS[kind].streams
    if configured is None or implemented is None:
        assert configured is implemented is None, "free stream names on one side only"
    else:
        assert sorted(configured) == sorted(implemented)


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_the_default_streams_are_built_into_streams_of_those_names(kind: str, tmp_path: Path) -> None:
    model: type[ConnectorSettingsBase] = KINDS[kind]
    required = dict(_REQUIRED[kind])
    if kind == "jsonl":
        required["path"] = str(tmp_path / "{stream}.jsonl")
    settings = model.model_validate({"name": "x", "kind": kind, **required})
    everything = stream_names(model) or ("documents",)
    assert list(settings.streams) == [s for s in everything if s not in _OPT_IN.get(kind, set())]
    connector = CONNECTOR_KINDS[kind].build(settings, _deps())
    try:
        assert list(connector.streams()) == list(settings.streams)
        assert all(connector.streams()[name].name == name for name in settings.streams)
    finally:
        connector.close()
