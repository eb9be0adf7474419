"""The connectors' HTTP session reads the proxy environment once per host, NO_PROXY still honoured."""

from __future__ import annotations

import pytest

from connectors.proxies import EnvironmentOnceSession

PROXY = "http://proxy.corp.example:3128"


@pytest.fixture
def proxied(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("http_proxy", "https_proxy", "all_proxy", "no_proxy", "HTTP_PROXY", "ALL_PROXY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HTTPS_PROXY", PROXY)
    monkeypatch.setenv("NO_PROXY", "internal.example,127.0.0.1")


def proxy(session: EnvironmentOnceSession, url: str) -> str | None:
    """The proxy a call to `url` would use (requests also passes NO_PROXY along, under "no")."""
    return session.merge_environment_settings(url, {}, None, None, None)["proxies"].get("https")


@pytest.mark.usefixtures("proxied")
def test_a_vendor_host_goes_through_the_proxy_and_a_no_proxy_host_does_not() -> None:
    session = EnvironmentOnceSession()

    assert proxy(session, "https://www.zohoapis.com.cn/books/v3/invoices") == PROXY
    assert proxy(session, "https://internal.example/api") is None
    assert proxy(session, "https://127.0.0.1:8443/api") is None


@pytest.mark.usefixtures("proxied")
def test_the_environment_is_read_once_per_host_not_on_every_call(monkeypatch: pytest.MonkeyPatch) -> None:
    session = EnvironmentOnceSession()
    proxy(session, "https://www.zohoapis.com.cn/crm/v8/Invoices")
    monkeypatch.setenv("HTTPS_PROXY", "http://elsewhere.example:8080")

    assert proxy(session, "https://www.zohoapis.com.cn/crm/v8/Invoices?page=2") == PROXY
    assert proxy(EnvironmentOnceSession(), "https://www.zohoapis.com.cn/") == "http://elsewhere.example:8080"


@pytest.mark.usefixtures("proxied")
def test_a_proxy_given_to_the_call_or_the_session_wins_and_the_ca_bundle_variable_is_kept(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", "/etc/corp-ca.pem")
    session = EnvironmentOnceSession()
    session.proxies = {"http": "http://session.example:1"}

    merged = session.merge_environment_settings(
        "https://accounts.zoho.com.cn/oauth/v2/token", {"https": "http://call.example:2"}, None, None, None
    )

    assert merged["proxies"]["https"] == "http://call.example:2"
    assert merged["proxies"]["http"] == "http://session.example:1"
    assert merged["verify"] == "/etc/corp-ca.pem"
    assert session.merge_environment_settings("https://x.example/", {}, None, False, None)["verify"] is False
