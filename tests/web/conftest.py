"""The web app's test harness: a migrated database (SQLite, and PostgreSQL when
LEDGERBRIDGE_TEST_POSTGRES_URL is set), users of each role, a logged-in client per role with CSRF
helpers, and a reconciled ledger with open exceptions to show.

Fixtures:
- `web_settings` — Settings on `database_url` (both backends) with a key file under tmp_path and the
  rule `crm-vs-books` (zoho-crm vs zoho-books invoices, period 2026-10, owner 李娜).
- `web_engine` — the engine the way the app gets it (sync.bootstrap.open_engine: sealed audit chain).
- `web_clock` — a FixedClock (2026-11-27 08:00 UTC) the app and the user store read: `advance(minutes=31)`.
- `web_users` — {Role: TestUser(name, password)}: `vera` viewer, `rui` reviewer, `ada` admin.
- `make_client(role=None, **kw)` — a WebClient (starlette TestClient, redirects not followed), logged in
  as that role's user when a role is given; `kw` goes to TestClient (e.g. client=("10.0.0.9", 1)).
- `anon`, `viewer`, `reviewer`, `admin` — one client each.
- `reconciled` — the ledger of the rule above stored and reconciled once: three open exceptions
  (amount_mismatch INV-0002, missing_in_right INV-0003, missing_in_left INV-0004); returns the runs.
- `build_app(**create_app_kwargs)` — the app over these fixtures (to pass route_modules, say).
- `client_as(role)` — a logged-in client of the module's own `app` fixture (a module defines `app`).

WebClient helpers: `login(name, password)`, `plant_cookie(name, value)`, `csrf` (the session's token), `post_form(url, data)` (adds
the csrf_token field), `htmx_post(url, data)` (the X-CSRF-Token and HX-Request headers, as htmx sends).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from argon2 import PasswordHasher
from fastapi import FastAPI
from sqlalchemy import Engine
from starlette.testclient import TestClient

from config.settings import Settings
from store.secrets import create_key_file
from store.users import PasswordHashing, Role, SqlUserStore
from sync.bootstrap import open_engine
from sync.reconcile_job import run_rules
from tests.conftest import FixedClock
from tests.e2e.report_support import store_documents
from tests.unit.reconcile.helpers import invoice
from web.app import create_app
from web.auth import SESSION_COOKIE
from web.state import TOUCH_AFTER

PASSWORD = "correct horse battery"
RULE = {
    "name": "crm-vs-books",
    "left": {"source": "zoho-crm", "kind": "invoice"},
    "right": {"source": "zoho-books", "kind": "invoice"},
    "keys": ["number"],
    "tolerance": {"amount": "0.01"},
    "owner": "李娜",
    "period": "2026-10",
    "audit": [],
}
FAST_HASHING = PasswordHashing(PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))
"""argon2id still ($argon2id$), at parameters that keep the tests fast; the app's default is argon2-cffi's."""


@dataclass(frozen=True)
class TestUser:
    name: str
    role: Role
    password: str = PASSWORD


USERS = {
    Role.VIEWER: TestUser("vera", Role.VIEWER),
    Role.REVIEWER: TestUser("rui", Role.REVIEWER),
    Role.ADMIN: TestUser("ada", Role.ADMIN),
}


class WebClient(TestClient):
    """A browser: keeps cookies, does not follow redirects (tests assert them)."""

    __test__ = False

    def __init__(self, app: FastAPI, users: SqlUserStore, **kwargs: Any) -> None:
        kwargs.setdefault("follow_redirects", False)
        super().__init__(app, **kwargs)
        self._users = users

    def login(self, name: str, password: str, *, next: str = "/") -> Any:
        page = self.get("/login")
        token = page.cookies.get("lb_login") or self.cookies.get("lb_login")
        return self.post(
            "/login", data={"username": name, "password": password, "csrf_token": token, "next": next}
        )

    def plant_cookie(self, name: str, value: str, *, path: str = "/") -> None:
        """A cookie as if the server (or an attacker on a sibling site) had set it."""
        self.cookies.set(name, value, domain="testserver.local", path=path)

    @property
    def session_token(self) -> str | None:
        return self.cookies.get(SESSION_COOKIE)

    @property
    def csrf(self) -> str:
        token = self.session_token
        assert token, "not logged in"
        found = self._users.session(token, idle=_LONG, lifetime=_LONG, touch_after=_LONG)
        assert found is not None, "the session is over"
        return found.csrf_token

    def post_form(self, url: str, data: dict[str, str] | None = None, **kwargs: Any) -> Any:
        return self.post(url, data={**(data or {}), "csrf_token": self.csrf}, **kwargs)

    def htmx_post(self, url: str, data: dict[str, str] | None = None, **kwargs: Any) -> Any:
        headers = {"X-CSRF-Token": self.csrf, "HX-Request": "true", **kwargs.pop("headers", {})}
        return self.post(url, data=data or {}, headers=headers, **kwargs)


_LONG = TOUCH_AFTER * 10_000


@pytest.fixture
def web_settings(database_url: str, tmp_path: Path) -> Settings:
    return Settings.model_validate(
        {
            "database_url": database_url,
            "base_currency": "CNY",
            "timezone": "Asia/Shanghai",
            "secret_key_file": str(tmp_path / "ledgerbridge.key"),
            "reconcile": {"rules": [RULE], "audit": []},
        }
    )


@pytest.fixture
def web_engine(web_settings: Settings) -> Iterator[Engine]:
    assert web_settings.secret_key_file is not None
    create_key_file(Path(web_settings.secret_key_file))
    engine = open_engine(web_settings)
    try:
        yield engine
    finally:
        engine.dispose()


@pytest.fixture
def web_clock() -> FixedClock:
    return FixedClock(datetime(2026, 11, 27, 8, 0, tzinfo=UTC))


@pytest.fixture
def user_store(web_engine: Engine, web_clock: FixedClock) -> SqlUserStore:
    return SqlUserStore(web_engine, clock=web_clock, hashing=FAST_HASHING)


@pytest.fixture
def web_users(user_store: SqlUserStore) -> dict[Role, TestUser]:
    for user in USERS.values():
        user_store.add(user.name, user.role, user.password, actor="test-setup")
    return USERS


@pytest.fixture
def build_app(web_settings: Settings, web_engine: Engine, web_clock: FixedClock) -> Callable[..., FastAPI]:
    def build(**kwargs: Any) -> FastAPI:
        return create_app(web_settings, web_engine, clock=web_clock, hashing=FAST_HASHING, **kwargs)

    return build


@pytest.fixture
def make_client(
    build_app: Callable[..., FastAPI], user_store: SqlUserStore, web_users: dict[Role, TestUser]
) -> Iterator[Callable[..., WebClient]]:
    app = build_app()
    made: list[WebClient] = []

    def make(role: Role | None = None, **kwargs: Any) -> WebClient:
        client = WebClient(app, user_store, **kwargs)
        made.append(client)
        if role is not None:
            user = web_users[role]
            answer = client.login(user.name, user.password)
            assert answer.status_code == 303, answer.text
        return client

    yield make
    for client in made:
        client.close()


@contextmanager
def clients_of(app: FastAPI, users: SqlUserStore) -> Iterator[Callable[[Role], WebClient]]:
    """Clients of `app`, each logged in as a role's test user (USERS), all closed on leaving: the
    `client_as` fixture of a test module that builds its app with its own route modules."""
    made: list[WebClient] = []

    def make(role: Role) -> WebClient:
        client = WebClient(app, users)
        made.append(client)
        assert client.login(USERS[role].name, USERS[role].password).status_code == 303
        return client

    try:
        yield make
    finally:
        for client in made:
            client.close()


@pytest.fixture
def client_as(
    app: FastAPI, user_store: SqlUserStore, web_users: dict[Role, TestUser]
) -> Iterator[Callable[[Role], WebClient]]:
    """Clients of the test module's own `app` fixture (its route modules), one per role, logged in."""
    with clients_of(app, user_store) as make:
        yield make


@pytest.fixture
def anon(make_client: Callable[..., WebClient]) -> WebClient:
    return make_client()


@pytest.fixture
def viewer(make_client: Callable[..., WebClient]) -> WebClient:
    return make_client(Role.VIEWER)


@pytest.fixture
def reviewer(make_client: Callable[..., WebClient]) -> WebClient:
    return make_client(Role.REVIEWER)


@pytest.fixture
def admin(make_client: Callable[..., WebClient]) -> WebClient:
    return make_client(Role.ADMIN)


def reconcile_hostile_party(engine: Engine, settings: Settings, clock: FixedClock, party: str) -> None:
    """One invoice in the CRM and in Books under a hostile party name, 10.00 against 12.00, reconciled:
    the finding a page must show the name of as text."""
    store_documents(
        engine,
        [
            invoice("zoho-crm", "c1", "INV-0101", "10.00", party=party),
            invoice("zoho-books", "b1", "INV-0101", "12.00", party=party),
        ],
    )
    run_rules(engine, settings, clock=clock)


@pytest.fixture
def reconciled(web_settings: Settings, web_engine: Engine, web_clock: FixedClock) -> list[Any]:
    store_documents(
        web_engine,
        [
            invoice("zoho-crm", "4150868000000624001", "INV-0002", "250.00"),
            invoice("zoho-books", "982000000567", "INV-0002", "205.00"),
            invoice("zoho-crm", "4150868000000624003", "INV-0003", "40.00"),
            invoice("zoho-books", "982000000574", "INV-0004", "7.00"),
        ],
    )
    return run_rules(web_engine, web_settings, clock=web_clock)
