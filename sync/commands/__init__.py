"""CLI command groups, one module each; `COMMANDS` is what sync/cli.py attaches."""

from __future__ import annotations

import click

from sync.commands.audit_cmd import audit_group
from sync.commands.backup_cmd import backup, restore
from sync.commands.connector_cmd import connector_group
from sync.commands.daemon_cmd import daemon
from sync.commands.demo_cmd import demo
from sync.commands.exceptions_cmd import exceptions_group
from sync.commands.ledger_cmd import ledger_group
from sync.commands.match_cmd import match_command, unmatch_command
from sync.commands.reconcile_cmd import reconcile_group
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
    reconcile_group,
    exceptions_group,
    match_command,
    unmatch_command,
    demo,
]
