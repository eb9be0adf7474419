"""The Zoho sandbox: Zoho Accounts (OAuth refresh), CRM v8 records and Books v3 lists on loopback."""

from __future__ import annotations

import base64
import hashlib
import json
import random
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from connectors.sandbox.server import FaultPlan, Request, Response, SandboxServer, ServedSandbox
from connectors.sandbox.zoho.dataset import BOOKS_COLLECTIONS, CRM_MODULES, ZohoDataset
from connectors.sandbox.zoho.render import LineKeys, books_record, crm_record, crm_time, parse_offset
from store.canonical import CanonicalDocument, DocumentKind

CRM_PREFIX = "/crm/v8/"
BOOKS_PREFIX = "/books/v3/"
MAX_FIELDS = 50
MAX_PER_PAGE = 200
DISCRETE_LIMIT = 2_000
TOKEN_LIMIT = 100_000

_MODULE_KIND = {module: kind for kind, module in CRM_MODULES.items()}
_COLLECTION_KIND = {path: kind for kind, path in BOOKS_COLLECTIONS.items()}
_DETAIL_KEY = {
    DocumentKind.INVOICE: "invoice",
    DocumentKind.PAYMENT: "payment",
    DocumentKind.SALES_ORDER: "salesorder",
    DocumentKind.CREDIT_NOTE: "creditnote",
}
_BOOKS_SCOPE = {
    "invoices": "invoices",
    "customerpayments": "customerpayments",
    "salesorders": "salesorders",
    "creditnotes": "creditnotes",
}


@dataclass
class _Issued:
    scopes: frozenset[str] | None
    expires_at: float
    uses: int = 0
    expired: bool = False


@dataclass
class ZohoSandboxOptions:
    """How the sandbox behaves where the api-notes are unsure (each way is switchable) and its limits."""

    client_id: str = "1000.SANDBOXCLIENT"
    client_secret: str = "sandbox-secret"  # noqa: S105 - a sandbox's fixed credential
    refresh_token: str = "1000.sandbox-refresh-token"  # noqa: S105 - a sandbox's fixed credential
    scopes: frozenset[str] | None = None
    """Scopes the refresh token grants; None = everything."""
    access_token_ttl: int = 3600
    """`expires_in` of every access token, in seconds."""
    token_error_status: int = 200
    """HTTP status of `{"error": ...}` token responses (unverified; 200 is the hard case for a client)."""
    max_refreshes: int | None = 10
    """Refreshes allowed per refresh token in `refresh_window` seconds before 'Access Denied'."""
    refresh_window: float = 600.0
    rotate_refresh_token: bool = False
    """Return a new refresh token with every refresh (Zoho does not, but a client must save one)."""
    crm_offset: str = "+08:00"
    """The offset CRM renders Modified_Time in (the org's/user's zone: unverified which)."""
    line_keys: LineKeys = "title"
    crm_modified_since_inclusive: bool = False
    """If-Modified-Since keeps records modified *after* the instant (docs) or at-or-after (Airbyte)."""
    books_list_allocations: bool = False
    """Books payment/credit-note lists carry `invoices[]` / `invoices_credited[]` (else details only)."""
    books_list_invoice_numbers: bool = True
    """Books payment list rows carry `invoice_numbers` (Books' list does; off = an older/other shape)."""
    books_modified_filter: Literal["inclusive", "exclusive"] = "inclusive"
    """Books `last_modified_time` keeps rows at-or-after (inclusive) or strictly after the instant."""
    extra_organizations: tuple[tuple[str, str], ...] = ()
    """More (organization_id, name) pairs the token can see, to test choosing the right one."""
    burst_429_share: float = 0.0
    """Fault "another app bursting": this share of API calls answers 429 (the per-minute limit, no
    Retry-After) during the first `burst_seconds` of the sandbox clock after the first API call."""
    burst_seconds: float = 90.0
    daily_cap: int | None = None
    """API calls the organization may make per day (Books: the plan's cap; CRM: the 24-hour credits);
    beyond it every call answers 429 with `X-Rate-Limit-Remaining: 0` (Books) / `X-API-CREDITS-REMAINING:
    0` (CRM) until `new_day()`. `daily_reset_seconds` is what Books' `X-Rate-Limit-Reset` then says."""
    daily_reset_seconds: int = 3600
    revoke_after_uses: int | None = None
    """Fault "token revoked mid-stream": an access token dies after this many API calls (Zoho revokes
    older tokens when too many are minted from one refresh token); its next call answers 401 (Books:
    code 57 "not authorized", CRM: INVALID_TOKEN). "Token lacks scope" is `scopes`."""
    hidden_ids: frozenset[str] = frozenset()
    """Fault: records (by external id) the lists never serve but CRM's `actions/count` counts."""


@dataclass
class _State:
    tokens: dict[str, _Issued] = field(default_factory=dict)
    refreshes: list[float] = field(default_factory=list)
    refresh_tokens: set[str] = field(default_factory=set)
    refresh_count: int = 0
    revoked_count: int = 0
    first_call: float | None = None
    calls_today: int = 0
    limited_count: int = 0


class ZohoSandbox(ServedSandbox):
    """Serves a ZohoDataset as Zoho Accounts + CRM v8 + Books v3 on 127.0.0.1 only.

        with ZohoSandbox(dataset) as url:
            ...  # accounts_url = url, api_domain = url (the token response says so too)

    `faults` (a FaultPlan) injects 429 / 500 / truncated bodies / early token expiry on API calls;
    `faults.burst_429 = N` makes the next N calls answer 429. `server.request_counts` counts requests
    per path. Mutate the data through `dataset` (put / edit / delete) while it runs.
    """

    def __init__(
        self,
        dataset: ZohoDataset,
        *,
        faults: FaultPlan | None = None,
        options: ZohoSandboxOptions | None = None,
        clock: Callable[[], float] = time.monotonic,
        port: int = 0,
    ) -> None:
        self.dataset = dataset
        self.faults = faults or FaultPlan()
        self.options = options or ZohoSandboxOptions()
        self._clock = clock
        self._state = _State(refresh_tokens={self.options.refresh_token})
        self._burst_rng = random.Random(self.faults.seed)
        self._lock = threading.Lock()
        self.server = SandboxServer(self.handle, port=port, name="zoho-sandbox")

    @property
    def refresh_count(self) -> int:
        """How many access tokens the accounts server issued."""
        with self._lock:
            return self._state.refresh_count

    @property
    def limited_count(self) -> int:
        """How many API calls the `burst_429_share` and `daily_cap` faults answered with 429."""
        with self._lock:
            return self._state.limited_count

    def new_day(self, spent: int = 0) -> None:
        """The daily cap resets (`spent`: calls the organization's other apps made already today)."""
        with self._lock:
            self._state.calls_today = spent

    @property
    def revoked_count(self) -> int:
        """How many access tokens the `revoke_after_uses` fault revoked."""
        with self._lock:
            return self._state.revoked_count

    # ------------------------------------------------------------------------- routing

    def handle(self, request: Request) -> Response:
        if request.path == "/oauth/v2/token" and request.method == "POST":
            fault = self.faults.draw()
            if fault in ("429", "500"):
                return Response(int(fault), {"error": "Access Denied", "error_description": "busy"})
            response = self._token(request)
            return _truncated(response) if fault == "truncated" else response
        if request.path.startswith(CRM_PREFIX):
            return self._api(request, crm=True)
        if request.path.startswith(BOOKS_PREFIX):
            return self._api(request, crm=False)
        return Response(
            404,
            {
                "code": "INVALID_URL_PATTERN",
                "details": {},
                "message": "Please check if the URL trying to access is a correct one",
                "status": "error",
            },
        )

    def _api(self, request: Request, *, crm: bool) -> Response:
        token = _bearer(request)
        limited = self._limited(crm)
        if limited is not None:
            return limited
        fault = self.faults.draw()
        if fault == "429":
            return _too_many(crm, self.faults.retry_after)
        if fault == "500":
            return (
                Response(500, _crm_error("INTERNAL_ERROR", "Internal Server Error"))
                if crm
                else Response(500, {"code": 1000, "message": "Internal error"})
            )
        if fault == "token_expiry":
            self._expire_early(token)
        denied = self._authorize(token, request, crm=crm)
        if denied is not None:
            return denied
        response = self._crm(request) if crm else self._books(request)
        return _truncated(response) if fault == "truncated" else response

    def _limited(self, crm: bool) -> Response | None:
        """The organization's shared budget: the daily cap, then another app's burst of the minute limit."""
        opts = self.options
        with self._lock:
            now = self._clock()
            state = self._state
            state.first_call = now if state.first_call is None else state.first_call
            if opts.daily_cap is not None and state.calls_today >= opts.daily_cap:
                state.limited_count += 1
                return _daily_cap(crm, opts.daily_cap, opts.daily_reset_seconds)
            bursting = now - state.first_call < opts.burst_seconds
            if bursting and opts.burst_429_share and self._burst_rng.random() < opts.burst_429_share:
                state.limited_count += 1
                return _too_many(crm, None)
            state.calls_today += 1
        return None

    # ------------------------------------------------------------------------- accounts

    def _token(self, request: Request) -> Response:
        form, opts = request.form(), self.options
        status = opts.token_error_status
        if form.get("grant_type") != "refresh_token":
            return Response(status, {"error": "unsupported_grant_type"})
        if form.get("client_id") != opts.client_id or form.get("client_secret") != opts.client_secret:
            return Response(status, {"error": "invalid_client"})
        refresh = form.get("refresh_token", "")
        now = self._clock()
        with self._lock:
            if refresh not in self._state.refresh_tokens:
                return Response(status, {"error": "invalid_code"})
            recent = [t for t in self._state.refreshes if now - t < opts.refresh_window]
            if opts.max_refreshes is not None and len(recent) >= opts.max_refreshes:
                self._state.refreshes = recent
                return Response(
                    400,
                    {
                        "error": "Access Denied",
                        "error_description": "You have made too many requests continuously. "
                        "Please try again after some time.",
                    },
                )
            self._state.refreshes = [*recent, now]
            access = f"1000.{secrets.token_hex(16)}.{secrets.token_hex(16)}"
            self._state.tokens[access] = _Issued(opts.scopes, now + opts.access_token_ttl)
            self._state.refresh_count += 1
            body: dict[str, Any] = {
                "access_token": access,
                "api_domain": self.url,
                "token_type": "Bearer",
                "expires_in": opts.access_token_ttl,
            }
            if opts.rotate_refresh_token:
                rotated = f"1000.{secrets.token_hex(20)}"
                self._state.refresh_tokens = {rotated}
                body["refresh_token"] = rotated
        return Response(200, body)

    def _expire_early(self, token: str | None) -> None:
        """Early expiry hits a token in use; a token never used since it was issued is left alone
        (else a fresh token could expire again before its first call, which Zoho never does)."""
        with self._lock:
            issued = self._state.tokens.get(token or "")
            if issued is not None and issued.uses > 0:
                issued.expired = True

    def _authorize(self, token: str | None, request: Request, *, crm: bool) -> Response | None:
        with self._lock:
            issued = self._state.tokens.get(token or "")
            valid = issued is not None and not issued.expired and self._clock() < issued.expires_at
            limit = self.options.revoke_after_uses
            if issued is not None and valid and limit is not None and issued.uses >= limit:
                issued.expired = valid = False
                self._state.revoked_count += 1
            if issued is not None and valid:
                issued.uses += 1
        if not valid or issued is None:
            # Books says an expired or revoked token is "not authorized", the words of a missing scope.
            return (
                Response(401, _crm_error("INVALID_TOKEN", "invalid oauth token"))
                if crm
                else Response(
                    401, {"code": 57, "message": "You are not authorized to perform this operation"}
                )
            )
        needed = _scope_for(request.path, crm=crm)
        if issued.scopes is None or any(s in issued.scopes for s in needed):
            return None
        if crm:
            return Response(401, _crm_error("OAUTH_SCOPE_MISMATCH", "invalid oauth scope to access this URL"))
        return Response(401, {"code": 57, "message": "You are not authorized to perform this operation"})

    # ------------------------------------------------------------------------- CRM

    def _crm(self, request: Request) -> Response:
        parts = request.path[len(CRM_PREFIX) :].strip("/").split("/")
        kind = _MODULE_KIND.get(parts[0])
        if kind is None:
            return Response(400, _crm_error("INVALID_MODULE", "the module name given seems to be invalid"))
        if len(parts) == 2 and parts[1] == "deleted":
            return self._crm_deleted(request, kind)
        if parts[1:] == ["actions", "count"]:
            return Response(200, {"count": len(self.dataset.live("crm", kind))})
        if len(parts) != 1:
            return Response(404, _crm_error("INVALID_URL_PATTERN", "Please check if the URL is correct"))
        return self._crm_records(request, kind)

    def _crm_records(self, request: Request, kind: DocumentKind) -> Response:
        fields_arg = request.arg("fields")
        if not fields_arg:
            return Response(
                400,
                _crm_error(
                    "REQUIRED_PARAM_MISSING",
                    "One of the expected parameter is missing",
                    {"param_name": "fields"},
                ),
            )
        fields = [f for f in fields_arg.split(",") if f]
        if len(fields) > MAX_FIELDS:
            return Response(
                400,
                _crm_error(
                    "LIMIT_EXCEEDED", "fields limit exceeded", {"param_name": "fields", "limit": MAX_FIELDS}
                ),
            )
        paging = _paging(request)
        if isinstance(paging, Response):
            return paging
        per_page, offset, by_token = paging
        since = _since(request)
        if isinstance(since, Response):
            return since
        sort_by = request.arg("sort_by", "id") or "id"
        descending = request.arg("sort_order", "desc" if sort_by != "id" else "asc") == "desc"
        if sort_by not in ("id", "Created_Time", "Modified_Time"):
            return Response(400, _crm_error("INVALID_DATA", "invalid sort_by", {"param_name": "sort_by"}))
        query_key = f"{kind.value}|{sort_by}|{descending}|{request.header('If-Modified-Since')}"
        if by_token:
            token_offset = _token_offset(request.arg("page_token") or "", query_key)
            if token_offset is None:
                return Response(
                    400, _crm_error("INVALID_DATA", "invalid page_token", {"param_name": "page_token"})
                )
            if token_offset >= TOKEN_LIMIT:
                return Response(
                    400,
                    _crm_error(
                        "PAGINATION_LIMIT_EXCEEDED",
                        "you cannot fetch more than 100000 records",
                        {"limit": TOKEN_LIMIT},
                    ),
                )
            offset = token_offset
        docs = self._listed("crm", kind)
        if since is not None:
            inclusive = self.options.crm_modified_since_inclusive
            docs = [d for d in docs if _after(d.source_modified_at, since, inclusive=inclusive)]
        if request.arg("ids"):
            wanted = set((request.arg("ids") or "").split(","))
            docs = [d for d in docs if d.external_id in wanted]
        docs.sort(key=lambda d: _crm_sort_key(d, sort_by), reverse=descending)
        if not docs:
            return Response(304 if since is not None else 204)
        window = docs[offset : offset + per_page]
        if not window:
            return Response(204)
        offset_zone = parse_offset(self.options.crm_offset)
        keep = {"id", *fields}
        rows = [
            {
                k: v
                for k, v in crm_record(
                    d, self.dataset, offset=offset_zone, line_keys=self.options.line_keys
                ).items()
                if k in keep
            }
            for d in window
        ]
        more = offset + len(window) < len(docs)
        info: dict[str, Any] = {
            "per_page": per_page,
            "count": len(window),
            "page": None if by_token else offset // per_page + 1,
            "sort_by": sort_by,
            "sort_order": "desc" if descending else "asc",
            "more_records": more,
            "next_page_token": _make_token(query_key, offset + per_page) if more else None,
            "previous_page_token": None,
            "page_token_expiry": None,
        }
        return Response(200, {"data": rows, "info": info})

    def _crm_deleted(self, request: Request, kind: DocumentKind) -> Response:
        paging = _paging(request, allow_token=False)
        if isinstance(paging, Response):
            return paging
        per_page, offset, _ = paging
        since = _since(request)
        if isinstance(since, Response):
            return since
        gone = self.dataset.deletions("crm", kind)
        if since is not None:
            gone = [g for g in gone if g.deleted_at > since]
        gone.sort(key=lambda g: (g.deleted_at, g.external_id))
        window = gone[offset : offset + per_page]
        if not window:
            return Response(304 if since is not None and not gone else 204)
        zone = parse_offset(self.options.crm_offset)
        user = {"name": "Sandbox Admin", "id": "4000000000000000001"}
        rows = [
            {
                "id": g.external_id,
                "display_name": g.display_name,
                "type": "recycle",
                "deleted_time": crm_time(g.deleted_at, zone),
                "deleted_by": user,
                "created_by": user,
            }
            for g in window
        ]
        info = {
            "per_page": per_page,
            "count": len(rows),
            "page": offset // per_page + 1,
            "more_records": offset + len(rows) < len(gone),
        }
        return Response(200, {"data": rows, "info": info})

    # ------------------------------------------------------------------------- Books

    def _listed(self, system: Literal["crm", "books"], kind: DocumentKind) -> list[CanonicalDocument]:
        """Live documents a list serves: all but the `hidden_ids` fault's."""
        hidden = self.options.hidden_ids
        return [d for d in self.dataset.live(system, kind) if d.external_id not in hidden]

    def _books(self, request: Request) -> Response:
        parts = request.path[len(BOOKS_PREFIX) :].strip("/").split("/")
        if parts == ["organizations"]:
            orgs = [
                (self.dataset.organization_id, self.dataset.organization_name),
                *self.options.extra_organizations,
            ]
            return Response(
                200,
                {
                    "code": 0,
                    "message": "success",
                    "organizations": [
                        {
                            "organization_id": oid,
                            "name": name,
                            "currency_code": self.dataset.base_currency,
                            "time_zone": self.dataset.timezone,
                            "is_default_org": i == 0,
                        }
                        for i, (oid, name) in enumerate(orgs)
                    ],
                },
            )
        org = request.arg("organization_id")
        if not org:
            return Response(
                400,
                {
                    "code": 6041,
                    "message": "organization_id is required: pass the id of "
                    "the organization this request is for.",
                },
            )
        if org != self.dataset.organization_id:
            return Response(
                400, {"code": 6041, "message": f"This user is not associated with the organization_id {org}."}
            )
        kind = _COLLECTION_KIND.get(parts[0])
        if kind is None or len(parts) > 2:
            return Response(404, {"code": 5, "message": "Invalid URL Passed"})
        if len(parts) == 2:
            doc = self.dataset.get("books", kind, parts[1])
            if doc is None:
                return Response(404, {"code": 1002, "message": f"{_DETAIL_KEY[kind]} does not exist."})
            return Response(
                200,
                {
                    "code": 0,
                    "message": "success",
                    _DETAIL_KEY[kind]: books_record(doc, self.dataset, detail=True),
                },
            )
        return self._books_list(request, kind, parts[0])

    def _books_list(self, request: Request, kind: DocumentKind, collection: str) -> Response:
        try:
            page = int(request.arg("page", "1") or "1")
            per_page = int(request.arg("per_page", "200") or "200")
        except ValueError:
            return Response(400, {"code": 2, "message": "Invalid value passed for page"})
        if page < 1 or not 1 <= per_page <= MAX_PER_PAGE:
            return Response(400, {"code": 2, "message": "Invalid value passed for per_page"})
        docs = self._listed("books", kind)
        raw_since = request.arg("last_modified_time")
        if raw_since:
            try:
                since = _parse_time(raw_since)
            except ValueError:
                return Response(400, {"code": 2, "message": "Invalid value passed for last_modified_time"})
            inclusive = self.options.books_modified_filter == "inclusive"
            docs = [d for d in docs if _after(d.source_modified_at, since, inclusive=inclusive)]
        sort_column = request.arg("sort_column", "created_time") or "created_time"
        if sort_column == "last_modified_time":
            docs.sort(
                key=lambda d: (d.source_modified_at, d.external_id),
                reverse=request.arg("sort_order", "A") == "D",
            )
        window = docs[(page - 1) * per_page : page * per_page]
        detail = self.options.books_list_allocations
        rows = [books_record(d, self.dataset, detail=detail) for d in window]
        if not self.options.books_list_invoice_numbers:
            rows = [{k: v for k, v in row.items() if k != "invoice_numbers"} for row in rows]
        context = {
            "page": page,
            "per_page": per_page,
            "has_more_page": page * per_page < len(docs),
            "report_name": collection,
            "sort_column": sort_column,
            "sort_order": request.arg("sort_order", "D"),
        }
        return Response(200, {"code": 0, "message": "success", collection: rows, "page_context": context})


# ----------------------------------------------------------------------------- helpers


def _bearer(request: Request) -> str | None:
    header = request.header("Authorization") or ""
    prefix = "Zoho-oauthtoken "
    return header[len(prefix) :].strip() if header.startswith(prefix) else None


def _scope_for(path: str, *, crm: bool) -> tuple[str, ...]:
    if crm:
        module = path[len(CRM_PREFIX) :].split("/", maxsplit=1)[0].lower()
        return (
            "ZohoCRM.modules.ALL",
            "ZohoCRM.modules.READ",
            f"ZohoCRM.modules.{module}.READ",
            f"ZohoCRM.modules.{module}.ALL",
        )
    collection = path[len(BOOKS_PREFIX) :].split("/", maxsplit=1)[0]
    if collection == "organizations":
        return ("ZohoBooks.fullaccess.all", "ZohoBooks.settings.READ")
    name = _BOOKS_SCOPE.get(collection, collection)
    return ("ZohoBooks.fullaccess.all", f"ZohoBooks.{name}.READ", f"ZohoBooks.{name}.ALL")


def _crm_error(code: str, message: str, details: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"code": code, "details": details or {}, "message": message, "status": "error"}


def _too_many(crm: bool, retry_after: int | None) -> Response:
    headers = {"Retry-After": str(retry_after)} if retry_after is not None else {}
    if crm:
        body = _crm_error("TOO_MANY_REQUESTS", "The API calls limit for the user has been exceeded")
    else:
        body = {"code": 45, "message": "Request Limit Exceeded"}
    return Response(429, body, headers)


def _daily_cap(crm: bool, cap: int, reset_seconds: int) -> Response:
    if crm:
        body = _crm_error("TOO_MANY_REQUESTS", "The API credits for the organization have been exhausted")
        return Response(429, body, {"X-API-CREDITS-REMAINING": "0"})
    headers = {
        "X-Rate-Limit-Limit": str(cap),
        "X-Rate-Limit-Remaining": "0",
        "X-Rate-Limit-Reset": str(reset_seconds),
    }
    return Response(429, {"code": 45, "message": "Request Limit Exceeded"}, headers)


def _truncated(response: Response) -> Response:
    if response.body is None:
        return response
    return Response(response.status, response.body, response.headers, truncate=True)


def _paging(request: Request, *, allow_token: bool = True) -> tuple[int, int, bool] | Response:
    """(per_page, offset, uses_page_token) or the error Zoho answers."""
    try:
        per_page = int(request.arg("per_page", "200") or "200")
        page = int(request.arg("page", "1") or "1")
    except ValueError:
        return Response(400, _crm_error("INVALID_DATA", "invalid page/per_page"))
    if not 1 <= per_page <= MAX_PER_PAGE:
        return Response(400, _crm_error("INVALID_DATA", "per_page must be 1-200", {"param_name": "per_page"}))
    token = request.arg("page_token")
    if token is not None and allow_token:
        if request.arg("page") is not None:
            return Response(
                400,
                _crm_error(
                    "INVALID_DATA", "page and page_token cannot be given together", {"param_name": "page"}
                ),
            )
        return per_page, 0, True
    if page < 1:
        return Response(400, _crm_error("INVALID_DATA", "page must be >= 1", {"param_name": "page"}))
    if allow_token and page * per_page > DISCRETE_LIMIT:
        return Response(
            400,
            _crm_error(
                "DISCRETE_PAGINATION_LIMIT_EXCEEDED",
                "you cannot fetch more than 2000 records using page, use page_token instead",
                {"limit": DISCRETE_LIMIT},
            ),
        )
    return per_page, (page - 1) * per_page, False


def _since(request: Request) -> datetime | Response | None:
    value = request.header("If-Modified-Since")
    if not value:
        return None
    try:
        return _parse_time(value)
    except ValueError:
        return Response(
            400, _crm_error("INVALID_DATA", "invalid If-Modified-Since", {"header_name": "If-Modified-Since"})
        )


def _parse_time(value: str) -> datetime:
    parsed = datetime.fromisoformat(value.strip().replace(" ", "+"))
    if parsed.tzinfo is None:
        raise ValueError("a time without offset")
    return parsed


def _after(value: datetime | None, since: datetime, *, inclusive: bool) -> bool:
    assert value is not None
    return value >= since if inclusive else value > since


def _crm_sort_key(doc: CanonicalDocument, sort_by: str) -> tuple[Any, ...]:
    if sort_by == "id":
        return (doc.external_id,)
    return (doc.source_modified_at, doc.external_id)


def _make_token(query_key: str, offset: int) -> str:
    """An opaque page token (<= 96 characters) bound to the query it continues."""
    digest = hashlib.sha256(query_key.encode("utf-8")).hexdigest()[:24]
    raw = json.dumps([digest, offset]).encode("utf-8")
    return base64.urlsafe_b64encode(raw).decode("ascii")


def _token_offset(token: str, query_key: str) -> int | None:
    try:
        digest, offset = json.loads(base64.urlsafe_b64decode(token.encode("ascii")))
    except (ValueError, TypeError):
        return None
    expected = hashlib.sha256(query_key.encode("utf-8")).hexdigest()[:24]
    if digest != expected or not isinstance(offset, int):
        return None
    return offset
