"""The Kingdee K/3 Cloud (金蝶云星空) WebAPI emulator: AuthService logins with the
`kdservice-sessionid` cookie, `DynamicFormService.ExecuteBillQuery` (and `BillQuery`) over a
KingdeeDataset, errors as data with HTTP 200, session expiry and faults (api-notes §12).

Written from the api-notes alone, apart from the client (connectors/kingdee/). README.md (beside this
file) lists which note facts it emulates and which readings are switchable (KingdeeSandboxOptions).
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from http.cookies import CookieError, SimpleCookie
from typing import Any, Final

from connectors.sandbox.kingdee.dataset import FORMS, ORG, KingdeeDataset, catalogue
from connectors.sandbox.kingdee.query import QueryError, field_keys, filter_string, order_string, run
from connectors.sandbox.server import FaultPlan, Request, Response, SandboxServer, ServedSandbox

SERVER_PATH: Final = "/K3Cloud"
"""Where the WebAPI lives: `server_url` is `<sandbox url>/K3Cloud` (there is no default gateway)."""
PREFIX: Final = SERVER_PATH + "/"
STUB: Final = "Kingdee.BOS.WebApi.ServicesStub."
SUFFIX: Final = ".common.kdsvc"
COOKIE: Final = "kdservice-sessionid"

MSG_SESSION_LOST: Final = 1
"""MsgCode of an answer to a lost or expired session (会话信息已丢失). K/3 Cloud's MsgCode values are not
in the notes: 1 session lost, 2 no permission, 4 exception, 8 bad parameter, 9 field or value does
not exist — the sandbox's reading, UNVERIFIED."""
MSG_NO_PERMISSION: Final = 2
MSG_EXCEPTION: Final = 4
MSG_BAD_PARAMETER: Final = 8
SESSION_LOST_TEXT: Final = "会话信息已丢失，请重新登录"

LOGIN_SUCCESS: Final = 1
LOGIN_FAILURE: Final = 0
LOGIN_NO_DATA_CENTER: Final = -1
"""LoginResultType values other than 1 the sandbox answers (the notes only say success iff 1)."""


@dataclass
class KingdeeSandboxOptions:
    """The tenant's fixed credentials and every switchable reading of the notes."""

    user_name: str = "集成用户"
    app_id: str = "300001_SandboxKingdeeApp0000"
    app_secret: str = "sandbox-kingdee-app-secret"  # noqa: S105 - a sandbox's fixed credential
    password: str = "sandbox-kingdee-password"  # noqa: S105 - a sandbox's fixed credential
    password_login: bool = True
    """ValidateUser accepted. False: the tenant refuses password login (public-cloud tenants opened after
    2022-11-29, api-notes §12, UNVERIFIED): LoginResultType 0 and a message, whatever the password."""
    login_result_type: int | None = None
    """Force this LoginResultType on correct credentials (e.g. 2, with a session cookie set): the
    notes say only 1 is success, so a reader must refuse it."""
    session_ttl: float | None = None
    """A session dies this many seconds after its login (None: never)."""
    session_max_calls: int | None = None
    """A session dies after this many business calls (its next call is answered as a lost session)."""
    session_lost_msgcode: bool = True
    """A lost session's envelope carries MsgCode 1 (False: no MsgCode, only the message)."""
    max_limit: int = 2000
    """`Limit` cap (api-notes §12: ≤ 2000; patch 23.11+ 10 000 by default, WebAPIMaxQueryLimit)."""
    over_limit: str = "clamp"
    """A Limit above the cap: "clamp" (answer max_limit rows, the documented reading of a maximum) or
    "error" (an error envelope; the notes do not say which)."""
    empty_forms: frozenset[str] = frozenset()
    """Forms the user may not read answered with an EMPTY result instead of an error (some versions)."""
    forbidden_forms: frozenset[str] = frozenset()
    """Forms the user may not read answered with a permission error (MsgCode 2)."""
    decimal_scale: int | None = None
    """Send every decimal with this many places (e.g. 10, as the database stores them); None: exact as
    held (amounts 2 places, prices up to 6)."""
    accept_bare_query: bool = False
    """Accept the query object at the top level of the body (not under `data` or `parameters`)."""


@dataclass
class _Session:
    user: str
    acct_id: str
    born: float
    calls: int = 0
    dead: bool = False


@dataclass
class KingdeeStats:
    logins: int = 0
    """Successful logins (sessions issued)."""
    login_attempts: int = 0
    sessions_lost: int = 0
    """Business calls answered as a lost session."""
    queries: list[dict[str, Any]] = field(default_factory=list)
    """Every ExecuteBillQuery/BillQuery the sandbox answered with rows: FormId, StartRow, Limit, rows."""


class KingdeeSandbox(ServedSandbox):
    """`with KingdeeSandbox(dataset) as url:` serves the WebAPI on 127.0.0.1; the client's server_url
    is `sandbox.server_url` (`url + "/K3Cloud"`), its acct_id `dataset.acct_id`."""

    def __init__(
        self,
        dataset: KingdeeDataset,
        *,
        options: KingdeeSandboxOptions | None = None,
        faults: FaultPlan | None = None,
        clock: Callable[[], float] = time.monotonic,
        port: int = 0,
    ) -> None:
        self.dataset = dataset
        self.options = options or KingdeeSandboxOptions()
        self.faults = faults or FaultPlan()
        self.stats = KingdeeStats()
        self._clock = clock
        self._lock = threading.Lock()
        self._sessions: dict[str, _Session] = {}
        self._cache: OrderedDict[tuple[Any, ...], list[list[Any]]] = OrderedDict()
        self.server = SandboxServer(self.handle, port=port, name="kingdee-sandbox")

    @property
    def server_url(self) -> str:
        return self.url + SERVER_PATH

    def expire_sessions(self) -> int:
        """Every session issued so far dies now (their next call answers as a lost session)."""
        with self._lock:
            alive = [s for s in self._sessions.values() if not s.dead]
            for session in alive:
                session.dead = True
            return len(alive)

    @property
    def live_sessions(self) -> int:
        with self._lock:
            return sum(1 for s in self._sessions.values() if not s.dead)

    # ------------------------------------------------------------------------- routing

    def handle(self, request: Request) -> Response:
        if request.method != "POST" or not request.path.startswith(PREFIX + STUB):
            return Response(
                404,
                b"<html><body><h1>404 - File or directory not found.</h1></body></html>",
                {"Content-Type": "text/html"},
            )
        operation = request.path[len(PREFIX + STUB) :]
        if not operation.endswith(SUFFIX):
            return Response(
                404, b"<html><body><h1>404 - Not found.</h1></body></html>", {"Content-Type": "text/html"}
            )
        operation = operation[: -len(SUFFIX)]
        fault = self.faults.draw()
        if fault in ("500", "429"):
            status = 500 if fault == "500" else 429
            return Response(
                status, b"<html><body><h1>Server Error</h1></body></html>", {"Content-Type": "text/html"}
            )
        if fault == "token_expiry":
            self._kill(request)
        response = self._operation(operation, request)
        return Response(response.status, response.body, response.headers, truncate=fault == "truncated")

    def _operation(self, operation: str, request: Request) -> Response:
        try:
            body = request.json()
        except (ValueError, UnicodeDecodeError):
            body = None
        if operation == "AuthService.LoginByAppSecret":
            return self._login(body, ("acctid", "username", "appid", "appsecret", "lcid"), self._app_ok)
        if operation == "AuthService.ValidateUser":
            return self._login(body, ("acctid", "username", "password", "lcid"), self._password_ok)
        if operation == "AuthService.Logout":
            sid = _cookie(request)
            with self._lock:
                if sid in self._sessions:
                    self._sessions[sid].dead = True
            return Response(200, True)
        if operation in ("DynamicFormService.ExecuteBillQuery", "DynamicFormService.BillQuery"):
            lost = self._session(request)
            if lost is not None:
                return lost
            return self._query(body, as_objects=operation.endswith(".BillQuery"))
        lost = self._session(request)
        if lost is not None:
            return lost
        return Response(
            200, error_envelope(f"沙箱不支持 {operation} (the sandbox only reads)", MSG_EXCEPTION)
        )

    # ------------------------------------------------------------------------- login

    def _login(
        self, body: Any, names: tuple[str, ...], check: Callable[[dict[str, Any]], str | None]
    ) -> Response:
        args = _login_args(body, names)
        with self._lock:
            self.stats.login_attempts += 1
        if args is None:
            return Response(
                200, _login_answer(LOGIN_FAILURE, "参数错误：请求参数格式不正确 (bad parameters)")
            )
        if str(args.get("acctid")) != self.dataset.acct_id:
            return Response(200, _login_answer(LOGIN_NO_DATA_CENTER, "数据中心不存在 (no such data center)"))
        refused = check(args)
        if refused is not None:
            return Response(200, _login_answer(LOGIN_FAILURE, refused))
        sid = uuid.uuid4().hex[:24]
        with self._lock:
            self._sessions[sid] = _Session(str(args["username"]), self.dataset.acct_id, self._clock())
            self.stats.logins += 1
        result_type = self.options.login_result_type or LOGIN_SUCCESS
        answer = _login_answer(
            result_type, None if result_type == LOGIN_SUCCESS else "请修改密码 (password policy)"
        )
        answer["Context"] = self._context(sid, str(args["username"]))
        answer["KDSVCSessionId"] = sid
        answer["IsSuccessByAPI"] = result_type == LOGIN_SUCCESS
        return Response(200, answer, {"Set-Cookie": f"{COOKIE}={sid}; path=/; HttpOnly"})

    def _app_ok(self, args: dict[str, Any]) -> str | None:
        opts = self.options
        if args.get("username") != opts.user_name:
            return "用户名不存在或已禁用 (no such user)"
        if args.get("appid") != opts.app_id or args.get("appsecret") != opts.app_secret:
            return "应用ID或应用密钥不正确 (wrong appId or appSecret)"
        return None

    def _password_ok(self, args: dict[str, Any]) -> str | None:
        opts = self.options
        if not opts.password_login:
            return "该数据中心不允许用户名密码登录，请使用第三方系统登录授权 (password login refused)"
        if args.get("username") != opts.user_name or args.get("password") != opts.password:
            return "用户名或密码错误 (wrong user name or password)"
        return None

    def _context(self, sid: str, user: str) -> dict[str, Any]:
        return {
            "UserLocale": "zh-CN",
            "LogLocale": "zh-CN",
            "DBid": self.dataset.acct_id,
            "DatabaseType": 3,
            "SessionId": sid,
            "UserId": 100008,
            "UserName": user,
            "CustomName": self.dataset.name,
            "DataCenterName": self.dataset.name,
            "DisplayVersion": "8.2.sandbox",
            "UserToken": str(uuid.uuid4()),
            "ClientType": 32,
            "CurrentOrganizationInfo": {
                "ID": ORG[0],
                "AcctOrgType": "1",
                "Name": ORG[2],
                "FunctionIds": [101, 102, 103, 104, 107, 108],
            },
            "UTimeZone": {
                "OffsetTicks": 288000000000,
                "StandardName": "(UTC+08:00)北京，重庆，香港特别行政区，乌鲁木齐",
                "Id": 230,
                "Number": "1078_SYS",
                "CanBeUsed": True,
            },
        }

    # ------------------------------------------------------------------------- sessions

    def _session(self, request: Request) -> Response | None:
        """None when the call's cookie names a live session (counting the call), else the lost-session
        envelope. Signed-header (SDK v3) calls are not verified: the notes do not give the signature's
        exact layout, so such a call without a session is a lost session too."""
        sid = _cookie(request)
        opts = self.options
        with self._lock:
            session = self._sessions.get(sid or "")
            if session is not None and not session.dead:
                expired = opts.session_ttl is not None and self._clock() - session.born >= opts.session_ttl
                used_up = opts.session_max_calls is not None and session.calls >= opts.session_max_calls
                if expired or used_up:
                    session.dead = True
                else:
                    session.calls += 1
                    return None
            self.stats.sessions_lost += 1
        return Response(
            200, error_envelope(SESSION_LOST_TEXT, MSG_SESSION_LOST if opts.session_lost_msgcode else None)
        )

    def _kill(self, request: Request) -> None:
        """Fault 'token_expiry': the presented session dies (never on its first business call)."""
        sid = _cookie(request)
        with self._lock:
            session = self._sessions.get(sid or "")
            if session is not None and session.calls > 0:
                session.dead = True

    # ------------------------------------------------------------------------- queries

    def _query(self, body: Any, *, as_objects: bool) -> Response:
        data = _query_data(body, bare=self.options.accept_bare_query)
        if data is None:
            return Response(
                200,
                error_envelope("缺少参数 data (the query goes under data or parameters)", MSG_BAD_PARAMETER),
            )
        form = data.get("FormId")
        if form not in FORMS:
            return Response(200, error_envelope(f"业务对象“{form}”不存在 (no such form)", MSG_EXCEPTION))
        opts = self.options
        if form in opts.forbidden_forms:
            return Response(
                200, error_envelope(f"没有“{form}”的查看权限 (no permission to view)", MSG_NO_PERMISSION)
            )
        try:
            start = _int(data.get("StartRow"), "StartRow")
            limit = _int(data.get("Limit"), "Limit")
            top = _int(data.get("TopRowCount"), "TopRowCount")
            if limit > opts.max_limit and opts.over_limit == "error":
                raise QueryError(
                    f"Limit 不能大于 {opts.max_limit} (Limit above the maximum)", MSG_BAD_PARAMETER
                )
            rows = self._rows(form, data)
        except QueryError as exc:
            return Response(200, error_envelope(str(exc), exc.msg_code))
        if form in opts.empty_forms:
            rows = []
        if top > 0:
            rows = rows[:top]
        size = opts.max_limit if limit <= 0 else min(limit, opts.max_limit)
        page = [[self._value(v) for v in row] for row in rows[start : start + size]]
        with self._lock:
            self.stats.queries.append({"FormId": form, "StartRow": start, "Limit": limit, "rows": len(page)})
        if as_objects:
            keys = [key.strip() for key in str(data.get("FieldKeys")).split(",") if key.strip()]
            return Response(200, [dict(zip(keys, row, strict=True)) for row in page])
        return Response(200, page)

    def _rows(self, form: str, data: Mapping[str, Any]) -> list[list[Any]]:
        key = (
            form,
            data.get("FieldKeys"),
            data.get("FilterString"),
            data.get("OrderString"),
            self.dataset.version,
        )
        with self._lock:
            cached = self._cache.get(key)
            if cached is not None:
                self._cache.move_to_end(key)
                return cached
        fields, entries_of = catalogue(form, self.dataset.lookups)
        columns = field_keys(data.get("FieldKeys"), fields)
        predicate, entities = filter_string(data.get("FilterString"), fields)
        order = order_string(data.get("OrderString"), fields)
        rows = run(self.dataset.records(form), entries_of, columns, predicate, entities, order)
        with self._lock:
            self._cache[key] = rows
            while len(self._cache) > 16:
                self._cache.popitem(last=False)
        return rows

    def _value(self, value: Any) -> Any:
        if isinstance(value, Decimal) and self.options.decimal_scale is not None:
            return value.quantize(Decimal(1).scaleb(-self.options.decimal_scale))
        if isinstance(value, datetime):
            return value.isoformat(timespec="milliseconds" if value.microsecond else "seconds")
        if isinstance(value, date):
            return datetime(value.year, value.month, value.day).isoformat()  # noqa: DTZ001 - server local time
        return value


# ----------------------------------------------------------------------------- envelopes


def error_envelope(message: str, msg_code: int | None) -> list[list[dict[str, Any]]]:
    """K/3 Cloud's error as data (api-notes §12): `[[{"Result":{"ResponseStatus":{...}}}]]`."""
    status: dict[str, Any] = {
        "ErrorCode": 500,
        "IsSuccess": False,
        "Errors": [{"FieldName": None, "Message": message, "DIndex": 0}],
        "SuccessEntitys": [],
        "SuccessMessages": [],
    }
    if msg_code is not None:
        status["MsgCode"] = msg_code
    return [[{"Result": {"ResponseStatus": status}}]]


def _login_answer(result_type: int, message: str | None) -> dict[str, Any]:
    return {
        "Message": message,
        "MessageCode": "CheckPasswordPolicy" if result_type == LOGIN_SUCCESS else None,
        "LoginResultType": result_type,
        "Context": None,
        "KDSVCSessionId": None,
        "FormId": None,
        "RedirectFormParam": None,
        "FormInputObject": None,
        "ErrorStackTrace": None,
        "Lcid": 0,
        "AccessToken": None,
        "CustomParam": {},
        "KdAccessResult": None,
        "IsSuccessByAPI": False,
    }


def _login_args(body: Any, names: tuple[str, ...]) -> dict[str, Any] | None:
    """`{"parameters": [acctId, userName, secret..., lcid]}` or named keys (any case)."""
    if not isinstance(body, dict):
        return None
    params = body.get("parameters")
    if isinstance(params, str):
        try:
            params = json.loads(params)
        except ValueError:
            return None
    if isinstance(params, list):
        if len(params) < len(names) - 1:
            return None
        return {name: _text(value) for name, value in zip(names, params, strict=False)}
    lowered = {str(k).lower(): v for k, v in body.items()}
    if not all(name in lowered for name in names[:-1]):
        return None
    return {name: _text(lowered.get(name)) for name in names}


def _text(value: Any) -> Any:
    return str(value) if isinstance(value, int | Decimal) else value


def _query_data(body: Any, *, bare: bool) -> dict[str, Any] | None:
    """The query object: `{"data": {...}}` (or a JSON string of it), `{"parameters": [{...}]}`; a
    FormId beside `data` counts when `data` has none."""
    if not isinstance(body, dict):
        return None
    data = body.get("data")
    if data is None and isinstance(body.get("parameters"), list) and body["parameters"]:
        data = body["parameters"][0]
    if data is None and bare and "FormId" in body:
        data = body
    if isinstance(data, str):
        try:
            data = json.loads(data, parse_float=Decimal)
        except ValueError:
            return None
    if not isinstance(data, dict):
        return None
    if "FormId" not in data and isinstance(body.get("FormId"), str):  # the SDK's (formid, data) calls
        data = {**data, "FormId": body["FormId"]}
    return data


def _int(value: Any, name: str) -> int:
    if value is None or value == "":
        return 0
    try:
        number = int(str(value))
    except ValueError as exc:
        raise QueryError(f"{name} 必须是整数 ({name} must be an integer)", MSG_BAD_PARAMETER) from exc
    if number < 0:
        raise QueryError(f"{name} 不能小于 0", MSG_BAD_PARAMETER)
    return number


def _cookie(request: Request) -> str | None:
    header = request.header("Cookie")
    if not header:
        return None
    jar: SimpleCookie = SimpleCookie()
    try:
        jar.load(header)
    except CookieError:
        return None
    morsel = jar.get(COOKIE)
    return morsel.value if morsel is not None else None


__all__ = ["KingdeeSandbox", "KingdeeSandboxOptions", "KingdeeStats", "error_envelope"]
