"""5,000 documents a side with every discrepancy type planted, and traps that must not be flagged."""

from __future__ import annotations

from collections import Counter

import pytest

from reconcile.matching import match
from reconcile.result import MatchContext
from reconcile.settlement import settle
from store.canonical import DiscrepancyType
from tests.reconcile_data import (
    AUDIT_CHECKS,
    MATCH_RULE,
    SETTLEMENT_RULE,
    Expected,
    PlantedLedgers,
    planted_ledgers,
)


@pytest.fixture(scope="module")
def planted() -> PlantedLedgers:
    return planted_ledgers(5000)


@pytest.fixture(scope="module")
def found(planted: PlantedLedgers) -> set[Expected]:
    ctx = MatchContext(base_currency="CNY", order_dates=planted.order_dates)
    matched = match(planted.left, planted.right, MATCH_RULE, ctx, audit_checks=AUDIT_CHECKS)
    known = frozenset(doc.external_id for doc in planted.right)
    settled = settle(planted.right, planted.payments, SETTLEMENT_RULE, ctx, known_invoices=known)
    for result in (matched, settled):
        assert result.bridge.unexplained == 0
    return {
        (d.rule, d.type.value, frozenset(str(r.key) for r in d.left), frozenset(str(r.key) for r in d.right))
        for d in (*matched.discrepancies, *settled.discrepancies)
    }


def test_every_discrepancy_type_is_planted(planted: PlantedLedgers) -> None:
    assert {kind for _, kind, _, _ in planted.expected} == {t.value for t in DiscrepancyType}
    assert len(planted.left) > 4900
    assert len(planted.right) > 4900


def test_every_planted_discrepancy_is_found(planted: PlantedLedgers, found: set[Expected]) -> None:
    missed = planted.expected - found
    assert not missed, Counter(kind for _, kind, _, _ in missed)


def test_nothing_is_found_that_was_not_planted_traps_included(
    planted: PlantedLedgers, found: set[Expected]
) -> None:
    assert {
        "rounding",
        "formatting",
        "party_variant",
        "fuzzy_only",
        "converted_currency",
        "split_payment",
    } <= set(planted.traps)
    extra = found - planted.expected
    assert not extra, sorted(extra)[:5]
