"""A hostile tenant whose `data/query` ignores `last_modified_time GTE`: every page by modification time
is the object's first page again, ending exactly at the bound the next query asks from. The sync of
that stream must stop quickly with an error naming what Fxiaoke did, while the other streams go on; the
stream's cursor stays where it was and no document gets a second revision (connectors/fxiaoke/paging.py,
`ByModification`)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import Engine

from connectors.sandbox.fxiaoke import FxiaokeDataset, FxiaokeSandbox, customer
from store.canonical import CanonicalDocument, DocumentKind, Line, PartyRef
from store.runs import SqlSyncLog
from sync.engine import SyncEngine
from tests.conftest import FixedClock, table_counts
from tests.connectors.fxiaoke.support import fxiaoke

SOURCE = "fxiaoke"
AT = datetime(2026, 11, 27, 7, 0, tzinfo=UTC)
ORDERS = 120
"""More than a page (100): the second page is asked for."""
OVERLAP = timedelta(minutes=5)


def _company() -> FxiaokeDataset:
    """A customer and ORDERS orders modified one second apart, all within the overlap of the last."""
    ds = FxiaokeDataset(clock=lambda: AT)
    party = ds.add(customer(ds.new_id(AT), "上海申远贸易有限公司", owner="1001"), modified_at=AT)
    for i in range(ORDERS):
        when = AT + timedelta(seconds=i)
        ds.add(
            CanonicalDocument(
                source=SOURCE,
                kind=DocumentKind.SALES_ORDER,
                external_id=ds.new_id(when),
                number=f"SO-{i:04d}",
                party=PartyRef(external_id=party.external_id, name="上海申远贸易有限公司"),
                issued_on=date(2026, 11, 27),
                total=Decimal("100.00"),
                lines=(
                    Line(
                        product="伺服电机", quantity=Decimal(1), unit_price=Decimal(100), amount=Decimal(100)
                    ),
                ),
            ),
            modified_at=when,
        )
    return ds


@pytest.mark.timeout(60)  # without the fix the stream pages forever
def test_a_tenant_ignoring_gte_fails_that_stream_only_without_moving_its_cursor_or_adding_revisions(
    engine: Engine, clock: FixedClock, tmp_path: Path
) -> None:
    streams = ["sales_orders", "accounts"]
    with (
        FxiaokeSandbox(_company(), throttle=None, record_queries=True) as sandbox,
        fxiaoke(engine, clock, sandbox, tmp_path) as connector,
    ):
        first = SyncEngine(engine, clock).run_connector(connector, streams=streams, overlap=OVERLAP)
        assert [(r.stream, r.ok) for r in first] == [("sales_orders", True), ("accounts", True)]
        runs = SqlSyncLog(engine)
        cursor = runs.cursor(SOURCE, "sales_orders")
        assert cursor == AT + timedelta(seconds=ORDERS - 1)
        before = table_counts(engine, "documents", "revisions")

        sandbox.ignored_filters = {"SalesOrderObj": frozenset({"last_modified_time GTE"})}
        sandbox.stats.queries.clear()
        clock.now += timedelta(hours=1)
        second = SyncEngine(engine, clock).run_connector(connector, streams=streams, overlap=OVERLAP)

    orders, accounts = second
    assert not orders.ok
    assert (orders.error or "").startswith("Fxiaoke ignored the last_modified_time GTE ")
    assert "made no progress" in (orders.error or "")
    assert accounts.ok
    by_time = [
        q
        for q in sandbox.stats.queries
        if q["dataObjectApiName"] == "SalesOrderObj"
        and q["search_query_info"]["orders"][0]["fieldName"] == "last_modified_time"
    ]
    assert len(by_time) == 2  # the first page, then the same page again: stop
    assert runs.cursor(SOURCE, "sales_orders") == cursor
    assert table_counts(engine, "documents", "revisions") == before
