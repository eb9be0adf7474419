"""bench/replay.py: the benchmark's replay serves a sandbox's recorded answers byte for byte, on the
sandbox's own address, in the order they were recorded; a request never recorded is a counted miss."""

from __future__ import annotations

from decimal import Decimal
from functools import partial

import pytest
import requests

from bench.replay import MISS_STATUS, Recording, ReplayServer
from connectors.sandbox.server import Request, Response, SandboxServer


def _sandbox() -> SandboxServer:
    served = {"n": 0}

    def handler(request: Request) -> Response:
        served["n"] += 1
        if request.path == "/token":
            return Response(200, {"access_token": f"t{served['n']}"})
        if request.arg("cut") == "1":
            return Response(200, {"data": list(range(300))}, truncate=True)
        total = Decimal("12.30") * len(request.body)
        return Response(200, {"page": request.arg("page"), "total": total, "名": "上海"}, {"X-Page": "p"})

    return SandboxServer(handler)


def _get(session: requests.Session, url: str, **kwargs: object) -> tuple[int, bytes, str | None]:
    response = session.request("POST", url, timeout=5, **kwargs)  # type: ignore[arg-type]
    return response.status_code, response.content, response.headers.get("X-Page")


def test_replay_answers_with_the_recorded_bytes_in_recorded_order_on_the_same_address() -> None:
    recording = Recording()
    sandbox = _sandbox().start()
    url = sandbox.url
    sandbox.recorder = partial(recording.keep, "vendor")
    with requests.Session() as session:
        live = [
            _get(session, f"{url}/token"),
            _get(session, f"{url}/token"),
            _get(session, f"{url}/list?page=2&thirdTraceId=a", data=b"abc"),
        ]
    sandbox.stop()
    assert recording.count == 3

    replay = ReplayServer(recording.answers("vendor"), url, name="vendor").start()
    try:
        with requests.Session() as session:
            again = [
                _get(session, f"{url}/token"),
                _get(session, f"{url}/token"),
                _get(session, f"{url}/list?thirdTraceId=b&page=2", data=b"abc"),  # a new trace id
                _get(session, f"{url}/token"),  # asked once more than recorded: the last answer again
            ]
            missed = _get(session, f"{url}/list?page=3", data=b"abc")
    finally:
        replay.stop()
    assert again[:3] == live
    assert live[0][1] != live[1][1]  # two different tokens, served back in the order sent
    assert again[3] == live[1]
    assert b'"total": 36.90' in live[2][1]  # the sandbox's exact number, byte for byte
    assert missed[0] == MISS_STATUS
    assert replay.misses == 1
    assert replay.request_counts == {"/token": 3, "/list": 2}


def test_a_recorded_cut_connection_is_cut_again() -> None:
    recording = Recording()
    sandbox = _sandbox().start()
    url = sandbox.url
    sandbox.recorder = partial(recording.keep, "vendor")
    with pytest.raises(requests.exceptions.ChunkedEncodingError):
        requests.get(f"{url}/x?cut=1", timeout=5).json()
    sandbox.stop()
    replay = ReplayServer(recording.answers("vendor"), url, name="vendor").start()
    try:
        with pytest.raises(requests.exceptions.ChunkedEncodingError):
            requests.get(f"{url}/x?cut=1", timeout=5).json()
    finally:
        replay.stop()
