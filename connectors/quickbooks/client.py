"""QuickBooks Online's HTTP side: endpoints, the Intuit OAuth app, `Fault.Error[]` as connector errors
for the HTTP loop, the per-company limits and the session every stream calls through (api-notes
quickbooks-xero-bank.md §1.1, §1.2, §1.6, §1.7).

Every call carries `minorversion` (75 unless configured higher: lower versions are served as 75 since
August 2025 [14][15]) and `Accept: application/json`. A 401 is a `TokenExpiredError`: the HTTP loop
refreshes once (RotatingTokenAuth saves the rotated refresh token before the new access token is
used) and sends again; a fresh token refused again is an `AuthError` telling the admin what to do.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Final

import requests

from config.kinds import QuickBooksSettings
from connectors.base import ConnectorDeps
from connectors.errors import AuthError, FatalApiError, TokenExpiredError, TransientError
from connectors.http import HttpClient, RetryPolicy
from connectors.oauth2 import OAuthApp, connector_token_auth

APPCENTER_URL: Final = "https://appcenter.intuit.com"
AUTH_URL: Final = "https://oauth.platform.intuit.com"
API_URL: Final = "https://quickbooks.api.intuit.com"
SCOPE: Final = "com.intuit.quickbooks.accounting"

REQUESTS_PER_MINUTE: Final = 500.0
"""Per company (realm) [16]; also 10 a second per realm and app, which a burst of 1 keeps."""
CONCURRENCY: Final = 10
"""More in flight to one realm is answered 429 [17]; the default stays well below (other apps)."""
DEFAULT_CONCURRENCY: Final = 4

HARD_EXPIRY_HEADER: Final = "x-include-refresh-token-hard-expires-in"
"""Opt-in header: the token answer then carries `x_refresh_token_hard_expires_in` [4][8]."""


@dataclass(frozen=True)
class QuickBooksEndpoints:
    """`endpoints.appcenter_url` (consent), `auth_url` (token) and `api_url` (data)."""

    appcenter_url: str
    auth_url: str
    api_url: str

    @property
    def authorize_url(self) -> str:
        return f"{self.appcenter_url}/connect/oauth2"

    @property
    def token_url(self) -> str:
        return f"{self.auth_url}/oauth2/v1/tokens/bearer"

    def company_url(self, realm_id: str) -> str:
        return f"{self.api_url}/v3/company/{realm_id}"


def resolve_endpoints(overrides: Mapping[str, str]) -> QuickBooksEndpoints:
    unknown = set(overrides) - {"appcenter_url", "auth_url", "api_url"}
    if unknown:
        raise ValueError(
            f"unknown QuickBooks endpoint(s) {sorted(unknown)}: use appcenter_url, auth_url, api_url"
        )
    auth = overrides.get("auth_url", AUTH_URL).rstrip("/")
    return QuickBooksEndpoints(
        overrides.get("appcenter_url", APPCENTER_URL if "auth_url" not in overrides else auth).rstrip("/"),
        auth,
        overrides.get("api_url", API_URL).rstrip("/"),
    )


def oauth_app(cfg: QuickBooksSettings, resolve: Callable[[str], str]) -> OAuthApp:
    """The Intuit app of a configured connector: Basic client authentication at the token endpoint
    [8], the hard-expiry opt-in header, and the consent redirect's `realmId` kept with the token [9]."""
    endpoints = resolve_endpoints(cfg.endpoints)
    return OAuthApp(
        vendor="QuickBooks",
        authorize_url=endpoints.authorize_url,
        token_url=endpoints.token_url,
        client_id=resolve(cfg.credentials.client_id),
        client_secret=resolve(cfg.credentials.client_secret),
        scopes=(SCOPE,),
        client_auth="basic",
        token_headers={HARD_EXPIRY_HEADER: "true"},
        callback_fields=("realmId",),
    )


def token_key(cfg: QuickBooksSettings) -> str:
    """The token row of a configured QuickBooks connector (one refresh chain per connection)."""
    return f"quickbooks:{cfg.name}"


# ----------------------------------------------------------------------------- errors


@dataclass(frozen=True)
class FaultError:
    """One `Fault.Error[]` entry [20]: `code`, `Message`, `Detail`, and the Fault's `type`."""

    kind: str
    code: str
    message: str
    detail: str

    def said(self) -> str:
        words = self.message if self.detail in ("", self.message) else f"{self.message}: {self.detail}"
        return f"{self.kind} {self.code}: {words}".strip()


def faults_of(body: Any) -> list[FaultError]:
    """The errors of a `{"Fault": {"Error": [...], "type"}}` body (empty when it carries none)."""
    fault = body.get("Fault") if isinstance(body, Mapping) else None
    if not isinstance(fault, Mapping):
        return []
    kind = str(fault.get("type") or "Fault")
    errors = fault.get("Error")
    found = []
    for error in errors if isinstance(errors, list) else ():
        if isinstance(error, Mapping):
            found.append(
                FaultError(
                    kind,
                    str(error.get("code") or ""),
                    str(error.get("Message") or ""),
                    str(error.get("Detail") or ""),
                )
            )
    return found or [FaultError(kind, "", "", "")]


def interpreter(name: str, realm_id: str) -> Callable[[requests.Response, Any], None]:
    """Intuit's answers as connector errors. A Fault can come with HTTP 200 too [21]: it is an error
    all the same. 429 (JSON or XML throttle fault [18][19]) and 5xx are left to the HTTP loop (the
    kit's wait, then its retries)."""

    def interpret(response: requests.Response, body: Any) -> None:
        status = response.status_code
        faults = faults_of(body)
        if status == 429 or status >= 500:
            return
        if not faults:
            if status == 401:
                raise _expired(name, f"{name}: HTTP 401 from QuickBooks")
            return
        first = faults[0]
        said = f"{name}: QuickBooks {'; '.join(f.said() for f in faults)}"
        if status == 401 or first.kind == "AuthenticationFault":
            raise _expired(name, said, first.code)
        if status == 403 or first.kind == "AuthorizationFault" or first.code in ("120", "6190"):
            raise AuthError(
                f"{said} — the connection may not read company {realm_id} (realm_id wrong, the company's "
                f"subscription ended, or access revoked): check realm_id and run `ledgerbridge connector "
                f"authorize {name}`",
                vendor_code=first.code or None,
            )
        if first.kind in ("SystemFault", "SERVICE") and first.code == "3001":
            return  # a throttle fault under another status: the loop's 429 handling covers it
        if first.kind == "SystemFault":
            raise TransientError(said, vendor_code=first.code or None)
        raise FatalApiError(said, vendor_code=first.code or None)

    return interpret


def _expired(name: str, said: str, code: str | None = None) -> TokenExpiredError:
    return TokenExpiredError(
        said,
        persisting=f"{said} — refused again with a freshly refreshed token: the app's access to the "
        f"company was revoked or the company disconnected; run `ledgerbridge connector authorize {name}`",
        vendor_code=code or None,
    )


# ----------------------------------------------------------------------------- session


class QuickBooksSession:
    """A configured connector's HTTP clients, its rotating-token auth, its company URL."""

    def __init__(
        self, cfg: QuickBooksSettings, deps: ConnectorDeps, *, retry: RetryPolicy | None = None
    ) -> None:
        self.cfg = cfg
        self.endpoints = resolve_endpoints(cfg.endpoints)
        timeout = (min(10.0, cfg.timeout_seconds), cfg.timeout_seconds)
        self.app = oauth_app(cfg, deps.resolve)
        self.token_http, self.auth = connector_token_auth(
            self.app,
            deps,
            name=cfg.name,
            token_client=f"{cfg.name}/accounts",
            key=token_key(cfg),
            refresh_token=cfg.credentials.refresh_token,
            retry=retry,
            timeout=timeout,
            deadline=cfg.limits.request_deadline_seconds,
        )
        per_minute = min(cfg.limits.requests_per_minute or REQUESTS_PER_MINUTE, REQUESTS_PER_MINUTE)
        self.http = HttpClient(
            cfg.name,
            interpret=interpreter(cfg.name, cfg.realm_id),
            auth=self.auth,
            requests_per_second=per_minute / 60.0,
            burst=1,  # with 500/60 a second, any one second holds at most 9.3 calls: under Intuit's 10
            concurrency=min(cfg.limits.concurrency or DEFAULT_CONCURRENCY, CONCURRENCY),
            retry=retry,
            timeout=timeout,
            deadline=cfg.limits.request_deadline_seconds,
            sleep=deps.sleep,
            observer=deps.observer,
        )
        self.company_url = self.endpoints.company_url(cfg.realm_id)

    def get(self, endpoint: str, params: Mapping[str, Any]) -> Any:
        """One read of the company's API with `minorversion` (every call [14]); the decoded body."""
        response = self.http.request(
            "GET",
            f"{self.company_url}/{endpoint}",
            params={**params, "minorversion": self.cfg.minor_version},
            headers={"Accept": "application/json"},
        )
        return response.body

    def close(self) -> None:
        self.http.close()
        self.token_http.close()
