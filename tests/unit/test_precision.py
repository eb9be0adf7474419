"""bench.precision's scoring: a finding counts only when rule, type and documents are what was planted."""

from __future__ import annotations

from collections import Counter

from bench.precision import Finding, score


def finding(rule: str, kind: str, left: tuple[str, ...], right: tuple[str, ...] = ()) -> Finding:
    return (rule, kind, frozenset(left), frozenset(right))


def test_a_finding_on_other_documents_is_both_a_false_positive_and_a_missed_plant() -> None:
    planted = Counter([
        finding("r", "amount_mismatch", ("a",), ("b",)),
        finding("r", "amount_mismatch", ("c",), ("d",)),
        finding("r", "underpaid", ("e",), ("f",)),
    ])  # fmt: skip
    found = [
        finding("r", "amount_mismatch", ("a",), ("b",)),
        finding("r", "amount_mismatch", ("c",), ("x",)),
        finding("other", "underpaid", ("e",), ("f",)),
    ]
    scores = {s.kind: s for s in score(found, planted)}
    mismatch = scores["amount_mismatch"]
    assert (mismatch.true_positives, mismatch.false_positives, mismatch.false_negatives) == (1, 1, 1)
    assert mismatch.precision == mismatch.recall == 0.5
    assert scores["underpaid"].precision == 0.0
    assert scores["underpaid"].recall == 0.0
    assert scores["duplicate"].precision is None
    assert scores["duplicate"].recall is None
    total = scores["all"]
    assert (total.true_positives, total.false_positives, total.false_negatives) == (1, 2, 2)
