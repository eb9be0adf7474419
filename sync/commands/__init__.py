"""CLI command groups, one module each; `COMMANDS` is what sync/cli.py attaches."""

from __future__ import annotations

import click

from sync.commands.audit_cmd import audit_group
from sync.commands.backup_cmd import backup, restore
from sync.commands.connector_cmd import connector_group
from sync.commands.daemon_cmd import daemon
from sync.commands.ledger_cmd import ledger_group
from sync.commands.report_cmd import report_group
from sync.commands.secret_cmd import secret_group
from sync.commands.setup_cmd import db_group, init
from sync.commands.sync_cmd import sync_group

COMMANDS: list[click.Command] = [
    init,
    db_group,
    connector_group,
    sync_group,
    ledger_group,
    report_group,
    daemon,
    secret_group,
    audit_group,
    backup,
    restore,
]
