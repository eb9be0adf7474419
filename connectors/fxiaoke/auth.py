"""Fxiaoke authentication: one cached token per connector, fetched under a lock, signed into every call.

Legacy style (api-notes §2a, what every public client uses): `POST /cgi/corpAccessToken/get/V2` with
appId, appSecret, permanentCode → corpAccessToken + corpId, sent in each JSON body with
`currentOpenUserId`. Bearer style (§2b): `POST /oauth2.0/token` → accessToken + ea, sent as
`authorization`, `x-fs-ea`, `x-fs-userid` headers. Every URL gets a fresh `thirdTraceId` (§1).
"""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal
from urllib.parse import urlencode

import requests
import structlog
from requests.auth import AuthBase

from config.redaction import remember_secret
from connectors.base import Token, TokenStore
from connectors.errors import AuthError
from connectors.http import HttpClient

log = structlog.get_logger(__name__)

LEGACY_TOKEN_PATH = "/cgi/corpAccessToken/get/V2"  # noqa: S105 - a URL path, not a password
BEARER_TOKEN_PATH = "/oauth2.0/token"  # noqa: S105 - a URL path, not a password
EARLY_REFRESH = timedelta(seconds=600)
"""Refresh when less than this is left: Fxiaoke hands out a new token only in a token's last 600 s."""
LAST_MOMENT = timedelta(seconds=30)
"""Never send a token with less than this left, even if the vendor just handed it back."""

AuthStyle = Literal["legacy", "bearer"]


@dataclass(frozen=True)
class AppCredentials:
    """The self-built app (企业自建应用) and the CRM user every call acts as."""

    app_id: str
    app_secret: str
    permanent_code: str
    open_user_id: str

    def __repr__(self) -> str:
        return f"AppCredentials(app_id={self.app_id!r}, open_user_id={self.open_user_id!r})"


def traced(url: str) -> str:
    """The URL with a fresh `thirdTraceId` (unique per request, echoed back as `traceId`)."""
    return f"{url}{'&' if '?' in url else '?'}{urlencode({'thirdTraceId': str(uuid.uuid4())})}"


class FxiaokeAuth(AuthBase):
    """A requests auth that signs each send with the current token, a fresh thirdTraceId and the user.

    The token lives in the TokenStore under `key` (encrypted by the store, shared across processes);
    it is fetched under `TokenStore.refresh_lock`, so there is never more than one token request at a
    time, and refreshed early. `invalidate()` (called by the HTTP loop on 20016) drops it."""

    def __init__(
        self,
        *,
        key: str,
        credentials: AppCredentials,
        style: AuthStyle,
        base_url: str,
        token_client: HttpClient,
        store: TokenStore,
        clock: Callable[[], datetime],
    ) -> None:
        self._key = key
        self._credentials = credentials
        remember_secret(credentials.app_secret, credentials.permanent_code)  # scrubbed from every sink
        self._style = style
        self._base = base_url.rstrip("/")
        self._http = token_client
        self._store = store
        self._clock = clock
        self._cached: Token | None = None
        self._refused: str | None = None
        self._kept_early: str | None = None
        self._refused_at: datetime | None = None
        self._sent = threading.local()  # the token this thread last signed a request with
        self._lock = threading.Lock()

    # ------------------------------------------------------------------------- tokens

    def token(self) -> Token:
        """A token good for at least a while: cached, else from the store, else fetched (one at a time)."""
        with self._lock:
            if self._usable(self._cached):
                assert self._cached is not None
                return self._cached
            stored = self._store.load(self._key)
            if not self._usable(stored):
                with self._store.refresh_lock(self._key):
                    stored = self._store.load(self._key)  # another process may have refreshed meanwhile
                    if not self._usable(stored):
                        stored = self._fetch(stored)
                        self._store.save(self._key, stored)
            assert stored is not None
            remember_secret(stored.access_token, minted=True)  # maybe minted by another process
            self._cached = stored
            return stored

    def invalidate(self) -> None:
        """The vendor refused the token this thread sent (20016/20005: expired, or replaced): the next
        request fetches another. A token another thread already put in its place is kept, so calls
        refused at once cause one fetch."""
        sent: Token | None = getattr(self._sent, "token", None)
        with self._lock:
            refused = sent.access_token if sent is not None else None
            if self._cached is None or refused is None or self._cached.access_token == refused:
                self._refused = (
                    refused if refused is not None else getattr(self._cached, "access_token", None)
                )
                self._cached = None
                self._refused_at = self._clock()

    def fresh_since_refusal(self) -> bool:
        """Whether the token this thread last sent was fetched at or after the last refusal."""
        sent: Token | None = getattr(self._sent, "token", None)
        with self._lock:
            refused_at = self._refused_at
        return sent is not None and sent.minted_since(refused_at)

    def _usable(self, token: Token | None) -> bool:
        if token is None or token.extra.get("style") != self._style or token.access_token == self._refused:
            return False
        left = token.expires_at - self._clock()
        if left > EARLY_REFRESH:
            return True
        return left > LAST_MOMENT and token.access_token == self._kept_early

    def _fetch(self, previous: Token | None) -> Token:
        creds = self._credentials
        body: dict[str, Any] = {
            "appId": creds.app_id,
            "appSecret": creds.app_secret,
            "permanentCode": creds.permanent_code,
        }
        path = LEGACY_TOKEN_PATH
        if self._style == "bearer":
            body["grantType"] = "app_secret"
            path = BEARER_TOKEN_PATH
        log.info("fxiaoke.token_fetch", key=self._key, style=self._style)
        answer = self._http.request(
            "POST", traced(self._base + path), json_body=body, auth=False, redirects="never"
        ).body  # appSecret and permanentCode go to the configured host only; a redirect is an AuthError
        if not isinstance(answer, dict):
            raise AuthError(f"{self._key}: the token endpoint answered without a JSON object")
        token = _token_from(self._style, answer, self._clock())
        if previous is not None and previous.access_token == token.access_token:
            self._kept_early = token.access_token  # still inside its window: use it till nearly the end
        self._refused = None  # even the same token back: the HTTP loop retries once, then gives up
        return token

    # ------------------------------------------------------------------------- signing

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        token = self.token()
        self._sent.token = token
        request.prepare_url(traced(request.url or ""), None)
        body = json.loads(request.body or b"{}")
        user = self._credentials.open_user_id
        if self._style == "legacy":
            body.update(
                corpAccessToken=token.access_token,
                corpId=token.extra.get("corp_id", ""),
                currentOpenUserId=user,
            )
        else:
            request.headers["authorization"] = f"Bearer {token.access_token}"
            request.headers["x-fs-ea"] = token.extra.get("ea", "")
            request.headers["x-fs-userid"] = user
            if user.startswith("FSUID_"):
                body["convertUserId"] = True
        encoded = json.dumps(body, ensure_ascii=False).encode("utf-8")
        request.body = encoded
        request.headers["Content-Length"] = str(len(encoded))
        return request


def _token_from(style: AuthStyle, answer: dict[str, Any], now: datetime) -> Token:
    value = answer.get("corpAccessToken" if style == "legacy" else "accessToken")
    remember_secret(value if isinstance(value, str) else None, minted=True)
    if not value:
        raise AuthError("Fxiaoke's token endpoint answered errorCode 0 without a token")
    try:
        seconds = int(str(answer.get("expiresIn", 7200)))
    except ValueError:
        seconds = 7200
    extra: dict[str, str] = {"style": style, "minted_at": now.isoformat()}
    if style == "legacy":
        extra["corp_id"] = str(answer.get("corpId") or "")
    else:
        extra["ea"] = str(answer.get("ea") or "")
    return Token(access_token=str(value), expires_at=now + timedelta(seconds=seconds), extra=extra)
