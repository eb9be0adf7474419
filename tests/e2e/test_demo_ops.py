"""What the demo leaves for ops: copyable next steps, and its secret stores in the audit log."""

from __future__ import annotations

import io
import json
import shlex
from pathlib import Path

import pytest
from rich.console import Console

from store.audit_log import default_actor
from sync.cli import main
from sync.commands.demo_cmd import _print_summary, next_steps
from sync.demo import DemoResult

SMALL = ("--orders", "150", "--customers", "12", "--seed", "7")


def _result(directory: Path) -> DemoResult:
    return DemoResult(
        directory=directory,
        config=directory / "ledgerbridge.yaml",
        database=directory / "ledgerbridge.db",
        truth=directory / "truth.json",
        reports={"html": directory / "mismatches.html"},
        syncs=[],
        records={"zoho-crm": {"invoice": 3}},
        deleted={},
        quarantined={},
        rules=[],
        requests={"zoho": 10},
        seconds=1.5,
    )


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_the_next_steps_print_one_command_a_line_on_a_narrow_terminal(tmp_path: Path, lang: str) -> None:
    directory = tmp_path / "a demo directory with a rather long name [v2]" / "ledgerbridge-demo"
    buffer = io.StringIO()
    _print_summary(_result(directory), lang, Console(file=buffer, width=40))  # type: ignore[arg-type]
    printed = buffer.getvalue().splitlines()
    commands = next_steps(directory / "ledgerbridge.yaml")
    assert [line.strip() for line in printed if line.strip().startswith("ledgerbridge ")] == commands
    for command in commands:
        argv = shlex.split(command)
        assert argv[:3] == ["ledgerbridge", "--config", str(directory / "ledgerbridge.yaml")]
    assert f"  config    {directory / 'ledgerbridge.yaml'}" in printed


@pytest.mark.slow
def test_the_demo_secret_stores_are_in_the_audit_log_by_name_and_the_chain_verifies(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    capsys.readouterr()
    assert main(["demo", "--dir", str(tmp_path / "demo"), "--json", *SMALL]) == 0
    summary = json.loads(capsys.readouterr().out)
    config = summary["config"]
    assert main(["--config", config, "audit", "list", "--action", "secret.", "--json"]) == 0
    entries = json.loads(capsys.readouterr().out)["entries"]
    stored = sorted(entry["detail"]["name"] for entry in entries if entry["action"] == "secret.set")
    assert stored == [
        "fxiaoke-app-secret",
        "fxiaoke-permanent-code",
        "zoho-client-secret",
        "zoho-refresh-token",
    ]
    assert all(entry["detail"] == {"name": entry["detail"]["name"], "replaced": False} for entry in entries)
    assert {entry["actor"] for entry in entries} == {default_actor()}  # as `secret set` records it
    text = json.dumps(entries)
    for value in (
        "sandbox-secret",
        "1000.sandbox-refresh-token",
        "sandbox-app-secret",
        "sandbox-permanent-code",
    ):
        assert value not in text
    assert main(["--config", config, "audit", "verify"]) == 0, capsys.readouterr()
    capsys.readouterr()
    assert main(["demo", "--dir", str(tmp_path / "demo"), "--json", *SMALL]) == 0  # same values: no new row
    capsys.readouterr()
    assert main(["--config", config, "audit", "list", "--action", "secret.", "--json"]) == 0
    assert len(json.loads(capsys.readouterr().out)["entries"]) == 4
    assert main(["--config", config, "audit", "verify"]) == 0


@pytest.mark.slow
def test_the_demo_syncs_are_audited_as_sync_run_writes_them(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    capsys.readouterr()
    assert main(["demo", "--dir", str(tmp_path / "demo"), "--json", "--accounting", "xero", *SMALL]) == 0
    config = json.loads(capsys.readouterr().out)["config"]
    assert main(["--config", config, "audit", "list", "--action", "sync.", "--json"]) == 0
    entries = json.loads(capsys.readouterr().out)["entries"]
    assert [entry["action"] for entry in entries] == ["sync.run", "sync.run"]
    details = sorted((entry["detail"] for entry in entries), key=lambda detail: not detail["full"])
    common = {"repair": False, "since": None, "failed": 0, "demo": True}
    assert details == [
        {"connectors": ["zoho-crm", "fxiaoke", "xero"], "full": True, **common},  # every connector
        {"connectors": ["zoho-crm"], "full": False, **common},  # the next day's incremental CRM sync
    ]
    assert {entry["actor"] for entry in entries} == {default_actor()}  # as `sync run` records it
    assert main(["--config", config, "audit", "verify"]) == 0
