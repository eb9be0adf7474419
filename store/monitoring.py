"""What the daemon and the health checks ask the store: tick claims, the streams' state and failure
streaks, and exceptions counted by type (new in a run, or still open).

The shell asks, the store answers: sync/daemon.py and sync/health.py hold a `SqlMonitoring` and never
see a table or a statement (issue 16). The web app's dashboards read the same methods.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import Engine, delete, func, insert, select
from sqlalchemy.exc import IntegrityError

from store.audit_tables import job_claims
from store.db import write_transaction
from store.exception_counts import ExceptionScope, by_type, count_exceptions
from store.reconcile_tables import reconcile_exceptions
from store.runs import FAILED, OK, SqlSyncLog, StreamStatus
from store.tables import sync_runs

UNRESOLVED = ("open", "acknowledged")
"""The states of an exception nobody has resolved yet."""


class SqlMonitoring:
    """The daemon's and the health checks' questions, on SQLAlchemy Core."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._runs = SqlSyncLog(engine)

    # ------------------------------------------------------------------------- daemon ticks

    def claim_tick(
        self, job: str, tick: datetime, *, holder: str, now: datetime, retention: timedelta
    ) -> bool:
        """Claim one tick of a job for `holder`: True for the one replica whose claim row lands first,
        False when another replica claimed it already. Claims older than `retention` are dropped."""
        try:
            with write_transaction(self._engine) as conn:
                conn.execute(insert(job_claims).values(job=job, tick=tick, holder=holder, claimed_at=now))
                conn.execute(delete(job_claims).where(job_claims.c.claimed_at < now - retention))
        except IntegrityError:
            return False
        return True

    # ------------------------------------------------------------------------- exceptions

    def new_exceptions(self, run_id: int, examples: int = 5) -> tuple[dict[str, int], list[str]]:
        """Exceptions first seen in a reconciliation run: counts by type and the explanations of the
        first few (in id order)."""
        counts = by_type(count_exceptions(self._engine, ExceptionScope(first_run_id=run_id)))
        e = reconcile_exceptions.c
        query = select(e.explanation).where(e.first_run_id == run_id).order_by(e.id).limit(examples)
        with self._engine.connect() as conn:
            shown = [str(text) for text in conn.execute(query).scalars()]
        return counts, shown

    def open_exceptions(self) -> dict[str, int]:
        """Exceptions not yet resolved (open or acknowledged), by type."""
        return by_type(count_exceptions(self._engine, ExceptionScope(statuses=UNRESOLVED)))

    # ------------------------------------------------------------------------- streams

    def statuses(self, expected: Sequence[tuple[str, str]] = ()) -> list[StreamStatus]:
        """Every stream's state (store/runs.py `SqlSyncLog.statuses`)."""
        return self._runs.statuses(expected)

    def consecutive_failures(self, window: int) -> dict[tuple[str, str], int]:
        """Per (connector, stream), failed runs since the last successful one among its newest `window`
        finished runs (runs in progress or interrupted by a shutdown count neither way)."""
        r = sync_runs.c
        newest_first = func.row_number().over(partition_by=(r.connector, r.stream), order_by=r.id.desc())
        ranked = (
            select(r.connector, r.stream, r.status, newest_first.label("rank"))
            .where(r.status.in_((OK, FAILED)))
            .subquery()
        )
        query = select(ranked).where(ranked.c.rank <= window).order_by(ranked.c.rank)
        counts: dict[tuple[str, str], int] = {}
        broken: set[tuple[str, str]] = set()
        with self._engine.connect() as connection:
            for row in connection.execute(query):
                key = (row.connector, row.stream)
                if key in broken:
                    continue
                if row.status == FAILED:
                    counts[key] = counts.get(key, 0) + 1
                else:
                    broken.add(key)
        return counts
