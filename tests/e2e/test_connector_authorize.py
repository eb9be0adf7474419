"""`ledgerbridge connector authorize NAME` end to end over real HTTP: the consent URL, the loopback
redirect with its `state` checked (a forged one refused), the pasted code, the exchange and the tokens
stored encrypted — for Zoho (the server-based application flow, api-notes zoho.md §1.4; emulated here
by a small Zoho Accounts stand-in, since the Zoho sandbox has no consent page)."""

from __future__ import annotations

import socket
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import urlencode

import pytest
import requests

from connectors.sandbox.server import Request, Response, SandboxServer
from store.audit_log import default_actor, list_audit
from store.db import make_engine
from store.secrets import SecretBox, SqlSecretStore, SqlTokenStore, create_key_file
from tests.e2e.sync_support import Outcome, cli

pytestmark = pytest.mark.slow


class ZohoAccounts:
    """Zoho Accounts' consent page and code grant as api-notes zoho.md §1.4 describes them."""

    def __init__(self) -> None:
        self.asked: dict[str, str] = {}
        self.codes: set[str] = set()

    def __call__(self, request: Request) -> Response:
        if request.path == "/oauth/v2/auth":
            self.asked = {k: v[0] for k, v in request.query.items()}
            self.codes.add("1000.grant")
            query = urlencode({"code": "1000.grant", "state": self.asked["state"], "location": "us"})
            return Response(302, None, {"Location": f"{self.asked['redirect_uri']}?{query}"})
        if request.path == "/oauth/v2/token":
            form = request.form()
            if form.get("client_id") != "cid" or form.get("client_secret") != "csecret":
                return Response(200, {"error": "invalid_client"})
            if form.get("grant_type") != "authorization_code" or form.get("code") not in self.codes:
                return Response(200, {"error": "invalid_code"})
            self.codes.discard(form["code"])
            return Response(
                200,
                {
                    "access_token": "1000.access",
                    "refresh_token": "1000.refresh",
                    "api_domain": "https://www.zohoapis.com",
                    "token_type": "Bearer",
                    "expires_in": 3600,
                },
            )
        return Response(404, {})


@pytest.fixture
def accounts() -> Iterator[tuple[ZohoAccounts, str]]:
    handler = ZohoAccounts()
    with SandboxServer(handler, name="zoho-accounts") as server:
        yield handler, server.url


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _config(tmp_path: Path, accounts_url: str) -> Path:
    config = tmp_path / "lb.yaml"
    config.write_text(
        f"database_url: sqlite:///{tmp_path / 'lb.db'}\n"
        f"secret_key_file: {tmp_path / 'lb.key'}\n"
        "connectors:\n"
        "  - name: books\n"
        "    kind: zoho_books\n"
        "    organization_id: '123'\n"
        f"    endpoints: {{accounts_url: '{accounts_url}'}}\n"
        "    credentials: {client_id: cid, client_secret: csecret, refresh_token: 'secret:books.refresh_token'}\n",
        encoding="utf-8",
    )
    create_key_file(tmp_path / "lb.key")
    return config


def _upgraded_config(capsys: pytest.CaptureFixture[str], tmp_path: Path, accounts_url: str) -> Path:
    config = _config(tmp_path, accounts_url)
    assert cli(capsys, config, "db", "upgrade").code == 0
    return config


def _authorize_in_browser(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    config: Path,
    redirect: str,
    browser: Callable[[str], bool],
) -> Outcome:
    """`connector authorize books` on a desktop (DISPLAY set) whose browser is `browser`."""
    monkeypatch.setenv("DISPLAY", ":0")
    monkeypatch.setattr("webbrowser.open", browser)
    return cli(
        capsys, config, "connector", "authorize", "books", "--redirect-uri", redirect, "--timeout", "20"
    )


def _stored(tmp_path: Path) -> tuple[str | None, dict[str, object]]:
    engine = make_engine(f"sqlite:///{tmp_path / 'lb.db'}")
    box = SecretBox(tmp_path / "lb.key", environ={})
    refresh = SqlSecretStore(engine, box).get("books.refresh_token")
    rows = {}
    with engine.connect() as conn:
        keys = [row[0] for row in conn.exec_driver_sql("select key from tokens")]
    for key in keys:
        token = SqlTokenStore(engine, box).load(key)
        assert token is not None
        rows[key] = {"access": token.access_token, **token.extra}
    raw = (tmp_path / "lb.db").read_bytes()
    assert b"1000.refresh" not in raw  # encrypted at rest
    assert b"1000.access" not in raw
    engine.dispose()
    return refresh, rows


def _audited(tmp_path: Path) -> list[tuple[str, str, dict[str, object]]]:
    """The audit log's `connector.*` entries (actor, action, detail), newest first."""
    engine = make_engine(f"sqlite:///{tmp_path / 'lb.db'}")
    try:
        return [(e.actor, e.action, dict(e.detail)) for e in list_audit(engine, action="connector.")]
    finally:
        engine.dispose()


def test_zoho_is_authorized_through_the_loopback_redirect_and_its_tokens_stored_encrypted(
    tmp_path: Path,
    accounts: tuple[ZohoAccounts, str],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    handler, url = accounts
    config = _upgraded_config(capsys, tmp_path, url)
    redirect = f"http://127.0.0.1:{_free_port()}/callback"
    opened: list[str] = []

    def browser(target: str) -> bool:  # the admin's browser: consent given, redirected to the listener
        opened.append(target)
        answer = requests.get(target, timeout=10)
        assert answer.status_code == 200
        return True

    outcome = _authorize_in_browser(capsys, monkeypatch, config, redirect, browser)
    assert outcome.code == 0, outcome.err
    assert handler.asked["access_type"] == "offline"
    assert handler.asked["prompt"] == "consent"
    assert handler.asked["client_id"] == "cid"
    assert handler.asked["redirect_uri"] == redirect
    assert "ZohoBooks.invoices.READ" in handler.asked["scope"].split(",")
    assert opened[0].startswith(f"{url}/oauth/v2/auth?")
    assert opened[0] in outcome.out
    refresh, rows = _stored(tmp_path)
    assert refresh == "1000.refresh"
    [(key, row)] = rows.items()
    assert key.startswith("zoho:127.0.0.1")
    assert row["access"] == "1000.access"
    assert row["api_domain"] == "https://www.zohoapis.com"
    assert row["refresh_token"] == "1000.refresh"
    assert "set credentials.refresh_token" not in outcome.out  # the config already names that secret
    # audited as the web Authorize flow audits it (via: web there), by the OS user, no token in it
    assert _audited(tmp_path) == [
        (default_actor(), "connector.authorize", {"connector": "books", "via": "cli"})
    ]


def test_a_redirect_with_another_state_is_refused_and_nothing_is_stored(
    tmp_path: Path,
    accounts: tuple[ZohoAccounts, str],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _, url = accounts
    config = _upgraded_config(capsys, tmp_path, url)
    redirect = f"http://127.0.0.1:{_free_port()}/callback"

    def forger(target: str) -> bool:  # someone else's code delivered to our listener
        requests.get(f"{redirect}?{urlencode({'code': '1000.grant', 'state': 'forged'})}", timeout=10)
        return True

    outcome = _authorize_in_browser(capsys, monkeypatch, config, redirect, forger)
    assert outcome.code != 0
    assert "state" in outcome.err
    assert _stored(tmp_path) == (None, {})
    assert _audited(tmp_path) == []  # nothing connected, nothing audited


def test_a_pasted_redirect_url_is_checked_and_exchanged(
    tmp_path: Path,
    accounts: tuple[ZohoAccounts, str],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _, url = accounts
    config = _upgraded_config(capsys, tmp_path, url)
    redirect = "https://example.invalid/zoho/callback"  # not loopback: only --paste can work

    def prompt(_text: str) -> str:
        printed = capsys.readouterr().out
        consent = next(line for line in printed.splitlines() if line.startswith(url))
        location = requests.get(consent, allow_redirects=False, timeout=10).headers["Location"]
        return location

    monkeypatch.setattr("click.prompt", prompt)
    outcome = cli(
        capsys,
        config,
        "connector",
        "authorize",
        "books",
        "--paste",
        "--redirect-uri",
        redirect,
        "--as",
        "ops-li",
    )
    assert outcome.code == 0, outcome.err
    assert [entry[:2] for entry in _audited(tmp_path)] == [("ops-li", "connector.authorize")]
    refresh, rows = _stored(tmp_path)
    assert refresh == "1000.refresh"
    [row] = rows.values()
    assert row["access"] == "1000.access"
