"""The audit log: entries chain by hash; `verify` names a row that was edited, replaced or deleted."""

from __future__ import annotations

import json
import threading

from sqlalchemy import Engine, delete, select, update

from store.audit_log import list_audit, record_audit, verify_audit
from store.audit_tables import audit_log
from tests.conftest import FixedClock


def _five(engine: Engine, clock: FixedClock) -> None:
    for i in range(1, 6):
        clock.advance(minutes=1)
        record_audit(
            engine, "alice", "exception.resolve", {"exception": i, "note": "booked late 已入账"}, clock=clock
        )


def test_an_intact_log_verifies(engine: Engine, clock: FixedClock) -> None:
    _five(engine, clock)
    verdict = verify_audit(engine)
    assert verdict.ok
    assert verdict.rows == 5


def test_an_empty_log_verifies(engine: Engine) -> None:
    assert verify_audit(engine).ok


def test_entries_are_listed_newest_first_and_filtered_by_action_prefix(
    engine: Engine, clock: FixedClock
) -> None:
    record_audit(engine, "root", "secret.set", {"name": "zoho-client-secret"}, clock=clock)
    _five(engine, clock)
    entries = list_audit(engine, limit=3)
    assert [e.id for e in entries] == [6, 5, 4]
    assert entries[0].detail == {"exception": 5, "note": "booked late 已入账"}
    assert [e.action for e in list_audit(engine, action="secret.")] == ["secret.set"]


def test_an_edited_row_is_named(engine: Engine, clock: FixedClock) -> None:
    _five(engine, clock)
    with engine.begin() as conn:
        conn.execute(update(audit_log).where(audit_log.c.id == 3).values(actor="mallory"))
    verdict = verify_audit(engine)
    assert [p.row for p in verdict.problems] == [3]
    assert "row 3 was edited" in verdict.problems[0].message


def test_an_edited_row_whose_hash_was_recomputed_is_caught_by_the_next_row(
    engine: Engine, clock: FixedClock
) -> None:
    _five(engine, clock)
    with engine.begin() as conn:
        conn.execute(update(audit_log).where(audit_log.c.id == 2).values(hash="f" * 64))
    verdict = verify_audit(engine)
    assert verdict.problems[0].row == 2
    assert any("row 3 does not chain to row 2" in p.message for p in verdict.problems)


def test_a_deleted_row_is_named(engine: Engine, clock: FixedClock) -> None:
    _five(engine, clock)
    with engine.begin() as conn:
        conn.execute(delete(audit_log).where(audit_log.c.id == 4))
    verdict = verify_audit(engine)
    assert [(p.row, p.message) for p in verdict.problems] == [(4, "row 4 deleted (the log jumps to row 5)")]


def test_deleting_the_newest_rows_is_detected_through_the_head(engine: Engine, clock: FixedClock) -> None:
    _five(engine, clock)
    with engine.begin() as conn:
        conn.execute(delete(audit_log).where(audit_log.c.id >= 4))
    verdict = verify_audit(engine)
    assert [p.row for p in verdict.problems] == [4]
    assert "rows 4-5 deleted from the end" in verdict.problems[0].message


def test_detail_is_stored_as_canonical_json(engine: Engine, clock: FixedClock) -> None:
    record_audit(engine, "bob", "match.create", {"rule": "r", "left": 2, "right": 1}, clock=clock)
    with engine.connect() as conn:
        stored = conn.execute(select(audit_log.c.detail)).scalar_one()
    assert stored == json.dumps({"left": 2, "right": 1, "rule": "r"}, separators=(",", ":"))


def test_concurrent_writers_never_fork_the_chain(engine: Engine) -> None:
    def write(who: str) -> None:
        for i in range(10):
            record_audit(engine, who, "sync.run", {"i": i})

    threads = [threading.Thread(target=write, args=(f"user{n}",)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    verdict = verify_audit(engine)
    assert verdict.ok, verdict.problems
    assert verdict.rows == 40
