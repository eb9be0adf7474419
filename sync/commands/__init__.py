"""CLI command groups, one module each, loaded only when invoked.

`COMMANDS` maps each top-level command name to (module, attribute, one-line help). sync/cli.py lists
them from this table and imports a command's module only when that command runs, so `sync run` does
not pay for openpyxl, the report renderers or the demo's sandboxes (a full import took ~3 s).
"""

from __future__ import annotations

from typing import NamedTuple


class CommandRef(NamedTuple):
    module: str
    attribute: str
    short_help: str


COMMANDS: dict[str, CommandRef] = {
    "init": CommandRef(
        "sync.commands.setup_cmd",
        "init",
        "Write a commented starter config (never overwrites one), create the key file and the database.",
    ),
    "db": CommandRef("sync.commands.setup_cmd", "db_group", "The database schema."),
    "config": CommandRef(
        "sync.commands.config_cmd",
        "config_group",
        "The configuration file: `config check` lists every problem.",
    ),
    "connector": CommandRef("sync.commands.connector_cmd", "connector_group", "Configured connectors."),
    "sync": CommandRef("sync.commands.sync_cmd", "sync_group", "Synchronize connectors into the ledger."),
    "ledger": CommandRef("sync.commands.ledger_cmd", "ledger_group", "The canonical ledger."),
    "reconcile": CommandRef(
        "sync.commands.reconcile_cmd",
        "reconcile_group",
        "Reconcile the sources against each other under the configured rules.",
    ),
    "exceptions": CommandRef(
        "sync.commands.exceptions_cmd",
        "exceptions_group",
        "Reconciliation exceptions: list, show, acknowledge, resolve, assign, reopen.",
    ),
    "match": CommandRef(
        "sync.commands.match_cmd", "match_command", "Tell a rule to pair two documents on every later run."
    ),
    "unmatch": CommandRef(
        "sync.commands.match_cmd", "unmatch_command", "Tell a rule never to pair two documents."
    ),
    "alias": CommandRef("sync.commands.alias_cmd", "alias_group", "Party aliases: two names, one customer."),
    "import": CommandRef(
        "sync.commands.import_cmd", "import_group", "Load files into the ledger: bank statements."
    ),
    "report": CommandRef(
        "sync.commands.report_cmd",
        "report_group",
        "Finance reports: reconciliation mismatches, order-to-cash, AR ageing.",
    ),
    "daemon": CommandRef(
        "sync.commands.daemon_cmd", "daemon", "Run every connector and rule on its schedule until stopped."
    ),
    "secret": CommandRef(
        "sync.commands.secret_cmd",
        "secret_group",
        "Secrets encrypted in the database, referenced in the config as `secret:NAME`.",
    ),
    "audit": CommandRef("sync.commands.audit_cmd", "audit_group", "The append-only, hash-chained audit log."),
    "backup": CommandRef(
        "sync.commands.backup_cmd", "backup", "Write a consistent copy of the database, safe while it runs."
    ),
    "restore": CommandRef(
        "sync.commands.backup_cmd", "restore", "Replace the database with a checked ledgerbridge backup."
    ),
    "sandbox": CommandRef(
        "sync.commands.sandbox_cmd",
        "sandbox_group",
        "Serve the bundled vendor sandboxes on loopback for trying connectors by hand.",
    ),
    "user": CommandRef(
        "sync.commands.user_cmd",
        "user_group",
        "Users of the web app and their roles: viewer, reviewer, admin.",
    ),
    # The web app's command lives in web/ itself: sync names it by this string and never imports web
    # (web sits on top of sync; the CLI's LazyGroup imports the module with importlib when it runs).
    "web": CommandRef(
        "web.cli",
        "web_command",
        "Serve the web app for finance and admins until Ctrl-C/SIGTERM (loopback by default).",
    ),
    "demo": CommandRef(
        "sync.commands.demo_cmd",
        "demo",
        "Sync and reconcile a generated company served by the bundled sandboxes, and write the reports.",
    ),
}
