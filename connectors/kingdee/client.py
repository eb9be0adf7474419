"""Kingdee K/3 Cloud's WebAPI as the connector speaks it: service URLs, the login and its session cookie,
the error envelope that arrives with HTTP 200, and the session every stream queries through
(api-notes fxiaoke-kingdee.md §12).

Every call is `POST <server_url>/Kingdee.BOS.WebApi.ServicesStub.<Service>.<Method>.common.kdsvc` with
a JSON body. Signing in (`AuthService.LoginByAppSecret`, or `AuthService.ValidateUser` with a password)
succeeds only when the answer's `LoginResultType` is 1; the server then keeps the session under the
`kdservice-sessionid` cookie, which every later call sends. The session is shared by every thread and
kept in the token store (encrypted, shared by processes); when the server says it is gone, the HTTP
loop invalidates it, one thread signs in again (single-flight under the store's refresh lock) and the
call is sent again once.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Final

import requests
import structlog

from config.kinds import KingdeeSettings
from config.redaction import remember_secret
from connectors.base import Clock, ConnectorDeps, Token, TokenStore
from connectors.errors import AuthError, FatalApiError, TokenExpiredError
from connectors.http import HttpClient, Interpreter, RetryPolicy
from connectors.oauth2 import CachedTokenAuth

log = structlog.get_logger(__name__)

SESSION_COOKIE: Final = "kdservice-sessionid"
LOGIN_OK: Final = 1
"""`LoginResultType` of a successful sign-in; any other value is a refusal (api-notes §12)."""
SESSION_LIFETIME: Final = timedelta(minutes=20)
"""How long a session is reused before signing in again unasked. The server's idle timeout is not in
the notes (UNVERIFIED): a session it drops sooner is renewed on its refusal."""
SESSION_LOST_CODE: Final = 1
"""`MsgCode` taken to mean "the session (context) is lost: sign in again" (UNVERIFIED: the notes name
`MsgCode` but not its values; a message speaking of the session or of signing in counts too)."""
_SESSION_WORDS: Final = ("会话", "登录", "session", "login", "context")
DEFAULT_REQUESTS_PER_MINUTE: Final = 300.0
"""Kingdee publishes no rate limit in the notes: five calls a second, one at a time, by default."""
_COOKIE_VALUE = re.compile(rf"(?:^|[,;]\s*){re.escape(SESSION_COOKIE)}=([^;,\s]+)", re.IGNORECASE)


def service_url(server_url: str, service: str, method: str) -> str:
    """`<server_url>/Kingdee.BOS.WebApi.ServicesStub.<Service>.<Method>.common.kdsvc`."""
    return f"{server_url.rstrip('/')}/Kingdee.BOS.WebApi.ServicesStub.{service}.{method}.common.kdsvc"


# ----------------------------------------------------------------------------- errors


@dataclass(frozen=True)
class ResponseStatus:
    """The `Result.ResponseStatus` of a failed call: `IsSuccess` false, its `Errors[].Message`s and
    `MsgCode` (api-notes §12: `[[{"Result":{"ResponseStatus":{...}}}]]`, with HTTP 200)."""

    messages: tuple[str, ...]
    msg_code: str | None

    def said(self) -> str:
        words = "; ".join(self.messages) or "no message"
        return f"{words} (MsgCode {self.msg_code})" if self.msg_code is not None else words

    @property
    def session_lost(self) -> bool:
        if self.msg_code == str(SESSION_LOST_CODE):
            return True
        text = " ".join(self.messages).lower()
        return any(word in text for word in _SESSION_WORDS)


def failed_status(body: Any) -> ResponseStatus | None:
    """The failure a body carries, None for an answer that is not an error envelope. The envelope may
    come bare (`{"Result": ...}`) or wrapped like query rows (`[[{"Result": ...}]]`); a query answer
    whose rows hold an object instead of values is an envelope too, whatever its shape."""
    found = body
    while isinstance(found, list) and found:
        found = found[0]
    if not isinstance(found, Mapping):
        return None
    result = found.get("Result")
    status = result.get("ResponseStatus") if isinstance(result, Mapping) else found.get("ResponseStatus")
    if not isinstance(status, Mapping):
        if found is body:
            return None  # a bare object of another kind (the sign-in's answer)
        return ResponseStatus(("an object where query rows were expected",), None)
    if status.get("IsSuccess") is True:
        return None
    errors = status.get("Errors")
    messages = tuple(
        str(error.get("Message") or "")
        for error in (errors if isinstance(errors, list) else ())
        if isinstance(error, Mapping)
    )
    code = status.get("MsgCode", status.get("ErrorCode"))
    return ResponseStatus(messages, None if code is None else str(code))


def interpreter(name: str) -> Interpreter:
    """K/3 Cloud's answers as connector errors: an error envelope (HTTP 200) is never rows. A lost
    session is a `TokenExpiredError` (the HTTP loop signs in again once); anything else the server
    refused is a `FatalApiError` with its messages. 5xx, 429 and bodies that are not JSON (a cut
    connection) are left to the HTTP loop, which retries them."""

    def interpret(response: requests.Response, body: Any) -> None:
        if response.status_code >= 500 or response.status_code == 429:
            return
        status = failed_status(body)
        if status is None:
            return
        said = f"{name}: K/3 Cloud refused the call: {status.said()}"
        log.warning("kingdee.api_error", connector=name, msg_code=status.msg_code, error=status.said())
        if status.session_lost:
            raise TokenExpiredError(
                said,
                persisting=f"{said} — refused again right after signing in: the user may not use the "
                "WebAPI (check the third-party app's user and the data center)",
                vendor_code=status.msg_code,
            )
        raise FatalApiError(said, vendor_code=status.msg_code)

    return interpret


# ----------------------------------------------------------------------------- sign-in


@dataclass(frozen=True)
class Login:
    """How the connector signs in: the method and its `parameters` (secrets included)."""

    method: str
    parameters: tuple[Any, ...]
    describe: str

    def __repr__(self) -> str:
        return f"Login({self.describe})"


def login_of(cfg: KingdeeSettings, resolve: Callable[[str], str]) -> Login:
    """`LoginByAppSecret [acctId, userName, appId, appSecret, lcid]`, or `ValidateUser [acctId,
    userName, password, lcid]` (api-notes §12)."""
    creds = cfg.credentials
    if creds.password is not None:
        password = resolve(creds.password)
        remember_secret(password)
        return Login(
            "ValidateUser",
            (cfg.acct_id, cfg.user_name, password, cfg.lcid),
            f"ValidateUser as {cfg.user_name} in data center {cfg.acct_id}",
        )
    assert creds.app_id is not None  # the settings model requires both, or a password
    assert creds.app_secret is not None
    secret = resolve(creds.app_secret)
    remember_secret(secret)
    return Login(
        "LoginByAppSecret",
        (cfg.acct_id, cfg.user_name, resolve(creds.app_id), secret, cfg.lcid),
        f"LoginByAppSecret as {cfg.user_name} in data center {cfg.acct_id}",
    )


class KingdeeAuth(CachedTokenAuth):
    """Sends the `kdservice-sessionid` cookie; signs in when there is no usable session (one sign-in at
    a time across threads and processes, under the token store's refresh lock)."""

    def __init__(
        self,
        *,
        http: HttpClient,
        server_url: str,
        login: Login,
        store: TokenStore,
        key: str,
        clock: Clock,
    ) -> None:
        super().__init__(store=store, key=key, clock=clock)
        self._http, self._server_url, self._login = http, server_url, login

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        token = self.token()
        self._sent.token = token
        request.headers["Cookie"] = f"{SESSION_COOKIE}={token.access_token}"
        return request

    def _refresh(self, previous: Token | None) -> Token:
        login = self._login
        log.info("kingdee.sign_in", key=self.key, method=login.method)
        response = self._http.request(
            "POST",
            service_url(self._server_url, "AuthService", login.method),
            json_body={"parameters": list(login.parameters)},
            auth=False,
            redirects="never",  # the secret goes to the configured server only
        )
        body = response.body
        if not isinstance(body, Mapping):
            raise AuthError(f"{self.key}: {login.method} answered without a JSON object (wrong server_url?)")
        kind = body.get("LoginResultType")
        if str(kind) != str(LOGIN_OK):
            message = body.get("Message") or body.get("MessageCode") or "no message"
            raise AuthError(
                f"{self.key}: {login.describe} refused (LoginResultType {kind}: {message}). Check acct_id "
                "(账套), user_name and the third-party app (第三方系统登录授权: app_id, app_secret, the user "
                "it may act as); password login is refused by tenants opened after 2022-11-29"
            )
        session = session_id(response.headers, body)
        if session is None:
            raise AuthError(f"{self.key}: {login.method} succeeded without a {SESSION_COOKIE} cookie")
        remember_secret(session, minted=True)
        now = self._clock()
        return Token(session, now + SESSION_LIFETIME, {"minted_at": now.isoformat()})


def session_id(headers: Mapping[str, str], body: Mapping[str, Any]) -> str | None:
    """The session from the sign-in's `Set-Cookie: kdservice-sessionid=...`; else the body's
    `KDSVCSessionId` (UNVERIFIED: not in the notes, seen in public answers)."""
    cookie = next((v for k, v in headers.items() if k.lower() == "set-cookie"), "")
    found = _COOKIE_VALUE.search(cookie)
    if found:
        return found.group(1)
    fallback = body.get("KDSVCSessionId")
    return str(fallback) if isinstance(fallback, str) and fallback else None


# ----------------------------------------------------------------------------- session


class KingdeeSession:
    """A configured connector's HTTP clients (sign-in, queries), its auth and its query call."""

    def __init__(self, cfg: KingdeeSettings, deps: ConnectorDeps, *, retry: RetryPolicy | None = None):
        unknown = set(cfg.endpoints)
        if unknown:
            raise ValueError(
                f"connector {cfg.name}: unknown endpoints {sorted(unknown)} (K/3 Cloud takes server_url)"
            )
        self.cfg = cfg
        timeout = (min(10.0, cfg.timeout_seconds), cfg.timeout_seconds)
        per_minute = cfg.limits.requests_per_minute or DEFAULT_REQUESTS_PER_MINUTE

        def client(name: str, auth: KingdeeAuth | None) -> HttpClient:
            return HttpClient(
                name,
                interpret=interpreter(cfg.name),
                auth=auth,
                requests_per_second=per_minute / 60.0,
                concurrency=cfg.limits.concurrency or 1,
                retry=retry,
                timeout=timeout,
                deadline=cfg.limits.request_deadline_seconds,
                sleep=deps.sleep,
                observer=deps.observer,
            )

        self.login = login_of(cfg, deps.resolve)
        self.login_http = client(f"{cfg.name}/login", None)
        self.auth = KingdeeAuth(
            http=self.login_http,
            server_url=cfg.server_url,
            login=self.login,
            store=deps.token_store,
            key=f"kingdee:{cfg.name}",
            clock=deps.clock,
        )
        self.http = client(cfg.name, self.auth)

    def execute_bill_query(self, data: Mapping[str, Any]) -> list[Sequence[Any]]:
        """`DynamicFormService.ExecuteBillQuery`: rows in `FieldKeys` order (an error envelope has
        already been raised by the interpreter); anything but a list of rows is an error."""
        url = service_url(self.cfg.server_url, "DynamicFormService", "ExecuteBillQuery")
        body = self.http.request("POST", url, json_body={"data": dict(data)}).body
        if not isinstance(body, list) or not all(isinstance(row, list) for row in body):
            raise FatalApiError(
                f"{self.cfg.name}: ExecuteBillQuery of {data.get('FormId')} answered without a list of rows"
            )
        return body

    def close(self) -> None:
        self.http.close()
        self.login_http.close()
