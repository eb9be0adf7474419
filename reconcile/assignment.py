"""One best one-to-one assignment of a small group of scored candidates, and which of its pairs are clear.

A group is the connected set of left and right documents that the scored pass found as candidates of
each other. `settle` chooses the assignment (a set of pairs, no document twice) with the best total
score, by the Hungarian algorithm, and then keeps only the pairs that no close alternative disputes: a
chosen pair is *contested* when some assignment that pairs one of its two documents with another
document totals within `margin` of the best. Contested pairs are not taken (the caller reports their
documents as `ambiguous_match`). Whether a pair is contested does not depend on which of several
equally good assignments the algorithm happened to find (see ADR 0018), so the outcome does not
depend on input order either; the caller also hands the group over in a canonical order.

Scores are integers (hundredths of a point): sums are exact, ties are ties.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

Edge = tuple[int, int]
"""(left position, right position) inside one group."""

_INF = 1 << 62


@dataclass(frozen=True)
class Settled:
    """The outcome for one group: the pairs taken, and the chosen assignment's total with the best
    total of an assignment that pairs one of its documents differently (None when there is none)."""

    pairs: tuple[Edge, ...]
    contested: tuple[Edge, ...]
    best_total: int
    runner_up: int | None


def best_assignment(
    n_left: int, n_right: int, weights: Mapping[Edge, int], *, without: frozenset[int] = frozenset()
) -> tuple[int, list[Edge]]:
    """The maximum-total one-to-one assignment over the positive `weights` (absent edge = no pair).

    `without` removes documents: left positions as themselves, right positions as ~j (negative). The
    Hungarian algorithm on the square matrix padded with zeros: a zero cell is "unpaired", so a
    maximum of the padded problem is a maximum-weight matching of the real one.
    """
    lefts = [i for i in range(n_left) if i not in without]
    rights = [j for j in range(n_right) if ~j not in without]
    n = max(len(lefts), len(rights))
    if n == 0:
        return 0, []
    # cost[r][c] (1-based for the algorithm below) = -weight: minimizing cost maximizes weight.
    cost = [[0] * (n + 1) for _ in range(n + 1)]
    for r, i in enumerate(lefts, 1):
        row = cost[r]
        for c, j in enumerate(rights, 1):
            w = weights.get((i, j))
            if w is not None:
                row[c] = -w
    match_of_col = _hungarian(cost, n)
    pairs: list[Edge] = []
    total = 0
    for c in range(1, n + 1):
        r = match_of_col[c]
        if r == 0 or r > len(lefts) or c > len(rights):
            continue
        edge = (lefts[r - 1], rights[c - 1])
        w = weights.get(edge)
        if w is not None:
            pairs.append(edge)
            total += w
    return total, sorted(pairs)


def settle(n_left: int, n_right: int, weights: Mapping[Edge, int], margin: int) -> Settled:
    """The best assignment of one group, split into clear pairs and contested ones (see the module)."""
    best_total, chosen = best_assignment(n_left, n_right, weights)
    by_left: dict[int, list[Edge]] = {}
    by_right: dict[int, list[Edge]] = {}
    for edge in sorted(weights):
        by_left.setdefault(edge[0], []).append(edge)
        by_right.setdefault(edge[1], []).append(edge)
    containing: dict[Edge, int] = {}

    def best_with(edge: Edge) -> int:
        """The best total of an assignment that contains `edge`."""
        if edge not in containing:
            rest, _ = best_assignment(n_left, n_right, weights, without=frozenset((edge[0], ~edge[1])))
            containing[edge] = weights[edge] + rest
        return containing[edge]

    clear: list[Edge] = []
    contested: list[Edge] = []
    runner_up: int | None = None
    for pair in chosen:
        rivals = [e for e in (*by_left[pair[0]], *by_right[pair[1]]) if e != pair]
        best_rival = max((best_with(e) for e in rivals), default=None)
        if best_rival is not None:
            runner_up = best_rival if runner_up is None else max(runner_up, best_rival)
        if best_rival is not None and best_total - best_rival < margin:
            contested.append(pair)
        else:
            clear.append(pair)
    return Settled(tuple(clear), tuple(contested), best_total, runner_up)


def _hungarian(cost: list[list[int]], n: int) -> list[int]:
    """Minimum-cost perfect assignment of the 1-based n x n `cost` matrix (the classic O(n^3) form
    with row and column potentials); returns column -> row."""
    u = [0] * (n + 1)
    v = [0] * (n + 1)
    match_of_col = [0] * (n + 1)  # column -> row (0 = none)
    way = [0] * (n + 1)
    for r in range(1, n + 1):
        match_of_col[0] = r
        col = 0
        minv = [_INF] * (n + 1)
        used = [False] * (n + 1)
        while True:
            used[col] = True
            row_now = match_of_col[col]
            delta, next_col = _INF, 0
            costs, u_row = cost[row_now], u[row_now]
            for c in range(1, n + 1):
                if used[c]:
                    continue
                reduced = costs[c] - u_row - v[c]
                if reduced < minv[c]:
                    minv[c], way[c] = reduced, col
                if minv[c] < delta:
                    delta, next_col = minv[c], c
            for c in range(n + 1):
                if used[c]:
                    u[match_of_col[c]] += delta
                    v[c] -= delta
                else:
                    minv[c] -= delta
            col = next_col
            if match_of_col[col] == 0:
                break
        while col:
            previous = way[col]
            match_of_col[col] = match_of_col[previous]
            col = previous
    return match_of_col
