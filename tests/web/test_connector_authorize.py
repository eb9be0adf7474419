"""The Connectors page connects a vendor account (issue 19, ADR 0033): an admin's Authorize link goes to
the vendor's consent page with a state bound to the session; the callback — here the QuickBooks
sandbox's real consent redirect and token endpoint over HTTP — stores the tokens encrypted through the
code `connector authorize` uses, audits it and says so (en, zh). A wrong, foreign or late state, or a
vendor's refusal, is refused before any code is exchanged; a viewer gets 403 and no link."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from fastapi import FastAPI
from sqlalchemy import Engine, text

from config.settings import Settings
from connectors.sandbox.quickbooks.app import QuickBooksSandbox
from connectors.sandbox.quickbooks.dataset import Sizes, generate
from store.secrets import SecretBox, SqlTokenStore
from store.users import Role
from tests.conftest import FixedClock
from tests.web.conftest import FAST_HASHING, WebClient
from web.app import create_app
from web.routes.connector_authorize import STATE_LIFETIME


@pytest.fixture
def box() -> Iterator[QuickBooksSandbox]:
    sandbox = QuickBooksSandbox(
        generate(Sizes(customers=6, invoices=20, payments=5, credit_memos=2, sales_receipts=2))
    )
    with sandbox:
        yield sandbox


@pytest.fixture
def app(web_settings: Settings, web_engine: Engine, web_clock: FixedClock, box: QuickBooksSandbox) -> FastAPI:
    oauth = box.options.oauth
    document = web_settings.model_dump(mode="json", exclude_unset=True)
    document["connectors"] = [
        {
            "name": "qbo",
            "kind": "quickbooks",
            "realm_id": box.realm_id,
            "streams": ["invoices"],
            "credentials": {"client_id": oauth.client_id, "client_secret": oauth.client_secret},
            "endpoints": {"auth_url": box.url, "api_url": box.url},
        },
        {"name": "shop", "kind": "jsonl", "path": "/nonexistent/{stream}.jsonl", "streams": ["invoices"]},
    ]
    pages = ("web.routes.session", "web.routes.connectors", "web.routes.connector_authorize")
    settings = Settings.model_validate(document)
    return create_app(settings, web_engine, clock=web_clock, hashing=FAST_HASHING, route_modules=pages)


def _token(engine: Engine, web_settings: Settings) -> Any:
    assert web_settings.secret_key_file is not None
    box = SecretBox(Path(web_settings.secret_key_file), environ={})
    return SqlTokenStore(engine, box).load("quickbooks:qbo")


def _consent(admin: WebClient) -> str:
    """Click Authorize, let the sandbox's consent page answer: the callback path and query it sends."""
    started = admin.get("/connectors/qbo/authorize")
    assert started.status_code == 303
    answered = requests.get(started.headers["location"], allow_redirects=False, timeout=10)
    assert answered.status_code == 302
    target = urlsplit(answered.headers["Location"])
    assert f"{target.scheme}://{target.netloc}" == "http://testserver"
    return f"{target.path}?{target.query}"


def test_an_admin_authorizes_quickbooks_and_the_tokens_are_stored_encrypted_with_the_realm(
    client_as: Callable[[Role], WebClient],
    box: QuickBooksSandbox,
    web_engine: Engine,
    web_settings: Settings,
) -> None:
    admin = client_as(Role.ADMIN)
    page = admin.get("/connectors").text
    assert 'href="/connectors/qbo/authorize"' in page
    assert "/connectors/shop/authorize" not in page, "a jsonl connector has nothing to authorize"

    started = admin.get("/connectors/qbo/authorize")
    assert started.status_code == 303
    consent = urlsplit(started.headers["location"])
    assert f"{consent.scheme}://{consent.netloc}{consent.path}" == f"{box.url}/connect/oauth2"
    query = parse_qs(consent.query)
    assert query["redirect_uri"] == ["http://testserver/connectors/authorize/callback"]
    assert query["scope"] == ["com.intuit.quickbooks.accounting"]
    assert query["state"][0].startswith("qbo.")

    answered = requests.get(started.headers["location"], allow_redirects=False, timeout=10)
    back = urlsplit(answered.headers["Location"])
    done = admin.get(f"{back.path}?{back.query}")
    assert done.status_code == 303
    assert done.headers["location"].startswith("/connectors?authorize=done&connector=qbo")

    token = _token(web_engine, web_settings)
    assert token is not None
    assert token.extra["realmId"] == box.realm_id
    assert token.extra["refresh_token"].startswith("qb-refresh-")
    assert token.extra["connector"] == "qbo"
    assert "refresh_expires_at" in token.extra

    shown = admin.get(done.headers["location"]).text
    assert "Connector qbo is connected: its tokens are stored encrypted." in shown
    assert f"QuickBooks company (realm_id): {box.realm_id}." in shown
    admin.cookies.set("lb_lang", "zh", domain="testserver.local")
    assert "连接器 qbo 已连接：其令牌已加密保存。" in admin.get(done.headers["location"]).text

    with web_engine.connect() as conn:
        rows = conn.execute(
            text("SELECT actor, detail FROM audit_log WHERE action = 'connector.authorize'")
        ).all()
    assert [(actor, json.loads(detail)["connector"]) for actor, detail in rows] == [("ada", "qbo")]


def test_a_wrong_a_foreign_or_a_late_state_is_refused_and_nothing_is_stored(
    client_as: Callable[[Role], WebClient],
    web_engine: Engine,
    web_settings: Settings,
    web_clock: FixedClock,
) -> None:
    admin = client_as(Role.ADMIN)
    callback = _consent(admin)
    path, query = callback.split("?", 1)
    values = {k: v[0] for k, v in parse_qs(query).items()}

    forged = {**values, "state": values["state"][:-1] + ("0" if values["state"][-1] != "0" else "1")}
    refused = admin.get(path, params=forged)
    assert refused.headers["location"].startswith("/connectors?authorize=state")
    assert "the authorization answer was refused" in admin.get(refused.headers["location"]).text.lower()

    other_admin = client_as(Role.ADMIN)  # another session: the state is not its own
    assert other_admin.get(callback).headers["location"].startswith("/connectors?authorize=state")

    web_clock.now += STATE_LIFETIME + timedelta(seconds=1)
    assert admin.get(callback).headers["location"].startswith("/connectors?authorize=state")
    assert _token(web_engine, web_settings) is None


def test_the_vendors_refusal_is_said_and_a_viewer_may_not_start(
    client_as: Callable[[Role], WebClient], web_engine: Engine, web_settings: Settings
) -> None:
    admin = client_as(Role.ADMIN)
    started = admin.get("/connectors/qbo/authorize")
    state = parse_qs(urlsplit(started.headers["location"]).query)["state"][0]
    denied = admin.get("/connectors/authorize/callback", params={"error": "access_denied", "state": state})
    assert denied.headers["location"].startswith("/connectors?authorize=refused&connector=qbo")
    assert "Connector qbo was not connected: the vendor refused" in admin.get(denied.headers["location"]).text
    assert _token(web_engine, web_settings) is None

    viewer = client_as(Role.VIEWER)
    assert viewer.get("/connectors/qbo/authorize").status_code == 403
    assert (
        viewer.get("/connectors/authorize/callback", params={"state": state, "code": "x"}).status_code == 403
    )
