"""The `recording()` stand-in fails a test that registered an answer nobody asked for."""

from __future__ import annotations

import pytest
import requests
import responses

from tests.connectors.fxiaoke.helpers import QUERY_URL, TOKEN_URL, calls_to, recording


def test_an_answer_registered_but_never_asked_for_fails_the_test() -> None:
    with pytest.raises(AssertionError, match="Not all requests have been executed"):  # noqa: PT012
        with recording() as mock:
            mock.add(responses.POST, TOKEN_URL, json={"errorCode": 0})
            mock.add(responses.POST, QUERY_URL, json={"errorCode": 0})
            requests.post(TOKEN_URL, json={}, timeout=5)


def test_calls_stay_readable_after_the_block_when_every_answer_was_asked_for() -> None:
    with recording() as mock:
        mock.add(responses.POST, TOKEN_URL, json={"errorCode": 0})
        requests.post(TOKEN_URL, json={"appId": "a"}, timeout=5)
    assert [r.body for r in calls_to(mock, TOKEN_URL)] == [b'{"appId": "a"}']


def test_a_failing_test_reports_its_own_failure_not_the_unfired_answers() -> None:
    with pytest.raises(ZeroDivisionError):  # noqa: PT012
        with recording() as mock:
            mock.add(responses.POST, TOKEN_URL, json={"errorCode": 0})
            _ = 1 / 0
