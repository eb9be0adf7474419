"""`ledgerbridge connector test` says every check line in the reader's language against the sandboxes:
Kingdee's empty-permission warning and Xero's missing-scope line in Chinese (the vendor's names and
the command to run verbatim inside), and `--json` keeps `what`/`detail` in English beside the keys and
values the lines were said from."""

from __future__ import annotations

from pathlib import Path

import pytest

from connectors.sandbox.demo_servers import xero_yaml
from connectors.sandbox.generator import CompanySpec, generate_company
from connectors.sandbox.kingdee import (
    KingdeeSandbox,
    KingdeeSandboxOptions,
    KingdeeSpec,
    generate_kingdee_company,
)
from connectors.sandbox.xero import XeroSandbox, XeroSandboxOptions
from connectors.sandbox.xero.company import xero_dataset
from store.secrets import create_key_file
from tests.e2e.report_support import write_config
from tests.e2e.sync_support import cli

pytestmark = pytest.mark.slow


def kingdee_yaml(box: KingdeeSandbox, acct_id: str) -> str:
    opts = box.options
    return (
        "connectors:\n  - name: k3\n    kind: kingdee\n"
        f'    server_url: "{box.server_url}"\n    acct_id: "{acct_id}"\n    user_name: "{opts.user_name}"\n'
        f'    credentials: {{app_id: "{opts.app_id}", app_secret: "{opts.app_secret}"}}\n'
        "    streams: [sales_orders, receivables]\n"
    )


def test_kingdee_says_a_form_read_as_empty_in_chinese_and_keeps_the_english_in_json(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, database_url: str
) -> None:
    company = generate_kingdee_company(KingdeeSpec(customers=5, orders=20, seed=9))
    options = KingdeeSandboxOptions(empty_forms=frozenset({"AR_receivable"}))
    box = KingdeeSandbox(company.dataset, options=options)
    with box:
        config = write_config(tmp_path, database_url, extra=kingdee_yaml(box, company.dataset.acct_id))
        create_key_file(tmp_path / "ledgerbridge.key")
        zh = cli(capsys, config, "--lang", "zh", "connector", "test", "k3")
        en = cli(capsys, config, "--lang", "en", "connector", "test", "k3")
        as_json = cli(capsys, config, "connector", "test", "k3", "--json")
    assert zh.code == 0, zh.out + zh.err
    lines = zh.out.splitlines()
    [empty] = [line for line in lines if "AR_receivable" in line]
    assert empty.startswith("警告 数据流 receivables（AR_receivable） — 0 行 — 请检查 AR_receivable 的权限")
    assert "正常 数据流 sales_orders（SAL_SaleOrder） — 可读取" in lines
    assert any(line.startswith("正常 登录 ") and "已登录；会话将沿用至" in line for line in lines)
    assert "check permission" not in zh.out
    assert "readable" not in zh.out
    assert "WARN stream receivables (AR_receivable) — 0 rows — check permission for AR_receivable" in en.out
    checks = {c["what"]: c for c in as_json.json()["checks"]}
    receivables = checks["stream receivables (AR_receivable)"]
    assert receivables["state"] == "empty"
    assert receivables["detail"].startswith("0 rows — check permission for AR_receivable: some K/3 Cloud")
    assert (receivables["what_key"], receivables["what_values"]) == (
        "check.stream_form",
        {"name": "receivables", "form": "AR_receivable"},
    )
    assert (receivables["detail_key"], receivables["detail_values"]) == (
        "check.kingdee.empty_form",
        {"form": "AR_receivable"},
    )


def test_xero_names_the_missing_scope_in_chinese_with_the_scopes_and_the_command_verbatim(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, database_url: str
) -> None:
    company = generate_company(CompanySpec.clean(customers=10, orders=60, seed=3))
    narrow = XeroSandboxOptions(
        minute_limit=None,
        day_limit=None,
        app_minute_limit=None,
        scopes=("offline_access", "accounting.invoices.read", "accounting.contacts.read"),
    )
    with XeroSandbox(xero_dataset(company), options=narrow) as url:
        config = write_config(tmp_path, database_url, extra=f"connectors:\n{xero_yaml(url, narrow)}")
        create_key_file(tmp_path / "ledgerbridge.key")
        zh = cli(capsys, config, "--lang", "zh", "connector", "test", "xero")
        as_json = cli(capsys, config, "connector", "test", "xero", "--json")
    assert zh.code == 1
    [scopes] = [line for line in zh.out.splitlines() if line.startswith("失败 授权范围 — ")]
    assert "缺少授权范围：" in scopes
    assert "数据流 payments 需要 accounting.payments.read or accounting.transactions.read；" in scopes
    assert "`ledgerbridge connector authorize xero`（已授予：" in scopes
    assert "accounting.contacts.read accounting.invoices.read offline_access" in scopes
    assert "needs" not in scopes
    assert "missing" not in scopes
    assert "项检查中有" in zh.err
    [line] = [c for c in as_json.json()["checks"] if c["what"] == "scopes"]
    assert line["detail"].startswith(
        "missing: stream payments needs accounting.payments.read or accounting.transactions.read; "
    )
    needs = line["detail_values"]["needs"]
    assert needs[0] == {
        "key": "check.scope_needed",
        "values": {"name": "payments", "scope": "accounting.payments.read or accounting.transactions.read"},
    }
