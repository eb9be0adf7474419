"""The HTTP loop's total deadline is kept by one watchdog thread for the whole process (issue 18), not a
timer thread per request: a short deadline behind many long ones still cuts on time, and an exchange
that finished is never cut afterwards (its connection is back in the pool, serving the next request)."""

from __future__ import annotations

import threading
import time

import pytest

from connectors.errors import TransientError
from connectors.http import HttpClient, RetryPolicy
from tests.connectors.hostile import Answer, HostileServer, json_answer

NO_RETRY = RetryPolicy(attempts=1, base_delay=0.0)


def _client(name: str, deadline: float) -> HttpClient:
    return HttpClient(
        name,
        interpret=lambda _r, _b: None,
        timeout=(2.0, 2.0),
        deadline=deadline,
        retry=NO_RETRY,
        requests_per_second=10_000,
        burst=100,
    )


def _threads() -> set[str]:
    return {thread.name for thread in threading.enumerate()}


def test_requests_start_no_thread_each_and_a_short_deadline_behind_long_ones_still_cuts_on_time(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    slow_body = b'{"data": "' + b"x" * 400 + b'"}'
    with (
        HostileServer(lambda _s: json_answer({"ok": True})) as quick,
        HostileServer(
            lambda _s: Answer(200, {"Content-Type": "application/json"}, slow_body, trickle_seconds=0.05)
        ) as slow,
    ):
        patient, hurried = _client("patient", 60.0), _client("hurried", 1.0)
        patient.request("GET", quick.url + "/warm")  # the pool's connection and the watchdog exist now
        started_here: list[str] = []
        start = threading.Thread.start

        def counted(thread: threading.Thread) -> None:
            if threading.current_thread() is threading.main_thread():  # not the servers' own threads
                started_here.append(thread.name)
            start(thread)

        monkeypatch.setattr(threading.Thread, "start", counted)
        for n in range(40):
            assert patient.request("GET", quick.url + f"/r{n}").body == {"ok": True}
        monkeypatch.undo()
        assert started_here == []  # forty requests, not one thread started for them
        assert sum(name == "http-deadlines" for name in _threads()) == 1
        started = time.monotonic()
        with pytest.raises(TransientError, match=r"did not finish within its 1s deadline"):
            hurried.request("GET", slow.url + "/data")  # its deadline is earlier than 40 pending ones
        took = time.monotonic() - started
        patient.close()
        hurried.close()
    assert took < 2.0  # the body alone would take over 20 s; every byte inside the read timeout


def test_an_exchange_that_finished_is_not_cut_when_its_deadline_passes() -> None:
    with HostileServer(lambda _s: json_answer({"ok": True})) as server:
        client = _client("brief", 0.3)
        assert client.request("GET", server.url + "/first").body == {"ok": True}
        time.sleep(0.5)  # the first exchange's deadline passes while its connection waits in the pool
        assert client.request("GET", server.url + "/second").body == {"ok": True}
        client.close()
    assert [seen.path for seen in server.seen] == ["/first", "/second"]
