"""A rule run's `MatchList` (plain pairs held as two rows and a `how`, reconcile/match_list.py) reads as the
tuple of `Match` values it replaced: the same values in the same order by iteration, index, negative
index and slice, equal to that tuple both ways, and the same links (position, rows, how, why) as the
pairs persistence wrote when every match was a `Match` tuple."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reconcile.match_list import MatchList, links_of
from reconcile.matching import match
from reconcile.result import Match, MatchResult, Why
from store.ledger_rows import LedgerRow
from sync.reconcile_job import _links
from tests.unit.reconcile.helpers import invoice, match_rule

_ROWS = [LedgerRow("l", "invoice", f"l{n}", doc_id=n) for n in range(6)] + [
    LedgerRow("r", "invoice", f"r{n}", doc_id=None if n == 5 else 100 + n) for n in range(6)
]
_side = st.lists(st.sampled_from(_ROWS), min_size=1, max_size=3).map(tuple)
_why = st.none() | st.builds(
    Why, st.integers(0, 4000), st.integers(0, 2000), st.integers(0, 2000), st.just(0)
)
_match = st.builds(Match, _side, _side, st.sampled_from(["number", "fuzzy", "aggregate", "manual"]), _why)


@settings(max_examples=300, deadline=None)
@given(st.lists(_match, max_size=12))
def test_a_match_list_reads_as_the_tuple_of_its_matches(matches: list[Match]) -> None:
    expected = tuple(matches)
    compact = MatchList(matches)
    assert len(compact) == len(expected)
    assert tuple(compact) == expected
    assert compact == expected
    assert expected == compact
    assert all(
        compact[k] == expected[k] and compact[-k - 1] == expected[-k - 1] for k in range(len(expected))
    )
    assert compact[1:-1] == expected[1:-1]
    assert compact[::2] == expected[::2]
    naive = [
        (k, one, other, found.how, found.why)
        for k, found in enumerate(expected)
        for one in found.left
        for other in found.right
    ]
    assert list(links_of(compact)) == naive == list(links_of(expected))


@settings(max_examples=200, deadline=None)
@given(st.lists(_match, max_size=12))
def test_persisted_links_are_those_of_the_match_tuples(matches: list[Match]) -> None:
    """`_links` (what save_run writes) from a MatchList equals the links the tuple of Matches gave."""

    def result(found: object) -> MatchResult:
        return MatchResult(matches=found, discrepancies=(), bridge=None, left_count=0, right_count=0)  # type: ignore[arg-type]

    before = []  # the loop over Match tuples that _links ran before the match list
    for group_no, found in enumerate(matches):
        why = None if found.why is None else json.dumps(found.why.to_json(), sort_keys=True)
        for left in found.left:
            for right in found.right:
                if left.doc_id is not None and right.doc_id is not None:
                    before.append((group_no, left.doc_id, right.doc_id, found.how, why))
    assert _links(result(MatchList(matches))) == before == _links(result(tuple(matches)))


def test_an_empty_match_list_is_an_empty_tuple_and_not_hashable() -> None:
    empty: tuple[Match, ...] = ()
    assert MatchList() == empty
    assert empty == MatchList()  # tuple.__eq__ gives way to MatchList.__eq__
    assert MatchList() != (Match((), (), "x"),)
    with pytest.raises(IndexError):
        MatchList()[0]
    with pytest.raises(TypeError):
        hash(MatchList())


def test_match_returns_its_plain_pairs_compactly_and_every_other_match_whole() -> None:
    crm = [invoice("crm", "c1", "INV-1", "100.00"), invoice("crm", "c2", "INV-2", "50.00")]
    books = [invoice("books", "b1", "INV-1", "100.00"), invoice("books", "b2", "INV-2", "50.00")]
    result = match(crm, books, match_rule())
    assert isinstance(result.matches, MatchList)
    assert [(m.left[0].external_id, m.right[0].external_id, m.how, m.why) for m in result.matches] == [
        ("c1", "b1", "number", None),
        ("c2", "b2", "number", None),
    ]
