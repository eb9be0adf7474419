"""The field readers the vendor normalizers share (connectors/fields.py) give each vendor the reasons
it gave before they were shared."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from connectors import fields
from connectors.errors import RecordError
from connectors.reasons import Rule
from connectors.xero import normalize as xero
from connectors.zoho import normalize as zoho


def _refused(call: object, *args: object, **kwargs: object) -> RecordError:
    with pytest.raises(RecordError) as caught:
        call(*args, **kwargs)  # type: ignore[operator]
    return caught.value


def test_exact_decimal_keeps_each_vendors_rule_for_a_value_that_is_no_number() -> None:
    assert fields.exact_decimal("x", "12.50") == Decimal("12.50")
    assert fields.exact_decimal("x", "") is None
    assert _refused(fields.exact_decimal, "x", 1.5).rule is Rule.NOT_EXACT
    assert _refused(fields.exact_decimal, "x", True).rule is Rule.NOT_A_BOOLEAN
    assert _refused(fields.exact_decimal, "x", "NaN").rule is Rule.NOT_FINITE
    # Zoho has always called a list amount "not a number", Xero and QuickBooks "not finite".
    assert _refused(zoho._amount, {"total": [1]}, "total").rule is Rule.NOT_A_NUMBER
    assert _refused(xero._amount, {"Total": [1]}, "Total").rule is Rule.NOT_FINITE


def test_object_rows_names_each_row_and_refuses_what_is_not_a_list_of_objects() -> None:
    assert list(fields.object_rows({}, "Line")) == []
    assert list(fields.object_rows({"Line": [{"a": 1}]}, "Line")) == [("Line[0]", {"a": 1})]
    not_list = _refused(list, fields.object_rows({"Line": "abc"}, "Line"))
    assert (not_list.field, not_list.rule) == ("Line", Rule.NOT_A_LIST)
    not_object = _refused(list, fields.object_rows({"Line": [{}, 3]}, "Line"))
    assert (not_object.field, not_object.rule) == ("Line[1]", Rule.NOT_AN_OBJECT)


def test_days_and_cursor_times() -> None:
    assert fields.iso_day("2026-11-27T10:00:00", "d") == date(2026, 11, 27)
    assert _refused(fields.iso_day, "27/11/2026", "d").rule is Rule.NOT_A_DATE
    assert fields.cursor_time("2026-11-27T16:00:00+0800", "t", required=True) == datetime(
        2026, 11, 27, 8, tzinfo=UTC
    )
    assert fields.cursor_time(None, "t", required=False) is None
    assert _refused(fields.cursor_time, None, "t", required=True).rule is Rule.MISSING
    assert _refused(fields.cursor_time, "2026-11-27T16:00:00", "t", required=True).rule is Rule.NOT_A_TIME
