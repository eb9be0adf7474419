"""Schedules as APScheduler triggers: the same fire times on every replica, in the company time zone."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any, TypeAlias
from zoneinfo import ZoneInfo

from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from config.settings import Schedule

Trigger: TypeAlias = Any
"""An APScheduler 3 trigger (the library ships no type hints)."""

ANCHOR = datetime(2026, 1, 1, tzinfo=UTC)
"""Interval schedules count from this date at local midnight, so every replica computes the same ticks
(an APScheduler interval otherwise starts when each process starts)."""


def build_trigger(schedule: Schedule, zone: ZoneInfo) -> Trigger:
    if schedule.cron is not None:
        return CronTrigger.from_crontab(schedule.cron, timezone=zone)
    return IntervalTrigger(
        seconds=int(interval_of(schedule, zone).total_seconds()),
        start_date=ANCHOR.replace(tzinfo=zone),
        timezone=zone,
    )


def interval_of(schedule: Schedule, zone: ZoneInfo, now: datetime | None = None) -> timedelta:
    """The time between two runs (for a cron: between its next two fire times after `now`)."""
    if schedule.every_seconds is not None:
        return timedelta(seconds=schedule.every_seconds)
    if schedule.every_minutes is not None:
        return timedelta(minutes=schedule.every_minutes)
    trigger = build_trigger(schedule, zone)
    start = now or datetime.now(zone)
    first = trigger.get_next_fire_time(None, start)
    second = trigger.get_next_fire_time(first, first + timedelta(seconds=1)) if first else None
    if first is None or second is None:  # pragma: no cover - a five-field cron always fires again
        return timedelta(days=1)
    gap: timedelta = second - first
    return gap


def current_tick(trigger: Trigger, now: datetime, lookback: timedelta) -> datetime | None:
    """The latest scheduled fire time at or before `now`, looking back at most `lookback`: the identity
    of the tick a job runs for, the same on every replica."""
    latest = None
    fire = trigger.get_next_fire_time(None, now - lookback)
    while fire is not None and fire <= now:
        latest = fire
        fire = trigger.get_next_fire_time(fire, fire + timedelta(microseconds=1))
    return latest
