"""`ledgerbridge init` and `ledgerbridge db upgrade`: a starter config, the key file and the database."""

from __future__ import annotations

import os

import click

from config.loader import find_config
from config.settings import Settings
from store.db import current_revision, describe_url, head_revision, make_sqlite_directory, upgrade
from store.secrets import KEY_ENV, create_key_file, default_key_file
from sync.cli import AppContext
from sync.commands.common import database

STARTER_CONFIG = """\
# ledgerbridge configuration — README.md and docs/ explain every key.
# ${NAME} is replaced by the environment variable NAME; secret:NAME by a secret stored encrypted in the
# database with `ledgerbridge secret set NAME`. `ledgerbridge config check` lists every problem.
#
# As written, this file loads: only the lines below that are not comments are in effect. Uncomment a
# section and edit it to use it; every top-level section ledgerbridge accepts is shown.

database_url: sqlite:///ledgerbridge.db   # or postgresql://user@host/db; $LEDGERBRIDGE_DATABASE_URL overrides
base_currency: CNY                        # ISO 4217 code of the company's books
timezone: Asia/Shanghai                   # company time zone for date-only fields and periods
# locale: zh                              # zh | en: what commands, reports and notifications speak
#                                         # (unset: commands English, reports by the time zone;
#                                         # --lang or $LEDGERBRIDGE_LANG overrides)
# secret_key_file: ledgerbridge.key       # where the key of the encrypted secrets lives (default: beside
#                                         # the SQLite file; $LEDGERBRIDGE_SECRET_KEY instead of a file)

# The systems to read. Store their secrets first with `ledgerbridge secret set NAME` for each of
# zoho-client-secret, zoho-refresh-token, fxiaoke-app-secret and fxiaoke-permanent-code, then try
# `ledgerbridge connector test zoho-crm`. `schedule:` is when the daemon syncs the connector.
# connectors:
#   - name: zoho-crm                      # [a-z0-9-]+, unique; rules name connectors by it
#     kind: zoho_crm
#     data_center: com                    # com | eu | in | com.au | com.cn | jp | ca | sa
#     streams: [sales_orders, invoices, accounts, products]
#     credentials:
#       client_id: ${ZOHO_CLIENT_ID}
#       client_secret: secret:zoho-client-secret
#       refresh_token: secret:zoho-refresh-token
#     schedule: {every_minutes: 15}       # or {cron: "*/15 * * * *"} (company time zone)
#
#   - name: zoho-books
#     kind: zoho_books
#     data_center: com
#     organization_id: "10234695"         # Books: Settings > Organization Profile
#     streams: [invoices, customer_payments, sales_orders, credit_notes]
#     credentials:
#       client_id: ${ZOHO_CLIENT_ID}
#       client_secret: secret:zoho-client-secret
#       refresh_token: secret:zoho-refresh-token
#     schedule: {every_minutes: 15}
#
#   - name: fxiaoke
#     kind: fxiaoke
#     streams: [sales_orders, payments, invoice_applications, accounts, products]
#     credentials:
#       app_id: ${FXK_APP_ID}
#       app_secret: secret:fxiaoke-app-secret
#       permanent_code: secret:fxiaoke-permanent-code
#       current_open_user_id: FSUID_XXXX  # the integration user's openUserId
#     schedule: {cron: "*/30 * * * *"}
#
#   - name: quickbooks                    # QuickBooks Online (docs/connectors/quickbooks.md)
#     kind: quickbooks
#     realm_id: "9130350000000000"        # the company id; `connector authorize quickbooks` stores it
#     streams: [invoices, payments, credit_memos, sales_receipts, customers, items]
#     credentials:
#       client_id: ${QUICKBOOKS_CLIENT_ID}
#       client_secret: secret:quickbooks-client-secret
#     schedule: {every_minutes: 30}       # then: ledgerbridge connector authorize quickbooks
#
#   - name: xero                          # Xero (docs/connectors/xero.md)
#     kind: xero
#     tenant_id: 00000000-0000-0000-0000-000000000000   # needed when the login reaches several orgs
#     streams: [invoices, payments, credit_notes, overpayments, prepayments, contacts, items]
#     credentials:
#       client_id: ${XERO_CLIENT_ID}
#       client_secret: secret:xero-client-secret
#     schedule: {every_minutes: 30}       # then: ledgerbridge connector authorize xero
#
#   - name: kingdee                       # Kingdee K/3 Cloud 金蝶云星空 (docs/connectors/kingdee.md)
#     kind: kingdee
#     server_url: https://erp.example.com/K3Cloud   # required: the tenant's address up to /K3Cloud
#     acct_id: "62f0a9c2e5b1a4"           # the data center (账套) id
#     user_name: 集成用户                  # the user the third-party app (第三方系统登录授权) acts as
#     streams: [sales_orders, receivables, receipts, customers, materials]
#     credentials:
#       app_id: ${KINGDEE_APP_ID}
#       app_secret: secret:kingdee-app-secret
#     schedule: {every_minutes: 30}
#
#   - name: bank-icbc                     # bank statement files (docs/connectors/bank_statements.md)
#     kind: bank_statement
#     inbox: /var/lib/ledgerbridge/statements/icbc   # files dropped here load on each sync (and on
#                                         # `ledgerbridge import statement`); loaded ones go to archive/
#     accounts: ["6222020200001234567"]   # optional: refuse statements of any other account
#     formats: [camt053, mt940, ofx, csv, xlsx]
#     csv:                                # the column mapping CSV and XLSX exports need
#       encoding: gb18030                 # GB18030 reads GBK too; default utf-8-sig
#       currency: CNY                     # when the export has no currency column
#       columns:
#         date: 交易日期
#         debit: 借方发生额                # money out (or one signed column: amount: 交易金额)
#         credit: 贷方发生额               # money in
#         balance: 余额
#         counterparty: 对方户名
#         reference: 交易流水号            # the bank's unique id of the row
#     schedule: {every_minutes: 5}
#
#   - name: import                        # canonical records from JSON-lines files
#     kind: jsonl
#     path: data/{stream}.jsonl
#     streams: [invoices, payments]

# What to compare (docs/reconcile.md). Every source must be a connector named above.
# `schedule:` runs a rule on its own; `after:` runs it right after those connectors synced.
# reconcile:
#   rules:
#     - name: crm-vs-books-invoices       # every CRM invoice must be in Books, and agree
#       left: {source: zoho-crm, kind: invoice}
#       right: {source: zoho-books, kind: invoice}
#       keys: [number]                    # tried in order: number | external_id | references.<name>
#       fuzzy: {enabled: true, date_window_days: 7}
#       tolerance: {amount: "0.01", days: 0}
#       compare: [total, currency, party, issued_on, status]
#       period: previous_month            # default scope of `reconcile run`
#       after: [zoho-crm, zoho-books]
#       owner: finance-lead               # new exceptions are assigned to this person
#
#     - name: books-settlement            # Books invoices against their payments and credit notes
#       kind: settlement
#       invoices: {source: zoho-books, kind: invoice}
#       payments: {source: zoho-books, kind: payment}
#       credit_notes: {source: zoho-books, kind: credit_note}
#       tolerance: {amount: "0.01"}
#       schedule: {cron: "0 2 * * *"}     # every night at 02:00
#
#     - name: fxiaoke-settlement          # Fxiaoke orders against their 回款 (payments)
#       kind: settlement
#       invoices: {source: fxiaoke, kind: sales_order}
#       payments: {source: fxiaoke, kind: payment}
#       after: [fxiaoke]
#
#   audits:                               # checks on single documents, once per document
#     - name: books-audit
#       checks: [total_not_subtotal_plus_tax, negative_amount, due_before_issue, missing_owner,
#                possible_duplicate, unusual_amount]
#       scope:
#         - {source: zoho-books, kind: invoice}
#         - {source: zoho-books, kind: credit_note, checks: [credit_note_exceeds_invoice]}
#       thresholds:
#         possible_duplicate: {days: 3}   # same customer and amount, another number, 3 days apart
#       schedule: {cron: "30 2 * * *"}
#       owner: finance-lead

# `ledgerbridge daemon`: runs the schedules above until SIGTERM (docs/operations.md).
# daemon:
#   health:
#     enabled: true                       # /healthz, /livez and /metrics (Prometheus)
#     host: 127.0.0.1                     # 0.0.0.0 inside a container
#     port: 9464
#     failing_runs: 3                     # degraded once a connector failed 3 runs in a row
#   workers: 4
#   max_backoff_minutes: 60
#   web: {enabled: true, host: 127.0.0.1, port: 8080}   # serve the web app from the daemon too

# The web app (`ledgerbridge web`, docs/web.md): add people with `ledgerbridge user add NAME --role
# viewer|reviewer|admin`. Loopback by default; put nginx or caddy with TLS in front for others.
# web:
#   session_idle_minutes: 30
#   session_max_hours: 12
#   login_failures_per_user: 5            # within login_window_minutes
#   login_failures_per_address: 20
#   login_window_minutes: 15
#   trusted_header: X-Forwarded-User      # single sign-on behind a proxy that sets it (off unless set)

# Where a digest goes after a run with new exceptions, or when a connector keeps failing.
# Store the secrets with `ledgerbridge secret set webhook-signing-key` / `smtp-password`.
# notifications:
#   webhook:
#     url: https://hooks.example.com/ledgerbridge
#     signing_secret: secret:webhook-signing-key
#   email:
#     host: smtp.example.com
#     port: 587
#     username: ledgerbridge@example.com
#     password: secret:smtp-password
#     sender: ledgerbridge@example.com
#     recipients: [finance@example.com]
#   failing_runs: 3
"""


@click.command("init")
@click.pass_obj
def init(app: AppContext) -> None:
    """Write a commented starter config (never overwrites one), create the key file (0600) and the
    database, or bring an existing database up to date."""
    path = find_config(app.config_path, os.environ)
    existed = path.exists()
    if not existed:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(STARTER_CONFIG, encoding="utf-8")
    # Said after writing: the new file's locale decides the language of every line.
    click.echo(app.text("init.config_exists" if existed else "init.config_written", path=path))
    settings = app.config.settings
    _key(app, settings)
    _sqlite_directory(settings)
    with database(app, check_schema=False) as engine:
        before = current_revision(engine)
        upgrade(engine)
        key = "init.database" if before is not None else "init.database_created"
        click.echo(app.text(key, url=_describe(settings), revision=current_revision(engine)))


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


def _key(app: AppContext, settings: Settings) -> None:
    if os.environ.get(KEY_ENV):
        click.echo(app.text("init.key_env", name=KEY_ENV))
        return
    key_file = default_key_file(settings.database_url, settings.secret_key_file)
    key_file.parent.mkdir(parents=True, exist_ok=True)
    if create_key_file(key_file):
        click.echo(app.text("init.key_created", path=key_file))
    else:
        click.echo(app.text("init.key_exists", path=key_file))


def _sqlite_directory(settings: Settings) -> None:
    make_sqlite_directory(settings.database_url)


def _describe(settings: Settings) -> str:
    return describe_url(settings.database_url)
