"""The stream kit: paginators as state machines (page number, page token, keyset), the cursor's place
in a request, and the one connection check."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from connectors.base import CheckResult, Said, say
from connectors.errors import AuthError, FatalApiError
from connectors.paging import (
    Answer,
    HttpRequest,
    KeysetPaginator,
    PageNumber,
    PageNumberThenToken,
    PageToken,
    paginate,
)
from connectors.stream import Cursor, check_connection, first_page_probe

BASE = HttpRequest("GET", "/things", {"per_page": 2})


def _more(answer: Answer) -> bool:
    return bool(answer.body.get("more"))


def _token(answer: Answer) -> object:
    return answer.body.get("token")


def _tokens(**kwargs: Any) -> PageToken:
    return PageToken(
        _more, _token, param="page_token", label="Vendor things", answer_field="next", per_page=2, **kwargs
    )


class Server:
    """Answers requests from a script of bodies, recording every request it was sent."""

    def __init__(self, bodies: Sequence[dict[str, Any] | None]) -> None:
        self.bodies = list(bodies)
        self.sent: list[HttpRequest] = []

    def __call__(self, request: HttpRequest) -> Answer | None:
        self.sent.append(request)
        body = self.bodies[len(self.sent) - 1]
        return None if body is None else Answer(body, body.get("rows", []))


def _read(server: Server, paginator: Any, handed: list[Sequence[Any]]) -> None:
    for answer in paginate(server, BASE, paginator):
        handed.append(answer.records)


def test_page_numbers_count_up_while_the_vendor_says_more_follow() -> None:
    server = Server([{"rows": [1], "more": True}, {"rows": [2], "more": True}, {"rows": [3], "more": False}])
    handed: list[Sequence[Any]] = []
    _read(server, PageNumber(_more), handed)
    assert [r.params for r in server.sent] == [{"per_page": 2, "page": n} for n in (1, 2, 3)]
    assert handed == [[1], [2], [3]]


def test_nothing_to_read_ends_the_pass_without_a_page() -> None:
    server = Server([None])
    handed: list[Sequence[Any]] = []
    _read(server, PageNumber(_more), handed)
    assert handed == []


def test_page_numbers_then_the_last_numbered_pages_token_with_the_page_parameter_dropped() -> None:
    bodies = [{"rows": [n], "more": True, "token": f"t{n}"} for n in (1, 2, 3)] + [{"rows": [4]}]
    server = Server(bodies)
    paginator = PageNumberThenToken(PageNumber(_more, last_page=2), _tokens(drop=("page",)))
    handed: list[Sequence[Any]] = []
    _read(server, paginator, handed)
    assert [r.params for r in server.sent] == [
        {"per_page": 2, "page": 1},
        {"per_page": 2, "page": 2},
        {"per_page": 2, "page_token": "t2"},
        {"per_page": 2, "page_token": "t3"},
    ]
    assert handed == [[1], [2], [3], [4]]


def test_a_repeated_token_is_an_error_after_the_page_that_carried_it_was_handed_on() -> None:
    server = Server([{"rows": [1], "more": True, "token": "x"}, {"rows": [2], "more": True, "token": "x"}])
    handed: list[Sequence[Any]] = []
    with pytest.raises(FatalApiError, match="Vendor things: the same page_token came back twice"):
        _read(server, _tokens(), handed)
    assert handed == [[1], [2]]


def test_more_records_without_a_token_is_an_error_saying_how_far_the_pass_got() -> None:
    bodies = [{"rows": [1], "more": True}, {"rows": [2], "more": True}, {"rows": [3], "more": True}]
    paginator = PageNumberThenToken(PageNumber(_more, last_page=3), _tokens(drop=("page",)))
    with pytest.raises(FatalApiError, match="more records after 6 but no next to reach them"):
        _read(Server(bodies), paginator, [])


@settings(max_examples=200, deadline=None)
@given(
    script=st.lists(
        st.tuples(st.booleans(), st.one_of(st.none(), st.sampled_from(["", "a", "b", "c", "d"]))),
        min_size=1,
        max_size=30,
    )
)
def test_a_token_paginator_ends_or_raises_for_any_token_sequence(
    script: list[tuple[bool, str | None]],
) -> None:
    bodies = [{"rows": [i], "more": more, "token": token} for i, (more, token) in enumerate(script)]
    bodies.append({"rows": [], "more": False})  # a server that runs out of script says it is done
    server = Server(bodies)
    handed: list[Sequence[Any]] = []
    problem = ""
    try:
        _read(server, _tokens(), handed)
    except FatalApiError as exc:
        problem = str(exc)
    if problem:
        assert "the same page_token came back twice" in problem or "but no next to reach" in problem
    else:
        assert not bodies[len(server.sent) - 1]["more"], "ended although the vendor said more follow"
    tokens = [r.params["page_token"] for r in server.sent[1:]]
    assert len(tokens) == len(set(tokens)), "a token was sent twice"
    assert len(server.sent) <= len(script) + 1


@dataclass(frozen=True)
class Query:
    after: str | None = None


def _keyed(rows: list[str], limit: int) -> Iterator[Answer]:
    def send(query: Query) -> Answer:
        chosen = sorted(r for r in rows if query.after is None or r > query.after)[:limit]
        return Answer(None, [{"id": r} for r in chosen])

    paginator = KeysetPaginator("id", lambda q, last: replace(q, after=last), limit=limit)
    return paginate(send, Query(), paginator)


def test_a_keyset_reads_every_row_once_in_key_order_and_stops_at_a_short_page() -> None:
    pages = [[r["id"] for r in answer.records] for answer in _keyed(["e", "a", "d", "b", "c"], 2)]
    assert pages == [["a", "b"], ["c", "d"], ["e"]]


def test_a_keyset_that_does_not_advance_is_an_error_before_its_rows_are_handed_on() -> None:
    def send(query: Query) -> Answer:
        return Answer(None, [{"id": "a"}, {"id": "b"}])  # a vendor ignoring the condition

    handed: list[Sequence[Any]] = []

    def drain() -> None:
        paginator = KeysetPaginator("id", lambda q, last: replace(q, after=last), limit=2)
        handed.extend(answer.records for answer in paginate(send, Query(), paginator))

    with pytest.raises(FatalApiError, match="keyset paging by id did not advance past b"):
        drain()
    assert len(handed) == 1


def test_the_cursor_goes_where_the_vendor_reads_it_and_nowhere_on_a_first_sync() -> None:
    since = datetime(2026, 11, 27, 8, 0, tzinfo=UTC)
    header = Cursor("header", "If-Modified-Since", lambda at: at.isoformat())
    query = Cursor("query", "modified_after", lambda at: at.strftime("%Y-%m-%d"))
    assert header.apply(BASE, since).headers == {"If-Modified-Since": "2026-11-27T08:00:00+00:00"}
    assert query.apply(BASE, since).params == {"per_page": 2, "modified_after": "2026-11-27"}
    assert header.apply(BASE, None) == BASE
    assert query.apply(BASE, None) == BASE


def test_a_failed_sign_in_skips_the_streams_and_a_signed_in_check_probes_each() -> None:
    def refused() -> Said:
        raise AuthError("invalid_client")

    def failing_read() -> Said:
        raise FatalApiError("no such module")

    a, b, sign_in = (
        say("check.stream", name="a"),
        say("check.stream", name="b"),
        say("check.sign_in", url="u"),
    )
    probes = [
        first_page_probe(a, lambda: say("check.first_page", count=2)),
        first_page_probe(b, failing_read),
    ]
    organization = say("check.organization_id", id="1")
    extra = [lambda: CheckResult(organization, True, say("check.zoho.organization_found", name="Co"))]
    assert check_connection(sign_in, refused, probes, extra=extra, skipped=[a, b]) == [
        CheckResult(sign_in, False, say("check.failed", error="invalid_client")),
        CheckResult(a, False, say("check.skipped")),
        CheckResult(b, False, say("check.skipped")),
    ]
    valid = say("check.token_valid", until="2026-12-01 10:00")
    assert check_connection(sign_in, lambda: valid, probes, extra=extra) == [
        CheckResult(sign_in, True, valid),
        CheckResult(organization, True, say("check.zoho.organization_found", name="Co")),
        CheckResult(a, True, say("check.first_page", count=2)),
        CheckResult(b, False, say("check.failed", error="no such module")),
    ]
