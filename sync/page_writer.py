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
from collections import deque
from collections.abc import Callable
from multiprocessing.connection import Connection
from typing import Final

import structlog

from store.connection import check_connection, writer_url
from store.db import Engine, make_engine
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
    """Writes a run's pages in order, one transaction each; `close()` waits until all are committed."""

    def __init__(
        self,
        engine: Engine,
        run: RunRef,
        *,
        parallel_after: int | None = PARALLEL_AFTER_PAGES,
        on_committed: Callable[[int], None] | None = None,
    ) -> None:
        self._ledger = SqlLedgerRepository(engine)
        self._run = run
        self._seal = seal_of(engine)  # the writer process seals the rows it writes with the same key
        mode = writer_mode()
        self._url = None if parallel_after is None or mode == "inline" else writer_url(engine)
        self._forced = mode == "process" and self._url is not None
        self._parallel_after = 0 if self._forced or parallel_after is None else parallel_after
        default = parallel_after == PARALLEL_AFTER_PAGES and not self._forced
        self._records_after = PARALLEL_AFTER_RECORDS if default else 0  # an explicit count: as given
        self._on_committed = on_committed
        self._written = 0
        self._written_records = 0
        self._child: _Child | None = None

    def write(self, page: PageWrite) -> None:
        """Write `page` (here, or hand it to the writer process). Raises PageWriteError if the writer
        process failed on an earlier page."""
        child = self._child
        if (
            child is None
            and self._url is not None
            and self._written >= self._parallel_after
            and self._written_records >= self._records_after
        ):
            child = self._child = self._start(self._url)
        if child is not None and self._ready(child):
            child.send(page, self._committed)
        else:
            self._ledger.write_page(self._run, page)
            self._committed(page.fetched)
        self._written += 1
        self._written_records += page.fetched

    def close(self) -> None:
        """Wait until every page handed out is committed and stop the writer process. Raises
        PageWriteError if a page could not be written."""
        child, self._child = self._child, None
        if child is not None:
            child.finish(self._committed)

    def abandon(self) -> None:
        """Stop after the page being written (the run failed or was interrupted): never raises."""
        child, self._child = self._child, None
        if child is not None:
            child.stop()

    def _start(self, url: str) -> _Child | None:
        try:
            child = _Child.start(url, self._run, self._seal)
        except (OSError, ValueError) as exc:  # no process to be had (limits, memory, no fd passing)
            if self._forced:
                raise PageWriteError(f"cannot start the writer process: {exc}") from exc
            log.warning("sync.writer_unavailable", run_id=self._run.id, error=str(exc))
            self._url = None
            return None
        if self._forced:
            try:
                child.wait_ready()
            except PageWriteError:
                child.stop()
                raise
        return child

    def _ready(self, child: _Child) -> bool:
        try:
            return child.ready()
        except PageWriteError as exc:  # it never took a page: write here, as short runs do
            log.warning("sync.writer_unavailable", run_id=self._run.id, error=str(exc))
            child.stop()
            self._child, self._url = None, None
            return False

    def _committed(self, fetched: int) -> None:
        if self._on_committed is not None:
            self._on_committed(fetched)


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

    @classmethod
    def start(cls, url: str, run: RunRef, seal: Seal) -> _Child:
        parent_end, child_end = multiprocessing.Pipe()
        # A fresh interpreter that imports exactly what this one can (no re-import of a __main__
        # script, as multiprocessing's spawn would do; -P: the working directory is not on the path).
        environment = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in sys.path if p)}
        process = subprocess.Popen(  # noqa: S603 - this interpreter, fixed arguments
            [sys.executable, "-P", "-c", _ENTRY, str(child_end.fileno())],
            pass_fds=[child_end.fileno()],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,  # stdout is where `sync run --json` prints
            env=environment,
        )
        child_end.close()
        parent_end.send((url, run, seal))  # through the pipe, not argv: the URL and the key are secret
        log.debug("sync.writer_started", run_id=run.id, pid=process.pid)
        return cls(process, parent_end)

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

    def finish(self, committed: Callable[[int], None]) -> None:
        try:
            while self._pending:
                self._acknowledge(committed)
        finally:
            self.stop()

    def stop(self) -> None:
        if not self.is_ready:  # it holds no transaction and was given no page: no need to wait
            self._process.kill()
        with contextlib.suppress(OSError):
            self._pipe.send(None)
        # The pipe reads end-of-file when the writer closes it on its way out (`main`) or dies, so the
        # wait for its exit blocks in waitpid for a moment; Popen.wait(timeout) would poll with sleeps.
        try:
            while self._pipe.poll(STOP_TIMEOUT_S):
                self._pipe.recv()
            hung = True  # pragma: no cover - no end-of-file for minutes: a page write that hangs
        except (OSError, EOFError):
            hung = False
        self._pipe.close()
        if hung:  # pragma: no cover
            self._process.kill()
        self._process.wait()

    def _died(self) -> PageWriteError:
        with contextlib.suppress(subprocess.TimeoutExpired):
            self._process.wait(1.0)
        return PageWriteError(f"the writer process died (exit status {self._process.returncode})")

    def _acknowledge(self, committed: Callable[[int], None]) -> None:
        self._expect("ok")
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


def main(descriptor: str) -> None:
    """Entry point of the writer process: its end of the pipe is the inherited file descriptor. Once
    `serve` returns, every page it was given is committed or reported and its engine is disposed: the
    process ends at once, without the interpreter's teardown (freeing every module: 0.1 s idle, over a
    second on a loaded machine), which the syncing process would wait for when it closes the run."""
    pipe = Connection(int(descriptor))
    serve(pipe)
    sys.stderr.flush()
    pipe.close()  # the syncing process reads end-of-file now, and the exit status right after
    os._exit(0)


def serve(pipe: Connection) -> None:
    """The writer process: connect, then write each page received, in order, until told to stop."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C reaches the whole group: the parent decides
    gc.set_threshold(SYNC_GC_THRESHOLD, *gc.get_threshold()[1:])
    structlog.configure(  # never on stdout: that is where `sync run --json` prints
        logger_factory=structlog.PrintLoggerFactory(sys.stderr),
        wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING),
    )
    try:
        url, run, seal = pipe.recv()
    except EOFError:  # the syncing process died before it said where to write
        return
    engine = make_engine(url)
    attach_seal(engine, seal)
    try:
        check_connection(engine)  # fail now, before any page is handed over, if it cannot connect
        ledger = SqlLedgerRepository(engine)
        pipe.send(("ready",))
        while True:
            try:
                page = pipe.recv()
            except EOFError:  # the syncing process is gone: every page received was written
                return
            if page is None:
                return
            try:
                ledger.write_page(run, page)
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
