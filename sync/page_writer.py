"""Writing a run's pages: in this process, or in a writer process that overlaps writing with reading.

A page is normalized and hashed here and its records' snapshots serialized, then written in one
transaction (`SqlLedgerRepository.write_page`, which derives every row from the snapshots). On a long run
the transactions move to a child process after the first pages, so that while it writes page N this
process already fetches and normalizes page N+1: on two cores ingest runs ~1.5 times as fast
(docs/performance.md). Pages are still written one at a time, in order, each with its cursor — the
child changes where the transaction runs, not what it is (ADR 0013).

The child is a fresh interpreter (never a `fork`: the daemon and the lease heartbeat run threads),
started while this process keeps writing pages itself; it takes over once it reports ready, so its
start-up costs the run nothing. It ignores SIGINT (Ctrl-C reaches the whole process group; this process
decides when to stop) and stops after its current page when this process closes the pipe or dies.

The children are the sync's (`WriterPool`, ADR 0038): one connects once and writes the runs of the
sync's streams one after another, each from its first page when it is idle as the run starts; a run
never shares its child with another run, and gives it back only once every page it handed over is
committed.
"""

from __future__ import annotations

import contextlib
import gc
import logging
import multiprocessing
import os
import signal
import subprocess
import sys
import threading
from collections import deque
from collections.abc import Callable
from multiprocessing.connection import Connection
from typing import Final

import structlog

from store.connection import check_connection, writer_url
from store.db import Engine, is_sqlite, make_engine
from store.integrity import Seal, attach_seal, seal_of
from store.repository import PageWrite, RunRef, SqlLedgerRepository

log = structlog.get_logger(__name__)

PARALLEL_AFTER_PAGES: Final = 3
"""Pages a run writes itself before it starts a writer process (short runs never start one)."""
PARALLEL_AFTER_RECORDS: Final = 1_000
"""...and records, with the default page count: a writer process costs ~0.5 s of CPU to start (a
fresh interpreter importing the store) and takes ~36 µs a record off this process, so a stream of a
few pages of 100–200 records (a vendor's accounts, products) is cheaper written here. Pages of 1,000
reach it on the same page as before."""
PARALLEL_AFTER_RECORDS_READING_ALL: Final = 100
"""...but a run that reads its stream from the beginning (a first sync, a full resync) is likely long:
it asks for a writer process from its second page, once it has written 100 records (a vendor's page
is 100–200; a few small pages, as in most tests, still never start one). Writer processes are the
sync's and serve its runs in turn (`WriterPool`), so the start is paid once, not per run."""
PAIR_ON_POSTGRESQL: Final = True
"""On PostgreSQL each writer of the pool is a pair of processes that write a run's pages in turn
(`_Pair`, ADR 0039); on SQLite one process (its writer never waits on a server: a second would only
compete for the same cores)."""
IN_FLIGHT: Final = 2
"""Pages handed to the writer process and not yet committed, at most (bounds memory and lag)."""
WRITER_ENV: Final = "LEDGERBRIDGE_SYNC_WRITER"
"""`auto` (the default): a writer process for long runs; `inline`: every write in the syncing process
(slower on long runs; for debugging); `process`: the writer process writes every page of every run
(it starts with the run, which waits for it: for tests and for checking the writer itself)."""
SYNC_GC_THRESHOLD: Final = 10_000
"""The cyclic GC's young-generation threshold while syncing, in the syncing process (sync/engine.py)
and the writer: records free their objects by reference counting; the default 700 collected every ~15."""
STOP_TIMEOUT_S: Final = 120.0
"""How long closing waits for the writer to commit its last page before it is killed."""


class PageWriteError(RuntimeError):
    """The writer process could not write a page (or died): the stream's run fails; committed pages
    stay; the engine records it like a connector failure and goes on with the other streams."""


class PageWriter:
    """Writes a run's pages in order, one transaction each; `close()` waits until all are committed.

    With a `pool` (the sync's, `WriterPool`), the run borrows an idle writer process from its first page
    on, or, once past `parallel_after` pages (and `PARALLEL_AFTER_RECORDS` with the default), one the
    pool starts for it; it never waits for a busy one. A run that `reads_all` (a first sync or a full
    resync: likely long) asks sooner with the default counts (`PARALLEL_AFTER_RECORDS_READING_ALL`).
    `close()` gives the writer back, `abandon()` and any failure discard it. Without a pool (no writer
    processes: `parallel_after` None) every page is written here."""

    def __init__(
        self,
        engine: Engine,
        run: RunRef,
        *,
        parallel_after: int | None = PARALLEL_AFTER_PAGES,
        on_committed: Callable[[int], None] | None = None,
        pool: WriterPool | None,
        reads_all: bool = False,
    ) -> None:
        self._ledger = SqlLedgerRepository(engine)
        self._run = run
        self._pool = None if parallel_after is None else pool
        self._forced = self._pool is not None and self._pool.forced
        self._parallel_after = 0 if self._forced or parallel_after is None else parallel_after
        default = parallel_after == PARALLEL_AFTER_PAGES and not self._forced
        self._records_after = PARALLEL_AFTER_RECORDS if default else 0  # an explicit count: as given
        if default and reads_all:  # likely long: a writer process from its second page
            self._parallel_after, self._records_after = 1, PARALLEL_AFTER_RECORDS_READING_ALL
        self._on_committed = on_committed
        self._written = 0
        self._written_records = 0
        self._child: _Writer | None = None

    def write(self, page: PageWrite) -> None:
        """Write `page` (here, or hand it to the writer process). Raises PageWriteError if the writer
        process failed on an earlier page."""
        child = self._child
        if child is None and self._pool is not None and self._pool.available:
            due = self._written >= self._parallel_after and self._written_records >= self._records_after
            child = self._child = self._pool.take(self._run, start=due)
        if child is not None and self._ready(child):
            child.send(page, self._committed)
        else:
            self._ledger.write_page(self._run, page)
            self._committed(page.fetched)
        self._written += 1
        self._written_records += page.fetched

    def close(self) -> None:
        """Wait until every page handed out is committed and give the writer process back to the pool.
        Raises PageWriteError if a page could not be written (the writer is then discarded)."""
        child, self._child = self._child, None
        if child is not None and self._pool is not None:
            try:
                child.drain(self._committed)
            except BaseException:
                self._pool.discard(child)
                raise
            self._pool.give_back(child)

    def abandon(self) -> None:
        """Stop after the page being written (the run failed or was interrupted): never raises. The
        writer is discarded (it stops once it has written what it was given), never given back."""
        child, self._child = self._child, None
        if child is not None and self._pool is not None:
            self._pool.discard(child)

    def _ready(self, child: _Writer) -> bool:
        try:
            return child.ready()
        except PageWriteError as exc:  # it never took a page: write here, as short runs do
            assert self._pool is not None
            self._pool.unavailable(child, exc, self._run)
            self._child = None
            return False

    def _committed(self, fetched: int) -> None:
        if self._on_committed is not None:
            self._on_committed(fetched)


class WriterPool:
    """The writer processes of one sync (`SyncEngine.run_connector` / `run_connectors`), at most `size`.

    A stream run takes one for its whole run and gives it back when every page it handed over is
    committed; the next run tells it its `RunRef` and goes on from its own first page. A process is
    started only when a run asks for one and none is idle (so a sync of short runs starts none), and is
    never shared by two runs at once; one that failed, died or whose run was abandoned is discarded.
    `close()` stops every idle one and waits for their exits (no zombies); one given back after that is
    stopped then. Thread-safe: the runs of a sync take and give back from their own threads."""

    def __init__(self, engine: Engine, *, size: int) -> None:
        mode = writer_mode()
        self._url = None if mode == "inline" else writer_url(engine)
        self.forced = mode == "process" and self._url is not None
        self._seal = seal_of(engine)  # the writer processes seal the rows they write with the same key
        self._pair = PAIR_ON_POSTGRESQL and not is_sqlite(engine)
        self._size = max(1, size)
        self._lock = threading.Lock()
        self._idle: list[_Writer] = []
        self._count = 0  # processes started (or being started) and not yet discarded
        self._closed = False

    @property
    def available(self) -> bool:
        """False for an inline sync, an in-memory database, or once a writer could not start."""
        return self._url is not None and not self._closed

    def take(self, run: RunRef, *, start: bool) -> _Writer | None:
        """An idle writer process (ready or still starting) told to write `run`'s pages; else, with
        `start`, a new one if the pool has room; else None (the run writes the page itself). Never
        waits for a busy one. Raises PageWriteError, with `LEDGERBRIDGE_SYNC_WRITER=process`, when no
        process can be started or connect."""
        dead: list[_Writer] = []
        child: _Writer | None = None
        url: str | None = None
        with self._lock:
            while self._idle and child is None:
                candidate = self._idle.pop()  # the most recently used first
                if candidate.alive():
                    child = candidate
                else:  # died while idle (killed, out of memory): never handed a page of this run
                    dead.append(candidate)
                    self._count -= 1
            if child is None and start and self.available and self._count < self._size:
                url = self._url
                self._count += 1  # the room is held while it starts, outside the lock
        for gone in dead:
            log.warning("sync.writer_lost", run_id=run.id, exit_status=gone.stop())
        if child is None and url is not None:
            child = self._start(url, run)
        if child is None:
            return None
        try:
            child.begin(run)
        except OSError:  # it died since: no page of this run went to it
            self.discard(child)
            return None
        if self.forced:
            try:
                child.wait_ready()
            except PageWriteError:
                self.discard(child)
                raise
        return child

    def give_back(self, child: _Writer) -> None:
        """`child` wrote every page of its run: idle again, or stopped if the sync is over."""
        with self._lock:
            if not self._closed:
                self._idle.append(child)
                return
            self._count -= 1
        child.stop()

    def discard(self, child: _Writer) -> None:
        """Stop `child` after what it was given (it failed, died, or its run was abandoned); never
        raises and never returns it to the pool."""
        with self._lock:
            self._count -= 1
        child.stop()

    def unavailable(self, child: _Writer, exc: PageWriteError, run: RunRef) -> None:
        """`child` could not connect: discard it, and start no other for this sync (the runs write
        their pages themselves)."""
        log.warning("sync.writer_unavailable", run_id=run.id, error=str(exc))
        with self._lock:
            self._url = None
        self.discard(child)

    def close(self) -> None:
        """Stop every idle writer process and wait for their exits; start none after this."""
        with self._lock:
            self._closed = True
            idle, self._idle = self._idle, []
            self._count -= len(idle)
        try:
            for child in idle:  # all told at once, then waited for: their exits overlap
                child.ask_to_stop()
        finally:
            for child in idle:
                child.wait_stopped()

    def _start(self, url: str, run: RunRef) -> _Writer | None:
        try:
            child = (_Pair if self._pair else _Child).start(url, self._seal)
        except (OSError, ValueError) as exc:  # no process to be had (limits, memory, no fd passing)
            with self._lock:
                self._count -= 1
                if not self.forced:
                    self._url = None
            if self.forced:
                raise PageWriteError(f"cannot start the writer process: {exc}") from exc
            log.warning("sync.writer_unavailable", run_id=run.id, error=str(exc))
            return None
        return child


def writer_mode() -> str:
    """`LEDGERBRIDGE_SYNC_WRITER`: auto (default), inline or process; anything else is a ConfigError."""
    mode = os.environ.get(WRITER_ENV, "auto").strip().lower() or "auto"
    if mode not in ("auto", "inline", "process"):
        # Only for a bad value: the writer process itself never loads the configuration (its modules
        # and every connector kind's settings are a third of its start-up).
        from config.loader import ConfigError

        raise ConfigError(f"environment variable {WRITER_ENV}={mode!r}: use auto, inline or process")
    return mode


class _Child:
    """The parent's handle on one writer process."""

    def __init__(self, process: subprocess.Popen[bytes], pipe: Connection) -> None:
        self._process = process
        self._pipe = pipe
        self._pending: deque[int] = deque()  # `fetched` of each page handed out, oldest first
        self.is_ready = False
        self.runs: list[int] = []
        """The ids of the runs it was told to write, in order (for tests and logs)."""
        self.written = 0
        """Pages it committed (for tests and logs)."""

    @classmethod
    def start(cls, url: str, seal: Seal, token: tuple[int, int, bool] | None = None) -> _Child:
        """A writer process; `token` (the pipe it takes its turn from, the one it passes it on to, and
        whether it holds it first) makes it one of a pair (`_Pair`)."""
        parent_end, child_end = multiprocessing.Pipe()
        # A fresh interpreter that imports exactly what this one can (no re-import of a __main__
        # script, as multiprocessing's spawn would do; -P: the working directory is not on the path).
        environment = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in sys.path if p)}
        try:
            process = subprocess.Popen(  # noqa: S603 - this interpreter, fixed arguments
                [sys.executable, "-P", "-c", _ENTRY, str(child_end.fileno())],
                pass_fds=[child_end.fileno(), *(token[:2] if token else ())],
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,  # stdout is where `sync run --json` prints
                env=environment,
            )
        except BaseException:
            parent_end.close()
            raise
        finally:
            child_end.close()
        # through the pipe, not argv: the URL and the key are secret
        parent_end.send((url, seal, token or (-1, -1, True)))
        log.debug("sync.writer_started", pid=process.pid)
        return cls(process, parent_end)

    @property
    def returncode(self) -> int | None:
        return self._process.returncode

    def begin(self, run: RunRef) -> None:
        """The pages sent from now on belong to `run` (raises OSError if the process is gone)."""
        self._pipe.send(("run", run))
        self.runs.append(run.id)

    def alive(self) -> bool:
        """False if the process is gone (an idle writer sends nothing until it is handed a page)."""
        if self._process.poll() is not None:
            return False
        return not (self.is_ready and self._pipe.poll())

    def ready(self) -> bool:
        """True once the writer process has its connection (never blocks)."""
        if not self.is_ready and self._pipe.poll():
            self.wait_ready()
        return self.is_ready

    def wait_ready(self) -> None:
        if not self.is_ready:
            self._expect("ready")
            self.is_ready = True

    def send(self, page: PageWrite, committed: Callable[[int], None]) -> None:
        while len(self._pending) >= IN_FLIGHT:
            self._acknowledge(committed)
        try:
            self._pipe.send(page)
        except OSError as exc:  # the writer died: count what it committed, say why if it told us
            while self._pending:
                self._acknowledge(committed)
            raise self._died() from exc
        self._pending.append(page.fetched)

    def drain(self, committed: Callable[[int], None]) -> None:
        """Wait until every page handed out is committed."""
        while self._pending:
            self._acknowledge(committed)

    def stop(self) -> int | None:
        """Stop the process after what it was given and wait for its exit; its exit status."""
        try:
            self.ask_to_stop()
        finally:
            self.wait_stopped()
        return self._process.returncode

    def ask_to_stop(self) -> None:
        if not self.is_ready:  # it holds no transaction and was given no page: no need to wait
            self._process.kill()
        with contextlib.suppress(OSError):
            self._pipe.send(None)

    def wait_stopped(self) -> None:
        # The pipe reads end-of-file when the writer closes it on its way out (`main`) or dies, so the
        # wait for its exit blocks in waitpid for a moment; Popen.wait(timeout) would poll with sleeps.
        hung = False
        try:
            while self._pipe.poll(STOP_TIMEOUT_S):
                self._pipe.recv()
            hung = True  # pragma: no cover - no end-of-file for minutes: a page write that hangs
        except (OSError, EOFError):
            pass
        finally:
            self._pipe.close()
            if hung:  # pragma: no cover
                self._process.kill()
            try:
                self._process.wait()
            except BaseException:  # interrupted while waiting: do not leave it running unreaped
                self._process.kill()
                self._process.wait()
                raise

    def _died(self) -> PageWriteError:
        with contextlib.suppress(subprocess.TimeoutExpired):
            self._process.wait(1.0)
        return PageWriteError(f"the writer process died (exit status {self._process.returncode})")

    def _acknowledge(self, committed: Callable[[int], None]) -> None:
        self._expect("ok")
        self.written += 1
        committed(self._pending.popleft())

    def _expect(self, word: str) -> None:
        try:
            message = self._pipe.recv()
        except (EOFError, OSError) as exc:
            raise self._died() from exc
        if message[0] == "error":
            raise PageWriteError(f"writing a page failed in the writer process: {message[1]}")
        if message[0] != word:  # pragma: no cover - a protocol bug
            raise PageWriteError(f"the writer process said {message!r}, expected {word!r}")


_ENTRY: Final = "import sys; sys.modules['rich'] = None; from sync.page_writer import main; main(sys.argv[1])"
"""The writer's interpreter starts here. `rich` is marked absent: structlog imports it (when installed)
for pretty console tracebacks, ~50 ms of CPU per writer start; the writer reports its errors to the
syncing process as one line of text and logs warnings only, so structlog's plain rendering does."""


class _Pair:
    """On PostgreSQL, two writer processes that take a run's pages in turn (ADR 0039): while one's page
    transaction waits on the server, the other reads and encodes the next page (`encode_page`, CPU only);
    a token passed through a pipe after each commit keeps the transactions in the order the pages were
    handed out. Each run's pages, cursors and transactions are as with one writer; the pair is used,
    given back and discarded as one (`WriterPool`). Only the two processes hold the token pipes, so one
    that fails or dies is the other's end-of-file: that one reports an error too."""

    def __init__(self, first: _Child, second: _Child) -> None:
        self._children = (first, second)
        self._turn = 0  # the child the next page goes to; it holds (or will next hold) the token

    @classmethod
    def start(cls, url: str, seal: Seal) -> _Pair:
        forth, back = os.pipe(), os.pipe()  # the token: first -> second, second -> first
        try:
            first = _Child.start(url, seal, token=(back[0], forth[1], True))
            try:
                second = _Child.start(url, seal, token=(forth[0], back[1], False))
            except BaseException:
                first.stop()
                raise
        finally:
            for descriptor in (*forth, *back):
                os.close(descriptor)
        return cls(first, second)

    @property
    def is_ready(self) -> bool:
        return all(child.is_ready for child in self._children)

    @property
    def runs(self) -> list[int]:
        return self._children[0].runs

    def begin(self, run: RunRef) -> None:
        for child in self._children:
            child.begin(run)

    def alive(self) -> bool:
        return all(child.alive() for child in self._children)

    def ready(self) -> bool:
        states = [child.ready() for child in self._children]  # each polled: both may have answered
        return all(states)

    def wait_ready(self) -> None:
        for child in self._children:
            child.wait_ready()

    def send(self, page: PageWrite, committed: Callable[[int], None]) -> None:
        self._children[self._turn].send(page, committed)
        self._turn = 1 - self._turn

    def drain(self, committed: Callable[[int], None]) -> None:
        for child in self._children:
            child.drain(committed)

    def stop(self) -> int | None:
        """Stop both after what they were given; the first failing exit status, else the first's."""
        try:
            self.ask_to_stop()
        finally:
            self.wait_stopped()
        return next((c.returncode for c in self._children if c.returncode), self._children[0].returncode)

    def ask_to_stop(self) -> None:
        for child in self._children:
            child.ask_to_stop()

    def wait_stopped(self) -> None:
        try:
            self._children[0].wait_stopped()
        finally:
            self._children[1].wait_stopped()


_Writer = _Child | _Pair
"""What a run borrows from the pool: one writer process, or a pair of them on PostgreSQL."""


class _Token:
    """A writer's turn, in a pair (`_Pair`): it writes a page only while it holds the token and passes it
    on once the page is committed. A writer on its own always holds it."""

    def __init__(self, take_from: int, pass_to: int, holding: bool) -> None:
        self._in = take_from
        self._out = pass_to
        self._holding = holding or take_from < 0

    def take(self) -> None:
        if self._holding:
            return
        if not os.read(self._in, 1):  # end-of-file: the other writer failed or died
            raise PageWriteError("the other writer process of the pair stopped")
        self._holding = True

    def pass_on(self) -> None:
        if self._out >= 0:
            self._holding = False
            os.write(self._out, b"t")


def main(descriptor: str) -> None:
    """Entry point of the writer process: its end of the pipe is the inherited file descriptor. Once
    `serve` returns, every page it was given is committed or reported and its engine is disposed: the
    process ends at once, without the interpreter's teardown (freeing every module: 0.1 s idle, over a
    second on a loaded machine), which the syncing process would wait for when it stops the writer."""
    pipe = Connection(int(descriptor))
    serve(pipe)
    sys.stderr.flush()
    pipe.close()  # the syncing process reads end-of-file now, and the exit status right after
    os._exit(0)


def serve(pipe: Connection) -> None:
    """The writer process: connect once, then write each page received, in order, into the run named
    last (every stream run that takes this process first sends `("run", RunRef)`), until told to stop.
    It stops after reporting an error: the syncing process discards it."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C reaches the whole group: the parent decides
    gc.set_threshold(SYNC_GC_THRESHOLD, *gc.get_threshold()[1:])
    structlog.configure(  # never on stdout: that is where `sync run --json` prints
        logger_factory=structlog.PrintLoggerFactory(sys.stderr),
        wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING),
    )
    try:
        url, seal, (take_from, pass_to, holding) = pipe.recv()
    except EOFError:  # the syncing process died before it said where to write
        return
    token = _Token(take_from, pass_to, holding)
    engine = make_engine(url)
    attach_seal(engine, seal)
    try:
        check_connection(engine)  # fail now, before any page is handed over, if it cannot connect
        ledger = SqlLedgerRepository(engine)
        pipe.send(("ready",))
        run: RunRef | None = None
        while True:
            try:
                page = pipe.recv()
            except EOFError:  # the syncing process is gone: every page received was written
                return
            if page is None:
                return
            if isinstance(page, tuple):  # ("run", RunRef): the pages that follow are that run's
                run = page[1]
                continue
            try:
                if run is None:  # pragma: no cover - a protocol bug
                    raise RuntimeError("a page came before its run")
                encoded = ledger.encode_page(run, page)  # while the other writer of a pair writes
                token.take()
                ledger.write_encoded(run, encoded)
                token.pass_on()
            except Exception as exc:  # noqa: BLE001 - reported to the syncing process, which fails the run
                pipe.send(("error", f"{type(exc).__name__}: {exc}"))
                return
            pipe.send(("ok",))
    except (BrokenPipeError, EOFError):  # the syncing process died while we answered
        return
    except Exception as exc:  # noqa: BLE001 - cannot connect: the syncing process writes its pages itself
        with contextlib.suppress(OSError):
            pipe.send(("error", f"{type(exc).__name__}: {exc}"))
    finally:
        engine.dispose()
