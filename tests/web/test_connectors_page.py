"""The Connectors page (admin): streams and quarantine with redacted payloads, sync now / full resync as one
background run per connector under the connector's lock, its polled progress, connector test, and a
write-only secret that is stored, audited and never echoed. Viewers and reviewers get 403 and no link."""

from __future__ import annotations

import json
import logging
import re
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from sqlalchemy import Engine, text

from config.settings import Settings
from store.locks import connector_lock
from store.secrets import SqlSecretStore
from store.users import Role, SqlUserStore
from sync.admin_service import sync_connector
from sync.bootstrap import secret_box
from tests.conftest import FixedClock
from tests.fakes import record
from tests.web.conftest import FAST_HASHING, USERS, WebClient
from web.app import create_app
from web.sync_jobs import SyncJobs

PLANTED_TOKEN = "sk_live_9f8e7d6c5b4a39281706f5e4d3c2b1a0"
STORED_SECRET = "Zq7-very-secret-value-4411"


def write_records(directory: Path, records: list[dict[str, Any]]) -> Path:
    path = directory / "data" / "invoices.jsonl"
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")
    return path


@pytest.fixture
def shop_settings(web_settings: Settings, tmp_path: Path) -> Settings:
    (tmp_path / "data").mkdir()
    document = web_settings.model_dump(mode="json", exclude_unset=True)
    document["connectors"] = [
        {
            "name": "shop",
            "kind": "jsonl",
            "path": str(tmp_path / "data" / "{stream}.jsonl"),
            "page_size": 2,
            "streams": ["invoices"],
        }
    ]
    return Settings.model_validate(document)


@pytest.fixture
def shop_records(tmp_path: Path) -> Path:
    return write_records(
        tmp_path,
        [
            record(1),
            record(2),
            record(3, total="abc", api_key=PLANTED_TOKEN, note="<script>alert(1)</script>"),
            record(4, issued_on="28/10/2026"),
        ],
    )


@pytest.fixture
def app(shop_settings: Settings, web_engine: Engine, web_clock: FixedClock) -> FastAPI:
    pages = ("web.routes.session", "web.routes.connectors", "web.routes.audit_page")
    return create_app(shop_settings, web_engine, clock=web_clock, hashing=FAST_HASHING, route_modules=pages)


def _runs(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(text("SELECT count(*) FROM sync_runs")).scalar_one())


def _audit(engine: Engine, action: str) -> list[tuple[str, dict[str, Any]]]:
    with engine.connect() as conn:
        rows = conn.execute(
            text("SELECT actor, detail FROM audit_log WHERE action = :a ORDER BY id"), {"a": action}
        ).all()
    return [(actor, json.loads(detail)) for actor, detail in rows]


def _wait_for(app: FastAPI, job_id: str) -> None:
    jobs: SyncJobs = app.state.sync_jobs
    assert jobs.wait(job_id, timeout=60)


def test_admin_sees_streams_and_the_quarantine_with_its_reasons_and_a_redacted_payload(
    app: FastAPI,
    client_as: Callable[[Role], WebClient],
    shop_settings: Settings,
    web_engine: Engine,
    shop_records: Path,
) -> None:
    sync_connector(web_engine, shop_settings, "shop", full=False, actor="test", holder="test")
    page = client_as(Role.ADMIN).get("/connectors", headers={"Accept-Language": "en"})
    assert page.status_code == 200
    html = page.text
    assert "shop" in html
    assert "invoices" in html
    assert "total: &#39;abc&#39; is not a number" in html  # the reason from field, rule and value
    assert "issued_on" in html
    assert "not_a_date" in html
    assert "sync_runs" not in html
    payload = re.search(r'<pre class="connectors-payload">(.*?)</pre>', html, re.S)
    assert payload is not None
    assert "&#34;external_id&#34;: &#34;INV-3&#34;" in payload.group(1)
    assert "\n  &#34;" in payload.group(1)  # pretty-printed (indented)
    assert PLANTED_TOKEN not in html
    assert "[REDACTED]" in payload.group(1)
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    zh = client_as(Role.ADMIN).get("/connectors", headers={"Accept-Language": "zh-CN"})
    assert "total：&#39;abc&#39; 不是数字" in zh.text


def test_a_value_stored_as_a_secret_is_redacted_from_quarantined_payloads(
    app: FastAPI,
    client_as: Callable[[Role], WebClient],
    shop_settings: Settings,
    web_engine: Engine,
    tmp_path: Path,
) -> None:
    admin = client_as(Role.ADMIN)
    assert (
        admin.post_form("/connectors/secrets", {"name": "shop-token", "value": STORED_SECRET}).status_code
        == 200
    )
    write_records(tmp_path, [record(1, total="x", memo=f"token={STORED_SECRET}&a=1")])
    sync_connector(web_engine, shop_settings, "shop", full=False, actor="test", holder="test")
    html = admin.get("/connectors").text
    assert "INV-1" in html
    assert STORED_SECRET not in html


def test_viewer_and_reviewer_get_403_and_no_link(
    client_as: Callable[[Role], WebClient], shop_records: Path
) -> None:
    for role in (Role.VIEWER, Role.REVIEWER):
        client = client_as(role)
        assert client.get("/connectors").status_code == 403
        assert client.post_form("/connectors/shop/sync", {"mode": "full"}).status_code == 403
        assert client.post_form("/connectors/secrets", {"name": "a", "value": "b" * 12}).status_code == 403
        assert 'href="/connectors"' not in client.get("/nowhere").text
    assert 'href="/connectors"' in client_as(Role.ADMIN).get("/nowhere").text


def test_sync_now_runs_in_the_background_and_its_fragment_shows_records_read_and_state(
    app: FastAPI, client_as: Callable[[Role], WebClient], web_engine: Engine, shop_records: Path
) -> None:
    admin = client_as(Role.ADMIN)
    answer = admin.htmx_post("/connectors/shop/sync", {"mode": "incremental"})
    assert answer.status_code == 200
    job_id = re.search(r'data-job="([0-9a-f]+)"', answer.text)
    assert job_id is not None
    _wait_for(app, job_id.group(1))
    fragment = admin.get(f"/connectors/jobs/{job_id.group(1)}", headers={"HX-Request": "true"})
    assert 'data-state="done"' in fragment.text
    assert "hx-trigger" not in fragment.text  # finished: the fragment stops polling
    assert "4 records read so far" in fragment.text or "已读取 4 条记录" in fragment.text
    ((actor, detail),) = _audit(web_engine, "sync.run")
    assert actor == "ada"
    assert detail["connectors"] == ["shop"]
    assert detail["full"] is False
    assert detail["via"] == "web"


def test_a_running_jobs_fragment_polls_every_two_seconds(
    app: FastAPI, client_as: Callable[[Role], WebClient], web_engine: Engine, shop_records: Path
) -> None:
    gate = threading.Event()

    def held(*args: Any, **kwargs: Any) -> Any:
        kwargs["progress"]("shop", "invoices", 2)
        assert gate.wait(30)
        return sync_connector(*args, **kwargs)

    app.state.sync_jobs = SyncJobs(runner=held)
    admin = client_as(Role.ADMIN)
    answer = admin.htmx_post("/connectors/shop/sync", {"mode": "full"})
    job_id = re.search(r'data-job="([0-9a-f]+)"', answer.text).group(1)  # type: ignore[union-attr]
    deadline = time.monotonic() + 10
    while "running" not in (fragment := admin.get(f"/connectors/jobs/{job_id}").text):
        assert time.monotonic() < deadline
        time.sleep(0.05)
    assert 'hx-trigger="every 2s"' in fragment
    assert f'hx-get="/connectors/jobs/{job_id}"' in fragment
    assert "invoices: 2" in fragment
    gate.set()
    _wait_for(app, job_id)


def test_sync_now_clicked_by_two_admins_at_once_runs_once(
    app: FastAPI,
    client_as: Callable[[Role], WebClient],
    web_engine: Engine,
    shop_records: Path,
    user_store: SqlUserStore,
) -> None:
    user_store.add("ann", Role.ADMIN, USERS[Role.ADMIN].password, actor="test-setup")
    gate = threading.Event()

    def slow(*args: Any, **kwargs: Any) -> Any:
        assert gate.wait(30)  # the first run is still queued when the second click lands
        return sync_connector(*args, **kwargs)

    app.state.sync_jobs = SyncJobs(runner=slow)
    first = client_as(Role.ADMIN)
    second = WebClient(app, user_store)
    assert second.login("ann", USERS[Role.ADMIN].password).status_code == 303
    answers: list[Any] = []
    clicks = [
        threading.Thread(
            target=lambda c=c: answers.append(c.htmx_post("/connectors/shop/sync", {"mode": "full"}))
        )
        for c in (first, second, first)
    ]
    for click in clicks:
        click.start()
    for click in clicks:
        click.join()
    ids = {re.search(r'data-job="([0-9a-f]+)"', a.text).group(1) for a in answers}  # type: ignore[union-attr]
    assert len(ids) == 1
    assert sum("already queued" in a.text or "已在队列中" in a.text for a in answers) == 2
    gate.set()
    _wait_for(app, ids.pop())
    assert _runs(web_engine) == 1
    assert len(_audit(web_engine, "sync.run")) == 1
    second.close()


def test_sync_now_while_another_process_holds_the_connector_says_who_and_runs_nothing(
    app: FastAPI, client_as: Callable[[Role], WebClient], web_engine: Engine, shop_records: Path
) -> None:
    admin = client_as(Role.ADMIN)
    with connector_lock(web_engine, "shop", holder="daemon"):
        answer = admin.htmx_post("/connectors/shop/sync", {"mode": "incremental"})
        job_id = re.search(r'data-job="([0-9a-f]+)"', answer.text).group(1)  # type: ignore[union-attr]
        _wait_for(app, job_id)
    fragment = admin.get(f"/connectors/jobs/{job_id}").text
    assert 'data-state="locked"' in fragment
    assert "connector shop is locked by daemon" in fragment
    assert _runs(web_engine) == 0


def test_connector_test_shows_each_check(
    client_as: Callable[[Role], WebClient], shop_records: Path, tmp_path: Path
) -> None:
    admin = client_as(Role.ADMIN)
    answer = admin.htmx_post("/connectors/shop/test", headers={"Accept-Language": "en"})
    assert answer.status_code == 200
    assert "Connector test of shop" in answer.text
    assert "connectors-check-ok" in answer.text
    assert "connectors-check-fail" not in answer.text
    (tmp_path / "data" / "invoices.jsonl").unlink()
    failed = admin.htmx_post("/connectors/shop/test", headers={"Accept-Language": "en"})
    assert "connectors-check-fail" in failed.text or "could not start" in failed.text


def test_connector_test_says_each_check_in_the_readers_language(
    client_as: Callable[[Role], WebClient], shop_records: Path, tmp_path: Path
) -> None:
    admin = client_as(Role.ADMIN)
    path = tmp_path / "data" / "invoices.jsonl"
    zh = admin.htmx_post("/connectors/shop/test", headers={"Accept-Language": "zh-CN"}).text
    assert re.search(rf"读取数据流 invoices — {re.escape(str(path))} 中有 4 条有效记录", zh)
    assert "live records" not in zh
    en = admin.htmx_post("/connectors/shop/test", headers={"Accept-Language": "en"}).text
    assert re.search(rf"read stream invoices — 4 live records in {re.escape(str(path))}", en)


def test_a_secret_set_on_the_page_is_stored_and_audited_and_never_echoed(
    client_as: Callable[[Role], WebClient],
    shop_settings: Settings,
    web_engine: Engine,
    caplog: pytest.LogCaptureFixture,
) -> None:
    admin = client_as(Role.ADMIN)
    page = admin.get("/connectors").text
    assert re.search(r'<input name="value" type="password"[^>]*>', page)
    assert 'name="value" value' not in page
    with caplog.at_level(logging.DEBUG):
        stored = admin.htmx_post("/connectors/secrets", {"name": "books-token", "value": STORED_SECRET})
        replaced = admin.post_form(
            "/connectors/secrets", {"name": "books-token", "value": STORED_SECRET + "2"}
        )
        bad = admin.post_form("/connectors/secrets", {"name": "bad name!", "value": STORED_SECRET})
    assert stored.status_code == 200
    assert "books-token" in stored.text
    assert replaced.status_code == 200
    assert bad.status_code == 400
    for answer in (stored, replaced, bad):
        assert STORED_SECRET not in answer.text
    assert STORED_SECRET not in caplog.text
    box = SqlSecretStore(web_engine, secret_box(shop_settings))
    assert box.get("books-token") == STORED_SECRET + "2"
    audited = _audit(web_engine, "secret.set")
    assert [(a, d["name"], d["replaced"], d["via"]) for a, d in audited] == [
        ("ada", "books-token", False, "web"),
        ("ada", "books-token", True, "web"),
    ]
    assert all(STORED_SECRET not in json.dumps(d) for _, d in audited)
    assert STORED_SECRET not in admin.get("/audit").text
