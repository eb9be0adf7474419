"""Matching suggestions rank the other side's documents by the scored pass's own score, with its reasons;
a declined pair is never suggested; an alias makes two spellings of a party the same party."""

from __future__ import annotations

import random
from typing import Any

from reconcile.matching import match
from reconcile.party_aliases import PartyAliases
from reconcile.result import MatchContext, Why
from reconcile.suggestions import rank
from store.canonical import CanonicalDocument
from store.discrepancies import DiscrepancyType
from store.ledger_rows import LedgerRow
from tests.unit.reconcile.helpers import PAYMENTS, invoice, match_rule, payment_on


def _row(doc: CanonicalDocument) -> LedgerRow:
    return LedgerRow.of(doc)


# The twin payments of test_assignment.py: 11,077.28 on 8 Nov and 11,077.27 on 12 Nov, one customer. The
# CRM's second payment is the exception (missing_in_right); Books holds its twin, the other twin, and a
# payment of another customer of the same amount on the same day.
SUBJECT = _row(payment_on("crm", "p2", "PAY-0002", "11077.27", 12))
TWIN = _row(payment_on("books", "b2", "BP-552", "11077.27", 12, references={"reference_number": "PAY-0002"}))
OTHER_TWIN = _row(payment_on("books", "b1", "BP-551", "11077.28", 8))
STRANGER = _row(payment_on("books", "b9", "BP-559", "11077.27", 12, party="Zenith Media GmbH"))
FAR = _row(payment_on("books", "b7", "BP-557", "35.00", 30, party="Zenith Media GmbH"))


def _rank(candidates: list[LedgerRow], **kwargs: Any) -> list[Any]:
    return rank([SUBJECT], candidates, PAYMENTS, subject_side="left", base_currency="CNY", **kwargs)


def test_the_twin_ranks_first_with_every_component_and_the_others_follow_by_score() -> None:
    found = _rank([FAR, STRANGER, OTHER_TWIN, TWIN])
    assert [s.candidate.external_id for s in found] == ["b2", "b9", "b1"]  # FAR scores nothing: left out
    best = found[0]
    assert best.why == Why(amount=1000, date=1000, party=1000, reference=2000)
    assert (best.amount_difference, best.days_apart, best.likeness, best.reference) == (0, 0, 100.0, True)
    assert best.eligible
    assert (best.left, best.right) == (SUBJECT, TWIN)


def test_a_candidate_outside_the_rules_gates_is_listed_with_zero_on_those_components() -> None:
    by_id = {s.candidate.external_id: s for s in _rank([STRANGER, OTHER_TWIN])}
    stranger, other = by_id["b9"], by_id["b1"]
    assert stranger.why == Why(amount=1000, date=1000, party=0, reference=0)
    assert not stranger.eligible  # another customer: below the rule's party floor
    assert stranger.parties_differ
    assert other.amount_difference == -100  # 11,077.27 - 11,077.28 at the ledger's four places
    assert other.days_apart == 4
    assert other.why.amount == 0  # a cent apart is at the 0.01 tolerance: none of the amount's points
    assert other.why.date == 1000 * (7 - 4) // 7
    assert other.eligible  # but within the rule's gates: the scored pass would weigh it


def test_the_ranking_does_not_depend_on_the_order_of_the_candidates() -> None:
    candidates = [FAR, STRANGER, OTHER_TWIN, TWIN]
    expected = [s.candidate.key_text for s in _rank(candidates)]
    for seed in range(5):
        random.Random(seed).shuffle(candidates)
        assert [s.candidate.key_text for s in _rank(candidates)] == expected


def test_a_declined_pair_is_never_suggested() -> None:
    declined = frozenset({(SUBJECT.key_text, TWIN.key_text)})
    assert "b2" not in [s.candidate.external_id for s in _rank([TWIN, OTHER_TWIN], declined=declined)]


def test_a_missing_in_left_exception_suggests_left_documents_and_orders_the_pair_left_right() -> None:
    [found] = rank([TWIN], [SUBJECT], PAYMENTS, subject_side="right", base_currency="CNY")
    assert (found.left, found.right) == (SUBJECT, TWIN)


def test_an_alias_makes_two_spellings_one_party_in_suggestions() -> None:
    aliases = PartyAliases([("Zenith Media GmbH", "Acme Trading Co., Ltd.")])
    [stranger] = _rank([STRANGER], aliases=aliases)
    assert (stranger.aliased, stranger.likeness, stranger.why.party) == (True, 100.0, 1000)
    assert (stranger.eligible, stranger.parties_differ) == (True, False)


def test_aliases_chain_and_ignore_case_and_legal_suffixes() -> None:
    aliases = PartyAliases([("ACME trading", "艾克美贸易"), ("艾克美贸易有限公司", "Acme HK")])
    assert aliases.same("Acme Trading Ltd.", "acme hk")
    assert not aliases.same("Acme Trading", "Zenith")
    assert not PartyAliases().same("a", "a")  # no alias: nothing is "aliased"


RULE = match_rule(compare=["total", "party"])


def test_an_alias_removes_the_party_mismatch_of_a_matched_pair_and_without_it_the_mismatch_returns() -> None:
    crm = [invoice("crm", "1", "INV-1", "10.00", party="Acme Trading")]
    books = [invoice("books", "9", "INV-1", "10.00", party="艾克美贸易")]
    plain = match(crm, books, RULE, MatchContext(base_currency="CNY"))
    assert [d.type for d in plain.discrepancies] == [DiscrepancyType.PARTY_MISMATCH]
    aliased = MatchContext(base_currency="CNY", aliases=PartyAliases([("艾克美贸易", "ACME TRADING")]))
    assert match(crm, books, RULE, aliased).discrepancies == ()


def test_an_alias_lets_the_scored_pass_pair_two_spellings() -> None:
    crm = [payment_on("crm", "p1", "PAY-1", "500.00", 3, party="Acme Trading")]
    books = [payment_on("books", "b1", "BP-9", "500.00", 3, party="艾克美贸易")]
    assert match(crm, books, PAYMENTS, MatchContext(base_currency="CNY")).matches == ()
    context = MatchContext(base_currency="CNY", aliases=PartyAliases([("Acme Trading", "艾克美贸易")]))
    [paired] = match(crm, books, PAYMENTS, context).matches
    assert paired.how == "fuzzy"
