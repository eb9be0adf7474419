"""`MatchList`: a rule run's matches, a million one-to-one pairs held without a `Match` each.

Nearly every match of a large run is one left row with one right row found by a key. As `Match` tuples
each such pair cost two one-row tuples and the `Match` itself (about 220 bytes; 1,000,000 × 1,000,000:
a quarter of a gigabyte held until the run is saved and reported). Here a plain pair is its two rows
and its `how` in three parallel lists (24 bytes); any other match (several rows a side, or a scored
pair's `why`) is kept as its `Match`. Reading gives the very `Match` values, in the order they were
added (tests/unit/reconcile/test_match_list.py holds that against a list of the `Match` tuples).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from reconcile.compact_sequence import CompactSequence
from reconcile.result import Match, Why
from store.ledger_rows import LedgerRow

Link = tuple[int, LedgerRow, LedgerRow, str, Why | None]
"""(position, left row, right row, how, why): one pair of rows of a match, as persistence reads them."""


class MatchList(CompactSequence[Match]):
    """An append-only sequence of `Match`: plain one-to-one pairs compact, the others as given.

    Equal to any sequence of the same `Match` values (so `result.matches == ()` still reads as it did when
    matches were a tuple). Not hashable, like a list."""

    __slots__ = ("_how", "_left", "_right")

    def __init__(self, matches: Sequence[Match] = ()) -> None:
        self._left: list[Any] = []
        """Per match: its left row (a plain pair), or the whole `Match`."""
        self._right: list[LedgerRow | None] = []
        """Per match: its right row (a plain pair), or None (the `Match` is in `_left`)."""
        self._how: list[str | None] = []
        for found in matches:
            self.append(found)

    def add_pair(self, left: LedgerRow, right: LedgerRow, how: str) -> None:
        """Append `Match((left,), (right,), how)` without making it."""
        self._left.append(left)
        self._right.append(right)
        self._how.append(how)

    def append(self, found: Match) -> None:
        if found.why is None and len(found.left) == 1 and len(found.right) == 1:
            self.add_pair(found.left[0], found.right[0], found.how)
        else:
            self._left.append(found)
            self._right.append(None)
            self._how.append(None)

    def __len__(self) -> int:
        return len(self._left)

    def _item(self, k: int) -> Match:
        right = self._right[k]
        if right is None:
            found: Match = self._left[k]
            return found
        how = self._how[k]
        assert how is not None
        return Match((self._left[k],), (right,), how)

    def __iter__(self) -> Iterator[Match]:
        for left, right, how in zip(self._left, self._right, self._how, strict=True):
            yield left if right is None else Match((left,), (right,), how)  # type: ignore[arg-type]

    def links(self) -> Iterator[Link]:
        """Every (left row, right row) of every match with the match's position, `how` and `why`, in
        order — what persistence writes — without making a `Match` for a plain pair."""
        for k, (left, right, how) in enumerate(zip(self._left, self._right, self._how, strict=True)):
            if right is not None:
                yield k, left, right, how, None  # type: ignore[misc]
                continue
            found: Match = left
            for one in found.left:
                for other in found.right:
                    yield k, one, other, found.how, found.why


def links_of(matches: Sequence[Match]) -> Iterator[Link]:
    """`MatchList.links` for any sequence of matches (settlement and collections runs build tuples)."""
    if isinstance(matches, MatchList):
        yield from matches.links()
        return
    for k, found in enumerate(matches):
        for one in found.left:
            for other in found.right:
                yield k, one, other, found.how, found.why


__all__ = ["Link", "MatchList", "links_of"]
