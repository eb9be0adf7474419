"""Field readers every vendor's normalizer shares: exact numbers, ISO dates and times, text, lists of
objects and the canonical models built with the failing field named.

Vendor-neutral on purpose (the vendor packages stay independent of each other); what one vendor reads
its own way (ids, references, its date formats) stays in that vendor's normalize module."""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any, Final

from pydantic import ValidationError

from connectors.errors import RecordError
from connectors.reasons import Rule
from store.canonical import CanonicalDocument, Line


def field_name(key: str, where: str = "") -> str:
    """`where.key`, or just `key` at the top of the record."""
    return f"{where}.{key}" if where else key


def document(source: str, **fields: Any) -> CanonicalDocument:
    """The canonical document, its first validation error raised as a RecordError on that field."""
    try:
        return CanonicalDocument(source=source, **fields)
    except ValidationError as exc:
        error = exc.errors()[0]
        where = ".".join(str(part) for part in error["loc"])
        raise RecordError.from_validation(error, error["msg"], field=where or None) from exc


def line(where: str, **fields: Any) -> Line:
    """A canonical line, its first validation error raised on `where.<field>`."""
    try:
        return Line(**fields)
    except ValidationError as exc:
        error = exc.errors()[0]
        raise RecordError.from_validation(error, error["msg"], field=f"{where}.{error['loc'][0]}") from exc


def opt_str(value: Any) -> str | None:
    """None for a missing or empty value, else its text."""
    if value is None or value == "":
        return None
    return str(value)


def text(raw: Mapping[str, Any], key: str, *, where: str = "") -> str | None:
    """A text field; an object or a list is refused."""
    value = raw.get(key)
    if type(value) is str:  # nearly every call: what opt_str gives, without the ABC checks below
        return value or None
    if isinstance(value, Mapping | list):
        raise RecordError(
            f"expected text, got {type(value).__name__}",
            field=field_name(key, where),
            rule=Rule.NOT_TEXT,
            value=value,
        )
    return opt_str(value)


def exact_decimal(field: str, value: Any, *, not_decimal: Rule = Rule.NOT_A_NUMBER) -> Decimal | None:
    """An exact number as the JSON text had it (the HTTP loop parses numbers as Decimal); a float or a
    boolean is refused, a numeric string accepted. `not_decimal` is the rule for a value that is
    neither a number nor numeric text (an object, a list)."""
    if type(value) is Decimal and value.is_finite():  # nearly every call: the HTTP loop's own number
        return value
    if value is None or value == "":
        return None
    if isinstance(value, bool | float):
        raise RecordError(
            f"must be an exact number, got {type(value).__name__}",
            field=field,
            rule=Rule.NOT_A_BOOLEAN if isinstance(value, bool) else Rule.NOT_EXACT,
            value=value,
        )
    try:
        number = Decimal(value) if isinstance(value, int | str) else value
    except InvalidOperation as exc:
        raise RecordError(
            f"{value!r} is not a number", field=field, rule=Rule.NOT_A_NUMBER, value=value
        ) from exc
    if not isinstance(number, Decimal) or not number.is_finite():
        raise RecordError(
            f"{value!r} is not a finite number",
            field=field,
            rule=Rule.NOT_FINITE if isinstance(number, Decimal) else not_decimal,
            value=value,
        )
    return number


def iso_day(value: str | None, field: str) -> date | None:
    """'2026-11-27' (anything after the tenth character is ignored) -> date."""
    if value is None:
        return None
    try:
        return date.fromisoformat(value[:10])
    except ValueError as exc:
        raise RecordError(
            f"{value!r} is not a yyyy-mm-dd date", field=field, rule=Rule.NOT_A_DATE, value=value
        ) from exc


def parse_offset_time(value: str) -> datetime:
    """An ISO-8601 time that carries its UTC offset -> aware UTC datetime."""
    parsed = datetime.fromisoformat(value.strip())
    if parsed.utcoffset() is None:
        raise ValueError(f"{value!r} has no UTC offset")
    return parsed.astimezone(UTC)


def cursor_time(value: str | None, field: str, *, required: bool) -> datetime | None:
    """The record's modified time (the sync cursor) from its ISO-8601 text with offset."""
    if value is None:
        if required:
            raise RecordError("is missing (it is the sync cursor)", field=field, rule=Rule.MISSING)
        return None
    try:
        return parse_offset_time(value)
    except ValueError as exc:
        raise RecordError(
            f"{value!r} is not an ISO-8601 time with offset", field=field, rule=Rule.NOT_A_TIME, value=value
        ) from exc


def object_rows(raw: Mapping[str, Any], key: str) -> Iterator[tuple[str, Mapping[str, Any]]]:
    """(`key[i]`, row) for each object of the list at `key`; none when it is missing. A value that is
    not a list, or a row that is not an object, is refused."""
    rows = raw.get(key)
    if rows is None:
        return
    if not isinstance(rows, Sequence) or isinstance(rows, str):
        raise RecordError("must be a list", field=key, rule=Rule.NOT_A_LIST, value=rows)
    for i, row in enumerate(rows):
        where = f"{key}[{i}]"
        if not isinstance(row, Mapping):
            raise RecordError("must be an object", field=where, rule=Rule.NOT_AN_OBJECT, value=row)
        yield where, row


# ----------------------------------------------------------------------------- compiled readers (issue 18)


class Declined(Exception):
    """A compiled reader's answer to a record outside the common case it reads: the full readers judge
    it (and give the reason, field, rule and value of a record that cannot be trusted)."""


Normalizing = Callable[[Any, Any], CanonicalDocument]
"""A vendor normalizer, `(raw record, NormalizeContext) -> CanonicalDocument`."""

_DOCUMENT: Final = CanonicalDocument.__pydantic_validator__


def build_document(fields: dict[str, Any]) -> CanonicalDocument:
    """The canonical document from a compiled reader's fields, its party, lines and allocations given as
    dicts: one validation (the same strict model: its nested models validate their dicts), where the
    full readers construct each line, party and allocation first. A compiled reader passes exactly the
    keys the full reader passes (the document's set fields are the same)."""
    document: CanonicalDocument = _DOCUMENT.validate_python(fields)
    return document


def compiled(fast: Normalizing) -> Callable[[Normalizing], Normalizing]:
    """Decorates a vendor normalizer (the full readers) with its compiled reader `fast`: a reader of the
    common record shape that reads each field with its common type inline (a text that is `str`, an
    amount that is a finite `Decimal`) and builds the document in one validation. Anything else — a
    field of another type, a value the model refuses, an error of any kind — and the full readers
    normalize the record as before, so a record they quarantine is quarantined with the same reason,
    and a record both take gives the same document (tests/connectors/test_compiled_readers.py holds
    the two equal on vendor-shaped records with hostile values in every field)."""

    def wrap(full: Normalizing) -> Normalizing:
        @functools.wraps(full)
        def normalizer(raw: Any, ctx: Any) -> CanonicalDocument:
            try:
                return fast(raw, ctx)
            except Exception:  # noqa: BLE001 - not the common case: the full readers decide
                return full(raw, ctx)

        normalizer.fast = fast  # type: ignore[attr-defined]
        normalizer.full = full  # type: ignore[attr-defined]
        return normalizer

    return wrap
