"""The engine's pure parts: splitting a page into documents, quarantine and tombstones; the JSON shape."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from connectors.base import Page, RawRecord, Tombstone
from store.canonical import CanonicalDocument, payload_hash
from store.runs import RunRecord
from sync.engine import SyncRunResult, normalize_page
from tests.fakes import ListStream, record


def test_a_page_splits_into_documents_rejects_and_tombstones_with_hashes_of_the_raw_payload() -> None:
    good = {**record(1), "total": Decimal("100.00")}
    page = Page(records=[good, record(2, total="abc"), {"kind": "invoice"}], tombstones=[Tombstone("INV-9")])
    incoming, rejects, deletions = normalize_page("shop", ListStream([]), page)
    assert [i.document.external_id for i in incoming] == ["INV-1"]
    assert incoming[0].payload_hash == payload_hash(good)
    assert b'"total":"100.00"' in incoming[0].raw_json
    assert [(r.external_id, r.reason.split(":")[0]) for r in rejects] == [
        ("INV-2", "total"),
        (None, "external_id"),
    ]
    assert [d.external_id for d in deletions] == ["INV-9"]


def test_a_document_claiming_another_source_is_quarantined() -> None:
    class Liar(ListStream):
        def normalize(self, raw: RawRecord) -> CanonicalDocument:
            return super().normalize(raw).model_copy(update={"source": "elsewhere"})

    incoming, [reject], _ = normalize_page("shop", Liar([]), Page(records=[record(1)]))
    assert incoming == []
    assert "normalizer produced source 'elsewhere'" in reject.reason


def test_the_run_result_has_the_documented_json_shape() -> None:
    when = datetime(2026, 11, 27, 8, tzinfo=UTC)
    record_ = RunRecord(
        id=7, connector="zoho-crm", stream="invoices", mode="incremental", status="ok", fetched=1200,
        created=40, updated=3, unchanged=1157, deleted=2, quarantined=1, since=None, cursor=when,
        started_at=when, finished_at=when, error=None, host="h", pid=1,
    )  # fmt: skip
    shape = SyncRunResult.from_record(record_).to_json()
    assert shape == {
        "connector": "zoho-crm", "stream": "invoices", "status": "ok", "fetched": 1200, "created": 40,
        "updated": 3, "unchanged": 1157, "deleted": 2, "quarantined": 1, "cursor": "2026-11-27T08:00:00Z",
        "started_at": "2026-11-27T08:00:00Z", "finished_at": "2026-11-27T08:00:00Z", "error": None, "run_id": 7,
        "count": None, "waited_seconds": None, "resets_at": None,
    }  # fmt: skip
