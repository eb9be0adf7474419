"""`reconcile run`, `exceptions ...`, `match`/`unmatch` from the command line, on both databases."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import Engine

from store.audit_log import default_actor
from store.canonical import Status
from tests.conftest import table_counts
from tests.e2e.report_support import crm_vs_books, run_cli, store_documents, write_config
from tests.unit.reconcile.helpers import invoice

RULES = crm_vs_books("tolerance: {amount: 0.01}", "owner: li.na", "period: 2026-10")
TABLES = ("reconcile_runs", "reconcile_matches", "reconcile_exceptions", "reconcile_exception_events")


@pytest.fixture
def config(tmp_path: Path, database_url: str, engine: Engine) -> Path:
    path = write_config(tmp_path, database_url, extra=RULES)
    store_documents(
        engine,
        [
            invoice("zoho-crm", "c1", "INV-0001", "100.00"),
            invoice("zoho-books", "b1", "inv 0001", "100.01"),
            invoice("zoho-crm", "c2", "INV-0002", "250.00"),
            invoice("zoho-books", "b2", "INV-0002", "205.00"),
            invoice("zoho-crm", "c3", "INV-0003", "40.00"),
            invoice("zoho-books", "b4", "INV-0004", "7.00", status=Status.PAID),
            invoice("zoho-books", "b9", "INV-0009", "9.00", issued_on=date(2026, 11, 2)),
        ],
    )
    return path


def _json(capsys: pytest.CaptureFixture[str], config: Path, *args: str) -> dict:  # type: ignore[type-arg]
    ran = run_cli(capsys, config, [*args, "--json"])
    assert ran.status == 0, ran.err
    return json.loads(ran.out)  # type: ignore[no-any-return]


def _by_rule(runs: list[dict]) -> dict[str, dict]:  # type: ignore[type-arg]
    """Runs by rule or plan name: `reconcile run` runs the rules, then the audit plans (the rules'
    audit checks are the implicit plan `audit`), each run once."""
    named = {run["rule"]: run for run in runs}
    assert len(named) == len(runs), [run["rule"] for run in runs]
    return named


def test_reconcile_run_prints_counts_and_a_bridge_that_adds_up(
    capsys: pytest.CaptureFixture[str], config: Path
) -> None:
    runs = _by_rule(_json(capsys, config, "reconcile", "run")["runs"])
    assert list(runs) == ["crm-vs-books", "audit"]
    run = runs["crm-vs-books"]
    assert {k: run[k] for k in ("rule", "period", "status", "left_count", "right_count", "matched")} == {
        "rule": "crm-vs-books",
        "period": "2026-10",
        "status": "ok",
        "left_count": 3,
        "right_count": 3,
        "matched": 1,
    }
    assert run["exceptions"] == {"amount_mismatch": 1, "missing_in_left": 1, "missing_in_right": 1}
    assert run["bridge"] == {
        "currency": "CNY",
        "left_total": "390.00",
        "right_total": "312.01",
        "difference": "77.99",
        "explained": {
            "amount_mismatch": "45.00",
            "missing_in_left": "-7.00",
            "missing_in_right": "40.00",
            "within_tolerance": "-0.01",
        },
        "unexplained": "0.00",
        "unconverted": 0,
    }
    text = run_cli(capsys, config, ["reconcile", "run", "--period", "all"])
    assert text.status == 0
    assert "missing_in_left" in text.out
    assert text.out.count("unexplained") == 1  # the rule's bridge; an audit plan has none
    assert "audit (audit plan, all, run " in text.out


def test_the_rules_audit_checks_run_once_as_the_plan_audit_over_the_rules_period_and_owner(
    capsys: pytest.CaptureFixture[str], config: Path, engine: Engine
) -> None:
    store_documents(engine, [invoice("zoho-books", "b5", "INV-0005", "5.00", owner=None)])
    audit = _by_rule(_json(capsys, config, "reconcile", "run")["runs"])["audit"]
    assert (audit["kind"], audit["period"], audit["exceptions"]) == ("audit", "2026-10", {"missing_owner": 1})
    assert audit["documents"] == 7  # both sides of 2026-10; INV-0009 (November) is outside the period
    assert audit["skipped"] == {"discount_above_limit": {"discount_unknown": 7}}
    [found] = _json(capsys, config, "exceptions", "list", "--type", "missing_owner")["exceptions"]
    assert (found["rule"], found["assignee"], found["severity"]) == ("audit", "li.na", "normal")
    assert (
        _json(capsys, config, "exceptions", "list", "--rule", "crm-vs-books", "--type", "missing_owner")[
            "exceptions"
        ]
        == []
    )
    again = _by_rule(_json(capsys, config, "reconcile", "run", "--rule", "audit")["runs"])
    assert list(again) == ["audit"]
    assert (again["audit"]["opened"], again["audit"]["exceptions"]) == (0, {"missing_owner": 1})


def test_a_dry_run_saves_nothing(capsys: pytest.CaptureFixture[str], config: Path, engine: Engine) -> None:
    before = table_counts(engine, *TABLES)
    runs = _by_rule(_json(capsys, config, "reconcile", "run", "--dry-run")["runs"])
    assert [run["dry_run"] for run in runs.values()] == [True, True]
    assert sum(runs["crm-vs-books"]["exceptions"].values()) == 3
    assert runs["audit"]["run_id"] is None
    assert table_counts(engine, *TABLES) == before


def test_exceptions_are_listed_shown_and_reviewed_with_every_action_recorded(
    capsys: pytest.CaptureFixture[str], config: Path
) -> None:
    _json(capsys, config, "reconcile", "run")
    listed = _json(capsys, config, "exceptions", "list", "--type", "amount_mismatch")["exceptions"]
    [wrong] = listed
    assert wrong["left"] == {
        "source": "zoho-crm",
        "kind": "invoice",
        "external_id": "c2",
        "number": "INV-0002",
        "amount": "250.00",
    }
    assert wrong["right"]["external_id"] == "b2"
    assert (wrong["difference"], wrong["currency"], wrong["status"], wrong["assignee"]) == (
        "45.00",
        "CNY",
        "open",
        "li.na",
    )
    assert "INV-0002" in wrong["detail"]
    ident = str(wrong["id"])
    assert (
        _json(capsys, config, "exceptions", "ack", ident, "--as", "wang")["exception"]["status"]
        == "acknowledged"
    )
    resolved = _json(
        capsys, config, "exceptions", "resolve", ident, "--note", "credit note CN-7", "--kind", "accepted"
    )
    assert resolved["exception"]["resolution_note"] == "credit note CN-7"
    assert _json(capsys, config, "exceptions", "assign", ident, "zhao")["exception"]["assignee"] == "zhao"
    refused = run_cli(capsys, config, ["--lang", "en", "exceptions", "ack", ident])
    assert refused.status == 1
    assert "while it is Resolved" in refused.err
    assert _json(capsys, config, "exceptions", "reopen", ident)["exception"]["status"] == "open"
    shown = _json(capsys, config, "exceptions", "show", ident)["exception"]
    assert [(e["action"], e["actor"]) for e in shown["events"]][:2] == [
        ("opened", default_actor()),
        ("acknowledged", "wang"),
    ]
    assert [e["action"] for e in shown["events"]][2:] == ["resolved", "assigned", "reopened"]
    assert [f["field"] for f in shown["fields"]] == ["total"]
    assert set(shown["history"]) == {"zoho-crm/invoice/c2", "zoho-books/invoice/b2"}
    assert run_cli(capsys, config, ["exceptions", "show", "9999"]).status == 1
    assert _json(capsys, config, "exceptions", "list", "--status", "resolved")["exceptions"] == []


def test_a_manual_match_pairs_documents_on_the_next_run_and_unmatch_undoes_it(
    capsys: pytest.CaptureFixture[str], config: Path
) -> None:
    _json(capsys, config, "reconcile", "run")
    args = ["zoho-crm/invoice/c3", "zoho-books/invoice/b4", "--rule", "crm-vs-books", "--note", "renumbered"]
    assert _json(capsys, config, "match", *args)["override"]["action"] == "match"
    run = _by_rule(_json(capsys, config, "reconcile", "run")["runs"])["crm-vs-books"]
    assert run["auto_resolved"] == 2
    assert run["exceptions"] == {"amount_mismatch": 2}
    _json(capsys, config, "unmatch", *args)
    again = _by_rule(_json(capsys, config, "reconcile", "run")["runs"])["crm-vs-books"]
    assert again["reopened"] == 2


@pytest.mark.parametrize(
    "args",
    [
        ["reconcile", "run", "--rule", "nope"],
        ["reconcile", "run", "--period", "2026-13"],
        ["match", "INV-9999", "zoho-books/invoice/b4", "--rule", "crm-vs-books", "--note", "x"],
        ["match", "zoho-crm/invoice/zz", "zoho-books/invoice/b4", "--rule", "crm-vs-books", "--note", "x"],
        ["match", "zoho-books/invoice/b4", "zoho-crm/invoice/c3", "--rule", "crm-vs-books", "--note", "x"],
    ],
)
def test_bad_usage_exits_2_with_a_message_saying_what_to_fix(
    capsys: pytest.CaptureFixture[str], config: Path, args: list[str]
) -> None:
    ran = run_cli(capsys, config, args)
    assert ran.status == 2
    assert ran.err.startswith("ledgerbridge: ")
    assert ran.err.count("\n") == 1


def _jsonl_config(tmp_path: Path, database_url: str) -> Path:
    """Two jsonl connectors (a CRM and a books export) and a rule that runs after either syncs."""
    config = tmp_path / "sync.yaml"
    connectors = "".join(
        f"  - name: {name}\n    kind: jsonl\n    path: {tmp_path / name}.jsonl\n    streams: [invoices]\n"
        for name in ("crm", "books")
    )
    rules = (
        RULES.replace("zoho-crm", "crm")
        .replace("zoho-books", "books")
        .replace("owner: li.na", "after: [books]")
    )
    config.write_text(
        f"database_url: {database_url}\nbase_currency: CNY\ntimezone: Asia/Shanghai\n"
        f"secret_key_file: {tmp_path / 'ledgerbridge.key'}\nconnectors:\n{connectors}{rules}",
        encoding="utf-8",
    )
    return config


def _write(tmp_path: Path, name: str, totals: dict[str, str], modified: str) -> None:
    lines = [
        json.dumps(
            {
                "kind": "invoice",
                "external_id": f"{name}-{number}",
                "number": number,
                "party": {"name": "上海申远贸易有限公司"},
                "owner": "amy",
                "issued_on": "2026-10-05",
                "currency": "CNY",
                "total": total,
                "source_modified_at": modified,
            },
            ensure_ascii=False,
        )
        for number, total in totals.items()
    ]
    (tmp_path / f"{name}.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")


def test_fixing_a_document_at_the_source_and_syncing_again_auto_resolves_its_exception(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, database_url: str, engine: Engine
) -> None:
    config = _jsonl_config(tmp_path, database_url)
    _write(tmp_path, "crm", {"INV-1": "100.00", "INV-2": "250.00"}, "2026-10-06T00:00:00Z")
    _write(tmp_path, "books", {"INV-1": "100.00", "INV-2": "205.00"}, "2026-10-06T00:00:00Z")
    reconciled = _by_rule(_json(capsys, config, "sync", "run")["reconciled"])
    assert list(reconciled) == ["crm-vs-books", "audit"]  # the rules' audit checks follow their `after`
    first = reconciled["crm-vs-books"]
    assert (first["exceptions"], first["opened"]) == ({"amount_mismatch": 1}, 1)
    _write(tmp_path, "books", {"INV-1": "100.00", "INV-2": "250.00"}, "2026-10-07T00:00:00Z")
    second = _by_rule(_json(capsys, config, "sync", "run", "--connector", "books")["reconciled"])[
        "crm-vs-books"
    ]
    assert (second["exceptions"], second["auto_resolved"]) == ({}, 1)
    [gone] = _json(capsys, config, "exceptions", "list", "--status", "auto_resolved")["exceptions"]
    events = _json(capsys, config, "exceptions", "show", str(gone["id"]))["exception"]["events"]
    assert [e["action"] for e in events] == ["opened", "auto_resolved"]
    assert _json(capsys, config, "sync", "run", "--connector", "crm")["reconciled"] == []


def test_a_configured_audit_plan_runs_by_name_and_its_low_severity_finding_is_marked_in_the_list(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, database_url: str, engine: Engine
) -> None:
    path = write_config(tmp_path, database_url)
    path.write_text(
        path.read_text(encoding="utf-8")
        + RULES.replace("      period: 2026-10\n", "      period: 2026-10\n      audit: []\n")
        + """\
  audits:
    - name: outliers
      checks: [unusual_amount]
      scope: [{source: zoho-books, kind: invoice}]
      owner: wang
      thresholds: {unusual_amount: {min_history: 5, factor: 5}}
""",
        encoding="utf-8",
    )
    totals = ["100.00", "101.00", "99.00", "102.00", "100.50", "98.50", "5000.00"]
    store_documents(
        engine, [invoice("zoho-books", f"u{i}", f"INV-U{i}", total) for i, total in enumerate(totals)]
    )
    runs = _by_rule(_json(capsys, path, "reconcile", "run", "--rule", "outliers")["runs"])
    assert list(runs) == ["outliers"]  # no implicit plan: every rule says `audit: []`
    assert (runs["outliers"]["kind"], runs["outliers"]["exceptions"]) == ("audit", {"unusual_amount": 1})
    [found] = _json(capsys, path, "exceptions", "list", "--rule", "outliers")["exceptions"]
    assert (found["left"]["number"], found["severity"], found["assignee"]) == ("INV-U6", "low", "wang")
    text = run_cli(capsys, path, ["--lang", "en", "exceptions", "list", "--rule", "outliers"])
    assert "Unusual amount (low)" in text.out
    shown = run_cli(capsys, path, ["--lang", "en", "exceptions", "show", str(found["id"])])
    assert "severity low" in shown.out
