"""Paginators: small state machines, created fresh for every pass, that say which page to ask for next.

Shaped after dlt's rest_client paginators: `init_request` shapes the first request, `update_state`
reads each answer before its records are handed on, `has_next_page` says whether to go on and
`update_request` shapes the next request. `paginate` is the one loop. A paginator raises in
`update_state` when the answer itself cannot be trusted (its records are not handed on), and in
`update_request` when the next page cannot be reached (the page in hand was handed on first). A
paginator never loops forever: a repeated token or a keyset that does not advance is an error.

Requests are immutable values of any type (`HttpRequest` for REST lists, a vendor's query object
or a file offset otherwise); a paginator returns a new one rather than changing the one it is given.
`paginate`, `Offset` and `KeysetPaginator` work with any request type (the caller says how a position
is written into its request); `PageNumber`, `PageToken` and `PageNumberThenToken` shape `HttpRequest`s.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, Protocol, TypeVar

from connectors.base import RawRecord
from connectors.errors import FatalApiError

R = TypeVar("R")


@dataclass(frozen=True)
class HttpRequest:
    """One GET/POST of a list endpoint: the path under the stream's base URL, its query and headers."""

    method: str
    path: str
    params: Mapping[str, Any] = field(default_factory=dict)
    headers: Mapping[str, str] | None = None

    def with_params(self, params: Mapping[str, Any], *, drop: Collection[str] = ()) -> HttpRequest:
        """A copy with `params` set (a name already present keeps its place) and `drop` removed."""
        merged = {k: v for k, v in {**self.params, **params}.items() if k not in drop}
        return HttpRequest(self.method, self.path, merged, self.headers)

    def with_headers(self, headers: Mapping[str, str]) -> HttpRequest:
        return HttpRequest(self.method, self.path, self.params, {**(self.headers or {}), **headers})


@dataclass(frozen=True)
class Answer:
    """One page as the vendor answered it: the decoded body (for the paginator) and its records."""

    body: Any
    records: Sequence[RawRecord]


class Paginator(Protocol[R]):
    @property
    def has_next_page(self) -> bool: ...

    def init_request(self, request: R) -> R: ...

    def update_state(self, answer: Answer) -> None: ...

    def update_request(self, request: R) -> R: ...


def paginate(send: Callable[[R], Answer | None], request: R, paginator: Paginator[R]) -> Iterator[Answer]:
    """Send `request` and every next page the paginator asks for; `send` answers None for "nothing
    here" (a 204 or 304), which ends the pass."""
    request = paginator.init_request(request)
    while True:
        answer = send(request)
        if answer is None:
            return
        paginator.update_state(answer)
        yield answer
        if not paginator.has_next_page:
            return
        request = paginator.update_request(request)


More = Callable[[Answer], bool]
"""Whether the vendor says more records follow this answer (Zoho's `info.more_records`, ...)."""


class PageNumber:
    """`page=1, 2, ...` while the answer says more follow (and, with `last_page`, up to that page)."""

    def __init__(self, more: More, *, param: str = "page", start: int = 1, last_page: int | None = None):
        self._more, self._param, self._last_page = more, param, last_page
        self.page = start
        self._has_next = True

    @property
    def has_next_page(self) -> bool:
        return self._has_next

    def init_request(self, request: HttpRequest) -> HttpRequest:
        return request.with_params({self._param: self.page})

    def update_state(self, answer: Answer) -> None:
        self._has_next = self._more(answer) and (self._last_page is None or self.page < self._last_page)

    def update_request(self, request: HttpRequest) -> HttpRequest:
        self.page += 1
        return request.with_params({self._param: self.page})

    def stopped_at_last_page(self, answer: Answer) -> bool:
        """The vendor said more follow, but page numbers reach no further."""
        return not self._has_next and self._more(answer)


class PageToken:
    """The answer's next-page token sent back as `param`, while the answer says more follow. A missing
    token when more follow, or a token seen before, stops the pass with an error (never a silent stop,
    never an endless loop). `drop` names parameters the token replaces (e.g. `page`)."""

    def __init__(
        self,
        more: More,
        token_of: Callable[[Answer], object],
        *,
        param: str,
        label: str,
        answer_field: str,
        per_page: int,
        drop: Collection[str] = (),
    ) -> None:
        self._more, self._token_of, self._param, self._drop = more, token_of, param, drop
        self._label, self._answer_field, self._per_page = label, answer_field, per_page
        self.pages = 0
        """Pages read so far in this pass (counting pages another paginator read before this one)."""
        self._seen: set[str] = set()
        self._token: str | None = None
        self._problem: str | None = None
        self._has_next = True

    @property
    def has_next_page(self) -> bool:
        return self._has_next

    def init_request(self, request: HttpRequest) -> HttpRequest:
        return request

    def update_state(self, answer: Answer) -> None:
        self.pages += 1
        self._has_next = self._more(answer)
        if not self._has_next:
            return
        token = self._token_of(answer)
        if not isinstance(token, str) or not token:
            self._problem = (
                f"{self._label}: more records after {self.pages * self._per_page} but no "
                f"{self._answer_field} to reach them"
            )
        elif token in self._seen:
            self._problem = f"{self._label}: the same {self._param} came back twice"
        else:
            self._seen.add(token)
            self._token = token

    def update_request(self, request: HttpRequest) -> HttpRequest:
        if self._problem is not None:
            raise FatalApiError(self._problem)
        return request.with_params({self._param: self._token}, drop=self._drop)


class PageNumberThenToken:
    """Page numbers while they reach, then the token of the last numbered page onwards (Zoho CRM: `page`
    reaches the first 2,000 records only; `page_token` goes on from there)."""

    def __init__(self, numbers: PageNumber, tokens: PageToken) -> None:
        self._numbers, self._tokens = numbers, tokens
        self._by_token = False

    @property
    def has_next_page(self) -> bool:
        return self._tokens.has_next_page if self._by_token else self._numbers.has_next_page

    def init_request(self, request: HttpRequest) -> HttpRequest:
        return self._numbers.init_request(request)

    def update_state(self, answer: Answer) -> None:
        if not self._by_token:
            self._numbers.update_state(answer)
            if not self._numbers.stopped_at_last_page(answer):
                self._tokens.pages += 1
                return
            self._by_token = True
        self._tokens.update_state(answer)

    def update_request(self, request: HttpRequest) -> HttpRequest:
        if self._by_token:
            return self._tokens.update_request(request)
        return self._numbers.update_request(request)


class Offset(Generic[R]):
    """`offset = 0, limit, 2 * limit, ...` (dlt's OffsetPaginator) while rows remain: up to `total` when
    the source says how many there are, else until a short page. `at` writes an offset into a request
    (a query parameter for an API, the position itself for a file's index)."""

    def __init__(self, at: Callable[[R, int], R], *, limit: int, total: int | None = None) -> None:
        self._at, self._limit, self._total = at, limit, total
        self.offset = 0
        self._has_next = True

    @property
    def has_next_page(self) -> bool:
        return self._has_next

    def init_request(self, request: R) -> R:
        return self._at(request, self.offset)

    def update_state(self, answer: Answer) -> None:
        if self._total is not None:
            self._has_next = self.offset + self._limit < self._total
        else:
            self._has_next = len(answer.records) >= self._limit

    def update_request(self, request: R) -> R:
        self.offset += self._limit
        return self._at(request, self.offset)


class KeysetPaginator(Generic[R]):
    """Ascending `key`, each next page asking for keys after the last page's highest (`after` writes
    that condition into the vendor's request). Ends at a short page; a page whose highest key does not
    pass the last one is an error (the vendor ignored the condition), raised before its rows go on."""

    def __init__(
        self,
        key: str,
        after: Callable[[R, str], R],
        *,
        limit: int,
        start: str | None = None,
        label: str = "keyset",
    ) -> None:
        self._key, self._after, self._limit, self._label = key, after, limit, label
        self.last = start
        self._has_next = True

    @property
    def has_next_page(self) -> bool:
        return self._has_next

    def init_request(self, request: R) -> R:
        return request if self.last is None else self._after(request, self.last)

    def update_state(self, answer: Answer) -> None:
        rows = answer.records
        if rows:
            top = str(rows[-1].get(self._key) or "")
            if self.last is not None and top <= self.last:
                raise FatalApiError(
                    f"{self._label} paging by {self._key} did not advance past {self.last}: "
                    "the API ignored the filter"
                )
            self.last = top
        self._has_next = len(rows) >= self._limit

    def update_request(self, request: R) -> R:
        if self.last is None:  # only after an empty page of limit 0: nothing to page past
            raise FatalApiError(f"{self._label} paging by {self._key}: no {self._key} to page past")
        return self._after(request, self.last)
