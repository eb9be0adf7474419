"""The Xero sandbox: Xero Identity (authorize, token with rotating refresh tokens), `GET /connections`
and the Accounting API's receivable lists on loopback, with Xero's limits and error shapes, as the
api-notes describe them (§2.1-§2.6). Where the notes are unsure, an option says which way it behaves."""

from __future__ import annotations

import base64
import json
import secrets
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any, Final
from urllib.parse import parse_qs, urlencode

from connectors.sandbox.server import FaultPlan, Request, Response, SandboxServer, ServedSandbox
from connectors.sandbox.xero.dataset import ID_FIELD, XeroDataset, ms_date

API_PREFIX: Final = "/api.xro/2.0/"
TOKEN_PATH: Final = "/connect/token"  # noqa: S105 - a path
AUTHORIZE_PATH: Final = "/identity/connect/authorize"
DEFAULT_PAGE: Final = 100
MAX_PAGE: Final = 1000
PAGED: Final = frozenset({"Invoices", "Payments", "CreditNotes", "Overpayments", "Prepayments", "Contacts"})
"""Endpoints taking `page`/`pageSize` (api-notes §2.2); Items is answered whole."""

SCOPE_OF: Final = {
    "Invoices": ("accounting.invoices", "accounting.transactions"),
    "CreditNotes": ("accounting.invoices", "accounting.transactions"),
    "Items": ("accounting.invoices", "accounting.settings"),
    "Payments": ("accounting.payments", "accounting.transactions"),
    "Overpayments": ("accounting.payments", "accounting.transactions"),
    "Prepayments": ("accounting.payments", "accounting.transactions"),
    "Contacts": ("accounting.contacts",),
}
"""Endpoint -> scope families that read it, granular then broad (api-notes §2.1 [45][46][47]); each is
granted as itself or its `.read`."""

ALL_SCOPES: Final = (
    "offline_access",
    "accounting.invoices.read",
    "accounting.payments.read",
    "accounting.contacts.read",
    "accounting.settings.read",
)


@dataclass
class XeroSandboxOptions:
    client_id: str = "SANDBOXXEROCLIENT0000000000000000"
    client_secret: str = "sandbox-xero-secret"  # noqa: S105 - a sandbox's fixed credential
    refresh_token: str = "sandbox-xero-refresh-0"  # noqa: S105 - a sandbox's fixed credential
    scopes: tuple[str, ...] = ALL_SCOPES
    """What the connection granted (granular by default; broad ones like accounting.transactions.read
    are accepted as well)."""
    access_token_ttl: int = 1800
    """30-minute access tokens [40]."""
    refresh_grace: float = 1800.0
    """A superseded refresh token still works this long (Xero: 30 minutes [40])."""
    extra_tenants: tuple[tuple[str, str, str], ...] = ()
    """More (tenantId, tenantName, tenantType) the connection reaches, to test the choice."""
    minute_limit: int | None = 60
    day_limit: int | None = 5000
    app_minute_limit: int | None = 10_000
    concurrent_limit: int = 5
    honour_where: bool = True
    """Apply `where` Type filters (off: serve every type, the reader must filter)."""
    page_size_refused: frozenset[str] = frozenset()
    """Endpoints that answer `pageSize` with a 400 ValidationException (UNVERIFIED whether any do)."""
    send_pagination: bool = True
    """Add the `pagination` object to paged answers [47][50] (off: the reader must stop on a short page)."""
    modified_inclusive: bool = True
    """`If-Modified-Since` keeps rows modified at or after the instant (False: strictly after)."""
    list_deleted: bool = True
    """DELETED rows appear in lists without If-Modified-Since too (the notes are unsure either way)."""
    day_reset_seconds: int = 3600
    """`Retry-After` of a daily-limit 429: seconds until the tenant's day resets."""


@dataclass
class _Issued:
    scopes: tuple[str, ...]
    expires_at: float
    uses: int = 0
    expired: bool = False


@dataclass
class _State:
    tokens: dict[str, _Issued] = field(default_factory=dict)
    refresh_tokens: dict[str, float | None] = field(default_factory=dict)
    """Refresh token -> when it stops working (None: current)."""
    codes: dict[str, tuple[str, ...]] = field(default_factory=dict)
    refresh_count: int = 0
    minute_start: float = 0.0
    minute_calls: int = 0
    day_calls: int = 0
    in_flight: int = 0
    limited: list[str] = field(default_factory=list)


class XeroSandbox(ServedSandbox):
    """Serves one or more XeroDatasets (one per tenant) on 127.0.0.1.

    with XeroSandbox(dataset) as url:
        ...  # endpoints: identity_url = url, api_url = url
    """

    def __init__(
        self,
        dataset: XeroDataset,
        *,
        faults: FaultPlan | None = None,
        options: XeroSandboxOptions | None = None,
        clock: Callable[[], float] = time.monotonic,
        port: int = 0,
        others: Sequence[XeroDataset] = (),
    ) -> None:
        self.dataset = dataset
        self.faults = faults or FaultPlan()
        self.options = options or XeroSandboxOptions()
        self._clock = clock
        self._tenants = {d.tenant_id: d for d in (dataset, *others)}
        self._state = _State(refresh_tokens={self.options.refresh_token: None})
        self._state.minute_start = clock()
        self._lock = threading.Lock()
        self.server = SandboxServer(self.handle, port=port, name="xero-sandbox")

    @property
    def refresh_count(self) -> int:
        with self._lock:
            return self._state.refresh_count

    @property
    def limited(self) -> list[str]:
        """The X-Rate-Limit-Problem of every 429 the limits (not the faults) answered."""
        with self._lock:
            return list(self._state.limited)

    def new_day(self) -> None:
        with self._lock:
            self._state.day_calls = 0

    def issue_code(self, scopes: tuple[str, ...] | None = None) -> str:
        """An authorization code as the consent screen would hand out (for `connector authorize`)."""
        code = secrets.token_urlsafe(16)
        with self._lock:
            self._state.codes[code] = scopes or self.options.scopes
        return code

    # ------------------------------------------------------------------------- routing

    def handle(self, request: Request) -> Response:
        if request.path == AUTHORIZE_PATH and request.method == "GET":
            return self._authorize_page(request)
        if request.path == TOKEN_PATH and request.method == "POST":
            fault = self.faults.draw()
            if fault == "500":
                return Response(500, {"error": "server_error"})
            response = self._token(request)
            return Response(response.status, response.body, response.headers, truncate=fault == "truncated")
        if request.path == "/connections" and request.method == "GET":
            denied = self._bearer(request)
            if denied is not None:
                return denied
            return Response(200, self._connections())
        if request.path.startswith(API_PREFIX) and request.method == "GET":
            return self._api(request)
        return Response(
            404, {"Title": "NotFound", "Status": 404, "Detail": "The resource could not be found"}
        )

    # ------------------------------------------------------------------------- identity

    def _authorize_page(self, request: Request) -> Response:
        """Consent granted at once: a redirect to `redirect_uri` with a code and the state."""
        if request.arg("client_id") != self.options.client_id:
            return Response(400, {"error": "unauthorized_client"})
        asked = tuple((request.arg("scope") or "").split())
        code = self.issue_code(tuple(s for s in asked if s in self.options.scopes) or self.options.scopes)
        target = (
            f"{request.arg('redirect_uri')}?{urlencode({'code': code, 'state': request.arg('state') or ''})}"
        )
        return Response(302, b"", {"Location": target})

    def _token(self, request: Request) -> Response:
        opts = self.options
        expected = base64.b64encode(f"{opts.client_id}:{opts.client_secret}".encode()).decode()
        if request.header("Authorization") != f"Basic {expected}":
            return Response(400, {"error": "invalid_client"})
        form = {k: v[0] for k, v in parse_qs(request.body.decode("utf-8")).items() if v}
        now = self._clock()
        with self._lock:
            grant = form.get("grant_type")
            if grant == "authorization_code":
                scopes = self._state.codes.pop(form.get("code", ""), None)
                if scopes is None:
                    return Response(400, {"error": "invalid_grant"})
            elif grant == "refresh_token":
                refresh = form.get("refresh_token", "")
                if refresh not in self._state.refresh_tokens:
                    return Response(400, {"error": "invalid_grant"})
                dies = self._state.refresh_tokens[refresh]
                if dies is not None and now >= dies:
                    return Response(400, {"error": "invalid_grant"})
                scopes = opts.scopes
            else:
                return Response(400, {"error": "unsupported_grant_type"})
            # Rotation: every answer has a new refresh token; the ones before it die after the grace.
            for old, dies in list(self._state.refresh_tokens.items()):
                if dies is None:
                    self._state.refresh_tokens[old] = now + opts.refresh_grace
            rotated = f"sandbox-xero-refresh-{secrets.token_hex(12)}"
            self._state.refresh_tokens[rotated] = None
            access = _jwt({"scope": list(scopes), "nbf": int(time.time()), "jti": secrets.token_hex(8)})
            self._state.tokens[access] = _Issued(scopes, now + opts.access_token_ttl)
            self._state.refresh_count += 1
        return Response(
            200,
            {
                "access_token": access,
                "expires_in": opts.access_token_ttl,
                "token_type": "Bearer",
                "refresh_token": rotated,
                "scope": " ".join(scopes),
            },
        )

    def _bearer(self, request: Request) -> Response | None:
        header = request.header("Authorization") or ""
        token = header[len("Bearer ") :] if header.startswith("Bearer ") else ""
        with self._lock:
            issued = self._state.tokens.get(token)
            if issued is None or issued.expired or self._clock() >= issued.expires_at:
                return Response(
                    401, _problem("Unauthorized", 401, "TokenExpired: token expired at " + _now())
                )
            issued.uses += 1
        return None

    def _connections(self) -> list[dict[str, Any]]:
        rows = [
            {
                "id": f"conn-{d.tenant_id[:8]}",
                "tenantId": d.tenant_id,
                "tenantType": "ORGANISATION",
                "tenantName": d.name,
                "createdDateUtc": "2026-01-05T08:00:00.0000000",
                "updatedDateUtc": "2026-01-05T08:00:00.0000000",
            }
            for d in self._tenants.values()
        ]
        rows += [
            {"id": f"conn-{tid[:8]}", "tenantId": tid, "tenantType": kind, "tenantName": name}
            for tid, name, kind in self.options.extra_tenants
        ]
        return rows

    # ------------------------------------------------------------------------- accounting

    def _api(self, request: Request) -> Response:
        limited = self._limits()
        if limited is not None:
            return limited
        with self._lock:
            self._state.in_flight += 1
            crowded = self._state.in_flight > self.options.concurrent_limit
        try:
            if crowded:
                return self._too_many("concurrent", None)
            fault = self.faults.draw()
            if fault == "429":
                return self._too_many("minute", self.faults.retry_after or 1)
            if fault == "500":
                return Response(
                    500, {"ErrorNumber": 500, "Type": "UnknownError", "Message": "An error occurred"}
                )
            if fault == "token_expiry":
                self._expire(request)
            response = self._answer(request)
            headers = {**self._limit_headers(), **response.headers}
            return Response(response.status, response.body, headers, truncate=fault == "truncated")
        finally:
            with self._lock:
                self._state.in_flight -= 1

    def _answer(self, request: Request) -> Response:
        denied = self._bearer(request)
        if denied is not None:
            return denied
        tenant = self._tenants.get(request.header("xero-tenant-id") or "")
        if tenant is None:
            return Response(403, _problem("Forbidden", 403, "AuthenticationUnsuccessful"))
        endpoint = request.path[len(API_PREFIX) :].strip("/")
        if endpoint not in ID_FIELD:
            return Response(404, _problem("NotFound", 404, f"No resource {endpoint}"))
        if not self._scoped(request, endpoint):
            return Response(403, _problem("Forbidden", 403, "AuthorizationUnsuccessful"))
        return self._list(request, tenant, endpoint)

    def _scoped(self, request: Request, endpoint: str) -> bool:
        token = (request.header("Authorization") or "")[len("Bearer ") :]
        with self._lock:
            issued = self._state.tokens.get(token)
        granted = issued.scopes if issued else ()
        return any(f in granted or f"{f}.read" in granted for f in SCOPE_OF[endpoint])

    def _list(self, request: Request, tenant: XeroDataset, endpoint: str) -> Response:
        opts = self.options
        since = _since(request.header("If-Modified-Since"))
        rows = tenant.rows(endpoint)
        if since is not None:
            rows = [(at, r) for at, r in rows if at > since or (opts.modified_inclusive and at == since)]
        elif not opts.list_deleted:
            rows = [(at, r) for at, r in rows if r.get("Status") != "DELETED"]
        if endpoint == "Contacts" and (request.arg("includeArchived") or "").lower() != "true":
            rows = [(at, r) for at, r in rows if r.get("ContactStatus") != "ARCHIVED"]
        where = request.arg("where")
        if where and opts.honour_where:
            matched = _where(where)
            if matched is None:
                return Response(400, _validation(f"The where clause {where!r} is not supported"))
            name, value = matched
            rows = [(at, r) for at, r in rows if r.get(name) == value]
        if (request.arg("order") or "").replace(" ", "").upper() == "UPDATEDDATEUTCASC":
            rows.sort(key=lambda p: (p[0], str(p[1].get(ID_FIELD[endpoint]))))
        else:
            rows.sort(key=lambda p: str(p[1].get(ID_FIELD[endpoint])))
        records = [r for _, r in rows]
        if endpoint not in PAGED:
            return Response(200, {endpoint: records})
        size = DEFAULT_PAGE
        if request.arg("pageSize") is not None:
            if endpoint in opts.page_size_refused:
                return Response(400, _validation("pageSize is not supported on this endpoint"))
            try:
                size = min(MAX_PAGE, max(1, int(request.arg("pageSize") or DEFAULT_PAGE)))
            except ValueError:
                return Response(400, _validation("pageSize must be a number"))
        page = max(1, int(request.arg("page") or "1"))
        chunk = records[(page - 1) * size : page * size]
        body: dict[str, Any] = {endpoint: chunk}
        if opts.send_pagination:
            body["pagination"] = {
                "page": page,
                "pageSize": size,
                "pageCount": (len(records) + size - 1) // size,
                "itemCount": len(records),
            }
        return Response(200, body)

    def _expire(self, request: Request) -> None:
        token = (request.header("Authorization") or "")[len("Bearer ") :]
        with self._lock:
            issued = self._state.tokens.get(token)
            if issued is not None and issued.uses > 0:
                issued.expired = True

    # ------------------------------------------------------------------------- limits

    def _limits(self) -> Response | None:
        """Per tenant 60 a minute and 5,000 a day, per app 10,000 a minute (fixed windows) [51][52]."""
        opts = self.options
        with self._lock:
            state, now = self._state, self._clock()
            if now - state.minute_start >= 60:
                state.minute_start, state.minute_calls = now, 0
            if opts.day_limit is not None and state.day_calls >= opts.day_limit:
                state.limited.append("day")
                return self._too_many("day", opts.day_reset_seconds, locked=True)
            if opts.minute_limit is not None and state.minute_calls >= opts.minute_limit:
                state.limited.append("minute")
                return self._too_many("minute", max(1, int(60 - (now - state.minute_start))), locked=True)
            if opts.app_minute_limit is not None and state.minute_calls >= opts.app_minute_limit:
                state.limited.append("appminute")
                return self._too_many("appminute", max(1, int(60 - (now - state.minute_start))), locked=True)
            state.minute_calls += 1
            state.day_calls += 1
        return None

    def _limit_headers(self, *, locked: bool = False) -> dict[str, str]:
        if not locked:
            with self._lock:
                return self._limit_headers(locked=True)
        opts, state = self.options, self._state
        headers = {}
        if opts.minute_limit is not None:
            headers["X-MinLimit-Remaining"] = str(max(0, opts.minute_limit - state.minute_calls))
        if opts.day_limit is not None:
            headers["X-DayLimit-Remaining"] = str(max(0, opts.day_limit - state.day_calls))
        if opts.app_minute_limit is not None:
            headers["X-AppMinLimit-Remaining"] = str(max(0, opts.app_minute_limit - state.minute_calls))
        return headers

    def _too_many(self, problem: str, retry_after: int | None, *, locked: bool = False) -> Response:
        headers = {"X-Rate-Limit-Problem": problem, **self._limit_headers(locked=locked)}
        if retry_after is not None:
            headers["Retry-After"] = str(retry_after)
        return Response(429, _problem("TooManyRequests", 429, f"Rate limit exceeded: {problem}"), headers)


def _problem(title: str, status: int, detail: str) -> dict[str, Any]:
    """The gateway's problem body (api-notes §2.6 [56][57])."""
    instance = secrets.token_hex(8)
    return {"Type": None, "Title": title, "Status": status, "Detail": detail, "Instance": instance,
            "Extensions": {}}  # fmt: skip


def _validation(message: str) -> dict[str, Any]:
    """An Accounting 400 (api-notes §2.6 [47])."""
    return {
        "ErrorNumber": 10,
        "Type": "ValidationException",
        "Message": "A validation exception occurred",
        "Elements": [{"ValidationErrors": [{"Message": message}]}],
    }


def _jwt(claims: dict[str, Any]) -> str:
    def part(value: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")

    return f"{part({'alg': 'none', 'typ': 'JWT'})}.{part(claims)}.{secrets.token_hex(16)}"


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _since(value: str | None) -> datetime | None:
    """`If-Modified-Since` as ISO-8601 (UTC when no offset) or an HTTP date."""
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        parsed = parsedate_to_datetime(value)
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def _where(clause: str) -> tuple[str, str] | None:
    """`Type=="ACCREC"` (one equality: all the sandbox understands of Xero's C#-like filters)."""
    left, sep, right = clause.partition("==")
    if not sep or not right.strip().startswith('"') or not right.strip().endswith('"'):
        return None
    return left.strip(), right.strip().strip('"')


__all__ = ["XeroSandbox", "XeroSandboxOptions", "ms_date"]
