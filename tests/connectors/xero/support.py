"""Building the Xero connector against the sandbox: real HTTP, the registered factory, a token store,
and one clock shared by the connector's sleeps and the sandbox's limit windows (a wait of the client
moves the sandbox's minute on, so pacing is tested without waiting)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from zoneinfo import ZoneInfo

from config.kinds import XeroSettings
from connectors.base import ConnectorDeps, NormalizeContext, TokenStore
from connectors.sandbox.xero import XeroSandbox, XeroSandboxOptions
from connectors.xero.connector import XeroConnector, build_xero
from tests.conftest import FixedClock

FAST = {"requests_per_minute": 1_000_000, "concurrency": 4}


class SandboxClock:
    """Monotonic seconds that move only when someone sleeps (the connector) or a test says so."""

    def __init__(self) -> None:
        self.now = 1_000.0
        self.slept: list[float] = []
        self._lock = threading.Lock()

    def __call__(self) -> float:
        with self._lock:
            return self.now

    def sleep(self, seconds: float) -> None:
        with self._lock:
            self.now += seconds
            self.slept.append(seconds)


def settings(url: str, options: XeroSandboxOptions | None = None, **more: Any) -> XeroSettings:
    opts = options or XeroSandboxOptions()
    return XeroSettings.model_validate(
        {
            "name": "xero",
            "kind": "xero",
            "credentials": {
                "client_id": opts.client_id,
                "client_secret": opts.client_secret,
                "refresh_token": opts.refresh_token,
            },
            "endpoints": {"identity_url": url, "api_url": url},
            "limits": FAST,
            **more,
        }
    )


@contextmanager
def xero_connector(
    url: str,
    tokens: TokenStore,
    clock: FixedClock,
    sandbox_clock: SandboxClock | None = None,
    options: XeroSandboxOptions | None = None,
    **more: Any,
) -> Iterator[XeroConnector]:
    context = NormalizeContext(source="xero", timezone=ZoneInfo("Pacific/Auckland"), base_currency="NZD")
    sleep = sandbox_clock.sleep if sandbox_clock is not None else (lambda _: None)
    deps = ConnectorDeps(tokens, lambda v: v, context, clock, sleep=sleep)
    connector = build_xero(settings(url, options, **more), deps)
    try:
        yield connector
    finally:
        connector.close()


def sandbox(dataset: Any, clock: SandboxClock | None = None, **kwargs: Any) -> XeroSandbox:
    return XeroSandbox(dataset, clock=clock or SandboxClock(), **kwargs)
