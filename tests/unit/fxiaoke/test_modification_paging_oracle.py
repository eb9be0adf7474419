"""`ByModification` on the stream kit asks for the same pages and hands on the same rows, with the same
errors at the same moment, as the generator it replaced (kept here, verbatim, as the oracle), for any
rows, ties, page size, starting point and misbehaving vendor (one that ignores filters or orders).

Except where the oracle loops forever (a vendor ignoring `GTE` whose full page does not pass the bound:
it asks for the same page again and again, handing its older rows on each time). There the comparison
stops where the paginator stops: it must have asked for the first pages the oracle asked for and handed
on the first pages the oracle handed on, no row twice, and stopped with the error naming what Fxiaoke
did. "Loops forever" is decided by running the oracle with a budget ten times what any honest pass of
these datasets needs."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from operator import itemgetter
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from connectors.errors import FatalApiError
from connectors.fxiaoke.api import Filter
from connectors.fxiaoke.paging import MODIFIED, Fetch, Row, by_id, by_modification, modified_ms


def oracle(fetch: Fetch, since_ms: int | None, *, limit: int) -> Iterator[list[Row]]:
    """connectors/fxiaoke/paging.py's `by_modification` before issue 16, unchanged."""
    lower = since_ms
    seen_at_lower: set[str] = set()
    while True:
        filters = [Filter(MODIFIED, "GTE", (str(lower),))] if lower is not None else []
        rows = fetch(filters, [(MODIFIED, True), ("_id", True)], limit)
        times = [modified_ms(r) for r in rows]
        if len(rows) == limit and times[0] == times[-1]:
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


class OutOfScript(Exception):
    """The fake vendor's call budget is spent (a vendor ignoring filters can page forever)."""


class Vendor:
    """An in-memory `data/query` that may ignore some filter operators or the secondary order."""

    def __init__(
        self, rows: list[Row], ignored: frozenset[str], secondary_order: bool, budget: int = 40
    ) -> None:
        self.rows, self.ignored, self.secondary_order = rows, ignored, secondary_order
        self.budget = budget
        self.calls: list[tuple[list[Filter], list[tuple[str, bool]], int]] = []

    def __call__(
        self, filters: Sequence[Filter], orders: Sequence[tuple[str, bool]], limit: int
    ) -> list[Row]:
        self.calls.append((list(filters), list(orders), limit))
        if len(self.calls) > self.budget:
            raise OutOfScript
        honoured = [f for f in filters if f.operator not in self.ignored]
        selected = [r for r in self.rows if all(_match(r, f) for f in honoured)]
        for name, ascending in reversed(orders if self.secondary_order else orders[:1]):
            selected.sort(key=itemgetter(name), reverse=not ascending)
        return [dict(r) for r in selected[:limit]]


def _match(row: Row, f: Filter) -> bool:
    value = row[f.field_name]
    wanted = [type(value)(v) for v in f.values]
    if f.operator == "EQ":
        return bool(value == wanted[0])
    return bool(value > wanted[0]) if f.operator == "GT" else bool(value >= wanted[0])


def run(read: Callable[..., Iterator[list[Row]]], vendor: Vendor, since: int | None, limit: int) -> Any:
    handed: list[list[str]] = []
    outcome = "done"
    try:
        for page in read(vendor, since, limit=limit):
            handed.append([r["_id"] for r in page])
    except (FatalApiError, OutOfScript) as exc:
        outcome = f"{type(exc).__name__}: {exc}"
    return vendor.calls, handed, outcome


@settings(max_examples=300, deadline=None)
@given(
    times=st.lists(st.integers(min_value=0, max_value=12), max_size=40),
    limit=st.integers(min_value=1, max_value=8),
    since=st.one_of(st.none(), st.integers(min_value=0, max_value=12)),
    ignored=st.frozensets(st.sampled_from(["GTE", "EQ", "GT"])),
    secondary=st.booleans(),
)
def test_the_kit_paginator_sends_and_hands_on_exactly_what_the_generator_did(
    times: list[int], limit: int, since: int | None, ignored: frozenset[str], secondary: bool
) -> None:
    rows = [{"_id": f"{i:04x}", "last_modified_time": t} for i, t in enumerate(times)]

    before = run(oracle, Vendor(rows, ignored, secondary), since, limit)
    after = run(by_modification, Vendor(rows, ignored, secondary), since, limit)

    if before == after:
        return
    # Only where the oracle loops forever may the paginator differ, and only by stopping early.
    assert run(oracle, Vendor(rows, ignored, secondary, budget=400), since, limit)[2].startswith(
        "OutOfScript"
    )
    calls, handed, outcome = after
    assert outcome.startswith("FatalApiError: Fxiaoke ignored the last_modified_time GTE ")
    assert calls == before[0][: len(calls)]
    assert handed == before[1][: len(handed)]
    ids = [row_id for page in handed for row_id in page]
    assert len(ids) == len(set(ids))
