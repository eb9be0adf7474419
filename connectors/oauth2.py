"""OAuth 2.0 authorization code with rotating refresh tokens, for any vendor (ADR 0033).

- `OAuthApp`: where a vendor's app signs in (authorize and token URLs, client, scopes, how the client
  authenticates at the token endpoint) and how its token answers read (`grant_token`).
- `RotatingTokenAuth`: a `requests` auth sending `Authorization: Bearer ...`. It refreshes under the
  token store's `refresh_lock` (one refresh per credential across threads and processes; after taking
  the lock the store is read again, so a waiter uses what the refresher saved). The refresh answer —
  the new access token, the new refresh token and the refresh token's expiry — is saved as ONE token
  row (one transaction) before the access token is handed to any request.
- `authorization_url`, `parse_callback`, `exchange_code`, `LoopbackReceiver`: the admin's consent
  (`ledgerbridge connector authorize NAME`).

What is guaranteed when the process dies between the vendor's answer and the save (SIGKILL, power):
the row still holds the previous refresh token, which the vendor accepted. The next run refreshes with
it; that works as long as the vendor still honours a superseded refresh token (Xero: 30 minutes,
documented; QuickBooks: "soon after", UNVERIFIED) — the sandboxes emulate that grace. Beyond it the
vendor answers `invalid_grant` and the admin must run `connector authorize` again (the error says so).
"""

from __future__ import annotations

import base64
import secrets as random_tokens
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any, Final, Literal
from urllib.parse import parse_qs, urlencode, urlsplit

import requests
from requests.auth import AuthBase

from config.redaction import remember_secret
from connectors.base import Clock, ConnectorDeps, Said, Token, TokenStore, say
from connectors.errors import AuthError
from connectors.http import HttpClient, RetryPolicy

REFRESH_MARGIN: Final = timedelta(minutes=5)
"""Refresh this long before the access token expires (or at 90 % of a shorter lifetime)."""

REFRESH_EXPIRY_WARNING: Final = timedelta(days=30)
"""Warn this long before the refresh token's expiry: the admin must re-authorize before it."""

DEFAULT_ACCESS_LIFETIME: Final = 3600.0


@dataclass(frozen=True)
class OAuthApp:
    """A vendor app's OAuth endpoints and client.

    `client_auth`: "basic" sends client id and secret as HTTP Basic (RFC 6749 client_secret_basic,
    QuickBooks and Xero); "post" sends them as form fields (Zoho). `token_headers` go with every token
    request (QuickBooks' opt-in header for the hard expiry). `callback_fields`: extra query fields of
    the redirect kept with the token (QuickBooks' `realmId`)."""

    vendor: str
    authorize_url: str
    token_url: str
    client_id: str
    client_secret: str
    scopes: tuple[str, ...]
    client_auth: Literal["basic", "post"] = "basic"
    authorize_params: Mapping[str, str] = field(default_factory=dict)
    token_headers: Mapping[str, str] = field(default_factory=dict)
    callback_fields: tuple[str, ...] = ()
    refresh_lifetime: timedelta | None = None
    """The refresh token's life when the vendor does not say (Xero: 60 days unused)."""
    scope_separator: str = " "
    """RFC 6749 joins scopes with spaces; Zoho with commas."""
    keep_fields: tuple[str, ...] = ()
    """Fields of the token answer kept in the token's extra (Zoho's `api_domain`)."""

    def token_call(self, form: Mapping[str, str]) -> tuple[dict[str, str], dict[str, str]]:
        """The form and headers of one token request, client authentication included."""
        data = dict(form)
        headers = {"Accept": "application/json", **self.token_headers}
        if self.client_auth == "basic":
            pair = f"{self.client_id}:{self.client_secret}".encode()
            headers["Authorization"] = "Basic " + base64.b64encode(pair).decode("ascii")
        else:
            data.update(client_id=self.client_id, client_secret=self.client_secret)
        return data, headers


def authorization_url(app: OAuthApp, redirect_uri: str, state: str) -> str:
    params = {
        "client_id": app.client_id,
        "response_type": "code",
        "scope": app.scope_separator.join(app.scopes),
        "redirect_uri": redirect_uri,
        "state": state,
        **app.authorize_params,
    }
    return f"{app.authorize_url}?{urlencode(params)}"


def new_state() -> str:
    return random_tokens.token_urlsafe(24)


@dataclass(frozen=True)
class Callback:
    """What the vendor's redirect brought: the code and the extra fields the app keeps (realmId)."""

    code: str
    fields: Mapping[str, str]


class CallbackError(ValueError):
    """The redirect is not an answer to our request (state differs) or carries the vendor's refusal."""


def parse_callback(query: str, state: str | None, keep: tuple[str, ...] = ()) -> Callback:
    """Read a redirect's query string (or a whole redirected URL). `state`: what we sent (None: a bare
    pasted code, nothing to compare). The vendor's `error` is reported as it came."""
    if "?" in query:
        query = urlsplit(query).query
    values = {k: v[0] for k, v in parse_qs(query.lstrip("?")).items() if v}
    if "error" in values:
        raise CallbackError(
            f"the vendor refused: {values['error']} {values.get('error_description', '')}".strip()
        )
    if state is not None and values.get("state") != state:
        raise CallbackError("the redirect's state is not the one this command sent: refusing it")
    code = values.get("code")
    if not code:
        raise CallbackError("the redirect carries no code")
    return Callback(code, {name: values[name] for name in keep if name in values})


def grant_token(app: OAuthApp, body: Any, now: datetime, *, previous_refresh: str | None = None) -> Token:
    """A token answer as one Token: access token, expiry, and in `extra` the refresh token (the rotated
    one, else the one used), when it was minted and the refresh token's expiry (`refresh_expires_at`:
    the earlier of QuickBooks' rolling `x_refresh_token_expires_in` and its hard
    `x_refresh_token_hard_expires_in`, else `refresh_token_expires_in`, else the app's default)."""
    if not isinstance(body, Mapping):
        raise AuthError(f"{app.vendor}: the token endpoint answered without a body")
    access = body.get("access_token")
    if not isinstance(access, str) or not access:
        raise AuthError(f"{app.vendor}: the token endpoint answered without an access_token")
    rotated = body.get("refresh_token")
    remember_secret(access, rotated if isinstance(rotated, str) else None, minted=True)
    # Zoho: `expires_in_sec` in seconds when present (its `expires_in` is then milliseconds)
    lifetime = (
        _seconds(body.get("expires_in_sec")) or _seconds(body.get("expires_in")) or DEFAULT_ACCESS_LIFETIME
    )
    expires_at = now + timedelta(seconds=lifetime)
    margin = min(REFRESH_MARGIN, timedelta(seconds=lifetime / 10))
    extra = {"refresh_after": (expires_at - margin).isoformat(), "minted_at": now.isoformat()}
    refresh = rotated if isinstance(rotated, str) and rotated else previous_refresh
    if refresh:
        extra["refresh_token"] = refresh
    deadlines = [
        now + timedelta(seconds=s)
        for name in (
            "x_refresh_token_expires_in",
            "x_refresh_token_hard_expires_in",
            "refresh_token_expires_in",
        )
        if (s := _seconds(body.get(name))) is not None
    ]
    if not deadlines and app.refresh_lifetime is not None:
        deadlines = [now + app.refresh_lifetime]
    if deadlines:
        extra["refresh_expires_at"] = min(deadlines).isoformat()
    for name in app.keep_fields:
        if isinstance(body.get(name), str):
            extra[name] = str(body[name]).rstrip("/")
    return Token(access_token=access, expires_at=expires_at, extra=extra)


def refresh_expires_at(token: Token | None) -> datetime | None:
    """When the token's refresh token dies (None: unknown or never)."""
    value = token.extra.get("refresh_expires_at") if token is not None else None
    return datetime.fromisoformat(value) if value else None


def refresh_expiry_warning(token: Token | None, now: datetime) -> Said | None:
    """A warning when the refresh token dies within REFRESH_EXPIRY_WARNING (or has died)."""
    deadline = refresh_expires_at(token)
    if deadline is None or deadline - now > REFRESH_EXPIRY_WARNING:
        return None
    return say("check.refresh_expires", deadline=f"{deadline:%Y-%m-%d}", days=max(0, (deadline - now).days))


def _seconds(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | Decimal | str | float):
        return None
    try:
        seconds = float(value)
    except ValueError:
        return None
    return seconds if seconds > 0 else None


def token_request(http: HttpClient, app: OAuthApp, form: Mapping[str, str]) -> Any:
    data, headers = app.token_call(form)
    response = http.request("POST", app.token_url, data=data, headers=headers, auth=False, redirects="never")
    return response.body


def exchange_code(
    http: HttpClient, app: OAuthApp, callback: Callback, redirect_uri: str, now: datetime
) -> Token:
    """Trade the authorization code for tokens; the callback's kept fields go into the token's extra."""
    body = token_request(
        http,
        app,
        {"grant_type": "authorization_code", "code": callback.code, "redirect_uri": redirect_uri},
    )
    token = grant_token(app, body, now)
    if "refresh_token" not in token.extra:
        raise AuthError(
            f"{app.vendor}: the code exchange returned no refresh_token (offline access not granted?)"
        )
    return Token(token.access_token, token.expires_at, {**token.extra, **callback.fields})


class CachedTokenAuth(AuthBase):
    """`Authorization: <scheme> <access>`, refreshed ahead of expiry. The token lives in the TokenStore
    (shared by processes) under `key`; `refresh_lock` makes the refresh single-flight, and after taking
    the lock the store is read again, so a waiter reuses the token a concurrent refresher just saved.
    A vendor's auth says how it refreshes (`_refresh`)."""

    def __init__(self, *, store: TokenStore, key: str, clock: Clock, scheme: str = "Bearer") -> None:
        self.key = key
        self._store = store
        self._clock = clock
        self._scheme = scheme
        self._lock = threading.Lock()
        self._token: Token | None = None
        self._refused: str | None = None
        self._refused_at: datetime | None = None
        self._sent = threading.local()  # the token this thread last signed a request with

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        token = self.token()
        self._sent.token = token
        request.headers["Authorization"] = f"{self._scheme} {token.access_token}"
        return request

    def invalidate(self) -> None:
        """The API refused the token this thread sent (expired, revoked, or superseded): the next
        request gets another. A token another thread already put in its place is kept, so N calls
        refused at once cause one refresh, not N."""
        sent: Token | None = getattr(self._sent, "token", None)
        with self._lock:
            refused = sent.access_token if sent is not None else None
            if self._token is None or refused is None or self._token.access_token == refused:
                self._refused = refused if refused is not None else getattr(self._token, "access_token", None)
                self._token = None
                self._refused_at = self._clock()

    def fresh_since_refusal(self) -> bool:
        """Whether the token this thread last sent was minted at or after the last refusal: refused
        again, it is a scope/permission problem, not an old token."""
        sent: Token | None = getattr(self._sent, "token", None)
        with self._lock:
            refused_at = self._refused_at
        return sent is not None and sent.minted_since(refused_at)

    def token(self) -> Token:
        with self._lock:
            if self._token is not None and self._usable(self._token):
                return self._token
        with self._store.refresh_lock(self.key):
            stored = self._store.load(self.key)
            if stored is not None and self._usable(stored):
                token = stored
            else:
                token = self._refresh(stored)
                self.persist(token)  # before any request carries it
        # A token from the store may have been minted by another process: this one learns it too.
        remember_secret(token.access_token, token.extra.get("refresh_token"), minted=True)
        with self._lock:
            self._token = token
            self._refused = None
        return token

    def persist(self, token: Token) -> None:
        """Save the refreshed token (one row, one transaction)."""
        self._store.save(self.key, token)

    def _usable(self, token: Token) -> bool:
        if token.access_token == self._refused:
            return False
        refresh_after = token.extra.get("refresh_after")
        deadline = (
            datetime.fromisoformat(refresh_after) if refresh_after else token.expires_at - REFRESH_MARGIN
        )
        return self._clock() < deadline

    def _refresh(self, previous: Token | None) -> Token:
        raise NotImplementedError


class RotatingTokenAuth(CachedTokenAuth):
    """`Authorization: Bearer <access>`, refreshed ahead of expiry; every refresh's answer saved (the
    rotated refresh token with it) in one token row before the access token is used.

    `key`: the token row. `seed_refresh_token`: the configured refresh token, used only when the row
    has none (the row, written by `connector authorize` or an earlier refresh, always wins). `label`
    goes into the row (`connector`) so status and metrics can name whose refresh token it is."""

    def __init__(
        self,
        *,
        app: OAuthApp,
        http: HttpClient,
        store: TokenStore,
        key: str,
        clock: Clock,
        label: str,
        seed_refresh_token: str | None = None,
        reauthorize: str = "run `ledgerbridge connector authorize NAME`",
        on_refreshed: Callable[[Token], None] | None = None,
    ) -> None:
        super().__init__(store=store, key=key, clock=clock)
        self.app = app
        self._http = http
        self._label = label
        self._seed = seed_refresh_token
        self._reauthorize = reauthorize
        self._on_refreshed = on_refreshed
        remember_secret(app.client_secret, seed_refresh_token)

    def stored(self) -> Token | None:
        return self._store.load(self.key)

    def persist(self, token: Token) -> None:
        """Save the refreshed token (access, refresh and expiries: one row, one transaction)."""
        super().persist(token)
        if self._on_refreshed is not None:
            self._on_refreshed(token)

    def _usable(self, token: Token) -> bool:
        return bool(token.access_token) and super()._usable(token)

    def _refresh(self, previous: Token | None) -> Token:
        refresh = (previous.extra.get("refresh_token") if previous else None) or self._seed
        if not refresh:
            raise AuthError(f"{self.app.vendor}: not authorized yet: {self._reauthorize}")
        try:
            body = token_request(
                self._http, self.app, {"grant_type": "refresh_token", "refresh_token": refresh}
            )
        except AuthError as exc:
            raise AuthError(
                f"{exc}: the refresh token was refused (revoked, expired, or superseded and past the "
                f"vendor's grace); {self._reauthorize}",
                vendor_code=exc.vendor_code,
            ) from exc
        token = grant_token(self.app, body, self._clock(), previous_refresh=refresh)
        kept = {k: v for k, v in (previous.extra if previous else {}).items() if k not in token.extra}
        return Token(token.access_token, token.expires_at, {**kept, **token.extra, "connector": self._label})


def interpret_token_errors(vendor: str) -> Callable[[requests.Response, Any], None]:
    """RFC 6749 §5.2 errors of a token endpoint (`{"error": "invalid_grant", ...}`) as AuthError."""

    def interpret(response: requests.Response, body: Any) -> None:
        if response.status_code < 400 or not isinstance(body, Mapping) or "error" not in body:
            return
        error = str(body.get("error"))
        description = str(body.get("error_description") or "")
        if response.status_code >= 500:
            return  # the HTTP loop retries server errors
        raise AuthError(f"{vendor} token endpoint: {error} {description}".strip(), vendor_code=error)

    return interpret


def connector_token_auth(
    app: OAuthApp,
    deps: ConnectorDeps,
    *,
    name: str,
    token_client: str,
    key: str,
    refresh_token: str | None,
    retry: RetryPolicy | None,
    timeout: tuple[float, float],
    deadline: float,
) -> tuple[HttpClient, RotatingTokenAuth]:
    """A configured connector's token endpoint client (`token_client`: its name in logs; paced at one
    call a second, never redirected) and the rotating-token auth that refreshes through it, seeded with
    the configured refresh token (a secret reference, resolved here) when the token row has none."""
    token_http = HttpClient(
        token_client,
        interpret=interpret_token_errors(app.vendor),
        requests_per_second=1.0,
        burst=3,
        retry=retry,
        timeout=timeout,
        deadline=deadline,
        redirects="never",
        sleep=deps.sleep,
        observer=deps.observer,
    )
    auth = RotatingTokenAuth(
        app=app,
        http=token_http,
        store=deps.token_store,
        key=key,
        clock=deps.clock,
        label=name,
        seed_refresh_token=deps.resolve(refresh_token) if refresh_token else None,
        reauthorize=f"run `ledgerbridge connector authorize {name}`",
    )
    return token_http, auth


class LoopbackReceiver:
    """A one-shot HTTP listener on a loopback address for the OAuth redirect: answers the first request
    to the redirect's path, keeps its query, and stops. Binding anything but loopback is refused."""

    def __init__(self, redirect_uri: str) -> None:
        parts = urlsplit(redirect_uri)
        if parts.scheme != "http" or parts.hostname not in ("127.0.0.1", "localhost", "::1"):
            raise ValueError(f"a loopback redirect must be http://127.0.0.1:PORT/...: {redirect_uri}")
        self.path = parts.path or "/"
        self.query: str | None = None
        self._done = threading.Event()
        receiver = self

        class _Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                target = urlsplit(self.path)
                if target.path != receiver.path:
                    self.send_response(404)
                    self.end_headers()
                    return
                receiver.query = target.query
                body = b"ledgerbridge received the authorization; you may close this window.\n"
                self.send_response(200)
                self.send_header("Content-Type", "text/plain; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
                receiver._done.set()

            def log_message(self, format: str, *args: Any) -> None:
                return

        host = "127.0.0.1" if parts.hostname == "localhost" else str(parts.hostname)
        self._server = HTTPServer((host, parts.port or 80), _Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    def __enter__(self) -> LoopbackReceiver:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    def wait(self, timeout: float) -> str | None:
        """The redirect's query string, or None when none came within `timeout` seconds."""
        return self.query if self._done.wait(timeout) else None
