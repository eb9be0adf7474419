"""The Xero connector (kind `xero`): its streams, its `ledgerbridge connector test` check, its factory."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Final

from config.kinds import XeroSettings
from connectors.base import CheckResult, ConnectorDeps, ConnectorKind
from connectors.errors import ConnectorError
from connectors.stream import check_connection, first_page_probe
from connectors.xero.client import XeroSession, choose_tenant, missing_scope
from connectors.xero.streams import SPECS, XeroStream


class XeroConnector:
    """A configured Xero organisation: its streams, a connection check, its session."""

    def __init__(self, name: str, session: XeroSession, streams: Mapping[str, XeroStream]) -> None:
        self._name, self._session, self._streams = name, session, streams

    @property
    def name(self) -> str:
        return self._name

    @property
    def session(self) -> XeroSession:
        return self._session

    def streams(self) -> Mapping[str, XeroStream]:
        return self._streams

    @property
    def waited_seconds(self) -> float:
        """Seconds spent waiting out the organisation's limits (429 windows and the pacer's pauses)."""
        return self._session.http.waited_seconds + self._session.pacer.waited

    def check(self) -> Sequence[CheckResult]:
        """Sign in, then the organisation (listing those the token reaches), then the scopes each
        stream needs (naming the one missing, granular or broad), then one page per stream."""
        session = self._session

        def sign_in() -> str:
            token = session.auth.token()
            return f"access token valid until {token.expires_at:%Y-%m-%d %H:%M} UTC"

        def first_page(stream: XeroStream) -> Callable[[], str]:
            return lambda: f"read {stream.first_page()} record(s) from the first page"

        return check_connection(
            f"sign in at {session.endpoints.token_url}",
            sign_in,
            [
                first_page_probe(f"stream {name}", first_page(stream))
                for name, stream in self._streams.items()
            ],
            extra=(self._tenant_check, self._scope_check),
            skipped=["organisation", "scopes", *(f"stream {name}" for name in self._streams)],
        )

    def _tenant_check(self) -> CheckResult:
        configured = self._session.cfg.tenant_id
        what = f"organisation {configured}" if configured else "organisation"
        try:
            tenants = self._session.tenants()
            chosen = choose_tenant(tenants, configured)
        except ConnectorError as exc:
            return CheckResult(what, False, str(exc))
        others = len(tenants) - 1
        return CheckResult(
            what,
            True,
            f"{chosen.name} ({chosen.tenant_id})" + (f"; {others} other(s) connected" if others else ""),
        )

    def _scope_check(self) -> CheckResult:
        try:
            scopes = self._session.scopes()
        except ConnectorError as exc:
            return CheckResult("scopes", False, str(exc))
        if scopes is None:
            return CheckResult(
                "scopes", True, "the token does not list its scopes: the stream checks below tell"
            )
        missing = {name: need for name in self._streams if (need := missing_scope(name, scopes))}
        if not missing:
            return CheckResult("scopes", True, " ".join(sorted(scopes)))
        said = "; ".join(f"stream {name} needs {need}" for name, need in missing.items())
        have = " ".join(sorted(scopes)) or "none"
        return CheckResult(
            "scopes",
            False,
            f"missing: {said}. Add the scope to the app's authorization and run "
            f"`ledgerbridge connector authorize {self._name}` (granted: {have})",
        )

    def close(self) -> None:
        self._session.close()


def build_xero(cfg: XeroSettings, deps: ConnectorDeps) -> XeroConnector:
    """Factory for connector kind `xero`."""
    session = XeroSession(cfg, deps)
    streams: dict[str, XeroStream] = {
        name: XeroStream(SPECS[name], session, deps.context) for name in cfg.streams
    }
    return XeroConnector(cfg.name, session, streams)


KIND: Final = ConnectorKind(XeroSettings, SPECS, build_xero)
"""Connector kind `xero` (listed in connectors/registry.py)."""
