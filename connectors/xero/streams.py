"""Xero stream specs, the page paginator (with the `pageSize` fallback) and the stream class."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Final

from connectors.base import NormalizeContext, Page, RawRecord
from connectors.errors import FatalApiError, QuotaExhaustedError
from connectors.paging import Answer, HttpRequest, paginate
from connectors.stream import Cursor, SpecStream
from connectors.xero import normalize
from connectors.xero.client import XeroSession
from connectors.xero.dates import if_modified_since
from connectors.xero.normalize import Normalizer
from store.canonical import DocumentKind

DEFAULT_PAGE: Final = 100
"""Records per page when no `pageSize` is sent (api-notes §2.3 [47])."""

CURSOR: Final = Cursor("header", "If-Modified-Since", if_modified_since)


@dataclass(frozen=True)
class XeroSpec:
    """One Xero list read as a stream. `where` keeps the receivable side (sales invoices, money
    received); `types` repeats it on the rows, in case the filter is not applied. `deletable`: a row
    with Status DELETED is a tombstone. `paged`: the endpoint takes `page` (Items: no, read whole)."""

    name: str
    path: str
    record_key: str
    id_field: str
    kind: DocumentKind
    normalizer: Normalizer
    type_field: str | None = None
    types: tuple[str, ...] = ()
    deletable: bool = True
    paged: bool = True
    params: Mapping[str, str] = field(default_factory=dict)

    def where(self) -> dict[str, str]:
        if self.type_field is None or len(self.types) != 1:
            return {}
        return {"where": f'{self.type_field}=="{self.types[0]}"'}


_ORDER: Final = {"order": "UpdatedDateUTC ASC"}

SPECS: Final[Mapping[str, XeroSpec]] = {
    spec.name: spec
    for spec in (
        XeroSpec(
            "invoices", "/Invoices", "Invoices", "InvoiceID", DocumentKind.INVOICE, normalize.invoice,
            "Type", (normalize.SALES_INVOICE,), params=_ORDER,
        ),
        XeroSpec(
            "payments", "/Payments", "Payments", "PaymentID", DocumentKind.PAYMENT, normalize.payment,
            "PaymentType", (normalize.RECEIVED_PAYMENT,), params=_ORDER,
        ),
        XeroSpec(
            "credit_notes", "/CreditNotes", "CreditNotes", "CreditNoteID", DocumentKind.CREDIT_NOTE,
            normalize.credit_note, "Type", (normalize.SALES_CREDIT,), params=_ORDER,
        ),
        XeroSpec(
            "overpayments", "/Overpayments", "Overpayments", "OverpaymentID", DocumentKind.PAYMENT,
            normalize.overpayment, "Type", (normalize.RECEIVED_OVERPAYMENT,), params=_ORDER,
        ),
        XeroSpec(
            "prepayments", "/Prepayments", "Prepayments", "PrepaymentID", DocumentKind.PAYMENT,
            normalize.prepayment, "Type", (normalize.RECEIVED_PREPAYMENT,), params=_ORDER,
        ),
        XeroSpec(
            "contacts", "/Contacts", "Contacts", "ContactID", DocumentKind.CUSTOMER, normalize.contact,
            deletable=False, params={**_ORDER, "includeArchived": "true"},
        ),
        XeroSpec(
            "items", "/Items", "Items", "ItemID", DocumentKind.PRODUCT, normalize.item,
            deletable=False, paged=False,
        ),
    )
}  # fmt: skip


class XeroPages:
    """`page=1, 2, ...` (with `pageSize` when asked): goes on while the answer's `pagination` says pages
    remain (`page < pageCount` [47][50]); without `pagination`, while a page is at least Xero's default
    size (a server that ignored `pageSize` still sends its 100). A page starting with the same record as
    the page before means the API ignored `page`: an error, never an endless loop."""

    def __init__(self, page_size: int | None, label: str) -> None:
        self._page_size, self._label = page_size, label
        self.page = 1
        self._has_next = True
        self._first: object = None

    @property
    def has_next_page(self) -> bool:
        return self._has_next

    def init_request(self, request: HttpRequest) -> HttpRequest:
        sized = {"pageSize": self._page_size} if self._page_size else {}
        return request.with_params({"page": self.page, **sized})

    def update_state(self, answer: Answer) -> None:
        rows = answer.records
        first = _identity(rows[0]) if rows else None
        if first is not None and first == self._first:
            raise FatalApiError(
                f"Xero {self._label}: page {self.page} repeats page {self.page - 1}: the API ignored `page`"
            )
        self._first = first
        pagination = answer.body.get("pagination") if isinstance(answer.body, Mapping) else None
        count = pagination.get("pageCount") if isinstance(pagination, Mapping) else None
        if isinstance(count, int) and not isinstance(count, bool):
            self._has_next = bool(rows) and self.page < count
        else:
            self._has_next = len(rows) >= DEFAULT_PAGE

    def update_request(self, request: HttpRequest) -> HttpRequest:
        self.page += 1
        return request.with_params({"page": self.page})


def _identity(row: RawRecord) -> object:
    return tuple(sorted((k, str(v)) for k, v in row.items() if k.endswith("ID") and isinstance(v, str)))


class XeroStream(SpecStream[XeroSpec]):
    """Rows of one Xero list changed since the cursor (`If-Modified-Since`), `xero-tenant-id` on every
    call. Not `ordered` (the engine advances the cursor after the whole run): rows are asked in
    `UpdatedDateUTC` order, but a row changed during the pass moves between pages."""

    def __init__(self, spec: XeroSpec, session: XeroSession, context: NormalizeContext) -> None:
        super().__init__(spec, context)
        self._session = session

    def pages(self, since: datetime | None) -> Iterator[Page]:
        """Pages of the stream's rows. A DELETED row goes on as a record: its normalized document has
        status deleted, which the engine keeps as a tombstone with the row's values (number, party,
        totals) — also for a document deleted before ledgerbridge ever saw it."""
        for rows in self._rows(since):
            yield Page(records=[row for row in rows if self._ours(row)])

    def live_ids(self) -> Iterator[Sequence[str]]:
        """Every live id, page by page (a whole pass): deletions Xero did not report as DELETED rows
        (whether deleted rows always come back through If-Modified-Since is UNVERIFIED) are found here."""
        for rows in self._rows(None):
            yield [
                str(row[self.spec.id_field])
                for row in rows
                if self._ours(row) and not self._deleted(row) and row.get(self.spec.id_field)
            ]

    def first_page(self) -> int:
        for rows in self._rows(None):
            return len(rows)
        return 0

    # ------------------------------------------------------------------------- internals

    def _ours(self, row: RawRecord) -> bool:
        """The receivable side only (ACCREC, ACCRECCREDIT, ACCRECPAYMENT, RECEIVE-*): a row of another
        type, sent although `where` asked for these, is left out."""
        spec = self.spec
        if spec.type_field is None:
            return True
        value = row.get(spec.type_field)
        return value is None or value in spec.types  # no type at all: normalize() judges the row

    def _deleted(self, row: RawRecord) -> bool:
        return self.spec.deletable and str(row.get("Status") or "").upper() == normalize.DELETED

    def _rows(self, since: datetime | None) -> Iterator[list[RawRecord]]:
        spec = self.spec
        request = HttpRequest("GET", spec.path, {**spec.params, **spec.where()})
        request = CURSOR.apply(request, since)
        if not spec.paged:
            answer = self._send(request)
            if answer is not None:
                yield list(answer.records)
            return
        size = None if spec.path in self._session.page_size_refused else self._session.cfg.page_size
        for answer in paginate(self._send, request, XeroPages(size, spec.path)):
            yield list(answer.records)

    def _send(self, request: HttpRequest) -> Answer | None:
        refused = self._session.page_size_refused
        if "pageSize" in request.params and self.spec.path in refused:
            request = request.with_params({}, drop=("pageSize",))
        try:
            body = self._session.get(request.path, params=request.params, headers=request.headers)
        except QuotaExhaustedError:
            raise
        except FatalApiError:
            if "pageSize" not in request.params or request.params.get("page") != 1:
                raise
            # An endpoint that refuses `pageSize` (UNVERIFIED which, if any, still do): Xero's own 100.
            refused.add(self.spec.path)
            request = request.with_params({}, drop=("pageSize",))
            body = self._session.get(request.path, params=request.params, headers=request.headers)
        return self._answer(body)

    def _answer(self, body: Any) -> Answer | None:
        if body is None:
            return None  # 304 Not Modified: nothing changed since the cursor
        rows = body.get(self.spec.record_key) if isinstance(body, Mapping) else None
        if rows is None and isinstance(body, Mapping) and "pagination" in body:
            rows = []
        if not isinstance(rows, list):
            raise FatalApiError(f"Xero {self.spec.path}: the answer has no {self.spec.record_key} list")
        return Answer(body, rows)
