"""The Xero connector (kind `xero`): its streams, its `ledgerbridge connector test` check, its factory."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Final

from config.kinds import XeroSettings
from connectors.base import CheckResult, ConnectorDeps, ConnectorKind, Said, say
from connectors.errors import ConnectorError
from connectors.stream import check_connection, failed, stream_probes, token_valid
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
        return check_connection(
            say("check.sign_in", url=session.endpoints.token_url),
            lambda: token_valid(session.auth.token().expires_at),
            stream_probes({name: stream.first_page for name, stream in self._streams.items()}),
            extra=(self._tenant_check, self._scope_check),
            skipped=[
                self._tenant_what(),
                say("check.scopes"),
                *(say("check.stream", name=name) for name in self._streams),
            ],
        )

    def _tenant_what(self) -> Said:
        configured = self._session.cfg.tenant_id
        return say("check.organisation_id", id=configured) if configured else say("check.organisation")

    def _tenant_check(self) -> CheckResult:
        what = self._tenant_what()
        try:
            tenants = self._session.tenants()
            chosen = choose_tenant(tenants, configured=self._session.cfg.tenant_id)
        except ConnectorError as exc:
            return CheckResult(what, False, failed(exc))
        others = len(tenants) - 1
        key = "check.organisation_found_others" if others else "check.organisation_found"
        return CheckResult(what, True, say(key, name=chosen.name, id=chosen.tenant_id, others=others))

    def _scope_check(self) -> CheckResult:
        what = say("check.scopes")
        try:
            scopes = self._session.scopes()
        except ConnectorError as exc:
            return CheckResult(what, False, failed(exc))
        if scopes is None:
            return CheckResult(what, True, say("check.scopes_unlisted"))
        missing = {name: need for name in self._streams if (need := missing_scope(name, scopes))}
        if not missing:
            return CheckResult(what, True, say("check.scopes_granted", scopes=" ".join(sorted(scopes))))
        needs = tuple(say("check.scope_needed", name=name, scope=need) for name, need in missing.items())
        granted = " ".join(sorted(scopes)) or say("check.none")
        return CheckResult(
            what, False, say("check.scopes_missing", needs=needs, connector=self._name, granted=granted)
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
