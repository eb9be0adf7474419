"""The sync, ledger, connector and setup commands, end to end on SQLite and PostgreSQL."""

from __future__ import annotations

import csv
import io
import json
import os
import stat
from pathlib import Path
from typing import Any

import pytest

from config.loader import load_config
from tests.e2e.sync_support import cli, init_directory, invoices, write_config, write_records
from tests.fakes import record

RUN_KEYS = {
    "connector", "stream", "status", "fetched", "created", "updated", "unchanged",
    "deleted", "quarantined", "cursor", "started_at", "finished_at", "error",
}  # fmt: skip
EXPORT_KEYS = [
    "source", "kind", "external_id", "number", "party", "owner", "issued_on", "due_on", "currency",
    "exchange_rate", "subtotal", "tax", "total", "balance", "discount", "shipping", "adjustment",
    "rounding", "tax_inclusive", "status", "raw_status", "references",
    "allocations", "lines", "source_modified_at", "deleted", "revision",
]  # fmt: skip


@pytest.fixture
def config(tmp_path: Path, database_url: str) -> Path:
    path = write_config(tmp_path, database_url)
    write_records(tmp_path, invoices(5))
    return path


def test_sync_run_prints_the_documented_json_and_a_second_run_changes_nothing(
    capsys: pytest.CaptureFixture[str], config: Path
) -> None:
    first = cli(capsys, config, "sync", "run", "--json")
    assert first.code == 0, first.err
    [run] = first.json()["runs"]
    assert set(run) >= RUN_KEYS
    assert (run["connector"], run["stream"], run["status"], run["created"]) == ("shop", "invoices", "ok", 5)
    assert run["cursor"] == "2026-11-01T00:05:00Z"
    again = cli(capsys, config, "sync", "run", "--json").json()["runs"][0]
    assert (again["created"], again["updated"], again["unchanged"]) == (0, 0, 5)


def test_malformed_records_are_quarantined_and_shown_by_sync_status(
    capsys: pytest.CaptureFixture[str], config: Path, tmp_path: Path
) -> None:
    missing_id = {k: v for k, v in record(6).items() if k != "external_id"}
    write_records(
        tmp_path, [*invoices(3), missing_id, record(7, total="abc"), record(8, issued_on="2026-02-30")]
    )
    synced = cli(capsys, config, "sync", "run", "--json")
    assert synced.code == 0
    assert synced.json()["runs"][0]["quarantined"] == 3
    status = cli(capsys, config, "sync", "status", "--json").json()
    [stream] = status["streams"]
    assert stream["quarantined"] == 3
    reasons = {q["external_id"]: q["reason"] for q in stream["quarantine"]}
    assert "total" in reasons["INV-7"]
    assert "issued_on" in reasons["INV-8"]
    assert "external_id" in reasons[None]
    table = cli(capsys, config, "sync", "status")
    assert "INV-7: total" in table.out


def test_a_failed_stream_exits_1_with_its_error_and_keeps_the_others(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, database_url: str
) -> None:
    config = write_config(tmp_path, database_url, streams=["invoices", "payments"])
    write_records(tmp_path, invoices(2))
    outcome = cli(capsys, config, "sync", "run", "--json")
    assert outcome.code == 1
    runs = {r["stream"]: r for r in outcome.json()["runs"]}
    assert runs["invoices"]["status"] == "ok"
    assert runs["payments"]["status"] == "failed"
    assert "payments.jsonl" in runs["payments"]["error"]
    assert "shop/payments failed" in outcome.err


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["sync", "run", "--connector", "nope"], "no connector named 'nope'"),
        (["sync", "run", "--stream", "nope"], "no selected connector has stream 'nope'"),
        (["sync", "run", "--full", "--since", "2026-11-01"], "use either --full or --since"),
        (["sync", "run", "--since", "yesterday"], "is not an ISO date-time"),
        (["connector", "test", "nope"], "no connector named 'nope'"),
    ],
)
def test_bad_usage_exits_2_with_one_line_saying_what_to_fix(
    capsys: pytest.CaptureFixture[str], config: Path, args: list[str], message: str
) -> None:
    outcome = cli(capsys, config, *args)
    assert outcome.code == 2
    assert message in outcome.err
    assert len(outcome.err.strip().splitlines()) == 1


def test_ledger_export_gives_every_field_with_amounts_as_decimal_strings(
    capsys: pytest.CaptureFixture[str], config: Path, tmp_path: Path
) -> None:
    components: dict[str, Any] = {
        "discount": "12.5",
        "shipping": "3",
        "adjustment": "-0.75",
        "rounding": "0.01",
    }
    write_records(
        tmp_path,
        [record(1, total="98765432109.1234", **components, tax_inclusive=True), record(2, total="0.3")],
    )
    cli(capsys, config, "sync", "run")
    lines = cli(capsys, config, "ledger", "export", "--format", "jsonl").out.splitlines()
    documents = [json.loads(line) for line in lines]
    assert [list(d) for d in documents] == [EXPORT_KEYS, EXPORT_KEYS]
    assert [d["total"] for d in documents] == ["98765432109.1234", "0.30"]
    shown = ("discount", "shipping", "adjustment", "rounding", "tax_inclusive")
    assert [[d[name] for name in shown] for d in documents] == [
        ["12.50", "3.00", "-0.75", "0.01", True],
        [None, None, None, None, None],
    ]
    assert documents[0]["lines"][0]["amount"] == "98765432109.1234"
    assert documents[0]["party"] == {"external_id": "C1", "name": "上海申远贸易有限公司"}
    output = tmp_path / "ledger.csv"
    written = cli(
        capsys, config, "ledger", "export", "--format", "csv", "--kind", "invoice", "--output", str(output)
    )
    assert written.code == 0
    rows = list(csv.DictReader(io.StringIO(output.read_text(encoding="utf-8"))))
    assert [(r["external_id"], r["total"], r["party_name"]) for r in rows] == [
        ("INV-1", "98765432109.1234", "上海申远贸易有限公司"),
        ("INV-2", "0.30", "上海申远贸易有限公司"),
    ]
    assert [[r[name] for name in shown] for r in rows] == [
        ["12.50", "3.00", "-0.75", "0.01", "true"],
        ["", "", "", "", ""],
    ]
    assert cli(capsys, config, "ledger", "export", "--source", "other").out == ""


def test_ledger_history_lists_each_revision_with_what_changed(
    capsys: pytest.CaptureFixture[str], config: Path, tmp_path: Path
) -> None:
    cli(capsys, config, "sync", "run")
    write_records(tmp_path, [*invoices(4), record(5, total="120.00", minutes=60)])
    cli(capsys, config, "sync", "run")
    history = cli(capsys, config, "ledger", "history", "shop", "invoice", "INV-5", "--json").json()
    assert [(r["revision"], r["change"]) for r in history["revisions"]] == [(1, "created"), (2, "updated")]
    assert history["revisions"][1]["document"]["total"] == "120.00"
    assert history["revisions"][1]["raw"]["total"] == "120.00"
    table = cli(capsys, config, "ledger", "history", "shop", "invoice", "INV-5")
    assert "Total: 100.00 → 120.00" in table.out
    missing = cli(capsys, config, "ledger", "history", "shop", "invoice", "INV-404")
    assert missing.code == 1
    assert "no document shop/invoice/INV-404" in missing.err


def test_connector_list_and_test_report_health(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, database_url: str
) -> None:
    config = write_config(tmp_path, database_url, streams=["invoices", "payments"])
    write_records(tmp_path, invoices(2))
    cli(capsys, config, "sync", "run")
    listed = cli(capsys, config, "connector", "list", "--json").json()
    health = {s["stream"]: s["health"] for s in listed["connectors"][0]["streams"]}
    assert health == {"invoices": "ok", "payments": "failed"}
    tested = cli(capsys, config, "connector", "test", "shop")
    assert tested.code == 1
    assert "ok   read stream invoices" in tested.out
    assert "FAIL read stream payments" in tested.out
    write_records(tmp_path, invoices(1), stream="payments")
    assert cli(capsys, config, "connector", "test", "shop").code == 0


def test_commands_on_an_empty_database_ask_for_init_and_db_upgrade_fixes_it(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, empty_database_url: str
) -> None:
    config = write_config(tmp_path, empty_database_url)
    refused = cli(capsys, config, "sync", "status")
    assert refused.code == 2
    assert "run `ledgerbridge init`" in refused.err
    assert cli(capsys, config, "db", "upgrade").code == 0
    assert cli(capsys, config, "sync", "status").code == 0
    assert "already at schema" in cli(capsys, config, "db", "upgrade").out


def test_init_writes_a_valid_starter_config_a_private_key_and_the_database(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = init_directory(tmp_path, monkeypatch)
    first = cli(capsys, config, "init")
    assert first.code == 0, first.err
    assert load_config(config, environ={}).settings.connectors == []
    assert stat.S_IMODE((tmp_path / "ledgerbridge.key").stat().st_mode) == 0o600
    assert (tmp_path / "ledgerbridge.db").exists()
    config.write_text(config.read_text(encoding="utf-8") + "# mine\n", encoding="utf-8")
    key = (tmp_path / "ledgerbridge.key").read_bytes()
    second = cli(capsys, config, "init")
    assert second.code == 0
    assert "exists, left as it is" in second.out
    assert config.read_text(encoding="utf-8").endswith("# mine\n")
    assert (tmp_path / "ledgerbridge.key").read_bytes() == key
    assert cli(capsys, config, "sync", "status").code == 0
    assert os.environ.get("LEDGERBRIDGE_SECRET_KEY") is None
