"""Vendor API calls counted per connector per calendar month (UTC), for allowances such as QuickBooks'
metered CorePlus reads (api-notes quickbooks-xero-bank.md §1.6) — every connector alike.

Counted where the calls are made: the HttpClient observer (every exchange that got an answer, token
calls included, so the count is an upper bound of what a vendor meters). Kept in memory and added to
the store (store/api_calls.py) as pages are handed to the engine — at most every `FLUSH_EVERY_S`
seconds: a write transaction per page cost the syncing process ~1 ms a page and, on SQLite, a wait for
the write lock the writer process holds (issue 18) — when a stream's pages end and when the connector
closes. A crash loses the calls counted since the last write: at most those of the last few seconds
(and of `live_ids`/`count` passes, added when the connector closes). A failed write keeps the counts
in memory for the next one.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from datetime import datetime

import structlog

from connectors.base import Clock, Connector, Page, Stream
from connectors.http import Observer
from store.api_calls import SqlApiCalls, month_of
from sync.metrics import Sample
from sync.wrapping import ConnectorWrapper, StreamWrapper

METRIC = "ledgerbridge_api_calls_this_month"
FLUSH_EVERY_S = 5.0
"""While pages come, the counts are stored at most this often (and always when a stream's pages end)."""

log = structlog.get_logger(__name__)


class ApiMeter:
    """Calls per (connector, month) not yet stored; `observe` is an HttpClient observer."""

    def __init__(
        self, store: SqlApiCalls, clock: Clock, *, monotonic: Callable[[], float] = time.monotonic
    ) -> None:
        self._store = store
        self._clock = clock
        self._monotonic = monotonic
        self._lock = threading.Lock()
        self._pending: dict[tuple[str, str], int] = {}
        self._stored_at: float | None = None

    def observe(self, connector: str, endpoint: str, status: int, seconds: float) -> None:
        if status == 0:  # no answer: the vendor served nothing
            return
        key = (connector, month_of(self._clock()))
        with self._lock:
            self._pending[key] = self._pending.get(key, 0) + 1

    def flush_due(self) -> None:
        """`flush`, unless the counts were stored less than `FLUSH_EVERY_S` seconds ago."""
        stored_at = self._stored_at
        if stored_at is None or self._monotonic() - stored_at >= FLUSH_EVERY_S:
            self.flush()

    def flush(self) -> None:
        """Add the pending counts to the store; on failure keep them for the next flush (logged)."""
        with self._lock:
            taken, self._pending = self._pending, {}
            self._stored_at = self._monotonic()
        if not taken:
            return
        try:
            self._store.add(taken, self._clock())
        except Exception as exc:  # noqa: BLE001 - counting never fails a sync
            log.warning("sync.api_calls_not_stored", error=str(exc).splitlines()[0] if str(exc) else "")
            with self._lock:
                for key, calls in taken.items():
                    self._pending[key] = self._pending.get(key, 0) + calls


def both(first: Observer, second: Observer | None) -> Observer:
    """One observer that calls `first`, then `second` (when given)."""
    if second is None:
        return first

    def observe(connector: str, endpoint: str, status: int, seconds: float) -> None:
        first(connector, endpoint, status, seconds)
        second(connector, endpoint, status, seconds)

    return observe


class MeteredConnector(ConnectorWrapper):
    """A connector whose streams store the meter's counts as pages come (every few seconds), and whose
    `close` stores the rest; everything else is the inner connector's."""

    def __init__(self, inner: Connector, meter: ApiMeter) -> None:
        super().__init__(inner)
        self._meter = meter

    def wrap(self, stream: Stream) -> Stream:
        return _MeteredStream(stream, self._meter)

    def close(self) -> None:
        try:
            self._meter.flush()
        finally:
            super().close()


class _MeteredStream(StreamWrapper):
    def __init__(self, inner: Stream, meter: ApiMeter) -> None:
        super().__init__(inner)
        self._meter = meter

    def pages(self, since: datetime | None) -> Iterator[Page]:
        try:
            for page in self._inner.pages(since):
                self._meter.flush_due()  # the calls that read the pages so far, every few seconds
                yield page
        finally:
            self._meter.flush()


def month_samples(store: SqlApiCalls, now: datetime) -> list[Sample]:
    """`ledgerbridge_api_calls_this_month{connector}`: the calls stored for this month (UTC)."""
    return [
        Sample(METRIC, {"connector": name}, calls)
        for name, calls in sorted(store.month(month_of(now)).items())
    ]
