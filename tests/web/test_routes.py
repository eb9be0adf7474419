"""Route registration, the permission table, the navigation each role sees, the language, health."""

from __future__ import annotations

import types
from collections.abc import Callable
from typing import Annotated

import pytest
from fastapi import APIRouter, Depends
from fastapi.responses import PlainTextResponse

from store.users import Role, SqlUserStore
from tests.web.conftest import PASSWORD, WebClient
from web.app import UndeclaredPermission
from web.auth import Principal, require
from web.permissions import ROLE_PERMISSIONS, Permission

PROBES = ("web.routes.session", "web.routes.health", "tests.web.probe_routes")


def test_a_route_that_declares_no_permission_is_refused_when_the_app_is_built(
    build_app: Callable[..., object], monkeypatch: pytest.MonkeyPatch
) -> None:
    module = types.ModuleType("tests.web.undeclared")
    module.router = APIRouter()  # type: ignore[attr-defined]

    @module.router.get("/open")  # type: ignore[attr-defined]
    def open_page() -> PlainTextResponse:
        return PlainTextResponse("anyone")

    monkeypatch.setitem(__import__("sys").modules, "tests.web.undeclared", module)
    with pytest.raises(UndeclaredPermission, match="/open"):
        build_app(route_modules=("tests.web.undeclared",))


def test_a_route_with_one_declared_permission_is_accepted(
    build_app: Callable[..., object], monkeypatch: pytest.MonkeyPatch
) -> None:
    module = types.ModuleType("tests.web.declared")
    module.router = APIRouter()  # type: ignore[attr-defined]

    @module.router.get("/declared")  # type: ignore[attr-defined]
    def page(who: Annotated[Principal, Depends(require(Permission.LEDGER_READ))]) -> PlainTextResponse:
        return PlainTextResponse(who.user.name)

    monkeypatch.setitem(__import__("sys").modules, "tests.web.declared", module)
    build_app(route_modules=("tests.web.declared",))


def test_the_roles_nest_viewer_reviewer_admin() -> None:
    viewer, reviewer, admin = (ROLE_PERMISSIONS[r] for r in (Role.VIEWER, Role.REVIEWER, Role.ADMIN))
    assert viewer < reviewer < admin
    assert reviewer - viewer == {Permission.EXCEPTIONS_ACT}
    assert admin == frozenset(Permission)
    assert Permission.SECRETS_SET not in reviewer
    assert Permission.CONNECTORS_RUN not in reviewer


@pytest.mark.parametrize(
    ("role", "read", "act", "manage"),
    [(Role.VIEWER, 200, 403, 403), (Role.REVIEWER, 200, 200, 403), (Role.ADMIN, 200, 200, 200)],
)
def test_every_role_gets_exactly_its_permissions(  # noqa: PLR0917 - fixtures and parameters
    build_app: Callable[..., object],
    user_store: SqlUserStore,
    web_users: dict[Role, object],
    role: Role,
    read: int,
    act: int,
    manage: int,
) -> None:
    client = WebClient(build_app(route_modules=PROBES), user_store)  # type: ignore[arg-type]
    client.login(web_users[role].name, PASSWORD)  # type: ignore[attr-defined]
    assert client.get("/probe/read").status_code == read
    assert client.post_form("/probe/act").status_code == act
    assert client.post_form("/probe/admin").status_code == manage
    anon = WebClient(build_app(route_modules=PROBES), user_store)  # type: ignore[arg-type]
    assert anon.get("/probe/read").status_code == 303


def test_the_start_page_is_today(viewer: WebClient) -> None:
    answer = viewer.get("/")
    assert answer.status_code == 303
    assert answer.headers["location"] == "/today"


@pytest.mark.parametrize(
    ("role", "links"),
    [
        (Role.VIEWER, ["/today", "/queue", "/reports", "/aliases"]),
        (Role.REVIEWER, ["/today", "/queue", "/reports", "/aliases"]),
        (Role.ADMIN, ["/today", "/queue", "/connectors", "/reports", "/aliases", "/audit"]),
    ],
)
def test_the_navigation_links_only_to_what_the_role_may_open(
    make_client: Callable[..., WebClient], role: Role, links: list[str]
) -> None:
    page = make_client(role).get("/no-such-page").text  # any page renders the frame
    nav = page[page.index('<nav class="nav"') : page.index("</nav>")]
    assert [part.split('"')[0] for part in nav.split('href="')[1:]] == links
    assert 'action="/documents"' in page  # the document search box


def test_the_page_speaks_the_browsers_language_until_the_user_chooses_one(reviewer: WebClient) -> None:
    zh = {"Accept-Language": "zh-CN,zh;q=0.9,en;q=0.8"}
    assert "今日" in reviewer.get("/no-such-page", headers=zh).text
    assert '<html lang="zh-CN">' in reviewer.get("/no-such-page", headers=zh).text
    assert "Today" in reviewer.get("/no-such-page", headers={"Accept-Language": "en-GB"}).text
    assert reviewer.post_form("/account/lang", {"lang": "en"}).status_code == 303
    assert "Today" in reviewer.get("/no-such-page", headers=zh).text  # the user's setting wins


def test_the_login_page_switches_language_and_keeps_it(anon: WebClient) -> None:
    assert "用户名" in anon.get("/login?lang=zh").text
    assert "用户名" in anon.get("/login").text
    assert "User name" in anon.get("/login?lang=en").text


def test_health_says_the_database_is_reachable_without_a_login(anon: WebClient) -> None:
    answer = anon.get("/web/health")
    assert answer.status_code == 200
    assert answer.json() == {"status": "ok", "database": "ok"}


def test_health_says_so_when_the_database_cannot_be_read(web_settings: object, tmp_path: object) -> None:
    from starlette.testclient import TestClient

    from store.db import make_engine
    from web.app import create_app

    gone = make_engine(f"sqlite:///{tmp_path}/no/such/dir/ledger.db")
    try:
        with TestClient(create_app(web_settings, gone)) as client:  # type: ignore[arg-type]
            answer = client.get("/web/health")
    finally:
        gone.dispose()
    assert answer.status_code == 503
    assert answer.json() == {"status": "unavailable", "database": "unreachable"}
