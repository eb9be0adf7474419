"""Keyset paging over Fxiaoke queries: never `offset`, so never the 10,000-row wall (10013) and never a
skipped row when records change while we page (docs/decisions/0007-fxiaoke-keyset-paging.md).

- `by_modification`: ascending `last_modified_time` from `since`; each next page starts at the last
  page's highest time (GTE) and drops the rows already seen at that exact millisecond. A full page of
  one millisecond (a bulk import) is drained by `_id` keyset before moving on. Pages come in ascending
  modification time, so the stream is `ordered`.
- `by_id`: ascending `_id` with `_id GT <last>`, for the id sweep and for detail rows (the kit's
  `connectors.paging.KeysetPaginator`).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from typing import Any, Protocol, cast

from connectors.errors import FatalApiError
from connectors.fxiaoke.api import PAGE_LIMIT, Filter
from connectors.paging import Answer, KeysetPaginator, paginate

MODIFIED = "last_modified_time"
Row = dict[str, Any]


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
class _Query:
    """A query's conditions: the caller's filters, then the keyset's `_id GT <last>`."""

    filters: tuple[Filter, ...]
    keyset: tuple[Filter, ...] = ()


def _past(query: _Query, last: str) -> _Query:
    return replace(query, keyset=(Filter("_id", "GT", (last,)),))


def by_id(
    fetch: Fetch, filters: Sequence[Filter] = (), *, limit: int = PAGE_LIMIT, after: str | None = None
) -> Iterator[list[Row]]:
    """Every row matching `filters`, in ascending `_id`, one page at a time (stops at a short page):
    the kit's keyset paginator over Fxiaoke's query filters."""

    def send(query: _Query) -> Answer:
        return Answer(None, fetch([*query.filters, *query.keyset], [("_id", True)], limit))

    paginator = KeysetPaginator("_id", _past, limit=limit, start=after)
    for answer in paginate(send, _Query(tuple(filters)), paginator):
        if answer.records:
            yield cast(list[Row], answer.records)


def by_modification(fetch: Fetch, since_ms: int | None, *, limit: int = PAGE_LIMIT) -> Iterator[list[Row]]:
    """Rows with last_modified_time >= since_ms in ascending modification time, pages of new rows only."""
    lower = since_ms
    seen_at_lower: set[str] = set()
    while True:
        filters = [Filter(MODIFIED, "GTE", (str(lower),))] if lower is not None else []
        rows = fetch(filters, [(MODIFIED, True), ("_id", True)], limit)
        times = [modified_ms(r) for r in rows]
        if len(rows) == limit and times[0] == times[-1]:
            # A full page of one millisecond: walk that millisecond by _id, then continue after it.
            stamp = times[0]
            exclude = seen_at_lower if stamp == lower else set()
            for page in by_id(fetch, [Filter(MODIFIED, "EQ", (str(stamp),))], limit=limit):
                fresh = [r for r in page if str(r.get("_id")) not in exclude]
                if fresh:
                    yield fresh
            lower, seen_at_lower = stamp + 1, set()
            continue
        fresh = [
            r
            for r, t in zip(rows, times, strict=True)
            if t != lower or str(r.get("_id")) not in seen_at_lower
        ]
        if fresh:
            yield fresh
        if len(rows) < limit:
            return
        if times[-1] < (lower or 0):
            raise FatalApiError(f"rows came back older than {lower}: the API ignored the {MODIFIED} filter")
        top = times[-1]
        at_top = {str(r.get("_id")) for r, t in zip(rows, times, strict=True) if t == top}
        seen_at_lower = (seen_at_lower | at_top) if top == lower else at_top
        lower = top
