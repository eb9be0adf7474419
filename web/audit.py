"""Audit a web action with the web user as actor, exactly as the CLI audits its own (store/audit_log.py)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from starlette.requests import Request

from store.audit_log import AuditEntry, record_audit
from web.auth import Principal
from web.state import client_address, web_state


def audit(
    request: Request, who: Principal, action: str, detail: Mapping[str, Any] | None = None
) -> AuditEntry:
    """Append `action` (a dotted name, as the CLI's: `exception.resolve`...) with `detail` plus where it
    came from (`via: web`, the client address). Never put a secret value in `detail`. A repository that
    audits inside its own transaction takes `actor=who.user.name` instead."""
    state = web_state(request)
    full = {**(detail or {}), "via": "web", "address": client_address(request)}
    return record_audit(state.engine, who.user.name, action, full, clock=state.clock)
