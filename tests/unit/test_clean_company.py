"""The clean-company oracle: a generated company with every vendor feature that makes a total more than
subtotal + tax (discounts of both kinds before and after tax, inclusive and exclusive tax, shipping,
adjustments, rounding, USD and EUR, partial and multi-invoice payments, credit notes, invoice
applications on partly and fully collected orders) and nothing planted must give zero findings from
every rule and every audit check. A finding here is a false alarm finance would have to read.

The pure path: the demo configuration's rules through reconcile.matching.match and
reconcile.settlement.settle, its audit plan through reconcile.audits.audit_plan, and every audit check
over every document of every source (sync.demo.reconcile_company / audit_everything), on the canonical
documents the sandboxes serve (what a correct sync stores). ADR 0019.
"""

from __future__ import annotations

from collections import Counter

from hypothesis import given, settings
from hypothesis import strategies as st

from connectors.sandbox.generator import RUNS, CompanySpec, generate_company
from store.discrepancies import Discrepancy
from sync.demo import audit_everything, reconcile_company

SIZES = ((6, 80), (12, 160), (30, 400), (60, 700))
"""(customers, orders): from a company too small for any customer history to a demo-sized one."""


def _summary(found: list[Discrepancy]) -> list[str]:
    """What a failure prints: each finding's rule, type and explanation (the first 20)."""
    return [f"{d.rule} {d.type.value}: {d.explanation}" for d in found[:20]]


@settings(max_examples=8, deadline=None, derandomize=True)
@given(seed=st.integers(min_value=0, max_value=1_000_000), size=st.sampled_from(SIZES))
def test_a_clean_company_gives_no_finding_from_any_rule_or_the_audit_plan(
    seed: int, size: tuple[int, int]
) -> None:
    customers, orders = size
    company = generate_company(CompanySpec.clean(customers=customers, orders=orders, seed=seed))
    results = reconcile_company(company)
    assert list(results) == list(RUNS)
    found = [d for findings in results.values() for d in findings]
    assert _summary(found) == []


@settings(max_examples=8, deadline=None, derandomize=True)
@given(seed=st.integers(min_value=0, max_value=1_000_000), size=st.sampled_from(SIZES))
def test_every_audit_check_over_every_document_of_a_clean_company_finds_nothing(
    seed: int, size: tuple[int, int]
) -> None:
    customers, orders = size
    company = generate_company(CompanySpec.clean(customers=customers, orders=orders, seed=seed))
    assert _summary(audit_everything(company)) == []


def test_the_same_pure_path_finds_exactly_what_a_planted_company_plants() -> None:
    """The oracle can fail: on the planted company the same path reports every planted problem, on the
    documents the truth names, and nothing else — except what only a sync shows (malformed records are
    quarantined by the sync, deletions arrive with the next day's sync)."""
    company = generate_company(CompanySpec(customers=20, orders=300, seed=41))
    results = reconcile_company(company)
    found = Counter(
        (d.rule, d.type.value, frozenset(str(r.key) for r in d.left), frozenset(str(r.key) for r in d.right))
        for findings in results.values()
        for d in findings
    )
    planted = Counter(
        (p.rule, p.type, frozenset(p.left), frozenset(p.right))
        for p in company.truth.planted
        if p.type != "deleted_in_source"
    )
    malformed = {m.external_id for m in company.truth.malformed}
    unexplained = {
        item: count
        for item, count in (found - planted).items()
        if not any(key.rsplit("/", 1)[-1] in malformed for key in item[2] | item[3])
    }
    assert planted - found == Counter()
    assert unexplained == {}
    assert len(planted) >= 40
