"""Settings of the unattended side: the daemon, its health/metrics listener, and notification channels."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, model_validator

from config.web import DaemonWebSettings


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class HealthSettings(_Strict):
    """The HTTP listener serving /healthz and /metrics (off unless enabled; loopback by default)."""

    enabled: bool = False
    host: str = "127.0.0.1"
    port: int = Field(default=9464, ge=0, le=65535)
    """0 picks any free port (tests); the chosen port is logged."""
    failing_runs: int = Field(default=3, ge=1)
    """A connector whose last N runs all failed makes /healthz `degraded`."""
    max_lag_minutes: int | None = Field(default=None, ge=1)
    """Lag (time since the last successful sync of a stream) beyond which /healthz is `degraded`.
    Unset: three times the connector's schedule interval, or 24 hours for connectors without one."""
    lag_minutes: dict[str, int] = Field(default_factory=dict)
    """Per-connector overrides of `max_lag_minutes`, by connector name."""


class DaemonSettings(_Strict):
    """How `ledgerbridge daemon` runs its jobs."""

    health: HealthSettings = Field(default_factory=HealthSettings)
    web: DaemonWebSettings = Field(default_factory=DaemonWebSettings)
    """The web app served beside the jobs (docs/web.md); off unless enabled."""
    workers: int = Field(default=4, ge=1, le=64)
    """Jobs that may run at the same time (each connector and rule still runs one at a time)."""
    misfire_grace_seconds: int = Field(default=300, ge=1)
    """A job that could not start on time still runs if it is at most this late; later ones are skipped."""
    shutdown_timeout_seconds: float = Field(default=25, gt=0, le=300)
    """On SIGTERM, how long to wait for the page in flight to commit before leaving anyway."""
    max_backoff_minutes: int = Field(default=60, ge=1)
    """A job failing repeatedly skips ticks: 1, 2, 4... intervals, at most this long between tries."""


class WebhookSettings(_Strict):
    """A JSON POST of each digest; signed with HMAC-SHA256 when `signing_secret` is set."""

    url: str = Field(pattern=r"^https?://")
    signing_secret: str | None = None
    """Literal, `${ENV}` or `secret:NAME`; the signature goes in the X-Ledgerbridge-Signature header."""
    headers: dict[str, str] = Field(default_factory=dict)
    timeout_seconds: float = Field(default=10, gt=0, le=120)


class EmailSettings(_Strict):
    """One e-mail per digest over SMTP (STARTTLS unless turned off for a local relay)."""

    host: str
    port: int = Field(default=587, ge=1, le=65535)
    starttls: bool = True
    username: str | None = None
    password: str | None = None
    """Literal, `${ENV}` or `secret:NAME`."""
    sender: str
    recipients: list[str] = Field(min_length=1)
    ca_file: str | None = None
    """A CA bundle to trust for STARTTLS (an internal relay's own CA); the system store otherwise."""
    timeout_seconds: float = Field(default=30, gt=0, le=300)

    @model_validator(mode="after")
    def _login_needs_tls(self) -> EmailSettings:
        if self.password is not None and not self.starttls:
            raise ValueError("a password is only sent over STARTTLS: set starttls: true or drop the password")
        return self


class NotificationSettings(_Strict):
    """Where digests go: after a run with new exceptions, or when a connector keeps failing or needs
    new credentials. No channel configured means no notification."""

    webhook: WebhookSettings | None = None
    email: EmailSettings | None = None
    attempts: int = Field(default=3, ge=1, le=10)
    """Tries per channel before the failure is logged and given up (never fatal)."""
    retry_delay_seconds: float = Field(default=2, ge=0, le=300)
    failing_runs: int = Field(default=3, ge=1)
    """A connector is reported as failing once its last N runs failed (and again when it recovers)."""
