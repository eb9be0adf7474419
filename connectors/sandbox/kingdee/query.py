"""`ExecuteBillQuery` as the sandbox runs it: FieldKeys resolved against a form's catalogue, the
SQL-like FilterString and OrderString parsed, bills expanded to one row per entry line (per
combination of lines when fields of two entries are asked for, like the SQL join behind it), then
StartRow/Limit applied to those rows (api-notes §12)."""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from connectors.sandbox.kingdee.dataset import FieldDef, Ref


class QueryError(ValueError):
    """A query K/3 Cloud refuses: answered as an error envelope, `msg_code` its MsgCode."""

    def __init__(self, message: str, msg_code: int = 4) -> None:
        super().__init__(message)
        self.msg_code = msg_code


_PROPERTIES = {"FNUMBER": "number", "FNAME": "name", "FCODE": "code", "FID": "id"}


@dataclass(frozen=True)
class Column:
    key: str
    entity: str | None
    get: Callable[[Any, Any], Any]


def resolve(key: str, fields: dict[str, FieldDef]) -> Column:
    """A field key (case-insensitive), or `Ref.FProperty` of a base-data field, as a column."""
    name = key.strip()
    upper = name.upper()
    if upper in fields:
        definition = fields[upper]
        return Column(name, definition.entity, lambda head, line: _plain(definition.get(head, line)))
    base, _, prop = upper.partition(".")
    if prop in _PROPERTIES and base in fields:
        definition, attr = fields[base], _PROPERTIES[prop]

        def get(head: Any, line: Any) -> Any:
            value = definition.get(head, line)
            return getattr(value, attr) if isinstance(value, Ref) else None

        return Column(name, definition.entity, get)
    raise QueryError(f"字段“{name}”不存在 (field {name} does not exist)", msg_code=9)


def _plain(value: Any) -> Any:
    """A base-data field asked for without a property answers its internal id."""
    return value.id if isinstance(value, Ref) else value


def field_keys(text: Any, fields: dict[str, FieldDef]) -> list[Column]:
    if not isinstance(text, str) or not text.strip():
        raise QueryError("FieldKeys 不能为空 (FieldKeys must be a comma-separated string)", msg_code=8)
    return [resolve(key, fields) for key in text.split(",") if key.strip()]


# ----------------------------------------------------------------------------- FilterString

_TOKEN = re.compile(
    r"\s*(?:(?P<str>'(?:[^']|'')*')|(?P<num>-?\d+(?:\.\d+)?)|(?P<op>>=|<=|<>|!=|=|>|<|\(|\)|,)"
    r"|(?P<word>[A-Za-z_][A-Za-z0-9_.]*))"
)
_KEYWORDS = {"AND", "OR", "NOT", "IN", "LIKE", "IS", "NULL", "BETWEEN"}

Predicate = Callable[[Any, Any], bool]


@dataclass(frozen=True)
class _Tok:
    kind: str
    text: str


def _tokens(text: str) -> list[_Tok]:
    out: list[_Tok] = []
    position = 0
    while position < len(text):
        if not text[position:].strip():
            break
        match = _TOKEN.match(text, position)
        if match is None or match.end() == position:
            raise QueryError(f"过滤条件有语法错误 (FilterString syntax error near {text[position:]!r})")
        position = match.end()
        kind = match.lastgroup or ""
        value = match.group(kind)
        if kind == "word" and value.upper() in _KEYWORDS:
            out.append(_Tok("kw", value.upper()))
        else:
            out.append(_Tok(kind, value))
    return out


class _Parser:
    def __init__(self, text: str, fields: dict[str, FieldDef]) -> None:
        self.tokens = _tokens(text)
        self.at = 0
        self.fields = fields
        self.entities: set[str] = set()

    def peek(self) -> _Tok | None:
        return self.tokens[self.at] if self.at < len(self.tokens) else None

    def take(self) -> _Tok:
        token = self.peek()
        if token is None:
            raise QueryError("过滤条件不完整 (FilterString ends too early)")
        self.at += 1
        return token

    def expect(self, kind: str, text: str) -> None:
        token = self.take()
        if token.kind != kind or token.text.upper() != text:
            raise QueryError(f"过滤条件有语法错误 (expected {text}, found {token.text!r})")

    def parse(self) -> Predicate:
        predicate = self.disjunction()
        if self.peek() is not None:
            raise QueryError(f"过滤条件有语法错误 (unexpected {self.take().text!r})")
        return predicate

    def disjunction(self) -> Predicate:
        parts = self._joined("OR", self.conjunction)
        return parts[0] if len(parts) == 1 else lambda h, ln: any(p(h, ln) for p in parts)

    def conjunction(self) -> Predicate:
        parts = self._joined("AND", self.negation)
        return parts[0] if len(parts) == 1 else lambda h, ln: all(p(h, ln) for p in parts)

    def _joined(self, word: str, part: Callable[[], Predicate]) -> list[Predicate]:
        """`part (word part)*`: the parts joined by the keyword."""
        parts = [part()]
        while self._keyword(word):
            parts.append(part())
        return parts

    def _keyword(self, word: str) -> bool:
        """Take the next token if it is the keyword `word`."""
        token = self.peek()
        if token is not None and token.kind == "kw" and token.text == word:
            self.take()
            return True
        return False

    def negation(self) -> Predicate:
        if self._keyword("NOT"):
            inner = self.negation()
            return lambda h, ln: not inner(h, ln)
        token = self.peek()
        if token is not None and token.kind == "op" and token.text == "(":
            self.take()
            inner = self.disjunction()
            self.expect("op", ")")
            return inner
        return self.comparison()

    def comparison(self) -> Predicate:
        token = self.take()
        if token.kind != "word":
            raise QueryError(f"过滤条件有语法错误 (expected a field, found {token.text!r})")
        column = resolve(token.text, self.fields)
        if column.entity:
            self.entities.add(column.entity)
        get = bound(column)
        op = self.take()
        if op.kind == "kw" and op.text == "IS":
            negated = self._keyword("NOT")
            self.expect("kw", "NULL")
            return (lambda h, ln: get(h, ln) is not None) if negated else (lambda h, ln: get(h, ln) is None)
        if op.kind == "kw" and op.text == "NOT":
            inner = self._after_field(get, self.take())
            return lambda h, ln: not inner(h, ln)
        return self._after_field(get, op)

    def _after_field(self, get: Callable[[Any, Any], Any], op: _Tok) -> Predicate:
        if op.kind == "kw" and op.text == "IN":
            self.expect("op", "(")
            values = [self.literal()]
            while (token := self.take()).text == ",":
                values.append(self.literal())
            if token.text != ")":
                raise QueryError("过滤条件有语法错误 (IN list not closed)")
            return lambda h, ln: any(_compare(get(h, ln), v, "=") for v in values)
        if op.kind == "kw" and op.text == "LIKE":
            pattern = _like(str(self.literal()))
            return lambda h, ln: get(h, ln) is not None and bool(pattern.fullmatch(str(get(h, ln))))
        if op.kind == "kw" and op.text == "BETWEEN":
            low = self.literal()
            self.expect("kw", "AND")
            high = self.literal()
            return lambda h, ln: _compare(get(h, ln), low, ">=") and _compare(get(h, ln), high, "<=")
        if op.kind != "op" or op.text in ("(", ")", ","):
            raise QueryError(f"过滤条件有语法错误 (unexpected {op.text!r})")
        value = self.literal()
        operator = op.text
        return lambda h, ln: _compare(get(h, ln), value, operator)

    def literal(self) -> str | Decimal:
        token = self.take()
        if token.kind == "str":
            return token.text[1:-1].replace("''", "'")
        if token.kind == "num":
            return Decimal(token.text)
        raise QueryError(f"过滤条件有语法错误 (expected a value, found {token.text!r})")


def _like(pattern: str) -> re.Pattern[str]:
    escaped = "".join(".*" if c == "%" else "." if c == "_" else re.escape(c) for c in pattern)
    return re.compile(escaped, re.DOTALL)


def _coerce(value: Any, literal: str | Decimal) -> Any:
    """The literal in the field's type (SQL Server converts the same way); None if it cannot be."""
    try:
        if isinstance(value, bool):
            return str(literal).strip().lower() in ("1", "true")
        if isinstance(value, datetime):
            return datetime.fromisoformat(str(literal).strip().replace(" ", "T", 1))
        if isinstance(value, date):
            return date.fromisoformat(str(literal).strip()[:10])
        if isinstance(value, int | Decimal):
            return Decimal(str(literal).strip())
    except (ValueError, InvalidOperation) as exc:
        raise QueryError(f"在将值 {literal!r} 转换为字段类型时失败 (conversion failed)") from exc
    return str(literal)


def _compare(value: Any, literal: str | Decimal, operator: str) -> bool:
    if value is None:
        return False
    other = _coerce(value, literal)
    left = Decimal(value) if isinstance(value, int) and not isinstance(value, bool) else value
    if operator == "=":
        return bool(left == other)
    if operator in ("<>", "!="):
        return bool(left != other)
    if operator == ">":
        return bool(left > other)
    if operator == ">=":
        return bool(left >= other)
    if operator == "<":
        return bool(left < other)
    return bool(left <= other)


def filter_string(text: Any, fields: dict[str, FieldDef]) -> tuple[Predicate | None, set[str]]:
    if text is None or (isinstance(text, str) and not text.strip()):
        return None, set()
    if not isinstance(text, str):
        raise QueryError("FilterString 必须是字符串 (FilterString must be a string)", msg_code=8)
    parser = _Parser(text, fields)
    return parser.parse(), parser.entities


# ----------------------------------------------------------------------------- OrderString


def order_string(text: Any, fields: dict[str, FieldDef]) -> list[tuple[Column, bool]]:
    """`FModifyDate, FID DESC` -> [(column, descending)]."""
    if text is None or (isinstance(text, str) and not text.strip()):
        return []
    if not isinstance(text, str):
        raise QueryError("OrderString 必须是字符串 (OrderString must be a string)", msg_code=8)
    order = []
    for part in text.split(","):
        words = part.split()
        if not words or len(words) > 2 or (len(words) == 2 and words[1].upper() not in ("ASC", "DESC")):
            raise QueryError(f"排序条件有语法错误 (OrderString part {part!r})")
        order.append((resolve(words[0], fields), len(words) == 2 and words[1].upper() == "DESC"))
    return order


class _Key:
    """A sort key where NULL sorts first (SQL Server's ascending order) and DESC reverses."""

    __slots__ = ("descending", "value")

    def __init__(self, value: Any, descending: bool) -> None:
        self.value = value
        self.descending = descending

    def __lt__(self, other: _Key) -> bool:
        a, b = (other.value, self.value) if self.descending else (self.value, other.value)
        if a is None or b is None:
            return a is None and b is not None
        return bool(a < b)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Key) and self.value == other.value

    def __hash__(self) -> int:
        return hash(self.value)


# ----------------------------------------------------------------------------- rows


def expand(
    records: Sequence[Any],
    entries_of: Callable[[Any], dict[str, list[Any]]],
    entities: Sequence[str],
) -> list[tuple[Any, dict[str, Any]]]:
    """(record, {entity: line}) per row: one per combination of the asked entities' lines; a record
    with no lines in an asked entity still gives one row, its entry fields null (a LEFT JOIN)."""
    rows: list[tuple[Any, dict[str, Any]]] = []
    for record in records:
        if not entities:
            rows.append((record, {}))
            continue
        lists = entries_of(record)
        choices = [lists.get(entity) or [None] for entity in entities]
        for combination in itertools.product(*choices):
            rows.append((record, dict(zip(entities, combination, strict=True))))
    return rows


def bound(column: Column) -> Callable[[Any, dict[str, Any]], Any]:
    entity = column.entity
    get = column.get
    if entity is None:
        return lambda head, _lines: get(head, None)
    return lambda head, lines: get(head, lines.get(entity))


def run(  # noqa: PLR0917 - the query's parts, as parsed
    records: Sequence[Any],
    entries_of: Callable[[Any], dict[str, list[Any]]],
    columns: Sequence[Column],
    predicate: Predicate | None,
    filter_entities: set[str],
    order: Sequence[tuple[Column, bool]],
) -> list[list[Any]]:
    """Every row of the query, filtered and ordered, before StartRow/Limit."""
    entities = sorted(
        {c.entity for c in columns if c.entity} | filter_entities | {c.entity for c, _ in order if c.entity}
    )
    rows = expand(records, entries_of, entities)
    if predicate is not None:
        rows = [(head, lines) for head, lines in rows if predicate(head, lines)]
    if order:
        getters = [(bound(column), descending) for column, descending in order]
        rows.sort(key=lambda row: [_Key(get(*row), desc) for get, desc in getters])
    values = [bound(column) for column in columns]
    return [[get(head, lines) for get in values] for head, lines in rows]
