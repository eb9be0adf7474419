"""Fxiaoke streams: which object each reads, with which fields and details, and how it pages.

Each stream reads its master object in ascending `last_modified_time` (keyset, `ordered`), fetches the
detail rows of every page with `<link> IN [ids]` (keyset by `_id`) and attaches them under
`raw["details"][<detail apiName>]`. `live_ids()` lists every `_id` (projection `_id` only, keyset by
`_id`: 100,000 records ≈ 1,000 calls) for the engine's deletion sweep.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from connectors.base import NormalizeContext, Page, RawRecord
from connectors.fxiaoke import normalize as n
from connectors.fxiaoke.api import PAGE_LIMIT, Filter, FxiaokeApi
from connectors.fxiaoke.paging import Row, by_id, by_modification
from store.canonical import CanonicalDocument, DocumentKind

_SYSTEM = ("_id", "name", "owner", "life_status", "last_modified_time")
_MONEY = ("mc_currency", "mc_exchange_rate", "mc_functional_currency")
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class DetailSpec:
    """Detail rows of a master object, linked by `link_field` (the master's `_id`)."""

    api_name: str
    link_field: str
    projection: tuple[str, ...]


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
                n.PAYMENT_ALLOCATIONS, "payment_id", ("_id", "payment_id", "order_id", "payment_amount")
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
            ),
        ),
    )
}


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


class FxiaokeStream:
    """One Fxiaoke stream: a `SweepableStream` for the sync engine."""

    ordered = True
    """Pages arrive in ascending last_modified_time (keyset paging), so the cursor may advance per page."""

    def __init__(
        self, spec: StreamSpec, api: FxiaokeApi, context: NormalizeContext, *, limit: int = PAGE_LIMIT
    ):
        self.spec = spec
        self._api = api
        self._context = context
        self._limit = limit

    @property
    def name(self) -> str:
        return self.spec.name

    @property
    def kind(self) -> DocumentKind:
        return self.spec.kind

    def pages(self, since: datetime | None) -> Iterator[Page]:
        fetch = _Fetcher(self._api, self.spec.api_name, self.spec.projection)
        for rows in by_modification(fetch, since_ms(since), limit=self._limit):
            yield Page(records=self._with_details(rows))

    def live_ids(self) -> Iterator[Sequence[str]]:
        fetch = _Fetcher(self._api, self.spec.api_name, ["_id"])
        for rows in by_id(fetch, limit=self._limit):
            yield [str(row["_id"]) for row in rows]

    def first_page(self) -> list[Row]:
        """One row, for `connector test`."""
        return self._api.query(self.spec.api_name, projection=["_id"], limit=1)

    def normalize(self, raw: RawRecord) -> CanonicalDocument:
        return self.spec.normalizer(raw, self._context)

    def _with_details(self, rows: list[Row]) -> list[RawRecord]:
        detail = self.spec.detail
        if detail is None or not rows:
            return list(rows)
        ids = tuple(str(row["_id"]) for row in rows)
        attached: dict[str, list[dict[str, Any]]] = {row_id: [] for row_id in ids}
        fetch = _Fetcher(self._api, detail.api_name, detail.projection)
        for page in by_id(fetch, [Filter(detail.link_field, "IN", ids)], limit=self._limit):
            for line in page:
                owner = attached.get(str(line.get(detail.link_field)))
                if owner is not None:
                    owner.append(line)
        return [{**row, n.DETAILS: {detail.api_name: attached[str(row["_id"])]}} for row in rows]

    def count(self) -> int | None:
        """The object's `total` from a one-row query that asks for it. Totals may be off for the tenant
        (api-notes §5a: `total` is then 0): a 0 beside a row is unknown (None), not zero records."""
        rows, total = self._api.query_total(self.spec.api_name)
        if total is None or (total == 0 and rows):
            return None
        return total
