"""The finance commands as finance reads them: headed tables aligned by display width, cards on a narrow
terminal, one line per exception when piped, documents named by number, empty listings that say why,
English and Chinese from the catalogue."""

from __future__ import annotations

import io
import json
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import Engine

from reconcile.report.fmt import display_width
from store.canonical import Status
from tests.e2e.report_support import Ran, crm_vs_books, run_cli, store_documents, write_config
from tests.unit.reconcile.helpers import invoice

RULES = crm_vs_books("tolerance: {amount: 0.01}", "owner: 李娜", "period: 2026-10", "audit: []")


@pytest.fixture
def config(tmp_path: Path, database_url: str, engine: Engine) -> Path:
    path = write_config(tmp_path, database_url, extra=RULES)
    store_documents(
        engine,
        [
            invoice("zoho-crm", "4150868000000624001", "INV-0002", "250.00"),
            invoice("zoho-books", "982000000567", "INV-0002", "205.00"),
            invoice("zoho-crm", "4150868000000624003", "INV-0003", "40.00"),
            invoice("zoho-books", "982000000574", "INV-0004", "7.00", status=Status.PAID),
        ],
    )
    return path


def _cli(capsys: pytest.CaptureFixture[str], config: Path, *args: str, lang: str = "zh") -> Ran:
    return run_cli(capsys, config, ["--lang", lang, *args])


def _exceptions(capsys: pytest.CaptureFixture[str], config: Path, *args: str) -> list[dict]:  # type: ignore[type-arg]
    ran = _cli(capsys, config, "exceptions", "list", *args, "--json")
    assert ran.status == 0, ran.err
    return json.loads(ran.out)["exceptions"]  # type: ignore[no-any-return]


def _reconcile(capsys: pytest.CaptureFixture[str], config: Path, *args: str) -> None:
    assert _cli(capsys, config, "reconcile", "run", *args, "--json").status == 0


@pytest.fixture
def terminal(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    """stdout is a terminal (of the width the test puts in $COLUMNS)."""
    monkeypatch.setattr("sync.console._stdout_is_tty", lambda: True)
    return monkeypatch


# ----------------------------------------------------------------------------- tables


def test_the_piped_list_has_a_translated_heading_row_and_one_tab_separated_line_per_exception(
    capsys: pytest.CaptureFixture[str], config: Path
) -> None:
    _reconcile(capsys, config)
    zh = _cli(capsys, config, "exceptions", "list").out.splitlines()
    assert zh[0].split("\t") == ["差异编号", "处理状态", "差异类型", "规则", "负责人", "差额", "说明"]
    assert len(zh) == 4
    assert [line.split("\t")[1:3] for line in zh[1:]] == [
        ["待处理", "金额不符"],
        ["待处理", "左方缺失"],
        ["待处理", "右方缺失"],
    ]
    assert all(line.split("\t")[4] == "李娜" for line in zh[1:])
    en = _cli(capsys, config, "exceptions", "list", lang="en").out.splitlines()
    assert en[0].split("\t") == [
        "Exception",
        "Status",
        "Type",
        "Rule",
        "Assignee",
        "Difference",
        "Explanation",
    ]
    assert en[1].split("\t")[1:3] == ["Open", "Amount mismatch"]


def test_on_a_wide_terminal_rows_with_chinese_names_align_by_display_width(
    capsys: pytest.CaptureFixture[str], config: Path, terminal: pytest.MonkeyPatch
) -> None:
    _reconcile(capsys, config)
    first = _exceptions(capsys, config)[0]
    assert _cli(capsys, config, "exceptions", "assign", str(first["id"]), "zhao").status == 0
    terminal.setenv("COLUMNS", "220")
    lines = _cli(capsys, config, "exceptions", "list").out.splitlines()
    assert len(lines) == 4  # the heading and three rows: nothing wraps at this width
    assert [line.split()[4] for line in lines[1:]] == ["zhao", "李娜", "李娜"]
    # each column starts (or, right-aligned, ends) at the same display column on every line, whatever
    # the width of the Chinese status, type and assignee before it
    rules = {display_width(line[: line.index("crm-vs-books")]) for line in lines[1:]}
    assert rules == {display_width(lines[0][: lines[0].index("规则")])}
    differences = ["差额", "CNY 45.00", "CNY -7.00", "CNY 40.00"]
    ends = {
        display_width(line[: line.index(text) + len(text)])
        for line, text in zip(lines, differences, strict=True)
    }
    assert len(ends) == 1


def test_a_narrow_terminal_gets_one_card_per_exception(
    capsys: pytest.CaptureFixture[str], config: Path, terminal: pytest.MonkeyPatch
) -> None:
    _reconcile(capsys, config)
    terminal.setenv("COLUMNS", "60")
    out = _cli(capsys, config, "exceptions", "list").out
    cards = out.split("\n\n")
    assert len(cards) == 3
    for card in cards:
        labels = [line.split()[0] for line in card.strip().splitlines()]
        assert labels == ["差异编号", "处理状态", "差异类型", "规则", "负责人", "差额", "说明"]
    assert "负责人    李娜" in cards[0]
    wide = _cli(capsys, config, "exceptions", "list", lang="en")
    assert wide.out.split("\n\n")[0].splitlines()[0].split() == ["Exception", "1"]


def test_piped_chinese_output_of_many_exceptions_is_one_line_each_and_small(
    capsys: pytest.CaptureFixture[str], config: Path, engine: Engine
) -> None:
    many = 60
    store_documents(
        engine,
        [
            invoice(
                "zoho-crm",
                f"41508680000007{n:05d}",
                f"INV-9{n:04d}",
                "1234.56",
                party=f"上海某某贸易有限公司{n}",
            )
            for n in range(many)
        ],
    )
    _reconcile(capsys, config)
    found = _exceptions(capsys, config)
    out = _cli(capsys, config, "exceptions", "list").out
    lines = out.splitlines()
    assert len(found) == many + 3
    assert len(lines) == len(found) + 1
    assert all(line.strip() for line in lines)
    content = sum(len(e["detail"].encode()) + 120 for e in found)  # an explanation and short cells a row
    assert len(out.encode()) < content


# ----------------------------------------------------------------------------- documents by number


def test_ledger_history_takes_a_document_number_and_lists_the_documents_an_ambiguous_one_names(
    capsys: pytest.CaptureFixture[str], config: Path
) -> None:
    one = _cli(capsys, config, "ledger", "history", "INV-0003", lang="en")
    assert one.status == 0, one.err
    assert one.out.splitlines()[0].split("\t") == ["Rev", "Change", "Recorded at", "Sync run", "What changed"]
    assert "total CNY 40.00" in one.out
    by_id = _cli(capsys, config, "ledger", "history", "4150868000000624003", "--json", lang="en")
    assert json.loads(by_id.out)["document"]["external_id"] == "4150868000000624003"
    three = _cli(capsys, config, "ledger", "history", "zoho-crm", "invoice", "4150868000000624003", "--json")
    assert (three.status, json.loads(three.out)["document"]["source"]) == (0, "zoho-crm")
    ambiguous = _cli(capsys, config, "ledger", "history", "INV-0002", lang="en")
    assert ambiguous.status == 2
    assert ambiguous.err.startswith(
        "ledgerbridge: INV-0002 names 2 documents; choose one with --source and --kind"
    )
    assert [line.split() for line in ambiguous.err.splitlines()[1:]] == [
        [
            "1.",
            "zoho-books",
            "Invoice",
            "zoho-books/invoice/982000000567",
            "INV-0002",
            "2026-10-03",
            "CNY",
            "205.00",
        ],
        [
            "2.",
            "zoho-crm",
            "Invoice",
            "zoho-crm/invoice/4150868000000624001",
            "INV-0002",
            "2026-10-03",
            "CNY",
            "250.00",
        ],
    ]
    chosen = _cli(capsys, config, "ledger", "history", "INV-0002", "--source", "zoho-books", "--json")
    assert json.loads(chosen.out)["document"]["external_id"] == "982000000567"
    zh = _cli(capsys, config, "ledger", "history", "INV-0002")
    assert (zh.status, zh.err.splitlines()[0]) == (
        2,
        "ledgerbridge: INV-0002 对应 2 张单据；请用 --source 和 --kind 选择，或给出其编号（来源/类型/外部编号）：",
    )
    missing = _cli(capsys, config, "ledger", "history", "INV-7777", lang="en")
    assert (missing.status, missing.err) == (
        2,
        "ledgerbridge: no document numbered INV-7777 or with that id\n",
    )


def test_on_a_terminal_an_ambiguous_number_is_asked_about(
    capsys: pytest.CaptureFixture[str], config: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("sync.commands.document_names._on_a_terminal", lambda: True)
    monkeypatch.setattr("sys.stdin", io.StringIO("2\n"))
    ran = _cli(capsys, config, "ledger", "history", "INV-0002", lang="en")
    assert ran.status == 0, ran.err
    assert "Which one (1–2)" in ran.out
    assert "total CNY 250.00" in ran.out  # the second listed: zoho-crm's


def test_exceptions_list_takes_a_document_number(capsys: pytest.CaptureFixture[str], config: Path) -> None:
    _reconcile(capsys, config)
    [only] = _exceptions(capsys, config, "--document", "INV-0003")
    assert (only["type"], only["left"]["number"]) == ("missing_in_right", "INV-0003")
    ambiguous = _cli(capsys, config, "exceptions", "list", "--document", "INV-0002", lang="en")
    assert ambiguous.status == 2
    assert "zoho-crm/invoice/4150868000000624001" in ambiguous.err
    [pair] = _exceptions(
        capsys, config, "--document", "INV-0002", "--source", "zoho-books", "--kind", "invoice"
    )
    assert pair["type"] == "amount_mismatch"
    assert (
        _exceptions(capsys, config, "--document", "zoho-books/invoice/982000000574")[0]["type"]
        == "missing_in_left"
    )


def test_match_and_unmatch_take_document_numbers_of_the_rules_sides(
    capsys: pytest.CaptureFixture[str], config: Path
) -> None:
    ran = _cli(
        capsys, config, "match", "INV-0003", "INV-0004", "--rule", "crm-vs-books", "--note", "x", "--json"
    )
    assert ran.status == 0, ran.err
    override = json.loads(ran.out)["override"]
    assert (override["left"], override["right"]) == (
        "zoho-crm/invoice/4150868000000624003",
        "zoho-books/invoice/982000000574",
    )
    # INV-0002 is on both sides, once each: the rule's side decides which one is meant
    again = _cli(
        capsys, config, "unmatch", "INV-0002", "INV-0002", "--rule", "crm-vs-books", "--note", "x", "--json"
    )
    assert json.loads(again.out)["override"]["right"] == "zoho-books/invoice/982000000567"
    wrong = _cli(capsys, config, "match", "INV-0004", "INV-0003", "--rule", "crm-vs-books", "--note", "x")
    assert wrong.status == 2
    assert wrong.err == "ledgerbridge: 没有单据号或编号为 INV-0004 的单据（来源 zoho-crm，类型 发票）\n"


def test_a_number_one_source_uses_twice_is_listed_for_match_to_choose_by_id(
    capsys: pytest.CaptureFixture[str], config: Path, engine: Engine
) -> None:
    store_documents(engine, [invoice("zoho-crm", "4150868000000624009", "INV-0003", "41.00")])
    ran = _cli(
        capsys, config, "match", "INV-0003", "INV-0004", "--rule", "crm-vs-books", "--note", "x", lang="en"
    )
    assert ran.status == 2
    assert ran.err.splitlines()[0] == (
        "ledgerbridge: INV-0003 names 2 documents; give the one you mean by its id (SOURCE/KIND/EXTERNAL_ID):"
    )
    assert len(ran.err.splitlines()) == 3


# ----------------------------------------------------------------------------- empty listings say why


def test_an_empty_list_says_no_run_covers_the_period_and_what_to_run(
    capsys: pytest.CaptureFixture[str], config: Path, terminal: pytest.MonkeyPatch
) -> None:
    ran = _cli(capsys, config, "exceptions", "list", "--period", "2026-10", lang="en")
    assert ran.out == ("no reconcile run covers 2026-10: run `ledgerbridge reconcile run --period 2026-10`\n")
    _reconcile(capsys, config)  # the rule's period, 2026-10
    assert _cli(capsys, config, "exceptions", "list", "--period", "2026-11").out == (
        "没有覆盖 2026-11 的对账运行：请运行 `ledgerbridge reconcile run --period 2026-11`\n"
    )
    filtered = _cli(
        capsys, config, "exceptions", "list", "--period", "2026-10", "--status", "resolved", lang="en"
    )
    assert (
        filtered.out == "filters --status resolved match nothing (3 exceptions in 2026-10 without filters)\n"
    )
    _reconcile(capsys, config, "--period", "2026-09")
    assert _cli(capsys, config, "exceptions", "list", "--period", "2026-09", lang="en").out == (
        "the run of 2026-09 found no exceptions\n"
    )
    assert _cli(
        capsys, config, "exceptions", "list", "--rule", "crm-vs-books", "--period", "2026-09"
    ).out == ("规则 crm-vs-books 在 2026-09 的对账运行未发现差异\n")


def test_piped_an_empty_list_is_its_heading_row_and_the_reason_goes_to_stderr(
    capsys: pytest.CaptureFixture[str], config: Path
) -> None:
    ran = _cli(capsys, config, "exceptions", "list", lang="en")
    assert ran.out.splitlines() == ["Exception\tStatus\tType\tRule\tAssignee\tDifference\tExplanation"]
    assert ran.err == "no reconcile run yet: run `ledgerbridge reconcile run`\n"


def test_an_empty_export_says_what_the_ledger_holds(capsys: pytest.CaptureFixture[str], config: Path) -> None:
    ran = _cli(capsys, config, "ledger", "export", "--kind", "payment", lang="en")
    assert (ran.status, ran.out) == (0, "")
    assert (
        ran.err
        == "no documents match --kind payment; the ledger holds: zoho-books Invoice 2, zoho-crm Invoice 2\n"
    )


# ----------------------------------------------------------------------------- the reader's language


def test_review_actions_speak_the_readers_language(capsys: pytest.CaptureFixture[str], config: Path) -> None:
    _reconcile(capsys, config)
    ident = str(_exceptions(capsys, config)[0]["id"])
    assert _cli(capsys, config, "exceptions", "ack", ident).out == f"差异 {ident}：待处理 → 已确认\n"
    refused = _cli(capsys, config, "exceptions", "reopen", ident)
    assert (refused.status, refused.err) == (
        1,
        f"ledgerbridge: 差异 {ident}：当前状态为已确认，不能重新打开（仅在已自动解决或已解决时可以）\n",
    )
    assert _cli(capsys, config, "exceptions", "show", "9999").err == (
        "ledgerbridge: 没有编号为 9999 的差异（见 `ledgerbridge exceptions list`）\n"
    )
    shown = _cli(capsys, config, "exceptions", "show", ident).out
    assert shown.splitlines()[0] == f"差异 {ident}：金额不符（已确认），规则 crm-vs-books"
    assert "总额：左方 250.00，右方 205.00" in shown
    assert "负责人：李娜" in shown
    assert "确认  待处理 -> 已确认" in shown
    assert _cli(capsys, config, "exceptions", "ack", ident, lang="en").err == (
        f"ledgerbridge: exception {ident}: cannot acknowledge it while it is Acknowledged (only when Open)\n"
    )


def test_the_date_of_a_date_only_finding_is_its_difference(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, database_url: str, engine: Engine
) -> None:
    path = write_config(tmp_path, database_url)
    path.write_text(
        path.read_text(encoding="utf-8") + RULES.replace("audit: []", "audit: [due_before_issue]")
    )
    store_documents(
        engine,
        [
            invoice(
                "zoho-crm", "c1", "INV-0001", "10.00", issued_on=date(2026, 10, 9), due_on=date(2026, 10, 1)
            )
        ],
    )
    _reconcile(capsys, path)
    [line] = [
        row for row in _cli(capsys, path, "exceptions", "list", lang="en").out.splitlines() if "Due" in row
    ]
    assert line.split("\t")[5] == "due 2026-10-01, issued 2026-10-09"
