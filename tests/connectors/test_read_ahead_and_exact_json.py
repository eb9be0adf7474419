"""The stream kit's read-ahead (one page ahead, in order, closed early without waiting) and the HTTP
loop's fast JSON decoding keeping amounts and long ids exact end to end through a sandbox (issue 18)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest

from connectors.http import HttpClient, parse_json, parse_json_body
from connectors.sandbox.server import Request, Response, SandboxServer
from connectors.stream import read_ahead
from store.canonical import canonical_json_bytes


def test_read_ahead_reads_exactly_one_page_ahead_of_the_caller() -> None:
    produced: list[int] = []
    asked = threading.Condition()

    def source() -> Iterator[int]:
        for n in range(1, 6):
            with asked:
                produced.append(n)
                asked.notify_all()
            yield n

    pages = read_ahead(source())
    seen = []
    for page in pages:
        wanted = min(page + 1, 5)
        with asked:  # while the caller holds page n, page n+1 is read, and no further
            asked.wait_for(lambda: len(produced) >= wanted, timeout=10)  # noqa: B023 - waited here
        assert len(produced) == wanted
        seen.append(page)
    assert seen == [1, 2, 3, 4, 5]


def test_read_ahead_raises_the_sources_error_after_the_pages_read_before_it() -> None:
    def source() -> Iterator[int]:
        yield 1
        yield 2
        raise ValueError("page 3 is broken")

    pages = read_ahead(source())
    assert [next(pages), next(pages)] == [1, 2]
    with pytest.raises(ValueError, match="page 3 is broken"):
        next(pages)


def test_closing_read_ahead_early_closes_the_source_once_its_read_ends() -> None:
    closed = threading.Event()

    def source() -> Iterator[int]:
        try:
            yield from range(100)
        finally:
            closed.set()

    pages = read_ahead(source())
    assert next(pages) == 0
    pages.close()
    assert closed.wait(10)


AMOUNTS = b"""{"data": [
  {"id": 12345678901234567890, "big": 98765432109876543210987654321, "amount": 0.1, "tax": 0.2,
   "total": 0.30, "rate": 1.0e-7, "qty": 3}
]}"""


def test_a_sandboxs_amounts_and_twenty_digit_ids_arrive_exact() -> None:
    def handle(request: Request) -> Response:
        return Response(body=AMOUNTS, headers={"Content-Type": "application/json"})

    with SandboxServer(handle) as server:
        client = HttpClient("shop", interpret=lambda response, body: None, requests_per_second=100)
        try:
            body = client.request("GET", server.url + "/records").body
        finally:
            client.close()
    [row] = body["data"]
    assert row["id"] == 12345678901234567890
    assert type(row["id"]) is int
    assert row["big"] == 98765432109876543210987654321
    assert (row["amount"], row["tax"], row["total"]) == (Decimal("0.1"), Decimal("0.2"), Decimal("0.30"))
    assert row["amount"] + row["tax"] == row["total"]  # 0.1 + 0.2 == 0.3, not 0.30000000000000004
    assert str(row["total"]) == "0.30"  # as written: payload hashes unchanged
    assert str(row["rate"]) == "1.0E-7"
    assert canonical_json_bytes(row) == canonical_json_bytes(parse_json(AMOUNTS.decode())["data"][0])


@pytest.mark.parametrize(
    "body",
    [
        AMOUNTS,
        b'{"a": -0.0, "b": 1E400, "c": 5e-324, "k": 1, "k": 2, "s": "\\u4e0a\\u6d77"}',
        b"[" + b"9" * 5000 + b"]",  # over Python's digit limit: kept as an OverlongInteger
        b'{"a": "\\ud800"}',  # a lone surrogate escape
        b'{"name": "caf\xe9"}',  # not UTF-8: kept as a lone surrogate
        b"[NaN, Infinity]",
    ],
)
def test_the_fast_decoder_reads_every_body_as_the_standard_library_did(body: bytes) -> None:
    def shown(value: Any) -> str:
        return repr(value) if not hasattr(value, "digits") else f"overlong {value.digits}"

    fast, slow = parse_json_body(body), parse_json(body.decode("utf-8", errors="surrogateescape"))
    assert shown(fast) == shown(slow)
    assert type(fast) is type(slow)


def test_a_body_in_another_charset_is_read_in_it() -> None:
    assert parse_json_body('{"客户": 1.5}'.encode("gbk"), "GBK") == {"客户": Decimal("1.5")}
