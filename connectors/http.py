"""The one HTTP loop every connector uses: session, timeouts, rate limit, concurrency cap, retries,
error translation (requests exceptions and HTTP statuses become connector errors here, and only here)."""

from __future__ import annotations

import json
import random
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from email.utils import parsedate_to_datetime
from typing import Any, Protocol

import requests
import structlog
from requests.auth import AuthBase
from tenacity import RetryCallState, Retrying, retry_if_exception_type, stop_after_attempt

from connectors.errors import (
    AuthError,
    ConnectorError,
    FatalApiError,
    TokenExpiredError,
    TransientError,
)

log = structlog.get_logger(__name__)

DEFAULT_TIMEOUT = (10.0, 60.0)
"""(connect, read) seconds: no call ever waits forever."""


def parse_json(text: str) -> Any:
    """Parse a vendor body with every number that has a fraction as an exact Decimal."""
    return json.loads(text, parse_float=Decimal)


@dataclass(frozen=True)
class ApiResponse:
    """A decoded response: `body` is None for 204 / 304 (nothing to read)."""

    status: int
    headers: Mapping[str, str]
    body: Any
    elapsed: float = 0.0


class Refreshable(Protocol):
    """An auth that can be told its token was refused, so the next request carries a fresh one."""

    def invalidate(self) -> None: ...


Interpreter = Callable[[requests.Response, Any], None]
"""Vendor-specific check run on every response with its parsed body (None for an empty body): raises a
connector error for a vendor failure (e.g. Fxiaoke's errorCode != 0 on HTTP 200), else returns."""

Observer = Callable[[str, int, float], None]
"""Called after every HTTP exchange with (connector name, status or 0 for no response, seconds)."""


class RateLimiter:
    """A thread-safe token bucket: `rate` requests per second on average, bursts of at most `burst`."""

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


@dataclass(frozen=True)
class RetryPolicy:
    """How transient failures are retried: exponential backoff with full jitter, Retry-After honoured."""

    attempts: int = 6
    base_delay: float = 0.5
    max_delay: float = 60.0
    max_retry_after: float = 300.0


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
        session: requests.Session | None = None,
        sleep: Callable[[float], None] = time.sleep,
        observer: Observer | None = None,
        user_agent: str = "ledgerbridge",
    ) -> None:
        self.name = name
        self._interpret = interpret
        self._auth = auth
        self._limiter = RateLimiter(requests_per_second, burst, sleep=sleep)
        self._slots = threading.BoundedSemaphore(max(1, concurrency))
        self._retry = retry or RetryPolicy()
        self._timeout = timeout
        self._session = session or requests.Session()
        self._session.headers["User-Agent"] = user_agent
        self._sleep = sleep
        self._observer = observer

    def close(self) -> None:
        self._session.close()

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
    ) -> ApiResponse:
        """Send with retries. `auth=False` sends no auth (token endpoints); a refused token triggers one
        refresh (`Refreshable.invalidate`) and one retry on top of the transient-error retries."""
        use_auth = self._auth if auth is True else (auth or None)
        call = _Call(method, url, params, json_body, data, headers, use_auth)
        refreshed = False
        while True:
            try:
                return self._with_retries(call)
            except TokenExpiredError:
                if refreshed or use_auth is None or not hasattr(use_auth, "invalidate"):
                    raise
                log.info("http.token_refused_refreshing", connector=self.name, url=url)
                use_auth.invalidate()
                refreshed = True

    # ------------------------------------------------------------------------- internals

    def _with_retries(self, call: _Call) -> ApiResponse:
        retrying = Retrying(
            retry=retry_if_exception_type(TransientError),
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
        method, url = call.method, call.url
        self._limiter.acquire()
        started = time.monotonic()
        status = 0
        with self._slots:
            try:
                response = self._session.request(
                    method,
                    url,
                    params=call.params,
                    json=call.json_body,
                    data=call.data,
                    headers=dict(call.headers or {}),
                    auth=call.auth,
                    timeout=self._timeout,
                )
                status = response.status_code
                text = response.text
            except requests.exceptions.Timeout as exc:
                raise TransientError(f"{self.name}: {method} {_path(url)} timed out") from exc
            except requests.exceptions.ConnectionError as exc:
                raise TransientError(f"{self.name}: cannot reach {_path(url)}: {_short(exc)}") from exc
            except requests.exceptions.ChunkedEncodingError as exc:
                raise TransientError(f"{self.name}: {method} {_path(url)} body cut short") from exc
            except requests.exceptions.RequestException as exc:
                raise FatalApiError(f"{self.name}: {method} {_path(url)} failed: {_short(exc)}") from exc
            finally:
                if self._observer is not None:
                    self._observer(self.name, status, time.monotonic() - started)
        return self._decode(method, url, response, text, time.monotonic() - started)

    def _decode(
        self, method: str, url: str, response: requests.Response, text: str, elapsed: float
    ) -> ApiResponse:
        status = response.status_code
        body: Any = None
        if text.strip() and status not in (204, 304):
            try:
                body = parse_json(text)
            except ValueError as exc:
                if status < 500 and status != 429:
                    # A well-formed status with a broken body: a cut connection or a proxy page.
                    raise TransientError(
                        f"{self.name}: {method} {_path(url)} returned HTTP {status} with a body that is "
                        f"not complete JSON ({len(text)} bytes)"
                    ) from exc
        self._interpret(response, body)  # vendor errors first: they carry the vendor's code and message
        if status == 429:
            raise TransientError(
                f"{self.name}: rate limited (HTTP 429)",
                retry_after=retry_after_seconds(response.headers.get("Retry-After")),
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
            raise FatalApiError(f"{self.name}: HTTP {status} on {_path(url)}: {text[:200]}")
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


def _path(url: str) -> str:
    """The URL without its query string: query strings may carry tokens and never go into messages."""
    return url.split("?", 1)[0]


def _short(exc: BaseException) -> str:
    return type(exc).__name__


__all__ = [
    "DEFAULT_TIMEOUT",
    "ApiResponse",
    "AuthError",
    "ConnectorError",
    "HttpClient",
    "Interpreter",
    "Observer",
    "RateLimiter",
    "Refreshable",
    "RetryPolicy",
    "parse_json",
    "retry_after_seconds",
]
