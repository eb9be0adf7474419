"""Fxiaoke streams: which object each reads, with which fields and details, and how it pages.

Each stream reads its master object in ascending `last_modified_time` (keyset, `ordered`), fetches the
detail rows of every page with `<link> IN [ids]` (keyset by `_id`) and attaches them under
`raw["details"][<detail apiName>]`. `live_ids()` lists every `_id` (projection `_id` only, keyset by
`_id`: 100,000 records ≈ 1,000 calls) for the engine's deletion sweep.

Header objects are required: a refusal fails the stream. Detail objects are optional (tenants differ:
one may not have `InvoiceApplicationLinesObj`, or not let the app read it). When the tenant refuses a
detail object for the object itself (not a token, quota or throttling problem) the stream goes on:
every record of the run carries `details[<apiName>] = None`, the documents carry no lines (a payment
no allocations, and an unknown balance) and name the object under `references.details_unavailable`.
The run reads the object once; the next run tries it again.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import structlog

from connectors.base import NormalizeContext, Page, RawRecord, Said, say
from connectors.errors import (
    AuthError,
    ConnectorError,
    FatalApiError,
    QuotaExhaustedError,
    TokenExpiredError,
)
from connectors.fxiaoke import normalize as n
from connectors.fxiaoke.api import PAGE_LIMIT, Filter, FxiaokeApi
from connectors.fxiaoke.paging import Row, by_id, by_modification
from connectors.stream import SpecStream
from store.canonical import DocumentKind

_SYSTEM = ("_id", "name", "owner", "life_status", "last_modified_time")
_MONEY = ("mc_currency", "mc_exchange_rate", "mc_functional_currency")
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
log = structlog.get_logger(__name__)

MISSING, FORBIDDEN = "missing", "forbidden"
"""Why a detail object is unavailable: the tenant refused the object (it does not exist for it, or the
query is refused with an object-level error), or the app/user may not read it (a permission code)."""
_PERMISSION_CODES = frozenset({"20014", "20020", "15003", "20023"})
"""api-notes §3: the app or the employee lacks permission. On a detail object whose master was just
read with the same token and user, it means this object is not readable (UNVERIFIED: which code a
tenant answers for an object-level permission is not documented)."""
_NO_QUOTA = "30003"


@dataclass(frozen=True)
class DetailSpec:
    """Detail rows of a master object, linked by `link_field` (the master's `_id`)."""

    api_name: str
    link_field: str
    projection: tuple[str, ...]
    cost: str
    """What the ledger loses when the tenant does not have (or let us read) this object."""
    cost_key: str
    """The same in the catalogue (`check.fxiaoke.cost.*`, en + zh), for `connector test`."""


@dataclass(frozen=True)
class StreamSpec:
    """A stream, declared: its name, canonical kind, object, fields read, details and normalizer."""

    name: str
    kind: DocumentKind
    api_name: str
    projection: tuple[str, ...]
    normalizer: n.Normalizer
    detail: DetailSpec | None = None


SPECS: Mapping[str, StreamSpec] = {
    spec.name: spec
    for spec in (
        StreamSpec(
            "accounts", DocumentKind.CUSTOMER, "AccountObj", (*_SYSTEM, "record_type"), n.normalize_account
        ),
        StreamSpec(
            "products",
            DocumentKind.PRODUCT,
            "ProductObj",
            (*_SYSTEM, "product_code", "price", "product_status", "unit"),
            n.normalize_product,
        ),
        StreamSpec(
            "sales_orders",
            DocumentKind.SALES_ORDER,
            "SalesOrderObj",
            (
                *_SYSTEM,
                *_MONEY,
                "account_id",
                "account_id__r",
                "order_time",
                "order_amount",
                "product_amount",
                "discount",
                "receivable_amount",
                "payment_amount",
                "order_status",
            ),
            n.normalize_sales_order,
            DetailSpec(
                n.ORDER_LINES,
                "order_id",
                ("_id", "order_id", "product_id", "product_id__r", "quantity", "sales_price", "subtotal"),
                "order lines unavailable: line-level checks skipped",
                "check.fxiaoke.cost.order_lines",
            ),
        ),
        StreamSpec(
            "payments",
            DocumentKind.PAYMENT,
            "PaymentObj",
            (
                *_SYSTEM,
                *_MONEY,
                "account_id",
                "account_id__r",
                "order_id",
                "payment_amount",
                "payment_time",
                "payment_term",
            ),
            n.normalize_payment,
            DetailSpec(
                n.PAYMENT_ALLOCATIONS,
                "payment_id",
                ("_id", "payment_id", "order_id", "payment_amount"),
                "payment allocations unavailable: payments have unknown allocations (no unapplied "
                "amount is computed and no order is taken as collected from them)",
                "check.fxiaoke.cost.payment_allocations",
            ),
        ),
        StreamSpec(
            "invoice_applications",
            DocumentKind.INVOICE,
            "InvoiceApplicationObj",
            (
                *_SYSTEM,
                *_MONEY,
                "account_id",
                "account_id__r",
                "order_id",
                "invoice_no",
                "invoice_applied_amount",
                "invoice_date",
                "invoice_type",
            ),
            n.normalize_invoice_application,
            DetailSpec(
                n.INVOICE_LINES,
                "invoice_id",
                ("_id", "invoice_id", "order_id", "invoiced_amount", "tax_amount"),
                "invoice lines unavailable: line-level checks skipped",
                "check.fxiaoke.cost.invoice_lines",
            ),
        ),
    )
}


DETAIL_COSTS: Mapping[str, str] = {s.detail.api_name: s.detail.cost for s in SPECS.values() if s.detail}
"""Detail apiName -> what its absence costs (for `sync status` and `connector test`)."""


def unavailability(exc: ConnectorError) -> str | None:
    """MISSING or FORBIDDEN when a detail object's query was refused for the object itself; None when
    the error is about the token, the quota, throttling or our own paging (those stop the stream).

    Fxiaoke documents no code for "对象…不存在" (the global code table has none), so any vendor refusal
    that is not one of the token, quota and credential codes counts as the object missing (UNVERIFIED)."""
    if isinstance(exc, QuotaExhaustedError | TokenExpiredError) or exc.vendor_code is None:
        return None
    if isinstance(exc, AuthError):
        return FORBIDDEN if exc.vendor_code in _PERMISSION_CODES else None
    if isinstance(exc, FatalApiError) and exc.vendor_code != _NO_QUOTA:
        return MISSING
    return None


def since_ms(since: datetime | None) -> int | None:
    """The engine's `since` (aware) as Fxiaoke's millisecond filter value; None reads everything."""
    if since is None:
        return None
    delta = since - _EPOCH
    return max(0, delta.days * 86_400_000 + delta.seconds * 1000 + delta.microseconds // 1000)


class _Fetcher:
    """A `paging.Fetch` bound to one object and projection."""

    def __init__(self, api: FxiaokeApi, api_name: str, projection: Sequence[str] | None) -> None:
        self._api, self._api_name, self._projection = api, api_name, projection

    def __call__(
        self, filters: Sequence[Filter], orders: Sequence[tuple[str, bool]], limit: int
    ) -> list[Row]:
        return self._api.query(
            self._api_name, filters=filters, orders=orders, projection=self._projection, limit=limit
        )


class FxiaokeStream(SpecStream[StreamSpec]):
    """One Fxiaoke stream: a `SweepableStream` for the sync engine."""

    ordered = True
    """Pages arrive in ascending last_modified_time (keyset paging), so the cursor may advance per page."""

    def __init__(
        self, spec: StreamSpec, api: FxiaokeApi, context: NormalizeContext, *, limit: int = PAGE_LIMIT
    ):
        super().__init__(spec, context)
        self._api = api
        self._limit = limit
        self.unavailable: dict[str, str] = {}
        """Detail apiName -> why it was unavailable in the current (or last) run, with the vendor's words."""

    def pages(self, since: datetime | None) -> Iterator[Page]:
        self.unavailable = {}  # every run tries its detail objects again
        fetch = _Fetcher(self._api, self.spec.api_name, self.spec.projection)
        for rows in by_modification(fetch, since_ms(since), limit=self._limit):
            yield Page(records=self._with_details(rows))

    def live_ids(self) -> Iterator[Sequence[str]]:
        fetch = _Fetcher(self._api, self.spec.api_name, ["_id"])
        for rows in by_id(fetch, limit=self._limit):
            yield [str(row["_id"]) for row in rows]

    def count(self) -> int | None:
        """The object's `total` from a one-row query that asks for it. Totals may be off for the tenant
        (api-notes §5a: `total` is then 0): a 0 beside a row is unknown (None), not zero records."""
        rows, total = self._api.query_total(self.spec.api_name)
        if total is None or (total == 0 and rows):
            return None
        return total

    def first_page(self) -> list[Row]:
        """One row, for `connector test`."""
        return self._api.query(self.spec.api_name, projection=["_id"], limit=1)

    def probe_detail(self) -> tuple[str, Said] | None:
        """For `connector test`: (state, what it means) of the stream's detail object, None without one.
        State: `readable`, `empty` (permitted but no rows: a tenant without the records, or one that
        answers an unavailable object with an empty result, reported for some versions), `missing` or
        `forbidden` (the stream goes on without it). Token, quota and throttling errors are raised."""
        detail = self.spec.detail
        if detail is None:
            return None
        try:
            rows = self._api.query(detail.api_name, projection=["_id"], limit=1)
        except ConnectorError as exc:
            why = unavailability(exc)
            if why is None:
                raise
            return why, say("check.fxiaoke.detail_unavailable", error=str(exc), cost=say(detail.cost_key))
        if rows:
            return "readable", say("check.readable")
        return "empty", say("check.fxiaoke.detail_empty", cost=say(detail.cost_key))

    def _with_details(self, rows: list[Row]) -> list[RawRecord]:
        detail = self.spec.detail
        if detail is None or not rows:
            return list(rows)
        if detail.api_name in self.unavailable:
            return [{**row, n.DETAILS: {detail.api_name: None}} for row in rows]
        ids = tuple(str(row["_id"]) for row in rows)
        attached: dict[str, list[dict[str, Any]]] = {row_id: [] for row_id in ids}
        fetch = _Fetcher(self._api, detail.api_name, detail.projection)
        try:
            for page in by_id(fetch, [Filter(detail.link_field, "IN", ids)], limit=self._limit):
                for line in page:
                    owner = attached.get(str(line.get(detail.link_field)))
                    if owner is not None:
                        owner.append(line)
        except ConnectorError as exc:
            why = unavailability(exc)
            if why is None:
                raise
            self.unavailable[detail.api_name] = f"{why}: {exc}"
            log.warning(
                "fxiaoke.detail_unavailable",
                stream=self.name,
                object=detail.api_name,
                reason=why,
                vendor_code=exc.vendor_code,
                cost=detail.cost,
            )
            return [{**row, n.DETAILS: {detail.api_name: None}} for row in rows]
        return [{**row, n.DETAILS: {detail.api_name: attached[str(row["_id"])]}} for row in rows]
