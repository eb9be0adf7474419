"""Fxiaoke's Open API as the connector speaks it: the errorCode envelope, the query body, the quota gate.

Every Fxiaoke answer is HTTP 200; only `errorCode` says what happened (api-notes §3). `interpreter()`
turns it into the connector error vocabulary, carrying and logging the call's `traceId`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

import requests
import structlog

from connectors.errors import (
    AuthError,
    FatalApiError,
    QuotaExhaustedError,
    RateLimitedError,
    TokenExpiredError,
    TransientError,
)
from connectors.http import HttpClient, Interpreter

log = structlog.get_logger(__name__)

QUERY_PATH = "/cgi/crm/v2/data/query"
CUSTOM_QUERY_PATH = "/cgi/crm/custom/v2/data/query"
PAGE_LIMIT = 100
"""api-notes §4: current docs cap `limit` at 100."""

QUOTA_ZONE = ZoneInfo("Asia/Shanghai")
"""The daily quota resets at 00:00 China Standard Time, whatever the company's own time zone."""

RETRYABLE = frozenset({-1, 50009})
RATE_LIMITED = frozenset({14001, 30004})
"""Interface call limit / per-path frequency limit (100 calls in 20 s per path, shared with the tenant's
other apps): wait out the window, slow down, go on."""
FREQUENCY_WINDOW = 20.0
"""Seconds of Fxiaoke's per-path window (api-notes §4); no Retry-After or rate headers are sent."""
TOKEN_REFUSED = frozenset({20016, 20005})
_CREDENTIALS = frozenset({10006, 20006, 20015, 11013, 11014, 20017})
_PERMISSION = frozenset({20014, 20020, 15003, 20023})
_DISABLED = frozenset({20021, 20022})
DAILY_QUOTA = 30002
NO_QUOTA = 30003


def next_quota_reset(now: datetime) -> datetime:
    """The next midnight in Asia/Shanghai after `now`, as an aware datetime."""
    local = now.astimezone(QUOTA_ZONE)
    return datetime.combine(local.date() + timedelta(days=1), time(0), tzinfo=QUOTA_ZONE)


def _trace_of(response: requests.Response, body: Mapping[str, Any]) -> str | None:
    trace = body.get("traceId")
    if trace:
        return str(trace)
    sent = parse_qs(urlsplit(response.request.url or "").query).get("thirdTraceId")
    return sent[0] if sent else None


def interpreter(connector: str, clock: Callable[[], datetime]) -> Interpreter:
    """The HttpClient hook: errorCode 0 passes, anything else raises the matching connector error."""

    def interpret(response: requests.Response, body: Any) -> None:
        if not isinstance(body, Mapping) or "errorCode" not in body:
            if response.status_code == 200:
                raise TransientError(f"{connector}: answer without an errorCode envelope (wrong base_url?)")
            return  # an HTTP error without an envelope: the HTTP loop translates the status
        try:
            code = int(str(body["errorCode"]))
        except ValueError:
            code = -1
        if code == 0:
            return
        message = str(body.get("errorMessage") or body.get("error_description") or "")
        trace = _trace_of(response, body)
        log.warning(
            "fxiaoke.api_error", connector=connector, error_code=code, message=message, trace_id=trace
        )
        raise _error(connector, code, message, trace, clock)

    return interpret


def _error(
    connector: str, code: int, message: str, trace: str | None, clock: Callable[[], datetime]
) -> Exception:
    said = f"Fxiaoke errorCode {code} ({message}; traceId {trace})"
    vendor: dict[str, Any] = {"vendor_code": str(code), "trace_id": trace}
    if code in RATE_LIMITED:
        return RateLimitedError(
            f"{connector}: rate limited: {said}",
            retry_after=FREQUENCY_WINDOW,
            vendor_code=str(code),
            trace_id=trace,
        )
    if code in RETRYABLE:
        return TransientError(
            f"{connector}: busy or throttled: {said}", vendor_code=str(code), trace_id=trace
        )
    if code in TOKEN_REFUSED:
        return TokenExpiredError(
            f"{connector}: token refused: {said}",
            persisting=f"{connector}: a freshly fetched token was refused too: {said}. Not an old token: "
            "check that the app is authorised for this enterprise and that no other system resets its "
            "tokens (app_secret / permanent_code changed?)",
            **vendor,
        )
    if code in _CREDENTIALS:
        return AuthError(
            f"{connector}: Fxiaoke refused the app credentials: {said}. Check app_id, app_secret and "
            "permanent_code (企业自建应用 with developer mode on, this server's IP whitelisted)",
            **vendor,
        )
    if code in _PERMISSION:
        return AuthError(
            f"{connector}: no permission: {said}. Give the app access to the CRM objects and use a CRM "
            "admin's openUserId as current_open_user_id",
            **vendor,
        )
    if code in _DISABLED:
        return AuthError(
            f"{connector}: the app is disabled or not authorised by the enterprise: {said}. An enterprise "
            "admin must enable and authorise it in the Fxiaoke admin console",
            **vendor,
        )
    if code == DAILY_QUOTA:
        resets = next_quota_reset(clock())
        return QuotaExhaustedError(
            f"{connector}: the daily Open API quota is used up: {said}. Calls resume after "
            f"{resets.isoformat()} (midnight Asia/Shanghai)",
            resets_at=resets,
            **vendor,
        )
    if code == NO_QUOTA:
        return FatalApiError(
            f"{connector}: the tenant has no Open API call quota: {said}. Buy an 'Open API' resource pack",
            **vendor,
        )
    return FatalApiError(f"{connector}: request refused: {said}", **vendor)


# ----------------------------------------------------------------------------- queries


@dataclass(frozen=True)
class Filter:
    """One condition of `search_query_info.filters` (values are sent as strings, always a list)."""

    field_name: str
    operator: str
    values: tuple[str, ...]

    def body(self) -> dict[str, Any]:
        return {"field_name": self.field_name, "operator": self.operator, "field_values": list(self.values)}


def query_path(api_name: str) -> str:
    """Custom objects (`…__c`) live under the custom path; preset objects (`…Obj`) under the v2 path."""
    return CUSTOM_QUERY_PATH if api_name.endswith("__c") else QUERY_PATH


def query_body(
    api_name: str,
    *,
    filters: Sequence[Filter] = (),
    orders: Sequence[tuple[str, bool]] = (),
    projection: Sequence[str] | None = None,
    limit: int = PAGE_LIMIT,
) -> dict[str, Any]:
    """The `data` of a query, cased exactly as the notes show (§5a): snake_case and camelCase mixed."""
    info: dict[str, Any] = {
        "limit": limit,
        "offset": 0,
        "filters": [f.body() for f in filters],
        "orders": [{"fieldName": name, "isAsc": ascending} for name, ascending in orders],
    }
    if projection is not None:
        info["fieldProjection"] = list(projection)
    return {"dataObjectApiName": api_name, "find_explicit_total_num": False, "search_query_info": info}


class FxiaokeApi:
    """Runs queries through one HttpClient per path (Fxiaoke limits each path separately) and stops
    every call once the daily quota is spent, until it resets."""

    def __init__(
        self,
        name: str,
        base_url: str,
        client_for: Callable[[str], HttpClient],
        clock: Callable[[], datetime],
    ) -> None:
        self.name = name
        self._base = base_url.rstrip("/")
        self._client_for = client_for
        self._clock = clock
        self._quota: QuotaExhaustedError | None = None

    def query(
        self,
        api_name: str,
        *,
        filters: Sequence[Filter] = (),
        orders: Sequence[tuple[str, bool]] = (),
        projection: Sequence[str] | None = None,
        limit: int = PAGE_LIMIT,
    ) -> list[dict[str, Any]]:
        """One page of rows (`data.dataList`)."""
        self._check_quota()
        path = query_path(api_name)
        body = {
            "data": query_body(api_name, filters=filters, orders=orders, projection=projection, limit=limit)
        }
        try:
            response = self._client_for(path).request("POST", self._base + path, json_body=body)
        except QuotaExhaustedError as exc:
            self._quota = exc
            raise
        return _rows(self.name, response.body)

    def query_total(self, api_name: str) -> tuple[list[dict[str, Any]], int | None]:
        """One row of the object and the `total` the vendor counts (asked for with
        `find_explicit_total_num`); the total is None when the answer carries no integer."""
        self._check_quota()
        path = query_path(api_name)
        data = query_body(api_name, projection=["_id"], limit=1)
        data["find_explicit_total_num"] = True
        try:
            response = self._client_for(path).request("POST", self._base + path, json_body={"data": data})
        except QuotaExhaustedError as exc:
            self._quota = exc
            raise
        rows = _rows(self.name, response.body)
        body = response.body
        inner = body.get("data") if isinstance(body, Mapping) else None
        total = inner.get("total") if isinstance(inner, Mapping) else None
        if isinstance(total, str) and total.isdigit():
            total = int(total)
        return rows, total if isinstance(total, int) and not isinstance(total, bool) else None

    def _check_quota(self) -> None:
        spent = self._quota
        if spent is None:
            return
        if spent.resets_at is not None and self._clock() >= spent.resets_at:
            self._quota = None
            return
        raise QuotaExhaustedError(
            str(spent), resets_at=spent.resets_at, vendor_code=spent.vendor_code, trace_id=spent.trace_id
        )


def _rows(connector: str, body: Any) -> list[dict[str, Any]]:
    data = body.get("data") if isinstance(body, Mapping) else None
    rows = data.get("dataList") if isinstance(data, Mapping) else None
    if rows is None and isinstance(data, Mapping) and "_id" in data:
        rows = [data]  # some doc pages draw `data` as one record (api-notes §5b): read it defensively
    if not isinstance(rows, list) or not all(isinstance(r, Mapping) for r in rows):
        raise FatalApiError(f"{connector}: query answer has no data.dataList list")
    return [dict(r) for r in rows]
