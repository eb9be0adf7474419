"""Fxiaoke against Kingdee: the recommended rules of docs/connectors/kingdee.md, loaded as written, over a
clean company whose Fxiaoke side the Fxiaoke sandbox serves and whose books the Kingdee sandbox serves
(connectors/sandbox/kingdee: `kingdee_from_demo`), both synced over HTTP by the real connectors: the
configuration checks and the rules find nothing."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from connectors.sandbox.demo_servers import fxiaoke_sandbox, sandbox_credentials
from connectors.sandbox.generator import CompanySpec, generate_company
from connectors.sandbox.kingdee import KingdeeSandboxOptions
from connectors.sandbox.kingdee.company import kingdee_sandbox
from sync.demo import connectors_yaml
from tests.e2e.report_support import write_config
from tests.e2e.sync_support import Outcome, cli

pytestmark = pytest.mark.slow

DOC = Path(__file__).parents[2] / "docs" / "connectors" / "kingdee.md"


def recommended_rules() -> str:
    """The `reconcile:` block of the docs' "Recommended rules" section, exactly as written there."""
    section = DOC.read_text(encoding="utf-8").split("## Recommended rules", 1)[1]
    found = re.search(r"```yaml\n(reconcile:\n.*?)```", section, re.DOTALL)
    assert found is not None
    return found.group(1)


def json_of(outcome: Outcome) -> Any:
    assert outcome.code == 0, outcome.err
    return outcome.json()


def kingdee_entry(url: str) -> str:
    """The docs' connector entry for the sandbox: the default streams (no VAT invoices in this source)."""
    opts = KingdeeSandboxOptions()
    return (
        "  - name: kingdee\n    kind: kingdee\n"
        f'    server_url: "{url}"\n    acct_id: "62f0a9c2e5b1a4"\n    user_name: "{opts.user_name}"\n'
        f'    credentials: {{app_id: "{opts.app_id}", app_secret: "{opts.app_secret}"}}\n'
    )


def test_the_recommended_rules_load_and_find_nothing_in_a_clean_fxiaoke_and_kingdee_company(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, database_url: str
) -> None:
    rules = recommended_rules()
    loaded = yaml.safe_load(rules)["reconcile"]
    names = [entry["name"] for entry in (*loaded["rules"], *loaded["audits"])]
    company = generate_company(CompanySpec.clean(customers=20, orders=200, seed=8))
    box = kingdee_sandbox(company)
    with fxiaoke_sandbox(company) as fx, box:
        block = connectors_yaml(sandbox_credentials(company), None, fx.url, inline_secrets=True)
        extra = f"locale: en\n\n{block.rstrip()}\n{kingdee_entry(box.server_url)}\n{rules}"
        config = write_config(tmp_path, database_url, extra=extra)
        assert cli(capsys, config, "config", "check").code == 0
        synced = json_of(cli(capsys, config, "sync", "run", "--full", "--json"))
        assert {(run["connector"], run["status"]) for run in synced["runs"]} == {
            ("fxiaoke", "ok"), ("kingdee", "ok"),
        }  # fmt: skip
        result = json_of(cli(capsys, config, "reconcile", "run", "--json"))
    runs = {run["rule"]: run for run in result["runs"]}
    assert sorted(runs) == sorted(names)
    assert {name: run["exceptions"] for name, run in runs.items()} == {name: {} for name in runs}
    assert runs["fxiaoke-vs-kingdee-orders"]["matched"] > 0
