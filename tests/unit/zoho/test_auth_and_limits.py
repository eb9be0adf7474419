"""Zoho data centers, endpoint overrides, token lifetimes, and the default request budgets."""

from __future__ import annotations

from typing import Any

import pytest

from connectors.zoho.auth import DATA_CENTERS, _lifetime_seconds, resolve_endpoints, token_key
from connectors.zoho.client import books_budget, crm_budget
from tests.connectors.zoho.helpers import books_settings, crm_settings


def test_all_eight_data_centers_are_known_and_canada_signs_in_at_zohocloud() -> None:
    assert set(DATA_CENTERS) == {"com", "eu", "in", "com.au", "com.cn", "jp", "ca", "sa"}
    assert DATA_CENTERS["ca"] == ("https://accounts.zohocloud.ca", "https://www.zohoapis.ca")


def test_endpoint_overrides_replace_the_data_center_defaults_and_unknown_keys_are_refused() -> None:
    endpoints = resolve_endpoints(
        "eu", {"accounts_url": "http://127.0.0.1:9/", "api_url": "http://127.0.0.1:9"}
    )
    assert (endpoints.accounts_url, endpoints.api_url) == ("http://127.0.0.1:9", "http://127.0.0.1:9")
    assert resolve_endpoints("eu", {}).accounts_url == "https://accounts.zoho.eu"
    with pytest.raises(ValueError, match="base_url"):
        resolve_endpoints("eu", {"base_url": "x"})


@pytest.mark.parametrize(
    ("body", "seconds"),
    [
        ({"expires_in": 3600}, 3600),
        ({"expires_in_sec": 3600, "expires_in": 3600000}, 3600),  # older answers: milliseconds beside
        ({}, 3600),
        ({"expires_in": 5}, 5),
    ],
)
def test_the_token_lifetime_prefers_expires_in_sec(body: dict[str, Any], seconds: float) -> None:
    assert _lifetime_seconds(body) == seconds


def test_the_token_cache_key_differs_per_data_center_and_never_contains_the_refresh_token() -> None:
    com = token_key("https://accounts.zoho.com", "1000.C", "1000.secret-refresh")
    eu = token_key("https://accounts.zoho.eu", "1000.C", "1000.secret-refresh")
    assert com != eu
    assert "secret-refresh" not in com


@pytest.mark.parametrize(("edition", "concurrency"), [("free", 2), ("standard", 5), ("ultimate", 12)])
def test_crm_concurrency_defaults_to_half_the_editions_cap(edition: str, concurrency: int) -> None:
    assert crm_budget(crm_settings(edition=edition, limits={})).concurrency == concurrency


def test_books_defaults_to_100_requests_a_minute_and_no_minute_ever_exceeds_it() -> None:
    budget = books_budget(books_settings(limits={}))
    kwargs = budget.http_kwargs()

    assert budget.requests_per_minute == 100
    # the worst minute: a full bucket at its start plus a minute of refill
    assert kwargs["burst"] + kwargs["requests_per_second"] * 60 <= 100


def test_configured_limits_override_the_defaults() -> None:
    budget = crm_budget(crm_settings(limits={"requests_per_minute": 30, "concurrency": 3}))

    assert (budget.requests_per_minute, budget.concurrency) == (30, 3)
    assert budget.http_kwargs()["concurrency"] == 3
