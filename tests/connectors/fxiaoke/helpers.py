"""An Fxiaoke stand-in for `responses`: records every request body and answers from in-memory rows."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from operator import itemgetter
from typing import Any
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

import requests
import responses

from config.settings import FxiaokeSettings
from connectors.base import ConnectorDeps, NormalizeContext, TokenStore
from connectors.fxiaoke.connector import Fxiaoke
from connectors.http import RetryPolicy

BASE = "https://open.fxiaoke.test"
TOKEN_URL = BASE + "/cgi/corpAccessToken/get/V2"
OAUTH_URL = BASE + "/oauth2.0/token"
QUERY_URL = BASE + "/cgi/crm/v2/data/query"
CUSTOM_URL = BASE + "/cgi/crm/custom/v2/data/query"
CTX = NormalizeContext(source="fxk", timezone=ZoneInfo("Asia/Shanghai"), base_currency="CNY")
USER = "FSUID_ADMIN01"
CREDENTIALS = {
    "app_id": "FSAID_131a8b2",
    "app_secret": "s3cr3t-app",
    "permanent_code": "PERM-42",
    "current_open_user_id": USER,
}


def connector(
    token_store: TokenStore, clock: Callable[[], datetime], *, retry_attempts: int = 4, **settings: Any
) -> Fxiaoke:
    """A connector against BASE with no waiting: fast rate limits, zero backoff, a no-op sleep."""
    cfg = FxiaokeSettings.model_validate(
        {
            "name": "fxk",
            "kind": "fxiaoke",
            "endpoints": {"base_url": BASE},
            "limits": {"requests_per_minute": 600_000},
            "token_requests_per_minute": 600_000,
            "credentials": CREDENTIALS,
            **settings,
        }
    )
    deps = ConnectorDeps(
        token_store=token_store, resolve=lambda v: v, context=CTX, clock=clock, sleep=lambda _s: None
    )
    return Fxiaoke(cfg, deps, retry=RetryPolicy(attempts=retry_attempts, base_delay=0.0, max_retry_after=0))


@contextmanager
def recording() -> Iterator[responses.RequestsMock]:
    """A RequestsMock whose recorded calls stay readable after the block (responses resets them)."""
    mock = responses.RequestsMock(assert_all_requests_are_fired=True)
    mock.start()
    try:
        yield mock
    except BaseException:
        mock.stop(allow_assert=False)  # the test's own failure is the news, not an unfired answer
        raise
    mock.stop()  # every registered answer was asked for (its calls stay in mock.calls)


def envelope(
    data: Any = None, *, code: int = 0, message: str = "OK", trace: str = "E-O.test"
) -> dict[str, Any]:
    body: dict[str, Any] = {"errorCode": code, "errorMessage": message, "traceId": trace}
    if data is not None:
        body["data"] = data
    return body


def token_answer(token: str = "tok-1", expires_in: int = 7200) -> dict[str, Any]:
    return {**envelope(), "corpAccessToken": token, "corpId": "FSCID_1", "expiresIn": expires_in}


def calls_to(mock: responses.RequestsMock, url: str) -> list[requests.PreparedRequest]:
    """The recorded requests sent to `url` (any query string)."""
    return [call.request for call in mock.calls if (call.request.url or "").startswith(url)]


def trace_id_of(request: requests.PreparedRequest) -> str | None:
    values = parse_qs(urlsplit(request.url or "").query).get("thirdTraceId")
    return values[0] if values else None


def body_of(request: requests.PreparedRequest) -> dict[str, Any]:
    raw = request.body or b"{}"
    return dict(json.loads(raw.decode("utf-8") if isinstance(raw, bytes) else raw))


class Tables:
    """Answers `data/query` from rows per object: GT/GTE/EQ/IN filters, orders, projection, limit."""

    def __init__(self, tables: dict[str, list[dict[str, Any]]]) -> None:
        self.tables = tables
        self.bodies: list[dict[str, Any]] = []

    def register(self, mock: responses.RequestsMock, url: str = QUERY_URL) -> None:
        mock.add_callback(responses.POST, url, callback=self)

    def __call__(self, request: requests.PreparedRequest) -> tuple[int, dict[str, str], str]:
        body = body_of(request)
        self.bodies.append(body)
        data = body["data"]
        info = data["search_query_info"]
        checks = [_predicate(f) for f in info["filters"]]
        rows = [r for r in self.tables[data["dataObjectApiName"]] if all(check(r) for check in checks)]
        for order in reversed(info["orders"]):
            rows.sort(key=itemgetter(order["fieldName"]), reverse=not order["isAsc"])
        page = rows[info["offset"] : info["offset"] + info["limit"]]
        projection = info.get("fieldProjection")
        if projection is not None:
            page = [{k: v for k, v in r.items() if k in projection} for r in page]
        answer = envelope({"dataList": page, "offset": info["offset"], "limit": info["limit"], "total": 0})
        return 200, {}, json.dumps(answer, ensure_ascii=False)


def _predicate(f: dict[str, Any]) -> Callable[[dict[str, Any]], bool]:
    """One filter as a row test; filter values (strings) take the type of the row's value."""
    name, operator, values = f["field_name"], f["operator"], f["field_values"]
    typed: dict[type, list[Any]] = {}

    def check(row: dict[str, Any]) -> bool:
        value = row.get(name)
        kind: Any = type(value)
        if kind not in typed:
            typed[kind] = [kind(v) for v in values]
        wanted = typed[kind]
        if operator == "IN":
            return value in wanted
        if operator == "EQ":
            return bool(value == wanted[0])
        return bool(value > wanted[0]) if operator == "GT" else bool(value >= wanted[0])

    return check
