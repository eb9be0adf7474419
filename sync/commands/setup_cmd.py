"""`ledgerbridge init` and `ledgerbridge db upgrade`: a starter config, the key file and the database."""

from __future__ import annotations

import os
from pathlib import Path

import click
from sqlalchemy.engine import make_url

from config.loader import find_config
from config.settings import Settings
from store.db import current_revision, head_revision, normalize_url, upgrade
from store.secrets import KEY_ENV, create_key_file, default_key_file
from sync.cli import AppContext
from sync.commands.common import database

STARTER_CONFIG = """\
# ledgerbridge configuration — see README.md and docs/ for every key.
# ${NAME} is replaced by the environment variable NAME; secret:NAME by a secret stored with
# `ledgerbridge secret set NAME` (encrypted in the database).

database_url: sqlite:///ledgerbridge.db   # or postgresql://user@host/db; $LEDGERBRIDGE_DATABASE_URL overrides
base_currency: CNY
timezone: Asia/Shanghai                   # company time zone for date-only fields and periods

connectors: []
# Replace `connectors: []` above with a list like this one:
# connectors:
#   - name: zoho-crm
#     kind: zoho_crm
#     data_center: com                    # com | eu | in | com.au | com.cn | jp | ca | sa
#     streams: [sales_orders, invoices, accounts, products]
#     credentials:
#       client_id: ${ZOHO_CLIENT_ID}
#       client_secret: secret:zoho-client-secret
#       refresh_token: ${ZOHO_REFRESH_TOKEN}
#     schedule: {every_minutes: 15}
#
#   - name: zoho-books
#     kind: zoho_books
#     organization_id: "10234695"
#     credentials: {client_id: ..., client_secret: secret:zoho-client-secret, refresh_token: ...}
#
#   - name: fxiaoke
#     kind: fxiaoke
#     credentials:
#       app_id: ${FXK_APP_ID}
#       app_secret: secret:fxk-app-secret
#       permanent_code: ${FXK_PERMANENT_CODE}
#       current_open_user_id: FSUID_XXXX
#
#   - name: import                        # canonical records from JSON-lines files
#     kind: jsonl
#     path: data/{stream}.jsonl
#     streams: [invoices, payments]
"""


@click.command("init")
@click.pass_obj
def init(app: AppContext) -> None:
    """Write a commented starter config (never overwrites one), create the key file (0600) and the
    database, or bring an existing database up to date."""
    path = find_config(app.config_path, os.environ)
    if path.exists():
        click.echo(f"config: {path} exists, left as it is")
    else:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(STARTER_CONFIG, encoding="utf-8")
        click.echo(f"config: wrote a starter {path} (edit it to add connectors)")
    settings = app.config.settings
    _key(settings)
    _sqlite_directory(settings)
    with database(app, check_schema=False) as engine:
        before = current_revision(engine)
        upgrade(engine)
        click.echo(
            f"database: {_describe(settings)} at schema {current_revision(engine)}"
            + (" (created)" if before is None else "")
        )


@click.group("db")
def db_group() -> None:
    """The database schema."""


@db_group.command("upgrade")
@click.pass_obj
def db_upgrade(app: AppContext) -> None:
    """Apply the migrations this version needs (safe to repeat)."""
    with database(app, check_schema=False) as engine:
        before = current_revision(engine)
        upgrade(engine)
        after = current_revision(engine)
    if before == after:
        click.echo(f"database already at schema {after}")
    else:
        click.echo(f"database upgraded from schema {before or '(empty)'} to {after} (head {head_revision()})")


def _key(settings: Settings) -> None:
    if os.environ.get(KEY_ENV):
        click.echo(f"key: using ${KEY_ENV}")
        return
    key_file = default_key_file(settings.database_url, settings.secret_key_file)
    key_file.parent.mkdir(parents=True, exist_ok=True)
    if create_key_file(key_file):
        click.echo(f"key: created {key_file} (mode 0600) — back it up: without it stored secrets are lost")
    else:
        click.echo(f"key: {key_file} exists, left as it is")


def _sqlite_directory(settings: Settings) -> None:
    url = make_url(normalize_url(settings.database_url))
    if url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:":
        Path(url.database).parent.mkdir(parents=True, exist_ok=True)


def _describe(settings: Settings) -> str:
    return make_url(normalize_url(settings.database_url)).render_as_string(hide_password=True)
