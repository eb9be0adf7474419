"""ExecuteBillQuery paging: the query value, the anchored `StartRow`/`Limit` paginator, and the regrouping
of entry rows into one record per bill.

A query answers rows in `FieldKeys` order, one row per entry line (api-notes §12), so a bill's lines
may straddle a page boundary and offsets shift when bills change during a pass. Hence:

- `AnchoredOffset` asks each page after the first one row early, at the previous page's last row (the
  anchor). The anchor must come back first and unchanged; when it does not, rows moved under the pass
  (a bill changed, was deleted or inserted before it) and the pass re-reads from the anchor's key
  (`key >= anchor`, `StartRow` 0) instead of guessing — a few rows are read twice, none is skipped.
  The pass ends at a short page (when `Limit` is within the documented 2,000), or at a page that
  brings nothing past the anchor (a server that silently caps a larger `Limit` still reads whole).
- `bill_pages` holds the last bill of every page until the next page shows it complete, so every
  record handed on is a whole bill, keyed by its id exactly once per page.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any, Final

from connectors.base import RawRecord
from connectors.errors import FatalApiError, TransientError
from connectors.paging import Answer, paginate

DOCUMENTED_LIMIT: Final = 2000
"""`Limit` the notes say every version accepts; above it (patch 23.11+ allows up to 10,000, tenant
setting `WebAPIMaxQueryLimit`) a short page is not trusted to be the last."""
MAX_REBASES: Final = 20
"""Re-reads from one and the same anchor key a pass may do before it gives up (rows of one key — a
batch saved in one second — that keep moving, or lines served in another order every time): the run
fails and the next one starts again, nothing is skipped. Re-reads from later keys are not counted:
each of them moves the pass on."""
ENTRIES: Final = "entries"
"""Where a bill's entry lines go in its raw record."""


@dataclass(frozen=True)
class BillQuery:
    """One `ExecuteBillQuery` (api-notes §12): form, fields, AND-ed conditions, order, rows."""

    form_id: str
    field_keys: tuple[str, ...]
    filters: tuple[str, ...] = ()
    order: str = ""
    start_row: int = 0
    limit: int = DOCUMENTED_LIMIT

    def data(self) -> dict[str, Any]:
        return {
            "FormId": self.form_id,
            "FieldKeys": ",".join(self.field_keys),
            "FilterString": " and ".join(self.filters),
            "OrderString": self.order,
            "TopRowCount": 0,
            "StartRow": self.start_row,
            "Limit": self.limit,
        }

    def at(self, start_row: int) -> BillQuery:
        return replace(self, start_row=start_row)

    def where(self, condition: str) -> BillQuery:
        return replace(self, filters=(*self.filters, condition))


def literal(value: object) -> str:
    """A value as FilterString text: numbers bare, text quoted with `'` doubled."""
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return "'" + str(value).replace("'", "''") + "'"


def rows_as_records(
    field_keys: Sequence[str], rows: Sequence[Sequence[Any]], form_id: str
) -> list[RawRecord]:
    """Each row as `{field key: value}`; a row of another width, or one holding an object or a list
    (an error envelope or a reply of another shape), is an answer that cannot be trusted."""
    records: list[RawRecord] = []
    for i, row in enumerate(rows):
        if len(row) != len(field_keys) or any(isinstance(v, Mapping | list) for v in row):
            raise FatalApiError(
                f"ExecuteBillQuery of {form_id}: row {i} has {len(row)} values, not the "
                f"{len(field_keys)} FieldKeys asked for, or holds an object: not query rows"
            )
        records.append(dict(zip(field_keys, row, strict=True)))
    return records


Rebase = Callable[[BillQuery, RawRecord], BillQuery]
"""Writes "rows from this anchor's key on" into a pass's first query."""


class AnchoredOffset:
    """`StartRow`/`Limit` pages, each after the first starting at the previous page's last row.

    `rebase(request, anchor)` writes "rows from the anchor's key on" into the pass's first request:
    after it, the pass reads again from StartRow 0. `fresh` holds the rows of the last answer that are
    new to the pass (the anchor left out); `rebased` says the last answer was misaligned (none of its
    rows may be used, and rows held from before it are stale)."""

    def __init__(self, rebase: Rebase, *, limit: int, label: str):
        if limit < 2:
            raise ValueError("an anchored page needs a Limit of at least 2")
        self._rebase, self._limit, self._label = rebase, limit, label
        self._anchor: RawRecord | None = None
        self._first: BillQuery | None = None
        self._start = 0
        self._has_next = True
        self.rebased = False
        self.rebases = 0
        self._last_rebase: BillQuery | None = None
        self._stuck = 0
        self.fresh: Sequence[RawRecord] = ()

    @property
    def has_next_page(self) -> bool:
        return self._has_next

    def init_request(self, request: BillQuery) -> BillQuery:
        self._first = replace(request, limit=self._limit)
        return self._first.at(0)

    def update_state(self, answer: Answer) -> None:
        rows = answer.records
        self.rebased = False
        anchored = self._anchor is not None
        if anchored and (not rows or rows[0] != self._anchor):
            self.rebases += 1
            self.rebased = True
            self.fresh = ()
            return
        self.fresh = rows[1:] if anchored else rows
        short = len(rows) < self._limit and self._limit <= DOCUMENTED_LIMIT
        self._has_next = bool(self.fresh) and not short
        if self.fresh:
            self._anchor = rows[-1]
            self._start += len(rows) - 1  # the next page starts at this page's last row

    def update_request(self, request: BillQuery) -> BillQuery:
        assert self._first is not None
        if self.rebased:
            assert self._anchor is not None
            anchor, self._anchor = self._anchor, None
            self._start = 0
            again = self._rebase(self._first, anchor).at(0)
            self._stuck = self._stuck + 1 if again == self._last_rebase else 0
            if self._stuck >= MAX_REBASES:
                raise TransientError(
                    f"{self._label}: rows kept moving while they were read ({MAX_REBASES} re-reads from "
                    f"{' and '.join(again.filters)}): bills are changed faster than they can be read, or "
                    "lines come in another order every time; the next run tries again"
                )
            self._last_rebase = again
            return again
        return request.at(self._start)


def bill_pages(
    send: Callable[[BillQuery], Answer | None],
    query: BillQuery,
    paginator: AnchoredOffset,
    *,
    id_field: str,
    entry_fields: Sequence[str] = (),
) -> Iterator[list[RawRecord]]:
    """Whole bills, page by page: the rows of one id (consecutive, as the order asks) become one record,
    its header fields from the first row and its entry fields as `entries` (a row whose entry fields
    are all empty is a bill without lines). `send` answers with the rows as records."""
    held: list[RawRecord] = []
    for _ in paginate(send, query, paginator):
        if paginator.rebased:
            held = []  # the bill they belong to may have changed: it is read again whole
            continue
        rows = held + list(paginator.fresh)
        held = []
        if paginator.has_next_page and rows:
            last = rows[-1].get(id_field)
            cut = len(rows)
            while cut > 0 and rows[cut - 1].get(id_field) == last:
                cut -= 1
            rows, held = rows[:cut], rows[cut:]
        yield _grouped(rows, id_field, entry_fields, query.form_id)


def _grouped(
    rows: Sequence[RawRecord], id_field: str, entry_fields: Sequence[str], form_id: str
) -> list[RawRecord]:
    bills: list[dict[str, Any]] = []
    seen: set[object] = set()
    for row in rows:
        bill_id = row.get(id_field)
        if not bills or bills[-1].get(id_field) != bill_id:
            if bill_id in seen:
                raise FatalApiError(
                    f"ExecuteBillQuery of {form_id}: rows of {id_field} {bill_id} are not together: the "
                    "server did not keep the OrderString, so bills cannot be regrouped"
                )
            seen.add(bill_id)
            header = {k: v for k, v in row.items() if k not in entry_fields}
            bills.append({**header, ENTRIES: []} if entry_fields else header)
        if entry_fields:
            entry = {k: row.get(k) for k in entry_fields}
            if any(v is not None and v != "" for v in entry.values()):
                bills[-1][ENTRIES].append(entry)
    grouped: list[RawRecord] = list(bills)
    return grouped
