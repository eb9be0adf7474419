"""The sync engine: fetch pages from a connector's stream, normalize, write each page with its cursor in
one transaction; quarantine what does not normalize; tombstone what a completed full pass did not see."""

from __future__ import annotations

import gc
import hashlib
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, fields
from datetime import datetime, timedelta
from decimal import InvalidOperation
from typing import Any

import structlog
from pydantic import ValidationError
from sqlalchemy import Engine

from connectors.base import Clock, Connector, Page, RawRecord, Stream, SweepableStream
from connectors.errors import ConnectorError, RecordError
from connectors.http import escaped_json, unreadable_reason
from store.canonical import canonical_json_bytes
from store.locks import connector_lock
from store.repository import (
    Deletion,
    Incoming,
    PageWrite,
    Rejected,
    RunRef,
    SqlLedgerRepository,
    page_records,
)
from store.runs import FAILED, INTERRUPTED, OK, RunRecord, SqlSyncLog
from sync.page_writer import (
    PARALLEL_AFTER_PAGES,
    SYNC_GC_THRESHOLD,
    PageWriteError,
    PageWriter,
    writer_mode,
)

log = structlog.get_logger(__name__)

Progress = Callable[[str, str, int], None]
"""Called after every committed page with (connector, stream, records of this run's committed pages)."""

DEFAULT_OVERLAP = timedelta(minutes=5)


@dataclass(frozen=True)
class SyncRunResult(RunRecord):
    """The outcome of one stream's run (its `sync_runs` row), as `sync run --json` prints it."""

    @property
    def run_id(self) -> int:
        return self.id

    @property
    def ok(self) -> bool:
        return self.status == OK

    @classmethod
    def from_record(cls, record: RunRecord) -> SyncRunResult:
        return cls(**{field.name: getattr(record, field.name) for field in fields(RunRecord)})

    def to_json(self) -> dict[str, Any]:
        """The INTERFACES.md shape: times as ISO-8601 UTC with a Z."""
        return {
            "connector": self.connector,
            "stream": self.stream,
            "status": self.status,
            "fetched": self.fetched,
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "deleted": self.deleted,
            "quarantined": self.quarantined,
            "cursor": iso(self.cursor),
            "started_at": iso(self.started_at),
            "finished_at": iso(self.finished_at),
            "error": self.error,
            "run_id": self.run_id,
        }


def iso(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat().replace("+00:00", "Z")


class SyncEngine:
    """Runs streams of any connector that implements connectors.base.Connector."""

    def __init__(
        self,
        engine: Engine,
        clock: Clock,
        *,
        parallel_after: int | None = PARALLEL_AFTER_PAGES,
        repair: bool = False,
    ) -> None:
        """`parallel_after`: pages a run writes itself before a writer process takes over the writes
        (sync/page_writer.py); None keeps every write in this process. `repair`: full runs rewrite the
        rows whose digest fails from the records they read again (store/digests.py, ADR 0020)."""
        writer_mode()  # a bad LEDGERBRIDGE_SYNC_WRITER is a configuration error, said before any run
        self._engine = engine
        self._clock = clock
        self._parallel_after = parallel_after
        self._repair = repair
        self._ledger = SqlLedgerRepository(engine)
        self._runs = SqlSyncLog(engine)

    def run_connector(
        self,
        connector: Connector,
        *,
        streams: Iterable[str] | None = None,
        full: bool = False,
        since: datetime | None = None,
        sweep: bool = False,
        overlap: timedelta = DEFAULT_OVERLAP,
        wait_seconds: float = 0.0,
        holder: str = "sync run",
        progress: Progress | None = None,
    ) -> list[SyncRunResult]:
        """Run the connector's streams (all, or those named) under the connector's lock, one after the
        other; a failed stream does not stop the others. Raises store.locks.LockHeld if another run holds
        the connector."""
        available = connector.streams()
        names = list(available) if streams is None else [s for s in streams if s in available]
        with (
            connector_lock(self._engine, connector.name, wait_seconds=wait_seconds, holder=holder) as lease,
            _fewer_collections(),
        ):
            self._runs.interrupt_running(connector.name, now=self._clock())
            return [
                self.run_stream(
                    connector,
                    name,
                    full=full,
                    since=since,
                    sweep=sweep,
                    overlap=overlap,
                    progress=progress,
                    guard=lease.check,
                )
                for name in names
            ]

    def run_stream(
        self,
        connector: Connector,
        stream_name: str,
        *,
        full: bool = False,
        since: datetime | None = None,
        sweep: bool = False,
        overlap: timedelta = DEFAULT_OVERLAP,
        progress: Progress | None = None,
        guard: Callable[[], None] | None = None,
    ) -> SyncRunResult:
        """One run of one stream. The caller holds the connector's lock (run_connector does)."""
        if full and since is not None:
            raise ValueError("a full resync reads everything: do not combine it with `since`")
        stream = connector.streams()[stream_name]
        cursor = self._runs.cursor(connector.name, stream_name)
        start = since if since is not None else (None if full or cursor is None else cursor - overlap)
        mode = "full" if full else "sweep" if sweep else "incremental"
        run = self._runs.start(connector.name, stream_name, mode=mode, since=start, now=self._clock())
        bound = log.bind(connector=connector.name, stream=stream_name, run_id=run.id, mode=mode)
        bound.info("sync.stream_started", since=iso(start), cursor=iso(cursor))
        try:
            run_cursor = self._pages(run, stream, start, full=full, progress=progress, guard=guard)
            if full:
                self._ledger.delete_unseen(run, now=self._clock())
            swept = False
            if sweep and isinstance(stream, SweepableStream):
                live = {str(i) for ids in stream.live_ids() for i in ids}
                self._ledger.delete_missing(run, live, now=self._clock())
                swept = True
            record = self._runs.finish(
                run,
                status=OK,
                now=self._clock(),
                cursor=None if stream.ordered else run_cursor,
                full=full,
                swept=swept,
            )
        except (ConnectorError, PageWriteError) as exc:  # this stream failed; the others may still run
            record = self._runs.finish(run, status=FAILED, now=self._clock(), error=str(exc))
            bound.error("sync.stream_failed", error=str(exc), error_type=type(exc).__name__)
            return SyncRunResult.from_record(record)
        except BaseException as exc:
            status = INTERRUPTED if isinstance(exc, KeyboardInterrupt | SystemExit) else FAILED
            self._finish_after_crash(run, status, f"{type(exc).__name__}: {exc}")
            raise
        result = SyncRunResult.from_record(record)
        bound.info(
            "sync.stream_finished",
            **{k: v for k, v in result.to_json().items() if k not in ("connector", "stream")},
        )
        return result

    # ------------------------------------------------------------------------- internals

    def _pages(
        self,
        run: RunRef,
        stream: Stream,
        start: datetime | None,
        *,
        full: bool,
        progress: Progress | None,
        guard: Callable[[], None] | None,
    ) -> datetime | None:
        """Fetch and commit every page; return the highest modification time seen (for unordered streams)."""
        committed = 0

        def on_committed(records: int) -> None:
            nonlocal committed
            committed += records
            log.debug(
                "sync.page", connector=run.connector, stream=run.stream, run_id=run.id, fetched=committed
            )
            if progress is not None:
                progress(run.connector, run.stream, committed)

        highest: datetime | None = None
        writer = PageWriter(self._engine, run, parallel_after=self._parallel_after, on_committed=on_committed)
        try:
            for page in stream.pages(start):
                incoming, rejects, deletions = normalize_page(run.connector, stream, page)
                page_max = _latest(incoming, page)
                if page_max is not None and (highest is None or page_max > highest):
                    highest = page_max
                if guard is not None:
                    guard()
                writer.write(
                    PageWrite(
                        documents=page_records(incoming),
                        rejects=tuple(rejects),
                        deletions=tuple(deletions),
                        fetched=len(page.records) + len(page.tombstones),
                        cursor=page_max if stream.ordered else None,
                        mark_seen=full,
                        repair=full and self._repair,
                        now=self._clock(),
                    )
                )
            writer.close()
        except BaseException:
            writer.abandon()
            raise
        return highest

    def _finish_after_crash(self, run: RunRef, status: str, error: str) -> None:
        try:
            self._runs.finish(run, status=status, now=self._clock(), error=error)
        except Exception:  # the original exception is re-raised by the caller; this one is logged
            log.exception("sync.cannot_record_failure", run_id=run.id)


@contextmanager
def _fewer_collections() -> Iterator[None]:
    """Run the cyclic garbage collector less often while syncing. Every record allocates a few dozen
    container objects (raw dicts, models, row tuples) that reference counting frees with its page; with
    the default threshold (700) a young-generation collection ran every ~15 records and cost ~15% of
    ingest time. Raised for the run only, and restored after (a daemon keeps its own setting)."""
    threshold = gc.get_threshold()
    gc.set_threshold(max(threshold[0], SYNC_GC_THRESHOLD), *threshold[1:])
    try:
        yield
    finally:
        gc.set_threshold(*threshold)


def normalize_page(
    connector: str, stream: Stream, page: Page
) -> tuple[list[Incoming], list[Rejected], list[Deletion]]:
    """Pure: split a page into documents that normalized, quarantined rejects and tombstones."""
    incoming: list[Incoming] = []
    rejects: list[Rejected] = []
    for raw in page.records:
        try:
            encoded = canonical_json_bytes(raw)
        except (TypeError, ValueError):  # an over-long integer, bytes that were not text: connectors.http
            rejects.append(_unreadable(raw))
            continue
        digest = hashlib.sha256(encoded).hexdigest()  # == store.canonical.payload_hash(raw)
        try:
            document = stream.normalize(raw)
        except (RecordError, ValidationError, ValueError, InvalidOperation) as exc:
            reason = _reason(exc)
        else:
            if document.source == connector:
                incoming.append(Incoming(document, digest, encoded))
                continue
            reason = f"normalizer produced source {document.source!r}, expected {connector!r}"
        rejects.append(
            Rejected(
                reason=reason, raw_json=encoded.decode("utf-8"), payload_hash=digest, external_id=_id(raw)
            )
        )
    deletions = []
    for tombstone in page.tombstones:
        deleted_at = None if tombstone.deleted_at is None else tombstone.deleted_at.isoformat()
        encoded = canonical_json_bytes(
            {"_deleted": True, "external_id": tombstone.external_id, "deleted_at": deleted_at}
        )
        digest = hashlib.sha256(encoded).hexdigest()
        raw_json = encoded.decode("utf-8")
        deletions.append(Deletion(external_id=tombstone.external_id, raw_json=raw_json, payload_hash=digest))
    return incoming, rejects, deletions


def _latest(incoming: Sequence[Incoming], page: Page) -> datetime | None:
    """The newest modification time of the page's records. Tombstone times never move the cursor: a
    deletion pass read before the records pass (Zoho's /deleted) would otherwise push the cursor past
    records not yet read, and a run cut between the two passes would skip them."""
    del page
    times = [i.document.source_modified_at for i in incoming if i.document.source_modified_at is not None]
    return max(times, default=None)


def _reason(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        problems = [
            f"{'.'.join(str(part) for part in error['loc']) or 'record'}: {error['msg']}"
            for error in exc.errors()
        ]
        return "; ".join(problems[:5]) + (f" (and {len(problems) - 5} more)" if len(problems) > 5 else "")
    if isinstance(exc, RecordError):
        return str(exc)
    return f"{type(exc).__name__}: {exc}"


def _unreadable(raw: RawRecord) -> Rejected:
    """A record that cannot even be hashed as it came: quarantined with the field and the reason, its
    payload kept as escaped ASCII JSON (the rest of the page goes on)."""
    reason = unreadable_reason(raw) or "the record cannot be encoded as JSON"
    raw_json = escaped_json(raw)
    digest = hashlib.sha256(raw_json.encode("ascii")).hexdigest()
    return Rejected(reason=reason, raw_json=raw_json, payload_hash=digest, external_id=_id(raw))


def _id(raw: RawRecord) -> str | None:
    """The record's id if it is where most vendors put it (only to help finding it in quarantine)."""
    for name in ("external_id", "id", "_id", "dataId"):
        value = raw.get(name) if isinstance(raw, Mapping) else None
        if isinstance(value, str | int) and not isinstance(value, bool) and str(value):
            return str(value)
    return None
