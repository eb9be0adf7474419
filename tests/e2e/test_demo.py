"""`ledgerbridge demo` end to end: its printed summary against the generator's truth, re-runs, secrets."""

from __future__ import annotations

import json
from collections import Counter
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook

from config.loader import load_config
from connectors.sandbox.accounting import ACCOUNTING
from connectors.sandbox.bank_files import BANK, CAMT_NAME, CSV_NAME
from connectors.sandbox.generator import CompanySpec
from reconcile.report.i18n import Catalogue
from store.canonical import DocumentKey, DocumentKind
from store.db import make_engine
from store.discrepancies import DiscrepancyType
from store.repository import SqlLedgerRepository
from store.secrets import SqlTokenStore
from sync.bootstrap import secret_box
from sync.cli import main
from sync.demo import STATEMENTS_DIR, ZOHO_FXIAOKE, DemoOptions, DemoResult, run_demo

pytestmark = pytest.mark.slow

SMALL = ("--orders", "150", "--customers", "12", "--seed", "7")


def demo_json(capsys: pytest.CaptureFixture[str], directory: Path, *args: str) -> dict[str, Any]:
    capsys.readouterr()
    code = main(["demo", "--dir", str(directory), "--json", *SMALL, *args])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    document: dict[str, Any] = json.loads(captured.out)
    return document


def truth_of(summary: dict[str, Any]) -> dict[str, Any]:
    truth: dict[str, Any] = json.loads(Path(summary["truth"]).read_text(encoding="utf-8"))
    return truth


BOOKS = sorted(ACCOUNTING)
"""Every `--accounting` choice: Zoho CRM (and Fxiaoke) against Zoho Books, QuickBooks Online, Xero."""
KINGDEE_PAIR = "fxiaoke-kingdee"
CHOICES = [*((ZOHO_FXIAOKE, books) for books in BOOKS), (KINGDEE_PAIR, "zoho_books")]
"""(pair, books): each `--accounting` choice of the Zoho-Fxiaoke pair, and Fxiaoke against Kingdee."""
SOURCE = {**{(ZOHO_FXIAOKE, books): ACCOUNTING[books].source for books in BOOKS}, CHOICES[-1]: "kingdee"}


def _id(choice: tuple[str, str]) -> str:
    return choice[1] if choice[0] == ZOHO_FXIAOKE else choice[0]


@pytest.fixture(scope="module", params=CHOICES, ids=_id)
def in_process(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> DemoResult:
    pair, books = request.param
    directory = tmp_path_factory.mktemp(f"demo-in-process-{_id(request.param)}")
    spec = CompanySpec(customers=30, orders=600, seed=11)
    options = DemoOptions(directory, spec, "en", books, pair)
    return run_demo(options, clock=lambda: datetime.now(UTC))


@pytest.mark.parametrize("choice", CHOICES, ids=_id)
def test_the_printed_summary_reports_exactly_the_exceptions_the_generator_planted(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, choice: tuple[str, str]
) -> None:
    pair, books = choice
    summary = demo_json(capsys, tmp_path / "demo", "--pair", pair, "--accounting", books)
    truth = truth_of(summary)
    assert summary["pair"] == pair
    assert SOURCE[choice] in summary["records"]
    assert sum(n for counts in truth["expected_exceptions"].values() for n in counts.values()) >= 10
    assert summary["exceptions"] == truth["expected_exceptions"]
    assert summary["records"] == truth["records"]
    assert summary["quarantined"] == truth["quarantined"]
    assert summary["sync"]["failed"] == []
    assert {run["rule"] for run in summary["reconcile"]} == set(truth["expected_exceptions"])
    for run in summary["reconcile"]:
        assert run["bridge"]["unexplained"] in ("0", "0.00", "0.0000"), run["rule"]
        assert abs(_within_tolerance(run)) < 5, run["rule"]


QB_SETTLEMENT = ("quickbooks", "books-settlement")


def _within_tolerance(run: dict[str, Any]) -> Decimal:
    """A rule's bridge line "within tolerance (rounding)": cents, never a document's worth (a foreign
    bank credit left unconverted once put millions on the collections rule's)."""
    return Decimal(run["bridge"]["explained"].get("within_tolerance", "0"))


def test_the_quickbooks_settlement_bridge_keeps_credit_memos_off_the_rounding_line(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """QuickBooks applies a credit memo to an invoice through a zero payment linking both (api-notes
    §1.5). Read with its Invoice lines only, the payment applied more than its amount and settlement
    booked the credit (48,673.94 in this demo) on the within-tolerance (rounding) line."""
    summary = demo_json(capsys, tmp_path / "demo", "--accounting", "quickbooks")
    (run,) = [r for r in summary["reconcile"] if r["rule"] == QB_SETTLEMENT[1]]
    assert abs(_within_tolerance(run)) < 5


def test_the_excel_and_html_reports_list_the_planted_exceptions(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    summary = demo_json(capsys, tmp_path / "demo", "--lang", "en")
    truth = truth_of(summary)
    workbook = load_workbook(summary["reports"]["xlsx"], read_only=True)
    types = {kind for counts in truth["expected_exceptions"].values() for kind in counts}
    assert len(workbook.sheetnames) == 1 + len(types)  # the summary, then a sheet per type found
    html = Path(summary["reports"]["html"]).read_text(encoding="utf-8")
    ledger = SqlLedgerRepository(make_engine(f"sqlite:///{summary['database']}"))
    keys = {key for p in truth["planted"] for key in (*p["left"], *p["right"])}
    numbers: set[str] = set()
    for key in keys:
        source, kind, external_id = key.split("/", 2)  # a bank line's id is <account>/<reference>
        document = ledger.get(DocumentKey(source=source, kind=DocumentKind(kind), external_id=external_id))
        assert document is not None, key
        numbers.add(document.number or "")
    assert [number for number in sorted(numbers) if f">{number}<" not in html] == []


def test_every_planted_document_is_in_its_exception_and_no_trap_document_is_in_any(
    in_process: DemoResult,
) -> None:
    truth = json.loads(in_process.truth.read_text(encoding="utf-8"))
    planted = {(p["rule"], p["type"], frozenset(p["left"]), frozenset(p["right"])) for p in truth["planted"]}
    found = {
        (run.rule.name, d.type.value, frozenset(map(_key, d.left)), frozenset(map(_key, d.right)))
        for run in in_process.rules
        for d in run.result.discrepancies
    }
    assert found == planted
    flagged = {
        _key(ref) for run in in_process.rules for d in run.result.discrepancies for ref in (*d.left, *d.right)
    }
    traps = {doc for trap in truth["traps"] for doc in trap["documents"]}
    assert traps, "the generator planted no traps"
    assert not traps & flagged


@pytest.mark.parametrize("in_process", [(ZOHO_FXIAOKE, "zoho_books")], indirect=True, ids=_id)
def test_the_planted_company_covers_every_discrepancy_type_and_every_trap(in_process: DemoResult) -> None:
    truth = json.loads(in_process.truth.read_text(encoding="utf-8"))
    found_types = {kind for counts in in_process.exceptions().values() for kind in counts}
    assert found_types == {t.value for t in DiscrepancyType}  # the bank's findings too
    assert {t["trap"] for t in truth["traps"]} >= {
        "rounding", "formatting", "party_variant", "fuzzy_only", "converted_currency", "split_payment",
        "credit_note", "discount", "partial_payment",
    }  # fmt: skip


@pytest.mark.parametrize("accounting", ["zoho_books", "quickbooks"])
def test_running_the_demo_again_in_the_same_directory_changes_nothing_and_doubles_nothing(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, accounting: str
) -> None:
    first = demo_json(capsys, tmp_path / "demo", "--accounting", accounting)
    second = demo_json(capsys, tmp_path / "demo", "--accounting", accounting)
    assert second["sync"]["failed"] == []  # the new sandboxes' refresh token was seeded again
    assert second["records"] == first["records"]
    assert second["exceptions"] == first["exceptions"]
    assert second["quarantined"] == first["quarantined"]
    assert [run["opened"] for run in second["reconcile"]] == [0] * len(ACCOUNTING[accounting].runs)
    assert sum(run["opened"] for run in first["reconcile"]) == sum(
        sum(counts.values()) for counts in first["exceptions"].values()
    )
    inbox = tmp_path / "demo" / STATEMENTS_DIR
    if ACCOUNTING[accounting].bank:  # loaded once, kept once: not dropped again, no hash-suffixed copy
        assert sorted(p.name for p in inbox.iterdir() if p.is_file()) == []
        assert sorted(p.name for p in (inbox / "archive").iterdir()) == sorted([CAMT_NAME, CSV_NAME])
        assert second["statements"] == {BANK: [CAMT_NAME, CSV_NAME]}
    else:
        assert not inbox.exists()
        assert second["statements"] == {}


def test_the_summary_says_what_the_bank_statements_held_and_o2c_shows_what_reached_the_bank(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    capsys.readouterr()
    assert main(["demo", "--dir", str(tmp_path / "demo"), "--lang", "en", *SMALL]) == 0
    printed = " ".join(capsys.readouterr().out.split())
    catalogue = Catalogue("en")
    assert f"Bank statements {CAMT_NAME}, {CSV_NAME} loaded into {BANK}" in printed
    for kind in ("not_in_bank", "unrecorded_receipt", "fee_difference"):
        assert f"{catalogue.value('type', kind)} 1" in printed
    config = str(tmp_path / "demo" / "ledgerbridge.yaml")
    sources = ["--orders-from", "zoho-crm", "--invoices-from", "zoho-books", "--payments-from", "zoho-books"]
    for fmt in ("html", "xlsx"):
        output = tmp_path / f"o2c.{fmt}"
        args = ["--config", config, "report", "o2c", *sources, "--format", fmt, "--output", str(output)]
        assert main([*args, "--lang", "en"]) == 0
        if fmt == "html":
            assert "Collected in bank" in output.read_text(encoding="utf-8")
        else:
            workbook = load_workbook(output, read_only=True)
            cells = {cell for sheet in workbook for row in sheet.iter_rows(values_only=True) for cell in row}
            assert "Collected in bank" in cells


def test_the_demo_config_keeps_secrets_in_the_encrypted_store_and_works_with_the_other_commands(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    summary = demo_json(capsys, tmp_path / "demo")
    config = Path(summary["config"])
    text = config.read_text(encoding="utf-8")
    assert text.count(": secret:") == 6
    assert "sandbox-secret" not in text
    assert "sandbox-app-secret" not in text
    database = Path(summary["database"]).read_bytes()
    assert b"sandbox-secret" not in database
    capsys.readouterr()
    assert main(["--config", str(config), "sync", "status", "--json"]) == 0
    status = json.loads(capsys.readouterr().out)
    held = Counter(s["connector"] for s in status["streams"] if s["quarantined"])
    assert held == Counter({"zoho-crm": 1, "zoho-books": 1, "fxiaoke": 1})


@pytest.mark.parametrize("accounting", ["quickbooks", "xero"])
def test_the_chosen_books_client_secret_is_encrypted_and_their_refresh_token_lives_in_the_token_store(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, accounting: str
) -> None:
    summary = demo_json(capsys, tmp_path / "demo", "--accounting", accounting)
    books = ACCOUNTING[accounting]
    text = Path(summary["config"]).read_text(encoding="utf-8")
    assert f"client_secret: secret:{books.source}-client-secret" in text
    assert "refresh_token:" not in text.split(f"- name: {books.source}")[1]
    assert "zoho-books" not in text
    assert "sandbox-xero-secret" not in text
    assert "qb-sandbox-secret" not in text
    database = Path(summary["database"]).read_bytes()
    assert b"sandbox-xero-secret" not in database
    assert b"qb-sandbox-secret" not in database
    settings = load_config(Path(summary["config"])).settings
    assert books.token_key is not None
    row = books.token_key(settings.connector(books.source))
    token = SqlTokenStore(make_engine(settings.database_url), secret_box(settings)).load(row)
    assert token is not None
    assert token.extra["connector"] == books.source
    assert token.access_token  # the demo's sync refreshed through the seeded row ...
    assert token.extra["refresh_token"] not in (
        "sandbox-xero-refresh-0",
        "qb-sandbox-refresh-0",
    )  # ... rotated


def test_the_fxiaoke_kingdee_pair_speaks_chinese_by_default_and_keeps_its_secrets_encrypted(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    summary = demo_json(capsys, tmp_path / "demo", "--pair", KINGDEE_PAIR)
    config = Path(summary["config"])
    text = config.read_text(encoding="utf-8")
    assert "locale: zh" in text
    assert "app_secret: secret:kingdee-app-secret" in text
    assert "zoho" not in text
    assert b"sandbox-kingdee-app-secret" not in Path(summary["database"]).read_bytes()
    assert summary["accounting"] is None
    capsys.readouterr()
    assert main(["--config", str(config), "audit", "list", "--action", "secret.", "--json"]) == 0
    entries = json.loads(capsys.readouterr().out)["entries"]
    names = ["fxiaoke-app-secret", "fxiaoke-permanent-code", "kingdee-app-secret"]
    assert sorted(entry["detail"]["name"] for entry in entries) == names


def test_too_few_orders_for_every_plant_is_a_usage_error_that_says_what_to_change(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    capsys.readouterr()
    code = main(["demo", "--dir", str(tmp_path), "--orders", "40", "--customers", "2"])
    err = capsys.readouterr().err
    assert code == 2
    assert "--orders" in err


def _key(ref: Any) -> str:
    return str(ref.key)
