"""`ledgerbridge sandbox serve --vendor kingdee`: the printed `connectors:` entry (INTERFACES.md keys)
reaches a served K/3 Cloud account — its credentials log in and its sales orders are queried — and
SIGTERM stops it cleanly."""

from __future__ import annotations

import signal
from pathlib import Path

import pytest
import requests
import yaml

from tests.e2e.sync_support import read_json_document, reaped, spawn

pytestmark = pytest.mark.slow

_STUB = "/Kingdee.BOS.WebApi.ServicesStub."


def test_the_kingdee_block_logs_in_and_queries_the_demo_books(tmp_path: Path) -> None:
    config = tmp_path / "ledgerbridge.yaml"
    config.write_text("", encoding="utf-8")
    with reaped() as processes:
        process = spawn(config, "sandbox", "serve", "--vendor", "kingdee", "--json", "--seed", "5")
        processes.append(process)
        document = read_json_document(process)
        assert document["sandboxes"]["kingdee"]["connectors"] == ["kingdee"]
        [entry] = yaml.safe_load(document["config"])["connectors"]
        assert entry["kind"] == "kingdee"
        assert entry["server_url"] == document["sandboxes"]["kingdee"]["url"] + "/K3Cloud"
        session = requests.Session()
        login = session.post(
            entry["server_url"] + _STUB + "AuthService.LoginByAppSecret.common.kdsvc",
            json={
                "parameters": [
                    entry["acct_id"],
                    entry["user_name"],
                    entry["credentials"]["app_id"],
                    entry["credentials"]["app_secret"],
                    entry["lcid"],
                ]
            },
            timeout=10,
        )
        assert login.json()["LoginResultType"] == 1
        rows = session.post(
            entry["server_url"] + _STUB + "DynamicFormService.ExecuteBillQuery.common.kdsvc",
            json={
                "data": {"FormId": "SAL_SaleOrder", "FieldKeys": "FID,FBillNo,FBillAllAmount", "Limit": 10}
            },
            timeout=10,
        ).json()
        assert len(rows) == 10
        process.send_signal(signal.SIGTERM)
        process.communicate(timeout=20)
        assert process.returncode == 0
