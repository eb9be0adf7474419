"""Keyset paging: every row exactly once, in modification order, whatever the ties; never an offset."""

from __future__ import annotations

from collections.abc import Sequence
from operator import itemgetter
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from connectors.errors import FatalApiError
from connectors.fxiaoke.api import Filter
from connectors.fxiaoke.paging import by_id, by_modification


class FakeQuery:
    """An in-memory `data/query`: GT/GTE/EQ/IN filters AND-ed, orders honoured, one call counted each."""

    def __init__(self, rows: list[dict[str, Any]], *, secondary_order: bool = True) -> None:
        self.rows = rows
        self.secondary_order = secondary_order
        self.calls: list[tuple[list[Filter], list[tuple[str, bool]]]] = []

    def __call__(
        self, filters: Sequence[Filter], orders: Sequence[tuple[str, bool]], limit: int
    ) -> list[dict[str, Any]]:
        self.calls.append((list(filters), list(orders)))
        selected = [r for r in self.rows if all(self._match(r, f) for f in filters)]
        keys = orders if self.secondary_order else orders[:1]
        for name, ascending in reversed(keys):
            selected.sort(key=itemgetter(name), reverse=not ascending)
        return [dict(r) for r in selected[:limit]]

    @staticmethod
    def _match(row: dict[str, Any], f: Filter) -> bool:
        value = row[f.field_name]
        wanted = [type(value)(v) for v in f.values]
        if f.operator == "IN":
            return value in wanted
        if f.operator == "EQ":
            return bool(value == wanted[0])
        return bool(value > wanted[0]) if f.operator == "GT" else bool(value >= wanted[0])


def rows_at(times: list[int]) -> list[dict[str, Any]]:
    return [{"_id": f"{i:024x}", "last_modified_time": t} for i, t in enumerate(times)]


def read_all(query: FakeQuery, since: int | None = None, limit: int = 10) -> list[dict[str, Any]]:
    return [row for page in by_modification(query, since, limit=limit) for row in page]


@settings(max_examples=150, deadline=None)
@given(
    times=st.lists(st.integers(min_value=0, max_value=30), max_size=80),
    limit=st.integers(min_value=1, max_value=12),
    secondary=st.booleans(),
)
def test_modification_paging_yields_every_row_once_in_ascending_time(
    times: list[int], limit: int, secondary: bool
) -> None:
    query = FakeQuery(rows_at(times), secondary_order=secondary)

    got = read_all(query, limit=limit)

    assert sorted(r["_id"] for r in got) == sorted(r["_id"] for r in query.rows)
    assert [r["last_modified_time"] for r in got] == sorted(r["last_modified_time"] for r in got)


def test_rows_before_since_are_not_read_and_since_itself_is_included() -> None:
    query = FakeQuery(rows_at([1, 2, 3, 4, 5]))

    got = read_all(query, since=3)

    assert [r["last_modified_time"] for r in got] == [3, 4, 5]


def test_a_bulk_import_larger_than_a_page_is_walked_by_id_within_its_millisecond() -> None:
    query = FakeQuery(rows_at([5] * 25 + [6, 7]))

    got = read_all(query, limit=10)

    assert len(got) == 27
    tie_walks = [filters for filters, orders in query.calls if orders == [("_id", True)]]
    assert tie_walks
    assert all(Filter("last_modified_time", "EQ", ("5",)) in f for f in tie_walks)


def test_a_row_changed_while_paging_is_read_again_later_and_no_other_row_is_skipped() -> None:
    rows = rows_at(list(range(30)))
    query = FakeQuery(rows)
    got: list[dict[str, Any]] = []
    for page in by_modification(query, None, limit=10):
        if not got:
            rows[0]["last_modified_time"] = 100  # edited by someone while we page
        got.extend(page)

    ids = [r["_id"] for r in got]
    assert set(ids) == {r["_id"] for r in rows}
    assert ids.count(rows[0]["_id"]) == 2


def test_id_paging_uses_the_last_id_as_the_next_lower_bound() -> None:
    query = FakeQuery(rows_at([0] * 23))

    pages = list(by_id(query, limit=10))

    assert [len(p) for p in pages] == [10, 10, 3]
    assert query.calls[1][0] == [Filter("_id", "GT", (f"{9:024x}",))]


def test_id_paging_that_does_not_advance_stops_with_an_error_instead_of_looping() -> None:
    def stuck(
        filters: Sequence[Filter], orders: Sequence[tuple[str, bool]], limit: int
    ) -> list[dict[str, Any]]:
        return [{"_id": "a"}] * limit

    with pytest.raises(FatalApiError, match="did not advance"):
        list(by_id(stuck, limit=2))


def test_a_row_without_last_modified_time_stops_paging_with_an_error() -> None:
    def fetch(
        filters: Sequence[Filter], orders: Sequence[tuple[str, bool]], limit: int
    ) -> list[dict[str, Any]]:
        return [{"_id": "1"}]

    with pytest.raises(FatalApiError, match="last_modified_time"):
        list(by_modification(fetch, None))
