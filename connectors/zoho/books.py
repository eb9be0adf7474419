"""Zoho Books v3 (connector kind `zoho_books`): stream specs, the list reader, the connector."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any, Final

from config.kinds import ZohoBooksSettings
from connectors.base import CheckResult, ConnectorDeps, ConnectorKind, NormalizeContext, Page, RawRecord, say
from connectors.errors import ConnectorError, FatalApiError
from connectors.http import ApiResponse
from connectors.paging import Answer, HttpRequest, PageNumber
from connectors.stream import Cursor, ListReader, SpecStream
from connectors.zoho import normalize
from connectors.zoho.client import ZohoSession, books_budget, interpret_books, open_session
from connectors.zoho.connector import ZohoConnector
from connectors.zoho.normalize import Normalizer
from store.canonical import DocumentKind

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
    number_field: str | None = None


BOOKS_STREAMS: Final[Mapping[str, BooksStreamSpec]] = {
    spec.name: spec
    for spec in (
        BooksStreamSpec(
            "invoices",
            "invoices",
            "invoice",
            "invoice_id",
            DocumentKind.INVOICE,
            normalize.books_invoice,
            number_field="invoice_number",
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


@dataclass(frozen=True)
class ListedInvoice:
    """What an invoice list row says that a payment's allocations can be derived from."""

    invoice_id: str
    total: Decimal | None
    currency: str | None


class InvoiceNumbers:
    """Books invoice number -> the invoice, learnt from the invoice list rows this connector reads (the
    invoices stream fills it as it pages; the payments stream reads the list itself when the invoices
    stream did not make a whole pass first). A number seen on two ids resolves to nothing: Books can be
    set to allow duplicate numbers, and a wrong id would be a wrong allocation."""

    def __init__(self) -> None:
        self._invoices: dict[str, ListedInvoice | None] = {}
        self.complete = False

    def learn(self, rows: Sequence[RawRecord]) -> None:
        for row in rows:
            number, record_id = row.get("invoice_number"), row.get("invoice_id")
            if not isinstance(number, str) or not number or record_id in (None, ""):
                continue
            currency = row.get("currency_code")
            seen = ListedInvoice(
                str(record_id), _exact(row.get("total")), currency if isinstance(currency, str) else None
            )
            known = self._invoices.setdefault(number, seen)
            if known is not None and known.invoice_id != seen.invoice_id:
                self._invoices[number] = None
            elif known is not None:
                self._invoices[number] = seen  # the newest row of that invoice

    def resolve(self, number: str) -> ListedInvoice | None:
        return self._invoices.get(number)


def listed_invoice_numbers(row: RawRecord) -> list[str] | None:
    """The invoice numbers a payment's list row names when its allocations may be derived from them:
    [] = it applied nothing (`invoice_numbers` empty and everything unused); numbers = it left nothing
    unused (`unused_amount` 0); None = only its detail can say (a partly unused payment, a field missing
    or unreadable). Books' list sends `invoice_numbers` as a comma-separated string (treated
    defensively: a list of strings is accepted too)."""
    listed = row.get("invoice_numbers")
    if isinstance(listed, str):
        names = [n.strip() for n in listed.split(",")] if listed.strip() else []
    elif isinstance(listed, list) and all(isinstance(n, str) for n in listed):
        names = [n.strip() for n in listed]
    else:
        return None
    if not all(names):
        return None  # an unnamed entry: an invoice the list cannot name
    amount, unused = _exact(row.get("amount")), _exact(row.get("unused_amount"))
    if amount is None or unused is None:
        return None
    if not names:
        return [] if unused == amount else None
    return names if unused == 0 and len(set(names)) == len(names) else None


def derived_allocations(row: RawRecord, numbers: InvoiceNumbers) -> list[dict[str, Any]] | None:
    """A payment's `invoices[]` from its list row and the invoice list, or None (read its detail).

    - no invoice named, everything unused: nothing applied;
    - one invoice, nothing unused: the whole `amount` applied to it;
    - several invoices, nothing unused, and `amount` equal to the sum of their totals (same currency):
      each invoice got its whole total. Sound because Books refuses to apply more to an invoice than its
      balance due (at most its total) [verify: documented as an error of the apply call, not tested on
      a live org]: with every share capped by its total and the shares summing to the totals' sum, each
      share is its total.
    A number not in the map, or on two invoices, -> None."""
    names = listed_invoice_numbers(row)
    if names is None:
        return None
    if not names:
        return []  # nothing applied
    invoices = [numbers.resolve(name) for name in names]
    known = [invoice for invoice in invoices if invoice is not None]
    if len(known) != len(names):
        return None
    amount = row.get("amount")
    if len(known) == 1:
        return [{"invoice_id": known[0].invoice_id, "invoice_number": names[0], "amount_applied": amount}]
    currency = row.get("currency_code")
    totals = [invoice.total for invoice in known]
    if any(t is None for t in totals) or any(invoice.currency != currency for invoice in known):
        return None
    if sum(t for t in totals if t is not None) != _exact(amount):
        return None
    return [
        {"invoice_id": invoice.invoice_id, "invoice_number": name, "amount_applied": invoice.total}
        for name, invoice in zip(names, known, strict=True)
    ]


def _exact(value: Any) -> Decimal | None:
    if isinstance(value, bool | float) or value is None or value == "":
        return None
    try:
        number = Decimal(value) if isinstance(value, int | str) else value
    except InvalidOperation:
        return None
    return number if isinstance(number, Decimal) and number.is_finite() else None


DERIVED_MARK: Final = "_ledgerbridge_allocations"
"""Set on a payment row whose `invoices` was derived from the list row (value: "list"), so the stored raw
payload says it was not read from Books' detail."""


def last_modified_param(since: datetime) -> str:
    """Books' `last_modified_time` filter value: UTC with a colon-less offset ('...T08:00:00+0000')."""
    return since.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S+0000")


CURSOR: Final = Cursor("query", "last_modified_time", last_modified_param)


def _more(answer: Answer) -> bool:
    return bool((answer.body.get("page_context") or {}).get("has_more_page")) and bool(answer.records)


class BooksStream(SpecStream[BooksStreamSpec]):
    """Rows of one Books list modified at or after the cursor (`organization_id` on every call).

    Not `ordered`: the list's sort by last_modified_time is unverified, so the engine advances the
    cursor only after the whole run. Whether the filter is inclusive or exclusive does not matter: the
    engine already re-reads an overlap window, and unchanged rows cost nothing (same payload hash)."""

    def __init__(
        self,
        spec: BooksStreamSpec,
        session: ZohoSession,
        context: NormalizeContext,
        organization_id: str,
        invoice_numbers: InvoiceNumbers | None = None,
    ) -> None:
        super().__init__(spec, context)
        self._numbers = invoice_numbers or InvoiceNumbers()
        self._session = session
        self._organization_id = organization_id

    @property
    def after(self) -> tuple[str, ...]:
        """Streams the engine finishes first when they run together: payments use the invoice numbers
        the invoices stream learns (else they list every invoice again themselves)."""
        return ("invoices",) if self.spec.detail_key == "invoices" else ()

    def pages(self, since: datetime | None) -> Iterator[Page]:
        """List pages, payments completed with their allocations. Incremental runs list (and so
        complete) only rows changed since the cursor. On a whole pass the invoice number map is built
        (the invoices stream fills it as it goes; the payments stream lists invoices once if it has not)."""
        learning = self.spec.number_field is not None
        for rows in self._list_pages(since):
            if learning:
                self._numbers.learn(rows)
            yield Page(records=[self._complete(row, whole_pass=since is None) for row in rows])
        if learning and since is None:
            self._numbers.complete = True

    def live_ids(self) -> Iterator[Sequence[str]]:
        """Every live id, page by page: Books has no deleted list, so a sweep finds deletions."""
        for rows in self._list_pages(None):
            yield [str(row[self.spec.id_field]) for row in rows]

    def first_page(self) -> int:
        for rows in self._list_pages(None):
            return len(rows)
        return 0

    # ------------------------------------------------------------------------- internals

    def _base(self) -> str:
        return f"{self._session.api_base()}/books/{API_VERSION}"

    def _get(self, path: str) -> Mapping[str, Any]:
        response = self._session.http.request(
            "GET", self._base() + path, params={"organization_id": self._organization_id}
        )
        if not isinstance(response.body, Mapping):
            raise self._no_body(response)
        return response.body

    def _no_body(self, response: ApiResponse) -> FatalApiError:
        return FatalApiError(f"Zoho Books {self.spec.collection}: HTTP {response.status} without a body")

    def _list_pages(self, since: datetime | None, collection: str | None = None) -> Iterator[list[RawRecord]]:
        collection = collection or self.spec.collection

        def answer(response: ApiResponse) -> Answer:
            if not isinstance(response.body, Mapping):
                raise self._no_body(response)
            rows = response.body.get(collection)
            if not isinstance(rows, list):
                raise FatalApiError(f"Zoho Books {collection}: the response has no list")
            return Answer(response.body, rows)

        reader = ListReader(self._session.http, self._base, answer)
        params = {"organization_id": self._organization_id, "page": 1, "per_page": PER_PAGE}
        request = HttpRequest("GET", f"/{collection}", params)  # `page` set by the paginator
        for page in reader.pages(request, PageNumber(_more), since=since, cursor=CURSOR):
            yield list(page.records)

    def _listed_allocations(self, row: RawRecord, *, whole_pass: bool) -> list[dict[str, Any]] | None:
        """A payment's allocations from its list row alone, or None (then its detail is read). On a
        whole pass the invoice map is made whole first (one read of the invoice list, when the invoices
        stream did not just make it); an incremental run uses what the map knows."""
        names = listed_invoice_numbers(row)
        if names is None:
            return None
        if names and whole_pass and not self._numbers.complete:
            self._numbers.learn([r for rows in self._list_pages(None, "invoices") for r in rows])
            self._numbers.complete = True
        return derived_allocations(row, self._numbers)

    def _complete(self, row: RawRecord, *, whole_pass: bool) -> RawRecord:
        key = self.spec.detail_key
        if key is None or key in row:
            return row
        record_id = row.get(self.spec.id_field)
        if not record_id:
            return row  # normalize() quarantines it, naming the missing id
        if key == "invoices":
            derived = self._listed_allocations(row, whole_pass=whole_pass)
            if derived is not None:
                return {**row, key: derived, DERIVED_MARK: "list"}
        body = self._get(f"/{self.spec.collection}/{record_id}")
        detail = body.get(self.spec.record_key)
        if not isinstance(detail, Mapping):
            raise FatalApiError(
                f"Zoho Books {self.spec.collection}/{record_id}: the response has no {self.spec.record_key}"
            )
        return {**row, **detail}


def organization_check(session: ZohoSession, organization_id: str) -> Callable[[], CheckResult]:
    """A check that the configured organization is one this token can see (listing those it sees)."""

    def check() -> CheckResult:
        what = say("check.organization_id", id=organization_id)
        url = f"{session.api_base()}/books/{API_VERSION}/organizations"
        try:
            body = session.http.request("GET", url).body
        except ConnectorError as exc:
            return CheckResult(what, False, say("check.zoho.organizations_unlisted", error=str(exc)))
        orgs = body.get("organizations") if isinstance(body, Mapping) else None
        known = {
            str(o.get("organization_id")): str(o.get("name")) for o in orgs or () if isinstance(o, Mapping)
        }
        if organization_id in known:
            return CheckResult(what, True, say("check.zoho.organization_found", name=known[organization_id]))
        seen = ", ".join(f"{oid} ({name})" for oid, name in known.items())
        return CheckResult(what, False, say("check.zoho.organization_unseen", seen=seen or say("check.none")))

    return check


def build_books(cfg: ZohoBooksSettings, deps: ConnectorDeps) -> ZohoConnector:
    """Factory for connector kind `zoho_books`."""
    session = open_session(cfg, deps, interpret=interpret_books, budget=books_budget(cfg))
    numbers = InvoiceNumbers()  # shared: the invoices stream's pages resolve the payments' numbers
    streams: dict[str, BooksStream] = {
        name: BooksStream(BOOKS_STREAMS[name], session, deps.context, cfg.organization_id, numbers)
        for name in cfg.streams
    }
    extra = (organization_check(session, cfg.organization_id),)
    return ZohoConnector(cfg.name, session, streams, extra_checks=extra)


KIND: Final = ConnectorKind(ZohoBooksSettings, BOOKS_STREAMS, build_books)
"""Connector kind `zoho_books` (listed in connectors/registry.py)."""
