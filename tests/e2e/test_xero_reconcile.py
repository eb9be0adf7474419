"""Zoho CRM against Xero: the demo company's books kept in Xero (connectors/sandbox/xero/company.py), the
CRM in the Zoho sandbox, both synced over HTTP by the real connectors, the demo's CRM-vs-books invoice
rule pointed at Xero: exactly the planted findings on a planted company, none on a clean one; and
`ledgerbridge sandbox serve --vendor xero` serves a block that syncs as pasted."""

from __future__ import annotations

import json
import re
import signal
from pathlib import Path
from typing import Any

import pytest
import yaml

from connectors.sandbox.demo_servers import sandbox_credentials, xero_sandbox, xero_yaml, zoho_sandbox
from connectors.sandbox.generator import CRM, CRM_VS_BOOKS, CompanySpec, generate_company
from sync.cli import main
from sync.demo import connectors_yaml
from tests.e2e.sync_support import cli, reaped, spawn

pytestmark = pytest.mark.slow

RULE = "crm-vs-xero-invoices"


def run_json(capsys: pytest.CaptureFixture[str], *args: str) -> Any:
    capsys.readouterr()
    code = main([*args, "--json"])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    return json.loads(captured.out)


def reconcile_crm_against_xero(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, spec: CompanySpec
) -> tuple[dict[str, int], dict[str, int]]:
    """(found, planted) exceptions by type of the CRM-vs-books rule with Xero as the books."""
    company = generate_company(spec)
    with zoho_sandbox(company) as zoho_url, xero_sandbox(company) as xero_url:
        zoho_block = connectors_yaml(sandbox_credentials(company), zoho_url, None, inline_secrets=True)
        crm_only = zoho_block.split("  - name: zoho-books")[0]
        config = tmp_path / "ledgerbridge.yaml"
        config.write_text(
            f"database_url: sqlite:///{tmp_path / 'lb.db'}\nbase_currency: CNY\ntimezone: Asia/Shanghai\n"
            f"locale: en\n\n{crm_only.rstrip()}\n{xero_yaml(xero_url)}\n"
            "reconcile:\n  rules:\n"
            f"    - name: {RULE}\n"
            f"      left: {{source: {CRM}, kind: invoice}}\n"
            "      right: {source: xero, kind: invoice}\n"
            "      keys: [number]\n"
            "      fuzzy: {enabled: true, date_window_days: 7}\n"
            '      tolerance: {amount: "0.01", days: 0}\n'
            "      compare: [total, party, issued_on, status]\n"
            "      audit: []\n",
            encoding="utf-8",
        )
        assert main(["--config", str(config), "init"]) == 0
        first = run_json(capsys, "--config", str(config), "sync", "run", "--full")
        assert {run["status"] for run in first["runs"]} == {"ok"}, first["runs"]
        company.apply_later_changes()  # the next day: planted CRM invoices deleted
        run_json(capsys, "--config", str(config), "sync", "run", "--connector", CRM)
        result = run_json(capsys, "--config", str(config), "reconcile", "run")
    (run,) = [r for r in result["runs"] if r["rule"] == RULE]
    return run["exceptions"], company.truth.expected()[CRM_VS_BOOKS]


def test_a_zoho_crm_vs_xero_rule_reports_exactly_the_planted_findings(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    found, planted = reconcile_crm_against_xero(
        capsys, tmp_path, CompanySpec(customers=30, orders=400, seed=4)
    )
    assert planted  # the planted company has CRM-vs-books plants
    assert found == planted


def test_a_zoho_crm_vs_xero_rule_finds_nothing_in_a_clean_company(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    found, planted = reconcile_crm_against_xero(
        capsys, tmp_path, CompanySpec.clean(customers=30, orders=400, seed=8)
    )
    assert planted == {}
    assert found == {}


URL = re.compile(r"^Xero sandbox: (http://127\.0\.0\.1:\d+)$")


def test_sandbox_serve_vendor_xero_prints_a_block_that_tests_and_syncs_as_pasted(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    config = tmp_path / "ledgerbridge.yaml"
    config.write_text("", encoding="utf-8")
    with reaped() as processes:
        process = spawn(config, "--lang", "en", "sandbox", "serve", "--vendor", "xero", "--seed", "5")
        processes.append(process)
        assert process.stdout is not None
        url, block, in_block = None, [], False
        for raw in process.stdout:
            line = raw.rstrip("\n")
            url = found.group(1) if (found := URL.match(line)) else url
            in_block = in_block or line == "connectors:"
            if in_block and line.startswith("Then try:"):
                break
            if in_block:
                block.append(line)
        assert url is not None
        text = "\n".join(block) + "\n"
        assert [c["name"] for c in yaml.safe_load(text)["connectors"]] == ["xero"]
        config.write_text(
            f"database_url: sqlite:///{tmp_path / 'lb.db'}\nlocale: en\n\n{text}", encoding="utf-8"
        )
        assert cli(capsys, config, "init").code == 0
        tested = cli(capsys, config, "connector", "test", "xero")
        assert tested.code == 0, tested.out
        synced = cli(capsys, config, "sync", "run", "--connector", "xero", "--json")
        assert synced.code == 0, synced.err
        runs = {run["stream"]: run for run in json.loads(synced.out)["runs"]}
        assert {run["status"] for run in runs.values()} == {"ok"}
        assert runs["invoices"]["fetched"] > 0
        assert runs["payments"]["fetched"] > 0
        process.send_signal(signal.SIGTERM)
        process.communicate(timeout=20)
        assert process.returncode == 0
