"""The Audit log page (admin): filtered by action prefix, actor and dates, paged newest first; Verify runs
`audit verify`'s check — intact, then a row edited, rows deleted and a document changed behind
ledgerbridge's back are each named. Viewers and reviewers get 403 and no link."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from fastapi import FastAPI
from sqlalchemy import Engine, text

from store.audit_log import record_audit
from store.users import Role, SqlUserStore
from tests.web.conftest import WebClient, clients_of

PAGES = ("web.routes.session", "web.routes.audit_page")
"""This page alone (pages other engineers are writing stay out of its tests)."""


@pytest.fixture
def client_as(
    build_app: Callable[..., FastAPI], user_store: SqlUserStore, web_users: dict[Role, Any]
) -> Iterator[Callable[[Role], WebClient]]:
    with clients_of(build_app(route_modules=PAGES), user_store) as make:
        yield make


@pytest.fixture
def admin(client_as: Callable[[Role], WebClient]) -> WebClient:
    return client_as(Role.ADMIN)


def _seed(engine: Engine) -> None:
    """Sixty entries over three days by two actors (ids 1.. before the logins' own rows are added)."""
    for n in range(60):
        day = 1 + n % 3
        record_audit(
            engine,
            "ops" if n % 2 else "李娜",
            "secret.set" if n % 4 == 0 else "exception.resolve",
            {"n": n, "note": "<script>alert(1)</script>"},
            clock=lambda day=day: datetime(2026, 10, day, 4, 0, tzinfo=UTC),
        )


def _rows(html: str) -> list[int]:
    return [int(n) for n in re.findall(r'<tr><td class="num">(\d+)</td>', html)]


def test_the_log_is_filtered_by_action_actor_and_dates_and_paged_newest_first(
    admin: WebClient, web_engine: Engine
) -> None:
    _seed(web_engine)
    page = admin.get("/audit", headers={"Accept-Language": "en"})
    assert page.status_code == 200
    first = _rows(page.text)
    assert len(first) == 50
    assert first == sorted(first, reverse=True)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page.text
    assert "<script>alert(1)" not in page.text
    older = re.search(r'href="([^"]+)" rel="next"', page.text)
    assert older is not None
    rest = _rows(admin.get(older.group(1).replace("&amp;", "&")).text)
    assert set(rest).isdisjoint(first)
    assert len(first) + len(rest) >= 61  # the seeded sixty and the admin's login

    secrets = admin.get("/audit", params={"action": "secret."}).text
    assert len(_rows(secrets)) == 15
    assert "exception.resolve" not in secrets
    by_actor = admin.get("/audit", params={"actor": "李娜", "action": "exception."}).text
    assert len(_rows(by_actor)) == 15  # even n (30) less the secret.set ones (n % 4 == 0: 15)
    one_day = admin.get("/audit", params={"since": "2026-10-02", "until": "2026-10-02"}).text
    assert len(_rows(one_day)) == 20
    assert admin.get("/audit", params={"since": "02/10/2026"}).status_code == 400


def test_verify_says_intact_then_names_an_edited_row_deleted_rows_and_a_changed_document(
    admin: WebClient, web_engine: Engine, reconciled: Any
) -> None:
    _seed(web_engine)
    intact = admin.htmx_post("/audit/verify", headers={"Accept-Language": "en"})
    assert intact.status_code == 200
    assert 'data-ok="true"' in intact.text
    assert "Intact" in intact.text

    with web_engine.begin() as conn:
        conn.execute(text("UPDATE audit_log SET detail = :d WHERE id = 5"), {"d": json.dumps({"n": 999})})
        conn.execute(text("DELETE FROM audit_log WHERE id IN (10, 11)"))
        conn.execute(text("UPDATE documents SET total = total / 2 WHERE external_id = '982000000567'"))
    found = admin.htmx_post("/audit/verify", headers={"Accept-Language": "en"})
    assert 'data-ok="false"' in found.text
    assert "row 5 was edited" in found.text
    assert "2 rows deleted" in found.text or "rows 10" in found.text
    assert "zoho-books invoice 982000000567" in found.text
    assert "sync run --full --repair" in found.text
    whole = admin.post_form("/audit/verify", headers={"Accept-Language": "zh-CN"})
    assert whole.status_code == 200
    assert "审计日志或台账在 ledgerbridge 之外被改动" in whole.text


def test_viewer_and_reviewer_get_403_and_no_link(
    client_as: Callable[[Role], WebClient], admin: WebClient
) -> None:
    for client in (client_as(Role.VIEWER), client_as(Role.REVIEWER)):
        assert client.get("/audit").status_code == 403
        assert client.post_form("/audit/verify").status_code == 403
        assert 'href="/audit"' not in client.get("/nowhere").text
    assert 'href="/audit"' in admin.get("/nowhere").text
