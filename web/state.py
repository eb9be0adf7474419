"""What every handler of one app shares: settings, the database engine, the user store, the clock, the
templates. Made once by `web.app.create_app` and read with `web_state(request)`."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from jinja2 import Environment
from starlette.requests import Request

from config.settings import Settings
from config.web import WebSettings
from store.db import Engine
from store.users import SqlUserStore

TOUCH_AFTER = timedelta(minutes=1)
"""A session's last use is written at most once a minute (the idle timeout is in minutes)."""


@dataclass(frozen=True)
class WebState:
    settings: Settings
    engine: Engine
    users: SqlUserStore
    clock: Callable[[], datetime]
    templates: Environment

    @property
    def web(self) -> WebSettings:
        return self.settings.web

    @property
    def idle(self) -> timedelta:
        return timedelta(minutes=self.web.session_idle_minutes)

    @property
    def lifetime(self) -> timedelta:
        return timedelta(hours=self.web.session_max_hours)


def web_state(request: Request) -> WebState:
    state: WebState = request.app.state.web
    return state


def client_address(request: Request) -> str:
    """The client's address (the proxy's X-Forwarded-For when served with --proxy-headers)."""
    return request.client.host if request.client is not None else "unknown"
