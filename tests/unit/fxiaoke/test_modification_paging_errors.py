"""When Fxiaoke's modification-time paging stops with an error, and which rows went on before it.

Pinned on the generator before `by_modification` moved onto the stream kit (issue 16): an answer that
cannot be trusted is refused before any of its rows go on; an answer that was fine but leaves nothing
to page past is handed on first and the error comes when the next page is asked for.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pytest

from connectors.errors import FatalApiError
from connectors.fxiaoke.api import Filter
from connectors.fxiaoke.paging import by_modification

Row = dict[str, Any]


class Script:
    """Answers each query with the next scripted page, recording the query."""

    def __init__(self, pages: Sequence[list[Row]]) -> None:
        self.pages = list(pages)
        self.calls: list[tuple[list[Filter], list[tuple[str, bool]]]] = []

    def __call__(
        self, filters: Sequence[Filter], orders: Sequence[tuple[str, bool]], limit: int
    ) -> list[Row]:
        self.calls.append((list(filters), list(orders)))
        return self.pages[len(self.calls) - 1]


def row(row_id: str, modified: object) -> Row:
    return {"_id": row_id, "last_modified_time": modified}


def drain(script: Script, since: int | None, handed: list[list[str]]) -> None:
    for page in by_modification(script, since, limit=2):
        handed.append([r["_id"] for r in page])


def test_a_tie_walk_whose_id_keyset_does_not_advance_fails_before_that_pages_rows_go_on() -> None:
    tied = [row("a", 5), row("b", 5)]
    script = Script([tied, tied, tied])  # the tie walk's `_id GT b` is ignored: a, b again
    handed: list[list[str]] = []

    with pytest.raises(FatalApiError, match="paging by _id did not advance past b"):
        drain(script, None, handed)

    assert handed == [["a", "b"]]
    assert script.calls[1] == ([Filter("last_modified_time", "EQ", ("5",))], [("_id", True)])
    assert script.calls[2][0][-1] == Filter("_id", "GT", ("b",))


def test_a_row_without_a_modification_time_fails_before_any_row_of_its_page_goes_on() -> None:
    script = Script([[row("a", 1), row("b", 2)], [row("c", 3), row("d", None)]])
    handed: list[list[str]] = []

    with pytest.raises(FatalApiError, match="row d has no usable last_modified_time"):
        drain(script, None, handed)

    assert handed == [["a", "b"]]


def test_a_full_page_older_than_the_lower_bound_goes_on_and_then_paging_stops_with_an_error() -> None:
    script = Script([[row("a", 1), row("b", 2)]])  # `last_modified_time GTE 7` ignored
    handed: list[list[str]] = []

    with pytest.raises(FatalApiError, match="rows came back older than 7"):
        drain(script, 7, handed)

    assert handed == [["a", "b"]]
    assert script.calls == [
        ([Filter("last_modified_time", "GTE", ("7",))], [("last_modified_time", True), ("_id", True)])
    ]


def test_rows_already_seen_at_the_lower_bound_are_not_handed_on_again() -> None:
    script = Script([[row("a", 1), row("b", 2)], [row("b", 2), row("c", 3)], [row("d", 4)]])
    handed: list[list[str]] = []

    drain(script, None, handed)

    assert handed == [["a", "b"], ["c"], ["d"]]
    assert [filters for filters, _ in script.calls] == [
        [],
        [Filter("last_modified_time", "GTE", ("2",))],
        [Filter("last_modified_time", "GTE", ("3",))],
    ]


class Repeating(Script):
    """A vendor that ignores `last_modified_time GTE`: every query gets the same full page (its last row
    exactly at the bound the next query asks from). Stops the test after `budget` calls instead of
    looping with the paginator."""

    def __init__(self, page: list[Row], budget: int = 20) -> None:
        super().__init__([page] * budget)


def test_a_vendor_ignoring_gte_with_a_full_page_ending_at_the_bound_stops_and_hands_nothing_twice() -> None:
    script = Repeating([row("a", 1), row("b", 2)])
    handed: list[list[str]] = []

    with pytest.raises(FatalApiError, match=r"^Fxiaoke ignored the last_modified_time GTE 2 filter"):
        drain(script, None, handed)

    assert handed == [["a", "b"]]  # the first page once; "a" never again
    assert len(script.calls) == 2
    assert script.calls[1][0] == [Filter("last_modified_time", "GTE", ("2",))]


def test_a_vendor_ignoring_gte_after_a_tie_walk_stops_instead_of_walking_the_millisecond_again() -> None:
    tied = [row("a", 5), row("b", 5)]
    script = Script([tied, tied, [], tied])  # the walk (EQ 5, then _id GT b) is fine; GTE 6 is ignored
    handed: list[list[str]] = []

    with pytest.raises(FatalApiError, match=r"^Fxiaoke ignored the last_modified_time GTE 6 filter"):
        drain(script, None, handed)

    assert handed == [["a", "b"]]
    assert script.calls[3][0] == [Filter("last_modified_time", "GTE", ("6",))]


def test_a_page_not_past_the_bound_from_since_goes_on_once_then_paging_stops() -> None:
    script = Repeating([row("a", 3), row("b", 7)])  # `GTE 7` ignored; the page ends at the bound
    handed: list[list[str]] = []

    with pytest.raises(FatalApiError, match=r"^Fxiaoke ignored the last_modified_time GTE 7 filter"):
        drain(script, 7, handed)

    assert handed == [["a", "b"]]
    assert len(script.calls) == 1


def test_rows_older_than_the_bound_on_a_later_short_page_are_refused_before_they_go_on() -> None:
    script = Script([[row("a", 1), row("b", 2)], [row("b", 2), row("c", 3)], [row("a", 1)]])
    handed: list[list[str]] = []

    with pytest.raises(FatalApiError, match=r"^Fxiaoke ignored the last_modified_time GTE 3 filter"):
        drain(script, None, handed)

    assert handed == [["a", "b"], ["c"]]
