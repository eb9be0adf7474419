"""A loopback-only HTTP server for the vendor sandboxes, with fault injection shared by all of them."""

from __future__ import annotations

import ipaddress
import json
import random
import re
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self
from urllib.parse import parse_qs, urlsplit

import structlog

log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class Request:
    """An incoming sandbox request, decoded."""

    method: str
    path: str
    query: Mapping[str, list[str]]
    headers: Mapping[str, str]
    body: bytes

    def arg(self, name: str, default: str | None = None) -> str | None:
        values = self.query.get(name)
        return values[0] if values else default

    def header(self, name: str) -> str | None:
        for key, value in self.headers.items():
            if key.lower() == name.lower():
                return value
        return None

    def json(self) -> Any:
        return json.loads(self.body.decode("utf-8") or "null", parse_float=Decimal)

    def form(self) -> dict[str, str]:
        """Form fields of the body merged over the query string (Zoho accepts both for OAuth)."""
        merged = {k: v[0] for k, v in self.query.items() if v}
        if self.body:
            merged.update({k: v[0] for k, v in parse_qs(self.body.decode("utf-8")).items() if v})
        return merged


@dataclass(frozen=True)
class Response:
    """What a sandbox answers. `body` is JSON-encoded (Decimals as numbers) unless it is bytes."""

    status: int = 200
    body: Any = None
    headers: Mapping[str, str] = field(default_factory=dict)
    truncate: bool = False
    """Send the headers and only half of the body, then close: a connection cut mid-body."""


_NUMBER_MARK = "\ue000dec:"  # a private-use character: never in vendor data
_NUMBER_TEXT = re.compile('"' + _NUMBER_MARK + r'(-?[0-9.E+-]+)"')


def json_dumps(value: Any) -> bytes:
    """Encode like a vendor would: Decimal amounts as exact JSON numbers (12.30 stays 12.30), UTF-8."""
    text = json.dumps(_mark_numbers(value), ensure_ascii=False)
    return _NUMBER_TEXT.sub(lambda m: m.group(1), text).encode("utf-8")


def _mark_numbers(value: Any) -> Any:
    if isinstance(value, Decimal):
        return _NUMBER_MARK + str(value)
    if isinstance(value, dict):
        return {k: _mark_numbers(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_mark_numbers(v) for v in value]
    return value


Handler = Callable[[Request], Response]

Recorder = Callable[[Request, Response], None]
"""Told every exchange a sandbox answered: the request and the response as sent, its body the exact
bytes (benchmarks record a sandbox's answers once and replay them: bench/http_sync.py)."""


@dataclass
class FaultPlan:
    """Faults a sandbox injects, each at a rate in [0, 1], drawn from a seeded generator.

    `burst_429` makes the next N requests answer 429 (a "429 storm" on demand)."""

    rate_429: float = 0.0
    rate_500: float = 0.0
    rate_truncated: float = 0.0
    rate_token_expiry: float = 0.0
    burst_429: int = 0
    retry_after: int | None = None
    seed: int = 0
    _rng: random.Random = field(init=False, repr=False)
    _lock: threading.Lock = field(init=False, repr=False, default_factory=threading.Lock)

    def __post_init__(self) -> None:
        self._rng = random.Random(self.seed)

    def draw(self) -> str | None:
        """Which fault to inject on this request, if any: '429', '500', 'truncated', 'token_expiry'."""
        with self._lock:
            if self.burst_429 > 0:
                self.burst_429 -= 1
                return "429"
            roll = self._rng.random()
            for name, rate in (
                ("429", self.rate_429),
                ("500", self.rate_500),
                ("truncated", self.rate_truncated),
                ("token_expiry", self.rate_token_expiry),
            ):
                if roll < rate:
                    return name
                roll -= rate
            return None


def _check_loopback(host: str) -> None:
    try:
        address = ipaddress.ip_address(host)
    except ValueError as exc:
        if host != "localhost":
            raise ValueError(f"sandbox host {host!r} must be a loopback address") from exc
        return
    if not address.is_loopback:
        raise ValueError(f"sandbox host {host!r} is not loopback: sandboxes never bind anything else")


class SandboxServer:
    """Serves one handler on 127.0.0.1 (a free port by default) in a background thread.

    Use as a context manager, or start()/stop(). Counts requests per path for tests and benchmarks."""

    def __init__(
        self, handler: Handler, *, host: str = "127.0.0.1", port: int = 0, name: str = "sandbox"
    ) -> None:
        _check_loopback(host)
        self.name = name
        self._handler = handler
        self._counts: dict[str, int] = {}
        self._count_lock = threading.Lock()
        self._httpd = ThreadingHTTPServer((host, port), self._request_class())
        self._httpd.daemon_threads = True
        self._thread: threading.Thread | None = None
        self.recorder: Recorder | None = None
        """When set, called with every request and the response sent (body as bytes); answers unchanged."""

    @property
    def url(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host!s}:{port}"

    @property
    def request_counts(self) -> dict[str, int]:
        with self._count_lock:
            return dict(self._counts)

    def reset_counts(self) -> None:
        with self._count_lock:
            self._counts.clear()

    def start(self) -> SandboxServer:
        self._thread = threading.Thread(target=self._httpd.serve_forever, name=self.name, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> SandboxServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _count(self, path: str) -> None:
        with self._count_lock:
            self._counts[path] = self._counts.get(path, 0) + 1

    def _request_class(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class _Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True  # headers and body are two writes: no 40 ms delayed-ACK stall

            def _serve(self) -> None:
                parts = urlsplit(self.path)
                length = int(self.headers.get("Content-Length") or 0)
                request = Request(
                    method=self.command,
                    path=parts.path,
                    query=parse_qs(parts.query, keep_blank_values=True),
                    headers=dict(self.headers.items()),
                    body=self.rfile.read(length) if length else b"",
                )
                server._count(parts.path)
                try:
                    response = server._handler(request)
                except Exception as exc:
                    log.exception("sandbox.handler_failed", sandbox=server.name, path=parts.path)
                    response = Response(500, {"sandbox_error": type(exc).__name__})
                self._write(request, response)

            def _write(self, request: Request, response: Response) -> None:
                payload = response.body if isinstance(response.body, bytes) else b""
                if response.body is not None and not isinstance(response.body, bytes):
                    payload = json_dumps(response.body)
                if server.recorder is not None:
                    server.recorder(
                        request, Response(response.status, payload, response.headers, response.truncate)
                    )
                self.send_response(response.status)
                headers = {"Content-Type": "application/json;charset=UTF-8", **response.headers}
                for key, value in headers.items():
                    self.send_header(key, value)
                self.send_header("Content-Length", str(len(payload)))
                if response.truncate:
                    self.send_header("Connection", "close")
                self.end_headers()
                if response.truncate:
                    self.wfile.write(payload[: len(payload) // 2])
                    self.wfile.flush()
                    self.close_connection = True
                    return
                self.wfile.write(payload)

            do_GET = _serve
            do_POST = _serve
            do_PUT = _serve
            do_DELETE = _serve

            def log_message(self, format: str, *args: Any) -> None:
                log.debug("sandbox.request", sandbox=server.name, line=format % args)

        return _Handler


class ServedSandbox:
    """A sandbox app answered by its `server`: `start()`/`stop()`, or `with app as url:`."""

    server: SandboxServer

    @property
    def url(self) -> str:
        return self.server.url

    def start(self) -> Self:
        self.server.start()
        return self

    def stop(self) -> None:
        self.server.stop()

    def __enter__(self) -> str:
        self.start()
        return self.url

    def __exit__(self, *exc: object) -> None:
        self.stop()
