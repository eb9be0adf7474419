"""The sync engine: fetch pages from a connector's stream, normalize, write each page with its cursor in
one transaction; quarantine what does not normalize; tombstone what a completed full pass did not see."""

from __future__ import annotations

import gc
import hashlib
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import closing, contextmanager
from dataclasses import dataclass, fields, replace
from datetime import datetime, timedelta
from decimal import InvalidOperation
from typing import Any, TypeVar

import structlog
from pydantic import ValidationError

from config.redaction import redact_optional
from connectors.base import (
    Clock,
    Connector,
    CountableStream,
    Page,
    RawRecord,
    SelfSweepingStream,
    Stream,
    SweepableStream,
)
from connectors.errors import ConnectorError, QuotaExhaustedError, RecordError
from connectors.http import escaped_json, unreadable_error
from connectors.reasons import Rule, shown, validation_rule, validation_value
from connectors.stream import read_ahead
from store.canonical import canonical_json_bytes
from store.db import Engine
from store.locks import LockLost, connector_lock
from store.repository import (
    Deletion,
    Incoming,
    PageWrite,
    Rejected,
    RunRef,
    SqlLedgerRepository,
    page_records,
)
from store.runs import COUNT_ERROR, FAILED, INTERRUPTED, OK, RunRecord, SqlSyncLog, StreamCount
from sync.page_writer import (
    PARALLEL_AFTER_PAGES,
    SYNC_GC_THRESHOLD,
    PageWriteError,
    PageWriter,
    WriterPool,
    writer_mode,
)

log = structlog.get_logger(__name__)

Progress = Callable[[str, str, int], None]
"""Called after every committed page with (connector, stream, records of this run's committed pages)."""

DEFAULT_STREAM_CONCURRENCY = 2
"""Streams of one connector that run at once when its `limits.concurrency` is not set: they share the
connector's request budget and its HTTP client's cap on requests in flight (ADR 0030)."""
MAX_STREAMS = 4
"""Streams that run at once in one process, over all connectors (each may have a writer process); also
the bound on a sync's writer processes (ADR 0038): a stream in flight without one writes its pages in
the syncing process, which is the bound of an HTTP sync."""

_STREAM_SLOTS = threading.BoundedSemaphore(MAX_STREAMS)


def streams_at_once(limits_concurrency: int | None) -> int:
    """How many of a connector's streams run at once: its `limits.concurrency`, else the default."""
    return limits_concurrency or DEFAULT_STREAM_CONCURRENCY


DEFAULT_OVERLAP = timedelta(minutes=5)
DEFAULT_MAX_CLOCK_SKEW = timedelta(days=1)
"""How far ahead of this host's clock a record's source modification time may be before the record is
quarantined (the connector setting `max_clock_skew_minutes`): such a time would move the cursor past
every record modified until then, and nothing would be fetched again (one record dated 9999-12-31)."""


@dataclass(frozen=True)
class SyncRunResult(RunRecord):
    """The outcome of one stream's run (its `sync_runs` row), as `sync run --json` prints it."""

    @property
    def run_id(self) -> int:
        return self.id

    @property
    def recorded(self) -> bool:
        """False when the run could not even be recorded (the database refused its `sync_runs` row)."""
        return self.id > 0

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
            "error": redact_optional(self.error),
            "run_id": self.run_id if self.recorded else None,
            "count": count_json(self),
            "waited_seconds": self.waited_seconds,
            "resets_at": iso(self.resets_at),
        }


def count_json(run: RunRecord) -> dict[str, Any] | None:
    """The run's completeness check as `--json` prints it (None: the run did not check)."""
    if run.count_check is None:
        return None
    return {
        "check": run.count_check,
        "vendor": run.vendor_count,
        "ledger": run.ledger_count,
        "quarantined": run.quarantine_count,
        "drift": run.count_drift,
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
        ledger: SqlLedgerRepository | None = None,
        runs: SqlSyncLog | None = None,
    ) -> None:
        """`parallel_after`: pages a run writes itself before a writer process takes over the writes
        (sync/page_writer.py); None keeps every write in this process. `repair`: full runs rewrite the
        rows whose digest fails from the records they read again (store/digests.py, ADR 0020).
        `ledger`, `runs`: the repositories the runs read and record through (default: the store's, on
        `engine`, which the lock and the writer process use too)."""
        writer_mode()  # a bad LEDGERBRIDGE_SYNC_WRITER is a configuration error, said before any run
        self._engine = engine
        self._clock = clock
        self._parallel_after = parallel_after
        self._repair = repair
        self._ledger = ledger or SqlLedgerRepository(engine)
        self._runs = runs or SqlSyncLog(engine)
        self._stop = threading.Event()  # set when an interruption reached the thread waiting for others
        self._pool_lock = threading.Lock()
        self._pool: WriterPool | None = None  # the writer processes of the sync under way (ADR 0038)
        self._pool_users = 0

    def run_connector(
        self,
        connector: Connector,
        *,
        streams: Iterable[str] | None = None,
        full: bool = False,
        since: datetime | None = None,
        sweep: bool = False,
        verify: bool = False,
        overlap: timedelta = DEFAULT_OVERLAP,
        max_clock_skew: timedelta = DEFAULT_MAX_CLOCK_SKEW,
        wait_seconds: float = 0.0,
        holder: str = "sync run",
        progress: Progress | None = None,
        concurrency: int = 1,
    ) -> list[SyncRunResult]:
        """Run the connector's streams (all, or those named) under the connector's lock, up to
        `concurrency` at once (the connector's `limits.concurrency`: they share its budget), each with
        its own run, page transactions and cursor as before; a stream another one must finish first
        (`Stream.after`, e.g. Books payments after invoices) waits for it. A failed stream (whatever
        failed: the vendor, the database, the disk) does not stop the others. Results come in the
        streams' order. Raises store.locks.LockHeld if another run holds the connector, and the
        database's error if the lock itself cannot be taken; a lost lock or an interruption stops
        every stream and is raised once they stopped."""
        available = connector.streams()
        names = _dependencies_first(
            available, list(available) if streams is None else [s for s in streams if s in available]
        )
        with (
            self._writers(),  # the streams' runs share its writer processes (ADR 0038)
            connector_lock(self._engine, connector.name, wait_seconds=wait_seconds, holder=holder) as lease,
            _fewer_collections(),
        ):
            self._runs.interrupt_running(connector.name, now=self._clock())

            def guard() -> None:
                if self._stop.is_set():  # Ctrl-C reached the thread waiting for this one: stop here
                    raise KeyboardInterrupt
                lease.check()

            def one(name: str) -> SyncRunResult:
                with _STREAM_SLOTS:
                    return self.run_stream(
                        connector,
                        name,
                        full=full,
                        since=since,
                        sweep=sweep,
                        verify=verify,
                        overlap=overlap,
                        max_clock_skew=max_clock_skew,
                        progress=progress,
                        guard=guard,
                    )

            if concurrency <= 1 or len(names) <= 1:
                done = {name: one(name) for name in names}
            else:
                workers = min(concurrency, len(names))
                done = _concurrently(
                    names,
                    one=one,
                    available=available,
                    workers=workers,
                    connector=connector.name,
                    stop=self._stop,
                )
        order = list(available) if streams is None else list(dict.fromkeys(streams))
        return [done[name] for name in order if name in done]

    def run_connectors(self, jobs: Sequence[Callable[[SyncEngine], list[SyncRunResult]]]) -> list[Outcome]:
        """Each job (typically a `run_connector` call for one connector) in its own thread: connectors
        have separate vendor budgets, so they sync at the same time (`sync run`, the demo). Returns each
        job's results or the exception it raised (LockHeld, a lock that could not be taken), in order;
        an interruption (Ctrl-C) is raised once every job stopped. The jobs' streams share one pool of
        writer processes (ADR 0038), stopped when the last job ended."""
        with self._writers():
            if len(jobs) <= 1:
                return [_outcome(job, self) for job in jobs]
            with ThreadPoolExecutor(len(jobs), thread_name_prefix="sync-connector") as threads:
                futures = [threads.submit(_outcome, job, self) for job in jobs]
                return _results(futures, self._stop)

    def run_stream(
        self,
        connector: Connector,
        stream_name: str,
        *,
        full: bool = False,
        since: datetime | None = None,
        sweep: bool = False,
        verify: bool = False,
        overlap: timedelta = DEFAULT_OVERLAP,
        max_clock_skew: timedelta = DEFAULT_MAX_CLOCK_SKEW,
        progress: Progress | None = None,
        guard: Callable[[], None] | None = None,
    ) -> SyncRunResult:
        """One run of one stream. The caller holds the connector's lock (run_connector does).

        Any error of the stream (the vendor's, the database's, a full disk, a body too deep to read)
        fails this run with its reason in `sync_runs`; only an interruption (Ctrl-C, shutdown) and a lost
        lock are raised, since they stop every stream."""
        if full and since is not None:
            raise ValueError("a full resync reads everything: do not combine it with `since`")
        stream = connector.streams()[stream_name]
        mode = "full" if full else "sweep" if sweep else "incremental"
        try:
            cursor = self._runs.cursor(connector.name, stream_name)
            start = since if since is not None else (None if full or cursor is None else cursor - overlap)
            if not full and isinstance(stream, SelfSweepingStream) and stream.sweep_due(start):
                sweep, mode = True, "sweep"  # the stream cannot see deletions since `start` otherwise
            run = self._runs.start(connector.name, stream_name, mode=mode, since=start, now=self._clock())
        except Exception as exc:  # noqa: BLE001 - the database refused even the run's row: say so, go on
            error = f"cannot start the run: {_describe(exc)}"
            log.error("sync.stream_failed", connector=connector.name, stream=stream_name, error=error)
            return self._unrecorded(connector.name, stream_name, mode, error)
        bound = log.bind(connector=connector.name, stream=stream_name, run_id=run.id, mode=mode)
        bound.info("sync.stream_started", since=iso(start), cursor=iso(cursor))
        waits_before = _waited(connector)
        try:
            run_cursor = self._pages(
                run, stream, start, full=full, progress=progress, guard=guard, skew=max_clock_skew
            )
            if full:
                self._ledger.delete_unseen(run, now=self._clock())
            swept = False
            if sweep and isinstance(stream, SweepableStream):
                live = {str(i) for ids in stream.live_ids() for i in ids}
                self._ledger.delete_missing(run, live, now=self._clock())
                swept = True
            count = self._count(run, stream) if full or verify else None
            record = self._runs.finish(
                run,
                status=OK,
                now=self._clock(),
                cursor=run_cursor if full or not stream.ordered else None,
                full=full,
                swept=swept,
                count=count,
                waited_seconds=_waited(connector) - waits_before,
            )
        except (ConnectorError, PageWriteError) as exc:  # this stream failed; the others may still run
            return self._failed(
                run,
                mode,
                str(exc),
                type(exc).__name__,
                waited_seconds=_waited(connector) - waits_before,
                resets_at=exc.resets_at if isinstance(exc, QuotaExhaustedError) else None,
            )
        except LockLost as exc:  # another process took the connector over: stop every stream
            self._finish_after_crash(run, FAILED, str(exc))
            raise
        except Exception as exc:  # noqa: BLE001 - the database, the disk, a bug: fail this stream only
            return self._failed(run, mode, _describe(exc), type(exc).__name__)
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

    @contextmanager
    def _writers(self) -> Iterator[WriterPool | None]:
        """The pool of writer processes of the sync under way: made by the outermost `run_connectors` or
        `run_connector` call, or by a stream run's page loop on its own (it starts no process until a
        run asks for one), shared by the calls inside it, and closed when that call ends, however it
        ends (every process stopped and waited for). None when every write stays in this process."""
        with self._pool_lock:
            if self._pool_users == 0 and self._parallel_after is not None:
                self._pool = WriterPool(self._engine, size=MAX_STREAMS)
            self._pool_users += 1
            pool = self._pool
        try:
            yield pool
        finally:
            with self._pool_lock:
                self._pool_users -= 1
                last = self._pool_users == 0
                if last:
                    self._pool = None
            if last and pool is not None:
                pool.close()

    def _count(self, run: RunRef, stream: Stream) -> StreamCount:
        """After a completed pass: the vendor's own count against the ledger's live documents plus the
        stream's open quarantine. A count the vendor cannot give is `unavailable`/`unknown`; a failed
        count call is `error` (logged), never a failed run and never a false drift."""
        ledger, held = self._runs.ledger_count(run.connector, run.stream)
        if not isinstance(stream, CountableStream):
            return StreamCount.compare(None, ledger, held, available=False)
        try:
            vendor = stream.count()
        except ConnectorError as exc:
            log.warning("sync.count_failed", connector=run.connector, stream=run.stream, error=str(exc))
            return StreamCount(COUNT_ERROR, None, ledger, held)
        result = StreamCount.compare(vendor, ledger, held)
        if result.check == "drift":
            log.warning(
                "sync.count_drift",
                connector=run.connector,
                stream=run.stream,
                vendor=vendor,
                ledger=ledger,
                quarantined=held,
            )
        return result

    def _failed(
        self,
        run: RunRef,
        mode: str,
        error: str,
        error_type: str,
        *,
        waited_seconds: float | None = None,
        resets_at: datetime | None = None,
    ) -> SyncRunResult:
        """Record the stream's failure; if even that fails (the database is what failed), the result
        still says why and the error is logged."""
        log.error(
            "sync.stream_failed",
            connector=run.connector,
            stream=run.stream,
            run_id=run.id,
            error=error,
            error_type=error_type,
        )
        try:
            return SyncRunResult.from_record(
                self._runs.finish(
                    run,
                    status=FAILED,
                    now=self._clock(),
                    error=error,
                    waited_seconds=waited_seconds,
                    resets_at=resets_at,
                )
            )
        except Exception as exc:  # noqa: BLE001 - the run row stays `running` until the next run's start
            log.error("sync.cannot_record_failure", run_id=run.id, error=_describe(exc))
            unrecorded = self._unrecorded(run.connector, run.stream, mode, error)
            return replace(unrecorded, id=run.id)

    def _unrecorded(self, connector: str, stream: str, mode: str, error: str) -> SyncRunResult:
        now = self._clock()
        return SyncRunResult(
            0, connector, stream, mode, FAILED, 0, 0, 0, 0, 0, 0, None, None, now, now, error, None, None
        )

    def _pages(
        self,
        run: RunRef,
        stream: Stream,
        start: datetime | None,
        *,
        full: bool,
        progress: Progress | None,
        guard: Callable[[], None] | None,
        skew: timedelta = DEFAULT_MAX_CLOCK_SKEW,
    ) -> datetime | None:
        """Fetch and commit every page; return the highest modification time written (the cursor of an
        unordered stream, and of a full run). A time beyond the clock plus `skew` is quarantined."""
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
        # the sync's writer processes (its outermost call made the pool), or a pool of this run's own
        with self._writers() as pool:
            writer = PageWriter(
                self._engine,
                run,
                parallel_after=self._parallel_after,
                on_committed=on_committed,
                pool=pool,
                reads_all=start is None,  # a first sync or a full resync: likely long
            )
            try:
                # Page n+1 is read (requests, details, decoding) while page n is normalized and written.
                with closing(read_ahead(stream.pages(start), name=f"{run.connector}/{run.stream}")) as pages:
                    for page in pages:
                        now = self._clock()
                        normalized = normalize_page(run.connector, stream, page, not_after=now + skew)
                        incoming, rejects, deletions = normalized
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
                                now=now,
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


Outcome = list[SyncRunResult] | Exception
"""One connector's results in `run_connectors`, or what kept it from running."""


def _outcome(job: Callable[[SyncEngine], list[SyncRunResult]], engine: SyncEngine) -> Outcome:
    try:
        return job(engine)
    except Exception as exc:  # noqa: BLE001 - the caller reports it per connector (LockHeld, ...)
        return exc


def _dependencies_first(available: Mapping[str, Stream], names: list[str]) -> list[str]:
    """`names` in their order, except that a stream comes after the streams it waits for
    (`after`) that are among them: started in this order, no stream waits for one not yet started."""
    chosen, placed, ordered = set(names), set[str](), list[str]()

    def place(name: str, trail: tuple[str, ...] = ()) -> None:
        if name in placed or name in trail:
            return
        for before in _after(available[name]):
            if before in chosen:
                place(before, (*trail, name))
        placed.add(name)
        ordered.append(name)

    for name in names:
        place(name)
    return ordered


def _after(stream: Stream) -> tuple[str, ...]:
    after = getattr(stream, "after", ())
    return tuple(after) if isinstance(after, tuple | list) else ()


def _concurrently(
    names: list[str],
    *,
    one: Callable[[str], SyncRunResult],
    available: Mapping[str, Stream],
    workers: int,
    connector: str,
    stop: threading.Event,
) -> dict[str, SyncRunResult]:
    """Run `one` for every stream on `workers` threads, started in `names` order; a stream starts once
    the streams it waits for have finished. The first lost lock or interruption is raised after every
    stream stopped (each checks the lock before each page, so they stop at their next page)."""
    finished: dict[str, threading.Event] = {name: threading.Event() for name in names}

    def run(name: str) -> SyncRunResult:
        try:
            for before in _after(available[name]):
                if before in finished:
                    finished[before].wait()
            return one(name)
        finally:
            finished[name].set()

    with ThreadPoolExecutor(workers, thread_name_prefix=f"sync-{connector}") as pool:
        futures = [pool.submit(run, name) for name in names]
        return dict(zip(names, _results(futures, stop), strict=True))


R = TypeVar("R")


def _results(futures: Sequence[Future[R]], stop: threading.Event) -> list[R]:
    """Every future's result in order. The first exception is raised once all of them finished; an
    interruption of this thread sets `stop`, so the others stop at their next page."""
    results: list[R] = []
    raised: BaseException | None = None
    for future in futures:
        while True:
            try:
                results.append(future.result())
            except (KeyboardInterrupt, SystemExit) as exc:
                stop.set()
                if future.done():  # the work itself was interrupted
                    raised = raised or exc
                    break
                raised = raised or exc
                continue  # this thread was interrupted while waiting: wait for the work to stop
            except BaseException as exc:  # noqa: BLE001 - raised below, once every one finished
                raised = raised or exc
            break
    if raised is not None:
        raise raised
    return results


_GC_LOCK = threading.Lock()
_GC_RUNS = 0
_GC_SAVED: tuple[int, int, int] | None = None


@contextmanager
def _fewer_collections() -> Iterator[None]:
    """Run the cyclic garbage collector less often while syncing. Every record allocates a few dozen
    container objects (raw dicts, models, row tuples) that reference counting frees with its page; with
    the default threshold (700) a young-generation collection ran every ~15 records and cost ~15% of
    ingest time. Raised while any run of this process lasts, and restored after the last one (a daemon
    keeps its own setting; connectors syncing at once share the raised one)."""
    global _GC_RUNS, _GC_SAVED  # noqa: PLW0603 - one process-wide setting, counted under its lock
    with _GC_LOCK:
        if _GC_RUNS == 0:
            _GC_SAVED = gc.get_threshold()
            gc.set_threshold(max(_GC_SAVED[0], SYNC_GC_THRESHOLD), *_GC_SAVED[1:])
        _GC_RUNS += 1
    try:
        yield
    finally:
        with _GC_LOCK:
            _GC_RUNS -= 1
            if _GC_RUNS == 0 and _GC_SAVED is not None:
                gc.set_threshold(*_GC_SAVED)


def normalize_page(
    connector: str, stream: Stream, page: Page, *, not_after: datetime | None = None
) -> tuple[list[Incoming], list[Rejected], list[Deletion]]:
    """Pure: split a page into documents that normalized, quarantined rejects and tombstones.

    Quarantined besides what does not normalize: a record modified after `not_after` (the clock plus
    the allowed skew: it would move the cursor into the future), and a record whose id came earlier in
    the same page with a different payload (the page's last one is kept: pages list records in the
    order the vendor changed them; an identical repeat is counted once). Both writing paths (this
    process and the writer process) get the page as decided here."""
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
            reason, why = _reason(exc)
        else:
            modified = document.source_modified_at
            if document.source != connector:
                reason = f"normalizer produced source {document.source!r}, expected {connector!r}"
                why = {"field": None, "rule": Rule.WRONG_SOURCE, "value": shown(document.source)}
            elif modified is not None and not_after is not None and modified > not_after:
                reason = (
                    f"modified at {iso(modified)}, after this host's clock allows ({iso(not_after)}):"
                    " a time in the future would stop the stream's cursor from fetching anything"
                    " modified before it (max_clock_skew_minutes)"
                )
                why = {"field": "source_modified_at", "rule": Rule.CLOCK_SKEW, "value": iso(modified)}
            else:
                incoming.append(Incoming(document, digest, encoded))
                continue
        rejects.append(
            Rejected(
                reason=reason,
                raw_json=encoded.decode("utf-8"),
                payload_hash=digest,
                external_id=_id(raw),
                **why,
            )
        )
    incoming, duplicates = _one_per_id(incoming)
    deletions = []
    for tombstone in page.tombstones:
        deleted_at = None if tombstone.deleted_at is None else tombstone.deleted_at.isoformat()
        encoded = canonical_json_bytes(
            {"_deleted": True, "external_id": tombstone.external_id, "deleted_at": deleted_at}
        )
        digest = hashlib.sha256(encoded).hexdigest()
        raw_json = encoded.decode("utf-8")
        deletions.append(Deletion(external_id=tombstone.external_id, raw_json=raw_json, payload_hash=digest))
    return incoming, rejects + duplicates, deletions


def _one_per_id(incoming: list[Incoming]) -> tuple[list[Incoming], list[Rejected]]:
    """The page's records with one per (kind, id): the last in page order; an earlier one with another
    payload is quarantined with the reason (an identical repeat is dropped: nothing is lost)."""
    last: dict[tuple[str, str], int] = {}
    for position, item in enumerate(incoming):
        last[(item.document.kind.value, item.document.external_id)] = position
    if len(last) == len(incoming):
        return incoming, []
    kept = [item for position, item in enumerate(incoming) if last[_key(item)] == position]
    duplicates: list[Rejected] = []
    for position, item in enumerate(incoming):
        winner = incoming[last[_key(item)]]
        if last[_key(item)] == position or winner.payload_hash == item.payload_hash:
            continue
        duplicates.append(
            Rejected(
                reason=(
                    f"id {item.document.external_id} came twice in one page with different contents:"
                    " this earlier copy was not written, the page's last copy was"
                ),
                raw_json=item.raw_json.decode("utf-8"),
                payload_hash=item.payload_hash,
                external_id=item.document.external_id,
                field="external_id",
                rule=Rule.DUPLICATE_IN_PAGE,
                value=shown(item.document.external_id),
            )
        )
    return kept, duplicates


def _key(item: Incoming) -> tuple[str, str]:
    return item.document.kind.value, item.document.external_id


def _latest(incoming: Sequence[Incoming], page: Page) -> datetime | None:
    """The newest modification time of the page's records. Tombstone times never move the cursor: a
    deletion pass read before the records pass (Zoho's /deleted) would otherwise push the cursor past
    records not yet read, and a run cut between the two passes would skip them. A page's `read_through`
    (the stream vouches it read everything modified before it) counts as a time."""
    times = [i.document.source_modified_at for i in incoming if i.document.source_modified_at is not None]
    if page.read_through is not None:
        times.append(page.read_through)
    return max(times, default=None)


def _describe(exc: BaseException) -> str:
    """One line for `sync status`: the error's type and the first line of its message."""
    message = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {message[0] if message else '(no message)'}"


def _reason(exc: Exception) -> tuple[str, dict[str, str | None]]:
    """The flattened English reason, and the same as data: the field, rule and value (of the first
    problem, for a validation error naming several)."""
    if isinstance(exc, ValidationError):
        errors = exc.errors()
        problems = [
            f"{'.'.join(str(part) for part in error['loc']) or 'record'}: {error['msg']}" for error in errors
        ]
        text = "; ".join(problems[:5]) + (f" (and {len(problems) - 5} more)" if len(problems) > 5 else "")
        first = errors[0]
        field = ".".join(str(part) for part in first["loc"]) or None
        return text, {"field": field, "rule": validation_rule(first), "value": validation_value(first)}
    if isinstance(exc, RecordError):
        return str(exc), {"field": exc.field, "rule": exc.rule, "value": exc.value}
    return f"{type(exc).__name__}: {exc}", {"field": None, "rule": Rule.INVALID, "value": None}


def _unreadable(raw: RawRecord) -> Rejected:
    """A record that cannot even be hashed as it came: quarantined with the field and the reason, its
    payload kept as escaped ASCII JSON (the rest of the page goes on)."""
    error = unreadable_error(raw) or RecordError("the record cannot be encoded as JSON", rule=Rule.NOT_JSON)
    raw_json = escaped_json(raw)
    digest = hashlib.sha256(raw_json.encode("ascii")).hexdigest()
    return Rejected(
        reason=error.reason,
        raw_json=raw_json,
        payload_hash=digest,
        external_id=_id(raw),
        field=error.field,
        rule=error.rule,
        value=error.value,
    )


def _id(raw: RawRecord) -> str | None:
    """The record's id if it is where most vendors put it (only to help finding it in quarantine)."""
    for name in ("external_id", "id", "_id", "dataId"):
        value = raw.get(name) if isinstance(raw, Mapping) else None
        if isinstance(value, str | int) and not isinstance(value, bool) and str(value):
            return str(value)
    return None


def _waited(connector: Connector) -> float:
    """Seconds the connector's HTTP clients have spent waiting out rate limits so far (0 for a
    connector that does not say)."""
    waited = getattr(connector, "waited_seconds", 0.0)
    return float(waited) if isinstance(waited, int | float) else 0.0
