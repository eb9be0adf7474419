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

For HTTP list endpoints only:

- `Cursor`: where the engine's `since` goes in a request (a query parameter or a header, in the
  vendor's format). The engine has already moved `since` back by the overlap window.
- `ListReader`: `paginate` over one `HttpClient`: base URL (asked on every call: it may come from
  the token), the cursor, a paginator (connectors/paging.py) and the vendor's envelope (`Envelope`:
  the answer's records, or None for "nothing here").
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import ClassVar, Generic, Literal, Protocol, TypeVar

from connectors.base import CheckResult, NormalizeContext, RawRecord
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


def first_page_probe(what: str, read: Callable[[], str]) -> Probe:
    """A probe that reads one page: ok with what `read` says, or failed with the connector error."""

    def probe() -> Sequence[CheckResult]:
        try:
            said = read()
        except ConnectorError as exc:
            return [CheckResult(what, False, str(exc))]
        return [CheckResult(what, True, said)]

    return probe


def check_streams(
    probes: Sequence[Probe], *, extra: Sequence[Callable[[], CheckResult]] = ()
) -> list[CheckResult]:
    """The check of a source without a sign-in (files): `extra`, then each probe."""
    results = [check() for check in extra]
    for probe in probes:
        results.extend(probe())
    return results


def check_connection(
    sign_in: str,
    authenticate: Callable[[], str],
    probes: Sequence[Probe],
    *,
    extra: Sequence[Callable[[], CheckResult]] = (),
    skipped: Sequence[str] = (),
) -> list[CheckResult]:
    """Authenticate (`authenticate` says how long the token lasts, or raises a ConnectorError); when it
    fails, only that line and a "skipped" line for each of `skipped`. Then `check_streams`."""
    try:
        said = authenticate()
    except ConnectorError as exc:
        return [
            CheckResult(sign_in, False, str(exc)),
            *(CheckResult(what, False, "skipped: cannot sign in") for what in skipped),
        ]
    return [CheckResult(sign_in, True, said), *check_streams(probes, extra=extra)]
