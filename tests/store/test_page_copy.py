"""PostgreSQL page writes with COPY (store/page_rows.py, issue 18) leave exactly the rows the executemany
path leaves: the same pages through both, each into its own fresh database, and every row of every table
the page write touches compared — documents with their keyed digests, lines, allocations, revisions,
quarantine, the run's counters and the cursor. The pages take every road: new documents, updates (lines
growing, shrinking and vanishing), the same page again (no revision), a vendor's deletions and tombstone
entries, a return from the dead, a quarantined record; with amounts at the money bound, 20-digit ids,
Chinese text and the NUL-free Big List of Naughty Strings (tests/fixtures/blns) in every free-text field."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from psycopg import DataError
from sqlalchemy import Engine, text

from connectors.base import Page
from store.canonical import MONEY_LIMIT, MONEY_QUANTUM
from store.codec import REVISION_COLUMNS
from store.db import make_engine, upgrade
from store.integrity import attach_seal, seal_from_secret_key
from store.page_rows import CopyRows
from store.repository import Deletion, PageCounts, SqlLedgerRepository, text_array
from store.runs import SqlSyncLog
from sync.engine import normalize_page
from tests.conftest import _postgres_base, _throwaway_postgres
from tests.fakes import ListStream, record

NOW = datetime(2026, 12, 5, 8, 0, tzinfo=UTC)
LARGEST = MONEY_LIMIT - MONEY_QUANTUM
KEY = b"pDCeCzOk3CnW0b9lTRiOvM1H8Ttr7Qz6SgFJ0lZzR4k="
BLNS: list[str] = [
    s
    for s in json.loads((Path(__file__).parents[1] / "fixtures" / "blns" / "blns.json").read_text("utf-8"))
    if s.strip() and "\x00" not in s
]
TABLES = {
    "documents": "id",
    "document_lines": "document_id, position",
    "allocations": "document_id, position",
    "revisions": "id",
    "quarantine": "id",
    "sync_runs": "id",
    "sync_state": "connector, stream",
}


def _weird(index: int) -> str:
    return BLNS[index % len(BLNS)]


def _invoice(number: int, *, lines: int = 2, version: int = 0, **extra: Any) -> dict[str, Any]:
    """An invoice with a 20-digit id, `lines` lines of naughty text and amounts up to the money bound."""
    top = LARGEST if lines == 1 else LARGEST - 1000  # the lines of a document add up like one amount
    amounts = [top, -top, MONEY_QUANTUM, top]
    body = [
        {
            "product": _weird(number * 7 + i),
            "sku": f"SKU-{i}-{_weird(number + i)[:20]}",
            "description": f"第{i}行 {_weird(number * 3 + i)}",
            "quantity": "1.5" if i % 2 else "2",
            "unit_price": "0.0001",
            "amount": str(amounts[(number + i) % len(amounts)]) if i == 0 else f"{i * 100 + version}.25",
            "tax": "0.13",
        }
        for i in range(lines)
    ]
    return {
        **record(number, total=str(LARGEST if number % 2 else -LARGEST), minutes=number + version),
        "external_id": f"{41508680000000000000 + number}",
        "number": f"发票-{number:06d} {_weird(number)}",
        "party": {
            "external_id": f"{90000000000000000000 + number}",
            "name": f"上海申远贸易有限公司 {_weird(number + 1)}",
        },
        "owner": f"王芳 {_weird(number + 2)}",
        "raw_status": _weird(number + 3)[:200],
        "subtotal": "0.3",
        "tax": "-0.0001",
        "exchange_rate": "7.123456789",
        "references": {"crm_id": f"{41508680000000000000 + number}", "备注": _weird(number + 4)},
        "lines": body,
        **extra,
    }


def _pages() -> Iterator[tuple[list[dict[str, Any]], list[Deletion]]]:
    first = [_invoice(n, lines=n % 4) for n in range(1, 41)]
    yield first, []
    # a third unchanged; the others updated with one line more, or none / one (from 0 to 3 before);
    # and one malformed record
    second = [
        _invoice(n, lines=n % 4)
        if n % 3 == 2
        else _invoice(n, lines=n % 4 + 1 if n % 3 == 0 else n % 2, version=1)
        for n in range(1, 41)
    ]
    yield [*second, {**_invoice(99), "total": "not money"}], []
    yield second, []  # the same page again: nothing new
    gone = [
        Deletion(
            external_id=f"{41508680000000000000 + n}", raw_json='{"_deleted":true}', payload_hash=f"{n:064d}"
        )
        for n in (5, 6, 7)
    ]
    tombstones = [_invoice(n, status="deleted") for n in (8, 9, 500)]  # 500: never seen, kept as a tombstone
    yield tombstones, gone
    yield [_invoice(5, lines=2, version=7), _invoice(8, lines=1, version=7)], []  # back from the dead


def _write_all(engine: Engine, *, copy: bool) -> list[PageCounts]:
    ledger = SqlLedgerRepository(engine, copy=copy)
    counts = []
    for index, (records, deletions) in enumerate(_pages()):
        run = SqlSyncLog(engine).start("shop", "invoices", mode="full", since=None, now=NOW)
        incoming, rejects, _ = normalize_page("shop", ListStream([]), Page(records=records))
        counts.append(
            ledger.apply_page(
                run,
                documents=incoming,
                rejects=rejects,
                deletions=deletions,
                fetched=len(records),
                cursor=NOW - timedelta(hours=index),
                mark_seen=True,
                now=NOW + timedelta(minutes=index),
            )
        )
    return counts


def _rows(engine: Engine) -> dict[str, list[dict[str, Any]]]:
    with engine.connect() as conn:
        return {
            table: [
                dict(row) for row in conn.execute(text(f"SELECT * FROM {table} ORDER BY {order}")).mappings()
            ]
            for table, order in TABLES.items()
        }


@pytest.fixture
def two_ledgers(tmp_path: Path) -> Iterator[tuple[Engine, Engine]]:
    base = _postgres_base()
    with _throwaway_postgres(base, "copy") as copied, _throwaway_postgres(base, "many") as executed:
        engines = (make_engine(copied), make_engine(executed))
        try:
            for index, engine in enumerate(engines):
                upgrade(engine)
                attach_seal(
                    engine, seal_from_secret_key(KEY, head_file=tmp_path / f"{index}.head", origin="t")
                )
            yield engines
        finally:
            for engine in engines:
                engine.dispose()


def test_copy_and_executemany_leave_the_same_rows(two_ledgers: tuple[Engine, Engine]) -> None:
    copied, executed = two_ledgers
    assert len(BLNS) > 400
    counts = _write_all(copied, copy=True)
    assert counts == _write_all(executed, copy=False)
    # every road was taken: creates, updates, unchanged, deletions, tombstones, quarantine, restores
    assert counts[0] == PageCounts(created=40)
    assert counts[1] == PageCounts(updated=27, unchanged=13, quarantined=1)
    assert counts[2] == PageCounts(unchanged=40)
    assert counts[3].deleted == 6
    assert counts[4].updated == 2
    mine, theirs = _rows(copied), _rows(executed)
    for table in TABLES:
        assert mine[table] == theirs[table], table
    assert len(mine["revisions"]) > len(mine["documents"]) > 40
    assert all(row["digest"] is not None for row in mine["documents"])  # every row sealed
    stored = {row["external_id"]: row for row in mine["documents"]}
    assert stored["41508680000000000001"]["total"] == 10**17 - 1  # the money bound, in minor units
    assert stored["41508680000000000500"]["deleted"]  # a tombstone of a record never seen
    lines = {row["description"] for row in mine["document_lines"]}
    assert len(lines) > 40
    assert any("第" in line for line in lines)


def test_keys_bound_as_array_text_read_back_as_themselves(two_ledgers: tuple[Engine, Engine]) -> None:
    """The page's key lookup binds its keys as a text[] literal built by `text_array`: every naughty
    string (quotes, backslashes, braces, commas, blanks, "NULL", Chinese) must come back unchanged."""
    engine, _ = two_ledgers
    keys = [*BLNS, "", "NULL", "null", " a ", 'a"b', "a\\b", "{x,y}", "\\", '"', "第一张"]
    with engine.connect() as conn:
        stored = conn.execute(text("SELECT CAST(:keys AS text[])"), {"keys": text_array(keys)}).scalar_one()
    assert stored == keys


def test_a_page_of_naughty_ids_is_found_again(two_ledgers: tuple[Engine, Engine]) -> None:
    """External ids with every naughty string: the second write of the same page finds each document
    (the lookup's array), so nothing is created twice."""
    engine, _ = two_ledgers
    ledger = SqlLedgerRepository(engine)
    records = [{**_invoice(n, lines=1), "external_id": f"{n}:{_weird(n)}"} for n in range(1, 201)]
    counts = []
    for index in range(2):
        run = SqlSyncLog(engine).start("shop", "invoices", mode="full", since=None, now=NOW)
        incoming, rejects, _ = normalize_page("shop", ListStream([]), Page(records=records))
        assert not rejects
        counts.append(
            ledger.apply_page(
                run, documents=incoming, fetched=len(records), now=NOW + timedelta(minutes=index)
            )
        )
    assert counts == [PageCounts(created=200), PageCounts(unchanged=200)]


def test_copy_refuses_text_bytes_that_are_not_utf8(two_ledgers: tuple[Engine, Engine]) -> None:
    """Revision texts go to COPY as their UTF-8 bytes, unchecked here: the server checks them."""
    engine, _ = two_ledgers
    bad = (1, 1, "created", None, "0" * 64, b'{"a":"\xff"}', b"{}", NOW.replace(tzinfo=None))
    with pytest.raises(DataError), engine.begin() as conn:
        CopyRows().insert(conn, "revisions", REVISION_COLUMNS, [bad], utf8=("raw_payload", "snapshot"))
