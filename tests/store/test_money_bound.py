"""The money bound holds where SQL sums: a document's lines add up like one amount, or it is quarantined,
and the sum of lines at that bound comes back exact from SQLite and PostgreSQL alike (ADR 0026)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy import Engine

from store.canonical import MONEY_LIMIT, MONEY_QUANTUM, to_minor_units
from store.reconcile_repository import DocumentSet, SqlReconcileRepository
from store.runs import SqlSyncLog
from sync.engine import SyncEngine
from tests.conftest import FixedClock
from tests.fakes import ListConnector, ListStream, pages, record

LARGEST = MONEY_LIMIT - MONEY_QUANTUM
"""The largest amount one field may hold: 9,999,999,999,999.9999."""


def _invoice(number: int, amounts: list[Decimal]) -> dict[str, Any]:
    lines = [{"product": "Turbine", "quantity": "1", "amount": str(a)} for a in amounts]
    return record(number, total=str(LARGEST), lines=lines)


def _sync(engine: Engine, clock: FixedClock, *records: dict[str, Any]) -> None:
    [run] = SyncEngine(engine, clock).run_connector(ListConnector([ListStream(pages(list(records)))]))  # type: ignore[arg-type]
    assert run.status == "ok"


def _line_sums(engine: Engine) -> dict[str, int | None]:
    rows = SqlReconcileRepository(engine).load_rows(DocumentSet(source="shop", kind="invoice", filters={}))
    return {row.external_id: row.lines_total for row in rows}


def test_lines_adding_up_to_the_largest_amount_sum_exactly_in_sql(engine: Engine, clock: FixedClock) -> None:
    half = Decimal("4999999999999.9999")
    _sync(
        engine,
        clock,
        _invoice(1, [half, half, MONEY_QUANTUM]),
        _invoice(2, [-half, -half, -MONEY_QUANTUM]),
        _invoice(3, [LARGEST]),
    )
    largest = to_minor_units(LARGEST)
    assert _line_sums(engine) == {"INV-1": largest, "INV-2": -largest, "INV-3": largest}


def test_a_document_whose_lines_add_up_beyond_one_amount_is_quarantined_naming_its_lines(
    engine: Engine, clock: FixedClock
) -> None:
    """93 lines at the largest amount: 9.3 * 10^18 minor units, past a signed 64-bit integer (SQLite's
    SUM raised "integer overflow" when the reconcile loaded them). Two lines just over the bound too."""
    over_int64 = _invoice(2, [LARGEST] * 93)
    just_over = _invoice(3, [LARGEST, MONEY_QUANTUM])
    mixed_signs = _invoice(4, [LARGEST, -LARGEST])  # nets to 0, but SQL adds them one by one
    _sync(engine, clock, record(1), over_int64, just_over, mixed_signs)
    reasons = {entry.external_id: entry.reason for entry in SqlSyncLog(engine).quarantined()}
    assert set(reasons) == {"INV-2", "INV-3", "INV-4"}
    assert "the 93 line amounts add up to 929999999999999.9907 in magnitude" in reasons["INV-2"]
    assert all(reason.startswith("lines: ") for reason in reasons.values())
    assert all("less than 10^13, like one amount" in reason for reason in reasons.values())
    assert _line_sums(engine) == {"INV-1": to_minor_units(Decimal("100.00"))}
