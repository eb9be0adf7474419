"""When the daemon runs a job: the `schedule:` model shared by connectors and reconcile rules.

Its own module so that `config.settings` (connectors) and `config.rules` (rules, audit plans) both
import it and neither imports the other.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, model_validator


class Schedule(BaseModel):
    """When the daemon runs a job: every N minutes, or a cron expression (company time zone)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    every_minutes: int | None = Field(default=None, ge=1)
    cron: str | None = None
    every_seconds: int | None = Field(default=None, ge=1)
    """Sub-minute intervals, for tests and demos."""

    @model_validator(mode="after")
    def _exactly_one(self) -> Schedule:
        if [self.every_minutes, self.cron, self.every_seconds].count(None) != 2:
            raise ValueError("give exactly one of every_minutes or cron")
        if self.cron is not None and len(self.cron.split()) != 5:
            raise ValueError(f"cron {self.cron!r} must have five fields: minute hour day month weekday")
        return self
