"""Helpers for the Zoho connector tests: settings, deps, and canned Zoho answers."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

import responses

from config.settings import ZohoBooksSettings, ZohoCrmSettings
from connectors.base import ConnectorDeps, NormalizeContext, TokenStore
from tests.conftest import FixedClock

ACCOUNTS = "https://accounts.zoho.com"
API = "https://www.zohoapis.com"
TOKEN_URL = f"{ACCOUNTS}/oauth/v2/token"
CREDENTIALS = {"client_id": "1000.CLIENT", "client_secret": "s3cret", "refresh_token": "1000.refresh"}
FAST = {"requests_per_minute": 1_000_000, "concurrency": 4}


def crm_settings(**changes: Any) -> ZohoCrmSettings:
    values: dict[str, Any] = {
        "name": "zoho-crm",
        "kind": "zoho_crm",
        "credentials": CREDENTIALS,
        "limits": FAST,
        **changes,
    }
    return ZohoCrmSettings.model_validate(values)


def books_settings(**changes: Any) -> ZohoBooksSettings:
    values: dict[str, Any] = {
        "name": "zoho-books",
        "kind": "zoho_books",
        "organization_id": "10234695",
        "credentials": CREDENTIALS,
        "limits": FAST,
        **changes,
    }
    return ZohoBooksSettings.model_validate(values)


def make_deps(
    store: TokenStore, clock: FixedClock, *, sleeps: list[float] | None = None, source: str = "zoho-crm"
) -> ConnectorDeps:
    def sleep(seconds: float) -> None:
        if sleeps is not None:
            sleeps.append(seconds)

    return ConnectorDeps(
        token_store=store,
        resolve=lambda value: value,
        context=NormalizeContext(source=source, timezone=ZoneInfo("Asia/Shanghai"), base_currency="CNY"),
        clock=clock,
        sleep=sleep,
    )


def add_token(
    mocked: responses.RequestsMock,
    *,
    url: str = TOKEN_URL,
    api_domain: str = API,
    access_token: str = "1000.access",
    expires_in: int = 3600,
    **extra: Any,
) -> None:
    body = {
        "access_token": access_token,
        "api_domain": api_domain,
        "token_type": "Bearer",
        "expires_in": expires_in,
    }
    mocked.post(url, json={**body, **extra})


def params_of(call: Any) -> dict[str, str]:
    """The query parameters of a recorded call, one value each."""
    return {k: v[0] for k, v in parse_qs(urlsplit(call.request.url).query, keep_blank_values=True).items()}


def form_of(call: Any) -> dict[str, str]:
    body = call.request.body or ""
    text = body.decode() if isinstance(body, bytes) else body
    return {k: v[0] for k, v in parse_qs(text).items()}


def calls_to(mocked: responses.RequestsMock, path: str) -> list[Any]:
    return [c for c in mocked.calls if urlsplit(c.request.url).path == path]


def crm_page(records: list[dict[str, Any]], *, more: bool, token: str | None = None) -> dict[str, Any]:
    return {
        "data": records,
        "info": {"per_page": 200, "count": len(records), "more_records": more, "next_page_token": token},
    }


def record(i: int, **fields: Any) -> dict[str, Any]:
    return {"id": f"57257700{i:011d}", "Modified_Time": "2026-11-20T09:15:27+08:00", **fields}


Matcher = Callable[[Any], tuple[bool, str]]
