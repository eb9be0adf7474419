"""5,000 documents a side with every discrepancy type planted, and traps that must not be flagged."""

from __future__ import annotations

from collections import Counter

import pytest

from reconcile.audits import AuditContext, AuditLimits, audit_plan
from reconcile.collections_match import BANK_FINDINGS
from reconcile.matching import as_rows, match
from reconcile.result import MatchContext
from reconcile.settlement import settle
from store.discrepancies import Discrepancy, DiscrepancyType
from tests.reconcile_data import (
    AUDIT_PLAN,
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
    ctx = MatchContext(base_currency="CNY")
    matched = match(planted.left, planted.right, MATCH_RULE, ctx)
    known = frozenset(doc.external_id for doc in planted.right)
    settled = settle(planted.right, planted.payments, SETTLEMENT_RULE, ctx, known_invoices=known)
    for result in (matched, settled):
        assert result.bridge.unexplained == 0
    audited = audit_planted(planted)
    return {
        (d.rule, d.type.value, frozenset(str(r.key) for r in d.left), frozenset(str(r.key) for r in d.right))
        for d in (*matched.discrepancies, *settled.discrepancies, *audited)
    }


def audit_planted(planted: PlantedLedgers) -> tuple[Discrepancy, ...]:
    """The planted ledgers' audit plan, run as the job runs it (credited invoices from the store)."""
    scoped = [
        (as_rows(docs), AUDIT_PLAN.checks_for(scope))
        for docs, scope in zip(
            (planted.left, planted.right, planted.credit_notes), AUDIT_PLAN.scope, strict=True
        )
    ]
    invoices = {(row.source, row.external_id): row for row in as_rows(planted.right)}
    context = AuditContext(order_dates=planted.order_dates, invoices=invoices)
    return audit_plan(AUDIT_PLAN.name, scoped, AuditLimits.of(AUDIT_PLAN), context).discrepancies


def test_every_discrepancy_type_is_planted(planted: PlantedLedgers) -> None:
    # Bank findings are planted for the collections rule in tests/collections_data.py (issue 21).
    assert {kind for _, kind, _, _ in planted.expected} == {
        t.value for t in DiscrepancyType if t not in BANK_FINDINGS
    }
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
        "instalments",
        "separate_orders",
        "discount_at_limit",
        "partial_credit",
        "steady_customer",
    } <= set(planted.traps)
    extra = found - planted.expected
    assert not extra, sorted(extra)[:5]
