"""`report mismatches` after `reconcile run`, on SQLite and PostgreSQL: every format, read back."""

from __future__ import annotations

import csv
import json
from datetime import date
from decimal import Decimal
from pathlib import Path

import jsonschema
import pytest
from openpyxl import load_workbook
from sqlalchemy import Engine

from reconcile.report.csvfile import CSV_ENCODING
from tests.e2e.report_support import run_cli, store_documents
from tests.reconcile_data import planted_ledgers
from tests.unit.report.report_fixtures import make_doc
from tests.unit.report.test_report_formats import SCHEMA, _Collector

RULES = """
reconcile:
  rules:
    - name: crm-vs-books-invoices
      left: {source: zoho-crm, kind: invoice}
      right: {source: zoho-books, kind: invoice}
      keys: [number]
      fuzzy: {enabled: true, date_window_days: 7}
      tolerance: {amount: "0.01", days: 3}
      compare: [total, currency, party, issued_on, status]
    - name: books-settlement
      kind: settlement
      invoices: {source: zoho-books, kind: invoice}
      payments: {source: zoho-books, kind: payment}
      tolerance: {amount: "0.01"}
      audit: []
"""


def _config(tmp_path: Path, database_url: str, lang: str = "zh") -> Path:
    path = tmp_path / "ledgerbridge.yaml"
    path.write_text(
        f"database_url: {database_url}\nbase_currency: CNY\ntimezone: Asia/Shanghai\nlocale: {lang}\n"
        f"secret_key_file: {tmp_path / 'ledgerbridge.key'}\n{RULES}",
        encoding="utf-8",
    )
    return path


def _reconcile(capsys: pytest.CaptureFixture[str], config: Path) -> dict[str, dict[str, object]]:
    ran = run_cli(capsys, config, ["reconcile", "run", "--json"])
    assert ran.status == 0, ran.err
    return {run["rule"]: run for run in json.loads(ran.out)["runs"]}


# ---------------------------------------------------------------------------- a ledger small enough to add by hand


@pytest.fixture
def hand_ledger(
    tmp_path: Path, database_url: str, engine: Engine, capsys: pytest.CaptureFixture[str]
) -> Path:
    """CRM: 001 = 100.00, 002 = 200.00, 003 = 300.00. Books: 001 = 100.00, 002 = 210.00.
    Left 600.00 - right 310.00 = 290.00 = missing_in_right 300.00 + amount_mismatch -10.00."""
    day = date(2026, 10, 5)
    common = {"party": "上海星辰贸易有限公司", "issued_on": day, "owner": "amy"}
    store_documents(
        engine,
        [
            make_doc("invoice", "c1", source="zoho-crm", number="001", total="100.00", **common),
            make_doc("invoice", "c2", source="zoho-crm", number="002", total="200.00", **common),
            make_doc("invoice", "c3", source="zoho-crm", number="003", total="300.00", **common),
            make_doc("invoice", "b1", source="zoho-books", number="001", total="100.00", **common),
            make_doc("invoice", "b2", source="zoho-books", number="002", total="210.00", **common),
        ],
    )
    config = _config(tmp_path, database_url)
    _reconcile(capsys, config)
    return config


def test_the_excel_bridge_equals_the_ledger_added_by_hand_and_numbers_keep_their_zeros(
    hand_ledger: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "差异.xlsx"
    ran = run_cli(
        capsys, hand_ledger, ["report", "mismatches", "--format", "xlsx", "--output", str(out), "--json"]
    )
    assert ran.status == 0, ran.err
    assert json.loads(ran.out) == {
        "report": "mismatches",
        "format": "xlsx",
        "output": str(out.resolve()),
        "exceptions": 2,
    }
    book = load_workbook(out)
    assert book.sheetnames == ["汇总", "右方缺失", "金额不符"]
    lines = {
        (row[0], row[2], row[3]): row[4]
        for row in book["汇总"].iter_rows(values_only=True)
        if row and len(row) > 4 and isinstance(row[4], int | float)
    }
    rule = "crm-vs-books-invoices"
    expected = {
        (rule, "左方合计", None): "600.00",
        (rule, "右方合计", None): "310.00",
        (rule, "差额（左方 − 右方）", None): "290.00",
        (rule, "按差异类型解释", "右方缺失"): "300.00",
        (rule, "按差异类型解释", "金额不符"): "-10.00",
    }
    for key, amount in expected.items():
        assert Decimal(str(lines[key])).quantize(Decimal("0.01")) == Decimal(amount), key
    missing = book["右方缺失"]
    assert missing.freeze_panes == "A2"
    header = [cell.value for cell in missing[1]]
    number = missing.cell(row=2, column=header.index("左方单据号") + 1)
    assert (number.value, number.data_type) == ("003", "s")
    amount = missing.cell(row=2, column=header.index("左方金额") + 1)
    assert amount.value == 300
    assert amount.number_format == "#,##0.00"


def test_status_and_rule_filters_narrow_the_report(
    hand_ledger: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    resolved = run_cli(capsys, hand_ledger, ["report", "mismatches", "--status", "resolved", "--json"])
    assert resolved.status == 0, resolved.err
    assert json.loads(resolved.out)["sections"] == []
    unknown = run_cli(capsys, hand_ledger, ["report", "mismatches", "--rule", "nope"])
    assert unknown.status == 2
    assert "crm-vs-books-invoices" in unknown.err


# ---------------------------------------------------------------------------- every type, every format


@pytest.fixture
def planted(
    tmp_path: Path, database_url: str, engine: Engine, capsys: pytest.CaptureFixture[str]
) -> tuple[Path, dict]:
    ledgers = planted_ledgers(n=120, per_type=1)
    store_documents(engine, [*ledgers.left, *ledgers.right, *ledgers.payments])
    config = _config(tmp_path, database_url, lang="en")
    runs = _reconcile(capsys, config)
    listed = run_cli(capsys, config, ["exceptions", "list", "--json"])
    assert listed.status == 0, listed.err
    return config, {"runs": runs, "exceptions": json.loads(listed.out)["exceptions"]}


@pytest.mark.slow
def test_every_format_carries_every_exception_of_a_planted_ledger(
    planted: tuple[Path, dict], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config, truth = planted
    ids = {str(item["id"]) for item in truth["exceptions"]}
    assert len(ids) > 15
    files = {}
    for fmt in ("csv", "xlsx", "html", "json"):
        files[fmt] = tmp_path / f"report.{fmt}"
        ran = run_cli(capsys, config, ["report", "mismatches", "--format", fmt, "--output", str(files[fmt])])
        assert ran.status == 0, ran.err

    rows = list(csv.DictReader(files["csv"].read_text(encoding=CSV_ENCODING).splitlines()))
    assert {row["Exception"] for row in rows} == ids

    document = json.loads(files["json"].read_text(encoding="utf-8"))
    jsonschema.validate(document, SCHEMA)
    assert {row["id"] for section in document["sections"] for row in section["rows"]} == ids
    with_history = [
        r for s in document["sections"] for r in s["rows"] if any(d["history"] for d in r["detail"]["left"])
    ]
    assert with_history  # both sides come with their revision history from the ledger

    book = load_workbook(files["xlsx"])
    per_sheet = sum(sheet.max_row - 1 for sheet in book.worksheets[1:])
    assert per_sheet == len(ids)
    types = {item["type"] for item in truth["exceptions"]}
    assert len(book.sheetnames) == 1 + len(types)

    parser = _Collector()
    parser.feed(files["html"].read_text(encoding="utf-8"))
    assert parser.links == []
    text = "\n".join(parser.text)
    assert all(item_id in text for item_id in ids)


def test_the_terminal_table_is_the_default_and_reads_in_the_configured_language(
    planted: tuple[Path, dict], capsys: pytest.CaptureFixture[str]
) -> None:
    config, _ = planted
    ran = run_cli(capsys, config, ["report", "mismatches"])
    assert ran.status == 0, ran.err
    assert "Reconciliation mismatch report" in ran.out
    assert "Bridge statement" in ran.out
    zh = run_cli(capsys, config, ["report", "mismatches", "--lang", "zh", "--rule", "books-settlement"])
    assert "对账差异报告" in zh.out
    assert "差异调节表" in zh.out
    assert "crm-vs-books-invoices" not in zh.out


# ---------------------------------------------------------------------------- audit plans


def test_an_audit_finding_on_a_document_two_rules_read_is_listed_once_and_each_rule_points_to_it(
    tmp_path: Path, database_url: str, engine: Engine, capsys: pytest.CaptureFixture[str]
) -> None:
    """zoho-books INV b1 has no salesperson: both rules read it, the implicit plan `audit` flags it once."""
    common = {"party": "上海星辰贸易有限公司", "issued_on": date(2026, 10, 5)}
    store_documents(
        engine,
        [
            make_doc("invoice", "c1", source="zoho-crm", number="001", total="100.00", owner="amy", **common),
            make_doc("invoice", "b1", source="zoho-books", number="001", total="100.00", **common),
        ],
    )
    config = _config(tmp_path, database_url, lang="en")
    config.write_text(config.read_text(encoding="utf-8").replace("      audit: []\n", ""), encoding="utf-8")
    runs = _reconcile(capsys, config)
    assert runs["audit"]["exceptions"] == {"missing_owner": 1}
    assert all(not run["exceptions"].get("missing_owner") for name, run in runs.items() if name != "audit")
    listed = run_cli(capsys, config, ["exceptions", "list", "--json"])
    [flagged] = [e for e in json.loads(listed.out)["exceptions"] if e["type"] == "missing_owner"]
    assert (flagged["rule"], flagged["left"]["external_id"]) == ("audit", "b1")

    files = {}
    for fmt in ("csv", "json", "html"):
        files[fmt] = tmp_path / f"report.{fmt}"
        ran = run_cli(capsys, config, ["report", "mismatches", "--format", fmt, "--output", str(files[fmt])])
        assert ran.status == 0, ran.err
    document = json.loads(files["json"].read_text(encoding="utf-8"))
    jsonschema.validate(document, SCHEMA)
    rows = [row for section in document["sections"] for row in section["rows"]]
    assert [row["rule"] for row in rows if row["type"] == "missing_owner"] == ["audit"]
    summary = {section["key"]: section["rows"] for section in document["summary"]}
    assert {(r["rule"], r["type"], r["count"], r["audit_plan"]) for r in summary["audit_by_rule"]} == {
        ("crm-vs-books-invoices", "missing_owner", 1, "audit"),
        ("books-settlement", "missing_owner", 1, "audit"),
    }
    assert "audit" not in {row["rule"] for row in summary["bridge"]}  # a plan has no bridge
    csv_rows = list(csv.DictReader(files["csv"].read_text(encoding=CSV_ENCODING).splitlines()))
    assert [(r["Rule"], r["Severity"]) for r in csv_rows if r["Type"] == "Missing salesperson"] == [
        ("audit", "Normal")
    ]
    assert "audit — Left total" not in files["html"].read_text(encoding="utf-8")

    one_rule = run_cli(capsys, config, ["report", "mismatches", "--rule", "books-settlement", "--json"])
    assert one_rule.status == 0, one_rule.err
    narrowed = json.loads(one_rule.out)
    assert [s["key"] for s in narrowed["sections"]] == []  # the finding is the plan's, not the rule's
    pointer = next(s for s in narrowed["summary"] if s["key"] == "audit_by_rule")["rows"]
    assert [(r["rule"], r["count"], r["audit_plan"]) for r in pointer] == [("books-settlement", 1, "audit")]
    plan_only = run_cli(capsys, config, ["report", "mismatches", "--rule", "audit", "--json"])
    assert plan_only.status == 0, plan_only.err
    assert [r["type"] for s in json.loads(plan_only.out)["sections"] for r in s["rows"]] == ["missing_owner"]


def test_the_csv_names_the_same_customers_as_the_json_without_the_documents_history(
    planted: tuple[Path, dict], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The CSV, XLSX and terminal rows carry no documents' detail; the customer column is filled anyway
    (each renderer's column is tested in tests/unit/report/test_report_formats.py)."""
    config, _ = planted
    files = {fmt: tmp_path / f"report.{fmt}" for fmt in ("csv", "json")}
    for fmt, path in files.items():
        ran = run_cli(capsys, config, ["report", "mismatches", "--format", fmt, "--output", str(path)])
        assert ran.status == 0, ran.err
    document = json.loads(files["json"].read_text(encoding="utf-8"))
    expected = {row["id"]: row["party"] for section in document["sections"] for row in section["rows"]}
    assert any(expected.values())
    rows = list(csv.DictReader(files["csv"].read_text(encoding=CSV_ENCODING).splitlines()))
    assert {row["Exception"]: row["Customer"] or None for row in rows} == expected
