"""The shared sandbox server: loopback only, exact numbers on the wire, faults drawn as configured."""

from __future__ import annotations

from decimal import Decimal

import pytest
import requests

from connectors.http import parse_json
from connectors.sandbox.server import FaultPlan, Request, Response, SandboxServer, json_dumps


@pytest.mark.parametrize("host", ["0.0.0.0", "10.0.0.5", "192.168.1.10", "::", "example.com"])
def test_a_sandbox_refuses_to_bind_anything_but_loopback(host: str) -> None:
    with pytest.raises(ValueError, match="loopback"):
        SandboxServer(lambda request: Response(), host=host)


def test_amounts_go_on_the_wire_as_exact_json_numbers() -> None:
    body = {"total": Decimal("12.30"), "big": Decimal("98765432109.1234"), "name": "上海明辉"}
    text = json_dumps(body).decode("utf-8")
    assert text == '{"total": 12.30, "big": 98765432109.1234, "name": "上海明辉"}'
    assert parse_json(text) == body


def test_a_429_burst_answers_exactly_the_next_n_requests_then_the_seeded_rates_apply() -> None:
    plan = FaultPlan(burst_429=3, rate_500=1.0)
    assert [plan.draw() for _ in range(5)] == ["429", "429", "429", "500", "500"]
    first, second = FaultPlan(seed=7, rate_429=0.3), FaultPlan(seed=7, rate_429=0.3)
    draws = [first.draw() for _ in range(200)]
    assert draws == [second.draw() for _ in range(200)]  # a fault run replays exactly from its seed
    assert 30 < draws.count("429") < 90
    assert set(draws) == {"429", None}


def test_a_truncated_response_cuts_the_body_and_requests_sees_a_broken_read() -> None:
    def handler(request: Request) -> Response:
        return Response(200, {"data": list(range(200))}, truncate=request.arg("cut") == "1")

    with SandboxServer(handler) as server:
        assert requests.get(f"{server.url}/x", timeout=5).json() == {"data": list(range(200))}
        with pytest.raises(requests.exceptions.ChunkedEncodingError):
            requests.get(f"{server.url}/x?cut=1", timeout=5).json()
        assert server.request_counts == {"/x": 2}
