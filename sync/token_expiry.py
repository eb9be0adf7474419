"""Refresh tokens that die (ADR 0033): each configured connector's deadline, read from the token rows by
`SqlTokenStore.refresh_deadlines()`, as the metric `ledgerbridge_refresh_token_expires_at_seconds`, a
`sync status` line and the daemon's notification.

A deadline is *due* within REFRESH_EXPIRY_WARNING (30 days) of it. The daemon tells each connector once
per threshold (NOTIFY_DAYS: 30, 14, 7 and 1 day(s) left, then expired), not on every tick.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Final

from connectors.oauth2 import REFRESH_EXPIRY_WARNING
from reconcile.report.i18n import Catalogue
from sync.metrics import Sample

METRIC: Final = "ledgerbridge_refresh_token_expires_at_seconds"
NOTIFY_DAYS: Final = (30, 14, 7, 1)
"""Days left at which the daemon tells (once each); 0 stands for expired."""


@dataclass(frozen=True)
class RefreshExpiry:
    """When a connector's refresh token dies."""

    connector: str
    expires_at: datetime

    def expired(self, now: datetime) -> bool:
        return self.expires_at <= now

    def days_left(self, now: datetime) -> int:
        """Whole days left (0 on the last day and after)."""
        return max(0, (self.expires_at - now) // timedelta(days=1))

    def due(self, now: datetime) -> bool:
        """Within the warning window (or expired): an admin must re-authorize."""
        return self.expires_at - now <= REFRESH_EXPIRY_WARNING

    def threshold(self, now: datetime) -> int | None:
        """The NOTIFY_DAYS step the deadline is in (0: expired), None when not due."""
        if not self.due(now):
            return None
        if self.expired(now):
            return 0
        days = self.days_left(now)
        return min(step for step in NOTIFY_DAYS if step >= days)

    def as_json(self, now: datetime) -> dict[str, object]:
        return {
            "connector": self.connector,
            "expires_at": self.expires_at.isoformat(),
            "days_left": self.days_left(now),
            "expired": self.expired(now),
            "due": self.due(now),
        }


def expiries(deadlines: Mapping[str, datetime], connectors: Iterable[str]) -> list[RefreshExpiry]:
    """The deadlines of the configured connectors (a removed connector's old row is left out)."""
    return [RefreshExpiry(name, deadlines[name]) for name in connectors if name in deadlines]


def expiry_samples(found: Iterable[RefreshExpiry]) -> list[Sample]:
    """`ledgerbridge_refresh_token_expires_at_seconds{connector}`: the deadline as Unix seconds."""
    return [Sample(METRIC, {"connector": e.connector}, e.expires_at.timestamp()) for e in found]


def expiry_line(catalogue: Catalogue, expiry: RefreshExpiry, now: datetime) -> str | None:
    """The `sync status` warning of a due deadline (None when not due), in the reader's language."""
    if not expiry.due(now):
        return None
    key = "token_expiry.expired" if expiry.expired(now) else "token_expiry.due"
    return catalogue.text(
        key,
        connector=expiry.connector,
        date=f"{expiry.expires_at:%Y-%m-%d %H:%M} UTC",
        days=expiry.days_left(now),
    )


def expiry_notice(expiry: RefreshExpiry, now: datetime) -> str:
    """The notification's text (notifications are English, like the rest of the digest)."""
    when = f"{expiry.expires_at:%Y-%m-%d %H:%M} UTC"
    said = (
        f"the refresh token expired {when}"
        if expiry.expired(now)
        else f"the refresh token expires {when} (in {expiry.days_left(now)} day(s))"
    )
    return f"{said}: run `ledgerbridge connector authorize {expiry.connector}`"
