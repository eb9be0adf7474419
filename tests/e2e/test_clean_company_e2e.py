"""The clean-company oracle end to end: a company with every vendor total component and nothing planted,
served by the Zoho and Fxiaoke sandboxes, read by the real connectors into SQLite, reconciled by
`reconcile run`: zero exceptions. A finding here is a disagreement between a sandbox (written from the
vendors' documentation) and a connector's reading of a vendor field, or a false alarm of a rule or
check (ADR 0019)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from connectors.sandbox.generator import RUNS
from sync.cli import main

pytestmark = pytest.mark.slow


def run_json(capsys: pytest.CaptureFixture[str], *args: str) -> dict[str, Any]:
    capsys.readouterr()
    code = main([*args, "--json"])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    document: dict[str, Any] = json.loads(captured.out)
    return document


def test_a_clean_company_synced_through_the_sandboxes_reconciles_to_zero_exceptions(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    summary = run_json(
        capsys, "demo", "--dir", str(tmp_path / "clean"), "--clean", "--orders", "500", "--customers", "40",
        "--seed", "8", "--lang", "en",
    )  # fmt: skip
    truth = json.loads(Path(summary["truth"]).read_text(encoding="utf-8"))
    assert truth["spec"]["planted"] is False
    assert summary["sync"]["failed"] == []
    assert summary["quarantined"] == {}
    assert summary["records"] == truth["records"]
    assert summary["exceptions"] == {run: {} for run in RUNS}
    again = run_json(capsys, "--config", summary["config"], "reconcile", "run")
    assert {run["rule"]: run["exceptions"] for run in again["runs"]} == {run: {} for run in RUNS}
    plan = next(run for run in again["runs"] if run["rule"] == RUNS[-1])
    assert plan["skipped"] == {}  # every component of every audited total was read: nothing left unknown
