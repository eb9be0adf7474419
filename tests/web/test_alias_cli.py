"""`ledgerbridge alias list|add|remove`: the CLI's parity with the Aliases page (same service, same store,
same audit rows), and a later run compares the aliased names as one customer."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import Engine

from config.settings import Settings
from store.audit_log import list_audit
from store.reconcile_repository import SqlReconcileRepository
from sync.reconcile_job import run_rules
from tests.conftest import FixedClock
from tests.e2e.report_support import Ran, run_cli, store_documents
from tests.unit.reconcile.helpers import invoice


@pytest.fixture
def config(tmp_path: Path, web_settings: Settings, web_engine: Engine) -> Path:
    path = tmp_path / "ledgerbridge.yaml"
    path.write_text(
        f"database_url: {web_settings.database_url}\nsecret_key_file: {web_settings.secret_key_file}\n",
        encoding="utf-8",
    )
    return path


def _alias(capsys: pytest.CaptureFixture[str], config: Path, *args: str) -> Ran:
    return run_cli(capsys, config, ["--lang", "en", "alias", *args])


def _party_mismatches(engine: Engine) -> int:
    found = SqlReconcileRepository(engine).list_exceptions(rule="crm-vs-books", status="open")
    return sum(1 for e in found if e.type == "party_mismatch")


def test_add_list_remove_are_audited_and_change_what_the_next_run_compares(
    capsys: pytest.CaptureFixture[str],
    config: Path,
    web_engine: Engine,
    web_settings: Settings,
    web_clock: FixedClock,
) -> None:
    store_documents(
        web_engine,
        [
            invoice("zoho-crm", "c1", "INV-0001", "10.00", party="Acme Trading"),
            invoice("zoho-books", "b1", "INV-0001", "10.00", party="艾克美贸易"),
        ],
    )
    run_rules(web_engine, web_settings, clock=web_clock)
    assert _party_mismatches(web_engine) == 1
    added = _alias(
        capsys, config, "add", "Acme Trading", "艾克美贸易", "--note", "one customer", "--as", "li"
    )
    assert added.status == 0, added.err
    assert "≡" in added.out
    assert "every rule" in added.out
    listed = json.loads(_alias(capsys, config, "list", "--json").out)["aliases"]
    assert [(a["a"], a["b"], a["rule"], a["actor"]) for a in listed] == [
        ("Acme Trading", "艾克美贸易", None, "li")
    ]
    run_rules(web_engine, web_settings, clock=web_clock)
    assert _party_mismatches(web_engine) == 0
    removed = _alias(capsys, config, "remove", str(listed[0]["id"]), "--as", "li")
    assert removed.status == 0, removed.err
    assert _alias(capsys, config, "list").out.strip() == "no alias is recorded"
    run_rules(web_engine, web_settings, clock=web_clock)
    assert _party_mismatches(web_engine) == 1
    actions = [(e.action, e.actor) for e in list_audit(web_engine, action="alias.")]
    assert actions == [("alias.remove", "li"), ("alias.add", "li")]


def test_an_alias_that_says_nothing_or_names_no_rule_is_refused(
    capsys: pytest.CaptureFixture[str], config: Path
) -> None:
    same = _alias(capsys, config, "add", "Acme Ltd.", "ACME", "--note", "x")
    assert same.status != 0
    assert "already the same customer" in same.err
    unknown = _alias(capsys, config, "add", "Acme", "Zeta", "--rule", "nope", "--note", "x")
    assert unknown.status != 0
    assert "no match rule nope" in unknown.err
    assert _alias(capsys, config, "remove", "99").status != 0
