"""`by_modification` never loops forever: whatever a vendor answers, over a finite set of rows (times in
0..T, ids from a pool of n), the pass ends or stops with a `FatalApiError` within a bound of queries.

Why the bound holds (connectors/fxiaoke/paging.py, `ByModification`): every page read by time either
ends the pass, or moves the lower bound strictly up (a full page must end past it; a full page of one
millisecond at or past it is walked by `_id`, then reading resumes one millisecond later), so at most
T + 3 pages by time; each `_id` walk must advance its `_id` keyset, so at most n + 2 pages each."""

from __future__ import annotations

from collections.abc import Sequence

from hypothesis import given, settings
from hypothesis import strategies as st

from connectors.errors import FatalApiError
from connectors.fxiaoke.api import Filter
from connectors.fxiaoke.paging import Row, by_modification

MAX_TIME = 12
IDS = tuple(f"{i:02x}" for i in range(8))
BOUND = (MAX_TIME + 3) * (len(IDS) + 2)


class Exceeded(Exception):
    """The paginator asked for more pages than the bound allows."""


class AnyVendor:
    """Answers each query with whatever Hypothesis draws: the previous answer again, once or from then on
    (a vendor ignoring the filters), or any rows of the finite pool, in any order, of any length."""

    def __init__(self, data: st.DataObject, limit: int) -> None:
        self.data, self.limit = data, limit
        self.calls = 0
        self.last: list[Row] = []
        self.stuck = False

    def __call__(
        self, filters: Sequence[Filter], orders: Sequence[tuple[str, bool]], limit: int
    ) -> list[Row]:
        self.calls += 1
        if self.calls > BOUND:
            raise Exceeded(f"more than {BOUND} queries")
        if self.calls > 1 and not self.stuck:
            again = self.data.draw(st.sampled_from(["new", "again", "forever"]), label="answer")
            self.stuck = again == "forever"
            if again == "again":
                return [dict(r) for r in self.last]
        if self.stuck:
            return [dict(r) for r in self.last]
        size = self.data.draw(st.sampled_from([self.limit, self.limit, self.limit - 1, 0]), label="size")
        rows = self.data.draw(
            st.lists(
                st.tuples(st.integers(0, MAX_TIME), st.sampled_from(IDS)),
                min_size=size,
                max_size=size,
            ),
            label="rows",
        )
        if self.data.draw(st.booleans(), label="sorted"):
            rows.sort()
        self.last = [{"_id": i, "last_modified_time": t} for t, i in rows]
        return [dict(r) for r in self.last]


@settings(max_examples=400, deadline=None)
@given(
    data=st.data(),
    limit=st.integers(min_value=1, max_value=4),
    since=st.one_of(st.none(), st.integers(min_value=0, max_value=MAX_TIME)),
)
def test_any_answer_sequence_ends_or_raises_within_the_bound(
    data: st.DataObject, limit: int, since: int | None
) -> None:
    vendor = AnyVendor(data, limit)
    pages = 0
    try:
        for _page in by_modification(vendor, since, limit=limit):
            pages += 1
    except FatalApiError:
        pass

    assert vendor.calls <= BOUND
    assert pages <= vendor.calls
