"""A refused Zoho token is first an old token (expired, revoked, superseded): refresh once, retry.
Only a token minted after the refusal and refused too is a scope or permission problem (issue 14 §1)."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
import responses

from connectors.base import Connector, Token
from connectors.errors import AuthError, TokenExpiredError
from connectors.sandbox.zoho import ZohoSandbox, ZohoSandboxOptions
from connectors.zoho.auth import token_key
from connectors.zoho.books import build_books
from connectors.zoho.crm import build_crm
from store.canonical import DocumentKind
from tests.conftest import FakeTokenStore, FixedClock
from tests.connectors.zoho.helpers import (
    API,
    add_token,
    books_settings,
    calls_to,
    crm_settings,
    make_deps,
)
from tests.connectors.zoho.sample import SampleSizes, sample_dataset

BOOKS = f"{API}/books/v3"
NOT_AUTHORIZED = {"code": 57, "message": "You are not authorized to perform this operation"}
SANDBOX_CREDENTIALS = {
    "client_id": "1000.SANDBOXCLIENT",
    "client_secret": "sandbox-secret",
    "refresh_token": "1000.sandbox-refresh-token",
}
BOOKS_STREAMS = {
    "invoices": DocumentKind.INVOICE,
    "customer_payments": DocumentKind.PAYMENT,
    "sales_orders": DocumentKind.SALES_ORDER,
    "credit_notes": DocumentKind.CREDIT_NOTE,
}


def empty_invoices() -> dict[str, object]:
    context = {"page": 1, "per_page": 200, "has_more_page": False}
    return {"code": 0, "message": "success", "invoices": [], "page_context": context}


def read_all(connector: Connector, stream: str) -> int:
    return sum(len(page.records) for page in connector.streams()[stream].pages(None))


def test_a_books_401_code_57_is_an_old_token_refreshed_once_and_the_call_retried(
    mocked: responses.RequestsMock, token_store: FakeTokenStore, clock: FixedClock
) -> None:
    add_token(mocked, access_token="1000.revoked")
    add_token(mocked, access_token="1000.fresh")
    mocked.get(f"{BOOKS}/invoices", json=NOT_AUTHORIZED, status=401)
    mocked.get(f"{BOOKS}/invoices", json=empty_invoices())
    connector = build_books(books_settings(), make_deps(token_store, clock, source="zoho-books"))

    assert read_all(connector, "invoices") == 0
    assert [c.request.headers["Authorization"] for c in calls_to(mocked, "/books/v3/invoices")] == [
        "Zoho-oauthtoken 1000.revoked",
        "Zoho-oauthtoken 1000.fresh",
    ]


def test_a_books_401_on_a_token_minted_after_the_refusal_names_the_missing_scope_after_one_refresh(
    mocked: responses.RequestsMock, token_store: FakeTokenStore, clock: FixedClock
) -> None:
    add_token(mocked, access_token="1000.first")
    add_token(mocked, access_token="1000.second")
    mocked.get(f"{BOOKS}/invoices", json=NOT_AUTHORIZED, status=401)
    connector = build_books(books_settings(), make_deps(token_store, clock, source="zoho-books"))

    with pytest.raises(AuthError, match="lacks a scope; grant ZohoBooks") as caught:
        read_all(connector, "invoices")

    assert not isinstance(caught.value, TokenExpiredError)  # final: an admin must act, no more refreshes
    assert caught.value.vendor_code == "57"
    assert len(calls_to(mocked, "/oauth/v2/token")) == 2  # the first token and exactly one refresh
    assert len(calls_to(mocked, "/books/v3/invoices")) == 2


def test_a_refused_token_another_process_minted_before_the_refusal_is_not_taken_for_a_scope_error(
    mocked: responses.RequestsMock, token_store: FakeTokenStore, clock: FixedClock
) -> None:
    """While this call is refused, another process saves a token minted a minute earlier; it was
    revoked with the rest. Only a 401 on a token minted after the refusal means a missing scope."""
    add_token(mocked, access_token="1000.first")
    add_token(mocked, access_token="1000.fresh")
    key = token_key("https://accounts.zoho.com", "1000.CLIENT", "1000.refresh")
    earlier = clock() - timedelta(minutes=1)
    older = Token("1000.older", clock() + timedelta(hours=1), {"minted_at": earlier.isoformat()})

    def refused_meanwhile(request: object) -> tuple[int, dict[str, str], str]:
        token_store.tokens[key] = older
        return 401, {}, json.dumps(NOT_AUTHORIZED)

    mocked.add_callback(responses.GET, f"{BOOKS}/invoices", callback=refused_meanwhile)
    mocked.get(f"{BOOKS}/invoices", json=NOT_AUTHORIZED, status=401)
    mocked.get(f"{BOOKS}/invoices", json=empty_invoices())
    connector = build_books(books_settings(), make_deps(token_store, clock, source="zoho-books"))

    assert read_all(connector, "invoices") == 0
    assert [c.request.headers["Authorization"] for c in calls_to(mocked, "/books/v3/invoices")] == [
        "Zoho-oauthtoken 1000.first",
        "Zoho-oauthtoken 1000.older",
        "Zoho-oauthtoken 1000.fresh",
    ]


def test_a_crm_authentication_failure_refreshes_once_before_it_is_believed(
    mocked: responses.RequestsMock, token_store: FakeTokenStore, clock: FixedClock
) -> None:
    add_token(mocked, access_token="1000.first")
    add_token(mocked, access_token="1000.second")
    failure = {"code": "AUTHENTICATION_FAILURE", "details": {}, "message": "failed", "status": "error"}
    mocked.get(f"{API}/crm/v8/Accounts", json=failure, status=401)
    connector = build_crm(crm_settings(streams=["accounts"]), make_deps(token_store, clock))

    with pytest.raises(AuthError, match="freshly minted token"):
        connector.streams()["accounts"].first_page()

    assert len(calls_to(mocked, "/oauth/v2/token")) == 2
    assert len(calls_to(mocked, "/crm/v8/Accounts")) == 2


def test_tokens_revoked_mid_stream_by_the_sandbox_cost_one_refresh_each_and_every_record_is_read(
    token_store: FakeTokenStore, clock: FixedClock
) -> None:
    dataset = sample_dataset(SampleSizes(books_invoices=450, books_payments=30))
    sandbox = ZohoSandbox(
        dataset, options=ZohoSandboxOptions(revoke_after_uses=4, max_refreshes=None)
    ).start()
    try:
        settings = books_settings(credentials=SANDBOX_CREDENTIALS, endpoints={"accounts_url": sandbox.url})
        connector = build_books(settings, make_deps(token_store, clock, source="zoho-books"))
        try:
            read = {stream: read_all(connector, stream) for stream in BOOKS_STREAMS}
        finally:
            connector.close()
    finally:
        sandbox.stop()

    assert read == {stream: len(dataset.live("books", kind)) for stream, kind in BOOKS_STREAMS.items()}
    assert sandbox.revoked_count >= 3
    assert sandbox.refresh_count == sandbox.revoked_count + 1


def test_a_sandbox_token_lacking_the_books_scope_fails_with_the_hint_after_exactly_one_refresh(
    token_store: FakeTokenStore, clock: FixedClock
) -> None:
    options = ZohoSandboxOptions(scopes=frozenset({"ZohoCRM.modules.READ"}))
    sandbox = ZohoSandbox(sample_dataset(SampleSizes()), options=options).start()
    try:
        settings = books_settings(
            credentials=SANDBOX_CREDENTIALS, endpoints={"accounts_url": sandbox.url}, streams=["invoices"]
        )
        connector = build_books(settings, make_deps(token_store, clock, source="zoho-books"))
        try:
            with pytest.raises(AuthError, match="lacks a scope; grant ZohoBooks"):
                read_all(connector, "invoices")
        finally:
            connector.close()
    finally:
        sandbox.stop()

    assert sandbox.refresh_count == 2
