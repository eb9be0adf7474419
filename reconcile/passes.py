"""The matching passes over what is still unmatched: exact keys, scored candidates, aggregates.

Each pass uses hash indexes or a sorted amount index (blocking), never all pairs, so a million
documents a side match in seconds. A pass never picks "the first" of several equal candidates: the
documents of an unresolved group are returned as ambiguous. The scored pass chooses, per connected
group of candidates, the one best assignment (reconcile/assignment.py).
"""

from __future__ import annotations

import bisect
from array import array
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field

from config.rules import CrossKey, MatchRule
from reconcile.assignment import settle
from reconcile.compact_sequence import CompactSequence
from reconcile.findings import Tolerances
from reconcile.match_keys import normalize_number, normalize_party
from reconcile.party_aliases import NO_ALIASES, PartyAliases
from reconcile.result import Why
from store.ledger_rows import LedgerRow

Pair = tuple[int, int]
Group = tuple[tuple[int, ...], tuple[int, ...]]
"""Indexes of left rows and right rows that belong together (a match, or an ambiguous group)."""


class PairList(CompactSequence[Pair]):
    """One-to-one pairs held as two arrays of row indexes: 16 bytes a pair where a list of `Pair` tuples
    takes about 144 (the tuple and its two ints; a million pairs in the `number` pass). Reads as that
    list: the same pairs in order, and equal to it."""

    __slots__ = ("_left", "_right")

    def __init__(self, pairs: Iterable[Pair] = ()) -> None:
        self._left = array("q")
        self._right = array("q")
        for i, j in pairs:
            self.add(i, j)

    def add(self, i: int, j: int) -> None:
        self._left.append(i)
        self._right.append(j)

    def __len__(self) -> int:
        return len(self._left)

    def _item(self, k: int) -> Pair:
        return self._left[k], self._right[k]

    def __iter__(self) -> Iterator[Pair]:
        return zip(self._left, self._right, strict=True)


@dataclass
class Board:
    """Which rows are taken so far, and which pairs a person has forbidden (manual unmatch)."""

    left: Sequence[LedgerRow]
    right: Sequence[LedgerRow]
    forbidden: frozenset[tuple[str, str]] = frozenset()
    left_taken: bytearray = field(init=False)
    right_taken: bytearray = field(init=False)

    def __post_init__(self) -> None:
        self.left_taken = bytearray(len(self.left))
        self.right_taken = bytearray(len(self.right))

    def take(self, group: Group) -> None:
        for i in group[0]:
            self.left_taken[i] = 1
        for j in group[1]:
            self.right_taken[j] = 1

    def free_left(self) -> Iterable[int]:
        return (i for i, taken in enumerate(self.left_taken) if not taken)

    def free_right(self) -> Iterable[int]:
        return (j for j, taken in enumerate(self.right_taken) if not taken)

    def allowed(self, i: int, j: int) -> bool:
        if not self.forbidden:
            return True
        return (self.left[i].key_text, self.right[j].key_text) not in self.forbidden


# ----------------------------------------------------------------------------- duplicates


def duplicate_groups(
    board: Board, left_norm: Sequence[str | None], right_norm: Sequence[str | None]
) -> list[Group]:
    """Live documents sharing a normalized number on one side, with the other side's documents of that
    number: never paired silently, each group is one `duplicate` finding."""
    left_seen, left_many = _index_live(board.left, left_norm, board.left_taken)
    right_seen, right_many = _index_live(board.right, right_norm, board.right_taken)

    def members(number: str, seen: dict[str, int], many: dict[str, list[int]]) -> tuple[int, ...]:
        if number in many:
            return tuple(many[number])
        return (seen[number],) if number in seen else ()

    return [
        (members(number, left_seen, left_many), members(number, right_seen, right_many))
        for number in sorted(set(left_many) | set(right_many))
    ]


def _index_live(
    rows: Sequence[LedgerRow], norm: Sequence[str | None], taken: bytearray
) -> tuple[dict[str, int], dict[str, list[int]]]:
    """(number -> first row, number -> all rows for numbers used more than once), live rows only."""
    seen: dict[str, int] = {}
    many: dict[str, list[int]] = {}
    for i, number in enumerate(norm):
        if number is None or taken[i] or rows[i].deleted:
            continue
        first = seen.setdefault(number, i)
        if first != i:
            many.setdefault(number, [first]).append(i)
    return seen, many


# ----------------------------------------------------------------------------- exact keys


def exact_pass(
    board: Board, key: str | CrossKey, left_norm: Sequence[str | None], right_norm: Sequence[str | None]
) -> tuple[Sequence[Pair], list[Group]]:
    """Pairs the free rows that share a key value. Returns one-to-one pairs and the other groups
    (one-to-many through a reference = aggregate; many-to-many = ambiguous), for the caller to sort."""
    if key == "number" and not board.forbidden:
        return _number_pass(board, left_norm, right_norm)
    return _pairs_and_groups(_key_edges(board, key, left_norm, right_norm))


def _pairs_and_groups(edges: list[tuple[int, list[int]]]) -> tuple[list[Pair], list[Group]]:
    right_degree: dict[int, int] = defaultdict(int)
    for _, candidates in edges:
        for j in candidates:
            right_degree[j] += 1
    pairs: list[Pair] = []
    rest: list[Pair] = []
    for i, candidates in edges:
        if len(candidates) == 1 and right_degree[candidates[0]] == 1:
            pairs.append((i, candidates[0]))
        else:
            rest.extend((i, j) for j in candidates)
    return pairs, components(rest)


def _number_pass(
    board: Board, left_norm: Sequence[str | None], right_norm: Sequence[str | None]
) -> tuple[Sequence[Pair], list[Group]]:
    """The `number` key without overrides: the pairs and groups of the general path, without an edge,
    a candidate list and a degree per row. Edges join only rows of one number, so each number is
    settled on its own: one free row a side is a pair (a million of them); any other number takes the
    general path's rules (live candidates preferred, a right row claimed by a live and a deleted left
    row belongs to the live one)."""
    first: dict[str, int] = {}
    many: dict[str, list[int]] = {}
    setdefault = first.setdefault
    for j, taken in enumerate(board.right_taken):
        value = right_norm[j]
        if not taken and value is not None:
            seen = setdefault(value, j)
            if seen != j:
                many.setdefault(value, [seen]).append(j)
    # Left rows claiming each number, counted on its first free right row (0, 1, or 2 for "more"): a
    # byte per right row instead of a dict entry per number.
    claims = bytearray(len(board.right_taken))
    find = first.get
    for i, taken in enumerate(board.left_taken):
        value = left_norm[i]
        if not taken and value is not None and (at := find(value)) is not None and claims[at] < 2:
            claims[at] += 1
    pairs = PairList()
    add = pairs.add
    edges: list[tuple[int, list[int]]] = []  # the numbers with more than one free row on a side
    for i, taken in enumerate(board.left_taken):
        value = left_norm[i]
        if taken or value is None or (at := find(value)) is None:
            continue
        if claims[at] == 1 and value not in many:
            add(i, at)
            continue
        found = many.get(value)
        edges.append((i, [at] if found is None else _prefer_live(board, found)))
    if not edges:
        return pairs, []
    if any(board.left[i].deleted for i, _ in edges):
        edges = _prefer_live_left(board, edges)
    more, groups = _pairs_and_groups(edges)
    if more:
        return sorted([*pairs, *more]), groups
    return pairs, groups


def _key_edges(
    board: Board, key: str | CrossKey, left_norm: Sequence[str | None], right_norm: Sequence[str | None]
) -> list[tuple[int, list[int]]]:
    left_value, right_value, right_back = _key_functions(key, board, left_norm, right_norm)
    index: dict[str, list[int]] = {}
    back: dict[str, list[int]] = {}
    for j in board.free_right():
        value = right_value(j)
        if value is not None:
            index.setdefault(value, []).append(j)
        if right_back is not None:
            ref = right_back(j)
            if ref is not None:
                back.setdefault(ref, []).append(j)
    edges: list[tuple[int, list[int]]] = []
    for i in board.free_left():
        value = left_value(i)
        found = index.get(value) if value is not None else None
        if right_back is not None:
            extra = back.get(board.left[i].external_id)
            if extra:
                found = list(dict.fromkeys([*(found or ()), *extra]))
        if not found:
            continue
        if board.forbidden:
            found = [j for j in found if board.allowed(i, j)]
        if len(found) > 1:
            found = _prefer_live(board, found)
        if found:
            edges.append((i, found))
    if any(board.left[i].deleted for i, _ in edges):
        return _prefer_live_left(board, edges)
    return edges


def _key_functions(
    key: str | CrossKey, board: Board, left_norm: Sequence[str | None], right_norm: Sequence[str | None]
) -> tuple[Callable[[int], str | None], Callable[[int], str | None], Callable[[int], str | None] | None]:
    """(left value, right value, right back-reference) for one key of the rule."""
    left, right = board.left, board.right
    if isinstance(key, CrossKey):
        normalize = key.normalizes
        return (
            _field_value(key.left, left, left_norm, normalize=normalize),
            _field_value(key.right, right, right_norm, normalize=normalize),
            None,
        )
    if key == "number":
        return left_norm.__getitem__, right_norm.__getitem__, None
    if key == "external_id":
        return (lambda i: left[i].external_id), (lambda j: right[j].external_id), None
    if not key.startswith("references."):
        raise ValueError(f"unknown key {key!r}")
    name = key.removeprefix("references.")
    # references.<name>: one side's reference equals the other side's external id, either direction.
    return (lambda i: _ref(left[i], name)), (lambda j: right[j].external_id), (lambda j: _ref(right[j], name))


def _field_value(
    field: str, rows: Sequence[LedgerRow], norm: Sequence[str | None], *, normalize: bool
) -> Callable[[int], str | None]:
    """One side's value of a cross-field key; normalized as a document number when the key says so
    (the CRM's INV-000123 kept in a Books reference as ＩＮＶ－000123 is the same key)."""
    if field == "number":
        if normalize and len(norm) == len(rows):
            return norm.__getitem__
        return (lambda i: normalize_number(rows[i].number)) if normalize else (lambda i: rows[i].number)
    if field == "external_id":
        if normalize:
            return lambda i: normalize_number(rows[i].external_id)
        return lambda i: rows[i].external_id
    name = field.removeprefix("references.")
    if normalize:
        return lambda i: normalize_number(_ref(rows[i], name))
    return lambda i: _ref(rows[i], name)


def _ref(row: LedgerRow, name: str) -> str | None:
    return row.references.get(name) if row.references else None


def _prefer_live(board: Board, candidates: list[int]) -> list[int]:
    live = [j for j in candidates if not board.right[j].deleted]
    return live or candidates


def _prefer_live_left(board: Board, edges: list[tuple[int, list[int]]]) -> list[tuple[int, list[int]]]:
    """A right row claimed by a live and a deleted left row belongs to the live one."""
    live_claims: set[int] = set()
    for i, candidates in edges:
        if not board.left[i].deleted:
            live_claims.update(candidates)
    result = []
    for i, candidates in edges:
        kept = [j for j in candidates if j not in live_claims] if board.left[i].deleted else candidates
        if kept:
            result.append((i, kept))
    return result


def components(edges: Iterable[Pair]) -> list[Group]:
    """Connected groups of a bipartite edge list (union-find), each as (left indexes, right indexes)."""
    parent: dict[tuple[int, int], tuple[int, int]] = {}

    def find(node: tuple[int, int]) -> tuple[int, int]:
        root = node
        while parent.setdefault(root, root) != root:
            root = parent[root]
        while parent[node] != root:
            parent[node], node = root, parent[node]
        return root

    for i, j in edges:
        a, b = find((0, i)), find((1, j))
        if a != b:
            parent[b] = a
    members: dict[tuple[int, int], tuple[list[int], list[int]]] = {}
    for node in list(parent):
        side, index = node
        members.setdefault(find(node), ([], []))[side].append(index)
    return sorted((tuple(sorted(ls)), tuple(sorted(rs))) for ls, rs in members.values())


# ----------------------------------------------------------------------------- scored candidates

AMOUNT_POINTS = 1000
"""Weights of the score's components, in hundredths of a point (docs/reconcile.md): amount closeness,"""
DATE_POINTS = 1000
"""date closeness,"""
PARTY_POINTS = 1000
"""party likeness above the rule's minimum,"""
REFERENCE_POINTS = 2000
"""and a number of one side found in a reference of the other."""
PAIR_POINTS = 100
"""What being paired at all is worth in the assignment: more pairs win when nothing else differs."""
GROUP_CAP = 10
"""More documents than this on one side of a group of candidates: ambiguous, not searched."""
_MIN_CONTAINED = 4
"""A number shorter than this (normalized) counts only when a reference is that number exactly."""

Scored = tuple[int, int, Why]


@dataclass(frozen=True)
class Scorer:
    """Gates candidate pairs on amount, date and party, and scores those that pass (`Why`)."""

    rule: MatchRule
    tolerances: Tolerances
    base_currency: str | None
    aliases: PartyAliases = NO_ALIASES
    """Party names declared equal (ADR 0029): aliased names are alike at 100."""

    def edges(self, board: Board) -> list[Scored]:
        window = self.rule.fuzzy.date_window_days
        amounts: list[tuple[int, int]] = []
        for j in board.free_right():
            row = board.right[j]
            amount = None if row.deleted else row.base_total(self.base_currency)
            if amount is not None:
                amounts.append((amount, j))
        amounts.sort()
        keys = [a for a, _ in amounts]
        scored: list[Scored] = []
        for i in board.free_left():
            row = board.left[i]
            amount = None if row.deleted else row.base_total(self.base_currency)
            if amount is None:
                continue
            limit = self.tolerances.limit(amount, amount) * 2 + 1
            lo, hi = bisect.bisect_left(keys, amount - limit), bisect.bisect_right(keys, amount + limit)
            for other, j in amounts[lo:hi]:
                candidate = board.right[j]
                if not self.tolerances.accepts(amount, other) or not board.allowed(i, j):
                    continue
                days = _days_apart(row, candidate)
                if days is not None and days > window:
                    continue
                likeness = self.aliases.score(row.party_name, candidate.party_name)
                if likeness < self.rule.fuzzy.min_party_score:
                    continue
                why = Why(
                    amount=self._amount_points(amount, other),
                    date=_share(DATE_POINTS, days, window) if days is not None else 0,
                    party=self._party_points(likeness),
                    reference=REFERENCE_POINTS if references_overlap(row, candidate) else 0,
                )
                scored.append((i, j, why))
        return scored

    def why(self, left: LedgerRow, right: LedgerRow) -> Why:
        """The score components of any two documents, as `edges` computes them but without its gates
        (a candidate outside the tolerance or the date window scores 0 on that component): what the
        web app's suggestions rank by (reconcile/suggestions.py)."""
        a, b = left.base_total(self.base_currency), right.base_total(self.base_currency)
        days = _days_apart(left, right)
        window = self.rule.fuzzy.date_window_days
        return Why(
            amount=0 if a is None or b is None else self._amount_points(a, b),
            date=_share(DATE_POINTS, days, window) if days is not None else 0,
            party=self._party_points(self.aliases.score(left.party_name, right.party_name)),
            reference=REFERENCE_POINTS if references_overlap(left, right) else 0,
        )

    def _amount_points(self, a: int, b: int) -> int:
        return _share(AMOUNT_POINTS, abs(a - b), self.tolerances.limit(a, b))

    def _party_points(self, likeness: float) -> int:
        floor = self.rule.fuzzy.min_party_score * 100
        return _share(PARTY_POINTS, 10_000 - round(likeness * 100), 10_000 - floor)


def _share(points: int, distance: int, limit: int) -> int:
    """`points` scaled down linearly with distance: all of them at 0, none at the limit (exact ints)."""
    if limit <= 0:
        return points if distance <= 0 else 0
    return max(0, points * (limit - distance) // limit)


def references_overlap(a: LedgerRow, b: LedgerRow) -> bool:
    """One side's number or external id found in a reference of the other (a payment's reference
    carrying the CRM's payment number, an invoice's memo naming the order), either direction."""
    return _found_in(a, b) or _found_in(b, a)


def _found_in(row: LedgerRow, other: LedgerRow) -> bool:
    if not other.references:
        return False
    values = other.references.values()
    if row.external_id in values:
        return True
    number = normalize_number(row.number)
    if number is None:
        return False
    for value in values:
        text = normalize_number(value)
        if text is not None and (text == number or (len(number) >= _MIN_CONTAINED and number in text)):
            return True
    return False


def _days_apart(a: LedgerRow, b: LedgerRow) -> int | None:
    if a.issued_on is None or b.issued_on is None:
        return None
    return abs((a.issued_on - b.issued_on).days)


@dataclass(frozen=True)
class Unresolved:
    """Documents of a group that the scored pass did not pair, and why: `close` (another assignment
    comes within the margin) or `too_many` (more than GROUP_CAP documents on a side)."""

    group: Group
    candidates: tuple[Scored, ...]
    reason: str
    best_total: int | None = None
    runner_up: int | None = None


def resolve_scored(
    board: Board, edges: Sequence[Scored], margin: float
) -> tuple[list[Scored], list[Unresolved]]:
    """Per connected group of candidates, the best one-to-one assignment by total score; a chosen pair
    is taken unless an assignment that pairs one of its documents differently totals within `margin`
    points. The rest of each group (candidates among documents not taken) is returned as unresolved."""
    margin_points = round(margin * 100)
    by_edge = {(i, j): why for i, j, why in edges}
    accepted: list[Scored] = []
    unresolved: list[Unresolved] = []
    for lefts, rights in components(by_edge):
        group_edges = [(i, j) for i in lefts for j in rights if (i, j) in by_edge]
        if len(group_edges) == 1:
            i, j = group_edges[0]
            accepted.append((i, j, by_edge[i, j]))
            continue
        candidates = tuple((i, j, by_edge[i, j]) for i, j in group_edges)
        if len(lefts) > GROUP_CAP or len(rights) > GROUP_CAP:
            unresolved.append(Unresolved((lefts, rights), candidates, "too_many"))
            continue
        # Canonical positions (by key text), so that nothing depends on the order of the input.
        left_order = sorted(lefts, key=lambda i: board.left[i].key_text)
        right_order = sorted(rights, key=lambda j: board.right[j].key_text)
        left_at = {i: n for n, i in enumerate(left_order)}
        right_at = {j: n for n, j in enumerate(right_order)}
        weights = {(left_at[i], right_at[j]): PAIR_POINTS + by_edge[i, j].total for i, j in group_edges}
        outcome = settle(len(left_order), len(right_order), weights, margin_points)
        taken_left: set[int] = set()
        taken_right: set[int] = set()
        for a, b in outcome.pairs:
            i, j = left_order[a], right_order[b]
            accepted.append((i, j, by_edge[i, j]))
            taken_left.add(i)
            taken_right.add(j)
        rest = [(i, j) for i, j in group_edges if i not in taken_left and j not in taken_right]
        for sub in components(rest):
            sub_left, sub_right = set(sub[0]), set(sub[1])
            sub_candidates = tuple(c for c in candidates if c[0] in sub_left and c[1] in sub_right)
            unresolved.append(Unresolved(sub, sub_candidates, "close", outcome.best_total, outcome.runner_up))
    accepted.sort(key=lambda c: (c[0], c[1]))
    return accepted, unresolved


# ----------------------------------------------------------------------------- aggregates


def aggregate_pass(
    board: Board, tolerances: Tolerances, base_currency: str | None, window: int
) -> list[Group]:
    """One document against several of the same party on the other side whose totals add up to it
    (an order invoiced in parts). Only whole groups: no subset search, so no guessing."""
    left_by_party = _by_party(board.left, board.free_left())
    right_by_party = _by_party(board.right, board.free_right())
    groups: list[Group] = []
    for party in sorted(set(left_by_party) & set(right_by_party)):
        lefts, rights = left_by_party[party], right_by_party[party]
        if len(lefts) == 1 and len(rights) > 1:
            one, many, rows_one, rows_many = lefts[0], rights, board.left, board.right
        elif len(rights) == 1 and len(lefts) > 1:
            one, many, rows_one, rows_many = rights[0], lefts, board.right, board.left
        else:
            continue
        if not all(board.allowed(*((one, m) if rows_one is board.left else (m, one))) for m in many):
            continue
        single = rows_one[one].base_total(base_currency)
        parts = [rows_many[m].base_total(base_currency) for m in many]
        if single is None or any(p is None for p in parts):
            continue
        if not tolerances.accepts(single, sum(p for p in parts if p is not None)):
            continue
        days = [_days_apart(rows_one[one], rows_many[m]) for m in many]
        if any(d is not None and d > window for d in days):
            continue
        group = ((one,), tuple(many)) if rows_one is board.left else (tuple(many), (one,))
        groups.append(group)
    return groups


def _by_party(rows: Sequence[LedgerRow], free: Iterable[int]) -> dict[str, list[int]]:
    result: dict[str, list[int]] = {}
    for i in free:
        row = rows[i]
        if row.deleted or not row.party_name:
            continue
        result.setdefault(normalize_party(row.party_name), []).append(i)
    return result


def normalized_numbers(rows: Sequence[LedgerRow]) -> list[str | None]:
    return [normalize_number(row.number) for row in rows]
