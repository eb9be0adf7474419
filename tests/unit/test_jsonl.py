"""The generic JSON-lines connector: ordering, paging, the since filter, tombstones and validation."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from config.loader import ConfigError
from config.settings import JsonlSettings
from connectors.base import ConnectorDeps, Tombstone
from connectors.errors import FatalApiError, RecordError
from connectors.jsonl import build
from connectors.jsonl.connector import JsonlStream
from store.canonical import DocumentKind
from tests.check_lines import said
from tests.conftest import FakeTokenStore
from tests.fakes import CONTEXT, T0, record


def _write(path: Path, *lines: dict[str, Any] | str) -> Path:
    path.write_text(
        "\n".join(line if isinstance(line, str) else json.dumps(line, ensure_ascii=False) for line in lines)
        + "\n",
        encoding="utf-8",
    )
    return path


def _stream(path: Path, page_size: int = 2, name: str = "documents") -> JsonlStream:
    return JsonlStream(name, path, page_size, CONTEXT)


def _ids(stream: JsonlStream, since: datetime | None = None) -> list[list[str]]:
    return [[r["external_id"] for r in page.records] for page in stream.pages(since)]


def test_records_come_oldest_first_in_pages_of_the_configured_size(tmp_path: Path) -> None:
    path = _write(tmp_path / "d.jsonl", record(3), record(1), record(5), record(2), record(4))
    assert _ids(_stream(path)) == [["INV-1", "INV-2"], ["INV-3", "INV-4"], ["INV-5"]]


def test_since_keeps_records_modified_at_or_after_it(tmp_path: Path) -> None:
    path = _write(tmp_path / "d.jsonl", record(1), record(2), record(3))
    assert _ids(_stream(path, page_size=10), since=T0 + timedelta(minutes=2)) == [["INV-2", "INV-3"]]


def test_the_latest_line_of_an_id_wins(tmp_path: Path) -> None:
    path = _write(
        tmp_path / "d.jsonl", record(1, total="5.00", minutes=9), record(1, total="7.00", minutes=3)
    )
    [page] = list(_stream(path).pages(None))
    assert [r["total"] for r in page.records] == ["5.00"]


def test_a_deleted_line_becomes_a_tombstone_and_leaves_the_live_ids(tmp_path: Path) -> None:
    gone = {
        "external_id": "INV-2",
        "_deleted": True,
        "source_modified_at": (T0 + timedelta(hours=1)).isoformat(),
    }
    path = _write(tmp_path / "d.jsonl", record(1), record(2), gone)
    stream = _stream(path, page_size=10)
    [page] = list(stream.pages(None))
    assert [r["external_id"] for r in page.records] == ["INV-1"]
    assert page.tombstones == [Tombstone("INV-2", T0 + timedelta(hours=1))]
    assert [i for ids in stream.live_ids() for i in ids] == ["INV-1"]


def test_normalize_keeps_amounts_exact_and_uses_the_connector_name_as_source(tmp_path: Path) -> None:
    document = _stream(tmp_path / "x").normalize(record(1, total="98765432109.1234", source="elsewhere"))
    assert document.source == "shop"
    assert document.total == Decimal("98765432109.1234")
    assert document.kind is DocumentKind.INVOICE
    assert document.source_modified_at == T0 + timedelta(minutes=1)


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"external_id": None}, "external_id"),
        ({"total": "abc"}, "total"),
        ({"issued_on": "2026-02-30"}, "issued_on"),
        ({"currency": "yuan"}, "currency"),
        ({"total": "1.00001"}, "total"),
        ({"colour": "red"}, "colour"),
    ],
)
def test_a_malformed_record_is_a_record_error_naming_the_field(
    tmp_path: Path, change: dict[str, Any], field: str
) -> None:
    raw = {key: value for key, value in {**record(1), **change}.items() if value is not None}
    with pytest.raises(RecordError) as caught:
        _stream(tmp_path / "x").normalize(raw)
    assert caught.value.field is not None
    assert caught.value.field.startswith(field)


def test_a_line_that_is_not_json_is_handed_over_and_refused_by_normalize(tmp_path: Path) -> None:
    path = _write(tmp_path / "d.jsonl", record(1), "{not json")
    stream = _stream(path, page_size=10)
    [page] = list(stream.pages(None))
    broken = [r for r in page.records if "_invalid_json" in r]
    assert len(broken) == 1
    with pytest.raises(RecordError, match="line 2 is not valid JSON"):
        stream.normalize(broken[0])


def test_a_stream_named_after_a_kind_refuses_other_kinds(tmp_path: Path) -> None:
    stream = _stream(tmp_path / "x", name="payments")
    assert stream.normalize({**record(1), "kind": "payment", "lines": []}).kind is DocumentKind.PAYMENT
    with pytest.raises(RecordError, match="kind"):
        stream.normalize(record(1))


def _deps() -> ConnectorDeps:
    return ConnectorDeps(
        token_store=FakeTokenStore(), resolve=str, context=CONTEXT, clock=lambda: datetime.now(UTC)
    )


def test_several_streams_need_a_stream_placeholder_in_the_path(tmp_path: Path) -> None:
    settings = JsonlSettings(kind="jsonl", name="shop", path=str(tmp_path / "all.jsonl"), streams=["a", "b"])
    with pytest.raises(ConfigError, match=r"\{stream\}"):
        build(settings, _deps())


def test_check_reports_a_missing_file_as_failing_and_a_readable_one_as_working(tmp_path: Path) -> None:
    _write(tmp_path / "invoices.jsonl", record(1), record(2))
    settings = JsonlSettings(
        kind="jsonl", name="shop", path=str(tmp_path / "{stream}.jsonl"), streams=["invoices", "payments"]
    )
    results = {r.what: r for r in said(build(settings, _deps()).check())}
    assert results["read stream invoices"].ok
    assert "2 live records" in results["read stream invoices"].detail
    assert not results["read stream payments"].ok
    with pytest.raises(FatalApiError, match="cannot read"):
        list(build(settings, _deps()).streams()["payments"].pages(None))
