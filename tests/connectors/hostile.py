"""Throwaway hostile servers on 127.0.0.1 for the connector tests: each records what it received and
answers what the test scripts (a redirect elsewhere, a token of its own, a body trickled byte by byte)."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass(frozen=True)
class Seen:
    """One request a hostile server received, as it arrived."""

    method: str
    path: str
    headers: dict[str, str]
    body: bytes

    @property
    def raw(self) -> bytes:
        """Everything the request carried, to search for a secret in."""
        head = "\n".join(f"{k}: {v}" for k, v in self.headers.items())
        return f"{self.method} {self.path}\n{head}\n\n".encode() + self.body


@dataclass(frozen=True)
class Answer:
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    trickle_seconds: float = 0.0
    """Send the body one byte at a time, this long apart (the headers go at once)."""
    trickle_headers: bool = False
    """Trickle the status line and headers too (the whole answer a byte at a time)."""


def json_answer(document: Any, status: int = 200) -> Answer:
    return Answer(status, {"Content-Type": "application/json"}, json.dumps(document).encode())


def redirect(location: str, status: int = 307) -> Answer:
    return Answer(status, {"Location": location, "Content-Type": "application/json"}, b"{}")


class HostileServer:
    """A loopback HTTP server: `answer(seen)` decides each reply; `seen` lists every request."""

    def __init__(self, answer: Callable[[Seen], Answer]) -> None:
        self.seen: list[Seen] = []
        self._answer = answer
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def received(self) -> bytes:
        return b"\n".join(s.raw for s in self.seen)

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        outer = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _serve(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                seen = Seen(self.command, self.path, dict(self.headers.items()), self.rfile.read(length))
                outer.seen.append(seen)
                answer = outer._answer(seen)
                if answer.trickle_headers:
                    self._trickle_everything(answer)
                    return
                self.send_response(answer.status)
                for key, value in answer.headers.items():
                    self.send_header(key, value)
                self.send_header("Content-Length", str(len(answer.body)))
                self.send_header("Connection", "close")
                self.end_headers()
                try:
                    if answer.trickle_seconds:
                        for byte in answer.body:
                            self.wfile.write(bytes([byte]))
                            self.wfile.flush()
                            time.sleep(answer.trickle_seconds)
                    else:
                        self.wfile.write(answer.body)
                except OSError:  # the client gave up: what the deadline test expects
                    pass

            def _trickle_everything(self, answer: Answer) -> None:
                head = f"HTTP/1.1 {answer.status} OK\r\n" + "".join(
                    f"{k}: {v}\r\n" for k, v in {**answer.headers, "X-Padding": "p" * 400}.items()
                )
                whole = (head + f"Content-Length: {len(answer.body)}\r\n\r\n").encode() + answer.body
                try:
                    for byte in whole:
                        self.wfile.write(bytes([byte]))
                        self.wfile.flush()
                        time.sleep(answer.trickle_seconds)
                except OSError:
                    pass
                self.close_connection = True

            do_GET = do_POST = _serve

            def log_message(self, format: str, *args: Any) -> None:
                pass

        return Handler

    def __enter__(self) -> HostileServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)


@contextmanager
def servers(*answers: Callable[[Seen], Answer]) -> Iterator[list[HostileServer]]:
    """Several hostile servers at once, each on its own port (another origin)."""
    started = [HostileServer(answer) for answer in answers]
    for server in started:
        server.__enter__()
    try:
        yield started
    finally:
        for server in started:
            server.__exit__()
