"""Zoho OAuth: data centers, the refresh-token grant, and a requests auth that refreshes ahead of expiry
under the token store's lock (one refresh at a time across threads and processes)."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from typing import Any, Final
from urllib.parse import urlsplit

import requests

from config.redaction import remember_secret
from connectors.base import Clock, Token, TokenStore
from connectors.errors import AuthError, TransientError
from connectors.http import HttpClient
from connectors.oauth2 import CachedTokenAuth, OAuthApp

DATA_CENTERS: Final[Mapping[str, tuple[str, str]]] = {
    "com": ("https://accounts.zoho.com", "https://www.zohoapis.com"),
    "eu": ("https://accounts.zoho.eu", "https://www.zohoapis.eu"),
    "in": ("https://accounts.zoho.in", "https://www.zohoapis.in"),
    "com.au": ("https://accounts.zoho.com.au", "https://www.zohoapis.com.au"),
    "com.cn": ("https://accounts.zoho.com.cn", "https://www.zohoapis.com.cn"),
    "jp": ("https://accounts.zoho.jp", "https://www.zohoapis.jp"),
    "ca": ("https://accounts.zohocloud.ca", "https://www.zohoapis.ca"),
    "sa": ("https://accounts.zoho.sa", "https://www.zohoapis.sa"),
}
"""Data center -> (accounts server, API domain). CA's accounts host is zohocloud.ca, not zoho.ca."""

REFRESH_MARGIN: Final = timedelta(minutes=5)
"""Refresh this long before the token expires (or at 90 % of a shorter lifetime)."""

THROTTLE_RETRY_SECONDS: Final = 60.0
"""Zoho allows ~10 token refreshes per 10 minutes; when it says 'too many requests', wait this long."""


@dataclass(frozen=True)
class ZohoEndpoints:
    """Where to sign in, and where the API lives when the config pins it (else the token's api_domain)."""

    data_center: str
    accounts_url: str
    api_url: str | None


def resolve_endpoints(data_center: str, overrides: Mapping[str, str]) -> ZohoEndpoints:
    """The data center's accounts server, with `endpoints.accounts_url` / `endpoints.api_url` overrides."""
    unknown = set(overrides) - {"accounts_url", "api_url"}
    if unknown:
        raise ValueError(f"unknown Zoho endpoint(s) {sorted(unknown)}: use accounts_url and api_url")
    if data_center not in DATA_CENTERS:
        raise ValueError(f"unknown Zoho data center {data_center!r} (one of {', '.join(DATA_CENTERS)})")
    accounts = overrides.get("accounts_url", DATA_CENTERS[data_center][0]).rstrip("/")
    api = overrides.get("api_url")
    return ZohoEndpoints(data_center, accounts, api.rstrip("/") if api else None)


def default_api_domain(data_center: str) -> str:
    return DATA_CENTERS[data_center][1]


def token_key(accounts_url: str, client_id: str, refresh_token: str) -> str:
    """Token store key: one cached access token per (accounts server, client, refresh token), shared
    by the CRM and Books connectors when they use the same credentials."""
    digest = hashlib.sha256(refresh_token.encode("utf-8")).hexdigest()[:16]
    return f"zoho:{urlsplit(accounts_url).netloc}:{client_id}:{digest}"


def interpret_token_response(response: requests.Response, body: Any) -> None:
    """Zoho Accounts answers failures as `{"error": ...}`, often with HTTP 200: judge the body."""
    if not isinstance(body, Mapping) or "error" not in body:
        return
    error = str(body.get("error"))
    description = str(body.get("error_description") or "")
    host = urlsplit(response.url).netloc or "the Zoho accounts server"
    if error == "invalid_client":
        raise AuthError(
            f"Zoho Accounts at {host} refused the client (invalid_client): check credentials.client_id "
            "and client_secret, and that data_center (or endpoints.accounts_url) is the data center the "
            "client was registered in; a client from another data center works only if multi-DC is "
            "enabled for it in the Zoho API console",
            vendor_code=error,
        )
    if error == "invalid_code":
        raise AuthError(
            f"Zoho Accounts at {host} refused the refresh token (invalid_code): it was revoked, mistyped, "
            "issued in another data center or for another environment (sandbox vs production); "
            "generate a new one (Self Client, access_type=offline) and update credentials.refresh_token",
            vendor_code=error,
        )
    if "too many requests" in description.lower():
        raise TransientError(
            f"Zoho Accounts at {host} throttled token refreshes ({error}): {description}",
            retry_after=THROTTLE_RETRY_SECONDS,
            vendor_code=error,
        )
    raise AuthError(f"Zoho Accounts at {host} refused the token request: {error} {description}".strip())


class ZohoAuth(CachedTokenAuth):
    """Adds `Authorization: Zoho-oauthtoken ...`, refreshing the access token a few minutes before
    expiry. The token lives in the TokenStore (shared by processes); `refresh_lock` makes the refresh
    single-flight, and after taking the lock the store is read again, so a waiter reuses the token a
    concurrent refresher just saved. A rotated refresh token in the response is saved with it."""

    def __init__(
        self,
        *,
        http: HttpClient,
        accounts_url: str,
        client_id: str,
        client_secret: str,
        refresh_token: str,
        store: TokenStore,
        clock: Clock,
    ) -> None:
        super().__init__(
            store=store,
            key=token_key(accounts_url, client_id, refresh_token),
            clock=clock,
            scheme="Zoho-oauthtoken",
        )
        self._http = http
        self._accounts_url = accounts_url
        self._client_id = client_id
        self._client_secret = client_secret
        self._refresh_token = refresh_token
        remember_secret(client_secret, refresh_token)  # scrubbed from every sink, whatever is echoed

    @property
    def api_domain(self) -> str | None:
        """The API domain Zoho named in the token response (the org's data center)."""
        return self.token().extra.get("api_domain") or None

    def _refresh(self, previous: Token | None) -> Token:
        refresh_token = (previous.extra.get("refresh_token") if previous else None) or self._refresh_token
        response = self._http.request(
            "POST",
            f"{self._accounts_url}/oauth/v2/token",
            data={
                "grant_type": "refresh_token",
                "client_id": self._client_id,
                "client_secret": self._client_secret,
                "refresh_token": refresh_token,
            },
            auth=False,
            redirects="never",  # client_secret and refresh_token go to the accounts server, nowhere else
        )
        body = response.body if isinstance(response.body, Mapping) else {}
        access = body.get("access_token")
        rotated = body.get("refresh_token")
        remember_secret(
            access if isinstance(access, str) else None,
            rotated if isinstance(rotated, str) else None,
            minted=True,
        )
        if not isinstance(access, str) or not access:
            raise AuthError(f"Zoho Accounts at {self._accounts_url} answered without an access_token")
        lifetime = _lifetime_seconds(body)
        now = self._clock()
        expires_at = now + timedelta(seconds=lifetime)
        margin = min(REFRESH_MARGIN, timedelta(seconds=lifetime / 10))
        extra = {"refresh_after": (expires_at - margin).isoformat(), "minted_at": now.isoformat()}
        if isinstance(body.get("api_domain"), str):
            extra["api_domain"] = body["api_domain"].rstrip("/")
        if isinstance(rotated, str) and rotated:
            extra["refresh_token"] = rotated
        elif previous is not None and previous.extra.get("refresh_token"):
            extra["refresh_token"] = previous.extra["refresh_token"]
        return Token(access_token=access, expires_at=expires_at, extra=extra)


def _lifetime_seconds(body: Mapping[str, Any]) -> float:
    """`expires_in_sec` (seconds) wins when present, as both Zoho SDKs do: `expires_in` is then in
    milliseconds; otherwise `expires_in` is seconds. Default: one hour."""
    for key, scale in (("expires_in_sec", 1), ("expires_in", 1000 if "expires_in_sec" in body else 1)):
        value = body.get(key)
        if isinstance(value, int | Decimal | str) and not isinstance(value, bool):
            try:
                seconds = float(value) / scale
            except ValueError:
                continue
            if seconds > 0:
                return seconds
    return 3600.0


SCOPES: Final[Mapping[str, tuple[str, ...]]] = {
    "zoho_crm": ("ZohoCRM.modules.READ", "ZohoCRM.settings.fields.READ"),
    "zoho_books": (
        "ZohoBooks.settings.READ",
        "ZohoBooks.invoices.READ",
        "ZohoBooks.customerpayments.READ",
        "ZohoBooks.salesorders.READ",
        "ZohoBooks.creditnotes.READ",
    ),
}
"""Scopes `connector authorize` asks for, per kind (api-notes zoho.md §1.6; the Books names follow
Zoho's `ZohoBooks.<module>.READ` pattern and are UNVERIFIED per endpoint)."""


def oauth_app(kind: str, accounts_url: str, client_id: str, client_secret: str) -> OAuthApp:
    """Zoho's server-based application flow (api-notes zoho.md §1.4): `{accounts}/oauth/v2/auth` with
    `access_type=offline` (a refresh token) and `prompt=consent` (a new one even when consented
    before), the code traded at `{accounts}/oauth/v2/token` with the client in the form. Zoho's refresh
    tokens do not rotate and do not expire; `ZohoAuth` keeps using the configured one."""
    return OAuthApp(
        vendor="Zoho",
        authorize_url=f"{accounts_url}/oauth/v2/auth",
        token_url=f"{accounts_url}/oauth/v2/token",
        client_id=client_id,
        client_secret=client_secret,
        scopes=SCOPES[kind],
        client_auth="post",
        authorize_params={"access_type": "offline", "prompt": "consent"},
        scope_separator=",",
        keep_fields=("api_domain",),
    )
