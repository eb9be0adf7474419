"""User management and logins are audited at the store's clock, like every other action: with a fixed
clock the audit log does not mix that day with the wall clock's."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import Engine

from store.audit_log import list_audit
from store.users import Role, SqlUserStore
from tests.conftest import FixedClock
from tests.web.conftest import FAST_HASHING


def test_user_changes_and_logins_are_audited_at_the_stores_clock(web_engine: Engine) -> None:
    clock = FixedClock(datetime(2026, 3, 1, 9, 30, tzinfo=UTC))
    users = SqlUserStore(web_engine, clock=clock, hashing=FAST_HASHING)
    users.add("li.na", Role.REVIEWER, "a long enough password", actor="admin", via="cli")
    users.disable("li.na", actor="admin", via="cli")
    users.enable("li.na", actor="admin", via="cli")
    entries = [e for e in list_audit(web_engine, limit=10) if e.action.startswith("user.")]
    assert [e.action for e in entries] == ["user.enable", "user.disable", "user.add"]
    assert {e.recorded_at.astimezone(UTC) for e in entries} == {clock.now}
