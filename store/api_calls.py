"""The API call counts per connector per month (store/api_call_tables.py): added to by the sync shell's
meter (sync/api_meter.py), read by `sync status` and the daemon's metrics."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from sqlalchemy import Engine, select

from store.api_call_tables import api_calls
from store.db import write_transaction
from store.repository import _upsert


def month_of(moment: datetime) -> str:
    """The calendar month (UTC) a call is counted in: `YYYY-MM`."""
    return moment.strftime("%Y-%m")


class SqlApiCalls:
    """Counts of vendor API calls, one row per (connector, month)."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def add(self, counts: Mapping[tuple[str, str], int], now: datetime) -> None:
        """Add `counts` ((connector, month) -> calls) in one transaction; concurrent adders (threads,
        processes, replicas) each add their own, none overwrites another's."""
        rows = [(key, calls) for key, calls in counts.items() if calls > 0]
        if not rows:
            return
        with write_transaction(self._engine) as conn:
            for (connector, month), calls in sorted(rows):
                statement = _upsert(conn)(api_calls).values(
                    connector=connector, month=month, calls=calls, updated_at=now
                )
                conn.execute(
                    statement.on_conflict_do_update(
                        index_elements=[api_calls.c.connector, api_calls.c.month],
                        set_={"calls": api_calls.c.calls + calls, "updated_at": now},
                    )
                )

    def month(self, month: str) -> dict[str, int]:
        """Connector -> calls counted in `month` (`YYYY-MM`)."""
        c = api_calls.c
        with self._engine.connect() as conn:
            rows = conn.execute(select(c.connector, c.calls).where(c.month == month)).all()
        return {str(connector): int(calls) for connector, calls in rows}
