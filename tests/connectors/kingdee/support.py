"""A K/3 Cloud stand-in for `responses` tests, built from the notes' shapes (tests/fixtures/kingdee): the
sign-in sets `kdservice-sessionid`, ExecuteBillQuery slices a form's rows by `StartRow`/`Limit` in
`FieldKeys` order, and a test can drop the session, refuse a form or change rows between calls."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import responses

from config.kinds import KingdeeSettings
from connectors.base import ConnectorDeps, NormalizeContext
from connectors.kingdee.client import service_url
from connectors.kingdee.connector import KingdeeConnector, build_kingdee
from tests.conftest import FakeTokenStore, FixedClock

FIXTURES = Path(__file__).parents[2] / "fixtures" / "kingdee"
SERVER = "https://erp.example.com/K3Cloud"
LOGIN_URL = service_url(SERVER, "AuthService", "LoginByAppSecret")
QUERY_URL = service_url(SERVER, "DynamicFormService", "ExecuteBillQuery")
CONTEXT = NormalizeContext(source="kingdee", timezone=ZoneInfo("Asia/Shanghai"), base_currency="CNY")
Row = dict[str, Any]


def fixture(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"), parse_float=Decimal)


def sale_order_rows() -> list[Row]:
    """The fixture's rows as {field key: value}."""
    answer = fixture("sale_order_rows.json")
    return [dict(zip(answer["FieldKeys"], row, strict=True)) for row in answer["rows"]]


def settings(**more: Any) -> KingdeeSettings:
    return KingdeeSettings.model_validate(
        {
            "name": "kingdee",
            "kind": "kingdee",
            "server_url": SERVER,
            "acct_id": "62f0a9c2e5b1a4",
            "user_name": "集成用户",
            "credentials": {"app_id": "270123_abc", "app_secret": "s3cret-app"},
            "limits": {"requests_per_minute": 1_000_000},
            **more,
        }
    )


class FakeK3:
    """Forms as lists of row dicts (in the order the server would return them for the query asked)."""

    def __init__(self, forms: dict[str, list[Row]]) -> None:
        self.forms = forms
        self.sessions: set[str] = set()
        self.logins: list[list[Any]] = []
        self.queries: list[dict[str, Any]] = []
        self.faults: list[Callable[[dict[str, Any]], tuple[int, dict[str, str], str] | None]] = []
        self.after_query: Callable[[FakeK3, dict[str, Any]], None] | None = None

    def install(self, mock: responses.RequestsMock) -> None:
        mock.add_callback(responses.POST, LOGIN_URL, callback=self._login)
        mock.add_callback(responses.POST, QUERY_URL, callback=self._query)

    def expire_sessions(self) -> None:
        self.sessions.clear()

    def _login(self, request: Any) -> tuple[int, dict[str, str], str]:
        self.logins.append(json.loads(request.body)["parameters"])
        session = f"sess-{len(self.logins)}"
        self.sessions.add(session)
        headers = {"Set-Cookie": f"kdservice-sessionid={session}; path=/; HttpOnly"}
        return 200, headers, json.dumps(fixture("login_ok.json"), ensure_ascii=False)

    def _query(self, request: Any) -> tuple[int, dict[str, str], str]:
        data = json.loads(request.body)["data"]
        cookie = request.headers.get("Cookie", "")
        session = cookie.split("kdservice-sessionid=")[-1] if "kdservice-sessionid=" in cookie else None
        if session not in self.sessions:
            lost = {"Result": {"ResponseStatus": {"IsSuccess": False, "MsgCode": 1,
                    "Errors": [{"Message": "会话信息已丢失，请重新登录"}]}}}  # fmt: skip
            return 200, {}, json.dumps([[lost]], ensure_ascii=False)
        for fault in self.faults:
            answer = fault(data)
            if answer is not None:
                return answer
        self.queries.append(data)
        keys = data["FieldKeys"].split(",")
        rows = self.forms.get(data["FormId"], [])
        start, limit = data["StartRow"], data["Limit"]
        page = [[row.get(k) for k in keys] for row in rows[start : start + limit]]
        if self.after_query is not None:
            self.after_query(self, data)
        return 200, {}, json.dumps(page, ensure_ascii=False, default=str)


@contextmanager
def connector(
    server: FakeK3,
    *,
    store: FakeTokenStore | None = None,
    clock: FixedClock | None = None,
    **more: Any,
) -> Iterator[KingdeeConnector]:
    deps = ConnectorDeps(
        store or FakeTokenStore(),
        lambda value: value,
        CONTEXT,
        clock or FixedClock(datetime(2026, 12, 1, tzinfo=UTC)),
        sleep=lambda _: None,
    )
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        server.install(mock)
        built = build_kingdee(settings(**more), deps)
        try:
            yield built
        finally:
            built.close()
