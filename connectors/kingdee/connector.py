"""The Kingdee K/3 Cloud connector (kind `kingdee`): its streams, its `connector test` check, its factory."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Final

from config.kinds import KingdeeSettings
from connectors.base import CheckResult, ConnectorDeps, ConnectorKind, Said, say
from connectors.errors import ConnectorError
from connectors.kingdee.client import KingdeeSession
from connectors.kingdee.normalize import SALES_ORG
from connectors.kingdee.query import DOCUMENTED_LIMIT, BillQuery, rows_as_records
from connectors.kingdee.streams import SPECS, KingdeeStream
from connectors.stream import Probe, check_connection, failed

ORGANIZATIONS_FORM: Final = "ORG_Organizations"
"""The organizations form (组织机构) listed by `connector test` (UNVERIFIED: not in the notes; when it
cannot be read the check says so and goes on)."""


class KingdeeConnector:
    """A configured K/3 Cloud data center (账套): its streams, a connection check, its session."""

    def __init__(self, name: str, session: KingdeeSession, streams: Mapping[str, KingdeeStream]) -> None:
        self._name, self._session, self._streams = name, session, streams

    @property
    def name(self) -> str:
        return self._name

    @property
    def session(self) -> KingdeeSession:
        return self._session

    def streams(self) -> Mapping[str, KingdeeStream]:
        return self._streams

    @property
    def waited_seconds(self) -> float:
        return self._session.http.waited_seconds

    def check(self) -> Sequence[CheckResult]:
        """Sign in, list the organizations the user sees (and the configured ones missing among them),
        then count the rows of each form each stream reads (0 rows is a warning: no permission?)."""
        session = self._session

        def sign_in() -> Said:
            token = session.auth.token()
            return say("check.kingdee.signed_in", until=f"{token.expires_at:%Y-%m-%d %H:%M}")

        probes = [
            self._form_probe(name, stream, form)
            for name, stream in self._streams.items()
            for form in stream.spec.forms
        ]
        return check_connection(
            say(
                "check.kingdee.sign_in",
                url=session.cfg.server_url,
                method=session.login.method,
                user=session.cfg.user_name,
                acct=session.cfg.acct_id,
            ),
            sign_in,
            probes,
            extra=(self._organizations,),
            skipped=[say("check.organizations"), *(say("check.stream", name=name) for name in self._streams)],
        )

    def _form_probe(self, name: str, stream: KingdeeStream, form: str) -> Probe:
        def probe() -> Sequence[CheckResult]:
            what = say("check.stream_form", name=name, form=form)
            try:
                rows = stream.probe(form)
            except ConnectorError as exc:
                return [CheckResult(what, False, failed(exc))]
            if rows == 0:
                return [CheckResult(what, True, say("check.kingdee.empty_form", form=form), state="empty")]
            return [CheckResult(what, True, say("check.readable"))]

        return probe

    def _organizations(self) -> CheckResult:
        """The organizations the user sees (`ORG_Organizations`); where that form cannot be read, the
        sales organizations of the first bill form's first page (a sample: a configured one missing
        from it is a warning, not a failure)."""
        what = say("check.organizations")
        wanted = self._session.cfg.org_numbers
        try:
            seen = self._listed(BillQuery(ORGANIZATIONS_FORM, ("FNumber", "FName"), order="FNumber ASC"))
            sample: dict[str, str] = {}
        except ConnectorError as exc:
            form = next(
                (f for s in self._streams.values() for f in s.spec.forms if s.spec.id_field == "FID"), None
            )
            if form is None:
                said = say("check.kingdee.form_unlisted", form=ORGANIZATIONS_FORM, error=str(exc))
                return CheckResult(what, True, said, state="missing")
            try:
                seen = self._listed(BillQuery(form, (f"{SALES_ORG}.FNumber", f"{SALES_ORG}.FName")))
            except ConnectorError as again:
                said = say("check.kingdee.organizations_unlisted", error=str(again))
                return CheckResult(what, True, said, state="missing")
            sample = {"rows": f"{DOCUMENTED_LIMIT:,}", "form": form, "unread": ORGANIZATIONS_FORM}
        listed = ", ".join(f"{number} {name}".strip() for number, name in seen.items()) or say("check.none")
        missing = [org for org in wanted if org not in seen]
        if missing:
            key = "check.kingdee.orgs_unseen_sampled" if sample else "check.kingdee.orgs_unseen"
            said = say(key, missing=", ".join(missing), listed=listed, **sample)
            return CheckResult(what, bool(sample), said, state="missing" if sample else "")
        reading = (
            say("check.kingdee.reading", orgs=", ".join(wanted))
            if wanted
            else say("check.kingdee.reading_all")
        )
        key = "check.kingdee.visible_sampled" if sample else "check.kingdee.visible"
        return CheckResult(what, True, say(key, reading=reading, listed=listed, **sample))

    def _listed(self, query: BillQuery) -> dict[str, str]:
        """Organization number -> name, from a query whose two fields are those."""
        number, name = query.field_keys
        rows = rows_as_records(
            query.field_keys, self._session.execute_bill_query(query.data()), query.form_id
        )
        return {str(row[number]): str(row[name] or "") for row in rows if row.get(number)}

    def close(self) -> None:
        self._session.close()


def build_kingdee(cfg: KingdeeSettings, deps: ConnectorDeps) -> KingdeeConnector:
    """Factory for connector kind `kingdee`."""
    session = KingdeeSession(cfg, deps)
    streams: dict[str, KingdeeStream] = {
        name: KingdeeStream(SPECS[name], session, deps.context) for name in cfg.streams
    }
    return KingdeeConnector(cfg.name, session, streams)


KIND: Final = ConnectorKind(KingdeeSettings, SPECS, build_kingdee)
"""Connector kind `kingdee` (listed in connectors/registry.py)."""
