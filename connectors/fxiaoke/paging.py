"""Keyset paging over Fxiaoke queries: never `offset`, so never the 10,000-row wall (10013) and never a
skipped row when records change while we page (docs/decisions/0007-fxiaoke-keyset-paging.md).

Both are paginators of the stream kit (connectors/paging.py) over `Query` values, run by its one loop
(`paginate`):

- `ByModification` (`by_modification`): ascending `last_modified_time` from `since`; each next page
  starts at the last page's highest time (GTE) and drops the rows already seen at that exact
  millisecond. A full page of one millisecond (a bulk import) is drained by the kit's `_id` keyset
  before moving on. Pages come in ascending modification time, so the stream is `ordered`.
- `by_id`: ascending `_id` with `_id GT <last>` (the kit's `KeysetPaginator`), for the id sweep and
  for detail rows.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Protocol, cast

from connectors.errors import FatalApiError
from connectors.fxiaoke.api import PAGE_LIMIT, Filter
from connectors.paging import Answer, KeysetPaginator, paginate

MODIFIED = "last_modified_time"
Row = dict[str, Any]
Order = tuple[str, bool]
BY_MODIFICATION: tuple[Order, ...] = ((MODIFIED, True), ("_id", True))
BY_ID: tuple[Order, ...] = (("_id", True),)


class Fetch(Protocol):
    """One query page: filters and orders in, rows out (projection and object bound by the caller)."""

    def __call__(
        self, filters: Sequence[Filter], orders: Sequence[tuple[str, bool]], limit: int
    ) -> list[Row]: ...


def modified_ms(row: Row) -> int:
    """A row's last_modified_time in ms; a row without one cannot be paged past, so it is an API fault."""
    value = row.get(MODIFIED)
    if isinstance(value, bool) or not isinstance(value, int | str) or not str(value).isdigit():
        raise FatalApiError(f"row {row.get('_id')} has no usable {MODIFIED} ({value!r}): cannot page past it")
    return int(value)


@dataclass(frozen=True)
class Query:
    """One query as the paginators shape it: the conditions, then the `_id` keyset's `_id GT <last>`,
    and the orders (object, projection and limit are bound by `sender`)."""

    filters: tuple[Filter, ...] = ()
    orders: tuple[Order, ...] = BY_ID
    keyset: tuple[Filter, ...] = field(default=())


def _past(query: Query, last: str) -> Query:
    return replace(query, keyset=(Filter("_id", "GT", (last,)),))


def sender(fetch: Fetch, limit: int) -> Callable[[Query], Answer]:
    """The kit's `send` for one object: a `Query` -> one page of rows (never "nothing here")."""

    def send(query: Query) -> Answer:
        return Answer(None, fetch([*query.filters, *query.keyset], list(query.orders), limit))

    return send


def by_id(
    fetch: Fetch, filters: Sequence[Filter] = (), *, limit: int = PAGE_LIMIT, after: str | None = None
) -> Iterator[list[Row]]:
    """Every row matching `filters`, in ascending `_id`, one page at a time (stops at a short page):
    the kit's keyset paginator over Fxiaoke's query filters."""
    paginator = KeysetPaginator("_id", _past, limit=limit, start=after)
    for answer in paginate(sender(fetch, limit), Query(tuple(filters)), paginator):
        if answer.records:
            yield cast(list[Row], answer.records)


class ByModification:
    """The modification-time keyset as a state machine (a kit `Paginator[Query]`).

    States: reading by time from `lower` (GTE), and walking one millisecond by `_id` (the kit's
    `KeysetPaginator` over `last_modified_time EQ <stamp>`) after a full page of that millisecond,
    whose own rows are not handed on (the walk reads them again from the first `_id`). After each
    answer `fresh` holds its rows that were not handed on before: rows at `lower` already seen on the
    previous page, or, in a walk at `lower`, rows seen before the walk, are left out.

    An answer that cannot be trusted (a row without a modification time, an `_id` walk that does not
    advance) raises in `update_state`, before its rows go on.

    Never a loop (issue 16): a page read by time must advance. Fxiaoke honouring `GTE lower` answers
    rows at `lower` or later in ascending time, so a full page either ends past `lower` or is one
    millisecond at or past it (walked by `_id`, then `lower` becomes that millisecond + 1). A page that
    does neither — it ends at or before `lower`, or a millisecond before `lower` fills it, or (after the
    first page) any of its rows is older than `lower` — means Fxiaoke ignored the filter: asked again,
    it would answer the same rows and the old loop handed the older ones on again, forever. So `lower`
    rises strictly with every page read by time and no bound is asked for twice; each `_id` walk must
    advance its keyset too: with finitely many rows, a pass ends or raises within a bounded number of
    queries (tests/unit/fxiaoke/test_modification_paging_terminates.py).

    Such a page raises `FatalApiError` naming what Fxiaoke did, before its rows go on (they would repeat
    rows already handed on), which fails this stream's run and not the others; the cursor stays at the
    last committed page. Only the first page of a pass goes on first (or, full of one millisecond, is
    walked by `_id`): nothing of the pass can repeat yet, as before issue 16 for a page older than
    `since`; the error comes when the next page by time is asked for.

    Why stop rather than continue another way: walking the bound's millisecond by `_id` (`EQ`) reaches
    only that millisecond; every row after it is reachable by `GTE` alone, which this tenant ignores.
    The one walk left, `_id GT` over the whole object, reads every row on every run and loses the
    ascending time order the `ordered` cursor relies on; and a vendor that ignored one filter gives no
    reason to trust the next. So failing loudly is the safe answer (the id sweep, `by_id`, is apart)."""

    def __init__(self, since_ms: int | None, *, limit: int) -> None:
        self.lower = since_ms
        self.fresh: list[Row] = []
        """The last answer's rows to hand on."""
        self._limit = limit
        self._seen_at_lower: set[str] = set()
        self._stamp = 0
        self._ties: KeysetPaginator[Query] | None = None
        self._exclude: set[str] = set()
        self._walking = False
        self._has_next = True
        self._problem: str | None = None
        self._paged = False
        """Whether a page read by time was accepted in this pass (so rows may have gone on)."""

    @property
    def has_next_page(self) -> bool:
        return self._has_next

    def init_request(self, request: Query) -> Query:
        return self._by_time(request)

    def update_state(self, answer: Answer) -> None:
        rows = cast(list[Row], answer.records)
        if self._ties is not None:
            self._walked(self._ties, answer, rows)
            return
        times = [modified_ms(r) for r in rows]
        tie = len(rows) == self._limit and times[0] == times[-1]
        stalled = self._stalled(rows, times, tie)
        if stalled is not None and self._paged:
            raise FatalApiError(stalled)
        self._paged = True
        if tie:
            # A full page of one millisecond: walk that millisecond by _id, then continue after it
            # (or, a first page not past `since`, stop with the error once the walk is done).
            self._problem = stalled
            self._stamp = times[0]
            self._exclude = self._seen_at_lower if self._stamp == self.lower else set()
            self._ties, self._walking = KeysetPaginator("_id", _past, limit=self._limit), False
            self.fresh = []
            return
        lower, seen = self.lower, self._seen_at_lower
        self.fresh = [
            r for r, t in zip(rows, times, strict=True) if t != lower or str(r.get("_id")) not in seen
        ]
        self._has_next = len(rows) >= self._limit
        if not self._has_next:
            return
        if stalled is not None:  # the first page: it went on; the next one cannot be reached
            self._problem = stalled
            return
        top = times[-1]
        at_top = {str(r.get("_id")) for r, t in zip(rows, times, strict=True) if t == top}
        self._seen_at_lower = (seen | at_top) if top == lower else at_top
        self.lower = top

    def update_request(self, request: Query) -> Query:
        if self._problem is not None and self._ties is None:
            raise FatalApiError(self._problem)
        if self._ties is None:
            return self._by_time(request)
        if self._walking:
            return self._ties.update_request(request)
        self._walking = True
        return self._ties.init_request(Query((Filter(MODIFIED, "EQ", (str(self._stamp),)),), BY_ID))

    def _stalled(self, rows: list[Row], times: list[int], tie: bool) -> str | None:
        """Why this page read by time does not advance past `lower` (Fxiaoke ignored the filter), or
        None. Before any page was accepted, rows older than `lower` on a page that ends past it are
        let through, as they always were (they cannot repeat anything of this pass)."""
        lower = self.lower
        if lower is None or not rows:
            return None
        if len(rows) >= self._limit and not tie and times[-1] < lower and not self._paged:
            return f"rows came back older than {lower}: the API ignored the {MODIFIED} filter"
        ignored = f"Fxiaoke ignored the {MODIFIED} GTE {lower} filter"
        last = f"{MODIFIED} {times[-1]}, _id {rows[-1].get('_id')}"
        if len(rows) >= self._limit and (times[-1] < lower or (times[-1] == lower and not tie)):
            return (
                f"{ignored}: a full page ended at {last}, not past the bound, so paging made no "
                "progress (asked again, it would answer the same rows); stopped rather than hand rows "
                "on twice"
            )
        older = [i for i, t in enumerate(times) if t < lower]
        if older and self._paged:
            first = rows[older[0]]
            return (
                f"{ignored}: it answered rows modified before the bound ({first.get('_id')} at "
                f"{times[older[0]]}), already read in this pass; stopped rather than hand them on twice"
            )
        return None

    def _walked(self, ties: KeysetPaginator[Query], answer: Answer, rows: list[Row]) -> None:
        ties.update_state(answer)
        self.fresh = [r for r in rows if str(r.get("_id")) not in self._exclude]
        if not ties.has_next_page:  # the millisecond is drained: go on after it
            self.lower, self._seen_at_lower, self._ties = self._stamp + 1, set(), None

    def _by_time(self, request: Query) -> Query:
        filters = (Filter(MODIFIED, "GTE", (str(self.lower),)),) if self.lower is not None else ()
        return replace(request, filters=filters, orders=BY_MODIFICATION, keyset=())


def by_modification(fetch: Fetch, since_ms: int | None, *, limit: int = PAGE_LIMIT) -> Iterator[list[Row]]:
    """Rows with last_modified_time >= since_ms in ascending modification time, pages of new rows only:
    `ByModification` run by the kit's loop."""
    paginator = ByModification(since_ms, limit=limit)
    for _answer in paginate(sender(fetch, limit), Query(), paginator):
        if paginator.fresh:
            yield paginator.fresh
