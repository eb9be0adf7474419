"""Why a record is quarantined, as data: the field, a stable rule code and the offending value.

A reason is stored in three columns beside its flattened English sentence (store migration 0009), so
`sync status` and the web app group a stream's quarantined records by field and rule, and say each one
in the reader's language from the catalogue (`quarantine.rule.<code>`, reconcile/report/catalogue/
quarantine.py). The rule codes are a public vocabulary (`sync status --json`): add codes, never rename.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import Any, Final

from pydantic_core import ErrorDetails

NO_VALUE: Final = object()
"""`RecordError(value=...)` not given: the reason has no value (a missing field's value is None)."""

VALUE_LIMIT: Final = 80
"""Characters of the offending value kept with a reason (the raw payload keeps all of it)."""


class Rule(StrEnum):
    """What a quarantined record's field broke. Every code has a catalogue sentence and a label."""

    MISSING = "missing"
    NOT_A_NUMBER = "not_a_number"
    NOT_EXACT = "not_exact"
    """A binary float where an exact decimal is needed (Zoho sends amounts as JSON numbers)."""
    NOT_FINITE = "not_finite"
    TOO_LARGE = "too_large"
    """An amount at or beyond the money bound (|x| < 10^13, ADR 0026)."""
    TOO_PRECISE = "too_precise"
    """More decimal places than the ledger keeps (four)."""
    LINES_OVER_BOUND = "lines_over_bound"
    """A document's line amounts add up, in magnitude, to the money bound or more."""
    NOT_A_DATE = "not_a_date"
    NOT_A_TIME = "not_a_time"
    NOT_A_TIMESTAMP = "not_a_timestamp"
    NOT_TEXT = "not_text"
    NOT_A_BOOLEAN = "not_a_boolean"
    NOT_A_LIST = "not_a_list"
    NOT_AN_OBJECT = "not_an_object"
    NOT_AN_ID = "not_an_id"
    NOT_A_CURRENCY = "not_a_currency"
    NOT_POSITIVE = "not_positive"
    NOT_ALLOWED = "not_allowed"
    """A value outside the field's known set (a document kind or status)."""
    WRONG_KIND = "wrong_kind"
    WRONG_SOURCE = "wrong_source"
    NOT_JSON = "not_json"
    NON_UTF8 = "non_utf8"
    INTEGER_TOO_LONG = "integer_too_long"
    CLOCK_SKEW = "clock_skew"
    """Modified later than this host's clock plus `max_clock_skew_minutes` allows."""
    DUPLICATE_IN_PAGE = "duplicate_in_page"
    """The same id earlier in one page with other contents: this copy was not written."""
    INVALID = "invalid"
    """Anything else: the English detail says what (a vendor-side or validation message)."""


def shown(value: object) -> str:
    """The offending value as a reason keeps it: a Python literal (text quoted, so '12' is not 12), cut
    at VALUE_LIMIT characters. Secrets are scrubbed where it is stored and again where it is shown."""
    text = repr(value)
    return text if len(text) <= VALUE_LIMIT else text[: VALUE_LIMIT - 1] + "…"


_BY_TYPE: Final[Mapping[str, Rule]] = {
    "missing": Rule.MISSING,
    "string_too_short": Rule.MISSING,
    "decimal_whole_digits": Rule.TOO_LARGE,
    "decimal_max_digits": Rule.TOO_LARGE,
    "less_than": Rule.TOO_LARGE,
    "less_than_equal": Rule.TOO_LARGE,
    "decimal_max_places": Rule.TOO_PRECISE,
    "decimal_parsing": Rule.NOT_A_NUMBER,
    "decimal_type": Rule.NOT_A_NUMBER,
    "int_parsing": Rule.NOT_A_NUMBER,
    "int_type": Rule.NOT_A_NUMBER,
    "finite_number": Rule.NOT_FINITE,
    "date_parsing": Rule.NOT_A_DATE,
    "date_type": Rule.NOT_A_DATE,
    "date_from_datetime_parsing": Rule.NOT_A_DATE,
    "date_from_datetime_inexact": Rule.NOT_A_DATE,
    "timezone_aware": Rule.NOT_A_TIME,
    "string_type": Rule.NOT_TEXT,
    "bool_type": Rule.NOT_A_BOOLEAN,
    "bool_parsing": Rule.NOT_A_BOOLEAN,
    "enum": Rule.NOT_ALLOWED,
    "literal_error": Rule.NOT_ALLOWED,
    "greater_than": Rule.NOT_POSITIVE,
    "greater_than_equal": Rule.NOT_POSITIVE,
    "tuple_type": Rule.NOT_A_LIST,
    "list_type": Rule.NOT_A_LIST,
    "model_type": Rule.NOT_AN_OBJECT,
    "dict_type": Rule.NOT_AN_OBJECT,
    "model_attributes_type": Rule.NOT_AN_OBJECT,
}
_BY_CLASS: Final[Mapping[str, Rule]] = {
    "Decimal": Rule.NOT_A_NUMBER,
    "date": Rule.NOT_A_DATE,
    "datetime": Rule.NOT_A_TIME,
    "bool": Rule.NOT_A_BOOLEAN,
    "str": Rule.NOT_TEXT,
}
_VALUE_ERRORS: Final[Mapping[str, Rule]] = {
    # store.canonical's own validators raise plain ValueErrors; the field tells them apart.
    "lines": Rule.LINES_OVER_BOUND,
    "source_modified_at": Rule.NOT_A_TIME,
    "currency": Rule.NOT_A_CURRENCY,
}


def validation_rule(error: ErrorDetails) -> Rule:
    """The rule a pydantic validation error of the canonical models broke."""
    kind = error["type"]
    if kind in _BY_TYPE:
        return _BY_TYPE[kind]
    if kind.startswith("datetime_"):
        return Rule.NOT_A_TIME
    if kind == "is_instance_of":
        return _BY_CLASS.get(str((error.get("ctx") or {}).get("class")), Rule.NOT_ALLOWED)
    if kind == "value_error" and error["loc"]:
        return _VALUE_ERRORS.get(str(error["loc"][-1]), Rule.INVALID)
    return Rule.INVALID


def validation_value(error: ErrorDetails) -> str | None:
    """The offending value of a pydantic validation error, shown (None for a missing field); for
    lines over the bound, the magnitude their amounts add up to."""
    rule = validation_rule(error)
    if rule is Rule.MISSING and error["type"] == "missing":
        return None
    value = error.get("input")
    if rule is Rule.LINES_OVER_BOUND and isinstance(value, Sequence):
        size = _magnitude(value)
        return None if size is None else shown(size)
    return shown(value)


def _magnitude(lines: Sequence[Any]) -> Decimal | None:
    total = Decimal(0)
    for line in lines:
        amount = line.get("amount") if isinstance(line, Mapping) else getattr(line, "amount", None)
        try:
            total += abs(Decimal(str(amount)))
        except InvalidOperation:
            return None
    return total
