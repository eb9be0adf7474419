"""The QuickBooks Online connector (kind `quickbooks`): its streams, its check, its factory."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Final

from config.kinds import QuickBooksSettings
from connectors.base import CheckResult, ConnectorDeps, ConnectorKind
from connectors.oauth2 import refresh_expiry_warning
from connectors.quickbooks.client import QuickBooksSession
from connectors.quickbooks.streams import SPECS, QuickBooksStream
from connectors.stream import check_connection, first_page_probe


class QuickBooksConnector:
    """A configured QuickBooks company: its streams, a connection check, its session."""

    def __init__(
        self,
        name: str,
        session: QuickBooksSession,
        streams: Mapping[str, QuickBooksStream],
        deps: ConnectorDeps,
    ) -> None:
        self._name, self._session, self._streams, self._deps = name, session, streams, deps

    @property
    def name(self) -> str:
        return self._name

    @property
    def session(self) -> QuickBooksSession:
        return self._session

    def streams(self) -> Mapping[str, QuickBooksStream]:
        return self._streams

    @property
    def waited_seconds(self) -> float:
        """Seconds spent waiting out the company's limits (429 windows)."""
        return self._session.http.waited_seconds

    def check(self) -> Sequence[CheckResult]:
        """Sign in (saying when the refresh token must be renewed), then one page per stream."""
        session = self._session

        def sign_in() -> str:
            token = session.auth.token()
            said = f"access token valid until {token.expires_at:%Y-%m-%d %H:%M} UTC"
            warning = refresh_expiry_warning(token, self._deps.clock())
            return f"{said}; WARNING: {warning}" if warning else said

        def first_page(stream: QuickBooksStream) -> Callable[[], str]:
            return lambda: f"read {stream.first_page()} record(s) from the first page"

        return check_connection(
            f"sign in at {session.endpoints.token_url} (company {session.cfg.realm_id})",
            sign_in,
            [first_page_probe(f"stream {name}", first_page(s)) for name, s in self._streams.items()],
            skipped=[f"stream {name}" for name in self._streams],
        )

    def close(self) -> None:
        self._session.close()


def build_quickbooks(cfg: QuickBooksSettings, deps: ConnectorDeps) -> QuickBooksConnector:
    """Factory for connector kind `quickbooks`."""
    session = QuickBooksSession(cfg, deps)
    streams: dict[str, QuickBooksStream] = {
        name: QuickBooksStream(SPECS[name], session, deps.context, deps.clock) for name in cfg.streams
    }
    return QuickBooksConnector(cfg.name, session, streams, deps)


KIND: Final = ConnectorKind(QuickBooksSettings, SPECS, build_quickbooks)
"""Connector kind `quickbooks` (listed in connectors/registry.py)."""
