"""A vendor error that echoes credentials (issue 13): every secret and token — client_secret, refresh_token,
the access token, appSecret, permanentCode, corpAccessToken — plain, URL-encoded (either hex case, `+`
or `%20`), JSON-escaped and in query-string form, never reaches the database file, `sync status --json`,
`connector list --json`, /healthz or the webhook digest. The sync runs in its own process over real HTTP,
so the tokens it must scrub are ones it minted itself at run time."""

from __future__ import annotations

import json
import subprocess
import urllib.error
import urllib.request
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import quote, quote_plus

import pytest
import requests

from config.loader import load_config
from connectors.errors import ConnectorError
from store.db import make_engine
from sync.bootstrap import build_connector
from sync.health import HealthServer, assess_health
from sync.notify import ConnectorAlert, Digest, Notifier
from tests.connectors.hostile import Answer, HostileServer, Seen, json_answer
from tests.e2e.daemon_support import _argv, cli_env, write_config

ZOHO_SECRET = "zs/cret+Value-9147"
ZOHO_REFRESH = "1000.rt/9f2c+77aa"
ZOHO_ACCESS = "1000.at/5be1+c0ffee"
FXK_SECRET = "fx/app+secret-3388"
FXK_PERMANENT = "PC/perm+code-2211"
FXK_TOKEN = "CAT/corp+token-8841"
ALL = (ZOHO_SECRET, ZOHO_REFRESH, ZOHO_ACCESS, FXK_SECRET, FXK_PERMANENT, FXK_TOKEN)


def spellings(value: str) -> list[str]:
    """The forms a vendor may echo a value in."""
    encoded = quote(value, safe="")
    return [
        value,
        encoded,
        encoded.lower(),
        quote_plus(value),
        value.replace("/", "\\/"),
        json.dumps(value)[1:-1],
    ]


def echo(*values: str) -> str:
    parts = [
        f"{kind}={form}" for value in values for kind, form in zip("abcdef", spellings(value), strict=False)
    ]
    return "your request: " + "&".join(parts)


def zoho_vendor(seen: Seen) -> Answer:
    if seen.path.startswith("/oauth/v2/token"):
        return json_answer({"access_token": ZOHO_ACCESS, "expires_in": 3600})
    return json_answer(
        {
            "code": "INVALID_DATA",
            "status": "error",
            "message": echo(ZOHO_SECRET, ZOHO_REFRESH, ZOHO_ACCESS),
            "details": {
                "client_secret": ZOHO_SECRET,
                "sent": f"client_secret={quote_plus(ZOHO_SECRET)}&refresh_token={quote_plus(ZOHO_REFRESH)}",
                "header": f"Zoho-oauthtoken {ZOHO_ACCESS}",
                "echo": f"token was {quote(ZOHO_ACCESS, safe='')}",
            },
        },
        status=400,
    )


def fxiaoke_vendor(seen: Seen) -> Answer:
    if "/cgi/corpAccessToken/get/V2" in seen.path:
        return json_answer({"errorCode": 0, "corpAccessToken": FXK_TOKEN, "corpId": "C1", "expiresIn": 7200})
    return json_answer(
        {
            "errorCode": 20014,
            "errorMessage": echo(FXK_SECRET, FXK_PERMANENT, FXK_TOKEN)
            + f' body {{"appSecret":"{FXK_SECRET}","permanentCode":"{FXK_PERMANENT}","corpAccessToken":"{FXK_TOKEN}"}}',
            "traceId": "E-1",
        }
    )


@pytest.fixture
def vendors() -> Iterator[tuple[HostileServer, HostileServer, HostileServer]]:
    with (
        HostileServer(zoho_vendor) as zoho,
        HostileServer(fxiaoke_vendor) as fxiaoke,
        HostileServer(lambda _s: json_answer({"ok": True})) as hook,
    ):
        yield zoho, fxiaoke, hook


def configure(tmp_path: Path, database_url: str, zoho: str, fxiaoke: str, hook: str) -> Path:
    fast = {"requests_per_minute": 600_000, "concurrency": 1}
    return write_config(
        tmp_path / "lb.yaml",
        database_url,
        connectors=[
            {
                "name": "crm",
                "kind": "zoho_crm",
                "streams": ["invoices"],
                "endpoints": {"accounts_url": zoho, "api_url": zoho},
                "limits": fast,
                "credentials": {
                    "client_id": "1000.C",
                    "client_secret": ZOHO_SECRET,
                    "refresh_token": ZOHO_REFRESH,
                },
            },
            {
                "name": "fxk",
                "kind": "fxiaoke",
                "streams": ["sales_orders"],
                "endpoints": {"base_url": fxiaoke},
                "limits": fast,
                "token_requests_per_minute": 600_000,
                "credentials": {
                    "app_id": "FSAID_1",
                    "app_secret": FXK_SECRET,
                    "permanent_code": FXK_PERMANENT,
                    "current_open_user_id": "FSUID_1",
                },
            },
        ],
        notifications={"webhook": {"url": hook + "/digest"}},
    )


def run_cli(config: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """The CLI in a process of its own: it knows only what it reads and mints itself."""
    return subprocess.run(
        _argv(config, args, "debug"), capture_output=True, text=True, env=cli_env(), timeout=120, check=False
    )


def errors_in(document: object) -> Iterator[str]:
    """Every non-empty `error` value anywhere in a JSON document."""
    if isinstance(document, dict):
        for key, value in document.items():
            if key == "error" and isinstance(value, str) and value:
                yield value
            else:
                yield from errors_in(value)
    elif isinstance(document, list):
        for item in document:
            yield from errors_in(item)


def leaks(text: str | bytes) -> list[str]:
    data = text.encode() if isinstance(text, str) else text
    return [form for value in ALL for form in spellings(value) if form.encode() in data]


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)  # the raw file is read
def test_echoed_credentials_reach_no_database_byte_no_status_no_connector_list_no_healthz_no_webhook(
    tmp_path: Path, database_url: str, vendors: tuple[HostileServer, HostileServer, HostileServer]
) -> None:
    zoho, fxiaoke, hook = vendors
    config = configure(tmp_path, database_url, zoho.url, fxiaoke.url, hook.url)

    run = run_cli(config, "sync", "run")
    assert run.returncode == 1, run.stderr
    assert any(ZOHO_ACCESS.encode() in s.raw for s in zoho.seen)  # the minted token was really used
    assert any(FXK_TOKEN.encode() in s.raw for s in fxiaoke.seen)

    status = run_cli(config, "sync", "status", "--json")
    listed = run_cli(config, "connector", "list", "--json")
    errors = list(errors_in(json.loads(status.stdout)))
    assert len(errors) == 2, status.stdout
    assert all("[REDACTED]" in error for error in errors)
    assert "INVALID_DATA" in " ".join(errors)  # the vendor's words are kept, only the values go

    engine = make_engine(database_url)
    settings = load_config(str(config)).settings
    server = HealthServer(
        "127.0.0.1", 0, health=lambda: assess_health(engine, settings, datetime.now(UTC)), metrics=lambda: ""
    )
    server.start()
    try:
        host, port = server.address
        try:
            with urllib.request.urlopen(f"http://{host}:{port}/healthz", timeout=10) as answer:
                healthz = answer.read().decode()
        except urllib.error.HTTPError as degraded:  # 503: degraded, the same document
            healthz = degraded.read().decode()
    finally:
        server.stop()

    # The webhook, as the daemon sends it: an alert carrying the exception text of its own run.
    connector = build_connector(settings, settings.connector("crm"), engine, environ=cli_env())
    try:
        with pytest.raises(ConnectorError) as raised:
            list(connector.streams()["invoices"].pages(None))
    finally:
        connector.close()
    assert ZOHO_SECRET in str(raised.value)  # the raw exception does carry the echo
    sent = Notifier(settings.notifications, session=requests.Session(), sleep=lambda _s: None).send(
        Digest(run="sync crm", alerts=[ConnectorAlert("crm", "credentials", 1, str(raised.value))])
    )
    engine.dispose()
    assert [d.ok for d in sent] == [True]
    (delivered,) = [s for s in hook.seen if s.path == "/digest"]
    assert "[REDACTED]" in delivered.body.decode()

    database = b"".join(p.read_bytes() for p in tmp_path.glob("ledger.db*"))
    assert b"[REDACTED]" in database
    assert leaks(database) == []
    assert leaks(status.stdout) == []
    assert leaks(listed.stdout) == []
    assert "[REDACTED]" in healthz
    assert leaks(healthz) == []
    assert leaks(delivered.body) == []
    assert leaks(run.stdout + run.stderr) == []
