"""Rules are validated when the configuration is loaded; errors name the rule, the field and the line."""

from __future__ import annotations

from decimal import Decimal

import pytest

from config.loader import ConfigError, parse_config

GOOD = """\
reconcile:
  rules:
    - name: crm-vs-books-invoices
      left:  {source: zoho-crm, kind: invoice, filters: {status: [open, paid]}}
      right: {source: zoho-books, kind: invoice}
      keys: [number, references.crm_id]
      fuzzy: {enabled: true, date_window_days: 7}
      tolerance: {amount: 0.01, amount_percent: "0", days: 0}
      compare: [total, currency, party, issued_on, status]
      schedule: {cron: "0 2 * * *"}
      period: previous_month
      owner: finance-lead
      after: [zoho-crm, zoho-books]
    - name: books-settlement
      kind: settlement
      invoices: {source: zoho-books, kind: invoice}
      payments: {source: zoho-books, kind: payment}
      tolerance: {amount: "0.01"}
      audit: [negative_amount]
"""


def test_the_documented_rules_load_with_exact_decimal_tolerances() -> None:
    settings = parse_config(GOOD, "ledgerbridge.yaml", {})
    rule = settings.reconcile.rule("crm-vs-books-invoices")
    assert rule.kind == "match"
    assert rule.tolerance.amount == Decimal("0.01")
    assert rule.schedule == {"cron": "0 2 * * *"}
    assert settings.reconcile.audit_checks(settings.reconcile.rule("books-settlement")) == (
        "negative_amount",
    )
    assert len(settings.reconcile.audit_checks(rule)) == 10


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        ("keys: [number, references.crm_id]", "keys: [number, refs]", "rules[crm-vs-books-invoices].keys"),
        ("days: 0}", "days: -1}", "rules[crm-vs-books-invoices].tolerance.days"),
        ("period: previous_month", "period: last-week", "rules[crm-vs-books-invoices].period"),
        ("compare: [total,", "compare: [colour,", "rules[crm-vs-books-invoices].compare"),
        (
            "kind: settlement",
            "kind: magic",
            "rules[books-settlement]: kind must be match, settlement or collections",
        ),
        ('{cron: "0 2 * * *"}', '{cron: "daily"}', "rules[crm-vs-books-invoices].schedule"),
        ("audit: [negative_amount]", "audit: [vibes]", "rules[books-settlement].audit"),
    ],
)
def test_an_invalid_rule_is_rejected_naming_the_rule_and_field(old: str, new: str, expected: str) -> None:
    assert old in GOOD
    with pytest.raises(ConfigError) as caught:
        parse_config(GOOD.replace(old, new), "ledgerbridge.yaml", {})
    assert expected in str(caught.value)
    assert str(caught.value).startswith("ledgerbridge.yaml:")


def test_two_rules_with_one_name_are_rejected() -> None:
    text = GOOD.replace("name: books-settlement", "name: crm-vs-books-invoices")
    with pytest.raises(ConfigError, match="used twice"):
        parse_config(text, "ledgerbridge.yaml", {})
