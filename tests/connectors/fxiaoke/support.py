"""The Fxiaoke connector as `sync` builds it, pointed at a sandbox (shared by the connector and e2e tests)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from cryptography.fernet import Fernet
from sqlalchemy import Engine

from config.settings import FxiaokeSettings
from connectors.base import Connector, ConnectorDeps, NormalizeContext
from connectors.sandbox.fxiaoke import FxiaokeSandbox
from store.secrets import KEY_ENV, SecretBox, SqlTokenStore
from sync.bootstrap import FACTORIES, ConnectorTokenStore
from tests.conftest import FixedClock

SOURCE = "fxiaoke"


@contextmanager
def fxiaoke(
    engine: Engine,
    clock: FixedClock,
    sandbox: FxiaokeSandbox,
    tmp_path: Path,
    sleep: Callable[[float], None] = lambda _: None,
    **settings: Any,
) -> Iterator[Connector]:
    """The connector built by the registered factory, with the real encrypted token store, a fast rate
    limit and a no-op sleep (retries and the limiter never wait in tests)."""
    box = SecretBox(tmp_path / "key", {KEY_ENV: Fernet.generate_key().decode()})
    tokens = ConnectorTokenStore(SqlTokenStore(engine, box, clock))
    context = NormalizeContext(source=SOURCE, timezone=ZoneInfo("Asia/Shanghai"), base_currency="CNY")
    creds = sandbox.credentials
    cfg = FxiaokeSettings.model_validate(
        {
            "name": SOURCE,
            "kind": "fxiaoke",
            "endpoints": {"base_url": sandbox.url},
            "limits": {"requests_per_minute": 1_000_000},
            "token_requests_per_minute": 1_000_000,
            "credentials": {
                "app_id": creds.app_id,
                "app_secret": creds.app_secret,
                "permanent_code": creds.permanent_code,
                "current_open_user_id": next(iter(creds.users)),
            },
            **settings,
        }
    )
    connector = FACTORIES["fxiaoke"](cfg, ConnectorDeps(tokens, lambda v: v, context, clock, sleep=sleep))
    try:
        yield connector
    finally:
        connector.close()
