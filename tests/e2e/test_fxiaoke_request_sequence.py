"""The Fxiaoke connector's requests, pinned: a full sync and an incremental sync (with the id sweep)
against the sandbox send exactly the queries recorded in fxiaoke_request_sequence.jsonl, in that order.

The recording was made on the generator-based `by_modification` paging before it moved onto the stream
kit (issue 16): the kit's version must ask for the same pages. The company has a bulk import larger than
a page (a tie walked by `_id` inside one millisecond), and the incremental run finds a full page of one
millisecond right at the keyset's lower bound (rows already seen at that millisecond are skipped).

To re-record after a deliberate change of requests: LEDGERBRIDGE_RECORD_SEQUENCE=1 pytest this file,
then review the diff of the recording like code.
"""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine

from connectors.sandbox.fxiaoke import FxiaokeDataset, FxiaokeSandbox
from store.canonical import DocumentKind, Status
from tests.conftest import FixedClock
from tests.connectors.fxiaoke.generate import generate_dataset
from tests.connectors.fxiaoke.support import fxiaoke
from tests.e2e.sync_support import sync

pytestmark = pytest.mark.slow

RECORDING = Path(__file__).with_name("fxiaoke_request_sequence.jsonl")
RECORD_ENV = "LEDGERBRIDGE_RECORD_SEQUENCE"
GENERATED_AT = datetime(2026, 11, 27, 7, 0, tzinfo=UTC)
EDITED_AT = GENERATED_AT + timedelta(minutes=30)
TIED = 130
"""Orders edited at EDITED_AT exactly: more than a page (100) of one millisecond."""


def _late_orders(dataset: FxiaokeDataset) -> None:
    """Three orders edited a millisecond before EDITED_AT, then TIED orders edited at EDITED_AT: the
    incremental run's second page starts at EDITED_AT with rows of it already seen, and is full of it."""
    open_orders = [d for d in dataset.truth(kind=DocumentKind.SALES_ORDER) if d.status is Status.OPEN]
    for order in open_orders[:3]:
        dataset.edit(order, modified_at=EDITED_AT - timedelta(milliseconds=1))
    for order in open_orders[3 : 3 + TIED]:
        dataset.edit(order, modified_at=EDITED_AT)
    for payment in dataset.truth(kind=DocumentKind.PAYMENT)[:2]:
        dataset.void(payment.external_id, modified_at=EDITED_AT)
        dataset.delete(payment.external_id)


def _sequence(engine: Engine, clock: FixedClock, tmp_path: Path) -> list[dict[str, Any]]:
    dataset = generate_dataset(orders=320, payments=0.3, invoices=0.3, max_lines=2, seed=16, now=GENERATED_AT)
    recorded: list[dict[str, Any]] = []
    with (
        FxiaokeSandbox(dataset, throttle=None, record_queries=True) as sandbox,
        fxiaoke(engine, clock, sandbox, tmp_path) as connector,
    ):
        for run, options in (("full", {}), ("incremental", {"sweep": True})):
            if run == "incremental":
                _late_orders(dataset)
                clock.advance(hours=1)
            sandbox.stats.queries.clear()
            sync(engine, clock, connector, **options)
            recorded.extend({"run": run, **query} for query in sandbox.stats.queries)
    return recorded


def _lines(sequence: list[dict[str, Any]]) -> list[str]:
    return [json.dumps(query, ensure_ascii=False, sort_keys=True) for query in sequence]


def _filters(query: dict[str, Any]) -> list[tuple[str, str]]:
    return [(f["field_name"], f["operator"]) for f in query["search_query_info"]["filters"]]


def test_a_full_and_an_incremental_sync_send_the_recorded_queries_in_the_recorded_order(
    engine: Engine, clock: FixedClock, tmp_path: Path
) -> None:
    sequence = _sequence(engine, clock, tmp_path)
    if os.environ.get(RECORD_ENV):
        RECORDING.write_text("\n".join(_lines(sequence)) + "\n", encoding="utf-8")
    recorded = RECORDING.read_text(encoding="utf-8").splitlines()

    assert _lines(sequence) == recorded
    # The recording exercises what the keyset must get right, so a re-recording cannot lose it:
    for run in ("full", "incremental"):
        queries = [q for q in sequence if q["run"] == run and q["dataObjectApiName"] == "SalesOrderObj"]
        assert ("last_modified_time", "EQ") in {f for q in queries for f in _filters(q)}, run
        assert ("_id", "GT") in {f for q in queries for f in _filters(q)}, run
    incremental = [q for q in sequence if q["run"] == "incremental"]
    assert ("last_modified_time", "GTE") in {f for q in incremental for f in _filters(q)}
    assert all(q["search_query_info"]["offset"] == 0 for q in sequence)
