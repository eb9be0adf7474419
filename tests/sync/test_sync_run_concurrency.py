"""`sync run` hands every selected connector to the engine at once (connectors have separate vendor
budgets, ADR 0030), each with its own `limits.concurrency`; the ledger is the same as one at a time."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest

from sync.engine import SyncEngine
from tests.e2e.sync_support import cli, invoices, write_config, write_records


def test_sync_run_syncs_two_connectors_at_the_same_time(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = write_config(tmp_path, database_url)
    text = config.read_text(encoding="utf-8")
    shop = text[text.index("  - name: shop") :]
    config.write_text(
        text
        + shop.replace("name: shop", "name: shop2").replace(
            "    streams:", "    limits: {concurrency: 3}\n    streams:"
        ),
        encoding="utf-8",
    )
    write_records(tmp_path, invoices(30))
    both_inside = threading.Barrier(2, timeout=20)
    original = SyncEngine.run_connector
    seen: dict[str, int] = {}

    def meeting(self: SyncEngine, connector: Any, **kwargs: Any) -> Any:
        seen[connector.name] = kwargs["concurrency"]
        both_inside.wait()  # only passes when the two connectors run at the same time
        return original(self, connector, **kwargs)

    monkeypatch.setattr(SyncEngine, "run_connector", meeting)
    ran = cli(capsys, config, "--lang", "en", "sync", "run", "--json")
    assert ran.code == 0, ran.err
    assert seen == {"shop": 2, "shop2": 3}
    runs = ran.json()["runs"]
    assert sorted((r["connector"], r["created"]) for r in runs) == [("shop", 30), ("shop2", 30)]
