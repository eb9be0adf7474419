"""Who may do what: one table from role to permissions. Every route names the permission it needs
(`web.auth.require`), and templates ask `can(...)` before showing a link or a button."""

from __future__ import annotations

from enum import StrEnum
from typing import Final

from store.users import Role


class Permission(StrEnum):
    SIGNED_IN = "signed_in"
    """Any logged-in user: logout, their own language."""
    LEDGER_READ = "ledger.read"
    """Today, the queue, exceptions, documents, reports: everything but secrets and admin pages."""
    EXCEPTIONS_ACT = "exceptions.act"
    """Acknowledge, assign, comment, resolve, reopen, match/unmatch, decline a suggestion, aliases."""
    CONNECTORS_READ = "connectors.read"
    """The connectors page: streams, cursors, runs, the quarantine (redacted)."""
    CONNECTORS_RUN = "connectors.run"
    """Sync now, full resync, connector test."""
    SECRETS_SET = "secrets.set"
    """Set a secret (write-only: no page ever shows a value)."""
    USERS_MANAGE = "users.manage"
    AUDIT_READ = "audit.read"
    AUDIT_VERIFY = "audit.verify"


_VIEWER: Final = frozenset({Permission.SIGNED_IN, Permission.LEDGER_READ})
_REVIEWER: Final = _VIEWER | {Permission.EXCEPTIONS_ACT}

ROLE_PERMISSIONS: Final[dict[Role, frozenset[Permission]]] = {
    Role.VIEWER: _VIEWER,
    Role.REVIEWER: _REVIEWER,
    Role.ADMIN: frozenset(Permission),
}
"""The issue's roles: viewer reads; reviewer also acts on exceptions; admin also runs connectors, sets
secrets, manages users and reads and verifies the audit log (the Connectors and Audit pages are admin's)."""


def allowed(role: Role, permission: Permission) -> bool:
    return permission in ROLE_PERMISSIONS[role]
