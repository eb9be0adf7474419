"""Xero's two date notations: MS-JSON `/Date(1700000000000+0000)/` and ISO-8601 (`...DateString`,
`UpdatedDateUTCString`). Xero says it will keep sending the MS-JSON form (api-notes §2.4 [47][53])."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from typing import Final

_MS_JSON: Final = re.compile(r"^/Date\((-?\d{1,15})(?:([+-])(\d{2})(\d{2}))?\)/$")


class XeroDateError(ValueError):
    """A value that is neither `/Date(ms±hhmm)/` nor ISO-8601."""


def parse_instant(value: str) -> datetime:
    """An instant as aware UTC: `/Date(ms±hhmm)/` (ms since the epoch, UTC; the offset only says the
    zone it was shown in) or ISO-8601; an ISO value without offset is UTC (Xero's `...UTC` fields)."""
    text = value.strip()
    found = _MS_JSON.match(text)
    if found is not None:
        return datetime(1970, 1, 1, tzinfo=UTC) + timedelta(milliseconds=int(found.group(1)))
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00") if text.endswith("Z") else text)
    except ValueError as exc:
        raise XeroDateError(f"{value!r} is neither /Date(ms+0000)/ nor ISO-8601") from exc
    if parsed.tzinfo is None or parsed.utcoffset() is None:
        return parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def parse_day(value: str) -> date:
    """A calendar date (an invoice's `Date`, `DueDate`): `/Date(ms±hhmm)/` is that day's midnight as
    an instant, read in the offset it carries (Xero sends +0000: the day in UTC, never the company's
    zone, which would move midnight to the day before); ISO `2023-11-14` or `2023-11-14T00:00:00`."""
    text = value.strip()
    found = _MS_JSON.match(text)
    if found is not None:
        sign, hours, minutes = found.group(2), found.group(3), found.group(4)
        offset = timedelta(hours=int(hours or 0), minutes=int(minutes or 0))
        instant = datetime(1970, 1, 1, tzinfo=UTC) + timedelta(milliseconds=int(found.group(1)))
        return (instant + (offset if sign != "-" else -offset)).date()
    try:
        return date.fromisoformat(text[:10])
    except ValueError as exc:
        raise XeroDateError(f"{value!r} is neither /Date(ms+0000)/ nor a yyyy-mm-dd date") from exc


def ms_json(moment: datetime) -> str:
    """An aware datetime in Xero's MS-JSON form (`/Date(1700000000000+0000)/`)."""
    millis = (moment - datetime(1970, 1, 1, tzinfo=UTC)) // timedelta(milliseconds=1)
    return f"/Date({millis}+0000)/"


def if_modified_since(since: datetime) -> str:
    """The `If-Modified-Since` value: ISO-8601 UTC with milliseconds (the notes' example form,
    `2020-02-06T12:17:43.202-08:00`, written in UTC)."""
    return since.astimezone(UTC).isoformat(timespec="milliseconds")
