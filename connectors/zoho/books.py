"""Zoho Books v3 (connector kind `zoho_books`): stream specs, the list reader, the connector."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Final

from config.settings import ZohoBooksConnector
from connectors.base import CheckResult, ConnectorDeps, NormalizeContext, Page, RawRecord
from connectors.errors import ConnectorError, FatalApiError
from connectors.zoho import normalize
from connectors.zoho.client import ZohoSession, books_budget, interpret_books, open_session
from connectors.zoho.connector import ZohoConnector
from connectors.zoho.normalize import Normalizer
from store.canonical import CanonicalDocument, DocumentKind

API_VERSION: Final = "v3"
PER_PAGE: Final = 200


@dataclass(frozen=True)
class BooksStreamSpec:
    """One Books list read as a stream. `detail_key` names the field only the single-record payload is
    sure to carry (payment allocations): when a list row lacks it, the row is completed from
    `GET /{collection}/{id}`."""

    name: str
    collection: str
    record_key: str
    id_field: str
    kind: DocumentKind
    normalizer: Normalizer
    detail_key: str | None = None


BOOKS_STREAMS: Final[Mapping[str, BooksStreamSpec]] = {
    spec.name: spec
    for spec in (
        BooksStreamSpec(
            "invoices", "invoices", "invoice", "invoice_id", DocumentKind.INVOICE, normalize.books_invoice
        ),
        BooksStreamSpec(
            "customer_payments",
            "customerpayments",
            "payment",
            "payment_id",
            DocumentKind.PAYMENT,
            normalize.books_payment,
            detail_key="invoices",
        ),
        BooksStreamSpec(
            "sales_orders",
            "salesorders",
            "salesorder",
            "salesorder_id",
            DocumentKind.SALES_ORDER,
            normalize.books_sales_order,
        ),
        BooksStreamSpec(
            "credit_notes",
            "creditnotes",
            "creditnote",
            "creditnote_id",
            DocumentKind.CREDIT_NOTE,
            normalize.books_credit_note,
            detail_key="invoices_credited",
        ),
    )
}


def last_modified_param(since: datetime) -> str:
    """Books' `last_modified_time` filter value: UTC with a colon-less offset ('...T08:00:00+0000')."""
    return since.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S+0000")


class BooksStream:
    """Rows of one Books list modified at or after the cursor (`organization_id` on every call).

    Not `ordered`: the list's sort by last_modified_time is unverified, so the engine advances the
    cursor only after the whole run. Whether the filter is inclusive or exclusive does not matter: the
    engine already re-reads an overlap window, and unchanged rows cost nothing (same payload hash)."""

    def __init__(
        self, spec: BooksStreamSpec, session: ZohoSession, context: NormalizeContext, organization_id: str
    ) -> None:
        self._spec = spec
        self._session = session
        self._organization_id = organization_id
        self._normalizer = spec.normalizer
        self._context = context

    @property
    def name(self) -> str:
        return self._spec.name

    @property
    def kind(self) -> DocumentKind:
        return self._spec.kind

    @property
    def ordered(self) -> bool:
        return False

    def normalize(self, raw: RawRecord) -> CanonicalDocument:
        return self._normalizer(raw, self._context)

    def pages(self, since: datetime | None) -> Iterator[Page]:
        for rows in self._list_pages(since):
            yield Page(records=[self._complete(row) for row in rows])

    def live_ids(self) -> Iterator[Sequence[str]]:
        """Every live id, page by page: Books has no deleted list, so a sweep finds deletions."""
        for rows in self._list_pages(None):
            yield [str(row[self._spec.id_field]) for row in rows]

    def first_page(self) -> int:
        for rows in self._list_pages(None):
            return len(rows)
        return 0

    # ------------------------------------------------------------------------- internals

    def _url(self, suffix: str = "") -> str:
        return f"{self._session.api_base()}/books/{API_VERSION}/{self._spec.collection}{suffix}"

    def _get(self, url: str, params: Mapping[str, Any]) -> Mapping[str, Any]:
        response = self._session.http.request(
            "GET", url, params={"organization_id": self._organization_id, **params}
        )
        if not isinstance(response.body, Mapping):
            raise FatalApiError(f"Zoho Books {self._spec.collection}: HTTP {response.status} without a body")
        return response.body

    def _list_pages(self, since: datetime | None) -> Iterator[list[RawRecord]]:
        page = 1
        while True:
            params: dict[str, Any] = {"page": page, "per_page": PER_PAGE}
            if since is not None:
                params["last_modified_time"] = last_modified_param(since)
            body = self._get(self._url(), params)
            rows = body.get(self._spec.collection)
            if not isinstance(rows, list):
                raise FatalApiError(f"Zoho Books {self._spec.collection}: the response has no list")
            yield rows
            context = body.get("page_context") or {}
            if not context.get("has_more_page") or not rows:
                return
            page += 1

    def _complete(self, row: RawRecord) -> RawRecord:
        key = self._spec.detail_key
        if key is None or key in row:
            return row
        record_id = row.get(self._spec.id_field)
        if not record_id:
            return row  # normalize() quarantines it, naming the missing id
        body = self._get(self._url(f"/{record_id}"), {})
        detail = body.get(self._spec.record_key)
        if not isinstance(detail, Mapping):
            raise FatalApiError(
                f"Zoho Books {self._spec.collection}/{record_id}: the response has no {self._spec.record_key}"
            )
        return {**row, **detail}


def organization_check(session: ZohoSession, organization_id: str) -> Callable[[], CheckResult]:
    """A check that the configured organization is one this token can see (listing those it sees)."""

    def check() -> CheckResult:
        what = f"organization {organization_id}"
        url = f"{session.api_base()}/books/{API_VERSION}/organizations"
        try:
            body = session.http.request("GET", url).body
        except ConnectorError as exc:
            return CheckResult(
                what,
                False,
                f"cannot list organizations ({exc}); needs ZohoBooks.settings.READ. The stream checks "
                "below still show whether organization_id works",
            )
        orgs = body.get("organizations") if isinstance(body, Mapping) else None
        known = {
            str(o.get("organization_id")): str(o.get("name")) for o in orgs or () if isinstance(o, Mapping)
        }
        if organization_id in known:
            return CheckResult(what, True, f"found: {known[organization_id]}")
        seen = ", ".join(f"{oid} ({name})" for oid, name in known.items()) or "none"
        return CheckResult(what, False, f"not one of this token's organizations; it sees: {seen}")

    return check


def build_books(cfg: ZohoBooksConnector, deps: ConnectorDeps) -> ZohoConnector:
    """Factory for connector kind `zoho_books` (registered in sync/bootstrap.py)."""
    session = open_session(cfg, deps, interpret=interpret_books, budget=books_budget(cfg))
    streams: dict[str, BooksStream] = {
        name: BooksStream(BOOKS_STREAMS[name], session, deps.context, cfg.organization_id)
        for name in cfg.streams
    }
    extra = (organization_check(session, cfg.organization_id),)
    return ZohoConnector(cfg.name, session, streams, extra_checks=extra)
