"""Audit plans: each check runs once per document, findings belong to the plan, skips are counted."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from config.loader import parse_config
from config.rules import AuditPlan, ReconcileSettings
from reconcile.audits import AuditContext, AuditLimits, audit_plan, suspect
from reconcile.audits.rowchecks import ROW_CHECKS
from reconcile.matching import as_rows
from store.canonical import Line, to_minor_units
from store.ledger_rows import LedgerRow
from tests.unit.reconcile.helpers import invoice

LIMITS = AuditLimits()
CHECKS = tuple(AuditPlan.model_fields["checks"].default_factory())  # type: ignore[misc]


def doc(number: str, total: str, **fields: Any) -> LedgerRow:
    """A clean invoice: subtotal + 13% tax, no discount, shipping, adjustment or rounding."""
    amount = Decimal(total)
    subtotal = (amount / Decimal("1.13")).quantize(Decimal("0.01"))
    base: dict[str, Any] = {
        "subtotal": subtotal,
        "tax": amount - subtotal,
        "owner": "amy",
        "discount": Decimal(0),
        "shipping": Decimal(0),
        "adjustment": Decimal(0),
        "rounding": Decimal(0),
        "tax_inclusive": False,
    }
    base.update(fields)
    return as_rows([invoice("books", number.lower(), number, total, **base)])[0]


def run(*rows: LedgerRow, checks: tuple[str, ...] = CHECKS, context: AuditContext | None = None) -> Any:
    return audit_plan("audit", [(list(rows), checks)], LIMITS, context)


def types(result: Any) -> list[str]:
    return sorted(d.type.value for d in result.discrepancies)


def test_a_document_read_by_two_rules_is_flagged_once_under_the_plan() -> None:
    bad = doc("INV-1", "113.00", owner=None)
    result = audit_plan("audit", [([bad], CHECKS), ([bad], ("missing_owner",))], LIMITS)
    assert types(result) == ["missing_owner"]
    assert result.discrepancies[0].rule == "audit"
    assert result.documents == 1


def test_the_per_rule_audit_key_maps_onto_one_implicit_plan_with_the_union_of_checks() -> None:
    config = parse_config(
        """\
reconcile:
  rules:
    - name: crm-vs-books
      left:  {source: zoho-crm, kind: invoice}
      right: {source: zoho-books, kind: invoice}
      audit: [missing_owner]
    - name: books-settlement
      kind: settlement
      invoices: {source: zoho-books, kind: invoice}
      payments: {source: zoho-books, kind: payment}
      audit: [negative_amount]
""",
        "ledgerbridge.yaml",
        {},
    )
    plan = config.reconcile.plan("audit")
    scopes = {(s.source, s.kind): plan.checks_for(s) for s in plan.scope}
    assert scopes[("zoho-books", "invoice")] == ("negative_amount", "missing_owner")
    assert scopes[("zoho-crm", "invoice")] == ("missing_owner",)
    assert scopes[("zoho-books", "payment")] == ("negative_amount",)


def test_the_implicit_plan_keeps_the_rules_period_owner_and_schedule_so_a_daemon_still_runs_it() -> None:
    rules = """\
reconcile:
  rules:
    - name: crm-vs-books
      left:  {source: zoho-crm, kind: invoice}
      right: {source: zoho-books, kind: invoice}
      period: previous_month
      owner: li.na
      schedule: {cron: "0 2 * * *"}
    - name: books-settlement
      kind: settlement
      invoices: {source: zoho-books, kind: invoice}
      payments: {source: zoho-books, kind: payment}
      period: previous_month
      owner: OWNER
"""
    agreed = parse_config(rules.replace("OWNER", "li.na"), "ledgerbridge.yaml", {}).reconcile.plan("audit")
    assert (agreed.period, agreed.owner, agreed.schedule) == (
        "previous_month",
        "li.na",
        {"cron": "0 2 * * *"},
    )
    differ = parse_config(rules.replace("OWNER", "wang"), "ledgerbridge.yaml", {}).reconcile.plan("audit")
    assert (differ.period, differ.owner) == ("previous_month", None)


def test_the_identity_counts_discount_shipping_adjustment_and_rounding() -> None:
    # 1000 - 100 discount + 20 shipping - 5 adjustment + 0.03 rounding + 117 tax = 1032.03
    fields = {
        "subtotal": Decimal(1000),
        "tax": Decimal(117),
        "discount": Decimal(100),
        "shipping": Decimal(20),
        "adjustment": Decimal(-5),
        "rounding": Decimal("0.03"),
    }
    assert types(run(doc("INV-1", "1032.03", **fields), checks=("total_not_subtotal_plus_tax",))) == []
    off = run(doc("INV-2", "1033.03", **fields), checks=("total_not_subtotal_plus_tax",))
    assert types(off) == ["total_not_subtotal_plus_tax"]
    assert "discount 100.00" in off.discrepancies[0].explanation


def test_a_tax_inclusive_total_is_the_subtotal_and_the_tax_is_not_added_again() -> None:
    inclusive = doc(
        "INV-1", "11324.52", subtotal=Decimal("11324.52"), tax=Decimal("1302.82"), tax_inclusive=True
    )
    assert types(run(inclusive, checks=("total_not_subtotal_plus_tax", "total_not_sum_of_lines"))) == []
    exclusive = inclusive._replace(tax_inclusive=False)
    assert types(run(exclusive, checks=("total_not_subtotal_plus_tax",))) == ["total_not_subtotal_plus_tax"]


def test_an_unknown_component_skips_the_identity_and_the_run_says_why_once() -> None:
    rows = [doc(f"INV-{i}", "113.00", discount=None) for i in range(3)]
    rows.append(doc("INV-9", "113.00", tax_inclusive=None))
    result = run(*rows, checks=("total_not_subtotal_plus_tax",))
    assert types(result) == []
    assert result.skipped == {
        "total_not_subtotal_plus_tax": {"discount_unknown": 3, "tax_inclusive_unknown": 1}
    }


def test_lines_net_of_line_discounts_add_up_to_the_subtotal_even_with_a_document_discount() -> None:
    lines = (Line(product="A", amount=Decimal(600)), Line(product="B", amount=Decimal(400)))
    fine = doc(
        "INV-1", "1017.00", subtotal=Decimal(1000), tax=Decimal(117), discount=Decimal(100), lines=lines
    )
    assert types(run(fine, checks=("total_not_sum_of_lines",))) == []
    wrong = doc(
        "INV-2", "1017.00", subtotal=Decimal(1100), tax=Decimal(117), discount=Decimal(200), lines=lines
    )
    assert types(run(wrong, checks=("total_not_sum_of_lines",))) == ["total_not_sum_of_lines"]


def test_possible_duplicate_fires_on_a_lookalike_and_not_on_instalments_or_other_orders() -> None:
    day = date(2026, 10, 1)
    first = doc("INV-1", "500.00", issued_on=day)
    twin = doc("INV-2", "500.00", issued_on=day + timedelta(days=1))
    found = run(first, twin, checks=("possible_duplicate",))
    assert types(found) == ["possible_duplicate"]
    assert found.discrepancies[0].left[0].number == "INV-2"
    instalment = doc("INV-3", "500.00", issued_on=day + timedelta(days=30))
    assert types(run(first, instalment, checks=("possible_duplicate",))) == []
    a = first._replace(references={"sales_order": "so-1"})
    b = twin._replace(references={"sales_order": "so-2"})
    assert types(run(a, b, checks=("possible_duplicate",))) == []


def test_discount_above_the_limit_fires_and_a_discount_at_the_limit_does_not() -> None:
    over = doc("INV-1", "800.00", subtotal=Decimal(1000), tax=Decimal(100), discount=Decimal("300.01"))
    at = doc("INV-2", "800.00", subtotal=Decimal(1000), tax=Decimal(100), discount=Decimal(300))
    assert types(run(over, at, checks=("discount_above_limit",))) == ["discount_above_limit"]


def test_an_unusual_amount_needs_history_and_is_low_severity() -> None:
    day = date(2026, 1, 1)
    history = [doc(f"INV-{k}", str(1000 + 10 * k), issued_on=day + timedelta(days=k)) for k in range(12)]
    big = doc("INV-99", "90000.00", issued_on=day + timedelta(days=40))
    found = run(*history, big, checks=("unusual_amount",))
    assert types(found) == ["unusual_amount"]
    assert found.discrepancies[0].type.severity == "low"
    assert types(run(*history[:5], big, checks=("unusual_amount",))) == []
    assert types(run(*history, checks=("unusual_amount",))) == []


def test_a_modest_order_against_a_tight_history_is_not_unusual_but_a_several_times_larger_one_is() -> None:
    # A clean company showed this: 12 orders around 28,580 (spread a few hundred) and one of 64,680 is
    # statistically far out (> 10 x 1.4826 x MAD), yet only 2.3 x the median: no news to finance.
    day = date(2026, 1, 1)
    history = [doc(f"INV-{k}", str(28_000 + 100 * k), issued_on=day + timedelta(days=k)) for k in range(12)]
    modest = doc("INV-98", "64680.00", issued_on=day + timedelta(days=40))
    large = doc("INV-99", "90000.00", issued_on=day + timedelta(days=41))
    small = doc("INV-97", "9000.00", issued_on=day + timedelta(days=42))
    found = run(*history, modest, large, small, checks=("unusual_amount",))
    assert sorted((d.left or d.right)[0].number or "" for d in found.discrepancies) == ["INV-97", "INV-99"]


def test_the_discount_limit_is_written_as_finance_configured_it() -> None:
    limits = AuditLimits(discount_percent=Decimal(20))
    over = doc("INV-1", "700.00", subtotal=Decimal(1000), tax=Decimal(0), discount=Decimal(300))
    found = audit_plan("p", [([over], ("discount_above_limit",))], limits)
    assert "above the 20% limit" in found.discrepancies[0].explanation


def test_a_credit_note_above_the_invoice_it_credits_is_flagged_and_a_partial_one_is_not() -> None:
    invoice_row = doc("INV-1", "100.00")
    context = AuditContext(invoices={("books", invoice_row.external_id): invoice_row})
    over = LedgerRow(
        "books",
        "credit_note",
        "cn1",
        "CN-1",
        total=to_minor_units(Decimal(150)),
        allocations=((invoice_row.external_id, to_minor_units(Decimal(150)), "invoice"),),
    )
    part = over._replace(
        external_id="cn2",
        number="CN-2",
        total=to_minor_units(Decimal(10)),
        allocations=((invoice_row.external_id, to_minor_units(Decimal(10)), "invoice"),),
    )
    found = run(over, part, checks=("credit_note_exceeds_invoice",), context=context)
    assert types(found) == ["credit_note_exceeds_invoice"]
    assert found.discrepancies[0].left[0].external_id == "cn1"


amounts = st.one_of(st.none(), st.integers(-(10**8), 10**8))


@settings(max_examples=400, deadline=None)
@given(
    total=amounts,
    subtotal=amounts,
    tax=amounts,
    discount=amounts,
    shipping=amounts,
    adjustment=amounts,
    rounding=amounts,
    lines=amounts,
    lines_min=amounts,
    inclusive=st.one_of(st.none(), st.booleans()),
    owner=st.sampled_from([None, "", "  ", "amy"]),
    kind=st.sampled_from(["invoice", "sales_order", "payment", "credit_note"]),
    due=st.integers(-5, 5),
)
def test_a_row_the_cheap_filter_lets_through_makes_no_check_fire_or_skip(**f: Any) -> None:
    issued = date(2026, 10, 10)
    row = LedgerRow(
        "books",
        f["kind"],
        "x",
        "X-1",
        owner=f["owner"],
        issued_on=issued,
        due_on=issued + timedelta(days=f["due"]),
        subtotal=f["subtotal"],
        tax=f["tax"],
        total=f["total"],
        lines_total=f["lines"],
        lines_min=f["lines_min"],
        discount=f["discount"],
        shipping=f["shipping"],
        adjustment=f["adjustment"],
        rounding=f["rounding"],
        tax_inclusive=f["inclusive"],
    )
    if not suspect(row, LIMITS):
        assert all(check(row, LIMITS, AuditContext()) is None for check in ROW_CHECKS.values())


def test_configured_plans_turn_the_default_implicit_plan_off_so_no_document_is_audited_twice() -> None:
    rule = {
        "name": "crm-vs-books",
        "left": {"source": "zoho-crm", "kind": "invoice"},
        "right": {"source": "zoho-books", "kind": "invoice"},
    }
    own = {"name": "books-audit", "scope": [{"source": "zoho-books", "kind": "invoice"}]}
    with_plan = ReconcileSettings.model_validate({"rules": [rule], "audits": [own]})
    assert [plan.name for plan in with_plan.plans()] == ["books-audit"]
    asked = ReconcileSettings.model_validate({"rules": [rule], "audits": [own], "audit": ["missing_owner"]})
    assert [plan.name for plan in asked.plans()] == ["books-audit", "audit"]
    alone = ReconcileSettings.model_validate({"rules": [rule]})
    assert [plan.name for plan in alone.plans()] == ["audit"]


def test_the_implicit_plan_runs_after_the_connectors_of_auditing_rules_only() -> None:
    sides = {"left": {"source": "a", "kind": "invoice"}, "right": {"source": "b", "kind": "invoice"}}
    settings = ReconcileSettings.model_validate(
        {
            "rules": [
                {"name": "audited", **sides, "after": ["a"]},
                {"name": "quiet", **sides, "after": ["c"], "audit": []},
            ]
        }
    )
    plan = settings.implicit_plan()
    assert plan is not None
    assert plan.after == ["a"]
