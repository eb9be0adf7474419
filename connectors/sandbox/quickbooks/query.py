"""The QuickBooks query language, the subset the api-notes document (§1.3 [10][11]), parsed and run
over a dataset's rows:

    SELECT * | count(*) FROM <Entity> [WHERE <cond> [AND <cond>]...]
        [ORDERBY <field> [ASC|DESC][, ...]] [STARTPOSITION n] [MAXRESULTS n]

`<cond>` is `<field> <op> <value>` with op `=, <, >, <=, >=, LIKE` (`%` wildcard only) or
`<field> IN (<value>, ...)`; values are 'quoted' (\\' escapes a quote), numbers, true or false. Fields
are dotted paths (`MetaData.LastUpdatedTime`). No OR, no JOIN, no GROUP BY, no projections: refused as
a parser error, as QuickBooks does. `ORDER BY` (two words) is accepted as well as `ORDERBY`.
STARTPOSITION is 1-based; MAXRESULTS defaults to 100, at most 1,000.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any, Final

DEFAULT_MAX: Final = 100
MAX_RESULTS: Final = 1000

_TOKEN = re.compile(
    r"\s*(?:(?P<string>'(?:[^'\\]|\\.)*')|(?P<op><=|>=|!=|<>|=|<|>)|(?P<punct>[(),*])"
    r"|(?P<word>[A-Za-z_][A-Za-z0-9_.]*)|(?P<number>-?[0-9]+(?:\.[0-9]+)?))"
)


class QueryError(ValueError):
    """The statement is not in the language (QuickBooks: a ValidationFault, QueryParserError)."""


@dataclass(frozen=True)
class Condition:
    field: str
    op: str
    values: tuple[Any, ...]


@dataclass(frozen=True)
class Query:
    entity: str
    count: bool
    where: tuple[Condition, ...]
    order: tuple[tuple[str, bool], ...]
    """(field, descending)"""
    start: int
    max_results: int


def parse(text: str) -> Query:  # noqa: PLR0912, PLR0915 - the grammar, clause by clause
    tokens = _tokens(text)
    at = 0

    def peek() -> str | None:
        return tokens[at][1] if at < len(tokens) else None

    def take(expected: str | None = None) -> tuple[str, str]:
        nonlocal at
        if at >= len(tokens):
            raise QueryError(f"unexpected end of statement{f', expected {expected}' if expected else ''}")
        kind, value = tokens[at]
        if expected is not None and value.upper() != expected:
            raise QueryError(f"expected {expected} at {value!r}")
        at += 1
        return kind, value

    take("SELECT")
    count = False
    if (peek() or "").lower() == "count":
        take()
        take("(")
        take("*")
        take(")")
        count = True
    else:
        kind, value = take()
        if value != "*":
            raise QueryError("only SELECT * or SELECT count(*) is supported (no projections)")
    take("FROM")
    kind, entity = take()
    if kind != "word":
        raise QueryError(f"expected an entity after FROM, got {entity!r}")
    where: list[Condition] = []
    order: list[tuple[str, bool]] = []
    start, max_results = 1, DEFAULT_MAX
    if (peek() or "").upper() == "WHERE":
        take()
        while True:
            where.append(_condition(take, peek))
            word = (peek() or "").upper()
            if word == "AND":
                take()
                continue
            if word == "OR":
                raise QueryError("OR is not supported")
            break
    if (peek() or "").upper() in ("ORDERBY", "ORDER"):
        if take()[1].upper() == "ORDER":
            take("BY")
        while True:
            kind, field = take()
            if kind != "word":
                raise QueryError(f"expected a field to order by, got {field!r}")
            descending = False
            if (peek() or "").upper() in ("ASC", "DESC"):
                descending = take()[1].upper() == "DESC"
            order.append((field, descending))
            if peek() != ",":
                break
            take(",")
    for _ in range(2):
        word = (peek() or "").upper()
        if word == "STARTPOSITION":
            take()
            start = _int(take()[1], "STARTPOSITION")
        elif word == "MAXRESULTS":
            take()
            max_results = _int(take()[1], "MAXRESULTS")
    if peek() is not None:
        raise QueryError(f"unexpected {peek()!r}")
    if start < 1:
        raise QueryError("STARTPOSITION starts at 1")
    if max_results < 1:
        raise QueryError("MAXRESULTS must be positive")
    return Query(entity, count, tuple(where), tuple(order), start, min(max_results, MAX_RESULTS))


def _tokens(text: str) -> list[tuple[str, str]]:
    found: list[tuple[str, str]] = []
    at = 0
    text = text.strip()
    while at < len(text):
        match = _TOKEN.match(text, at)
        if match is None or match.end() == at:
            raise QueryError(f"cannot read the statement at {text[at : at + 20]!r}")
        kind = match.lastgroup or ""
        found.append((kind, match.group(kind)))
        at = match.end()
    return found


def _condition(take: Any, peek: Any) -> Condition:
    kind, field = take()
    if kind != "word":
        raise QueryError(f"expected a field, got {field!r}")
    kind, op = take()
    op = op.upper()
    if op == "IN":
        take("(")
        values = [_value(*take())]
        while peek() == ",":
            take(",")
            values.append(_value(*take()))
        take(")")
        return Condition(field, "IN", tuple(values))
    if op not in ("=", "<", ">", "<=", ">=", "LIKE"):
        raise QueryError(f"operator {op!r} is not supported")
    return Condition(field, op, (_value(*take()),))


def _value(kind: str, text: str) -> Any:
    if kind == "string":
        return re.sub(r"\\(.)", r"\1", text[1:-1])
    if kind == "number":
        return Decimal(text)
    if kind == "word" and text.lower() in ("true", "false"):
        return text.lower() == "true"
    raise QueryError(f"expected a value, got {text!r}")


def _int(text: str, what: str) -> int:
    if not text.isdigit():
        raise QueryError(f"{what} needs a whole number, got {text!r}")
    return int(text)


# ----------------------------------------------------------------------------- running


def lookup(row: Mapping[str, Any], path: str) -> Any:
    value: Any = row
    for part in path.split("."):
        if not isinstance(value, Mapping):
            return None
        value = value.get(part)
    if isinstance(value, Mapping) and "value" in value:  # CustomerRef = '42' compares the ref's value
        return value["value"]
    return value


def _comparable(value: Any) -> Any:
    """Times as instants, numeric text (ids) as numbers, the rest as is."""
    if isinstance(value, str):
        if len(value) >= 19 and value[4] == "-" and "T" in value:
            try:
                parsed = datetime.fromisoformat(value)
                if parsed.tzinfo is not None:
                    return parsed
            except ValueError:
                pass
        try:
            return Decimal(value)
        except InvalidOperation:
            return value
    return value


def matches(row: Mapping[str, Any], condition: Condition) -> bool:
    have = _comparable(lookup(row, condition.field))
    wanted = [_comparable(v) for v in condition.values]
    if condition.op == "IN":
        return have in wanted
    if condition.op == "LIKE":
        pattern = "^" + ".*".join(re.escape(p) for p in str(condition.values[0]).split("%")) + "$"
        return re.match(pattern, str(lookup(row, condition.field) or ""), re.IGNORECASE) is not None
    if have is None:
        return False
    want = wanted[0]
    try:
        if condition.op == "=":
            return bool(have == want)
        if condition.op == "<":
            return bool(have < want)
        if condition.op == ">":
            return bool(have > want)
        if condition.op == "<=":
            return bool(have <= want)
        return bool(have >= want)
    except TypeError as exc:
        raise QueryError(f"cannot compare {condition.field} with {condition.values[0]!r}") from exc


def run(query: Query, rows: Sequence[Mapping[str, Any]]) -> tuple[list[Mapping[str, Any]], int]:
    """The page of rows the query selects, and how many rows match in all."""
    selected = [row for row in rows if all(matches(row, c) for c in query.where)]
    keys = query.order or (("Id", False),)
    for field, descending in reversed(keys):
        selected.sort(key=functools.partial(_row_key, field), reverse=descending)
    return selected[query.start - 1 : query.start - 1 + query.max_results], len(selected)


def _row_key(field: str, row: Mapping[str, Any]) -> tuple[int, Any]:
    return _sort_key(lookup(row, field))


def _sort_key(value: Any) -> tuple[int, Any]:
    value = _comparable(value)
    if value is None:
        return (0, "")
    if isinstance(value, datetime):
        return (1, value.timestamp())
    if isinstance(value, Decimal | int):
        return (2, value)
    return (3, str(value))
