"""The stream kit fits a source that is not HTTP: the generic `Offset` paginator, a check without a
sign-in, and the jsonl connector read through them (its kind declared beside its stream, like a vendor's)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from connectors import jsonl
from connectors.base import CheckResult, Said, Tombstone, say
from connectors.errors import FatalApiError
from connectors.jsonl.connector import JsonlStream
from connectors.paging import Answer, Offset, paginate
from connectors.registry import CONNECTOR_KINDS
from connectors.stream import StreamBase, check_streams, first_page_probe
from store.canonical import DocumentKind
from tests.fakes import CONTEXT, T0, record


class Rows:
    """A source of `count` rows answering an offset; records every offset it was asked for."""

    def __init__(self, count: int, limit: int) -> None:
        self.count, self.limit = count, limit
        self.asked: list[int] = []

    def __call__(self, offset: int) -> Answer | None:
        self.asked.append(offset)
        rows = list(range(self.count))[offset : offset + self.limit]
        return Answer(None, [{"n": n} for n in rows]) if rows else None


def _offsets(count: int, limit: int, *, total: int | None) -> tuple[list[int], list[int]]:
    source = Rows(count, limit)
    paginator: Offset[int] = Offset(lambda _request, offset: offset, limit=limit, total=total)
    sizes = [len(answer.records) for answer in paginate(source, 0, paginator)]
    return source.asked, sizes


@pytest.mark.parametrize(
    ("count", "asked", "sizes"), [(5, [0, 2, 4], [2, 2, 1]), (4, [0, 2], [2, 2]), (0, [0], [])]
)
def test_an_offset_with_a_known_total_asks_for_exactly_the_pages_that_hold_rows(
    count: int, asked: list[int], sizes: list[int]
) -> None:
    assert _offsets(count, 2, total=count) == (asked, sizes)


def test_an_offset_without_a_total_stops_at_a_short_page_or_at_nothing() -> None:
    assert _offsets(5, 2, total=None) == ([0, 2, 4], [2, 2, 1])
    assert _offsets(4, 2, total=None) == ([0, 2, 4], [2, 2])


def test_an_offset_writes_its_position_where_the_caller_says() -> None:
    sent: list[dict[str, int]] = []

    def send(request: dict[str, int]) -> Answer:
        sent.append(request)
        return Answer(None, [{}] * (2 if len(sent) < 2 else 1))

    paginator: Offset[dict[str, int]] = Offset(lambda request, at: {**request, "offset": at}, limit=2)
    list(paginate(send, {"limit": 2}, paginator))
    assert sent == [{"limit": 2, "offset": 0}, {"limit": 2, "offset": 2}]


def test_a_source_without_a_sign_in_checks_its_extra_lines_then_each_stream() -> None:
    def unreadable() -> Said:
        raise FatalApiError("cannot read b.jsonl")

    a, b = say("check.read_stream", name="a"), say("check.read_stream", name="b")
    live = say("check.jsonl.live_records", count=3, path="a.jsonl")
    probes = [first_page_probe(a, lambda: live), first_page_probe(b, unreadable)]
    inbox = CheckResult(say("check.bank.inbox"), True, say("check.bank.no_inbox"))
    assert check_streams(probes, extra=[lambda: inbox]) == [
        inbox,
        CheckResult(a, True, live),
        CheckResult(b, False, say("check.failed", error="cannot read b.jsonl")),
    ]


def _write(path: Path, *lines: dict[str, Any]) -> Path:
    path.write_text("".join(json.dumps(line, ensure_ascii=False) + "\n" for line in lines), encoding="utf-8")
    return path


def _pages(stream: JsonlStream) -> list[tuple[list[str], Sequence[Tombstone]]]:
    return [([r["external_id"] for r in page.records], page.tombstones) for page in stream.pages(None)]


def test_jsonl_streams_are_declared_on_the_kit_and_the_registry_takes_the_packages_kind(
    tmp_path: Path,
) -> None:
    stream = JsonlStream("invoices", tmp_path / "x.jsonl", 2, CONTEXT)
    assert isinstance(stream, StreamBase)
    assert (stream.spec.name, stream.spec.kind, stream.kind, stream.ordered) == (
        "invoices",
        DocumentKind.INVOICE,
        DocumentKind.INVOICE,
        True,
    )
    assert JsonlStream("payments", tmp_path / "x.jsonl", 2, CONTEXT).kind is DocumentKind.PAYMENT
    assert CONNECTOR_KINDS["jsonl"] is jsonl.KIND
    assert jsonl.KIND.build is jsonl.build
    assert jsonl.KIND.streams is None


def test_a_file_of_whole_pages_ends_without_an_empty_page_and_tombstones_ride_with_their_page(
    tmp_path: Path,
) -> None:
    deleted = {"external_id": "INV-9", "_deleted": True, "source_modified_at": "2026-11-01T00:00:00+00:00"}
    path = _write(tmp_path / "d.jsonl", record(2), record(1), deleted, record(3))
    assert _pages(JsonlStream("documents", path, 2, CONTEXT)) == [
        (["INV-1"], [Tombstone("INV-9", T0)]),
        (["INV-2", "INV-3"], []),
    ]
    assert _pages(JsonlStream("documents", _write(tmp_path / "e.jsonl"), 2, CONTEXT)) == []
