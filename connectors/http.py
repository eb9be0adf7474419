"""The one HTTP loop every connector uses: session, timeouts, rate limit, concurrency cap, retries,
error translation (requests exceptions and HTTP statuses become connector errors here, and only here)."""

from __future__ import annotations

import contextlib
import heapq
import itertools
import json
import os
import random
import re
import socket
import sys
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from email.utils import parsedate_to_datetime
from typing import Any, Final, Literal, Protocol
from urllib.parse import urljoin, urlsplit

import msgspec
import requests
import structlog
from requests.adapters import HTTPAdapter
from requests.auth import AuthBase
from tenacity import (
    RetryCallState,
    Retrying,
    retry_if_exception_type,
    retry_if_not_exception_type,
    stop_after_attempt,
)
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

from connectors.errors import (
    AuthError,
    ConnectorError,
    FatalApiError,
    RateLimitedError,
    RecordError,
    TokenExpiredError,
    TransientError,
)
from connectors.proxies import EnvironmentOnceSession
from connectors.reasons import Rule

log = structlog.get_logger(__name__)

DEFAULT_TIMEOUT = (10.0, 60.0)
"""(connect, read) seconds: the longest wait for a connection, and for any one read of the socket."""

DEFAULT_DEADLINE: Final = 120.0
"""Seconds one HTTP exchange may take in all (connect, headers and the whole body): a server trickling
a byte at a time passes every socket read timeout, never this (`limits.request_deadline_seconds`)."""

MAX_REDIRECTS: Final = 5
"""Same-origin redirects a data call follows before it gives up."""

Redirects = Literal["same-origin", "never"]
"""`same-origin`: follow a 3xx only to the same scheme, host and port (data calls); `never`: any 3xx is an
auth error (token endpoints: credentials are sent to the configured host and nowhere else)."""

_REDIRECT_STATUSES: Final = frozenset({301, 302, 303, 307, 308})

MAX_INT_DIGITS: Final = sys.get_int_max_str_digits() or 4300
"""Python refuses to parse integers longer than this (CVE-2020-10735): such a value is kept as an
`OverlongInteger`, so the one record carrying it is quarantined and its page goes on."""

_UNDECODABLE = re.compile("[\udc80-\udcff]")
"""A byte that is not valid in the body's charset, kept by `surrogateescape` as a lone surrogate."""


class OverlongInteger:
    """A JSON integer too long for Python to convert (over `MAX_INT_DIGITS` digits): kept as its digits.
    It is not JSON-encodable on purpose: the sync engine cannot hash the record and quarantines it."""

    __slots__ = ("digits",)

    def __init__(self, digits: str) -> None:
        self.digits = digits

    def __repr__(self) -> str:
        return f"<integer of {len(self.digits.lstrip('-'))} digits>"

    __str__ = __repr__


def _parse_int(text: str) -> int | OverlongInteger:
    if len(text.lstrip("-")) > MAX_INT_DIGITS:
        return OverlongInteger(text)
    return int(text)


def parse_json(text: str) -> Any:
    """Parse a vendor body with every number that has a fraction as an exact Decimal. An integer too
    long for Python becomes an `OverlongInteger`; bytes that were not valid text stay lone surrogates
    (see `decode_body`): both are left for `unreadable_reason` to find in the record that carries them.
    Raises ValueError for a body that is not JSON, RecursionError for one nested too deep."""
    return json.loads(text, parse_float=Decimal, parse_int=_parse_int)


_FAST_JSON: Final = msgspec.json.Decoder(float_hook=Decimal)
"""msgspec's decoder of UTF-8 JSON: integers of any size as int, every number with a fraction or an
exponent as a Decimal of its literal text (`float_hook`), duplicate keys last-wins — what `parse_json`
gives, at less cost and without decoding the body to text first."""

_UTF8_NAMES: Final = frozenset({"utf-8", "utf8", "utf_8"})


def parse_json_body(content: bytes, charset: str | None = None) -> Any:
    """A response body's JSON, as `parse_json(decode_body(content, charset))` gives it. A UTF-8 body
    (the declared charset, or none) goes through msgspec; whatever msgspec refuses (bytes that are not
    UTF-8, an integer too long to convert, `NaN`, a lone surrogate escape, a body nested too deep)
    takes the standard-library path, which keeps those as before or raises as before."""
    fast = _fast_json(content, charset)
    return parse_json(decode_body(content, charset)) if fast is _REFUSED else fast


_REFUSED: Final = object()


def _fast_json(content: bytes, charset: str | None) -> Any:
    """msgspec's reading of a UTF-8 body, or `_REFUSED` when the standard-library path must read it."""
    if charset is not None and charset.strip().lower() not in _UTF8_NAMES:
        return _REFUSED
    try:
        return _FAST_JSON.decode(content)
    except (msgspec.DecodeError, msgspec.ValidationError, RecursionError):
        return _REFUSED


def decode_body(content: bytes, charset: str | None) -> str:
    """The body as text in its declared charset (UTF-8 when none): a byte that is not valid there is
    kept as a lone surrogate (never silently replaced), so the record holding it can be quarantined."""
    try:
        return content.decode(charset or "utf-8", errors="surrogateescape")
    except LookupError:  # an unknown charset name: JSON is UTF-8
        return content.decode("utf-8", errors="surrogateescape")


def unreadable_reason(value: Any, where: str = "") -> str | None:
    """Why a parsed record cannot be kept as it came (an integer too long for Python, text that was not
    valid UTF-8), naming the field; None when it is readable. Walks the record: call it only for a record
    that failed to encode, not on every record."""
    error = unreadable_error(value, where)
    return None if error is None else error.reason


def unreadable_error(value: Any, where: str = "") -> RecordError | None:
    """`unreadable_reason` as a quarantine reason with its field, rule and value."""
    if isinstance(value, OverlongInteger):
        digits = len(value.digits.lstrip("-"))
        return RecordError(
            f"an integer of {digits} digits (over {MAX_INT_DIGITS})",
            field=where or "record",
            rule=Rule.INTEGER_TOO_LONG,
            value=value,
        )
    if isinstance(value, str):
        bad = _UNDECODABLE.search(value)
        if bad is None:
            return None
        byte = ord(bad.group()) - 0xDC00
        return RecordError(
            f"text that is not valid UTF-8 (byte 0x{byte:02x} at {bad.start()})",
            field=where or "record",
            rule=Rule.NON_UTF8,
            value=value,
        )
    if isinstance(value, Mapping):
        for key, item in value.items():
            error = unreadable_error(key, where) or unreadable_error(
                item, f"{where}.{key}" if where else str(key)
            )
            if error is not None:
                return error
        return None
    if isinstance(value, list | tuple):
        for index, item in enumerate(value):
            error = unreadable_error(item, f"{where}[{index}]")
            if error is not None:
                return error
    return None


def escaped_json(value: Any) -> str:
    """ASCII JSON of a record whatever it holds (lone surrogates as \\udcNN escapes, an over-long
    integer as its digits in a string): what the quarantine keeps of an unreadable record."""

    def default(item: object) -> str:
        if isinstance(item, OverlongInteger):
            return item.digits
        return str(item)

    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=True, default=default)


@dataclass(frozen=True)
class ApiResponse:
    """A decoded response: `body` is None for 204 / 304 (nothing to read)."""

    status: int
    headers: Mapping[str, str]
    body: Any
    elapsed: float = 0.0


MAX_TOKEN_REFRESHES: Final = 3
"""Refreshes one call may cause when the tokens it is handed keep being older than its refusal (minted by
another process before it): a bound, never a loop. A fresh token refused again ends it at once."""


class Refreshable(Protocol):
    """An auth that can be told its token was refused, so the next request carries a fresh one.

    `invalidate()` drops the token this thread last sent (not one another thread already replaced it
    with); `fresh_since_refusal()` says whether the token this thread last sent was minted at or after
    the last refusal: a refused fresh token is a scope/permission error, not an old token."""

    def invalidate(self) -> None: ...

    def fresh_since_refusal(self) -> bool: ...


Interpreter = Callable[[requests.Response, Any], None]
"""Vendor-specific check run on every response with its parsed body (None for an empty body): raises a
connector error for a vendor failure (e.g. Fxiaoke's errorCode != 0 on HTTP 200), else returns."""

Observer = Callable[[str, str, int, float], None]
"""Called after every HTTP exchange with (connector, endpoint, status or 0 for no response, seconds):
the configured connector's name (`metric_connector`) and the URL's path with ids as `{id}`
(`metric_endpoint`) — the `connector` and `endpoint` labels of the API metrics."""

_CONNECTOR_NAME: Final = re.compile(r"^[a-z0-9][a-z0-9-]*")
"""A configured connector's name (config.settings.ConnectorName): what an HttpClient's name starts with.
Clients are named `<connector>`, `<connector>/accounts` (Zoho's OAuth server) or `<connector>:<path>`
(one per Fxiaoke API path); the part after the name is the endpoint, which has its own label."""

_ID_SEGMENT: Final = re.compile(r"^(?:\d+|(?=[0-9a-fA-F-]*\d)[0-9a-fA-F-]{16,})$")
"""A path segment that is a record id (digits, or a long hex/UUID): one label value for all records."""


def metric_connector(client_name: str) -> str:
    """The `connector` label of a client's metrics: the configured connector's name, nothing appended."""
    found = _CONNECTOR_NAME.match(client_name)
    return found.group() if found else client_name


def metric_endpoint(url: str) -> str:
    """The `endpoint` label: the URL's path without host or query, record ids as `{id}`
    (`/books/v3/invoices/{id}`), so the label has one value per API endpoint, not per record."""
    path = urlsplit(url).path or "/"
    return "/".join("{id}" if _ID_SEGMENT.match(segment) else segment for segment in path.split("/"))


SLOWEST_SHARE: Final = 1 / 16
"""AIMD floor: however often the vendor says "limit", the connector keeps this share of its rate."""
RECOVERY_CALLS: Final = 50
"""AIMD increase: each call that went through gives back 1/50 of the configured rate (about 25 calls
from half speed to full), so a connector slowed by another app's burst speeds up again gradually."""


class RateLimiter:
    """A thread-safe token bucket: `rate` requests per second on average, bursts of at most `burst`.

    AIMD: `slow_down()` halves the current rate (not below `SLOWEST_SHARE` of the configured one) when
    the vendor says the organization's budget is spent; `recover()` adds back a step per call that went
    through, up to the configured rate."""

    def __init__(
        self,
        rate: float,
        burst: int = 1,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if rate <= 0:
            raise ValueError("rate must be positive")
        self._rate = rate
        self._ceiling = rate
        self._burst = max(1, burst)
        self._tokens = float(self._burst)
        self._clock = clock
        self._sleep = sleep
        self._stamp = clock()
        self._lock = threading.Lock()

    def acquire(self) -> None:
        while True:
            with self._lock:
                now = self._clock()
                self._tokens = min(self._burst, self._tokens + (now - self._stamp) * self._rate)
                self._stamp = now
                if self._tokens >= 1:
                    self._tokens -= 1
                    return
                wait = (1 - self._tokens) / self._rate
            self._sleep(wait)

    @property
    def rate(self) -> float:
        """Requests per second now (the configured rate, or less after `slow_down`)."""
        with self._lock:
            return self._rate

    def slow_down(self) -> float:
        """Halve the rate (multiplicative decrease) and drop any saved-up burst; returns the new rate."""
        with self._lock:
            self._rate = max(self._ceiling * SLOWEST_SHARE, self._rate / 2)
            self._tokens = min(self._tokens, 0.0)
            return self._rate

    def recover(self) -> None:
        """One call went through: give back a step of the configured rate (additive increase)."""
        with self._lock:
            if self._rate < self._ceiling:
                self._rate = min(self._ceiling, self._rate + self._ceiling / RECOVERY_CALLS)


@dataclass(frozen=True)
class RetryPolicy:
    """How transient failures are retried: exponential backoff with full jitter, Retry-After honoured."""

    attempts: int = 6
    base_delay: float = 0.5
    max_delay: float = 60.0
    max_retry_after: float = 300.0
    max_rate_limit_wait: float = 3600.0
    """Seconds one call may spend waiting out per-minute/concurrency limits before it fails (an
    organization whose budget another app keeps spent for an hour needs a person)."""


MINUTE: Final = 60.0


def limit_window(headers: Mapping[str, str], wall: Callable[[], float] = time.time) -> float:
    """How long a per-minute or concurrency limit lasts: `Retry-After` when the vendor said; else
    `X-Rate-Limit-Reset` when it is within a minute (Zoho Books' header: seconds to the reset — a larger
    value is the daily window's, never a per-minute wait); else the rest of the current minute."""
    after = retry_after_seconds(headers.get("Retry-After"), wall())
    if after is not None:
        return after
    reset = reset_seconds(headers.get("X-Rate-Limit-Reset"), wall())
    if reset is not None and reset <= MINUTE:
        return reset
    return max(1.0, MINUTE - wall() % MINUTE)


def reset_seconds(value: str | None, now: float) -> float | None:
    """`X-Rate-Limit-Reset` as seconds from now: a small number is seconds (Zoho Books), an epoch in
    seconds or milliseconds is read as an instant (other vendors; UNVERIFIED for Zoho)."""
    if not value or not value.strip().isdigit():
        return None
    number = float(value.strip())
    if number >= 1e12:
        return max(0.0, number / 1000 - now)
    if number >= 1e9:
        return max(0.0, number - now)
    return number


def retry_after_seconds(value: str | None, now: float | None = None) -> float | None:
    """Parse a Retry-After header (delta seconds or an HTTP date); None when absent or unreadable."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - (time.time() if now is None else now))


class HttpClient:
    """One per connector: a requests.Session plus the limits and the retry loop around it."""

    def __init__(
        self,
        name: str,
        *,
        interpret: Interpreter,
        auth: AuthBase | None = None,
        requests_per_second: float = 1.0,
        burst: int = 1,
        concurrency: int = 1,
        retry: RetryPolicy | None = None,
        timeout: tuple[float, float] = DEFAULT_TIMEOUT,
        deadline: float = DEFAULT_DEADLINE,
        redirects: Redirects = "same-origin",
        session: requests.Session | None = None,
        sleep: Callable[[float], None] = time.sleep,
        observer: Observer | None = None,
        user_agent: str = "ledgerbridge",
        wall: Callable[[], float] = time.time,
    ) -> None:
        self.name = name
        self._interpret = interpret
        self._auth = auth
        self._limiter = RateLimiter(requests_per_second, burst, sleep=sleep)
        self._slots = threading.BoundedSemaphore(max(1, concurrency))
        self._retry = retry or RetryPolicy()
        self._timeout = timeout
        if deadline <= 0:
            raise ValueError("deadline must be positive")
        self._deadline = deadline
        self._redirects: Redirects = redirects
        self._session = session or EnvironmentOnceSession()  # proxies read once per host
        _track_connections(self._session)
        self._session.headers["User-Agent"] = user_agent
        self._sleep = sleep
        self._observer = observer
        self._wall = wall
        self._waited = 0.0
        self._waited_lock = threading.Lock()

    def close(self) -> None:
        self._session.close()

    @property
    def waited_seconds(self) -> float:
        """Seconds this client spent waiting out per-minute/concurrency limits since it was made."""
        with self._waited_lock:
            return self._waited

    @property
    def limiter(self) -> RateLimiter:
        return self._limiter

    def request(
        self,
        method: str,
        url: str,
        *,
        params: Mapping[str, Any] | None = None,
        json_body: Any = None,
        data: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
        auth: AuthBase | bool | None = True,
        redirects: Redirects | None = None,
    ) -> ApiResponse:
        """Send with retries. `auth=False` sends no auth (token endpoints); a refused token triggers one
        refresh (`Refreshable.invalidate`) and one retry on top of the transient-error retries.
        `redirects` (default: the client's) says which 3xx answers are followed: token endpoints pass
        "never", so credentials never reach another host and no token comes from one."""
        use_auth = self._auth if auth is True else (auth or None)
        call = _Call(method, url, params, json_body, data, headers, use_auth, redirects or self._redirects)
        refreshes = 0
        while True:
            try:
                return self._within_limits(call)
            except TokenExpiredError as exc:
                if use_auth is None or not hasattr(use_auth, "invalidate"):
                    raise
                fresh = getattr(use_auth, "fresh_since_refusal", None)
                if refreshes > 0 and (fresh is None or fresh() or refreshes >= MAX_TOKEN_REFRESHES):
                    # A token minted after the refusal is refused too: scope, permission or data center.
                    raise exc.persisted() from exc
                log.info(
                    "http.token_refused_refreshing",
                    connector=self.name,
                    url=_path(url),
                    vendor_code=exc.vendor_code,
                )
                use_auth.invalidate()
                refreshes += 1

    # ------------------------------------------------------------------------- internals

    def _within_limits(self, call: _Call) -> ApiResponse:
        """Send; on a per-minute or concurrency limit wait out its window, halve this connector's rate
        (AIMD) and send again — the organization's budget is shared with other apps, so a limit is
        weather, not failure. Gives up only after `max_rate_limit_wait` seconds of waiting for one call."""
        waited = 0.0
        while True:
            try:
                response = self._with_retries(call)
            except RateLimitedError as exc:
                window = exc.retry_after if exc.retry_after is not None else limit_window({}, self._wall)
                window = max(window, 0.0)
                if waited + window > self._retry.max_rate_limit_wait:
                    raise TransientError(
                        f"{exc} — still limited after waiting {waited:g}s for this call "
                        f"(over {self._retry.max_rate_limit_wait:g}s): another app keeps the "
                        "organization's budget spent",
                        vendor_code=exc.vendor_code,
                        trace_id=exc.trace_id,
                    ) from exc
                rate = self._limiter.slow_down()
                log.warning(
                    "http.rate_limited_waiting",
                    connector=self.name,
                    url=_path(call.url),
                    wait_seconds=round(window, 3),
                    requests_per_minute=round(rate * 60, 2),
                    vendor_code=exc.vendor_code,
                )
                self._sleep(window)
                waited += window
                with self._waited_lock:
                    self._waited += window
                continue
            self._limiter.recover()
            return response

    def _with_retries(self, call: _Call) -> ApiResponse:
        retrying = Retrying(
            retry=retry_if_exception_type(TransientError) & retry_if_not_exception_type(RateLimitedError),
            stop=stop_after_attempt(self._retry.attempts),
            wait=self._wait,
            sleep=self._sleep,
            before_sleep=self._log_retry,
            reraise=True,
        )
        for attempt in retrying:
            with attempt:
                return self._send_once(call)
        raise AssertionError("unreachable: tenacity either returns or reraises")  # pragma: no cover

    def _wait(self, state: RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome else None
        policy = self._retry
        ceiling = min(policy.max_delay, policy.base_delay * 2 ** (state.attempt_number - 1))
        backoff = random.uniform(0, ceiling)  # noqa: S311 - jitter, not cryptography
        if isinstance(exc, TransientError) and exc.retry_after is not None:
            return min(policy.max_retry_after, max(exc.retry_after, backoff))
        return backoff

    def _log_retry(self, state: RetryCallState) -> None:
        exc = state.outcome.exception() if state.outcome else None
        log.warning(
            "http.retrying",
            connector=self.name,
            attempt=state.attempt_number,
            error=str(exc),
            vendor_code=getattr(exc, "vendor_code", None),
            trace_id=getattr(exc, "trace_id", None),
        )

    def _send_once(self, call: _Call) -> ApiResponse:
        """One exchange, within the total deadline, following only the redirects `call.redirects` allows."""
        self._limiter.acquire()
        started = time.monotonic()
        deadline = started + self._deadline
        method, url, body_allowed = call.method, call.url, True
        with self._slots:
            for _ in range(MAX_REDIRECTS + 1):
                response, content = self._exchange(
                    call, method, url, body_allowed=body_allowed, started=started, deadline=deadline
                )
                location = response.headers.get("Location")
                if response.status_code not in _REDIRECT_STATUSES or not location:
                    break
                target = urljoin(response.url or url, location)
                self._refuse_redirect(call, url, response.status_code, target)
                log.info(
                    "http.redirect_followed",
                    connector=self.name,
                    status=response.status_code,
                    to=_path(target),
                )
                if response.status_code == 303 or (
                    response.status_code in (301, 302) and method not in ("GET", "HEAD")
                ):
                    method, body_allowed = "GET", False
                url = target
            else:
                raise FatalApiError(
                    f"{self.name}: {call.method} {_path(call.url)} redirected more than {MAX_REDIRECTS} times"
                )
        charset = response.encoding if "charset" in response.headers.get("Content-Type", "") else None
        return self._decode(
            method, url, response, content, charset=charset, elapsed=time.monotonic() - started
        )

    def _exchange(
        self, call: _Call, method: str, url: str, *, body_allowed: bool, started: float, deadline: float
    ) -> tuple[requests.Response, bytes]:
        """Send one request and read its whole body before `deadline` (time.monotonic()). The process's
        watchdog (`_Watchdog`) shuts the connection's socket at the deadline, whatever phase the
        exchange is in (connecting, reading headers or body), so a server trickling bytes inside every
        read timeout is cut too."""
        connect, read = self._timeout
        left = max(deadline - time.monotonic(), 0.001)
        status = 0
        exchange = _Exchange()
        outer = getattr(_CURRENT, "exchange", None)  # a token fetched while signing this very request
        _CURRENT.exchange = exchange
        _WATCHDOG.watch(time.monotonic() + left, exchange)
        try:
            response = self._session.request(
                method,
                url,
                params=call.params if url == call.url else None,
                json=call.json_body if body_allowed else None,
                data=call.data if body_allowed else None,
                headers=dict(call.headers or {}),
                auth=call.auth,
                timeout=(min(connect, left), min(read, left)),
                allow_redirects=False,
                stream=True,
            )
            status = response.status_code
            exchange.response = response
            if exchange.expired.is_set():  # the watchdog fired between the headers and this line
                exchange.cut()
            content = _read_body(response, exchange)
        except ConnectorError:  # from the auth, e.g. its own token request: already said
            raise
        except Exception as exc:
            timed_out = isinstance(exc, requests.RequestException) and time.monotonic() >= deadline
            if exchange.expired.is_set() or timed_out:
                raise TransientError(
                    f"{self.name}: {method} {_path(url)} did not finish within its {self._deadline:g}s "
                    "deadline (limits.request_deadline_seconds)"
                ) from exc
            if isinstance(exc, requests.RequestException):
                raise _translated(self.name, method, url, exc) from exc
            raise
        finally:
            exchange.finish()
            _CURRENT.exchange = outer
            if self._observer is not None:
                elapsed = time.monotonic() - started
                self._observer(metric_connector(self.name), metric_endpoint(url), status, elapsed)
        return response, content

    def _refuse_redirect(self, call: _Call, url: str, status: int, target: str) -> None:
        """Raise unless this redirect may be followed: never for a token call, only to the same origin
        (scheme, host and port) for a data call. Nothing from the other host is read or accepted."""
        if call.redirects == "never":
            raise AuthError(
                f"{self.name}: {call.method} {_path(url)} answered HTTP {status}, a redirect to "
                f"{_origin(target)}: credentials are sent only to the configured endpoint and a token "
                "endpoint's redirect is never followed; check the endpoint URL (a proxy or a moved "
                "server?)"
            )
        if _origin(target) != _origin(url):
            raise FatalApiError(
                f"{self.name}: {call.method} {_path(url)} answered HTTP {status}, a redirect to another "
                f"origin ({_origin(target)}): only same-origin redirects are followed, no data is taken "
                "from elsewhere; check the endpoint URL"
            )

    def _decode(
        self,
        method: str,
        url: str,
        response: requests.Response,
        content: bytes,
        *,
        charset: str | None,
        elapsed: float,
    ) -> ApiResponse:
        status = response.status_code
        body: Any = None
        fast = _fast_json(content, charset) if status not in (204, 304) and content else None
        if fast is not _REFUSED:
            body = fast
        elif (text := decode_body(content, charset)).strip():
            try:
                body = parse_json(text)
            except RecursionError as exc:
                raise FatalApiError(
                    f"{self.name}: {method} {_path(url)} returned HTTP {status} with a body nested too deep "
                    f"to read ({len(text)} characters): not a vendor answer"
                ) from exc
            except ValueError as exc:
                if status < 500 and status != 429:
                    # A well-formed status with a broken body: a cut connection or a proxy page.
                    raise TransientError(
                        f"{self.name}: {method} {_path(url)} returned HTTP {status} with a body that is "
                        f"not complete JSON ({len(text)} bytes)"
                    ) from exc
        self._interpret(response, body)  # vendor errors first: they carry the vendor's code and message
        if status == 429:
            raise RateLimitedError(
                f"{self.name}: rate limited (HTTP 429)",
                retry_after=limit_window(response.headers, self._wall),
            )
        if status >= 500:
            raise TransientError(
                f"{self.name}: server error HTTP {status} on {_path(url)}",
                retry_after=retry_after_seconds(response.headers.get("Retry-After")),
            )
        if status == 401:
            raise TokenExpiredError(f"{self.name}: HTTP 401 on {_path(url)}")
        if status == 403:
            raise AuthError(f"{self.name}: HTTP 403 (no permission) on {_path(url)}")
        if status >= 400:
            said = decode_body(content, charset)[:200]
            raise FatalApiError(f"{self.name}: HTTP {status} on {_path(url)}: {said}")
        return ApiResponse(status=status, headers=dict(response.headers), body=body, elapsed=elapsed)


@dataclass(frozen=True)
class _Call:
    method: str
    url: str
    params: Mapping[str, Any] | None
    json_body: Any
    data: Mapping[str, Any] | None
    headers: Mapping[str, str] | None
    auth: AuthBase | None
    redirects: Redirects


class _DeadlineExceeded(Exception):
    """The exchange was still going when the request's total deadline passed."""


class _Exchange:
    """One request in flight: the pooled connection it uses (set by `_TrackingPool`), so the deadline
    watchdog, running in another thread, can shut its socket down — never once the exchange has
    finished (its connection may be back in the pool, serving another request)."""

    def __init__(self) -> None:
        self.connection: Any = None
        self.response: requests.Response | None = None
        self.expired = threading.Event()
        self.finished = False
        self._lock = threading.Lock()

    def finish(self) -> None:
        with self._lock:
            self.finished = True

    def expire(self) -> None:
        """The deadline passed (the watchdog's call): cut the exchange unless it has finished."""
        with self._lock:
            if not self.finished:
                self.cut()

    def cut(self) -> None:
        self.expired.set()
        for sock in (getattr(self.connection, "sock", None), _socket_of(self.response)):
            if isinstance(sock, socket.socket):
                with contextlib.suppress(OSError):  # already closed: nothing left to cut
                    sock.shutdown(socket.SHUT_RDWR)


class _Watchdog:
    """One thread watching the deadline of every exchange in flight in the process, earliest first:
    at an exchange's deadline it cuts it (`_Exchange.expire`). A finished exchange is only marked
    (`finish`) and dropped when it comes up, so a request costs a heap push, not a thread of its own
    (a `threading.Timer` per request started and stopped a thread for every call)."""

    def __init__(self) -> None:
        self._reset()
        os.register_at_fork(after_in_child=self._reset)  # a forked child has none of our threads

    def _reset(self) -> None:
        self._wake = threading.Condition(threading.Lock())
        self._due: list[tuple[float, int, _Exchange]] = []
        self._order = itertools.count()
        self._thread: threading.Thread | None = None

    def watch(self, deadline: float, exchange: _Exchange) -> None:
        """Cut `exchange` at `deadline` (time.monotonic()) unless it has finished by then."""
        with self._wake:
            heapq.heappush(self._due, (deadline, next(self._order), exchange))
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="http-deadlines", daemon=True)
                self._thread.start()
            elif self._due[0][2] is exchange:  # earlier than what the thread sleeps towards
                self._wake.notify()

    def _run(self) -> None:
        while True:
            with self._wake:
                while True:
                    while self._due and self._due[0][2].finished:
                        heapq.heappop(self._due)
                    if not self._due:
                        self._wake.wait()
                        continue
                    left = self._due[0][0] - time.monotonic()
                    if left <= 0:
                        exchange = heapq.heappop(self._due)[2]
                        break
                    self._wake.wait(left)
            try:
                exchange.expire()
            except Exception:  # the other exchanges' deadlines must still be kept
                log.exception("http.deadline_cut_failed")


_WATCHDOG: Final = _Watchdog()


def _socket_of(response: requests.Response | None) -> Any:
    """The socket a streamed response reads from (http.client under urllib3 2): the connection lets go
    of it once the headers are read when the server will close it; None for a test double."""
    fp = getattr(getattr(response, "raw", None), "_fp", None)
    return getattr(getattr(getattr(fp, "fp", None), "raw", None), "_sock", None)


_CURRENT = threading.local()
"""The `_Exchange` the current thread is sending, if any."""


def _tracked(connection: Any) -> Any:
    """Tell the current thread's exchange which connection it got (the deadline's watchdog shuts it)."""
    exchange = getattr(_CURRENT, "exchange", None)
    if exchange is not None:
        exchange.connection = connection
    return connection


class _TrackingPool(HTTPConnectionPool):
    def _get_conn(self, timeout: float | None = None) -> Any:
        return _tracked(super()._get_conn(timeout))


class _TrackingHTTPSPool(HTTPSConnectionPool):
    def _get_conn(self, timeout: float | None = None) -> Any:
        return _tracked(super()._get_conn(timeout))


class _TrackingAdapter(HTTPAdapter):
    """requests' adapter whose pools tell the current exchange which connection it got."""

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = {"http": _TrackingPool, "https": _TrackingHTTPSPool}


def _track_connections(session: requests.Session) -> None:
    for prefix in ("https://", "http://"):
        if not isinstance(session.adapters.get(prefix), _TrackingAdapter):
            session.mount(prefix, _TrackingAdapter())


def _read_body(response: requests.Response, exchange: _Exchange) -> bytes:
    chunks: list[bytes] = []
    for chunk in response.iter_content(chunk_size=65536):
        chunks.append(chunk)
        if exchange.expired.is_set():
            break
    if exchange.expired.is_set():  # cut short, maybe silently (a shut socket can read as the end)
        response.close()
        raise _DeadlineExceeded
    return b"".join(chunks)


def _translated(name: str, method: str, url: str, exc: requests.RequestException) -> ConnectorError:
    """A requests failure as a connector error (messages never carry the query string)."""
    if isinstance(exc, requests.exceptions.Timeout):
        return TransientError(f"{name}: {method} {_path(url)} timed out")
    if isinstance(exc, requests.exceptions.ConnectionError):
        return TransientError(f"{name}: cannot reach {_path(url)}: {_short(exc)}")
    if isinstance(exc, requests.exceptions.ChunkedEncodingError):
        return TransientError(f"{name}: {method} {_path(url)} body cut short")
    return FatalApiError(f"{name}: {method} {_path(url)} failed: {_short(exc)}")


def _origin(url: str) -> str:
    """scheme://host:port, the port made explicit, host lower-cased: what "same origin" compares."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    try:
        port = parts.port or {"http": 80, "https": 443}.get(scheme)
    except ValueError:
        port = None
    return f"{scheme}://{(parts.hostname or '').lower()}:{port}"


def _path(url: str) -> str:
    """The URL without its query string: query strings may carry tokens and never go into messages."""
    return url.split("?", 1)[0]


def _short(exc: BaseException) -> str:
    return type(exc).__name__


__all__ = [
    "DEFAULT_DEADLINE",
    "DEFAULT_TIMEOUT",
    "MAX_INT_DIGITS",
    "MAX_TOKEN_REFRESHES",
    "ApiResponse",
    "AuthError",
    "ConnectorError",
    "HttpClient",
    "Interpreter",
    "Observer",
    "OverlongInteger",
    "RateLimitedError",
    "RateLimiter",
    "Redirects",
    "Refreshable",
    "RetryPolicy",
    "decode_body",
    "escaped_json",
    "limit_window",
    "metric_connector",
    "metric_endpoint",
    "parse_json",
    "parse_json_body",
    "retry_after_seconds",
    "unreadable_reason",
]
