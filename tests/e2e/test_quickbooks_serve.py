"""`ledgerbridge sandbox serve --vendor quickbooks`: the demo company's books as a QuickBooks company;
the printed block is pasted into a config, tested and synced, then SIGTERM stops it cleanly."""

from __future__ import annotations

import json
import signal
from pathlib import Path

import pytest
import yaml

from tests.e2e.sync_support import cli, read_json_document, reaped, spawn

pytestmark = pytest.mark.slow


def test_the_quickbooks_sandbox_block_tests_and_syncs(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    config = tmp_path / "ledgerbridge.yaml"
    config.write_text("", encoding="utf-8")
    with reaped() as processes:
        process = spawn(config, "sandbox", "serve", "--vendor", "quickbooks", "--json", "--seed", "5")
        processes.append(process)
        document = read_json_document(process)
        url = document["sandboxes"]["quickbooks"]["url"]
        assert document["sandboxes"]["quickbooks"]["connectors"] == ["quickbooks"]
        block = document["config"]
        [entry] = yaml.safe_load(block)["connectors"]
        assert entry["kind"] == "quickbooks"
        assert entry["endpoints"] == {"auth_url": url, "api_url": url}
        config.write_text(
            f"database_url: sqlite:///{tmp_path / 'lb.db'}\nlocale: en\n\n{block}", encoding="utf-8"
        )
        assert cli(capsys, config, "init").code == 0
        tested = cli(capsys, config, "connector", "test", "quickbooks")
        assert tested.code == 0, (tested.out, tested.err)
        synced = cli(capsys, config, "sync", "run", "--connector", "quickbooks", "--json")
        assert synced.code == 0, synced.err
        runs = json.loads(synced.out)["runs"]
        assert {run["status"] for run in runs} == {"ok"}
        fetched = {run["stream"]: run["fetched"] for run in runs}
        assert fetched["invoices"] > 0
        assert fetched["payments"] > 0
        assert fetched["customers"] > 0
        process.send_signal(signal.SIGTERM)
        process.communicate(timeout=20)
        assert process.returncode == 0
