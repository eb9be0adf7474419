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
