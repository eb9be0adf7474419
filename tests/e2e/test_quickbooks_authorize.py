"""`ledgerbridge connector authorize` for QuickBooks end to end over real HTTP against the sandbox's
Intuit OAuth: the consent URL, the loopback redirect with `realmId`, the exchange, the token row
(encrypted, with the rotated refresh token and the hard-expiry opt-in), then `connector test` signing
in from that row alone (no refresh token in the configuration)."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest
import requests

from connectors.sandbox.quickbooks.app import QuickBooksSandbox
from connectors.sandbox.quickbooks.dataset import Sizes, generate
from store.db import make_engine
from store.secrets import SecretBox, SqlTokenStore, create_key_file
from tests.e2e.sync_support import cli

pytestmark = pytest.mark.slow


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_quickbooks_is_authorized_and_the_connector_signs_in_from_the_stored_row(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    box = QuickBooksSandbox(
        generate(Sizes(customers=6, invoices=20, payments=5, credit_memos=2, sales_receipts=2))
    )
    oauth = box.options.oauth
    with box as url:
        config = tmp_path / "lb.yaml"
        config.write_text(
            f"database_url: sqlite:///{tmp_path / 'lb.db'}\n"
            f"secret_key_file: {tmp_path / 'lb.key'}\n"
            "base_currency: CNY\n"
            "connectors:\n"
            "  - name: qbo\n"
            "    kind: quickbooks\n"
            f"    realm_id: '{box.realm_id}'\n"
            f"    endpoints: {{auth_url: '{url}', api_url: '{url}'}}\n"
            f"    credentials: {{client_id: {oauth.client_id}, client_secret: {oauth.client_secret}}}\n",
            encoding="utf-8",
        )
        create_key_file(tmp_path / "lb.key")
        assert cli(capsys, config, "db", "upgrade").code == 0
        opened: list[str] = []

        def browser(target: str) -> bool:
            opened.append(target)
            assert requests.get(target, timeout=10).status_code == 200
            return True

        monkeypatch.setenv("DISPLAY", ":0")
        monkeypatch.setattr("webbrowser.open", browser)
        redirect = f"http://127.0.0.1:{_free_port()}/callback"
        outcome = cli(
            capsys, config, "connector", "authorize", "qbo", "--redirect-uri", redirect, "--timeout", "20"
        )
        assert outcome.code == 0, outcome.err
        assert opened[0].startswith(f"{url}/connect/oauth2?")
        assert "scope=com.intuit.quickbooks.accounting" in opened[0]
        assert box.realm_id in outcome.out
        engine = make_engine(f"sqlite:///{tmp_path / 'lb.db'}")
        token = SqlTokenStore(engine, SecretBox(tmp_path / "lb.key", environ={})).load("quickbooks:qbo")
        engine.dispose()
        assert token is not None
        assert token.extra["realmId"] == box.realm_id
        assert token.extra["refresh_token"].startswith("qb-refresh-")
        assert "refresh_expires_at" in token.extra
        tested = cli(capsys, config, "connector", "test", "qbo")
        assert tested.code == 0, tested.out + tested.err
        assert "stream invoices" in tested.out
