"""The collections rule through `reconcile run` on SQLite and PostgreSQL (issue 21): payments and bank lines
stored as canonical documents the way the syncs and the statement import store them; the findings
stored once, shown by `exceptions list` and in every report format, in English and Chinese."""

from __future__ import annotations

import csv
import json
import os
from datetime import date, timedelta
from pathlib import Path

import jsonschema
import pytest
from openpyxl import load_workbook
from sqlalchemy import Engine

from reconcile.report.csvfile import CSV_ENCODING
from sync.bootstrap import utc_now
from tests.collections_data import (
    BANK,
    BOOKS,
    COLLECTIONS_RULE,
    consistent_company,
    invoice,
    payment,
    planted_collections,
)
from tests.connectors.bank.samples import sample
from tests.e2e.report_support import run_cli, store_documents, write_config
from tests.unit.report.test_report_formats import SCHEMA, _Collector

RULE = f"""
reconcile:
  rules:
    - name: {COLLECTIONS_RULE.name}
      kind: collections
      payments: {{source: {BOOKS}, kind: payment}}
      bank: {{source: {BANK}, kind: bank_transaction}}
      tolerance: {{amount: 0.01}}
      date_window_days: 5
      fee_tolerance: {{amount: 5.00, percent: 3}}
      audit: []
"""
FOUND = {"fee_difference": 1, "not_in_bank": 1, "unrecorded_receipt": 1}


@pytest.fixture
def banked(tmp_path: Path, database_url: str, engine: Engine) -> Path:
    docs, _ = planted_collections()
    # The in-transit payment is dated yesterday by the real clock `reconcile run` reads.
    docs = [d for d in docs if d.external_id != "PMT-NEW"]
    docs.append(payment("PMT-NEW", "55.00", utc_now().date() - timedelta(days=1), party="Fresh Buyer Ltd"))
    store_documents(engine, [*docs, *consistent_company(days=30)])
    return write_config(tmp_path, database_url, extra=RULE)


def test_reconcile_run_finds_each_bank_finding_once_and_explains_it_in_both_languages(
    banked: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    first = run_cli(capsys, banked, ["reconcile", "run", "--json"])
    assert first.status == 0, first.err
    (run,) = json.loads(first.out)["runs"]
    assert (run["kind"], run["exceptions"], run["opened"]) == ("collections", FOUND, 3)
    assert run["matched"] == 32  # 30 clean + the split receipt + the card payout
    assert run["bridge"]["unexplained"] == "0.00"
    assert run["bridge"]["explained"]["in_transit"] == "55.00"
    again = run_cli(capsys, banked, ["reconcile", "run", "--json"])
    (rerun,) = json.loads(again.out)["runs"]
    assert (rerun["opened"], rerun["auto_resolved"], rerun["exceptions"]) == (0, 0, FOUND)

    listed = run_cli(capsys, banked, ["exceptions", "list", "--json", "--type", "not_in_bank"])
    (missing,) = json.loads(listed.out)["exceptions"]
    assert "PMT-LOST" in missing["detail"]
    zh = run_cli(capsys, banked, ["--lang", "zh", "exceptions", "list", "--type", "unrecorded_receipt"])
    assert zh.status == 0, zh.err
    assert "未入账的银行收款" in zh.out
    assert "X-900" in zh.out
    assert "没有与之对应的收款记录" in zh.out


def test_every_report_format_carries_the_bank_findings(
    banked: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run_cli(capsys, banked, ["reconcile", "run"]).status == 0
    files = {}
    for fmt in ("csv", "xlsx", "html", "json"):
        files[fmt] = tmp_path / f"report.{fmt}"
        args = ["report", "mismatches", "--lang", "en", "--format", fmt, "--output", str(files[fmt])]
        ran = run_cli(capsys, banked, args)
        assert ran.status == 0, ran.err
    document = json.loads(files["json"].read_text(encoding="utf-8"))
    jsonschema.validate(document, SCHEMA)
    by_type = {row["type"]: row for section in document["sections"] for row in section["rows"]}
    assert set(by_type) == set(FOUND)
    assert "less a fee of CNY 17.40" in by_type["fee_difference"]["explanation"]
    rows = list(csv.DictReader(files["csv"].read_text(encoding=CSV_ENCODING).splitlines()))
    assert {row["Type"] for row in rows} == {"Not in bank", "Unrecorded receipt", "Fee difference"}
    book = load_workbook(files["xlsx"], read_only=True)
    assert {"Not in bank", "Unrecorded receipt", "Fee difference"} <= set(book.sheetnames)
    parser = _Collector()
    parser.feed(files["html"].read_text(encoding="utf-8"))
    text = "\n".join(parser.text)
    assert "PAYOUT-77" in text
    assert "is recorded as received, but no bank credit in bank-icbc matches it by 2026-10-15" in text
    terminal = run_cli(capsys, banked, ["report", "mismatches", "--lang", "zh"])
    assert "银行未到账" in terminal.out
    assert "手续费差额" in terminal.out


def test_the_order_to_cash_report_shows_what_of_the_collected_money_is_in_the_bank(
    banked: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ran = run_cli(capsys, banked, ["report", "o2c", "--json", "--by", "month", "--lang", "en"])
    assert ran.status == 0, ran.err
    (section,) = json.loads(ran.out)["sections"]
    assert section["columns"][-1] == {
        "key": "collected_in_bank",
        "label": "Collected in bank",
        "kind": "money",
    }
    october = next(row for row in section["rows"] if row["month"] == "2026-10")
    # PMT-LOST (4,321.00) is recorded but not in the bank; the card payout's payments (600.00) and the
    # split receipt (3,000.00) are.
    assert (october["collected"], october["collected_in_bank"]) == ("7921.00", "3600.00")
    september = next(row for row in section["rows"] if row["month"] == "2026-09")
    assert september["collected"] == september["collected_in_bank"]


def test_finance_pairs_a_payment_with_a_bank_line_by_hand(
    banked: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run_cli(capsys, banked, ["reconcile", "run"]).status == 0
    note = "the customer paid 888.00 on account; the rest is disputed"
    matched = run_cli(
        capsys, banked, ["match", "PMT-LOST", "X-900", "--rule", COLLECTIONS_RULE.name, "--note", note]
    )
    assert matched.status == 0, matched.err
    (run,) = json.loads(run_cli(capsys, banked, ["reconcile", "run", "--json"]).out)["runs"]
    assert run["exceptions"] == {"amount_mismatch": 1, "fee_difference": 1}
    assert run["auto_resolved"] == 2  # the payment is no longer missing, the receipt no longer unrecorded


def test_a_statement_imported_from_a_camt_file_reconciles_against_the_books(
    tmp_path: Path, database_url: str, engine: Engine, capsys: pytest.CaptureFixture[str]
) -> None:
    """The statement import (another engineer's) and the rule meet only in the ledger: a camt.053 file's
    credit, named by its remittance text `货款 INV-2026-0318`, settles the Books payment of that invoice;
    its debit (stamp duty) is no receipt."""
    inbox = tmp_path / "statements"
    inbox.mkdir()
    statement = inbox / "hsbc-2026-11-30.xml"
    statement.write_bytes(sample("camt053_v08_single.xml"))
    os.utime(statement, (0, 0))  # written long ago: the import takes only files no longer being written
    connector = (
        f"connectors:\n  - name: {BANK}\n    kind: bank_statement\n    inbox: {inbox}\n"
        f"  - name: {BOOKS}\n    kind: jsonl\n    path: {tmp_path / '{stream}.jsonl'}\n    streams: [payments]\n"
    )
    config = write_config(tmp_path, database_url, extra=connector + RULE)
    on = date(2026, 11, 15)  # two weeks before the credit: outside the window, only the text can pair them
    store_documents(
        engine,
        [
            invoice("inv-318", "INV-2026-0318", "128000.00", on),
            payment(
                "pay-318", "128000.00", on, party="上海星辰贸易有限公司", invoices=(("inv-318", "128000.00"),)
            ),
        ],
    )
    imported = run_cli(capsys, config, ["import", "statement", "--json"])
    assert imported.status == 0, imported.err
    (run,) = json.loads(run_cli(capsys, config, ["reconcile", "run", "--json"]).out)["runs"]
    assert (run["matched"], run["exceptions"], run["right_count"]) == (1, {}, 1)
