"""QuickBooks stream specs and the stream class: query passes and Change Data Capture (api-notes
quickbooks-xero-bank.md §1.3, §1.4).

- A full pass (and a cursor CDC cannot serve) reads the query endpoint:
  `SELECT * FROM <Entity> [WHERE …] ORDERBY MetaData.LastUpdatedTime STARTPOSITION n MAXRESULTS 1000`,
  paged by `connectors.paging.Offset`. Each next page starts `PAGE_OVERLAP` rows before the end of the
  one before: a row updated during the pass moves to the end of the order and shifts the rows after it
  back, so without the overlap the row behind it would be skipped. Rows read twice (same Id and
  SyncToken) go on once. Customer and Item (name lists) are asked `Active IN (true, false)`: without
  it QuickBooks returns the active ones only [27].
- An incremental run whose cursor is within CDC's 30-day window reads
  `cdc?entities=<Entity>&changedSince=<since>`: changed rows as records, `status: "Deleted"` entries as
  tombstones (transactions are hard-deleted: only CDC tells [27]). One entity per call, so the 1,000
  objects a CDC answer holds at most are this stream's alone. An answer holding 1,000 may be cut, and
  CDC takes no end of window: the window is split where the full answer's latest change is, when the
  answer holds the window's oldest changes (checked: `count(*)` of rows changed in [start, latest)
  equals the answer's rows before it), and CDC goes on from there. When the check fails (QuickBooks
  kept other changes: the notes do not say which), the window's changes are read by the query
  endpoint (`MetaData.LastUpdatedTime >= start`) and the deletions the answer did carry go on.
- A cursor older than the window (a connector stopped for more than 30 days) cannot see the deletions
  of the gap: the run is a full query pass, and the stream tells the engine a sweep is due
  (`sweep_due`), so the ids of ledger documents the pass did not meet become tombstones — the pass's
  own ids are the sweep's live ids (no second pass); the pass moves the cursor to its start
  (`Page.read_through`), so the next run is CDC again (a stream nothing changed in for 30 days makes
  one such pass a month). `sync --sweep` sweeps any run (`live_ids`: a whole
  query pass — QuickBooks has no projections).
"""

from __future__ import annotations

from collections.abc import Generator, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any, Final

import structlog

from connectors.base import Clock, NormalizeContext, Page, RawRecord, Tombstone
from connectors.errors import FatalApiError
from connectors.fields import parse_offset_time
from connectors.paging import Answer, Offset, paginate
from connectors.quickbooks import normalize
from connectors.quickbooks.client import QuickBooksSession
from connectors.stream import Normalizer, SpecStream
from store.canonical import DocumentKind

log = structlog.get_logger(__name__)

PER_PAGE: Final = 1000
"""MAXRESULTS: QuickBooks' most per answer [11]."""
PAGE_OVERLAP: Final = 20
"""Rows of the page before that each next page reads again (STARTPOSITION moves 980 a page)."""
CDC_LIMIT: Final = 1000
"""Objects a CDC answer holds at most [13]: an answer this full may be cut."""
CDC_WINDOW: Final = timedelta(days=30)
CDC_MARGIN: Final = timedelta(hours=1)
"""A cursor this close to the 30-day edge goes to the query endpoint (clocks differ)."""


@dataclass(frozen=True)
class QuickBooksSpec:
    name: str
    entity: str
    kind: DocumentKind
    normalizer: Normalizer
    name_list: bool = False


SPECS: Final[Mapping[str, QuickBooksSpec]] = {
    spec.name: spec
    for spec in (
        QuickBooksSpec("invoices", "Invoice", DocumentKind.INVOICE, normalize.invoice),
        QuickBooksSpec("payments", "Payment", DocumentKind.PAYMENT, normalize.payment),
        QuickBooksSpec("credit_memos", "CreditMemo", DocumentKind.CREDIT_NOTE, normalize.credit_memo),
        QuickBooksSpec("sales_receipts", "SalesReceipt", DocumentKind.INVOICE, normalize.sales_receipt),
        QuickBooksSpec("customers", "Customer", DocumentKind.CUSTOMER, normalize.customer, name_list=True),
        QuickBooksSpec("items", "Item", DocumentKind.PRODUCT, normalize.item, name_list=True),
    )
}


def qb_literal(moment: datetime) -> str:
    """A time as a query literal / CDC parameter: ISO-8601 with its offset, whole seconds (UTC)."""
    return moment.astimezone(UTC).replace(microsecond=0).isoformat()


@dataclass(frozen=True)
class Statement:
    """One page's SELECT: the entity, its conditions and the 1-based STARTPOSITION."""

    entity: str
    where: tuple[str, ...] = ()
    start: int = 1
    count: bool = False

    def text(self) -> str:
        where = f" WHERE {' AND '.join(self.where)}" if self.where else ""
        if self.count:
            return f"SELECT count(*) FROM {self.entity}{where}"  # noqa: S608 - our own entity and literals
        select = f"SELECT * FROM {self.entity}{where}"  # noqa: S608 - a spec's entity, our own literals
        return f"{select} ORDERBY MetaData.LastUpdatedTime STARTPOSITION {self.start} MAXRESULTS {PER_PAGE}"


def at_offset(statement: Statement, offset: int) -> Statement:
    """Offset's n-th page (offset = n * PER_PAGE) as a STARTPOSITION that re-reads PAGE_OVERLAP rows."""
    return replace(statement, start=offset - (offset // PER_PAGE) * PAGE_OVERLAP + 1)


class QuickBooksStream(SpecStream[QuickBooksSpec]):
    """One QuickBooks entity as a stream. Not `ordered`: the engine moves the cursor once the run is
    complete (a row updated during a pass moves within the order)."""

    def __init__(
        self, spec: QuickBooksSpec, session: QuickBooksSession, context: NormalizeContext, clock: Clock
    ) -> None:
        super().__init__(spec, context)
        self._session = session
        self._clock = clock
        self._decided: tuple[datetime, bool] | None = None
        """`sweep_due`'s answer for the `pages` of the same run."""
        self._passed_ids: list[str] | None = None
        """The ids of the last completed full pass of `pages` (a cursor beyond CDC): `live_ids`."""

    def pages(self, since: datetime | None) -> Iterator[Page]:
        self._passed_ids = None
        decided, self._decided = self._decided, None
        beyond = decided[1] if decided is not None and decided[0] == since else None
        if since is not None and (beyond if beyond is not None else self._beyond_cdc(since)):
            log.info("quickbooks.cursor_beyond_cdc", entity=self.spec.entity, since=qb_literal(since))
            started = self._clock()
            seen: list[str] = []
            for rows in self._query_pass(None):
                seen += [str(row["Id"]) for row in rows if row.get("Id") is not None]
                yield Page(records=rows)
            self._passed_ids = seen
            yield Page(read_through=started)  # the next run is within CDC's reach again
            return
        if since is not None:
            start = yield from self._cdc_pages(since)
            if start is None:
                return
            since = start
        for rows in self._query_pass(since):
            yield Page(records=rows)

    def sweep_due(self, since: datetime | None) -> bool:
        """A cursor beyond CDC's 30 days: deletions of the gap are found only by a sweep. The answer is
        kept for the `pages(since)` that follows, so that both agree even at the window's edge."""
        if since is None:
            return False
        self._decided = (since, self._beyond_cdc(since))
        return self._decided[1]

    def _beyond_cdc(self, since: datetime) -> bool:
        return self._clock() - since >= CDC_WINDOW - CDC_MARGIN

    def _cdc_pages(self, since: datetime) -> Generator[Page, None, datetime | None]:
        """The window from `since` through CDC, split where an answer is full: a full answer is
        trusted up to its latest change when it holds the window's oldest changes — checked by
        `count(*)` of the rows changed before that instant — and the next window starts there. Returns
        None when the whole window was read, else where the query endpoint must go on from (an answer
        whose prefix does not check out, or that does not advance)."""
        start = since
        while True:
            changed, deleted = self._cdc(start)
            if len(changed) + len(deleted) < CDC_LIMIT:
                yield Page(records=changed, tombstones=deleted)
                return None
            top = max(_changed_at(row) for row in changed) if changed else None
            if top is None or top <= start:
                break
            before = [row for row in changed if _changed_at(row) < top]
            if self._count_between(start, top) != len(before):
                break
            log.info(
                "quickbooks.cdc_split", entity=self.spec.entity, since=qb_literal(start), at=qb_literal(top)
            )
            yield Page(records=before, tombstones=[t for t in deleted if t.deleted_at and t.deleted_at < top])
            start = top
        log.info("quickbooks.cdc_full", entity=self.spec.entity, since=qb_literal(start))
        if deleted:
            yield Page(tombstones=deleted)
        return start

    def _count_between(self, start: datetime, end: datetime) -> int | None:
        where = (
            *self._base_where(),
            f"MetaData.LastUpdatedTime >= '{qb_literal(start)}'",
            f"MetaData.LastUpdatedTime < '{qb_literal(end)}'",
        )
        body = self._session.get("query", {"query": Statement(self.spec.entity, where, count=True).text()})
        total = _query_response(body, "count(*)").get("totalCount")
        return total if isinstance(total, int) and not isinstance(total, bool) else None

    def live_ids(self) -> Iterator[Sequence[str]]:
        """Every id the company holds: those of the full pass `pages` just completed, else a whole query
        pass (QuickBooks has no projections [10])."""
        passed, self._passed_ids = self._passed_ids, None
        if passed is not None:
            yield passed
            return
        for rows in self._query_pass(None):
            yield [str(row["Id"]) for row in rows if row.get("Id") is not None]

    def count(self) -> int | None:
        statement = Statement(self.spec.entity, self._base_where(), count=True)
        body = self._session.get("query", {"query": statement.text()})
        total = _query_response(body, "count(*)").get("totalCount")
        return total if isinstance(total, int) and not isinstance(total, bool) else None

    def first_page(self) -> int:
        for rows in self._query_pass(None):
            return len(rows)
        return 0

    # ------------------------------------------------------------------------- internals

    def _base_where(self) -> tuple[str, ...]:
        return ("Active IN (true, false)",) if self.spec.name_list else ()

    def _query_pass(self, since: datetime | None) -> Iterator[list[RawRecord]]:
        where = self._base_where()
        if since is not None:
            where += (f"MetaData.LastUpdatedTime >= '{qb_literal(since)}'",)
        seen: dict[str, object] = {}
        paginator: Offset[Statement] = Offset(at_offset, limit=PER_PAGE)
        for answer in paginate(self._send, Statement(self.spec.entity, where), paginator):
            fresh = []
            for row in answer.records:
                key = str(row.get("Id"))
                if key in seen and seen[key] == row.get("SyncToken"):
                    continue  # read again by the page overlap
                seen[key] = row.get("SyncToken")
                fresh.append(row)
            yield fresh

    def _send(self, statement: Statement) -> Answer:
        body = self._session.get("query", {"query": statement.text()})
        response = _query_response(body, statement.entity)
        rows = response.get(statement.entity, [])
        if not isinstance(rows, list):
            raise FatalApiError(f"QuickBooks query {statement.entity}: {statement.entity} is not a list")
        return Answer(body, rows)

    def _cdc(self, since: datetime) -> tuple[list[RawRecord], list[Tombstone]]:
        entity = self.spec.entity
        body = self._session.get("cdc", {"entities": entity, "changedSince": qb_literal(since)})
        changed: list[RawRecord] = []
        deleted: list[Tombstone] = []
        for row in _cdc_rows(body, entity):
            if str(row.get("status") or "").lower() == "deleted":
                deleted.append(Tombstone(str(row.get("Id")), _deleted_at(row)))
            else:
                changed.append(row)
        return changed, deleted


def _query_response(body: Any, what: str) -> Mapping[str, Any]:
    response = body.get("QueryResponse") if isinstance(body, Mapping) else None
    if not isinstance(response, Mapping):
        raise FatalApiError(f"QuickBooks query {what}: the answer has no QueryResponse")
    return response


def _cdc_rows(body: Any, entity: str) -> list[RawRecord]:
    """`CDCResponse[0].QueryResponse[*].<Entity>` [13][33]."""
    answers = body.get("CDCResponse") if isinstance(body, Mapping) else None
    if not isinstance(answers, list):
        raise FatalApiError(f"QuickBooks cdc {entity}: the answer has no CDCResponse list")
    rows: list[RawRecord] = []
    for answer in answers:
        parts = answer.get("QueryResponse") if isinstance(answer, Mapping) else None
        for part in parts if isinstance(parts, list) else ():
            found = part.get(entity) if isinstance(part, Mapping) else None
            if found is None:
                continue
            if not isinstance(found, list):
                raise FatalApiError(f"QuickBooks cdc {entity}: {entity} is not a list")
            rows.extend(found)
    return rows


def _changed_at(row: RawRecord) -> datetime:
    """A CDC row's LastUpdatedTime (the window's order); a row without one sorts first."""
    return _deleted_at(row) or datetime.min.replace(tzinfo=UTC)


def _deleted_at(row: RawRecord) -> datetime | None:
    meta = row.get("MetaData")
    value = meta.get("LastUpdatedTime") if isinstance(meta, Mapping) else None
    try:
        return parse_offset_time(value) if isinstance(value, str) else None
    except ValueError:
        return None
