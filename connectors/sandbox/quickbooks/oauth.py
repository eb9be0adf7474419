"""Intuit OAuth 2.0 as the vendor notes describe it (api-notes quickbooks-xero-bank.md §1.1), emulated.

- `GET /connect/oauth2` (the consent page): answers at once with a 302 to `redirect_uri` carrying
  `code`, `state` and `realmId` (the company) — as if the admin had clicked "Connect".
- `POST /oauth2/v1/tokens/bearer`, client authenticated by HTTP Basic: `authorization_code` (a code is
  single-use, bound to its redirect_uri) and `refresh_token`. Answers `access_token`, `refresh_token`,
  `expires_in` 3600, `x_refresh_token_expires_in` (100 days, rolling) and, only when the request sends
  `x-include-refresh-token-hard-expires-in`, `x_refresh_token_hard_expires_in`.
- Rotation: every refresh hands out a NEW refresh token; the superseded one keeps working for
  `grace_seconds` ("the old one dies soon after": the length is UNVERIFIED, so configurable), then
  answers HTTP 400 `invalid_grant`, as an unknown one does.
"""

from __future__ import annotations

import base64
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import urlencode

from connectors.sandbox.server import Request, Response

ACCESS_LIFETIME = 3600
ROLLING_REFRESH_LIFETIME = 100 * 86400


@dataclass
class OAuthOptions:
    client_id: str = "qb-sandbox-client"
    client_secret: str = "qb-sandbox-secret"  # noqa: S105 - a sandbox value
    realm_id: str = "9130355377368716"
    grace_seconds: float = 600.0
    hard_expires_in: int = 5 * 365 * 86400
    """Seconds left of the refresh token's 5-year hard life (a test sets it under 30 days)."""
    initial_refresh_token: str = "qb-sandbox-refresh-0"  # noqa: S105 - a sandbox value


@dataclass
class _Refresh:
    superseded_at: float | None = None


@dataclass
class IntuitOAuth:
    options: OAuthOptions = field(default_factory=OAuthOptions)
    clock: Callable[[], float] = time.time
    refreshes: int = 0
    _codes: dict[str, str] = field(default_factory=dict)
    _refresh: dict[str, _Refresh] = field(default_factory=dict)
    _access: dict[str, float] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        self._refresh[self.options.initial_refresh_token] = _Refresh()

    # ---------------------------------------------------------------- what the API side asks

    def access_valid(self, token: str | None) -> bool:
        with self._lock:
            expires = self._access.get(token or "")
            return expires is not None and self.clock() < expires

    def expire(self, token: str | None) -> None:
        """Make an access token expire now (the fault plan's token expiry)."""
        with self._lock:
            if token in self._access:
                self._access[token] = 0.0

    def issue_access(self) -> str:
        """An access token outside the flow (tests that start signed in)."""
        with self._lock:
            return self._new_access()

    # ---------------------------------------------------------------- endpoints

    def handle(self, request: Request) -> Response | None:
        if request.path == "/connect/oauth2" and request.method == "GET":
            return self._consent(request)
        if request.path == "/oauth2/v1/tokens/bearer" and request.method == "POST":
            return self._token(request)
        return None

    def _consent(self, request: Request) -> Response:
        if request.arg("client_id") != self.options.client_id or request.arg("response_type") != "code":
            return Response(400, {"error": "invalid_request"})
        redirect = request.arg("redirect_uri") or ""
        code = "code-" + secrets.token_urlsafe(12)
        with self._lock:
            self._codes[code] = redirect
        query = urlencode(
            {"code": code, "state": request.arg("state") or "", "realmId": self.options.realm_id}
        )
        return Response(302, None, {"Location": f"{redirect}?{query}"})

    def _token(self, request: Request) -> Response:
        if not self._client_ok(request.header("Authorization")):
            return Response(401, {"error": "invalid_client"})
        form = request.form()
        hard = request.header("x-include-refresh-token-hard-expires-in") is not None
        with self._lock:
            grant = form.get("grant_type")
            if grant == "authorization_code":
                redirect = self._codes.pop(form.get("code", ""), None)
                if redirect is None or redirect != form.get("redirect_uri"):
                    return Response(400, {"error": "invalid_grant"})
            elif grant == "refresh_token":
                used = self._refresh.get(form.get("refresh_token", ""))
                now = self.clock()
                if used is None or (
                    used.superseded_at is not None and now - used.superseded_at > self.options.grace_seconds
                ):
                    return Response(400, {"error": "invalid_grant"})
                if used.superseded_at is None:
                    used.superseded_at = now
                self.refreshes += 1
            else:
                return Response(400, {"error": "unsupported_grant_type"})
            refresh = "qb-refresh-" + secrets.token_urlsafe(16)
            self._refresh[refresh] = _Refresh()
            body = {
                "token_type": "bearer",
                "access_token": self._new_access(),
                "expires_in": ACCESS_LIFETIME,
                "refresh_token": refresh,
                "x_refresh_token_expires_in": ROLLING_REFRESH_LIFETIME,
            }
            if hard:
                body["x_refresh_token_hard_expires_in"] = self.options.hard_expires_in
        return Response(200, body)

    def _new_access(self) -> str:
        token = "qb-access-" + secrets.token_urlsafe(16)
        self._access[token] = self.clock() + ACCESS_LIFETIME
        return token

    def _client_ok(self, header: str | None) -> bool:
        if not header or not header.startswith("Basic "):
            return False
        try:
            pair = base64.b64decode(header[6:]).decode("utf-8")
        except ValueError:
            return False
        return pair == f"{self.options.client_id}:{self.options.client_secret}"
