"""Kingdee K/3 Cloud stream specs (form, fields, normalizer) and the stream class.

Every stream reads its forms with `ExecuteBillQuery` in `FModifyDate, <id>` order, `FModifyDate >=`
the engine's `since` (already moved back by the overlap) in the company's local time, and the
configured organizations (`org_numbers`) when there are some. Entry rows are regrouped into one record
per bill (connectors/kingdee/query.py). `live_ids()` lists every id (the id field only, in id order)
for the engine's deletion sweep: K/3 Cloud deletes bills outright (api-notes §12: Delete), so a bill
that vanished is found only there.

Field keys: `FID`, `FModifyDate`, `FDocumentStatus`, `FCancelStatus`, `FSettleCurrId` / `FCurrencyId`,
`FTaxPrice` and `FAllAmount` are named by the issue and the notes; the rest follow K/3 Cloud's naming
(`<base data field>.FNumber` / `.FName` for a referenced record's code and name) and are UNVERIFIED
against a real tenant (docs/connectors/kingdee.md lists them, with their Chinese names).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Final

from connectors.base import NormalizeContext, Page, RawRecord
from connectors.errors import FatalApiError
from connectors.kingdee import normalize as n
from connectors.kingdee.client import KingdeeSession
from connectors.kingdee.query import (
    DOCUMENTED_LIMIT,
    AnchoredOffset,
    BillQuery,
    Rebase,
    bill_pages,
    literal,
    rows_as_records,
)
from connectors.paging import Answer
from connectors.stream import SpecStream
from store.canonical import DocumentKind

MODIFIED: Final = "FModifyDate"
_STATUS: Final = ("FBillNo", "FDate", MODIFIED, "FDocumentStatus", "FCancelStatus", n.ORGANIZATION)
_MASTER: Final = ("FNumber", "FName", MODIFIED, "FDocumentStatus", "FForbidStatus", "FUseOrgId.FNumber")
_BILL_ORG: Final = n.ORGANIZATION
_MASTER_ORG: Final = "FUseOrgId.FNumber"


@dataclass(frozen=True)
class KingdeeSpec:
    """One stream: the forms it reads (`FormId`), its id field, header and entry field keys, the field
    its organizations are filtered on, its canonical kind and normalizer."""

    name: str
    kind: DocumentKind
    forms: tuple[str, ...]
    id_field: str
    header: tuple[str, ...]
    entry: tuple[str, ...]
    org_field: str
    normalizer: n.Normalizer

    @property
    def field_keys(self) -> tuple[str, ...]:
        return (self.id_field, *self.header, *self.entry)


def _bills(
    name: str,
    kind: DocumentKind,
    forms: tuple[str, ...],
    fields: n.BillFields,
    normalizer: n.Normalizer,
    *,
    entry: tuple[str, ...] | None = None,
    header: tuple[str, ...] = (),
) -> KingdeeSpec:
    lines = fields.lines() if entry is None else entry
    return KingdeeSpec(
        name, kind, forms, "FID", (*_STATUS, *fields.head(), *header), lines, _BILL_ORG, normalizer
    )


SPECS: Final[Mapping[str, KingdeeSpec]] = {
    spec.name: spec
    for spec in (
        _bills("sales_orders", DocumentKind.SALES_ORDER, (n.ORDER_FORM,), n.ORDER_FIELDS, n.sales_order),
        _bills("receivables", DocumentKind.INVOICE, (n.RECEIVABLE_FORM,), n.RECEIVABLE_FIELDS, n.receivable),
        _bills(
            "receipts", DocumentKind.PAYMENT, ("AR_RECEIVEBILL",), n.RECEIPT_FIELDS, n.receipt,
            entry=n.RECEIPT_SOURCES,
        ),
        _bills(
            "sales_invoices", DocumentKind.INVOICE, ("IV_SALESIC", "IV_SALESOC"), n.INVOICE_FIELDS,
            n.sales_invoice, entry=(*n.INVOICE_FIELDS.lines(), *n.INVOICE_SOURCES), header=("FIVNUMBER",),
        ),
        KingdeeSpec(
            "customers", DocumentKind.CUSTOMER, ("BD_Customer",), "FCUSTID", _MASTER, (), _MASTER_ORG,
            n.customer,
        ),
        KingdeeSpec(
            "materials", DocumentKind.PRODUCT, ("BD_MATERIAL",), "FMATERIALID", _MASTER, (), _MASTER_ORG,
            n.material,
        ),
    )
}  # fmt: skip

FORM_KEY: Final = "FormId"
"""Every record names the form it was read from (the VAT invoice stream reads two)."""


def filter_time(moment: datetime, context: NormalizeContext) -> str:
    """An aware time as a FilterString literal in the company's local time, to the second (floored:
    the bound is inclusive, so flooring re-reads at most that second)."""
    return literal(moment.astimezone(context.timezone).strftime("%Y-%m-%d %H:%M:%S"))


class KingdeeStream(SpecStream[KingdeeSpec]):
    """One stream over one or two forms. Not `ordered`: bills are read in `FModifyDate` order, but a bill
    changed during the pass is read again later in it, so the engine moves the cursor after the run."""

    def __init__(self, spec: KingdeeSpec, session: KingdeeSession, context: NormalizeContext) -> None:
        super().__init__(spec, context)
        self._session = session
        self._limit = session.cfg.page_size
        self._capped: set[str] = set()
        """Forms whose server refused a `Limit` above the documented 2,000 (read with 2,000 since)."""

    def pages(self, since: datetime | None) -> Iterator[Page]:
        spec = self.spec
        order = f"{MODIFIED} ASC,{spec.id_field} ASC"
        for form in spec.forms:
            query = self._query(form, spec.field_keys, order)
            if since is not None:
                query = query.where(f"{MODIFIED} >= {filter_time(since, self._context)}")
            for bills in bill_pages(
                self._send, query, self._paginator(form, self._rebase_modified), id_field=spec.id_field,
                entry_fields=spec.entry,
            ):  # fmt: skip
                yield Page(records=[{FORM_KEY: form, **bill} for bill in bills])

    def live_ids(self) -> Iterator[Sequence[str]]:
        """Every id the forms hold now, page by page (ids of the VAT invoice forms as `<form>:<FID>`)."""
        key = self.spec.id_field
        for form in self.spec.forms:
            query = self._query(form, (key,), f"{key} ASC")
            paginator = self._paginator(form, lambda q, anchor: q.where(f"{key} >= {literal(anchor[key])}"))
            for bills in bill_pages(self._send, query, paginator, id_field=key):
                yield [self._external_id(form, bill[key]) for bill in bills if bill.get(key) is not None]

    def probe(self, form: str) -> int:
        """Rows of `form` the user sees, up to one (for `connector test`: 0 may mean no permission)."""
        return len(self._send(replace(self._query(form, (self.spec.id_field,), ""), limit=1)).records)

    # ------------------------------------------------------------------------- internals

    def _external_id(self, form: str, value: object) -> str:
        return f"{form}:{value}" if len(self.spec.forms) > 1 else str(value)

    def _query(self, form: str, field_keys: tuple[str, ...], order: str) -> BillQuery:
        orgs = self._session.cfg.org_numbers
        filters = (f"{self.spec.org_field} in ({','.join(literal(o) for o in orgs)})",) if orgs else ()
        return BillQuery(form, field_keys, filters, order, limit=self._limit)

    def _paginator(self, form: str, rebase: Rebase) -> AnchoredOffset:
        return AnchoredOffset(rebase, limit=self._limit, label=f"{self._session.cfg.name} {form}")

    def _rebase_modified(self, query: BillQuery, anchor: RawRecord) -> BillQuery:
        """Re-read from the anchor's modification time (to the second) on."""
        moment = n.local_time(anchor, MODIFIED, self._context, required=True)
        assert moment is not None
        return query.where(f"{MODIFIED} >= {filter_time(moment, self._context)}")

    def _send(self, query: BillQuery) -> Answer:
        form = query.form_id
        if form in self._capped:
            query = replace(query, limit=min(query.limit, DOCUMENTED_LIMIT))
        try:
            rows = self._session.execute_bill_query(query.data())
        except FatalApiError:
            if query.limit <= DOCUMENTED_LIMIT or query.start_row != 0 or form in self._capped:
                raise
            # A server below patch 23.11 (or with a lower WebAPIMaxQueryLimit) refusing the larger Limit.
            self._capped.add(form)
            return self._send(query)
        return Answer(rows, rows_as_records(query.field_keys, rows, form))
