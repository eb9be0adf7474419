"""The CLI's admin commands and the Connectors page run one code path (sync/admin_service.py,
sync/stream_notes.py): `sync run --connector NAME --full` and the page's full resync write the same
`sync.run` audit row (the web adds `via` and `address`), `secret set` and the page's secret form the same
`secret.set` row, and `sync status` and the page word a quarantined record's reason alike."""

from __future__ import annotations

import html
import json
import re
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine

from config.settings import Settings
from store.audit_log import list_audit
from store.users import Role, SqlUserStore
from sync.admin_service import set_secret, sync_connector
from tests.conftest import FixedClock
from tests.e2e.report_support import Ran, run_cli
from tests.fakes import record
from tests.web.conftest import FAST_HASHING, USERS, WebClient
from web.app import create_app


@pytest.fixture
def shop_settings(web_settings: Settings, tmp_path: Path) -> Settings:
    (tmp_path / "data").mkdir()
    document = web_settings.model_dump(mode="json", exclude_unset=True)
    document["reconcile"] = {"rules": [], "audit": []}  # the CLI checks that rules name configured sources
    document["connectors"] = [
        {
            "name": "shop",
            "kind": "jsonl",
            "path": str(tmp_path / "data" / "{stream}.jsonl"),
            "page_size": 2,
            "streams": ["invoices"],
        }
    ]
    records = [record(1), record(2, total="abc")]
    (tmp_path / "data" / "invoices.jsonl").write_text(
        "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8"
    )
    return Settings.model_validate(document)


@pytest.fixture
def config(tmp_path: Path, shop_settings: Settings, web_engine: Engine) -> Path:
    path = tmp_path / "ledgerbridge.yaml"  # JSON is YAML
    path.write_text(json.dumps(shop_settings.model_dump(mode="json", exclude_unset=True)), encoding="utf-8")
    return path


def _cli(capsys: pytest.CaptureFixture[str], config: Path, *args: str) -> Ran:
    return run_cli(capsys, config, ["--lang", "zh", *args])


def _details(engine: Engine, action: str) -> list[dict[str, Any]]:
    return [dict(e.detail) for e in reversed(list_audit(engine, limit=100, action=action))]


def test_sync_run_and_the_pages_resync_write_the_same_audit_row_but_for_via_and_address(
    capsys: pytest.CaptureFixture[str], config: Path, shop_settings: Settings, web_engine: Engine
) -> None:
    ran = _cli(capsys, config, "sync", "run", "--connector", "shop", "--full", "--json")
    assert ran.status == 0, ran.err  # record 2 is quarantined, the stream itself is ok
    assert json.loads(ran.out)["runs"][0]["status"] == "ok"
    sync_connector(
        web_engine,
        shop_settings,
        "shop",
        full=True,
        actor="admin",
        holder="web sync",
        audit_detail={"via": "web", "address": "127.0.0.1"},
    )
    cli_row, web_row = _details(web_engine, "sync.run")
    assert {k: v for k, v in web_row.items() if k not in ("via", "address")} == cli_row
    assert cli_row == {"connectors": ["shop"], "full": True, "repair": False, "since": None, "failed": 0}


def test_secret_set_and_the_pages_secret_form_write_the_same_audit_row_but_for_via(
    capsys: pytest.CaptureFixture[str],
    config: Path,
    shop_settings: Settings,
    web_engine: Engine,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr("sys.stdin", _Stdin("first-value-1234\n"))
    assert _cli(capsys, config, "secret", "set", "shop-key", "--stdin").status == 0
    assert set_secret(
        web_engine, shop_settings, "shop-key", "second-value-5678", actor="admin", audit_detail={"via": "web"}
    )
    cli_row, web_row = _details(web_engine, "secret.set")
    assert cli_row == {"name": "shop-key", "replaced": False}
    assert web_row == {"name": "shop-key", "replaced": True, "via": "web"}


def test_sync_status_and_the_connectors_page_word_a_quarantined_reason_alike(
    capsys: pytest.CaptureFixture[str],
    config: Path,
    *,
    shop_settings: Settings,
    web_engine: Engine,
    web_clock: FixedClock,
    user_store: SqlUserStore,
    web_users: dict[Role, Any],
) -> None:
    sync_connector(web_engine, shop_settings, "shop", full=True, actor="test", holder="test")
    status = _cli(capsys, config, "sync", "status")
    assert status.status == 0, status.err
    reason = "total：'abc' 不是数字"
    assert reason in status.out
    app = create_app(
        shop_settings,
        web_engine,
        clock=web_clock,
        hashing=FAST_HASHING,
        route_modules=("web.routes.session", "web.routes.connectors"),
    )
    client = WebClient(app, user_store)
    try:
        assert client.login(USERS[Role.ADMIN].name, USERS[Role.ADMIN].password).status_code == 303
        page = client.get("/connectors", headers={"Accept-Language": "zh"}).text
    finally:
        client.close()
    assert reason in html.unescape(re.sub(r"<[^>]+>", "", page))


class _Stdin:
    def __init__(self, text: str) -> None:
        self._text = text

    def read(self) -> str:
        return self._text

    def isatty(self) -> bool:
        return False
