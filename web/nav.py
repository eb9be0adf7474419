"""The navigation bar: each entry shown only to a role that may open it."""

from __future__ import annotations

from dataclasses import dataclass

from web.permissions import Permission


@dataclass(frozen=True)
class NavItem:
    key: str
    """Catalogue key of the label."""
    href: str
    permission: Permission


NAV: tuple[NavItem, ...] = (
    NavItem("web.nav.today", "/today", Permission.LEDGER_READ),
    NavItem("web.nav.queue", "/queue", Permission.LEDGER_READ),
    NavItem("web.nav.connectors", "/connectors", Permission.CONNECTORS_READ),
    NavItem("web.nav.reports", "/reports", Permission.LEDGER_READ),
    NavItem("web.nav.aliases", "/aliases", Permission.LEDGER_READ),
    NavItem("web.nav.audit", "/audit", Permission.AUDIT_READ),
)
DOCUMENT_SEARCH = "/documents"
"""The nav's search box sends `GET /documents?q=NUMBER` (the Document page's route)."""
