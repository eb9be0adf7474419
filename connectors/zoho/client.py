"""What CRM and Books share: Zoho's error semantics for the HTTP loop, limits, and building the auth."""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Final

import requests

from config.kinds import ZohoBooksSettings, ZohoCrmSettings
from connectors.base import ConnectorDeps
from connectors.errors import (
    AuthError,
    FatalApiError,
    QuotaExhaustedError,
    RateLimitedError,
    TokenExpiredError,
    TransientError,
)
from connectors.http import HttpClient, Interpreter, RetryPolicy, limit_window, reset_seconds
from connectors.zoho.auth import (
    ZohoAuth,
    ZohoEndpoints,
    default_api_domain,
    interpret_token_response,
    resolve_endpoints,
)

CRM_CONCURRENCY: Final[Mapping[str, int]] = {
    "free": 5,
    "standard": 10,
    "professional": 15,
    "enterprise": 20,
    "ultimate": 25,
}
"""Zoho CRM's concurrency cap per app and org by edition (Kaizen #203); we use half of it by default,
leaving room for the org's other integrations."""
CRM_REQUESTS_PER_MINUTE: Final = 120.0
"""CRM limits credits per rolling 24 h (50,000+ on paid editions), not per minute: 2 calls/s keeps a
full sync of 100,000 records (500 calls) well inside, and leaves the daily budget to incremental runs."""
BOOKS_REQUESTS_PER_MINUTE: Final = 100.0
"""Zoho Books: 100 requests per minute per organization."""
BOOKS_CONCURRENCY: Final = 5
"""Books concurrency (5 on free plans, 10 on paid per a secondary source): the safe figure."""


CRM_CREDITS_REPROBE: Final = timedelta(hours=1)
"""CRM credits are counted over a rolling 24 hours, so they come back gradually: after a spent budget the
connector tries again an hour later (no reset instant is documented)."""


def _daily_reset(response: requests.Response, now: datetime) -> datetime:
    """When a spent Books daily cap resets: `X-Rate-Limit-Reset` seconds from now (the header Books
    sends with its daily limit), else the next midnight UTC (UNVERIFIED: the plan's day may be the org's)."""
    seconds = reset_seconds(response.headers.get("X-Rate-Limit-Reset"), now.timestamp())
    if seconds is not None and seconds > 0:
        return now + timedelta(seconds=seconds)
    return datetime.combine(now.date() + timedelta(days=1), datetime.min.time(), tzinfo=UTC)


def _books_daily_cap(response: requests.Response, message: str) -> bool:
    """A 429 that is the plan's daily cap, not the per-minute limit: no calls remain of the daily limit
    Books reports in `X-Rate-Limit-*`, or the message speaks of the day (UNVERIFIED wording)."""
    if response.headers.get("X-Rate-Limit-Remaining", "").strip() == "0":
        return True
    lowered = message.lower()
    return "per day" in lowered or "for the day" in lowered or "daily" in lowered or "today" in lowered


@dataclass(frozen=True)
class Budget:
    requests_per_minute: float
    concurrency: int

    def http_kwargs(self) -> dict[str, Any]:
        """Token bucket sized so that no 60-second window ever exceeds `requests_per_minute`."""
        burst = max(1, min(5, self.concurrency, int(self.requests_per_minute) // 10))
        per_second = max(self.requests_per_minute - burst, 1.0) / 60.0
        return {"requests_per_second": per_second, "burst": burst, "concurrency": self.concurrency}


def crm_budget(cfg: ZohoCrmSettings) -> Budget:
    return Budget(
        cfg.limits.requests_per_minute or CRM_REQUESTS_PER_MINUTE,
        cfg.limits.concurrency or max(1, CRM_CONCURRENCY[cfg.edition] // 2),
    )


def books_budget(cfg: ZohoBooksSettings) -> Budget:
    return Budget(
        cfg.limits.requests_per_minute or BOOKS_REQUESTS_PER_MINUTE,
        cfg.limits.concurrency or BOOKS_CONCURRENCY,
    )


def interpret_crm(response: requests.Response, body: Any) -> None:
    """CRM errors: `{"code": "INVALID_TOKEN", "details": {...}, "message": ..., "status": "error"}`."""
    status = response.status_code
    if status < 400 or not isinstance(body, Mapping) or not isinstance(body.get("code"), str):
        return
    code = str(body["code"])
    details = body.get("details") or {}
    text = f"Zoho CRM {code}: {body.get('message', '')}" + (f" {dict(details)}" if details else "")
    if code in ("INVALID_TOKEN", "AUTHENTICATION_FAILURE"):
        # Expired, revoked or superseded (too many tokens minted from one refresh token): refresh once.
        raise TokenExpiredError(
            text,
            persisting=f"{text}: refused again with a freshly minted token, so not an old token: the API "
            "domain is not the data center that issued the token (check data_center / "
            "endpoints.api_url), or the Zoho user behind the token may not read this module",
            vendor_code=code,
        )
    if code == "OAUTH_SCOPE_MISMATCH":
        raise AuthError(
            f"{text}: the refresh token lacks a scope; grant ZohoCRM.modules.READ (or "
            "ZohoCRM.modules.<module>.READ for each stream) and generate a new refresh token",
            vendor_code=code,
        )
    if code == "NO_PERMISSION" or status == 403:
        raise AuthError(f"{text}: the Zoho user behind the token may not read this module", vendor_code=code)
    if status == 429 or code == "TOO_MANY_REQUESTS":
        if response.headers.get("X-API-CREDITS-REMAINING", "").strip() == "0":  # header name UNVERIFIED
            resets = datetime.now(UTC) + CRM_CREDITS_REPROBE
            raise QuotaExhaustedError(
                f"{text}: the organization's 24-hour API credits are spent; calls resume after "
                f"{resets.isoformat(timespec='seconds')} (credits return over a rolling 24 hours)",
                resets_at=resets,
                vendor_code=code,
            )
        raise RateLimitedError(
            f"{text} (the app's concurrency limit in this organization, shared with its other apps)",
            retry_after=limit_window(response.headers, time.time),
            vendor_code=code,
        )
    if status >= 500:
        raise TransientError(text, vendor_code=code)
    if code in ("INVALID_URL_PATTERN", "INVALID_HOST"):
        raise FatalApiError(f"{text}: check data_center / endpoints.api_url", vendor_code=code)
    raise FatalApiError(text, vendor_code=code)


def interpret_books(response: requests.Response, body: Any) -> None:
    """Books errors: HTTP status + `{"code": <int>, "message": ...}`; code 0 is success."""
    status = response.status_code
    if not isinstance(body, Mapping) or "code" not in body:
        return
    code = body.get("code")
    if code == 0 and status < 400:
        return
    message = str(body.get("message", ""))
    text = f"Zoho Books error {code}: {message}"
    vendor_code = str(code)
    if status == 401:
        # Any 401, code 57 "not authorized" included, is first an expired, revoked or superseded token
        # (Books uses the same words for a missing scope): the HTTP loop refreshes once and retries.
        raise TokenExpiredError(
            text,
            persisting=f"{text}: refused again with a freshly minted token, so the refresh token lacks "
            "a scope; grant ZohoBooks.<module>.READ for each stream (or ZohoBooks.fullaccess.all) and "
            "generate a new refresh token (or check data_center / endpoints.api_url)",
            vendor_code=vendor_code,
        )
    if status == 429:
        if _books_daily_cap(response, message):
            resets = _daily_reset(response, datetime.now(UTC))
            raise QuotaExhaustedError(
                f"{text}: the organization's daily API cap (per plan) is spent; calls resume after "
                f"{resets.isoformat(timespec='seconds')}",
                resets_at=resets,
                vendor_code=vendor_code,
            )
        raise RateLimitedError(
            f"{text} (100 requests per minute per organization, shared with its other apps)",
            retry_after=limit_window(response.headers, time.time),
            vendor_code=vendor_code,
        )
    if status >= 500:
        raise TransientError(text, vendor_code=vendor_code)
    if "organization" in message.lower():
        raise FatalApiError(
            f"{text}: check organization_id (`ledgerbridge connector test NAME` lists the organizations "
            "this token can see)",
            vendor_code=vendor_code,
        )
    if status == 403:
        raise AuthError(text, vendor_code=vendor_code)
    raise FatalApiError(text, vendor_code=vendor_code)


@dataclass(frozen=True)
class ZohoSession:
    """A connector's HTTP client, its auth, and where its API lives."""

    http: HttpClient
    auth: ZohoAuth
    endpoints: ZohoEndpoints
    accounts_http: HttpClient

    def api_base(self) -> str:
        """`endpoints.api_url` when configured, else the token's api_domain, else the data center's."""
        if self.endpoints.api_url:
            return self.endpoints.api_url
        return self.auth.api_domain or default_api_domain(self.endpoints.data_center)

    def close(self) -> None:
        self.http.close()
        self.accounts_http.close()


def open_session(
    cfg: ZohoCrmSettings | ZohoBooksSettings,
    deps: ConnectorDeps,
    *,
    interpret: Interpreter,
    budget: Budget,
    retry: RetryPolicy | None = None,
) -> ZohoSession:
    """Build the HTTP clients and the OAuth auth for one configured Zoho connector."""
    endpoints = resolve_endpoints(cfg.data_center, cfg.endpoints)
    timeout = (min(10.0, cfg.timeout_seconds), cfg.timeout_seconds)
    accounts_http = HttpClient(
        f"{cfg.name}/accounts",
        interpret=interpret_token_response,
        requests_per_second=2.0,
        burst=5,
        retry=retry,
        timeout=timeout,
        deadline=cfg.limits.request_deadline_seconds,
        redirects="never",  # the token endpoint: credentials never follow a redirect
        sleep=deps.sleep,
        observer=deps.observer,
    )
    auth = ZohoAuth(
        http=accounts_http,
        accounts_url=endpoints.accounts_url,
        client_id=deps.resolve(cfg.credentials.client_id),
        client_secret=deps.resolve(cfg.credentials.client_secret),
        refresh_token=deps.resolve(cfg.credentials.refresh_token),
        store=deps.token_store,
        clock=deps.clock,
    )
    http = HttpClient(
        cfg.name,
        interpret=interpret,
        auth=auth,
        retry=retry,
        timeout=timeout,
        deadline=cfg.limits.request_deadline_seconds,
        sleep=deps.sleep,
        observer=deps.observer,
        **budget.http_kwargs(),
    )
    return ZohoSession(http=http, auth=auth, endpoints=endpoints, accounts_http=accounts_http)
