"""A rotating refresh token survives a real SIGKILL between the vendor's refresh answer and its save
(ADR 0033): the database keeps the previous refresh token, the next run refreshes with it within the
vendor's grace for superseded tokens (emulated by the QuickBooks sandbox) and saves the new chain. Past
the grace the connection cannot be recovered without the admin: the error says `connector authorize`."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from connectors.base import Token
from connectors.errors import AuthError
from connectors.oauth2 import RotatingTokenAuth
from connectors.sandbox.quickbooks.oauth import IntuitOAuth, OAuthOptions
from connectors.sandbox.server import Response, SandboxServer
from store.db import make_engine, upgrade
from store.secrets import SecretBox, SqlTokenStore, StoredToken, create_key_file
from tests.e2e.token_rotation_child import KEY, auth

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def intuit() -> Iterator[tuple[IntuitOAuth, str]]:
    oauth = IntuitOAuth(OAuthOptions(grace_seconds=600))
    with SandboxServer(lambda r: oauth.handle(r) or Response(404, {}), name="intuit") as server:
        yield oauth, f"{server.url}/oauth2/v1/tokens/bearer"


def _database(tmp_path: Path) -> tuple[str, str, SqlTokenStore]:
    url = f"sqlite:///{tmp_path / 'lb.db'}"
    key_file = tmp_path / "lb.key"
    create_key_file(key_file)
    engine = make_engine(url)
    upgrade(engine)
    store = SqlTokenStore(engine, SecretBox(key_file, environ={}))
    expired = datetime.now(UTC) - timedelta(minutes=1)
    store.save(
        KEY, StoredToken("old-access", expired, {"refresh_token": OAuthOptions().initial_refresh_token})
    )
    return url, str(key_file), store


def _killed_while_refreshing(url: str, key_file: str, token_url: str) -> str:
    child = subprocess.run(
        [sys.executable, "-m", "tests.e2e.token_rotation_child", url, key_file, token_url],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert child.returncode == -signal.SIGKILL, child.stderr
    return child.stdout.split()[-1]  # the refresh token the vendor issued and the process never saved


def test_the_next_run_recovers_with_the_previous_refresh_token_within_the_grace(
    tmp_path: Path, intuit: tuple[IntuitOAuth, str]
) -> None:
    oauth, token_url = intuit
    url, key_file, store = _database(tmp_path)
    lost = _killed_while_refreshing(url, key_file, token_url)
    assert oauth.refreshes == 1
    kept = store.load(KEY)
    assert kept is not None
    assert kept.extra["refresh_token"] == OAuthOptions().initial_refresh_token  # the old one, not `lost`
    token: Token = auth(RotatingTokenAuth, url, key_file, token_url).token()
    assert oauth.refreshes == 2
    assert oauth.access_valid(token.access_token)
    saved = store.load(KEY)
    assert saved is not None
    assert saved.extra["refresh_token"] not in (OAuthOptions().initial_refresh_token, lost)
    assert saved.access_token == token.access_token


def test_past_the_vendors_grace_the_error_says_to_authorize_again(
    tmp_path: Path, intuit: tuple[IntuitOAuth, str]
) -> None:
    oauth, token_url = intuit
    url, key_file, _ = _database(tmp_path)
    _killed_while_refreshing(url, key_file, token_url)
    oauth.options.grace_seconds = 0  # the vendor already killed the superseded token
    with pytest.raises(AuthError, match="connector authorize"):
        auth(RotatingTokenAuth, url, key_file, token_url).token()
