"""Building the QuickBooks connector against the sandbox: real HTTP, the registered factory, a token
store, and one clock shared by the connector's sleeps and the sandbox's limit windows (a wait of the
client moves the sandbox's second and minute on, so limits are tested without waiting)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from zoneinfo import ZoneInfo

from config.kinds import QuickBooksSettings
from connectors.base import ConnectorDeps, NormalizeContext, TokenStore
from connectors.quickbooks.connector import QuickBooksConnector, build_quickbooks
from connectors.sandbox.quickbooks.app import QuickBooksSandbox
from connectors.sandbox.quickbooks.dataset import QuickBooksDataset
from tests.conftest import FixedClock


class SandboxClock:
    """The sandbox's monotonic seconds: real time plus every second the connector slept (its sleeps are
    not waited out), so the sandbox's windows see the client's pacing as the vendor would."""

    def __init__(self) -> None:
        self.offset = 0.0
        self.slept: list[float] = []
        self._lock = threading.Lock()

    def __call__(self) -> float:
        with self._lock:
            return time.monotonic() + self.offset

    def sleep(self, seconds: float) -> None:
        with self._lock:
            self.offset += seconds
            self.slept.append(seconds)


def settings(box: QuickBooksSandbox, **more: Any) -> QuickBooksSettings:
    oauth = box.options.oauth
    return QuickBooksSettings.model_validate(
        {
            "name": "qbo",
            "kind": "quickbooks",
            "realm_id": box.realm_id,
            "credentials": {
                "client_id": oauth.client_id,
                "client_secret": oauth.client_secret,
                "refresh_token": oauth.initial_refresh_token,
            },
            "endpoints": {"auth_url": box.url, "api_url": box.url},
            **more,
        }
    )


@contextmanager
def quickbooks_connector(
    box: QuickBooksSandbox, tokens: TokenStore, clock: FixedClock, sandbox_clock: SandboxClock, **more: Any
) -> Iterator[QuickBooksConnector]:
    context = NormalizeContext(source="qbo", timezone=ZoneInfo("Asia/Shanghai"), base_currency="CNY")
    deps = ConnectorDeps(tokens, lambda v: v, context, clock, sleep=sandbox_clock.sleep)
    connector = build_quickbooks(settings(box, **more), deps)
    try:
        yield connector
    finally:
        connector.close()


def sandbox(
    data: QuickBooksDataset, clock: FixedClock, sandbox_clock: SandboxClock, **kwargs: Any
) -> QuickBooksSandbox:
    return QuickBooksSandbox(data, now=clock, clock=sandbox_clock, **kwargs)
