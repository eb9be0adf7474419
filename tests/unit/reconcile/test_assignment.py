"""The scored pass: every clue in the score, one best assignment per group, ambiguity only when close."""

from __future__ import annotations

import random
from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from config.loader import ConfigError, parse_config
from config.rules import CrossKey
from reconcile.assignment import best_assignment, settle
from reconcile.matching import match
from reconcile.result import Match, MatchContext, MatchResult, Why
from store.canonical import CanonicalDocument
from store.discrepancies import DiscrepancyType
from store.ledger_rows import LedgerRow
from tests.unit.reconcile.helpers import PAYMENTS, payment_on, types

CTX = MatchContext(base_currency="CNY")


def _twins(*, with_references: bool) -> tuple[list[CanonicalDocument], list[CanonicalDocument]]:
    """The issue's case: two payments of one customer, 11,077.28 on 8 Nov and 11,077.27 on 12 Nov, booked
    alike in both systems; Books numbers them its own way (and may keep the CRM's number as reference)."""
    crm = [
        payment_on("crm", "p1", "PAY-0001", "11077.28", 8),
        payment_on("crm", "p2", "PAY-0002", "11077.27", 12),
    ]
    refs = (
        [{"reference_number": "PAY-0001"}, {"reference_number": "PAY-0002"}] if with_references else [{}, {}]
    )
    books = [
        payment_on("books", "b1", "BP-551", "11077.28", 8, references=refs[0]),
        payment_on("books", "b2", "BP-552", "11077.27", 12, references=refs[1]),
    ]
    return crm, books


def _pairs(result: MatchResult) -> set[tuple[str, str, str]]:
    return {(m.left[0].external_id, m.right[0].external_id, m.how) for m in result.matches}


@pytest.mark.parametrize("with_references", [True, False])
def test_two_near_twin_payments_are_each_paired_with_their_exact_counterpart(with_references: bool) -> None:
    crm, books = _twins(with_references=with_references)
    result = match(crm, books, PAYMENTS, CTX)
    assert _pairs(result) == {("p1", "b1", "fuzzy"), ("p2", "b2", "fuzzy")}
    assert result.discrepancies == ()


def test_a_paired_candidate_carries_the_components_of_its_score() -> None:
    crm, books = _twins(with_references=True)
    [first, _] = sorted(match(crm, books, PAYMENTS, CTX).matches, key=lambda m: m.left[0].external_id)
    assert first.why == Why(amount=1000, date=1000, party=1000, reference=2000)
    assert first.why.to_json() == {
        "amount": "10.00",
        "date": "10.00",
        "party": "10.00",
        "reference": "20.00",
        "total": "50.00",
    }


def test_the_crms_number_kept_in_a_books_reference_pairs_the_twins_by_a_cross_field_key() -> None:
    crm, books = _twins(with_references=False)
    books = [
        books[0].model_copy(
            update={"references": {"reference_number": "ＰＡＹ－0001"}}
        ),  # full-width, as typed
        books[1].model_copy(update={"references": {"reference_number": "pay 0002"}}),
    ]
    rule = PAYMENTS.model_copy(
        update={"keys": ["number", CrossKey(left="number", right="references.reference_number")]}
    )
    how = "number=references.reference_number"
    assert _pairs(match(crm, books, rule, CTX)) == {("p1", "b1", how), ("p2", "b2", how)}


def test_twins_alike_in_amount_date_and_party_stay_ambiguous_and_the_explanation_lists_the_scores() -> None:
    crm = [
        payment_on("crm", "p1", "PAY-0001", "11077.28", 8),
        payment_on("crm", "p2", "PAY-0002", "11077.28", 8),
    ]
    books = [
        payment_on("books", "b1", "BP-551", "11077.28", 8),
        payment_on("books", "b2", "BP-552", "11077.28", 8),
    ]
    result = match(crm, books, PAYMENTS, CTX)
    assert result.matches == ()
    [found] = result.discrepancies
    assert found.type is DiscrepancyType.AMBIGUOUS_MATCH
    assert {r.external_id for r in (*found.left, *found.right)} == {"p1", "p2", "b1", "b2"}
    assert "PAY-0001 ~ BP-551: 30.00 (amount 10.00, date 10.00, party 10.00, reference 0.00)" in (
        found.explanation
    )
    assert "0.00 points apart" in found.explanation


def test_an_exact_same_day_candidate_beats_one_a_cent_off_four_days_later() -> None:
    """Scored on party and days alone these were 100 against 96 points: within the default margin."""
    crm = [payment_on("crm", "p1", "PAY-0001", "500.00", 8)]
    books = [payment_on("books", "b1", "BP-1", "500.00", 8), payment_on("books", "b2", "BP-2", "500.01", 12)]
    result = match(crm, books, PAYMENTS, CTX)
    assert _pairs(result) == {("p1", "b1", "fuzzy")}
    assert types(result) == ["missing_in_left"]


def test_a_strong_pair_is_not_given_up_for_two_weak_ones() -> None:
    """p1-b1 agree in everything and b1 carries p1's number; p1-b2 and p2-b1 are barely candidates."""
    crm = [
        payment_on("crm", "p1", "PAY-0001", "500.00", 8),
        payment_on("crm", "p2", "PAY-0002", "500.01", 14),
    ]
    books = [
        payment_on("books", "b1", "BP-1", "500.00", 8, references={"memo": "for PAY-0001"}),
        payment_on("books", "b2", "BP-2", "500.01", 2),
    ]
    result = match(crm, books, PAYMENTS, CTX)
    assert ("p1", "b1", "fuzzy") in _pairs(result)


def test_a_group_larger_than_the_cap_is_ambiguous_and_says_why() -> None:
    crm = [payment_on("crm", f"p{n:02}", f"PAY-{n:02}", "99.00", 8) for n in range(11)]
    books = [payment_on("books", f"b{n:02}", f"BP-{n:02}", "99.00", 8) for n in range(11)]
    result = match(crm, books, PAYMENTS, CTX)
    assert result.matches == ()
    [found] = result.discrepancies
    assert "more than the 10 a side" in found.explanation


# ----------------------------------------------------------------------------- the algorithm


def _brute_force(n_left: int, n_right: int, weights: dict[tuple[int, int], int]) -> int:
    def best(i: int, used: frozenset[int]) -> int:
        if i == n_left:
            return 0
        result = best(i + 1, used)
        for j in range(n_right):
            if (i, j) in weights and j not in used:
                result = max(result, weights[i, j] + best(i + 1, used | {j}))
        return result

    return best(0, frozenset())


@st.composite
def groups(draw: st.DrawFn) -> tuple[int, int, dict[tuple[int, int], int]]:
    n_left, n_right = draw(st.integers(1, 5)), draw(st.integers(1, 5))
    cells = [(i, j) for i in range(n_left) for j in range(n_right)]
    chosen = draw(st.lists(st.sampled_from(cells), unique=True))
    return n_left, n_right, {cell: draw(st.integers(1, 60)) for cell in chosen}


@settings(max_examples=300, deadline=None)
@given(groups())
def test_the_hungarian_assignment_totals_the_best_of_every_assignment(
    group: tuple[int, int, dict[tuple[int, int], int]],
) -> None:
    n_left, n_right, weights = group
    total, pairs = best_assignment(n_left, n_right, weights)
    assert total == _brute_force(n_left, n_right, weights)
    assert total == sum(weights[p] for p in pairs)
    assert len({i for i, _ in pairs}) == len({j for _, j in pairs}) == len(pairs)


def test_a_pair_is_contested_only_by_an_assignment_that_pairs_its_documents_differently() -> None:
    assert settle(1, 1, {(0, 0): 2}, margin=500).pairs == ((0, 0),)  # a lone weak pair is still clear
    assert settle(1, 2, {(0, 0): 3100, (0, 1): 2700}, margin=500).contested == ((0, 0),)
    assert settle(2, 2, {(0, 0): 3100, (1, 1): 3100, (0, 1): 1528, (1, 0): 1528}, margin=500).pairs == (
        (0, 0),
        (1, 1),
    )


# ----------------------------------------------------------------------------- order never matters

PARTIES = ["Acme Trading Co., Ltd.", "ACME TRADING LIMITED", "Acme Trading (HQ)", "Globex Corp"]


@st.composite
def payments(draw: st.DrawFn, source: str) -> list[LedgerRow]:
    """Few amounts, few days, alike parties, some references: dense groups of near-twins."""
    out = []
    for index in range(draw(st.integers(0, 9))):
        other = "books" if source == "crm" else "crm"
        reference = draw(st.one_of(st.none(), st.integers(0, 8)))
        out.append(
            LedgerRow(
                source=source,
                kind="payment",
                external_id=f"{source}-{index}",
                number=f"{source.upper()}-{index:04}",
                party_name=draw(st.sampled_from(PARTIES)),
                issued_on=date(2026, 11, 1) + timedelta(days=draw(st.integers(0, 8))),
                currency="CNY",
                total=draw(st.sampled_from([1107728, 1107727, 1107729, 500000])) * 100,
                references=None if reference is None else {"memo": f"{other.upper()}-{reference:04}"},
            )
        )
    return out


@settings(max_examples=120, deadline=None)
@given(payments("crm"), payments("books"), st.randoms(use_true_random=False))
def test_shuffling_the_input_never_changes_the_chosen_pairs(
    left: list[LedgerRow], right: list[LedgerRow], rnd: random.Random
) -> None:
    first = match(left, right, PAYMENTS, CTX)
    shuffled_left, shuffled_right = list(left), list(right)
    rnd.shuffle(shuffled_left)
    rnd.shuffle(shuffled_right)
    second = match(shuffled_left, shuffled_right, PAYMENTS, CTX)

    def chosen(result: MatchResult) -> set[tuple[str, str, str, Why | None]]:
        def one(m: Match) -> tuple[str, str, str, Why | None]:
            return m.left[0].key_text, m.right[0].key_text, m.how, m.why

        return {one(m) for m in result.matches}

    assert chosen(first) == chosen(second)
    assert first.discrepancies == second.discrepancies


# ----------------------------------------------------------------------------- configuration

CONFIG = """\
reconcile:
  rules:
    - name: crm-vs-books-payments
      left:  {source: zoho-crm, kind: payment}
      right: {source: zoho-books, kind: payment}
      keys: [number, {left: number, right: references.reference_number}]
"""


def test_a_key_naming_a_field_a_side_is_read_from_the_configuration() -> None:
    rule = parse_config(CONFIG, "ledgerbridge.yaml", {}).reconcile.rule("crm-vs-books-payments")
    assert rule.kind == "match"
    assert rule.keys == ["number", CrossKey(left="number", right="references.reference_number")]


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        ("right: references.reference_number}", "right: memo}", "key right: 'memo' must be number,"),
        ("{left: number, right:", "{left: number, rigth:", "must be {left: <key>, right: <key>}"),
        ("keys: [number, {", "keys: [number, number, {", "a key is listed twice"),
    ],
)
def test_a_wrong_cross_field_key_is_one_line_naming_the_file_line_and_rule(
    old: str, new: str, expected: str
) -> None:
    assert old in CONFIG
    with pytest.raises(ConfigError) as caught:
        parse_config(CONFIG.replace(old, new), "ledgerbridge.yaml", {})
    message = str(caught.value)
    assert message.startswith("ledgerbridge.yaml:6:")
    assert "rules[crm-vs-books-payments].keys" in message
    assert expected in message
    assert "\n" not in message
