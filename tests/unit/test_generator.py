"""The demo company generator: deterministic, sized as asked, every type planted, truth consistent."""

from __future__ import annotations

import json
import random
from collections import Counter

import pytest

from connectors.sandbox.company import customers
from connectors.sandbox.generator import (
    BOOKS,
    CRM,
    FXIAOKE,
    FXIAOKE_PLANTS,
    RULES,
    ZOHO_PLANTS,
    CompanySpec,
    generate_company,
)
from store.canonical import DiscrepancyType, DocumentKind


def truth_json(spec: CompanySpec) -> str:
    return json.dumps(generate_company(spec).truth.to_json(), ensure_ascii=False, sort_keys=True)


def test_the_same_seed_gives_the_same_company_and_another_seed_another() -> None:
    spec = CompanySpec(customers=10, orders=120, seed=3)
    assert truth_json(spec) == truth_json(spec)
    assert truth_json(spec) != truth_json(CompanySpec(customers=10, orders=120, seed=4))


def test_every_discrepancy_type_is_expected_somewhere() -> None:
    expected = generate_company(CompanySpec(customers=10, orders=120)).truth.expected()
    assert list(expected) == list(RULES)
    assert {kind for counts in expected.values() for kind in counts} == {t.value for t in DiscrepancyType}


def test_each_plant_is_placed_at_the_rate_asked_and_at_least_once() -> None:
    small = generate_company(CompanySpec(orders=100)).truth
    large = generate_company(CompanySpec(orders=2000, rate=0.01)).truth
    assert set(Counter((p.rule, p.plant) for p in small.planted).values()) == {1}
    placed = Counter((p.rule, p.plant) for p in large.planted)
    assert placed[(ZOHO_PLANTS["missing_in_right"][0], "missing_in_right")] == round(1200 * 0.01)
    assert placed[(FXIAOKE_PLANTS["underpaid"][0], "underpaid")] == round(800 * 0.01)


def test_the_sandboxes_hold_what_the_truth_counts_plus_the_malformed_records() -> None:
    company = generate_company(CompanySpec(customers=20, orders=300))
    truth = company.truth
    crm_invoices = len(company.zoho.live("crm", DocumentKind.INVOICE))
    books_invoices = len(company.zoho.live("books", DocumentKind.INVOICE))
    fx_orders = len(company.fxiaoke.truth(kind=DocumentKind.SALES_ORDER))
    assert crm_invoices == truth.records[(CRM, "invoice")] + 1
    assert books_invoices == truth.records[(BOOKS, "invoice")] + 1
    assert fx_orders == truth.records[(FXIAOKE, "sales_order")] + 1
    assert truth.quarantined() == {CRM: {"invoices": 1}, BOOKS: {"invoices": 1}, FXIAOKE: {"sales_orders": 1}}
    assert set(company.zoho_overrides) == {m.external_id for m in truth.malformed if m.source != FXIAOKE}


def test_the_next_days_changes_delete_the_planted_crm_invoices() -> None:
    company = generate_company(CompanySpec(customers=10, orders=120))
    before = len(company.zoho.live("crm", DocumentKind.INVOICE))
    assert company.apply_later_changes() == len(company.later_deletions) >= 1
    assert len(company.zoho.live("crm", DocumentKind.INVOICE)) == before - len(company.later_deletions)
    deleted = {d.external_id for d in company.zoho.deletions("crm", DocumentKind.INVOICE)}
    assert deleted == set(company.later_deletions)


def test_money_and_company_details_look_like_a_real_company() -> None:
    company = generate_company(CompanySpec(customers=30, orders=200))
    books = company.zoho.live("books", DocumentKind.INVOICE)
    assert {d.currency for d in books} >= {"CNY", "USD"}
    crm_names = {d.party.name for d in company.zoho.live("crm", DocumentKind.CUSTOMER) if d.party}
    assert any(name and name.endswith("有限公司") for name in crm_names)
    assert any(name and name.isascii() for name in crm_names)
    owners = {d.owner for d in company.zoho.live("crm", DocumentKind.INVOICE)}
    assert len(owners - {None}) >= 4


def test_too_few_orders_for_every_plant_is_refused_with_what_to_change() -> None:
    with pytest.raises(ValueError, match="--orders"):
        generate_company(CompanySpec(customers=5, orders=40))


def test_customer_names_are_unique_and_both_chinese_and_latin() -> None:
    people = customers(300, random.Random(1))
    assert len({c.name for c in people}) == 300
    assert 190 <= sum(c.domestic for c in people) <= 210
    variant = next(c for c in people if c.domestic).variant(random.Random(2))
    assert variant != next(c for c in people if c.domestic).name
