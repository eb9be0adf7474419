"""The stream kit: what every vendor's streams share, so a vendor declares specs instead of loops.

For any source (an HTTP API, a vendor SDK's queries, files):

- `StreamBase`: a stream declared by a frozen spec (`name`, `kind`): the `Stream` protocol's name,
  kind and `ordered`; `SpecStream` adds the pure normalize from the spec's `normalizer`, so a vendor's
  stream class holds only its reading. The reading itself is `connectors.paging.paginate` (the one
  request loop) with a paginator; paginators and `paginate` are generic in the request type, so a
  source that is not HTTP sends its own request values (Fxiaoke: a query; jsonl: a line offset).
- `check_streams` / `check_connection`: `ledgerbridge connector test` in one shape for every source:
  authenticate first when there is a sign-in (nothing else works without it), then the extra checks,
  then each stream's probe (`first_page_probe`).

- `read_ahead`: a stream's pages one page ahead — while the engine normalizes and writes page n, a
  worker thread already reads page n+1 (its requests, its detail reads, its decoding); never more than
  that one page, so memory stays flat. The engine reads every stream's pages through it (ADR 0030).

For HTTP list endpoints only:

- `Cursor`: where the engine's `since` goes in a request (a query parameter or a header, in the
  vendor's format). The engine has already moved `since` back by the overlap window.
- `ListReader`: `paginate` over one `HttpClient`: base URL (asked on every call: it may come from
  the token), the cursor, a paginator (connectors/paging.py) and the vendor's envelope (`Envelope`:
  the answer's records, or None for "nothing here").
"""

from __future__ import annotations

import contextvars
import threading
from collections.abc import Callable, Generator, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import ClassVar, Final, Generic, Literal, Protocol, TypeVar

from connectors.base import CheckResult, NormalizeContext, RawRecord, Said, say
from connectors.errors import ConnectorError
from connectors.http import ApiResponse, HttpClient
from connectors.paging import Answer, HttpRequest, Paginator, paginate
from store.canonical import CanonicalDocument, DocumentKind

Normalizer = Callable[[RawRecord, NormalizeContext], CanonicalDocument]
"""Pure: one raw vendor record -> a canonical document, or a `RecordError` naming the field."""

Envelope = Callable[[ApiResponse], Answer | None]
"""Reads one answer of a list endpoint: its records (and body, for the paginator), None when there is
nothing to read (204, 304); raises `FatalApiError` for a body without the expected list."""


@dataclass(frozen=True)
class Cursor:
    """Where a stream sends the engine's `since`: query parameter or header `name`, as `format` writes it."""

    where: Literal["query", "header"]
    name: str
    format: Callable[[datetime], str]

    def apply(self, request: HttpRequest, since: datetime | None) -> HttpRequest:
        if since is None:
            return request
        value = self.format(since)
        if self.where == "header":
            return request.with_headers({self.name: value})
        return request.with_params({self.name: value})


class ListReader:
    """Pages of a list endpoint through one HttpClient: `base_url()` + the request's path, the
    cursor applied once, then the paginator's requests until it stops or the vendor has nothing."""

    def __init__(self, http: HttpClient, base_url: Callable[[], str], envelope: Envelope) -> None:
        self._http, self._base_url, self._envelope = http, base_url, envelope

    def pages(
        self,
        request: HttpRequest,
        paginator: Paginator[HttpRequest],
        *,
        since: datetime | None = None,
        cursor: Cursor | None = None,
    ) -> Iterator[Answer]:
        if cursor is not None:
            request = cursor.apply(request, since)
        return paginate(self.send, request, paginator)

    def send(self, request: HttpRequest) -> Answer | None:
        """One request, answered through the envelope (also for single reads outside a pass)."""
        response = self._http.request(
            request.method, self._base_url() + request.path, params=request.params, headers=request.headers
        )
        return self._envelope(response)


class NamedSpec(Protocol):
    """What every spec declares; a vendor's spec adds where and how its stream reads."""

    @property
    def name(self) -> str: ...

    @property
    def kind(self) -> DocumentKind: ...


class StreamSpec(NamedSpec, Protocol):
    """A spec whose records one pure function normalizes (every vendor API's)."""

    @property
    def normalizer(self) -> Normalizer: ...


T = TypeVar("T")
N = TypeVar("N", bound=NamedSpec)
S = TypeVar("S", bound=StreamSpec)


class StreamBase(Generic[N]):
    """A stream declared by `spec`: its name and kind. `ordered` is the subclass's promise that pages
    come in ascending modification time (the engine then advances the cursor per page). The subclass
    writes `pages` and `normalize` (a source whose normalizing depends on the configured stream, as
    jsonl's, where the stream's name may say which kind it holds)."""

    ordered: ClassVar[bool] = False

    def __init__(self, spec: N, context: NormalizeContext) -> None:
        self.spec = spec
        self._context = context

    @property
    def name(self) -> str:
        return self.spec.name

    @property
    def kind(self) -> DocumentKind:
        return self.spec.kind


class SpecStream(StreamBase[S]):
    """A stream declared by `spec`, normalized by the spec's pure `normalizer`."""

    def normalize(self, raw: RawRecord) -> CanonicalDocument:
        return self.spec.normalizer(raw, self._context)


Probe = Callable[[], Sequence[CheckResult]]
"""One stream's lines of a connection check (a header object, and its detail object if it has one)."""


def first_page_probe(what: Said, read: Callable[[], Said]) -> Probe:
    """A probe that reads one page: ok with what `read` says, or failed with the connector error."""

    def probe() -> Sequence[CheckResult]:
        try:
            said = read()
        except ConnectorError as exc:
            return [CheckResult(what, False, failed(exc))]
        return [CheckResult(what, True, said)]

    return probe


def stream_probes(readers: Mapping[str, Callable[[], int]]) -> list[Probe]:
    """A first-page probe per stream (`readers`: name -> read the first page, giving its record count):
    "stream NAME" — "read N record(s) from the first page"."""

    def counted(read: Callable[[], int]) -> Callable[[], Said]:
        return lambda: say("check.first_page", count=read())

    return [first_page_probe(say("check.stream", name=name), counted(read)) for name, read in readers.items()]


def token_valid(expires_at: datetime) -> Said:
    """An OAuth sign-in's line: until when the access token is valid (UTC)."""
    return say("check.token_valid", until=f"{expires_at:%Y-%m-%d %H:%M}")


def failed(exc: ConnectorError) -> Said:
    """A check's failure: the connector error (what the vendor said, our hint) verbatim in the sentence."""
    return say("check.failed", error=str(exc))


def check_streams(
    probes: Sequence[Probe], *, extra: Sequence[Callable[[], CheckResult]] = ()
) -> list[CheckResult]:
    """The check of a source without a sign-in (files): `extra`, then each probe."""
    results = [check() for check in extra]
    for probe in probes:
        results.extend(probe())
    return results


def check_connection(
    sign_in: Said,
    authenticate: Callable[[], Said],
    probes: Sequence[Probe],
    *,
    extra: Sequence[Callable[[], CheckResult]] = (),
    skipped: Sequence[Said] = (),
) -> list[CheckResult]:
    """Authenticate (`authenticate` says how long the token lasts, or raises a ConnectorError); when it
    fails, only that line and a "skipped" line for each of `skipped`. Then `check_streams`."""
    try:
        said = authenticate()
    except ConnectorError as exc:
        return [
            CheckResult(sign_in, False, failed(exc)),
            *(CheckResult(what, False, say("check.skipped")) for what in skipped),
        ]
    return [CheckResult(sign_in, True, said), *check_streams(probes, extra=extra)]


def read_ahead(pages: Iterable[T], *, name: str = "stream") -> Generator[T, None, None]:
    """`pages`, each item read in a worker thread while the caller works on the one before: at most
    one item is read ahead (requested when the caller takes the previous one), so at most two pages
    are held at once. The source is only ever advanced by the worker, one `next` at a time, with the
    caller's context variables (log bindings); its exceptions are raised to the caller in order, after
    every page read before them. Closing early (the run failed or was interrupted) never waits for a
    read in flight: the source is closed once that read ends, and the thread (a daemon) ends with it."""
    worker = _ReadAhead(iter(pages), name)
    try:
        while True:
            item = worker.take()
            if item is _END:
                return
            yield item  # type: ignore[misc]
    finally:
        worker.close()


_END: Final = object()


class _ReadAhead(Generic[T]):
    def __init__(self, source: Iterator[T], name: str) -> None:
        self._source = source
        self._context = contextvars.copy_context()
        self._lock = threading.Lock()
        self._wanted = threading.Condition(self._lock)
        self._done = threading.Condition(self._lock)
        self._asked = True  # the first page is read at once
        self._result: tuple[bool, object] | None = None  # (ok, item or exception)
        self._closed = False
        self._thread = threading.Thread(target=self._run, name=f"read-ahead {name}", daemon=True)
        self._thread.start()

    def take(self) -> object:
        """The next item (or `_END`), and ask for the one after it."""
        with self._lock:
            while self._result is None:
                self._done.wait()
            ok, item = self._result
            self._result = None
            if ok and item is not _END:
                self._asked = True
                self._wanted.notify()
        if not ok:
            raise item  # type: ignore[misc]
        return item

    def close(self) -> None:
        with self._lock:
            self._closed = True
            self._wanted.notify()

    def _run(self) -> None:
        try:
            while True:
                with self._lock:
                    while not self._asked and not self._closed:
                        self._wanted.wait()
                    if self._closed:
                        return
                    self._asked = False
                try:
                    result: tuple[bool, object] = (True, self._context.run(next, self._source, _END))
                except BaseException as exc:  # noqa: BLE001 - handed to the caller, who raises it
                    result = (False, exc)
                with self._lock:
                    self._result = result
                    self._done.notify()
                    if not result[0] or result[1] is _END:
                        return
        finally:
            close = getattr(self._source, "close", None)
            if close is not None:
                self._context.run(close)
