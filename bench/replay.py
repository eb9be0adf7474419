"""Record a sandbox's answers once, then serve the very bytes again from a minimal loopback server.

The vendor sandboxes render every page from their data on every request (JSON with exact Decimal
numbers, one Python thread per request): ~200 µs of CPU per record synced, more than the client spends,
on the same two cores. To measure the client, `bench.http_sync` records the sandboxes' answers during
its live sync (`SandboxServer.recorder`) and, for the replay run, serves them from `ReplayServer`: one
asyncio thread that reads a request, looks its answer up by method, path, query and body, and writes the
recorded status, headers and body bytes. Nothing is rendered, parsed beyond the request line and headers,
or decided: the answers, their order for a repeated request, their headers and their bodies are the
sandbox's (the key leaves out the trace id a client makes up per request: `PER_REQUEST`). A request
the sandbox was never asked answers 599 and is counted (`misses`).
"""

from __future__ import annotations

import asyncio
import threading
from collections import deque
from collections.abc import Mapping, Sequence
from http import HTTPStatus
from typing import Final
from urllib.parse import parse_qs, urlsplit

from connectors.sandbox.server import Request, Response

Key = tuple[str, str, tuple[tuple[str, tuple[str, ...]], ...], bytes]
"""A request as the replay looks it up: method, path, query (sorted), body."""

MISS_STATUS: Final = 599

PER_REQUEST: Final = frozenset({"thirdTraceId"})
"""Query parameters a client makes up afresh for every request (Fxiaoke's trace id): not part of the
key. The recorded answer echoes the recorded id (the client reads it only for error messages)."""


def request_key(method: str, path: str, query: Mapping[str, Sequence[str]], body: bytes) -> Key:
    kept = sorted((name, tuple(values)) for name, values in query.items() if name not in PER_REQUEST)
    return method, path, tuple(kept), body


def wire_bytes(response: Response) -> bytes:
    """The response as the sandbox's server writes it (status line, headers, the body bytes)."""
    assert isinstance(response.body, bytes)
    reason = HTTPStatus(response.status).phrase if response.status in HTTPStatus._value2member_map_ else ""
    headers = {"Content-Type": "application/json;charset=UTF-8", **response.headers}
    headers["Content-Length"] = str(len(response.body))
    if response.truncate:
        headers["Connection"] = "close"
    head = f"HTTP/1.1 {response.status} {reason}\r\n" + "".join(f"{k}: {v}\r\n" for k, v in headers.items())
    body = response.body[: len(response.body) // 2] if response.truncate else response.body
    return (head + "\r\n").encode("latin-1") + body


class Recording:
    """Every answer each sandbox sent, per request key, in the order sent."""

    def __init__(self) -> None:
        self._answers: dict[str, dict[Key, list[tuple[bytes, bool]]]] = {}
        self._lock = threading.Lock()
        self.count = 0

    def keep(self, sandbox: str, request: Request, response: Response) -> None:
        key = request_key(request.method, request.path, request.query, request.body)
        with self._lock:
            self._answers.setdefault(sandbox, {}).setdefault(key, []).append(
                (wire_bytes(response), response.truncate)
            )
            self.count += 1

    def answers(self, sandbox: str) -> dict[Key, list[tuple[bytes, bool]]]:
        with self._lock:
            return {key: list(sent) for key, sent in self._answers.get(sandbox, {}).items()}


class ReplayServer:
    """Serves recorded answers on `url` (the recorded sandbox's own address, so URLs inside answers,
    e.g. a token's API domain, still point here). A request asked more often than it was recorded gets
    the last recorded answer again."""

    def __init__(self, answers: dict[Key, list[tuple[bytes, bool]]], url: str, *, name: str) -> None:
        parts = urlsplit(url)
        self.name = name
        self._host, self._port = parts.hostname or "127.0.0.1", parts.port or 80
        self._answers = {key: deque(sent) for key, sent in answers.items()}
        self._counts: dict[str, int] = {}
        self._lock = threading.Lock()
        self.misses = 0
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"replay {name}", daemon=True)
        self._server: asyncio.AbstractServer | None = None

    @property
    def request_counts(self) -> dict[str, int]:
        with self._lock:
            return dict(self._counts)

    def reset_counts(self) -> None:
        with self._lock:
            self._counts.clear()

    def start(self) -> ReplayServer:
        self._thread.start()
        self._ready.wait(10)
        if self._server is None:
            raise RuntimeError(f"replay server {self.name} could not listen on {self._host}:{self._port}")
        return self

    def stop(self) -> None:
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=5)

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        try:
            self._server = self._loop.run_until_complete(
                asyncio.start_server(self._connection, self._host, self._port, reuse_address=True)
            )
        finally:
            self._ready.set()
        try:
            self._loop.run_forever()
        finally:
            if self._server is not None:
                self._server.close()
            for task in asyncio.all_tasks(self._loop):
                task.cancel()
            self._loop.run_until_complete(asyncio.sleep(0))
            self._loop.close()

    def _answer(self, key: Key) -> tuple[bytes, bool]:
        with self._lock:
            self._counts[key[1]] = self._counts.get(key[1], 0) + 1
            sent = self._answers.get(key)
            if not sent:
                self.misses += 1
                body = b'{"replay":"not recorded"}'
                head = f"HTTP/1.1 {MISS_STATUS} Not Recorded\r\nContent-Length: {len(body)}\r\n\r\n"
                return head.encode("latin-1") + body, False
            return sent.popleft() if len(sent) > 1 else sent[0]

    async def _connection(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                lines = head.decode("latin-1").split("\r\n")
                method, target, _ = lines[0].split(" ", 2)
                length = 0
                for line in lines[1:]:
                    name, _, value = line.partition(":")
                    if name.strip().lower() == "content-length":
                        length = int(value.strip())
                body = await reader.readexactly(length) if length else b""
                parts = urlsplit(target)
                query = parse_qs(parts.query, keep_blank_values=True)
                wire, close = self._answer(request_key(method, parts.path, query, body))
                writer.write(wire)
                await writer.drain()
                if close:
                    break
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()
