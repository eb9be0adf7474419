"""`connector test` for Zoho against the sandbox: what works, and what to fix when it does not."""

from __future__ import annotations

from connectors.base import CheckResult, Connector
from connectors.sandbox.zoho import ZohoSandbox, ZohoSandboxOptions
from connectors.zoho.books import build_books
from connectors.zoho.crm import build_crm
from tests.check_lines import said
from tests.conftest import FakeTokenStore, FixedClock
from tests.connectors.zoho.helpers import books_settings, crm_settings, make_deps
from tests.connectors.zoho.sample import SampleSizes, sample_dataset

SANDBOX_CREDENTIALS = {
    "client_id": "1000.SANDBOXCLIENT",
    "client_secret": "sandbox-secret",
    "refresh_token": "1000.sandbox-refresh-token",
}


def check(connector: Connector) -> list[CheckResult]:
    try:
        return said(connector.check())
    finally:
        connector.close()


def start(options: ZohoSandboxOptions | None = None) -> ZohoSandbox:
    return ZohoSandbox(sample_dataset(SampleSizes()), options=options).start()


def test_a_working_crm_connection_reports_sign_in_and_every_stream(
    token_store: FakeTokenStore, clock: FixedClock
) -> None:
    sandbox = start()
    try:
        settings = crm_settings(credentials=SANDBOX_CREDENTIALS, endpoints={"accounts_url": sandbox.url})
        results = check(build_crm(settings, make_deps(token_store, clock)))
    finally:
        sandbox.stop()

    assert [(r.what, r.ok) for r in results] == [
        (f"sign in at {sandbox.url}", True),
        ("stream sales_orders", True),
        ("stream invoices", True),
        ("stream accounts", True),
        ("stream products", True),
    ]
    assert "read 30 record(s)" in results[1].detail


def test_a_missing_scope_is_reported_per_stream_with_the_scope_to_grant(
    token_store: FakeTokenStore, clock: FixedClock
) -> None:
    sandbox = start(ZohoSandboxOptions(scopes=frozenset({"ZohoCRM.modules.invoices.READ"})))
    try:
        settings = crm_settings(
            credentials=SANDBOX_CREDENTIALS,
            endpoints={"accounts_url": sandbox.url},
            streams=["invoices", "accounts"],
        )
        results = check(build_crm(settings, make_deps(token_store, clock)))
    finally:
        sandbox.stop()

    by_what = {r.what: r for r in results}
    assert by_what["stream invoices"].ok
    assert not by_what["stream accounts"].ok
    assert "OAUTH_SCOPE_MISMATCH" in by_what["stream accounts"].detail
    assert "ZohoCRM.modules.READ" in by_what["stream accounts"].detail


def test_a_client_from_another_data_center_fails_sign_in_and_skips_the_streams(
    token_store: FakeTokenStore, clock: FixedClock
) -> None:
    sandbox = start()
    try:
        credentials = {**SANDBOX_CREDENTIALS, "client_id": "1000.OTHERDC"}
        settings = crm_settings(
            credentials=credentials, endpoints={"accounts_url": sandbox.url}, streams=["invoices"]
        )
        results = check(build_crm(settings, make_deps(token_store, clock)))
    finally:
        sandbox.stop()

    sign_in, stream = results
    assert not sign_in.ok
    assert "invalid_client" in sign_in.detail
    assert "data_center" in sign_in.detail
    assert (stream.ok, stream.detail) == (False, "skipped: cannot sign in")


def test_an_api_domain_of_another_data_center_is_reported_as_a_refused_token_with_a_hint(
    token_store: FakeTokenStore, clock: FixedClock
) -> None:
    accounts, other_dc = start(), start()
    try:
        settings = crm_settings(
            credentials=SANDBOX_CREDENTIALS,
            endpoints={"accounts_url": accounts.url, "api_url": other_dc.url},
            streams=["invoices"],
        )
        results = check(build_crm(settings, make_deps(token_store, clock)))
    finally:
        accounts.stop()
        other_dc.stop()

    assert results[0].ok
    assert not results[1].ok
    assert "INVALID_TOKEN" in results[1].detail
    assert "data_center" in results[1].detail


def test_books_check_finds_the_organization_or_lists_the_ones_the_token_sees(
    token_store: FakeTokenStore, clock: FixedClock
) -> None:
    sandbox = start(ZohoSandboxOptions(extra_organizations=(("20000001", "Other Org"),)))
    try:
        good = books_settings(credentials=SANDBOX_CREDENTIALS, endpoints={"accounts_url": sandbox.url})
        bad = books_settings(
            credentials=SANDBOX_CREDENTIALS,
            endpoints={"accounts_url": sandbox.url},
            organization_id="99999",
            streams=["invoices"],
        )
        deps = make_deps(token_store, clock, source="zoho-books")
        good_results = check(build_books(good, deps))
        bad_results = check(build_books(bad, deps))
    finally:
        sandbox.stop()

    assert all(r.ok for r in good_results), good_results
    assert good_results[1].detail == "found: Sandbox Trading Co."
    organization, stream = bad_results[1:]
    assert not organization.ok
    assert "10234695 (Sandbox Trading Co.)" in organization.detail
    assert "20000001 (Other Org)" in organization.detail
    assert not stream.ok
    assert "organization_id" in stream.detail
