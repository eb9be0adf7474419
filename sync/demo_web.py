"""The demo's web app: a reviewer and an admin login in the demo database (new passwords at every run,
printed once) and, with `demo --web`, the app served until Ctrl-C/SIGTERM.

web/ sits on top of sync: this module reaches it by name at run time (`importlib`), as sync/daemon.py
does, never with a static import."""

from __future__ import annotations

import importlib
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from config.settings import Settings
from store.users import Role, SqlUserStore
from sync.bootstrap import open_engine

DEMO_USERS: tuple[tuple[str, Role], ...] = (("demo-reviewer", Role.REVIEWER), ("demo-admin", Role.ADMIN))
DEMO_ACTOR = "demo"
WEB_SERVE = "web.serve"
"""The module that builds the web server (named, not imported: sync never imports web statically)."""


@dataclass(frozen=True)
class DemoLogin:
    name: str
    role: Role
    password: str

    def to_json(self) -> dict[str, str]:
        return {"name": self.name, "role": self.role.value, "password": self.password}


def demo_logins(settings: Settings, *, clock: Callable[[], datetime]) -> list[DemoLogin]:
    """The demo's reviewer and admin, each with a new generated password (a user a previous demo run
    made gets the new one and is enabled again); audited with the actor `demo`."""
    engine = open_engine(settings)
    try:
        users = SqlUserStore(engine, clock=clock)
        made: list[DemoLogin] = []
        for name, role in DEMO_USERS:
            password = secrets.token_urlsafe(12)
            existing = users.get(name)
            if existing is None:
                users.add(name, role, password, actor=DEMO_ACTOR, via="demo")
            else:
                users.reset_password(name, password, actor=DEMO_ACTOR, via="demo")
                if not existing.enabled:
                    users.enable(name, actor=DEMO_ACTOR, via="demo")
            made.append(DemoLogin(name, role, password))
        return made
    finally:
        engine.dispose()


def web_url(host: str, port: int) -> str:
    shown = f"[{host}]" if ":" in host else host
    return f"http://{shown}:{port}/"


def serve_web(settings: Settings, *, host: str, port: int) -> None:
    """Serve the web app over the demo database in the foreground until Ctrl-C or SIGTERM, then return
    (the command exits 0): web.serve.serve_foreground, as `ledgerbridge web` does."""
    serve = importlib.import_module(WEB_SERVE)
    engine = open_engine(settings)
    try:
        serve.serve_foreground(settings, engine, host=host, port=port, proxy_headers=False)
    finally:
        engine.dispose()
