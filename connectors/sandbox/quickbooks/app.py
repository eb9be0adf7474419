"""The QuickBooks Online sandbox: Intuit OAuth (oauth.py) and the v3 accounting API's read side on
loopback — the query endpoint, Change Data Capture, Intuit's limits and Fault errors — as the api-notes
describe them (quickbooks-xero-bank.md §1.2-§1.7). Written from the notes, not from the connector.

- `GET /v3/company/{realmId}/query?query=<SELECT>` (or POST with the statement as an
  `application/text` body [10][33]): `{"QueryResponse": {"<Entity>": [...], "startPosition",
  "maxResults"}, "time"}`; an empty page has no entity array; `count(*)` answers `totalCount`. Name
  lists (Customer, Item) without an `Active` condition return the active ones only [27].
- `GET /v3/company/{realmId}/cdc?entities=A,B&changedSince=<ISO>`: every listed entity changed at or
  after `changedSince` (deleted transactions as `status: "Deleted"`) in
  `{"CDCResponse": [{"QueryResponse": [{"Invoice": [...]}, ...]}], "time"}` [13][33]; at most
  `cdc_limit` (1,000) objects in all, the oldest changes by default (WHICH ones QuickBooks keeps is not
  in the notes: `cdc_keep` chooses); a `changedSince` more than 30 days back is a ValidationFault (the
  exact answer is UNVERIFIED).
- `minorversion`: every value sent is recorded (`minor_versions`); a missing or lower one is served
  as 75, as QuickBooks does since August 2025 [14][15].
- Limits per realm [16][17]: 500 requests a minute, 10 a second, 10 in flight -> HTTP 429 with the
  throttle fault, as XML by default (observed even under `Accept: application/json` [18][19]).
- Errors as data: `{"Fault": {"Error": [{"Message", "Detail", "code"}], "type"}, "time"}` [20][22];
  401 AuthenticationFault for a missing or expired access token, 403 for another realm, 400
  ValidationFault for a statement outside the language.
- `FaultPlan`: 429s, 500s, bodies cut in half and access tokens expired early, at chosen rates.
"""

from __future__ import annotations

import threading
import time
from collections import Counter, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Final, Literal

from connectors.sandbox.quickbooks.dataset import ENTITY_KIND, NAME_LISTS, QuickBooksDataset, qb_time
from connectors.sandbox.quickbooks.oauth import IntuitOAuth, OAuthOptions
from connectors.sandbox.quickbooks.query import Query, QueryError, parse, run
from connectors.sandbox.server import FaultPlan, Request, Response, SandboxServer, ServedSandbox

API_PREFIX: Final = "/v3/company/"
MINOR_VERSION: Final = 75
CDC_WINDOW: Final = timedelta(days=30)

THROTTLE_XML: Final = (
    b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    b'<IntuitResponse xmlns="http://schema.intuit.com/finance/v3"><Fault type="SERVICE">'
    b'<Error code="3001"><Message>message=ThrottleExceeded; errorCode=003001; statusCode=429</Message>'
    b"<Detail>The request limit was reached.</Detail></Error></Fault></IntuitResponse>"
)


@dataclass
class QuickBooksSandboxOptions:
    per_minute: int | None = 500
    per_second: int | None = 10
    concurrent: int = 10
    cdc_limit: int = 1000
    cdc_keep: Literal["oldest", "newest"] = "oldest"
    """Which changes a CDC answer over `cdc_limit` keeps: the notes do not say (UNVERIFIED)."""
    throttle_as_xml: bool = True
    """Answer a 429 with Intuit's XML throttle fault (else the JSON Fault)."""
    oauth: OAuthOptions = field(default_factory=OAuthOptions)


def fault(kind: str, code: str, message: str, detail: str = "") -> dict[str, Any]:
    """Intuit's error envelope (api-notes §1.7 [20])."""
    error = {"Message": message, "Detail": detail or message, "code": code}
    return {"Fault": {"Error": [error], "type": kind}, "time": qb_time(datetime.now(UTC))}


class QuickBooksSandbox(ServedSandbox):
    """Serves one QuickBooksDataset as the company `options.oauth.realm_id` on 127.0.0.1.

    with QuickBooksSandbox(dataset) as url: ...  # OAuth and API both at `url`
    """

    def __init__(
        self,
        dataset: QuickBooksDataset,
        *,
        faults: FaultPlan | None = None,
        options: QuickBooksSandboxOptions | None = None,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
        clock: Callable[[], float] = time.monotonic,
        port: int = 0,
    ) -> None:
        self.dataset = dataset
        self.faults = faults or FaultPlan()
        self.options = options or QuickBooksSandboxOptions()
        self.oauth = IntuitOAuth(self.options.oauth)
        self.minor_versions: Counter[str | None] = Counter()
        self.throttled = 0
        """429s the limits (not the fault plan) answered."""
        self._now = now
        self._clock = clock
        self._lock = threading.Lock()
        self._minute_start = clock()
        self._minute_calls = 0
        self._recent: deque[float] = deque()
        self._in_flight = 0
        self.server = SandboxServer(self.handle, port=port, name="quickbooks-sandbox")

    @property
    def realm_id(self) -> str:
        return self.options.oauth.realm_id

    # ------------------------------------------------------------------------- routing

    def handle(self, request: Request) -> Response:
        answered = self.oauth.handle(request)
        if answered is not None:
            return answered
        if not request.path.startswith(API_PREFIX):
            return Response(404, fault("ValidationFault", "610", "Object Not Found"))
        limited = self._limits()
        if limited is not None:
            return limited
        with self._lock:
            self._in_flight += 1
            crowded = self._in_flight > self.options.concurrent
        try:
            if crowded:
                with self._lock:
                    self.throttled += 1
                return self._throttle()
            drawn = self.faults.draw()
            if drawn == "429":
                return self._throttle()
            if drawn == "500":
                return Response(500, fault("SystemFault", "10000", "An application error has occurred"))
            if drawn == "token_expiry":
                self.oauth.expire(_bearer(request))
            response = self._api(request)
            return Response(response.status, response.body, response.headers, truncate=drawn == "truncated")
        finally:
            with self._lock:
                self._in_flight -= 1

    def _api(self, request: Request) -> Response:
        if not self.oauth.access_valid(_bearer(request)):
            return Response(
                401,
                fault(
                    "AuthenticationFault",
                    "3200",
                    "message=AuthenticationFailed; errorCode=003200; statusCode=401",
                    "Token expired",
                ),
            )
        realm, _, endpoint = request.path[len(API_PREFIX) :].partition("/")
        if realm != self.realm_id:
            return Response(
                403,
                fault(
                    "AuthorizationFault",
                    "3100",
                    "message=ApplicationAuthorizationFailed; errorCode=003100; statusCode=403",
                    f"the token is not for company {realm}",
                ),
            )
        self.minor_versions[request.arg("minorversion")] += 1
        if endpoint == "query":
            statement = request.arg("query")
            if statement is None and request.method == "POST":
                statement = request.body.decode("utf-8")
            return self._query(statement or "")
        if endpoint == "cdc" and request.method == "GET":
            return self._cdc(request.arg("entities") or "", request.arg("changedSince") or "")
        return Response(404, fault("ValidationFault", "610", "Object Not Found", f"no endpoint {endpoint}"))

    # ------------------------------------------------------------------------- query and CDC

    def _query(self, statement: str) -> Response:
        try:
            query = parse(statement)
        except QueryError as exc:
            return _parser_error(str(exc))
        if query.entity not in ENTITY_KIND:
            return _parser_error(f"Invalid context declaration : {query.entity}")
        rows = self.dataset.rows(query.entity)
        if query.entity in NAME_LISTS and not any(c.field == "Active" for c in query.where):
            rows = [r for r in rows if r.get("Active") is not False]
        try:
            page, total = run(query, rows)
        except QueryError as exc:
            return _parser_error(str(exc))
        body: dict[str, Any] = {"time": qb_time(self._now())}
        if query.count:
            body["QueryResponse"] = {"totalCount": total}
        elif page:
            body["QueryResponse"] = {
                query.entity: page,
                "startPosition": query.start,
                "maxResults": len(page),
            }
        else:
            body["QueryResponse"] = {}
        return Response(200, body)

    def _cdc(self, entities: str, changed_since: str) -> Response:
        names = [e.strip() for e in entities.split(",") if e.strip()]
        unknown = [e for e in names if e not in ENTITY_KIND]
        if not names or unknown:
            return Response(
                400,
                fault(
                    "ValidationFault",
                    "2020",
                    "Required param missing or invalid",
                    f"entities: {unknown or 'none'}",
                ),
            )
        try:
            since = datetime.fromisoformat(changed_since)
            if since.tzinfo is None:
                raise ValueError("no offset")
        except ValueError:
            return Response(
                400,
                fault(
                    "ValidationFault",
                    "2020",
                    "Required param missing or invalid",
                    f"changedSince {changed_since!r}",
                ),
            )
        now = self._now()
        if now - since > CDC_WINDOW:
            return Response(
                400,
                fault(
                    "ValidationFault",
                    "2010",
                    "Request has invalid or unsupported property",
                    "changedSince must be within the last 30 days",
                ),
            )
        changed: list[tuple[datetime, int, str, dict[str, Any]]] = []
        for order, entity in enumerate(names):
            for row in self.dataset.rows(entity):
                at = datetime.fromisoformat(row["MetaData"]["LastUpdatedTime"])
                if at >= since:
                    changed.append((at, order, entity, row))
            for at, row in self.dataset.deletions(entity):
                if at >= since:
                    changed.append((at, order, entity, row))
        changed.sort(key=lambda c: (c[0], c[1]))
        limit = self.options.cdc_limit
        kept = changed[:limit] if self.options.cdc_keep == "oldest" else changed[-limit:]
        by_entity: dict[str, list[dict[str, Any]]] = {}
        for _, _, entity, row in kept:
            by_entity.setdefault(entity, []).append(row)
        answers = [
            {entity: by_entity[entity], "startPosition": 1, "maxResults": len(by_entity[entity])}
            for entity in names
            if entity in by_entity
        ]
        return Response(200, {"CDCResponse": [{"QueryResponse": answers}], "time": qb_time(now)})

    # ------------------------------------------------------------------------- limits

    def _limits(self) -> Response | None:
        opts = self.options
        with self._lock:
            now = self._clock()
            if now - self._minute_start >= 60:
                self._minute_start, self._minute_calls = now, 0
            while self._recent and now - self._recent[0] >= 1.0:
                self._recent.popleft()
            over = (opts.per_minute is not None and self._minute_calls >= opts.per_minute) or (
                opts.per_second is not None and len(self._recent) >= opts.per_second
            )
            if over:
                self.throttled += 1
            else:
                self._minute_calls += 1
                self._recent.append(now)
        return self._throttle() if over else None

    def _throttle(self) -> Response:
        if self.options.throttle_as_xml:
            return Response(429, THROTTLE_XML, {"Content-Type": "application/xml"})
        return Response(
            429, fault("SERVICE", "3001", "message=ThrottleExceeded; errorCode=003001; statusCode=429")
        )


def _bearer(request: Request) -> str | None:
    header = request.header("Authorization") or ""
    return header[len("Bearer ") :] if header.startswith("Bearer ") else None


def _parser_error(detail: str) -> Response:
    return Response(
        400, fault("ValidationFault", "4000", "Error parsing query", f"QueryParserError: {detail}")
    )


def query_of(text: str) -> Query:
    """The parsed statement (tests read what a client sent)."""
    return parse(text)


__all__ = ["QuickBooksSandbox", "QuickBooksSandboxOptions", "fault", "query_of"]
