"""The Fxiaoke connector: wires settings, auth, per-path HTTP clients and streams; `build` is its factory."""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from functools import partial

from config.kinds import FxiaokeSettings
from connectors.base import CheckResult, ConnectorDeps, ConnectorKind, Said, Stream, say
from connectors.errors import ConnectorError
from connectors.fxiaoke.api import FxiaokeApi, interpreter
from connectors.fxiaoke.auth import AppCredentials, FxiaokeAuth
from connectors.fxiaoke.streams import SPECS, FxiaokeStream
from connectors.http import HttpClient, RetryPolicy
from connectors.proxies import EnvironmentOnceSession
from connectors.stream import check_connection, failed

DEFAULT_BASE_URL = "https://open.fxiaoke.com"
DEFAULT_REQUESTS_PER_MINUTE = 150.0
"""2.5 calls per second per path: under the documented 100 per 20 s, and under the 60 per 20 s seen."""
_ENDPOINTS = frozenset({"base_url"})


class Fxiaoke:
    """A configured Fxiaoke tenant: five streams, a connection check, one session."""

    def __init__(self, settings: FxiaokeSettings, deps: ConnectorDeps, *, retry: RetryPolicy | None = None):
        unknown = set(settings.endpoints) - _ENDPOINTS
        if unknown:
            raise ValueError(
                f"connector {settings.name}: unknown endpoints {sorted(unknown)} (only base_url)"
            )
        self._settings = settings
        self._deps = deps
        self._retry = retry
        self._session = EnvironmentOnceSession()  # one per tenant, proxies read once per host
        self._clients: dict[str, HttpClient] = {}
        self._clients_lock = threading.Lock()
        self._interpret = interpreter(settings.name, deps.clock)
        base_url = settings.endpoints.get("base_url", DEFAULT_BASE_URL)
        creds = settings.credentials
        self.auth = FxiaokeAuth(
            key=f"fxiaoke:{settings.name}",
            credentials=AppCredentials(
                app_id=deps.resolve(creds.app_id),
                app_secret=deps.resolve(creds.app_secret),
                permanent_code=deps.resolve(creds.permanent_code),
                open_user_id=deps.resolve(creds.current_open_user_id),
            ),
            style=settings.auth_style,
            base_url=base_url,
            token_client=self._client(f"{settings.name}:token", settings.token_requests_per_minute, None),
            store=deps.token_store,
            clock=deps.clock,
        )
        self.api = FxiaokeApi(settings.name, base_url, self._client_for, deps.clock)
        self._streams: dict[str, FxiaokeStream] = {
            name: FxiaokeStream(SPECS[name], self.api, deps.context) for name in settings.streams
        }

    @property
    def name(self) -> str:
        return self._settings.name

    def streams(self) -> Mapping[str, Stream]:
        return dict(self._streams)

    def sweepable(self, name: str) -> FxiaokeStream:
        """A stream with its concrete type (every Fxiaoke stream can list its live ids)."""
        return self._streams[name]

    def check(self) -> Sequence[CheckResult]:
        """Authenticate, then read one row of each configured stream; say what to fix when it fails."""
        style = "corpAccessToken" if self._settings.auth_style == "legacy" else "Bearer accessToken"

        def authenticate() -> Said:
            return say("check.fxiaoke.token_valid", until=f"{self.auth.token().expires_at:%Y-%m-%d %H:%M}")

        probes = [partial(_probe, name, stream) for name, stream in self._streams.items()]
        return check_connection(say("check.fxiaoke.authenticate", style=style), authenticate, probes)

    @property
    def waited_seconds(self) -> float:
        """Seconds spent waiting out the tenant's per-path limits so far, over every path's client."""
        with self._clients_lock:
            return sum(client.waited_seconds for client in self._clients.values())

    def close(self) -> None:
        self._session.close()

    # ------------------------------------------------------------------------- HTTP clients

    def _client_for(self, path: str) -> HttpClient:
        """One HttpClient (own token bucket, shared session) per API path: Fxiaoke limits each path."""
        with self._clients_lock:
            if path not in self._clients:
                per_minute = self._settings.limits.requests_per_minute or DEFAULT_REQUESTS_PER_MINUTE
                self._clients[path] = self._client(f"{self.name}:{path}", per_minute, self.auth)
            return self._clients[path]

    def _client(self, name: str, per_minute: float, auth: FxiaokeAuth | None) -> HttpClient:
        return HttpClient(
            name,
            interpret=self._interpret,
            auth=auth,
            requests_per_second=per_minute / 60,
            concurrency=self._settings.limits.concurrency or 1,
            retry=self._retry,
            timeout=(10.0, self._settings.timeout_seconds),
            deadline=self._settings.limits.request_deadline_seconds,
            session=self._session,
            sleep=self._deps.sleep,
            observer=self._deps.observer,
        )


def _probe(name: str, stream: FxiaokeStream) -> list[CheckResult]:
    """Every object the stream reads: its header (required) and its detail object (optional)."""
    what = say("check.fxiaoke.read", name=name, api=stream.spec.api_name)
    try:
        rows = stream.first_page()
    except ConnectorError as exc:
        return [CheckResult(what, False, failed(exc))]
    header = CheckResult(what, True, say("check.readable" if rows else "check.fxiaoke.readable_none"))
    detail = stream.spec.detail
    if detail is None:
        return [header]
    what = say("check.fxiaoke.read_detail", name=name, api=detail.api_name)
    try:
        probed = stream.probe_detail()
    except ConnectorError as exc:
        return [header, CheckResult(what, False, failed(exc))]
    if probed is None:
        return [header]
    state, said = probed
    return [header, CheckResult(what, True, said, state="" if state == "readable" else state)]


def build(settings: FxiaokeSettings, deps: ConnectorDeps) -> Fxiaoke:
    """Factory for connector kind `fxiaoke`."""
    return Fxiaoke(settings, deps)


KIND = ConnectorKind(FxiaokeSettings, SPECS, build)
"""Connector kind `fxiaoke` (listed in connectors/registry.py)."""
