"""A process that refreshes a rotating token against the QuickBooks sandbox's Intuit OAuth and is
SIGKILLed right after the vendor answered (the new refresh token issued) and before the answer is
saved: `python -m tests.e2e.token_rotation_child DB_URL KEY_FILE TOKEN_URL`."""

from __future__ import annotations

import os
import signal
import sys
from datetime import UTC, datetime
from pathlib import Path

from connectors.base import Token
from connectors.http import HttpClient
from connectors.oauth2 import OAuthApp, RotatingTokenAuth, interpret_token_errors
from store.db import make_engine
from store.secrets import SecretBox, SqlTokenStore
from sync.bootstrap import ConnectorTokenStore

KEY = "quickbooks:qb"


class DiesBeforeSaving(RotatingTokenAuth):
    def persist(self, token: Token) -> None:
        print(f"refreshed {token.extra['refresh_token']}", flush=True)
        os.kill(os.getpid(), signal.SIGKILL)


def app(token_url: str) -> OAuthApp:
    return OAuthApp(
        vendor="QuickBooks",
        authorize_url="",
        token_url=token_url,
        client_id="qb-sandbox-client",
        client_secret="qb-sandbox-secret",
        scopes=("com.intuit.quickbooks.accounting",),
    )


def auth(cls: type[RotatingTokenAuth], database_url: str, key_file: str, token_url: str) -> RotatingTokenAuth:
    store = ConnectorTokenStore(
        SqlTokenStore(make_engine(database_url), SecretBox(Path(key_file), environ={}))
    )
    http = HttpClient("qb/accounts", interpret=interpret_token_errors("QuickBooks"))
    return cls(
        app=app(token_url), http=http, store=store, key=KEY, clock=lambda: datetime.now(UTC), label="qb"
    )


if __name__ == "__main__":
    auth(DiesBeforeSaving, *sys.argv[1:4]).token()
    sys.exit(3)  # never reached: the process is killed in persist
