"""The token store names each connector's refresh-token expiry (ADR 0033): what `connector test` reads,
and what the planned metric `ledgerbridge_refresh_token_expires_at_seconds` will read, from the token rows."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine

from store.secrets import SecretBox, SqlTokenStore, StoredToken, create_key_file


@pytest.fixture
def box(tmp_path: Path) -> SecretBox:
    key_file = tmp_path / "ledgerbridge.key"
    assert create_key_file(key_file)
    return SecretBox(key_file, environ={})


def test_refresh_deadlines_name_the_connector_and_the_latest_row_wins(engine: Engine, box: SecretBox) -> None:
    clock = iter([datetime(2026, 1, d, tzinfo=UTC) for d in (1, 2, 3)])
    store = SqlTokenStore(engine, box, clock=lambda: next(clock))
    expires = datetime(2026, 11, 27, tzinfo=UTC)
    store.save(
        "quickbooks:qb:old",
        StoredToken("a", expires, {"connector": "qb", "refresh_expires_at": "2026-02-01T00:00:00+00:00"}),
    )
    store.save(
        "quickbooks:qb",
        StoredToken("b", expires, {"connector": "qb", "refresh_expires_at": "2031-02-01T00:00:00+00:00"}),
    )
    store.save(
        "zoho:x", StoredToken("c", expires, {"api_domain": "https://www.zohoapis.com"})
    )  # never expires
    assert store.refresh_deadlines() == {"qb": datetime(2031, 2, 1, tzinfo=UTC)}
