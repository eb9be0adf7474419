"""The audit chain is keyed and anchored outside the database (issue 13, ADR 0020): someone who can write
the database but does not hold the key cannot cut the tail, delete the first row, or edit a row and
recompute the chain without `verify` naming it. The attacks recompute hashes exactly as the unkeyed
chain did (SHA-256 over the same fields), which verified as intact before."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import Engine, delete, select, text, update

from store.audit_log import GENESIS, LEGACY_SCHEME, list_audit, record_audit, verify_audit
from store.audit_tables import audit_head, audit_log
from store.integrity import attach_seal, read_anchor, seal_from_secret_key
from tests.conftest import FixedClock


@pytest.fixture
def sealed(engine: Engine, tmp_path: Path) -> Engine:
    """The engine as `open_engine` gives it: sealed with a key, its head anchored in a file."""
    seal = seal_from_secret_key(
        Fernet.generate_key(), head_file=tmp_path / "ledger.audit-head", origin="test"
    )
    attach_seal(engine, seal)
    return engine


def _five(engine: Engine, clock: FixedClock) -> None:
    for i in range(1, 6):
        clock.advance(minutes=1)
        record_audit(engine, "alice", "exception.resolve", {"exception": i}, clock=clock)


def _sha256(prev: str, row_id: int, at: datetime, actor: str, action: str, detail: str) -> str:  # noqa: PLR0917
    """What an attacker computes: the old unkeyed chain's hash (the key is not in the database)."""
    moment = at.astimezone(UTC).isoformat(timespec="microseconds")
    return hashlib.sha256(
        "\x1f".join((prev, str(row_id), moment, actor, action, detail)).encode()
    ).hexdigest()


def _rechain(engine: Engine) -> None:
    """Recompute every row's prev_hash and hash in order and point the head at the last row."""
    with engine.begin() as conn:
        prev, last = GENESIS, 0
        for row in conn.execute(select(audit_log).order_by(audit_log.c.id)).all():
            digest = _sha256(prev, row.id, row.recorded_at, row.actor, row.action, row.detail)
            conn.execute(
                update(audit_log).where(audit_log.c.id == row.id).values(prev_hash=prev, hash=digest)
            )
            prev, last = digest, row.id
        conn.execute(update(audit_head).where(audit_head.c.id == 1).values(seq=last, hash=prev))


def test_a_sealed_log_verifies_and_its_head_is_anchored_in_a_file(sealed: Engine, clock: FixedClock) -> None:
    _five(sealed, clock)
    assert verify_audit(sealed).ok
    anchor = read_anchor(sealed_head(sealed))
    assert anchor is not None
    assert anchor.seq == 5
    assert anchor.mac == list_audit(sealed, limit=1)[0].hash


def sealed_head(engine: Engine) -> Path:
    from store.integrity import seal_of

    path = seal_of(engine).head_file
    assert path is not None
    return path


def test_deleting_the_tail_and_moving_the_head_back_is_detected_by_the_head_file(
    sealed: Engine, clock: FixedClock
) -> None:
    _five(sealed, clock)
    with sealed.begin() as conn:
        conn.execute(delete(audit_log).where(audit_log.c.id >= 4))
        row3 = conn.execute(select(audit_log.c.hash).where(audit_log.c.id == 3)).scalar_one()
        conn.execute(update(audit_head).where(audit_head.c.id == 1).values(seq=3, hash=row3))
    verdict = verify_audit(sealed)
    assert not verdict.ok
    assert verdict.problems[0].row == 4
    assert "the tail was cut: rows 4-5 deleted" in verdict.problems[0].message


def test_deleting_the_first_row_is_detected_even_with_the_chain_recomputed(
    sealed: Engine, clock: FixedClock
) -> None:
    _five(sealed, clock)
    with sealed.begin() as conn:
        conn.execute(delete(audit_log).where(audit_log.c.id == 1))
        conn.execute(text("UPDATE audit_log SET id = id - 1"))  # renumber: no gap left
    _rechain(sealed)
    verdict = verify_audit(sealed)
    assert not verdict.ok
    assert verdict.problems[0].row == 1
    assert "row 1 was edited" in verdict.problems[0].message


def test_an_edit_with_the_whole_chain_rehashed_is_detected(sealed: Engine, clock: FixedClock) -> None:
    _five(sealed, clock)
    with sealed.begin() as conn:
        conn.execute(update(audit_log).where(audit_log.c.id == 3).values(actor="mallory"))
    _rechain(sealed)
    verdict = verify_audit(sealed)
    assert not verdict.ok
    assert verdict.problems[0].row == 1  # every row's MAC fails: the first bad row is named
    assert {p.row for p in verdict.problems} >= {1, 2, 3, 4, 5}


def test_a_removed_head_file_is_reported(sealed: Engine, clock: FixedClock) -> None:
    _five(sealed, clock)
    sealed_head(sealed).unlink()
    verdict = verify_audit(sealed)
    assert not verdict.ok
    assert "head file" in verdict.problems[0].message
    assert "missing" in verdict.problems[0].message


def test_a_log_checked_with_another_key_names_both_fingerprints(
    sealed: Engine, clock: FixedClock, tmp_path: Path
) -> None:
    _five(sealed, clock)
    other = seal_from_secret_key(Fernet.generate_key(), head_file=sealed_head(sealed), origin="other key")
    attach_seal(sealed, other)
    verdict = verify_audit(sealed)
    assert not verdict.ok
    assert other.fingerprint in verdict.problems[0].message
    assert "sealed with seal key" in verdict.problems[0].message


def test_an_unkeyed_chain_from_before_the_upgrade_is_resealed_once_with_an_entry_saying_so(
    sealed: Engine, clock: FixedClock
) -> None:
    _five(sealed, clock)
    _rechain(sealed)  # the chain as revision 0005 wrote it: plain SHA-256
    with sealed.begin() as conn:
        conn.execute(update(audit_head).where(audit_head.c.id == 1).values(scheme=LEGACY_SCHEME))
    before = verify_audit(sealed)
    assert before.ok
    assert not before.sealed
    record_audit(sealed, "bob", "sync.run", {}, clock=clock)
    after = verify_audit(sealed)
    assert after.ok, after.problems
    assert after.sealed
    entries = list_audit(sealed, limit=2)
    assert [e.action for e in entries] == ["sync.run", "audit.resealed"]
    assert entries[1].detail["rows"] == 5
    assert entries[1].detail["previous_chain"] == "intact"
    assert json.loads(json.dumps(entries[1].detail))["previous_problems"] == []
