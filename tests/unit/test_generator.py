"""The demo company generator: deterministic, sized as asked, every type planted, truth consistent."""

from __future__ import annotations

import json
import random
from collections import Counter
from decimal import Decimal

import pytest

from config.kinds import BankStatementSettings
from config.rules import ALL_AUDIT_CHECKS
from connectors.bank.documents import read_statements
from connectors.sandbox.bank_files import BANK, BANK_PLANTS, CAMT_NAME, COLLECTIONS, CSV_NAME, STRANGER
from connectors.sandbox.company import customers
from connectors.sandbox.generator import (
    BOOKS,
    CRM,
    EXTRA_FINDINGS,
    FXIAOKE,
    FXIAOKE_PLANTS,
    RUNS,
    ZOHO_PLANTS,
    CompanySpec,
    Planted,
    generate_company,
)
from store.canonical import DocumentKind
from store.discrepancies import DiscrepancyType
from sync.demo import demo_settings, reconcile_company


def truth_json(spec: CompanySpec) -> str:
    return json.dumps(generate_company(spec).truth.to_json(), ensure_ascii=False, sort_keys=True)


def test_the_same_seed_gives_the_same_company_and_another_seed_another() -> None:
    spec = CompanySpec(customers=10, orders=120, seed=3)
    assert truth_json(spec) == truth_json(spec)
    assert truth_json(spec) != truth_json(CompanySpec(customers=10, orders=120, seed=4))


def test_every_discrepancy_type_is_expected_somewhere() -> None:
    expected = generate_company(CompanySpec(customers=10, orders=120)).truth.expected()
    assert list(expected) == list(RUNS)
    assert {kind for counts in expected.values() for kind in counts} == {t.value for t in DiscrepancyType}


def test_audit_findings_are_expected_of_the_audit_plan_and_match_findings_of_the_rules() -> None:
    expected = generate_company(CompanySpec(customers=10, orders=120)).truth.expected()
    audit_plan = RUNS[-1]
    assert set(expected[audit_plan]) == set(ALL_AUDIT_CHECKS)
    for rule in RUNS[:-1]:
        assert not {DiscrepancyType(kind) for kind in expected[rule]} & {
            DiscrepancyType(check) for check in ALL_AUDIT_CHECKS
        }


def test_a_clean_company_plants_nothing_serves_nothing_malformed_and_keeps_its_traps() -> None:
    company = generate_company(CompanySpec.clean(customers=10, orders=120))
    truth = company.truth
    assert truth.planted == []
    assert truth.malformed == []
    assert company.zoho_overrides == {}
    assert all(counts == {} for counts in truth.expected().values())
    assert {t.trap for t in truth.traps} >= {"rounding", "converted_currency", "credit_note", "discount"}
    assert truth.to_json()["spec"]["planted"] is False


def test_each_plant_is_placed_at_the_rate_asked_and_at_least_once() -> None:
    small = generate_company(CompanySpec(orders=100)).truth
    large = generate_company(CompanySpec(orders=2000, rate=0.01)).truth
    once = Counter(
        (p.rule, p.plant, _channel(p))
        for p in small.planted
        if (p.rule, p.type) != EXTRA_FINDINGS.get(p.plant)
    )
    assert set(once.values()) == {1}
    placed = Counter((p.rule, p.plant) for p in large.planted)
    assert placed[(ZOHO_PLANTS["missing_in_right"][0], "missing_in_right")] == round(1200 * 0.01)
    assert placed[(FXIAOKE_PLANTS["underpaid"][0], "underpaid")] == round(800 * 0.01)


def _channel(planted: Planted) -> str:
    """Zoho or Fxiaoke: the source of the plant's first document (both channels plant some audit types)."""
    first = (*planted.left, *planted.right)[0]
    return "fxiaoke" if first.startswith(FXIAOKE + "/") else "zoho"


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
    assert {d.currency for d in books} >= {"CNY", "USD", "EUR"}
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


def test_totals_carry_every_vendor_component_and_still_add_up() -> None:
    company = generate_company(CompanySpec.clean(customers=30, orders=400, seed=5))
    crm = [d for d in company.zoho.truth("crm", source=CRM) if d.kind is DocumentKind.INVOICE]
    books = company.zoho.truth("books", source=BOOKS)
    orders = company.fxiaoke.truth(source=FXIAOKE, kind=DocumentKind.SALES_ORDER)
    assert any(d.discount for d in crm)
    assert any(d.adjustment for d in crm)
    for doc in crm:
        assert doc.subtotal is not None
        assert doc.tax is not None
        assert doc.total is not None
        assert doc.discount is not None
        assert doc.adjustment is not None
        assert doc.total == doc.subtotal - doc.discount + doc.tax + doc.adjustment
    invoices = [d for d in books if d.kind is DocumentKind.INVOICE]
    assert any(d.shipping for d in invoices)
    assert any(d.adjustment for d in invoices)
    details = [company.zoho.detail_fields(d.external_id) for d in invoices]
    assert any(f.get("is_inclusive_tax") for f in details)
    assert any(f.get("roundoff_value") for f in details)
    assert {f.get("is_discount_before_tax") for f in details if f.get("discount_total")} == {True, False}
    assert any(d.discount for d in orders)
    assert all(d.tax_inclusive and d.total == (d.subtotal or 0) - (d.discount or 0) for d in orders)


def test_payments_cover_several_invoices_and_invoices_several_payments_and_credit_notes() -> None:
    company = generate_company(CompanySpec.clean(customers=30, orders=400, seed=5))
    books = company.zoho.truth("books", source=BOOKS)
    payments = [d for d in books if d.kind is DocumentKind.PAYMENT]
    assert any(len(p.allocations) == 2 for p in payments)
    per_invoice = Counter(a.invoice_external_id for d in books if d.allocations for a in d.allocations)
    assert max(per_invoice.values()) >= 2
    assert sum(d.kind is DocumentKind.CREDIT_NOTE for d in books) >= 3
    partly = [d for d in books if d.kind is DocumentKind.INVOICE and d.balance and d.balance != d.total]
    assert partly


def test_invoice_applications_have_no_payment_status_of_their_own() -> None:
    company = generate_company(CompanySpec.clean(customers=20, orders=300, seed=5))
    applications = company.fxiaoke.truth(source=FXIAOKE, kind=DocumentKind.INVOICE)
    assert applications
    assert {d.status.value for d in applications} == {"unknown"}
    orders = {d.external_id: d for d in company.fxiaoke.truth(kind=DocumentKind.SALES_ORDER)}
    collected = {
        "none" if o.balance == o.total else "fully" if o.balance == 0 else "partly"
        for o in (orders[a.references["sales_order"]] for a in applications)
    }
    assert collected == {"none", "partly", "fully"}


def test_the_bank_statements_are_written_from_the_books_payments_and_read_as_the_connector_reads_them() -> (
    None
):
    company = generate_company(CompanySpec(customers=20, orders=300))
    files = company.bank.files
    assert set(files) == {CAMT_NAME, CSV_NAME}
    with pytest.raises(UnicodeDecodeError):
        files[CSV_NAME].decode("utf-8")  # GB18030, as ICBC exports it
    assert "交易日期,交易流水号,摘要,对方户名,对方账号,借方发生额,贷方发生额,余额" in files[CSV_NAME].decode(
        "gb18030"
    )
    assert b"camt.053.001.02" in files[CAMT_NAME]
    bank = demo_settings().connector(BANK)
    assert isinstance(bank, BankStatementSettings)
    lines = [  # every statement balances from opening to closing (CSV: row by row), or read_statements raises
        line
        for name, data in files.items()
        for statement in read_statements(data, name, bank)
        for line in statement.lines
    ]
    assert len(lines) == company.truth.records[(BANK, "bank_transaction")]
    plants = {p.plant: p for p in company.truth.planted if p.rule == COLLECTIONS}
    assert set(plants) == set(BANK_PLANTS)
    payments = {
        f"{BOOKS}/payment/{p.external_id}": p for p in company.zoho.live("books", DocumentKind.PAYMENT)
    }
    received = sum(
        (p.total or 0 for k, p in payments.items() if k not in plants["not_in_bank"].left), Decimal(0)
    )
    payout = next(line for line in lines if line.batch_count)
    assert payout.batch_count == len(plants["card_payout_fee"].left) == 3
    assert payout.fee is not None
    assert payout.fee > 0
    stranger = next(line for line in lines if line.counterparty_name == STRANGER)
    credits = sum((line.amount for line in lines if line.amount > 0), Decimal(0))
    assert credits == received - payout.fee + stranger.amount  # each payment banked once, less the fee
    texts = " ".join(line.remittance or "" for line in lines)
    assert "ＩＮＶ－" in texts  # a payer typing full-width
    assert "UMS SETTLEMENT" in texts


def test_a_clean_company_banks_every_payment_and_plants_no_bank_finding() -> None:
    company = generate_company(CompanySpec.clean(customers=10, orders=120))
    assert company.bank.plants == []
    assert reconcile_company(company)[COLLECTIONS] == []
