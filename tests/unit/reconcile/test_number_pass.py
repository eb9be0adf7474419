"""The `number` key's lean pass gives the pairs and groups of the general key path, on any board."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from reconcile.passes import Board, _key_edges, _pairs_and_groups, exact_pass, normalized_numbers
from store.ledger_rows import LedgerRow

_side = st.lists(
    st.tuples(st.sampled_from(["INV-1", "inv 1", "INV-2", "INV-3", "X", None]), st.booleans(), st.booleans()),
    max_size=9,
)


def _rows(source: str, spec: list[tuple[str | None, bool, bool]]) -> tuple[list[LedgerRow], bytearray]:
    rows = [
        LedgerRow(source, "invoice", f"{source}{n}", number, deleted=dead)
        for n, (number, dead, _) in enumerate(spec)
    ]
    return rows, bytearray(taken for _, _, taken in spec)


@settings(max_examples=400, deadline=None)
@given(_side, _side)
def test_the_number_pass_equals_the_general_key_path(left_spec: list, right_spec: list) -> None:  # type: ignore[type-arg]
    left, left_taken = _rows("l", left_spec)
    right, right_taken = _rows("r", right_spec)
    board = Board(left, right)
    board.left_taken[:], board.right_taken[:] = left_taken, right_taken
    left_norm, right_norm = normalized_numbers(left), normalized_numbers(right)
    # The general path: every free row's key value through the key functions, an edge per row.
    general = _pairs_and_groups(_key_edges(board, "number", left_norm, right_norm))
    assert exact_pass(board, "number", left_norm, right_norm) == general
