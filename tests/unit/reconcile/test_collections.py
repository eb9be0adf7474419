"""The collections rule (issue 21): recorded payments against bank credits, pass by pass."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from pydantic import ValidationError

from config.loader import ConfigError, parse_config
from config.rules import CollectionsRule, ReconcileSettings
from reconcile.collections_match import FEE, IN_TRANSIT, collect
from reconcile.collections_text import named_in, pieces
from reconcile.facts import EXPECTED_BY, PAYER, REMITTANCE
from reconcile.match_keys import normalize_number
from reconcile.report.explain import explanation
from reconcile.report.i18n import Catalogue
from reconcile.result import MatchContext, MatchResult
from store.canonical import CanonicalDocument
from store.discrepancies import Discrepancy, DiscrepancyType
from tests.collections_data import (
    BANK,
    BOOKS,
    COLLECTIONS_RULE,
    TODAY,
    bank_line,
    consistent_company,
    invoice,
    payment,
    planted_collections,
)

CTX = MatchContext(base_currency="CNY")
OCT = date(2026, 10, 12)


def _run(
    docs: list[CanonicalDocument], rule: CollectionsRule = COLLECTIONS_RULE, **kw: object
) -> MatchResult:
    pays = [d for d in docs if d.source == BOOKS and d.kind.value == "payment"]
    bank = [d for d in docs if d.source == BANK]
    return collect(pays, bank, rule, CTX, today=kw.pop("today", TODAY), **kw)  # type: ignore[arg-type]


def _hows(result: MatchResult) -> dict[tuple[str, ...], str]:
    return {tuple(r.external_id for r in (*m.left, *m.right)): m.how for m in result.matches}


def _only(result: MatchResult, kind: DiscrepancyType) -> Discrepancy:
    (found,) = [d for d in result.discrepancies if d.type is kind]
    return found


def test_a_consistent_company_has_no_findings_and_an_explained_bridge() -> None:
    result = _run(consistent_company())
    assert result.discrepancies == ()
    assert len(result.matches) == 61
    assert result.bridge.unexplained == 0
    assert set(result.bridge.explained) <= {"within_tolerance"}
    # Debits, the reversed credit and its reversal are no receipts: only the 62 real credits count.
    assert result.right_count == 62


def test_the_bank_reference_naming_the_payment_matches_it_whatever_the_amount_says() -> None:
    docs = [
        payment("PMT-00001", "500.00", OCT),
        bank_line("pmt 00001", "500.00", OCT + timedelta(days=20)),  # outside the window: the reference wins
        payment("PMT-00002", "700.00", OCT, reference_number="WIRE-2026-88"),
        bank_line("B-1", "690.00", OCT, end_to_end_id="WIRE202688"),
    ]
    result = _run(docs)
    hows = _hows(result)
    assert hows[("PMT-00001", "CN0000111122223333/pmt 00001")] == "reference"
    assert hows[("PMT-00002", "CN0000111122223333/B-1")] == "reference"
    # 10.00 short, within the fee tolerance (5.00 or 3%): the fee is reported, not an amount mismatch.
    fee = _only(result, DiscrepancyType.FEE_DIFFERENCE)
    assert fee.difference == Decimal("10.00")
    assert [(f.field, f.left, f.right) for f in fee.fields] == [(FEE, "10.00", None)]


def test_a_reference_match_whose_amounts_disagree_beyond_any_fee_is_an_amount_mismatch() -> None:
    result = _run([payment("PMT-9", "1000.00", OCT), bank_line("PMT-9", "1500.00", OCT)])
    found = _only(result, DiscrepancyType.AMOUNT_MISMATCH)
    assert (found.left_amount, found.right_amount, found.difference) == (
        Decimal("1000.00"),
        Decimal("1500.00"),
        Decimal("-500.00"),
    )
    assert result.bridge.unexplained == 0


@pytest.mark.parametrize(
    "remittance",
    ["货款 ＩＮＶ－０００１２３ 谢谢", "payment inv 000123", "INV-000123,INV-000124", "Ref:INV000123/ACME"],
)
def test_the_remittance_naming_an_invoice_in_full_width_or_spaced_matches_its_payment(
    remittance: str,
) -> None:
    docs = [
        payment("p-1", "321.00", OCT, number="PMT-1", invoices=(("inv-123", "321.00"),)),
        payment("p-2", "321.00", OCT, number="PMT-2"),  # same amount and day: only the text tells them apart
        bank_line("B77", "321.00", OCT, payer="Someone Else", remittance=remittance),
    ]
    result = collect(
        [d for d in docs if d.source == BOOKS],
        [d for d in docs if d.source == BANK],
        COLLECTIONS_RULE,
        CTX,
        today=TODAY,
        invoice_numbers={"inv-123": invoice("inv-123", "INV-000123", "321.00", OCT).number or ""},
    )
    assert _hows(result)[("p-1", "CN0000111122223333/B77")] == "remittance"
    assert [d.type for d in result.discrepancies] == [DiscrepancyType.NOT_IN_BANK]


def test_a_number_inside_a_longer_number_is_not_named() -> None:
    index = {normalize_number("INV-001") or "": frozenset({0})}
    assert named_in("for INV-0012", index, 10) == set()
    assert named_in("for ｉｎｖ－００１.", index, 10) == {0}
    assert named_in("INV 001 and INV 002", index, 10) == {0}
    assert pieces("ＩＮＶ－００１ 货款") == ["INV", "001"]


def test_amount_and_date_pair_the_one_best_assignment_and_leave_twins_ambiguous() -> None:
    docs = [
        # Near twins, each with an exact counterpart: both paired.
        payment("P-A", "11077.28", date(2026, 11, 8), party="Twin Co"),
        payment("P-B", "11077.27", date(2026, 11, 12), party="Twin Co"),
        bank_line("B-A", "11077.28", date(2026, 11, 9), payer="TWIN CO"),
        bank_line("B-B", "11077.27", date(2026, 11, 13), payer="TWIN CO"),
        # True twins: the same amount, day and payer twice; nothing tells them apart.
        payment("P-C", "250.00", OCT, party="Same Co"),
        payment("P-D", "250.00", OCT, party="Same Co"),
        bank_line("B-C", "250.00", OCT, payer="Same Co"),
        bank_line("B-D", "250.00", OCT, payer="Same Co"),
    ]
    result = _run(docs, today=date(2026, 12, 31))
    hows = _hows(result)
    assert hows[("P-A", "CN0000111122223333/B-A")] == "amount_date"
    assert hows[("P-B", "CN0000111122223333/B-B")] == "amount_date"
    ambiguous = _only(result, DiscrepancyType.AMBIGUOUS_MATCH)
    assert {r.external_id for r in ambiguous.left} == {"P-C", "P-D"}
    assert len(ambiguous.right) == 2


def test_the_date_window_uses_the_value_date_too_and_nothing_beyond_it() -> None:
    docs = [
        payment("P-1", "99.00", OCT),
        bank_line("B-1", "99.00", OCT + timedelta(days=9), value_date=OCT + timedelta(days=4)),
        payment("P-2", "98.00", OCT),
        bank_line("B-2", "98.00", OCT + timedelta(days=6)),
    ]
    result = _run(docs)
    assert _hows(result) == {("P-1", "CN0000111122223333/B-1"): "amount_date"}
    assert {d.type for d in result.discrepancies} == {
        DiscrepancyType.NOT_IN_BANK,
        DiscrepancyType.UNRECORDED_RECEIPT,
    }


def test_a_card_processors_payout_net_of_its_fee_settles_the_batch_with_a_fee_difference() -> None:
    docs, expected = planted_collections()
    result = _run(docs)
    found = _only(result, DiscrepancyType.FEE_DIFFERENCE)
    keys = tuple(str(r.key) for r in (*found.left, *found.right))
    assert {keys} == expected["fee_difference"]
    assert (found.left_amount, found.right_amount, found.difference) == (
        Decimal("600.00"),
        Decimal("582.60"),
        Decimal("17.40"),
    )
    assert "less a fee of 17.40" in found.explanation


def test_a_party_batch_without_a_batch_reference_is_one_credit_less_a_fee() -> None:
    docs = [
        payment("P-1", "1000.00", OCT, party="Globex Corporation"),
        payment("P-2", "2000.00", OCT + timedelta(days=1), party="Globex Corp."),
        bank_line("B-1", "2996.00", OCT + timedelta(days=2), payer="GLOBEX CORP"),
    ]
    result = _run(docs)
    assert _hows(result) == {("P-1", "P-2", "CN0000111122223333/B-1"): "batch"}
    assert _only(result, DiscrepancyType.FEE_DIFFERENCE).difference == Decimal("4.00")


def test_a_fee_beyond_the_tolerance_is_no_match_unless_the_bank_reports_it() -> None:
    docs = [
        payment("P-1", "1000.00", OCT, party="Initech Inc."),
        payment("P-2", "1000.00", OCT, party="Initech Inc."),
        bank_line("B-1", "1900.00", OCT, payer="INITECH"),  # 100.00 short: more than max(5.00, 3% = 60.00)
    ]
    refused = _run(docs)
    assert refused.matches == ()
    assert sorted(d.type.value for d in refused.discrepancies) == [
        "not_in_bank",
        "not_in_bank",
        "unrecorded_receipt",
    ]
    docs[2] = bank_line("B-1", "1900.00", OCT, payer="INITECH", fee="-100.00")
    reported = _only(_run(docs), DiscrepancyType.FEE_DIFFERENCE)
    assert [(f.left, f.right) for f in reported.fields] == [("100.00", "100.00")]


def test_the_banks_batch_count_must_be_the_groups_size() -> None:
    docs, _ = planted_collections()
    docs = [d for d in docs if d.number != "PAYOUT-77"]
    docs.append(bank_line("PAYOUT-77", "582.60", OCT + timedelta(days=1), payer="STRIPE", batch_count="2"))
    result = _run(docs)
    assert not any(d.type is DiscrepancyType.FEE_DIFFERENCE for d in result.discrepancies)


def test_a_payment_received_in_two_credits_is_one_split_receipt() -> None:
    docs = [
        payment("P-1", "3000.00", OCT, party="Split Buyer Ltd"),
        bank_line("S1", "1000.00", OCT, payer="Split Buyer Ltd"),
        bank_line("S2", "2000.00", OCT + timedelta(days=3), payer="SPLIT BUYER LIMITED"),
    ]
    result = _run(docs)
    assert _hows(result) == {("P-1", "CN0000111122223333/S1", "CN0000111122223333/S2"): "split"}
    assert result.discrepancies == ()


def test_a_payment_still_inside_its_window_is_in_transit_not_missing() -> None:
    docs, expected = planted_collections()
    result = _run(docs)
    missing = _only(result, DiscrepancyType.NOT_IN_BANK)
    assert {tuple(str(r.key) for r in missing.left)} == expected["not_in_bank"]
    assert [(f.field, f.right) for f in missing.fields] == [(EXPECTED_BY, "2026-10-15")]
    assert result.bridge.explained[IN_TRANSIT] == Decimal("55.00")
    assert result.bridge.unexplained == 0
    # Six days later its window has passed: now it is not in the bank.
    later = _run(docs, today=TODAY + timedelta(days=5))
    assert len([d for d in later.discrepancies if d.type is DiscrepancyType.NOT_IN_BANK]) == 2


def test_an_unrecorded_receipt_keeps_its_remittance_as_a_fact_outside_the_signature() -> None:
    docs, expected = planted_collections()
    found = _only(_run(docs), DiscrepancyType.UNRECORDED_RECEIPT)
    assert {tuple(str(r.key) for r in found.right)} == expected["unrecorded_receipt"]
    assert [(f.field, f.right) for f in found.fields] == [
        (PAYER, "Unknown Payer"),
        (REMITTANCE, "Payment INV-404 thanks"),
    ]
    assert found.signature == found.model_copy(update={"fields": ()}).signature


def test_a_reversed_credit_and_its_reversal_are_no_receipt_and_a_credit_reversal_is_ignored() -> None:
    docs = [
        bank_line("R1", "777.00", OCT, payer="Mistaken Payer"),
        bank_line("R2", "-777.00", OCT + timedelta(days=1), payer="Mistaken Payer", reversal="true"),
        bank_line("R3", "50.00", OCT, payer="Our Supplier", reversal="true"),  # our own payment returned
        bank_line("R4", "-60.00", OCT, payer="Landlord"),  # a debit
    ]
    result = _run(docs)
    assert result.discrepancies == ()
    assert result.right_count == 0


def test_bank_lines_outside_the_period_are_matched_but_never_reported() -> None:
    docs = [
        payment("P-1", "10.00", date(2026, 10, 31)),
        bank_line("B-1", "10.00", date(2026, 11, 2)),
        bank_line("B-2", "20.00", date(2026, 11, 3)),
    ]
    result = _run(docs, scope=(date(2026, 10, 1), date(2026, 10, 31)))
    assert len(result.matches) == 1
    assert result.discrepancies == ()


def test_the_outcome_does_not_depend_on_the_order_of_the_input() -> None:
    docs, _ = planted_collections()
    docs += consistent_company(days=12)
    forward = _run(docs)
    backward = _run(list(reversed(docs)))
    assert [d.fingerprint for d in forward.discrepancies] == [d.fingerprint for d in backward.discrepancies]
    assert sorted(_hows(forward).items()) == sorted(_hows(backward).items())


def test_the_rule_is_read_from_yaml_and_refuses_wrong_sides() -> None:
    settings = ReconcileSettings.model_validate(
        {"rules": [COLLECTIONS_RULE.model_dump(), {**COLLECTIONS_RULE.model_dump(), "name": "again"}]}
    )
    assert [rule.kind for rule in settings.rules] == ["collections", "collections"]
    with pytest.raises(ValidationError, match=r"bank\.kind must be bank_transaction"):
        CollectionsRule.model_validate(
            {**COLLECTIONS_RULE.model_dump(), "bank": {"source": BANK, "kind": "payment"}}
        )
    with pytest.raises(ValidationError, match="kind must be match, settlement or collections"):
        ReconcileSettings.model_validate({"rules": [{**COLLECTIONS_RULE.model_dump(), "kind": "bank"}]})
    # The rule's audit checks look at the payments only (a debit is negative by nature).
    audited = ReconcileSettings.model_validate({"rules": [{**COLLECTIONS_RULE.model_dump(), "audit": None}]})
    plan = audited.implicit_plan()
    assert plan is not None
    assert [(s.source, s.kind) for s in plan.scope] == [(BOOKS, "payment")]


def test_competing_payouts_go_to_the_nearer_credit_and_alike_ones_are_ambiguous() -> None:
    def payout(batch: str, on: date, *shares: str) -> list[CanonicalDocument]:
        return [
            payment(f"{batch}-{k}", share, on, party=f"Card Customer {batch}{k}", deposit=batch)
            for k, share in enumerate(shares)
        ]

    docs = [
        *payout("PO-1", OCT, "100.00", "200.00"),  # 300.00
        *payout("PO-2", OCT + timedelta(days=3), "150.00", "151.00"),  # 301.00
        # Each credit fits both payouts' sums less a fee; dates and the stated count tell them apart.
        bank_line("B-1", "294.00", OCT + timedelta(days=1), payer="STRIPE", batch_count="2"),
        bank_line("B-2", "295.00", OCT + timedelta(days=4), payer="STRIPE", batch_count="2"),
    ]
    result = _run(docs)
    assert _hows(result) == {
        ("PO-1-0", "PO-1-1", "CN0000111122223333/B-1"): "batch",
        ("PO-2-0", "PO-2-1", "CN0000111122223333/B-2"): "batch",
    }
    twins = [
        *payout("PO-3", OCT, "100.00", "200.00"),
        *payout("PO-4", OCT, "100.00", "200.00"),
        bank_line("B-3", "294.00", OCT + timedelta(days=1), payer="STRIPE"),
        bank_line("B-4", "294.00", OCT + timedelta(days=1), payer="STRIPE"),
    ]
    ambiguous = _only(_run(twins), DiscrepancyType.AMBIGUOUS_MATCH)
    assert len(ambiguous.left) == 4
    assert len(ambiguous.right) == 2


def test_a_party_batch_needs_the_party_to_have_paid_it() -> None:
    docs = [
        payment("P-1", "1000.00", OCT, party="Globex Corporation"),
        bank_line("B-1", "996.00", OCT, payer="Someone Else Ltd"),
    ]
    assert _run(docs).matches == ()


def test_a_pair_matched_by_hand_is_taken_and_one_unmatched_is_never_made() -> None:
    docs = [
        payment("P-1", "500.00", OCT, party="Hand Co"),
        bank_line("ZZ-1", "495.00", OCT + timedelta(days=30), payer="Nobody Alike"),
        payment("PMT-7", "70.00", OCT),
        bank_line("PMT-7", "70.00", OCT),  # the reference says PMT-7; finance says it is not
    ]
    pays = [d for d in docs if d.source == BOOKS]
    bank = [d for d in docs if d.source == BANK]
    forced = frozenset({(f"{BOOKS}/payment/P-1", f"{BANK}/bank_transaction/CN0000111122223333/ZZ-1")})
    forbidden = frozenset({(f"{BOOKS}/payment/PMT-7", f"{BANK}/bank_transaction/CN0000111122223333/PMT-7")})
    context = MatchContext(base_currency="CNY", forced=forced, forbidden=forbidden)
    result = collect(pays, bank, COLLECTIONS_RULE, context, today=TODAY)
    assert _hows(result) == {("P-1", "CN0000111122223333/ZZ-1"): "manual"}
    assert _only(result, DiscrepancyType.FEE_DIFFERENCE).difference == Decimal("5.00")
    assert {d.type.value for d in result.discrepancies} == {
        "fee_difference",
        "not_in_bank",
        "unrecorded_receipt",
    }


def test_a_collections_rule_naming_no_configured_bank_is_refused_at_its_bank_side() -> None:
    text = """\
connectors:
  - {name: zoho-books, kind: jsonl, path: books.jsonl}
reconcile:
  rules:
    - name: books-vs-bank
      kind: collections
      payments: {source: zoho-books, kind: payment}
      bank: {source: bank-icbk, kind: bank_transaction}
"""
    with pytest.raises(ConfigError) as info:
        parse_config(text, "cfg.yaml", {})
    assert str(info.value).startswith(
        "cfg.yaml:8: reconcile.rules[books-vs-bank].bank.source: no connector named 'bank-icbk'"
    )
    assert "1 more problem" not in str(info.value)  # the payments side is named once, and rightly


def test_a_remittance_naming_a_payment_of_another_amount_pairs_nothing() -> None:
    docs = [
        payment("1234", "500.00", OCT, party="Zoho Numbered Co"),  # Books numbers payments 1, 2, 3...
        bank_line("B-9", "77.00", OCT, payer="Other Payer", remittance="order 1234 deposit"),
    ]
    result = _run(docs)
    assert result.matches == ()
    assert {d.type.value for d in result.discrepancies} == {"not_in_bank", "unrecorded_receipt"}


@pytest.mark.parametrize(
    ("vendor_key", "value"),
    [
        ("reference_number", "WIRE-2026-0042"),
        ("payment_reference", "WIRE-2026-0042"),
        ("reference", "WIRE-2026-0042"),
    ],
)
def test_the_payers_reference_kept_by_books_quickbooks_or_xero_is_matched(
    vendor_key: str, value: str
) -> None:
    docs = [
        payment("guid-1", "800.00", OCT, number=None, **{vendor_key: value}),
        bank_line(
            "B-1", "800.00", OCT + timedelta(days=20), payer="Other Name", end_to_end_id="wire 2026 0042"
        ),
    ]
    assert _hows(_run(docs)) == {("guid-1", "CN0000111122223333/B-1"): "reference"}


def test_a_payment_stating_no_currency_is_in_the_base_currency_and_other_currencies_never_pair() -> None:
    docs = [
        payment("P-1", "120.00", OCT).model_copy(update={"currency": None}),
        bank_line("B-1", "120.00", OCT),
        payment("P-2", "99.00", OCT).model_copy(update={"currency": "USD"}),
        bank_line("B-2", "99.00", OCT),
    ]
    result = _run(docs)
    assert _hows(result) == {("P-1", "CN0000111122223333/B-1"): "amount_date"}
    assert sorted(d.type.value for d in result.discrepancies) == ["not_in_bank", "unrecorded_receipt"]


def test_a_reference_pairing_two_currencies_is_a_currency_mismatch_explained_in_both_languages() -> None:
    docs = [
        payment("PMT-USD1", "1000.00", OCT).model_copy(update={"currency": "USD"}),
        bank_line("PMT-USD1", "7100.00", OCT + timedelta(days=1)),
    ]
    result = _run(docs)
    found = _only(result, DiscrepancyType.CURRENCY_MISMATCH)
    assert [(f.field, f.left, f.right) for f in found.fields] == [("currency", "USD", "CNY")]
    assert result.bridge.unexplained == 0
    sides = (BOOKS, BANK)
    assert "USD" in explanation(found, Catalogue("en"), sides)
    assert "币种" in explanation(found, Catalogue("zh"), sides)


def test_foreign_currency_pairs_bridge_at_the_payments_rate_not_as_a_rounding_difference() -> None:
    """A bank statement states no exchange rate: a USD credit paired with a USD payment is worth what the
    payment is worth in the base currency. Left unconverted, the pair's whole base amount landed on the
    bridge's within-tolerance (rounding) line — millions in the demo — while the right total left it out."""
    usd = {"currency": "USD", "exchange_rate": Decimal("7.1")}
    docs = [
        payment("PMT-USD1", "1000.00", OCT).model_copy(update=usd),
        bank_line("PMT-USD1", "1000.00", OCT + timedelta(days=1)).model_copy(update={"currency": "USD"}),
        payment("PMT-USD2", "250.00", OCT).model_copy(update=usd),
        bank_line("B-77", "200.00", OCT + timedelta(days=2), remittance="PMT-USD2 part").model_copy(
            update={"currency": "USD"}
        ),
        bank_line("B-78", "50.00", OCT + timedelta(days=3), remittance="PMT-USD2 rest").model_copy(
            update={"currency": "USD"}
        ),
    ]
    result = _run(docs)
    assert result.discrepancies == ()
    bridge = result.bridge
    assert (bridge.left_total, bridge.right_total) == (Decimal("8875.00"), Decimal("8875.00"))
    assert bridge.explained.get("within_tolerance", Decimal(0)) == 0
    assert bridge.unexplained == 0
    assert bridge.unconverted == 0
