"""Zoho CRM v8 (connector kind `zoho_crm`): stream specs, the record/deleted readers, the connector."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Final

from config.kinds import ZohoCrmSettings
from connectors.base import ConnectorDeps, ConnectorKind, NormalizeContext, Page, RawRecord
from connectors.errors import FatalApiError
from connectors.http import ApiResponse
from connectors.paging import Answer, HttpRequest, PageNumber, PageNumberThenToken, PageToken
from connectors.stream import Cursor, ListReader, SpecStream
from connectors.zoho import normalize
from connectors.zoho.client import ZohoSession, crm_budget, interpret_crm, open_session
from connectors.zoho.connector import ZohoConnector
from connectors.zoho.normalize import Normalizer
from store.canonical import CanonicalDocument, DocumentKind

API_VERSION: Final = "v8"
PER_PAGE: Final = 200
DISCRETE_LIMIT: Final = 2_000
"""`page` reaches the first 2,000 records only; beyond them, `page_token` continues."""
MAX_FIELDS: Final = 50
MAX_IDS: Final = 100
"""Records fetched by `ids` per call when merging extra field batches."""

_COMMON = ("Owner", "Modified_Time")
_MONEY = (
    "Account_Name",
    "Status",
    "Due_Date",
    "Sub_Total",
    "Discount",
    "Tax",
    "Adjustment",
    "Excise_Duty",
    "Grand_Total",
    "Currency",
    "Exchange_Rate",
)


@dataclass(frozen=True)
class CrmStreamSpec:
    """One CRM module read as a stream: which fields, and how a record becomes a canonical document."""

    name: str
    module: str
    kind: DocumentKind
    fields: tuple[str, ...]
    normalizer: Normalizer


CRM_STREAMS: Final[Mapping[str, CrmStreamSpec]] = {
    spec.name: spec
    for spec in (
        CrmStreamSpec(
            "sales_orders",
            "Sales_Orders",
            DocumentKind.SALES_ORDER,
            (
                "SO_Number",
                "Subject",
                *_MONEY,
                "Quote_Name",
                "Deal_Name",
                "Created_Time",
                "Ordered_Items",
                *_COMMON,
            ),
            normalize.crm_sales_order,
        ),
        CrmStreamSpec(
            "invoices",
            "Invoices",
            DocumentKind.INVOICE,
            ("Invoice_Number", "Subject", "Invoice_Date", "Sales_Order", *_MONEY, "Invoiced_Items", *_COMMON),
            normalize.crm_invoice,
        ),
        CrmStreamSpec(
            "accounts",
            "Accounts",
            DocumentKind.CUSTOMER,
            ("Account_Name", "Account_Number", *_COMMON),
            normalize.crm_account,
        ),
        CrmStreamSpec(
            "products",
            "Products",
            DocumentKind.PRODUCT,
            ("Product_Name", "Product_Code", "Unit_Price", "Description", "Product_Active", *_COMMON),
            normalize.crm_product,
        ),
    )
}


def field_batches(fields: Sequence[str], limit: int = MAX_FIELDS) -> list[tuple[str, ...]]:
    """Split a field list into calls of at most `limit` names (Zoho's cap is 50). Every batch after
    the first repeats nothing: records are merged by id."""
    unique = list(dict.fromkeys(fields))
    return [tuple(unique[i : i + limit]) for i in range(0, len(unique), limit)] or [()]


def if_modified_since(since: datetime) -> str:
    """The If-Modified-Since header value: ISO-8601 with an offset, in UTC."""
    return since.astimezone(UTC).isoformat(timespec="seconds")


CURSOR: Final = Cursor("header", "If-Modified-Since", if_modified_since)


def _more(answer: Answer) -> bool:
    return bool((answer.body.get("info") or {}).get("more_records"))


def _next_token(answer: Answer) -> object:
    return (answer.body.get("info") or {}).get("next_page_token")


class CrmStream(SpecStream[CrmStreamSpec]):
    """Records of one module modified since the cursor, oldest first, then its recycle-bin deletions."""

    ordered = True  # sort_by=Modified_Time&sort_order=asc

    def __init__(
        self,
        spec: CrmStreamSpec,
        session: ZohoSession,
        context: NormalizeContext,
        extra_fields: Sequence[str],
    ) -> None:
        super().__init__(spec, context)
        self._session = session
        self._batches = field_batches([*spec.fields, *extra_fields])
        self._reader = ListReader(session.http, self._url, self._answer)

    def normalize(self, raw: RawRecord) -> CanonicalDocument:
        if normalize.DELETED_ENTRY in raw:
            return normalize.crm_deleted_entry(raw, self._context)
        return super().normalize(raw)

    def pages(self, since: datetime | None) -> Iterator[Page]:
        """Deletions first, then the changed records oldest first. A first sync (`since` None) reads
        the whole `/deleted` list too: records deleted before ledgerbridge ever saw them are kept as
        tombstones (number or name, who deleted them and when), so reconcile can say a counterpart's
        record was deleted rather than missing. A deleted entry is passed on as a record the stream
        normalizes into a deleted document (the store keeps it as a tombstone, or tombstones the live
        document it names, keeping its values). Tombstones carry no modification time: the engine
        advances an ordered stream's cursor to the newest time in each page, and a deletion time
        (now-ish) committed before the records pass would move the cursor past records not read yet if
        the run were cut there."""
        yield from self._deleted_pages(since)
        for answer in self._record_pages(self._batches[0], since):
            yield Page(records=self._merge_batches(list(answer.records)))

    def live_ids(self) -> Iterator[Sequence[str]]:
        """Every live id, a page at a time (for a sweep of records deleted beyond the recycle bin)."""
        for answer in self._record_pages(("Modified_Time",), None):
            yield [str(r["id"]) for r in answer.records]

    def count(self) -> int | None:
        """The module's record count, `GET /crm/v8/{module}/actions/count` -> `{"count": N}` (the
        recycle bin not included); None if the answer carries no integer count."""
        response = self._session.http.request("GET", self._url() + "/actions/count")
        if response.status == 204 or response.body is None:
            return 0
        value = response.body.get("count") if isinstance(response.body, Mapping) else None
        return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else None

    def first_page(self) -> int:
        """Read one page (for `connector test`); returns how many records it held."""
        for answer in self._record_pages(self._batches[0], None):
            return len(answer.records)
        return 0

    # ------------------------------------------------------------------------- internals

    def _url(self) -> str:
        return f"{self._session.api_base()}/crm/{API_VERSION}/{self.spec.module}"

    def _answer(self, response: ApiResponse) -> Answer | None:
        if response.status in (204, 304) or response.body is None:
            return None
        if not isinstance(response.body, Mapping) or not isinstance(response.body.get("data"), list):
            raise FatalApiError(f"Zoho CRM {self.spec.module}: a 200 response without a data list")
        return Answer(response.body, list(response.body["data"]))

    def _record_pages(self, fields: Sequence[str], since: datetime | None) -> Iterator[Answer]:
        """`page` 1..10 (the first 2,000 records), then `info.next_page_token`; stops on
        more_records=false, 204 or 304. A repeated page token is an error, never an endless loop."""
        request = HttpRequest(
            "GET",
            "",
            {
                "fields": ",".join(fields),
                "per_page": PER_PAGE,
                "sort_by": "Modified_Time",
                "sort_order": "asc",
            },
        )
        paginator = PageNumberThenToken(
            PageNumber(_more, last_page=DISCRETE_LIMIT // PER_PAGE),
            PageToken(
                _more,
                _next_token,
                param="page_token",
                label=f"Zoho CRM {self.spec.module}",
                answer_field="next_page_token",
                per_page=PER_PAGE,
                drop=("page",),
            ),
        )
        return self._reader.pages(request, paginator, since=since, cursor=CURSOR)

    def _merge_batches(self, records: list[RawRecord]) -> list[RawRecord]:
        """More than 50 fields: fetch the other batches for this page's ids and merge them by id."""
        if len(self._batches) == 1 or not records:
            return records
        merged = {str(r["id"]): dict(r) for r in records}
        ids = list(merged)
        for batch in self._batches[1:]:
            for start in range(0, len(ids), MAX_IDS):
                chunk = ids[start : start + MAX_IDS]
                params = {"fields": ",".join(batch), "ids": ",".join(chunk)}
                answer = self._reader.send(HttpRequest("GET", "", params))
                for row in answer.records if answer else ():
                    if str(row.get("id")) in merged:
                        merged[str(row["id"])].update(row)
        return list(merged.values())

    def _deleted_pages(self, since: datetime | None) -> Iterator[Page]:
        request = HttpRequest("GET", "/deleted", {"type": "all", "per_page": PER_PAGE})
        kind = self.spec.kind.value
        for answer in self._reader.pages(request, PageNumber(_more), since=since, cursor=CURSOR):
            yield Page(records=[{**row, normalize.DELETED_ENTRY: kind} for row in answer.records])


def build_crm(cfg: ZohoCrmSettings, deps: ConnectorDeps) -> ZohoConnector:
    """Factory for connector kind `zoho_crm` (the settings model names only streams CRM_STREAMS has)."""
    session = open_session(cfg, deps, interpret=interpret_crm, budget=crm_budget(cfg))
    streams: dict[str, CrmStream] = {
        name: CrmStream(CRM_STREAMS[name], session, deps.context, cfg.extra_fields.get(name, ()))
        for name in cfg.streams
    }
    return ZohoConnector(cfg.name, session, streams)


KIND: Final = ConnectorKind(ZohoCrmSettings, CRM_STREAMS, build_crm)
"""Connector kind `zoho_crm` (listed in connectors/registry.py)."""
