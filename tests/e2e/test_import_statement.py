"""`ledgerbridge import statement`, end to end on SQLite and PostgreSQL: the inbox, named files, the
JSON shape, exit status 1 for a rejected file, English and Chinese output, and the ledger it leaves."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.connectors.bank.samples import sample
from tests.e2e.sync_support import cli, write_config


@pytest.fixture
def config(tmp_path: Path, database_url: str) -> Path:
    path = write_config(tmp_path, database_url)
    inbox = tmp_path / "statements"
    inbox.mkdir()
    with path.open("a", encoding="utf-8") as handle:
        handle.write(
            "  - name: bank-icbc\n"
            "    kind: bank_statement\n"
            f"    inbox: {inbox}\n"
            "    csv:\n"
            "      encoding: gb18030\n"
            "      currency: CNY\n"
            "      columns: {date: 交易日期, debit: 借方发生额, credit: 贷方发生额, balance: 余额,"
            " counterparty: 对方户名, counterparty_account: 对方账号, reference: 交易流水号, text: 摘要}\n"
        )
    return path


def _drop(config: Path, name: str, data: bytes) -> Path:
    path = config.parent / "statements" / name
    path.write_bytes(data)
    os.utime(path, (0, 0))
    return path


def test_the_inbox_loads_archives_and_rejects_and_the_lines_are_in_the_ledger(
    capsys: pytest.CaptureFixture[str], config: Path
) -> None:
    _drop(config, "icbc-2026-11.csv", sample("icbc_gbk.csv"))
    _drop(config, "broken.sta", sample("mt940_malformed.sta"))
    result = cli(capsys, config, "import", "statement", "--json")
    assert result.code == 1, result.err
    files = {Path(f["path"]).name: f for f in result.json()["files"]}
    assert (files["icbc-2026-11.csv"]["outcome"], files["icbc-2026-11.csv"]["created"]) == ("loaded", 7)
    assert files["broken.sta"]["outcome"] == "rejected"
    assert files["broken.sta"]["reason"].startswith("line 8 (:61:)")
    assert (config.parent / "statements" / "archive" / "icbc-2026-11.csv").exists()
    assert (config.parent / "statements" / "rejected" / "broken.sta.reason.txt").exists()
    exported = cli(capsys, config, "ledger", "export", "--format", "jsonl", "--kind", "bank_transaction")
    assert exported.code == 0, exported.err
    assert (
        exported.out.count('"kind":"bank_transaction"') + exported.out.count('"kind": "bank_transaction"')
        == 7
    )
    status = cli(capsys, config, "sync", "status", "--json")
    assert [(f["file"], f["outcome"], f["lines"]) for f in status.json()["bank_files"]] == [
        ("icbc-2026-11.csv", "loaded", 7),  # newest first: the inbox is read oldest (then by name) first
        ("broken.sta", "rejected", 0),
    ]
    table = cli(capsys, config, "--lang", "zh", "sync", "status")
    assert "bank-icbc：broken.sta 于 " in table.out
    assert "被拒收：line 8 (:61:)" in table.out
    again = cli(capsys, config, "import", "statement")
    assert (again.code, again.out.strip()) == (
        0,
        f"No statement files waiting in {config.parent / 'statements'}.",
    )


def test_a_named_file_loaded_twice_says_so_in_english_and_chinese(
    capsys: pytest.CaptureFixture[str], config: Path, tmp_path: Path
) -> None:
    statement = tmp_path / "nov.xml"
    statement.write_bytes(sample("camt053_v08_single.xml"))
    first = cli(capsys, config, "import", "statement", str(statement))
    assert first.code == 0, first.err
    assert first.out.strip() == "nov.xml: loaded 2 lines (2 new, 0 already in the ledger)"
    second = cli(
        capsys, config, "--lang", "zh", "import", "statement", str(statement), "--connector", "bank-icbc"
    )
    assert second.code == 0, second.err
    assert second.out.startswith("nov.xml：此文件已导入过（")
    assert statement.exists()  # named from outside the inbox: left where it is


def test_a_connector_that_is_not_a_bank_is_bad_usage(
    capsys: pytest.CaptureFixture[str], config: Path
) -> None:
    result = cli(capsys, config, "import", "statement", "--connector", "shop")
    assert result.code == 2
    assert "connector shop is not a configured bank_statement connector" in result.err
