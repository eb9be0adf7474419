"""Quarantine reasons as data in the store, on SQLite and PostgreSQL: a sync keeps each rejected record's
field, rule and value beside its English sentence (migration 0009), the open quarantine is counted per
field and rule, and a row quarantined before 0009 still reads back with its sentence."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, text

from store.db import make_engine, upgrade
from store.runs import SqlSyncLog
from store.sync_status import QuarantineGroup, SqlSyncStatus
from sync.engine import SyncEngine
from tests.conftest import FixedClock
from tests.fakes import ListConnector, ListStream, pages, record


def _sync(engine: Engine, clock: FixedClock, records: list[dict[str, Any]]) -> None:
    [run] = SyncEngine(engine, clock).run_connector(ListConnector([ListStream(pages(records))]))
    assert run.status == "ok", run.error


def test_a_sync_stores_each_rejected_records_field_rule_and_value_and_counts_them_per_field(
    engine: Engine, clock: FixedClock
) -> None:
    bad = [
        record(2, total="12,345.25"),
        record(3, total="abc"),
        record(4, issued_on="28/10/2026"),
        {k: v for k, v in record(5).items() if k != "external_id"},
    ]
    _sync(engine, clock, [record(1), *bad])

    held = {e.external_id: e for e in SqlSyncLog(engine).quarantined()}
    assert {k: (e.reason_field, e.reason_rule, e.reason_value) for k, e in held.items()} == {
        "INV-2": ("total", "not_a_number", "'12,345.25'"),
        "INV-3": ("total", "not_a_number", "'abc'"),
        "INV-4": ("issued_on", "not_a_date", "'28/10/2026'"),
        None: ("external_id", "missing", None),
    }
    assert held["INV-2"].reason.startswith("total: ")  # the English sentence stays as it was
    assert SqlSyncStatus(engine).quarantine_by_field() == [
        QuarantineGroup("shop", "invoices", "total", "not_a_number", 2),
        QuarantineGroup("shop", "invoices", "external_id", "missing", 1),
        QuarantineGroup("shop", "invoices", "issued_on", "not_a_date", 1),
    ]


def test_a_record_quarantined_again_for_another_reason_keeps_the_newest(
    engine: Engine, clock: FixedClock
) -> None:
    _sync(engine, clock, [record(1, total="abc")])
    with engine.begin() as conn:  # the same payload, held before under another rule
        conn.execute(text("UPDATE quarantine SET reason_rule = 'invalid', reason_field = 'x'"))
    _sync(engine, clock, [record(1, total="abc")])

    [entry] = SqlSyncLog(engine).quarantined()
    assert (entry.reason_field, entry.reason_rule, entry.count) == ("total", "not_a_number", 2)


def test_a_row_quarantined_before_0009_reads_back_with_its_sentence_and_is_counted_apart(
    empty_database_url: str,
) -> None:
    engine = make_engine(empty_database_url)
    try:
        upgrade(engine, "0008")
        with engine.begin() as conn:  # as an older release wrote it
            conn.execute(
                text(
                    "INSERT INTO quarantine (source, stream, external_id, reason, raw_payload, payload_hash,"
                    " first_seen_at, last_seen_at, count)"
                    " VALUES ('shop', 'invoices', 'INV-7', 'total: Input should be a valid decimal',"
                    " '{\"total\":\"abc\"}', 'h', '2026-11-27 08:00:00', '2026-11-27 08:00:00', 1)"
                )
            )
        upgrade(engine)

        [entry] = SqlSyncLog(engine).quarantined()
        assert (entry.external_id, entry.reason) == ("INV-7", "total: Input should be a valid decimal")
        assert (entry.reason_field, entry.reason_rule, entry.reason_value) == (None, None, None)
        assert SqlSyncStatus(engine).quarantine_by_field() == [
            QuarantineGroup("shop", "invoices", None, None, 1)
        ]
    finally:
        engine.dispose()
