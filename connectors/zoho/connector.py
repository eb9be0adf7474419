"""The Zoho connector object (CRM and Books alike) and its `ledgerbridge connector test` check."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Protocol

from connectors.base import CheckResult, Said, SweepableStream, say
from connectors.stream import check_connection, stream_probes, token_valid
from connectors.zoho.client import ZohoSession


def check_streams(
    session: ZohoSession,
    readers: Mapping[str, Callable[[], int]],
    *,
    extra: Sequence[Callable[[], CheckResult]] = (),
) -> list[CheckResult]:
    """Sign in first (nothing else can work without it), then `extra` checks, then one page per stream.
    Every failure carries the vendor's code and our hint (scope, data center, organization id)."""

    def sign_in() -> Said:
        token = session.auth.token()
        return say("check.token_valid_api", valid=token_valid(token.expires_at), api=session.api_base())

    return check_connection(
        say("check.sign_in", url=session.endpoints.accounts_url),
        sign_in,
        stream_probes(readers),
        extra=extra,
        skipped=[say("check.stream", name=name) for name in readers],
    )


class ZohoStream(SweepableStream, Protocol):
    """A Zoho stream: sweepable (lists live ids), and it can read its first page for a check."""

    def first_page(self) -> int: ...


class ZohoConnector:
    """A configured Zoho CRM org or Books organization: its streams, a connection check, its session."""

    def __init__(
        self,
        name: str,
        session: ZohoSession,
        streams: Mapping[str, ZohoStream],
        *,
        extra_checks: Sequence[Callable[[], CheckResult]] = (),
    ) -> None:
        self._name = name
        self._session = session
        self._streams = streams
        self._extra_checks = extra_checks

    @property
    def name(self) -> str:
        return self._name

    def streams(self) -> Mapping[str, ZohoStream]:
        return self._streams

    def check(self) -> Sequence[CheckResult]:
        readers = {name: stream.first_page for name, stream in self._streams.items()}
        return check_streams(self._session, readers, extra=self._extra_checks)

    @property
    def waited_seconds(self) -> float:
        """Seconds spent waiting out the organization's rate limits so far (`sync status` shows a run's)."""
        return self._session.http.waited_seconds

    def close(self) -> None:
        self._session.close()
