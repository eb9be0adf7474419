"""How old an open exception is: whole days since it was first seen, in four buckets finance reads on
the Today page and filters the queue by (`age=0-7|8-30|31-90|90+`).

An exception first seen exactly 8 days ago is 8 days old: bucket `8-30`; one second less, `0-7`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Final


@dataclass(frozen=True)
class AgeBucket:
    key: str
    """The queue's `age` value: `0-7`, `8-30`, `31-90`, `90+`."""
    min_days: int
    max_days: int | None
    """Inclusive; None: no upper bound."""

    def first_seen_range(self, now: datetime) -> tuple[datetime | None, datetime]:
        """(after, not_after): an exception is in the bucket when after < first_seen_at <= not_after
        (`after` None: no lower bound). The queue's `age` filter reads the same bounds
        (store/exception_queue.py AGES)."""
        not_after = now - timedelta(days=self.min_days)
        after = None if self.max_days is None else now - timedelta(days=self.max_days + 1)
        return after, not_after


AGE_BUCKETS: Final[tuple[AgeBucket, ...]] = (
    AgeBucket("0-7", 0, 7),
    AgeBucket("8-30", 8, 30),
    AgeBucket("31-90", 31, 90),
    AgeBucket("90+", 91, None),
)
AGE_KEYS: Final[frozenset[str]] = frozenset(bucket.key for bucket in AGE_BUCKETS)


def age_days(first_seen_at: datetime, now: datetime) -> int:
    """Whole days from first seen to now (0 on the first day)."""
    return (now - first_seen_at) // timedelta(days=1)


def bucket_of(first_seen_at: datetime, now: datetime) -> AgeBucket | None:
    """The bucket of an exception first seen at `first_seen_at`; None when that is after `now`."""
    days = age_days(first_seen_at, now)
    if days < 0:
        return None
    for bucket in AGE_BUCKETS:
        if bucket.max_days is None or days <= bucket.max_days:
            return bucket
    return None
