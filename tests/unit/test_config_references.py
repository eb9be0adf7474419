"""Mistakes the loader must refuse at load (issue 15): sources naming no connector, non-ISO currencies,
and `ledgerbridge config check` listing every problem rather than the first."""

from __future__ import annotations

from pathlib import Path

import pytest

from config.loader import ConfigError, parse_config
from sync.cli import main

CONNECTORS = """\
connectors:
  - {name: zoho-crm, kind: jsonl, path: crm.jsonl}
  - {name: zoho-books, kind: jsonl, path: books.jsonl}
"""

MATCH_TYPO = (
    CONNECTORS
    + """\
reconcile:
  rules:
    - name: crm-vs-books
      left: {source: zoho-cmr, kind: invoice}
      right: {source: zoho-books, kind: invoice}
"""
)


def test_a_rule_side_naming_no_configured_connector_is_refused_with_its_line_and_the_known_names() -> None:
    with pytest.raises(ConfigError) as info:
        parse_config(MATCH_TYPO, "cfg.yaml", {})
    message = str(info.value)
    assert message.startswith(
        "cfg.yaml:7: reconcile.rules[crm-vs-books].left.source: no connector named 'zoho-cmr'"
    )
    assert "configured: zoho-crm, zoho-books" in message
    assert "did you mean 'zoho-crm'?" in message


def test_settlement_sides_audit_scopes_and_after_names_are_all_checked() -> None:
    text = (
        CONNECTORS
        + """\
reconcile:
  rules:
    - name: settle
      kind: settlement
      invoices: {source: zoho-books, kind: invoice}
      payments: {source: books, kind: payment}
      credit_notes: {source: zoho-books, kind: credit_note}
      after: [zoho-crm, crm]
  audits:
    - name: nightly
      scope: [{source: fxiaoke, kind: invoice}]
      after: [zoho-bks]
"""
    )
    with pytest.raises(ConfigError) as info:
        parse_config(text, "cfg.yaml", {})
    problems = info.value.problems
    assert [p.split(": no connector")[0] for p in problems] == [
        "cfg.yaml:9: reconcile.rules[settle].payments.source",
        "cfg.yaml:11: reconcile.rules[settle].after[1]",
        "cfg.yaml:14: reconcile.audits[nightly].scope[0].source",
        "cfg.yaml:15: reconcile.audits[nightly].after[0]",
    ]
    assert "(and 3 more problems: run `ledgerbridge config check` to see them all)" in str(info.value)


def test_rules_in_a_config_without_connectors_may_name_any_source() -> None:
    """Documents stored by another tool are reconciled under whatever source names it used."""
    settings = parse_config(MATCH_TYPO.removeprefix(CONNECTORS), "cfg.yaml", {})
    assert settings.reconcile.rules[0].name == "crm-vs-books"


def test_rules_naming_configured_connectors_load() -> None:
    settings = parse_config(MATCH_TYPO.replace("zoho-cmr", "zoho-crm"), "cfg.yaml", {})
    assert [c.name for c in settings.connectors] == ["zoho-crm", "zoho-books"]


def test_rmb_is_refused_as_base_currency_with_a_suggestion_of_cny() -> None:
    with pytest.raises(ConfigError) as info:
        parse_config("timezone: UTC\nbase_currency: RMB\n", "cfg.yaml", {})
    assert (
        str(info.value)
        == "cfg.yaml:2: base_currency: 'RMB' is not an ISO 4217 currency code: did you mean CNY?"
    )


@pytest.mark.parametrize(("code", "hint"), [("EUO", "did you mean EUR?"), ("QQQ", "such as CNY or USD")])
def test_an_unknown_three_letter_currency_is_refused_with_the_closest_code_when_there_is_one(
    code: str, hint: str
) -> None:
    with pytest.raises(ConfigError) as info:
        parse_config(f"base_currency: {code}\n", "cfg.yaml", {})
    assert hint in str(info.value)


@pytest.mark.parametrize("code", ["CNY", "USD", "EUR", "HKD", "JPY"])
def test_iso_currency_codes_are_accepted(code: str) -> None:
    assert parse_config(f"base_currency: {code}\n", "cfg.yaml", {}).base_currency == code


def test_config_check_lists_every_problem_with_its_line_and_exits_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "ledgerbridge.yaml"
    path.write_text("base_currency: RMB\ntimezone: Mars/Olympus\nbogus: 1\n", encoding="utf-8")
    assert main(["--config", str(path), "config", "check"]) == 2
    err = capsys.readouterr().err.splitlines()
    assert err[0] == f"{path}:1: base_currency: 'RMB' is not an ISO 4217 currency code: did you mean CNY?"
    assert err[1].startswith(f"{path}:2: timezone: unknown time zone 'Mars/Olympus'")
    assert err[2] == f"{path}:3: bogus: unknown key 'bogus'"
    assert err[3] == "ledgerbridge: 3 problems in the configuration"


def test_config_check_says_ok_for_a_good_config(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "ledgerbridge.yaml"
    path.write_text(MATCH_TYPO.replace("zoho-cmr", "zoho-crm"), encoding="utf-8")
    assert main(["--config", str(path), "config", "check"]) == 0
    assert capsys.readouterr().out.strip() == f"ok: {path}"


def test_any_other_command_shows_the_first_problem_and_says_how_to_see_them_all(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "ledgerbridge.yaml"
    path.write_text("base_currency: RMB\nbogus: 1\n", encoding="utf-8")
    assert main(["--config", str(path), "connector", "list"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.endswith("(and 1 more problem: run `ledgerbridge config check` to see them all)")
