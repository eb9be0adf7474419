"""The QuickBooks Online connector (kind `quickbooks`): its streams, its check, its factory."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Final

from config.kinds import QuickBooksSettings
from connectors.base import CheckResult, ConnectorDeps, ConnectorKind, Said, say
from connectors.oauth2 import refresh_expiry_warning
from connectors.quickbooks.client import QuickBooksSession
from connectors.quickbooks.streams import SPECS, QuickBooksStream
from connectors.stream import check_connection, stream_probes, token_valid


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

        def sign_in() -> Said:
            token = session.auth.token()
            warning = refresh_expiry_warning(token, self._deps.clock())
            valid = token_valid(token.expires_at)
            return say("check.token_valid_warning", valid=valid, warning=warning) if warning else valid

        return check_connection(
            say("check.sign_in_company", url=session.endpoints.token_url, company=session.cfg.realm_id),
            sign_in,
            stream_probes({name: s.first_page for name, s in self._streams.items()}),
            skipped=[say("check.stream", name=name) for name in self._streams],
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
