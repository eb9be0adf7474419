"""The Fxiaoke Open API emulator: token endpoints, object queries, error codes, throttling and faults.

Written from the api-notes alone (§1-§8). Every answer is HTTP 200 with an `errorCode` envelope.
FaultPlan faults map to Fxiaoke's words: '429' → 30004 (frequency limit), '500' → -1 (system busy),
'token_expiry' → the presented token is revoked and the call answers 20016 (never on a token's first
call), 'truncated' → half a body.
"""

from __future__ import annotations

import secrets
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from connectors.sandbox.fxiaoke.dataset import FxiaokeDataset
from connectors.sandbox.fxiaoke.query import (
    BAD_PARAMETER,
    QueryError,
    Search,
    keyset_field,
    parse_search,
    select,
    select_sorted,
)
from connectors.sandbox.server import FaultPlan, Request, Response, SandboxServer

TOKEN_PATH = "/cgi/corpAccessToken/get/V2"  # noqa: S105 - a URL path, not a password
OAUTH_PATH = "/oauth2.0/token"
QUERY_PATH = "/cgi/crm/v2/data/query"
CUSTOM_QUERY_PATH = "/cgi/crm/custom/v2/data/query"

EXPIRED_TOKEN = 20016
MISSING_AUTH = 20017
BAD_APP = 20006
BAD_PERMANENT_CODE = 20015
MISSING_SECRET = 10006
NO_EMPLOYEE_PERMISSION = 20014
BUSY = -1
FREQUENCY_LIMIT = 30004
DAILY_QUOTA = 30002
NO_SUCH_OBJECT = 10002
"""Unknown object apiName: the sandbox's choice (UNVERIFIED)."""
NO_OBJECT_PERMISSION = 20014
"""An object the app/user may not read: the sandbox's choice among the permission codes (UNVERIFIED)."""
OBJECT_PROFILES = ("missing", "forbidden", "empty")
"""Tenant profiles of an object (`unavailable={apiName: profile}`): the tenant does not have it (an
error, 对象…不存在), may not read it (a permission error), or answers with an empty result instead of
an error (reported for some versions, UNVERIFIED)."""

_INDEXED = ("_id", "order_id", "payment_id", "invoice_id")
_RENEW_WINDOW = 600.0
"""api-notes §2c: within the last 600 s of a token's 7200 s the endpoint hands out a new one."""


@dataclass(frozen=True)
class SandboxCredentials:
    """The one app the sandbox knows, and the people in its address book."""

    app_id: str = "FSAID_sandbox0001"
    app_secret: str = "sandbox-app-secret"  # noqa: S105 - a sandbox's fixed test credential
    permanent_code: str = "sandbox-permanent-code"
    corp_id: str = "FSCID_SANDBOX"
    ea: str = "sandbox-ea"
    users: Mapping[str, str] = field(default_factory=lambda: {"FSUID_SANDBOX_ADMIN": "1000"})
    """openUserId (FSUID_…) → CRM employee id; the first one is the admin."""


@dataclass
class _Token:
    value: str
    style: str
    issued_at: float
    expires_at: float
    uses: int = 0


@dataclass
class SandboxStats:
    """What the sandbox saw, for tests and benchmarks."""

    token_calls: int = 0
    token_concurrent_refused: int = 0
    faults: dict[str, int] = field(default_factory=dict)
    throttled: int = 0
    trace_ids: list[str] = field(default_factory=list)
    calls_without_trace_id: int = 0
    revoked: int = 0
    queries: list[dict[str, Any]] = field(default_factory=list)


class FxiaokeSandbox:
    """`with FxiaokeSandbox(dataset) as sandbox:` serves the Open API on 127.0.0.1 at `sandbox.url`.

    expires_in: token lifetime (s). token_calls_per_minute: the token endpoint's limit (None: off).
    throttle: (calls, seconds) allowed per path before 30004 (None: off). daily_quota: calls before
    30002 (None: unlimited; `exhaust_quota()` forces it). clock: epoch seconds, for token expiry tests.
    record_queries: keep every query body in `stats.queries`.
    revoke_after_uses: fault "token revoked mid-stream": a token dies after this many business calls
    (its next call answers 20016; `stats.revoked` counts them). refuse_tokens: fault "token lacks
    permission": every business call answers 20016, a token just fetched included.
    unavailable: tenant profile: {object apiName: "missing" | "forbidden" | "empty"} (OBJECT_PROFILES).
    hidden_ids: fault: rows (by `_id`) queries never serve but `total` counts.
    totals_off: the tenant's totals are off: `total` is always 0 (api-notes §5a).
    ignored_filters: hostile tenant: {object apiName: {"field OPERATOR", ...}} filters its queries
    accept and silently ignore, e.g. {"SalesOrderObj": {"last_modified_time GTE"}} (every page by
    modification time is then the object's first page).
    """

    def __init__(
        self,
        dataset: FxiaokeDataset,
        *,
        faults: FaultPlan | None = None,
        credentials: SandboxCredentials | None = None,
        expires_in: int = 7200,
        token_calls_per_minute: int | None = 10,
        throttle: tuple[int, float] | None = (100, 20.0),
        daily_quota: int | None = None,
        clock: Callable[[], float] = time.time,
        token_latency: float = 0.01,
        record_queries: bool = False,
        revoke_after_uses: int | None = None,
        refuse_tokens: bool = False,
        hidden_ids: frozenset[str] = frozenset(),
        totals_off: bool = False,
        unavailable: Mapping[str, str] | None = None,
        ignored_filters: Mapping[str, Collection[str]] | None = None,
        port: int = 0,
    ) -> None:
        self.dataset = dataset
        self.faults = faults or FaultPlan()
        self.credentials = credentials or SandboxCredentials()
        self.stats = SandboxStats()
        self._expires_in = expires_in
        self._token_rate = token_calls_per_minute
        self._throttle = throttle
        self._quota = daily_quota
        self._quota_used = 0
        self._quota_forced = False
        self._clock = clock
        self._token_latency = token_latency
        self._record_queries = record_queries
        self.revoke_after_uses = revoke_after_uses
        self.refuse_tokens = refuse_tokens
        self.unavailable = dict(unavailable or {})
        unknown = set(self.unavailable.values()) - set(OBJECT_PROFILES)
        if unknown:
            raise ValueError(f"unknown object profiles {sorted(unknown)} (use {OBJECT_PROFILES})")
        self.hidden_ids = hidden_ids
        self.ignored_filters = {name: frozenset(f) for name, f in (ignored_filters or {}).items()}
        self.totals_off = totals_off
        self._tokens: dict[str, _Token] = {}
        self._current: dict[str, str] = {}
        self._token_times: deque[float] = deque()
        self._path_times: dict[str, deque[float]] = {}
        self._lock = threading.Lock()
        self._token_gate = threading.Lock()
        self.server = SandboxServer(self._handle, port=port, name="fxiaoke-sandbox")

    # ------------------------------------------------------------------------- lifecycle

    @property
    def url(self) -> str:
        return self.server.url

    def start(self) -> FxiaokeSandbox:
        self.server.start()
        return self

    def stop(self) -> None:
        self.server.stop()

    def __enter__(self) -> FxiaokeSandbox:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def request_counts(self) -> dict[str, int]:
        return self.server.request_counts

    # ------------------------------------------------------------------------- operator controls

    def exhaust_quota(self) -> None:
        """From now on every business call answers 30002 (daily quota exhausted)."""
        with self._lock:
            self._quota_forced = True

    def restore_quota(self) -> None:
        """Midnight came: the daily quota is fresh."""
        with self._lock:
            self._quota_forced = False
            self._quota_used = 0

    # ------------------------------------------------------------------------- dispatch

    def _handle(self, request: Request) -> Response:
        trace_id = self._trace(request)
        body = _json_object(request)
        if isinstance(body, str):
            return _error(BAD_PARAMETER, body, trace_id)
        fault = self._draw_fault()
        if fault == "truncated":
            return Response(200, _envelope(trace_id, {"note": "cut" * 20}), truncate=True)
        if fault == "500":
            return _error(BUSY, "系统繁忙，请稍后重试", trace_id)
        if request.path in (TOKEN_PATH, OAUTH_PATH):
            return self._token(request, body, trace_id)
        if request.path not in (QUERY_PATH, CUSTOM_QUERY_PATH):
            return Response(404, _envelope(trace_id, None, code=BAD_PARAMETER, message="no such API"))
        refused = self._authenticate(request, body, trace_id, revoke=fault == "token_expiry")
        if refused is not None:
            return refused
        if fault == "429" or self._throttled(request.path):
            return _error(FREQUENCY_LIMIT, "接口调用频率超限 (per-path frequency limit)", trace_id)
        if self._quota_spent():
            return _error(DAILY_QUOTA, "今日接口调用次数已用完 (daily Open API quota exhausted)", trace_id)
        try:
            return self._query(request.path, body, trace_id)
        except QueryError as exc:
            return _error(exc.code, exc.message, trace_id)

    def _alive(self, value: str, style: str, *, revoke: bool) -> bool:
        """Whether the presented token is accepted; counts its use, or applies a token fault to it."""
        with self._lock:
            token = self._tokens.get(value)
            if token is None or token.style != style or self._clock() >= token.expires_at:
                return False
            # An injected expiry kills a token already in use; a token just handed out never dies
            # on its first call (a real token lives 7200 s, it cannot expire twice in a row).
            early = revoke and token.uses > 0
            # The "token revoked mid-stream" fault: this token has had its calls.
            spent = self.revoke_after_uses is not None and token.uses >= self.revoke_after_uses
            if early or spent:
                del self._tokens[value]
                self._current.pop(style, None)
                self.stats.revoked += int(spent and not early)
                return False
            token.uses += 1
            return not self.refuse_tokens

    def _trace(self, request: Request) -> str:
        """The caller's thirdTraceId (echoed as traceId), or one of ours when it sent none."""
        trace = request.arg("thirdTraceId")
        with self._lock:
            if trace:
                self.stats.trace_ids.append(trace)
            else:
                self.stats.calls_without_trace_id += 1
        return trace or f"E-O.sandbox.{uuid.uuid4().hex[:16]}"

    def _draw_fault(self) -> str | None:
        fault = self.faults.draw()
        if fault is not None:
            with self._lock:
                self.stats.faults[fault] = self.stats.faults.get(fault, 0) + 1
        return fault

    # ------------------------------------------------------------------------- tokens

    def _token(self, request: Request, body: Mapping[str, Any], trace_id: str) -> Response:
        if not self._token_gate.acquire(blocking=False):
            with self._lock:
                self.stats.token_concurrent_refused += 1
            return _error(BUSY, "token endpoint must not be called concurrently", trace_id)
        try:
            time.sleep(self._token_latency)  # a real exchange takes time: overlapping callers collide
            with self._lock:
                self.stats.token_calls += 1
                now = self._clock()
                while self._token_times and self._token_times[0] <= now - 60:
                    self._token_times.popleft()
                if self._token_rate is not None and len(self._token_times) >= self._token_rate:
                    return _error(FREQUENCY_LIMIT, "token endpoint: at most 10 calls per minute", trace_id)
                self._token_times.append(now)
                creds = self.credentials
                if not body.get("appSecret"):
                    return _error(MISSING_SECRET, "appSecret 为必填项", trace_id)
                if body.get("appId") != creds.app_id or body.get("appSecret") != creds.app_secret:
                    return _error(BAD_APP, "appId或appSecret错误", trace_id)
                if body.get("permanentCode") != creds.permanent_code:
                    return _error(BAD_PERMANENT_CODE, "永久授权码错误", trace_id)
                bearer = request.path == OAUTH_PATH
                if bearer and body.get("grantType") != "app_secret":
                    return _error(BAD_PARAMETER, "grantType must be app_secret", trace_id)
                token = self._issue("bearer" if bearer else "legacy", now)
                remaining = int(token.expires_at - now)
            if bearer:
                return Response(
                    200,
                    {
                        **_envelope(trace_id, None),
                        "accessToken": token.value,
                        "expiresIn": remaining,
                        "ea": creds.ea,
                        "appId": creds.app_id,
                        "openUserId": next(iter(creds.users)),
                    },
                )
            return Response(
                200,
                {
                    **_envelope(trace_id, None),
                    "corpAccessToken": token.value,
                    "corpId": creds.corp_id,
                    "expiresIn": remaining,
                },
            )
        finally:
            self._token_gate.release()

    def _issue(self, style: str, now: float) -> _Token:
        for value, token in list(self._tokens.items()):
            if token.expires_at <= now:
                del self._tokens[value]
        current = self._tokens.get(self._current.get(style, ""))
        if current is not None and now < current.expires_at - _RENEW_WINDOW:
            return current
        token = _Token(secrets.token_hex(16), style, now, now + self._expires_in)
        self._tokens[token.value] = token
        self._current[style] = token.value
        return token

    def _authenticate(
        self, request: Request, body: Mapping[str, Any], trace_id: str, *, revoke: bool
    ) -> Response | None:
        creds = self.credentials
        bearer = request.header("authorization")
        legacy = body.get("corpAccessToken")
        if bearer and legacy:
            return _error(BAD_PARAMETER, "参数错误: do not mix Bearer headers and corpAccessToken", trace_id)
        if not bearer and not legacy:
            return _error(MISSING_AUTH, "corpAccessToken为必填项", trace_id)
        if bearer:
            value = bearer.removeprefix("Bearer ").strip()
            style, user = "bearer", request.header("x-fs-userid")
            if request.header("x-fs-ea") != creds.ea:
                return _error(MISSING_AUTH, "x-fs-ea is missing or unknown", trace_id)
            known = set(creds.users) if body.get("convertUserId") is True else set(creds.users.values())
        else:
            value, style, user = str(legacy), "legacy", body.get("currentOpenUserId")
            if body.get("corpId") != creds.corp_id:
                return _error(MISSING_AUTH, "corpId 不存在", trace_id)
            known = set(creds.users)
        if not self._alive(value, style, revoke=revoke):
            return _error(EXPIRED_TOKEN, "corpAccessToken 无效或已过期", trace_id)
        if not user:
            return _error(BAD_PARAMETER, "currentOpenUserId 为必填项", trace_id)
        if user not in known:
            return _error(NO_EMPLOYEE_PERMISSION, f"员工 {user} 无权限或不存在", trace_id)
        return None

    # ------------------------------------------------------------------------- limits

    def _throttled(self, path: str) -> bool:
        if self._throttle is None:
            return False
        calls, seconds = self._throttle
        with self._lock:
            now = time.monotonic()
            times = self._path_times.setdefault(path, deque())
            while times and times[0] <= now - seconds:
                times.popleft()
            if len(times) >= calls:
                self.stats.throttled += 1
                return True
            times.append(now)
            return False

    def _quota_spent(self) -> bool:
        with self._lock:
            if self._quota_forced:
                return True
            self._quota_used += 1
            return self._quota is not None and self._quota_used > self._quota

    # ------------------------------------------------------------------------- queries

    def _query(self, path: str, body: Mapping[str, Any], trace_id: str) -> Response:
        search = parse_search(body.get("data"))
        if self._record_queries:
            with self._lock:
                self.stats.queries.append(dict(body.get("data") or {}))
        custom = search.api_name.endswith("__c")
        if custom != (path == CUSTOM_QUERY_PATH):
            where = "/cgi/crm/custom/v2/data/query" if custom else "/cgi/crm/v2/data/query"
            return _error(NO_SUCH_OBJECT, f"对象 {search.api_name} 不存在 (query it on {where})", trace_id)
        profile = self.unavailable.get(search.api_name)
        if profile == "missing" or search.api_name not in self.dataset.objects():
            return _error(NO_SUCH_OBJECT, f"对象 {search.api_name} 不存在", trace_id)
        if profile == "forbidden":
            return _error(NO_OBJECT_PERMISSION, f"无此操作的数据权限 ({search.api_name})", trace_id)
        if profile == "empty":
            empty = {"dataList": [], "offset": search.offset, "limit": search.limit, "total": 0}
            return Response(200, _envelope(trace_id, empty))
        ignored = self.ignored_filters.get(search.api_name)
        if ignored:
            kept = tuple(f for f in search.filters if f"{f.field_name} {f.operator}" not in ignored)
            search = replace(search, filters=kept)
        field = keyset_field(search)
        if field is not None and not self._indexed(search):
            entries = self.dataset.sorted_by(search.api_name, field)
            if self.hidden_ids:
                entries = [e for e in entries if e[1]["_id"] not in self.hidden_ids]
            page, total = select_sorted(entries, field, search), 0
        else:
            candidates = self._candidates(search.api_name, search)
            page, total = select(self._served(candidates), search)
            if self.hidden_ids and search.want_total:
                total = select(candidates, search)[1]  # the fault: counted, never served
        data = {
            "dataList": page,
            "offset": search.offset,
            "limit": search.limit,
            "total": total if search.want_total and not self.totals_off else 0,
        }
        return Response(200, _envelope(trace_id, data))

    def _served(self, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return [r for r in rows if r["_id"] not in self.hidden_ids] if self.hidden_ids else rows

    def _candidates(self, api_name: str, search: Search) -> list[dict[str, Any]]:
        for f in search.filters:
            if f.operator in ("EQ", "IN") and f.field_name in _INDEXED:
                return self.dataset.candidates(api_name, f.field_name, f.values)
        return self.dataset.rows(api_name)

    @staticmethod
    def _indexed(search: Search) -> bool:
        return any(f.operator in ("EQ", "IN") and f.field_name in _INDEXED for f in search.filters)


def _envelope(trace_id: str, data: Any, *, code: int = 0, message: str = "OK") -> dict[str, Any]:
    envelope: dict[str, Any] = {
        "errorCode": code,
        "errorMessage": message,
        "errorDescription": "success" if code == 0 else message,
        "traceId": trace_id,
    }
    if data is not None:
        envelope["data"] = data
    return envelope


def _json_object(request: Request) -> dict[str, Any] | str:
    """The POSTed JSON object, or what is wrong with the request."""
    if request.method != "POST":
        return "only POST is supported"
    try:
        body = request.json()
    except ValueError:
        return "参数错误: body is not JSON"
    return body if isinstance(body, dict) else "参数错误: body must be a JSON object"


def _error(code: int, message: str, trace_id: str) -> Response:
    return Response(200, _envelope(trace_id, None, code=code, message=message))
