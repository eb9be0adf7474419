"""Xero's HTTP side: endpoints, the OAuth app, error semantics for the HTTP loop, the per-tenant pacing
from Xero's limit headers, the tenant choice and the scopes each stream needs (api-notes §2.1, §2.5, §2.6)."""

from __future__ import annotations

import base64
import binascii
import json
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Final

import requests

from config.kinds import XeroSettings
from connectors.base import ConnectorDeps
from connectors.errors import (
    AuthError,
    FatalApiError,
    QuotaExhaustedError,
    RateLimitedError,
    TokenExpiredError,
    TransientError,
)
from connectors.http import HttpClient, RetryPolicy, limit_window, retry_after_seconds
from connectors.oauth2 import OAuthApp, connector_token_auth

IDENTITY_URL: Final = "https://identity.xero.com"
LOGIN_URL: Final = "https://login.xero.com"
API_URL: Final = "https://api.xero.com"
ACCOUNTING_PATH: Final = "/api.xro/2.0"

REQUESTS_PER_MINUTE: Final = 60.0
"""Per tenant (api-notes §2.5 [51][52]); also 5,000 a day and 10,000 a minute per app."""
CONCURRENCY: Final = 5
"""Xero's per-tenant cap; the default stays below it (other apps share the tenant)."""
DEFAULT_CONCURRENCY: Final = 2
MINUTE_RESERVE: Final = 2
"""When `X-MinLimit-Remaining` (or the app's `X-AppMinLimit-Remaining`) falls to this, the next call
waits out the minute window instead of meeting a 429."""
REFRESH_LIFETIME: Final = timedelta(days=60)
"""An unused Xero refresh token dies after 60 days (api-notes §2.1 [40])."""

READ_SCOPES: Final[Mapping[str, tuple[str, ...]]] = {
    "invoices": ("accounting.invoices.read", "accounting.transactions.read"),
    "credit_notes": ("accounting.invoices.read", "accounting.transactions.read"),
    "items": ("accounting.invoices.read", "accounting.settings.read"),
    "payments": ("accounting.payments.read", "accounting.transactions.read"),
    "overpayments": ("accounting.payments.read", "accounting.transactions.read"),
    "prepayments": ("accounting.payments.read", "accounting.transactions.read"),
    "contacts": ("accounting.contacts.read",),
}
"""Stream -> the scopes that let it read: the granular scope (apps created from 2 March 2026) first,
then the older broad one (api-notes §2.1 [45][46][47]). A scope without `.read` (read and write)
covers its `.read`. Items under the broad scheme are `accounting.settings` (UNVERIFIED: the notes put
items under the granular accounting.invoices and say nothing of the broad scheme's items)."""


def granted(scope: str, scopes: Sequence[str]) -> bool:
    """Whether `scope` (a `.read` scope) is among `scopes`, directly or through its read-write form."""
    return scope in scopes or scope.removesuffix(".read") in scopes


def missing_scope(stream: str, scopes: Sequence[str]) -> str | None:
    """None when the token's scopes let `stream` read, else what to grant (granular or broad)."""
    needed = READ_SCOPES[stream]
    if any(granted(scope, scopes) for scope in needed):
        return None
    return " or ".join(needed)


def app_scopes(streams: Sequence[str]) -> tuple[str, ...]:
    """What `connector authorize` asks for: offline_access (no refresh token without it [42]) and the
    granular read scope of each configured stream. An app created before March 2026 that still uses the
    broad scopes is authorized with those by the admin; both are accepted at run time."""
    wanted = {"offline_access"}
    wanted.update(READ_SCOPES[stream][0] for stream in streams)
    return tuple(sorted(wanted))


@dataclass(frozen=True)
class XeroEndpoints:
    """Where to sign in and where the API lives (`endpoints.identity_url`, `login_url`, `api_url`)."""

    identity_url: str
    login_url: str
    api_url: str

    @property
    def token_url(self) -> str:
        return f"{self.identity_url}/connect/token"

    @property
    def authorize_url(self) -> str:
        return f"{self.login_url}/identity/connect/authorize"

    @property
    def connections_url(self) -> str:
        return f"{self.api_url}/connections"

    @property
    def accounting_url(self) -> str:
        return f"{self.api_url}{ACCOUNTING_PATH}"


def resolve_endpoints(overrides: Mapping[str, str]) -> XeroEndpoints:
    unknown = set(overrides) - {"identity_url", "login_url", "api_url"}
    if unknown:
        raise ValueError(f"unknown Xero endpoint(s) {sorted(unknown)}: use identity_url, login_url, api_url")
    return XeroEndpoints(
        overrides.get("identity_url", IDENTITY_URL).rstrip("/"),
        overrides.get("login_url", overrides.get("identity_url", LOGIN_URL)).rstrip("/"),
        overrides.get("api_url", API_URL).rstrip("/"),
    )


def oauth_app(cfg: XeroSettings, resolve: Callable[[str], str]) -> OAuthApp:
    """The Xero app of a configured connector (Basic client authentication at the token endpoint [43])."""
    endpoints = resolve_endpoints(cfg.endpoints)
    return OAuthApp(
        vendor="Xero",
        authorize_url=endpoints.authorize_url,
        token_url=endpoints.token_url,
        client_id=resolve(cfg.credentials.client_id),
        client_secret=resolve(cfg.credentials.client_secret),
        scopes=app_scopes(cfg.streams),
        client_auth="basic",
        refresh_lifetime=REFRESH_LIFETIME,
        keep_fields=("scope",),  # the granted scopes: `connector test` names a missing one
    )


def token_key(cfg: XeroSettings) -> str:
    """The token row of a configured Xero connector (one token set per connection: refreshing one set
    from two places breaks the other copy [37])."""
    return f"xero:{cfg.name}"


# ----------------------------------------------------------------------------- pacing


class Pacer:
    """Per-tenant pacing from the limit headers Xero sends on every response [51]: when the minute's
    calls (the tenant's or the app's) are nearly spent, the next call waits out a minute window first,
    so the tenant's budget — shared with its other apps — never meets a 429 of ours."""

    def __init__(self, sleep: Callable[[float], None], reserve: int = MINUTE_RESERVE) -> None:
        self._sleep, self._reserve = sleep, reserve
        self._lock = threading.Lock()
        self._wait = 0.0
        self.day_remaining: int | None = None
        self.paused = 0
        """How many times a call waited for the minute window."""
        self.waited = 0.0
        """Seconds those waits took (part of a run's waited seconds in `sync status`)."""

    def observe(self, headers: Mapping[str, str]) -> None:
        minute = _count(headers.get("X-MinLimit-Remaining"))
        app = _count(headers.get("X-AppMinLimit-Remaining"))
        day = _count(headers.get("X-DayLimit-Remaining"))
        with self._lock:
            if day is not None:
                self.day_remaining = day
            low = [n for n in (minute, app) if n is not None and n <= self._reserve]
            if low:
                self._wait = 60.0  # fixed windows reset at a time Xero does not send: a whole minute
                # passes every window's end whatever its phase

    def before_call(self) -> float:
        """Wait if the last answer said the minute is nearly spent; returns the seconds waited."""
        with self._lock:
            wait, self._wait = self._wait, 0.0
            if wait:
                self.paused += 1
                self.waited += wait
        if wait:
            self._sleep(wait)
        return wait


def _count(value: str | None) -> int | None:
    if value is None or not value.strip().lstrip("-").isdigit():
        return None
    return int(value.strip())


# ----------------------------------------------------------------------------- errors


def _problem(body: Any) -> tuple[str, str]:
    """(title, detail) of a gateway problem body (`Title`/`Detail`, api-notes §2.6) or an Accounting
    validation body (`Type`/`Message` and the first ValidationErrors message)."""
    if not isinstance(body, Mapping):
        return "", ""
    title = str(body.get("Title") or body.get("title") or body.get("Type") or "")
    detail = str(body.get("Detail") or body.get("detail") or body.get("Message") or "")
    for element in body.get("Elements") or ():
        for error in (element.get("ValidationErrors") or ()) if isinstance(element, Mapping) else ():
            if isinstance(error, Mapping) and error.get("Message"):
                detail = f"{detail}: {error['Message']}" if detail else str(error["Message"])
                break
    return title, detail


def interpreter(pacer: Pacer, clock: Callable[[], datetime]) -> Callable[[requests.Response, Any], None]:
    """Xero's answers as connector errors; every answer's limit headers go to the pacer first."""

    def interpret(response: requests.Response, body: Any) -> None:
        pacer.observe(response.headers)
        status = response.status_code
        if status < 400:
            return
        title, detail = _problem(body)
        said = f"Xero HTTP {status}" + (f" {title}" if title else "") + (f": {detail}" if detail else "")
        if status == 429:
            problem = (response.headers.get("X-Rate-Limit-Problem") or "").strip().lower()
            wait = retry_after_seconds(response.headers.get("Retry-After"))
            if problem == "day":
                resets = clock() + timedelta(seconds=wait if wait is not None else 3600)
                raise QuotaExhaustedError(
                    f"{said}: the organisation's daily limit (5,000 calls, shared with its other apps) is "
                    f"spent; calls resume after {resets.astimezone(UTC).isoformat(timespec='seconds')}",
                    resets_at=resets,
                    vendor_code="day",
                )
            raise RateLimitedError(
                f"{said}: the {problem or 'minute'} limit (60 a minute and 5 at once per organisation, "
                "10,000 a minute per app)",
                retry_after=wait if wait is not None else limit_window(response.headers, time.time),
                vendor_code=problem or None,
            )
        if status >= 500:
            raise TransientError(said, retry_after=retry_after_seconds(response.headers.get("Retry-After")))
        if status == 401:
            raise TokenExpiredError(
                said,
                persisting=f"{said}: refused again with a freshly minted token, so not an old token: the "
                "connection was removed in Xero or lacks the scope this stream needs (`ledgerbridge "
                "connector test NAME` says which); run `ledgerbridge connector authorize NAME`",
                vendor_code=title or None,
            )
        if status == 403:
            raise AuthError(
                f"{said}: the token may not read this organisation (tenant_id not connected, or a scope "
                "is missing: `ledgerbridge connector test NAME` lists the organisations and scopes)",
                vendor_code=title or None,
            )
        raise FatalApiError(said, vendor_code=title or None)

    return interpret


# ----------------------------------------------------------------------------- session


def jwt_scopes(access_token: str) -> list[str] | None:
    """The `scope` claim of a JWT access token (a list or a space-separated string), read without
    verifying the signature (it only explains a refusal; the API decides); None when it has none."""
    parts = access_token.split(".")
    if len(parts) != 3:
        return None
    try:
        claims = json.loads(base64.urlsafe_b64decode(parts[1] + "=" * (-len(parts[1]) % 4)))
    except (ValueError, binascii.Error):
        return None
    scope = claims.get("scope") if isinstance(claims, dict) else None
    if isinstance(scope, str):
        return scope.split()
    if isinstance(scope, list) and all(isinstance(s, str) for s in scope):
        return list(scope)
    return None


@dataclass(frozen=True)
class Tenant:
    tenant_id: str
    name: str
    tenant_type: str


def tenants_of(body: Any) -> list[Tenant]:
    """`GET /connections`: a list of {tenantId, tenantType, tenantName, ...} (xero-identity.yaml [47])."""
    if not isinstance(body, list):
        raise FatalApiError("Xero /connections: the answer is not a list of connections")
    found = []
    for row in body:
        if isinstance(row, Mapping) and isinstance(row.get("tenantId"), str):
            found.append(
                Tenant(row["tenantId"], str(row.get("tenantName") or ""), str(row.get("tenantType") or ""))
            )
    return found


def choose_tenant(tenants: Sequence[Tenant], configured: str | None) -> Tenant:
    """The configured organisation, or the only one; never "the first" of several."""
    organisations = [t for t in tenants if t.tenant_type.upper() in ("ORGANISATION", "")]
    listed = "; ".join(
        f"{t.tenant_id} ({t.name or 'no name'}, {t.tenant_type or 'type not given'})" for t in tenants
    )
    if configured is not None:
        for tenant in tenants:
            if tenant.tenant_id.lower() == configured.lower():
                return tenant
        raise AuthError(
            f"Xero: tenant_id {configured} is not connected to this token; it reaches: {listed or 'none'}. "
            "Set tenant_id to one of them, or run `ledgerbridge connector authorize NAME` and pick it"
        )
    if len(organisations) == 1:
        return organisations[0]
    if not organisations:
        raise AuthError(
            "Xero: the token reaches no organisation (`GET /connections` is empty"
            + (f" but for {listed}" if listed else "")
            + "); run `ledgerbridge connector authorize NAME` and choose one"
        )
    raise AuthError(
        f"Xero: the token reaches {len(organisations)} organisations and tenant_id is not set — "
        f"ledgerbridge never picks one for you. Set tenant_id to one of: {listed}"
    )


class XeroSession:
    """A configured connector's HTTP clients, its auth, its pacing and its chosen tenant."""

    def __init__(self, cfg: XeroSettings, deps: ConnectorDeps, *, retry: RetryPolicy | None = None) -> None:
        self.cfg = cfg
        self.endpoints = resolve_endpoints(cfg.endpoints)
        self.pacer = Pacer(deps.sleep)
        timeout = (min(10.0, cfg.timeout_seconds), cfg.timeout_seconds)
        self.app = oauth_app(cfg, deps.resolve)
        self.token_http, self.auth = connector_token_auth(
            self.app,
            deps,
            name=cfg.name,
            token_client=f"{cfg.name}/identity",
            key=token_key(cfg),
            refresh_token=cfg.credentials.refresh_token,
            retry=retry,
            timeout=timeout,
            deadline=cfg.limits.request_deadline_seconds,
        )
        per_minute = cfg.limits.requests_per_minute or REQUESTS_PER_MINUTE
        concurrency = cfg.limits.concurrency or DEFAULT_CONCURRENCY
        burst = max(1, min(5, concurrency, int(per_minute) // 10))
        self.http = HttpClient(
            cfg.name,
            interpret=interpreter(self.pacer, deps.clock),
            auth=self.auth,
            requests_per_second=max(per_minute - burst, 1.0) / 60.0,
            burst=burst,
            concurrency=min(concurrency, CONCURRENCY),
            retry=retry,
            timeout=timeout,
            deadline=cfg.limits.request_deadline_seconds,
            sleep=deps.sleep,
            observer=deps.observer,
        )
        self.page_size_refused: set[str] = set()
        """Endpoints that refused `pageSize`: read with Xero's default pages from then on."""
        self._tenant: Tenant | None = None
        self._tenants: list[Tenant] | None = None
        self._lock = threading.Lock()

    def tenants(self) -> list[Tenant]:
        """Every organisation the token reaches (`GET /connections`, no tenant header)."""
        self.pacer.before_call()
        response = self.http.request("GET", self.endpoints.connections_url)
        tenants = tenants_of(response.body)
        with self._lock:
            self._tenants = tenants
        return tenants

    def tenant(self) -> Tenant:
        with self._lock:
            if self._tenant is not None:
                return self._tenant
        chosen = choose_tenant(self.tenants(), self.cfg.tenant_id)
        with self._lock:
            self._tenant = chosen
        return chosen

    def get(
        self, path: str, *, params: Mapping[str, Any] | None = None, headers: Mapping[str, str] | None = None
    ) -> Any:
        """One Accounting call with `xero-tenant-id` (every call needs it [47]), paced; the decoded
        answer (None for 304 Not Modified)."""
        tenant = self.tenant()
        self.pacer.before_call()
        response = self.http.request(
            "GET",
            self.endpoints.accounting_url + path,
            params=params,
            headers={"xero-tenant-id": tenant.tenant_id, "Accept": "application/json", **(headers or {})},
        )
        return response.body

    def scopes(self) -> list[str] | None:
        """The scopes of the current token, or None when it does not say: the token answer's `scope`
        when the token row keeps it, else the access token's `scope` claim (Xero's access tokens are
        JWTs carrying their scopes: UNVERIFIED in the notes, so read defensively)."""
        token = self.auth.token()
        kept = token.extra.get("scope")
        return kept.split() if kept else jwt_scopes(token.access_token)

    def close(self) -> None:
        self.http.close()
        self.token_http.close()
