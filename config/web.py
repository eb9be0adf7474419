"""Settings of the web app (`web:`) and of the daemon serving it (`daemon.web:`)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class WebSettings(_Strict):
    """How the web app treats sessions and logins, wherever it is served from (docs/web.md)."""

    session_idle_minutes: int = Field(default=30, ge=1, le=24 * 60)
    """A session unused for this long is over: the next request goes to the login page."""
    session_max_hours: int = Field(default=12, ge=1, le=24 * 30)
    """A session ends this long after login, however busy it is."""
    login_window_minutes: int = Field(default=15, ge=1, le=24 * 60)
    """Failed logins are counted over this window."""
    login_failures_per_user: int = Field(default=5, ge=1, le=1000)
    """After this many failures for one user name in the window, that name is refused until the window
    has moved past them (even with the right password)."""
    login_failures_per_address: int = Field(default=20, ge=1, le=10000)
    """After this many failures from one client address in the window, that address is refused."""
    trusted_header: str | None = Field(default=None, pattern=r"^[A-Za-z0-9-]{1,100}$")
    """A header set by an authenticating reverse proxy (e.g. X-Forwarded-User) naming the user: its
    user is logged in without a password. Off unless set; only safe when the proxy strips the header
    from what clients send and nothing reaches the app around the proxy."""


class DaemonWebSettings(_Strict):
    """The web app served by `ledgerbridge daemon` beside its jobs (off unless enabled)."""

    enabled: bool = False
    host: str = "127.0.0.1"
    port: int = Field(default=8080, ge=0, le=65535)
    """0 picks any free port (tests); the chosen port is logged."""
    proxy_headers: bool = False
    """Trust X-Forwarded-Proto/-For from the reverse proxy in front (`ledgerbridge web --proxy-headers`)."""
