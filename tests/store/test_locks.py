"""Locks across processes and threads: one holder at a time, a refused caller learns who holds it."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine, insert, select, text, update

from store.db import is_sqlite, write_transaction
from store.locks import LockHeld, LockLost, advisory_key, connector_lock, named_lock
from store.tables import leases

HOST = socket.gethostname()


def _recorded(engine: Engine, name: str) -> tuple[str, str, int] | None:
    """Who the leases table says holds `name`: (label, host, pid), None when nobody does."""
    with engine.connect() as conn:
        row = conn.execute(select(leases).where(leases.c.name == name)).first()
    return None if row is None else (row.holder.split("|", 1)[0], row.host, row.pid)


def test_a_held_connector_lock_refuses_a_second_holder_and_names_the_first(engine: Engine) -> None:
    with connector_lock(engine, "zoho-crm", holder="daemon"):
        assert _recorded(engine, "connector zoho-crm") == ("daemon", HOST, os.getpid())
        with pytest.raises(LockHeld) as refused:
            with connector_lock(engine, "zoho-crm", holder="sync run"):
                pytest.fail("two holders at once")
        assert _recorded(engine, "connector zoho-crm") == ("daemon", HOST, os.getpid())  # still the first
        with connector_lock(engine, "fxiaoke", holder="sync run"):  # another connector is independent
            assert _recorded(engine, "connector fxiaoke") == ("sync run", HOST, os.getpid())
    holder = refused.value.holder
    assert holder is not None
    assert (holder.label, holder.host, holder.pid) == ("daemon", HOST, os.getpid())
    assert f"daemon (pid {os.getpid()} on {HOST}, since " in str(refused.value)
    assert _recorded(engine, "connector zoho-crm") is None  # released: nobody is named any more
    with connector_lock(engine, "zoho-crm", holder="sync run"):
        assert _recorded(engine, "connector zoho-crm") == ("sync run", HOST, os.getpid())


def test_a_waiting_caller_gets_the_lock_once_the_holder_releases_it(engine: Engine) -> None:
    held = threading.Event()
    release = threading.Event()

    def holder() -> None:
        with named_lock(engine, "job", holder="first"):
            held.set()
            release.wait(30)

    thread = threading.Thread(target=holder)
    thread.start()
    assert held.wait(30)
    with pytest.raises(LockHeld) as refused:
        with named_lock(engine, "job", wait_seconds=0, holder="second"):
            pass
    assert refused.value.holder is not None
    assert refused.value.holder.label == "first"
    release.set()
    with named_lock(engine, "job", wait_seconds=60, holder="second"):
        assert _recorded(engine, "job") == ("second", HOST, os.getpid())
        thread.join(30)
        assert not thread.is_alive()


def test_threads_taking_the_same_lock_never_overlap(engine: Engine) -> None:
    inside = 0
    most = 0
    guard = threading.Lock()
    errors: list[BaseException] = []

    def work() -> None:
        nonlocal inside, most
        try:
            for _ in range(5):
                with named_lock(engine, "token x", wait_seconds=60):
                    with guard:
                        inside += 1
                        most = max(most, inside)
                    threading.Event().wait(0.01)  # give the others a chance to barge in
                    with guard:
                        inside -= 1
        except BaseException as exc:  # noqa: BLE001 - collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert errors == []
    assert most == 1


def _sqlite_only(engine: Engine) -> None:
    if not is_sqlite(engine):
        pytest.skip("lease rows are the SQLite mechanism (PostgreSQL uses advisory locks)")


def _plant_lease(engine: Engine, pid: int, expires_in: timedelta) -> None:
    now = datetime.now(UTC)
    with write_transaction(engine) as conn:
        conn.execute(
            insert(leases).values(
                name="connector shop",
                holder=f"daemon|{HOST}:{pid}:1:x",
                host=HOST,
                pid=pid,
                acquired_at=now - timedelta(hours=1),
                expires_at=now + expires_in,
            )
        )


def test_a_lease_left_by_a_dead_process_is_taken_over(engine: Engine) -> None:
    _sqlite_only(engine)
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    _plant_lease(engine, dead.pid, timedelta(hours=1))
    assert _recorded(engine, "connector shop") == ("daemon", HOST, dead.pid)
    with connector_lock(engine, "shop", holder="sync run"):
        assert _recorded(engine, "connector shop") == ("sync run", HOST, os.getpid())
    assert _recorded(engine, "connector shop") is None


def test_an_expired_lease_of_a_live_process_is_taken_over_but_a_current_one_is_not(engine: Engine) -> None:
    _sqlite_only(engine)
    _plant_lease(engine, os.getppid(), timedelta(hours=1))
    with pytest.raises(LockHeld, match=f"daemon \\(pid {os.getppid()}"):
        with connector_lock(engine, "shop", holder="sync run"):
            pass
    assert _recorded(engine, "connector shop") == ("daemon", HOST, os.getppid())  # the refusal took nothing
    with write_transaction(engine) as conn:
        conn.execute(update(leases).values(expires_at=datetime.now(UTC) - timedelta(seconds=1)))
    with connector_lock(engine, "shop", holder="sync run"):
        assert _recorded(engine, "connector shop") == ("sync run", HOST, os.getpid())


def test_a_holder_whose_lease_was_taken_learns_it_before_writing_again(engine: Engine) -> None:
    _sqlite_only(engine)
    with connector_lock(engine, "shop", lease_seconds=0.3) as lease:
        with write_transaction(engine) as conn:  # as if another process took the expired lease
            conn.execute(update(leases).values(holder="thief|elsewhere:1:1:y", host="elsewhere", pid=1))
        assert lease.lost.wait(30)
        with pytest.raises(LockLost, match="lost the lock connector shop"):
            lease.check()
        assert _recorded(engine, "connector shop") == ("thief", "elsewhere", 1)  # no renewal over the thief
    assert _recorded(engine, "connector shop") == ("thief", "elsewhere", 1)  # nor a release of its lease


@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
def test_a_refused_caller_caught_while_the_holder_lets_go_takes_the_lock_rather_than_an_unnamed_refusal(
    engine: Engine,
) -> None:
    """PostgreSQL: the advisory lock and the row naming its holder are two steps. A caller that finds
    the lock taken but no name looks once more: here the holder lets go meanwhile, so it gets the lock."""
    holder = engine.connect().execution_options(isolation_level="AUTOCOMMIT")
    key = advisory_key("connector shop")
    # No holder row is ever recorded: the window between the two steps.
    let_go = threading.Timer(0.05, lambda: holder.execute(text("SELECT pg_advisory_unlock_all()")))
    try:
        assert holder.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": key}).scalar()
        let_go.start()
        with connector_lock(engine, "shop", holder="sync run") as lease:
            assert lease.name == "connector shop"
            assert _recorded(engine, "connector shop") == ("sync run", HOST, os.getpid())
    finally:
        let_go.cancel()
        if let_go.is_alive():
            let_go.join()
        holder.close()
