"""Serving the app with uvicorn: in the foreground (`ledgerbridge web`) or on a thread beside the daemon's
jobs (`daemon.web.enabled`; sync/daemon.py imports this module by name at run time, never statically)."""

from __future__ import annotations

import ipaddress
import signal
import threading
import time
from dataclasses import dataclass
from types import FrameType

import structlog
import uvicorn

from config.settings import Settings
from store.db import Engine
from web.app import create_app

log = structlog.get_logger(__name__)

START_TIMEOUT_SECONDS = 10.0


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:  # a host name: it may resolve to anything
        return False


def exposed(host: str, proxy_headers: bool) -> bool:
    """A bind reachable from other machines with no TLS proxy declared in front: worth a warning."""
    return not is_loopback(host) and not proxy_headers


def make_server(
    settings: Settings, engine: Engine, *, host: str, port: int, proxy_headers: bool
) -> uvicorn.Server:
    """`proxy_headers`: trust X-Forwarded-Proto/-For (from $FORWARDED_ALLOW_IPS, default 127.0.0.1 only);
    off, the client address is the socket's and the scheme the listener's. uvicorn's default is on: it is
    always passed explicitly."""
    config = uvicorn.Config(
        create_app(settings, engine),
        host=host,
        port=port,
        proxy_headers=proxy_headers,
        server_header=False,
        log_config=None,  # the application's structlog configuration stays in charge
        access_log=False,
        lifespan="off",
    )
    return uvicorn.Server(config)


STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


def serve_foreground(
    settings: Settings, engine: Engine, *, host: str, port: int, proxy_headers: bool
) -> None:
    """Serve until Ctrl-C or SIGTERM, then return (the command exits 0). uvicorn lets requests in flight
    finish, then raises the signal it caught again for the handler that was there before it: a quiet one
    here, so that a stop asked for is not reported as a death by signal (exit status -15) or a
    KeyboardInterrupt. `ledgerbridge web` and `demo --web` both serve through this."""
    server = make_server(settings, engine, host=host, port=port, proxy_headers=proxy_headers)
    previous = {sig: signal.signal(sig, _stopped) for sig in STOP_SIGNALS}
    try:
        server.run()
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _stopped(signum: int, frame: FrameType | None) -> None:
    """Asked to stop: nothing more to do (uvicorn has shut the server down)."""


@dataclass
class BackgroundWeb:
    """The web app on a thread (the daemon's); `stop()` lets requests in flight finish."""

    server: uvicorn.Server
    thread: threading.Thread
    address: tuple[str, int]
    """Where it listens (the port chosen when 0 was asked)."""

    def stop(self, timeout: float = 10.0) -> None:
        self.server.should_exit = True
        self.thread.join(timeout)


def start_in_background(
    settings: Settings, engine: Engine, *, host: str, port: int, proxy_headers: bool = False
) -> BackgroundWeb:
    """Start serving on a daemon thread; returns once the socket listens (or raises RuntimeError)."""
    if exposed(host, proxy_headers):
        log.warning(
            "web.exposed", host=host, hint="put a TLS proxy in front and set daemon.web.proxy_headers"
        )
    server = make_server(settings, engine, host=host, port=port, proxy_headers=proxy_headers)
    thread = threading.Thread(target=server.run, name="ledgerbridge-web", daemon=True)
    thread.start()
    deadline = time.monotonic() + START_TIMEOUT_SECONDS
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            server.should_exit = True
            raise RuntimeError(f"the web app could not listen on {host}:{port}")
        time.sleep(0.02)
    bound = server.servers[0].sockets[0].getsockname()
    web = BackgroundWeb(server, thread, (str(bound[0]), int(bound[1])))
    log.info("web.listening", url=f"http://{bound[0]}:{bound[1]}/")
    return web
