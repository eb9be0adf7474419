"""The sandbox's `data/query` semantics: strict request parsing (the notes' exact casing), filters,
orders, offset/limit rules and field projection, over plain row dicts."""

from __future__ import annotations

import bisect
import functools
import heapq
import itertools
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

MAX_LIMIT = 100
MAX_OFFSET = 10_000

BAD_PARAMETER = 10001
"""The sandbox's code for a malformed request (the real table is not in the notes: UNVERIFIED)."""
OFFSET_OUT_OF_RANGE = 10013
"""api-notes §3: the deep-paging FAQ's `offset out of range 10000`."""

_DATA_KEYS = {"dataObjectApiName", "find_explicit_total_num", "search_query_info"}
_SEARCH_KEYS = {"limit", "offset", "filters", "orders", "fieldProjection"}
_FILTER_KEYS = {"field_name", "operator", "field_values"}
_ORDER_KEYS = {"fieldName", "isAsc"}
_CASING = {
    "searchQueryInfo": "search_query_info",
    "fieldName": "field_name",
    "fieldValues": "field_values",
    "field_name": "fieldName",
    "is_asc": "isAsc",
    "field_projection": "fieldProjection",
    "data_object_api_name": "dataObjectApiName",
    "findExplicitTotalNum": "find_explicit_total_num",
}


class QueryError(Exception):
    """A request the sandbox refuses, with the errorCode it answers."""

    def __init__(self, code: int, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True)
class Filter:
    field_name: str
    operator: str
    values: tuple[str, ...]


@dataclass(frozen=True)
class Search:
    api_name: str
    limit: int
    offset: int
    filters: tuple[Filter, ...]
    orders: tuple[tuple[str, bool], ...]
    projection: tuple[str, ...] | None
    want_total: bool


def _refuse_unknown(where: str, given: Mapping[str, Any], allowed: set[str]) -> None:
    for key in given:
        if key not in allowed:
            hint = f" (did you mean {_CASING[key]}?)" if _CASING.get(key) in allowed else ""
            raise QueryError(BAD_PARAMETER, f"参数错误: unknown field {key!r} in {where}{hint}")


def parse_search(data: Any) -> Search:
    """Read `data` of a query body exactly as the notes spell it; anything else is a parameter error."""
    if not isinstance(data, Mapping):
        raise QueryError(BAD_PARAMETER, "参数错误: data must be an object")
    _refuse_unknown("data", data, _DATA_KEYS)
    api_name = data.get("dataObjectApiName")
    info = data.get("search_query_info")
    if not isinstance(api_name, str) or not api_name:
        raise QueryError(BAD_PARAMETER, "参数错误: dataObjectApiName is required")
    if not isinstance(info, Mapping):
        raise QueryError(BAD_PARAMETER, "参数错误: search_query_info is required")
    _refuse_unknown("search_query_info", info, _SEARCH_KEYS)
    limit, offset = info.get("limit", 20), info.get("offset", 0)
    if not isinstance(limit, int) or not isinstance(offset, int) or isinstance(limit, bool):
        raise QueryError(BAD_PARAMETER, "参数错误: limit and offset must be integers")
    if not 1 <= limit <= MAX_LIMIT:
        raise QueryError(BAD_PARAMETER, f"参数错误: limit must be between 1 and {MAX_LIMIT}")
    if offset < 0 or offset % limit:
        raise QueryError(BAD_PARAMETER, "参数错误: offset must be a multiple of limit")
    if offset > MAX_OFFSET:
        raise QueryError(OFFSET_OUT_OF_RANGE, f"offset out of range {MAX_OFFSET}")
    projection = info.get("fieldProjection")
    if projection is not None and (
        not isinstance(projection, list) or not all(isinstance(p, str) for p in projection)
    ):
        raise QueryError(BAD_PARAMETER, "参数错误: fieldProjection must be a list of field names")
    return Search(
        api_name=api_name,
        limit=limit,
        offset=offset,
        filters=tuple(_filter(f) for f in _list(info.get("filters"), "filters")),
        orders=tuple(_order(o) for o in _list(info.get("orders"), "orders")),
        projection=tuple(projection) if projection is not None else None,
        want_total=data.get("find_explicit_total_num", True) is not False,
    )


def _list(value: Any, name: str) -> list[Any]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise QueryError(BAD_PARAMETER, f"参数错误: {name} must be a list")
    return value


def _filter(raw: Any) -> Filter:
    if not isinstance(raw, Mapping):
        raise QueryError(BAD_PARAMETER, "参数错误: a filter must be an object")
    _refuse_unknown("filters", raw, _FILTER_KEYS)
    name, operator, values = raw.get("field_name"), raw.get("operator"), raw.get("field_values")
    if not isinstance(name, str) or not isinstance(operator, str) or operator not in _OPERATORS:
        raise QueryError(
            BAD_PARAMETER, f"参数错误: filter needs field_name and a known operator, got {operator!r}"
        )
    if not isinstance(values, list):
        raise QueryError(BAD_PARAMETER, "参数错误: field_values must be a list, even for one value")
    if operator in ("BETWEEN", "NBETWEEN") and len(values) != 2:
        raise QueryError(BAD_PARAMETER, "参数错误: BETWEEN takes two values")
    return Filter(name, operator, tuple(str(v) for v in values))


def _order(raw: Any) -> tuple[str, bool]:
    if not isinstance(raw, Mapping):
        raise QueryError(BAD_PARAMETER, "参数错误: an order must be an object")
    _refuse_unknown("orders", raw, _ORDER_KEYS)
    name, ascending = raw.get("fieldName"), raw.get("isAsc", True)
    if not isinstance(name, str) or not isinstance(ascending, bool):
        raise QueryError(BAD_PARAMETER, "参数错误: an order needs fieldName and a boolean isAsc")
    return name, ascending


# ----------------------------------------------------------------------------- evaluation


def _coerce(text: str, like: Any) -> Any:
    """A filter value (always a string on the wire) as the type of the row's value."""
    return _typed(text, bool if isinstance(like, bool) else int if isinstance(like, int) else str)


@functools.lru_cache(maxsize=4096)
def _typed(text: str, kind: type) -> Any:
    if kind is bool:
        return text.lower() in ("true", "1")
    if kind is int:
        try:
            return int(text)
        except ValueError:
            return None
    return text


def _compare(op: str) -> Callable[[Any, Sequence[str]], bool]:
    def check(value: Any, wanted: Sequence[str]) -> bool:
        if value is None:
            return False
        target = _coerce(wanted[0], value)
        if target is None:
            return False
        outcome = {"GT": value > target, "GTE": value >= target, "LT": value < target, "LTE": value <= target}
        return bool(outcome[op])

    return check


def _eq(value: Any, wanted: Sequence[str]) -> bool:
    if isinstance(value, list):
        return wanted[0] in value
    return value is not None and value == _coerce(wanted[0], value)


def _in(value: Any, wanted: Sequence[str]) -> bool:
    if isinstance(value, list):
        return any(v in wanted for v in value)
    return value is not None and value in {_coerce(w, value) for w in wanted}


def _between(value: Any, wanted: Sequence[str]) -> bool:
    if value is None:
        return False
    low, high = _coerce(wanted[0], value), _coerce(wanted[1], value)
    return low is not None and high is not None and bool(low <= value <= high)


def _text(check: Callable[[str, str], bool]) -> Callable[[Any, Sequence[str]], bool]:
    return lambda value, wanted: isinstance(value, str) and check(value, wanted[0])


_OPERATORS: Mapping[str, Callable[[Any, Sequence[str]], bool]] = {
    "EQ": _eq,
    "N": lambda v, w: not _eq(v, w),
    "GT": _compare("GT"),
    "GTE": _compare("GTE"),
    "LT": _compare("LT"),
    "LTE": _compare("LTE"),
    "IN": _in,
    "NIN": lambda v, w: not _in(v, w),
    "BETWEEN": _between,
    "NBETWEEN": lambda v, w: v is not None and not _between(v, w),
    "IS": lambda v, w: v is None,
    "ISN": lambda v, w: v is not None,
    "LIKE": _text(lambda v, w: w in v),
    "NLIKE": lambda v, w: not (isinstance(v, str) and w[0] in v),
    "STARTWITH": _text(str.startswith),
    "ENDWITH": _text(str.endswith),
}


def matches(row: Mapping[str, Any], filters: Sequence[Filter]) -> bool:
    """Filters are AND-ed; a missing field is null."""
    return all(_OPERATORS[f.operator](row.get(f.field_name), f.values) for f in filters)


SortedRows = Sequence[tuple[tuple[bool, Any, str], dict[str, Any]]]
KEYSET_FIELDS = ("last_modified_time", "_id")


def keyset_field(search: Search) -> str | None:
    """The field a search walks in ascending order (then by _id), when a sorted index can serve it."""
    if search.want_total or not search.orders:
        return None
    field, ascending = search.orders[0]
    rest = list(search.orders[1:])
    if field not in KEYSET_FIELDS or not ascending or rest not in ([], [("_id", True)]):
        return None
    return field


def select_sorted(entries: SortedRows, field: str, search: Search) -> list[dict[str, Any]]:
    """`select` over rows already sorted by (field, _id): start at the filters' lower bound on the field,
    scan forward until the page is full (what a database index does)."""
    low: Any = None
    for f in search.filters:
        if f.field_name == field and f.operator in ("GT", "GTE", "EQ", "BETWEEN"):
            value = _typed(f.values[0], int if field == "last_modified_time" else str)
            low = value if low is None or (value is not None and value > low) else low
    start = 0 if low is None else bisect.bisect_left(entries, (True, low, ""), key=lambda e: e[0])
    wanted = search.offset + search.limit
    page: list[dict[str, Any]] = []
    for _, row in itertools.islice(entries, start, None):
        if matches(row, search.filters):
            page.append(row)
            if len(page) == wanted:
                break
    return [project(r, search.projection) for r in page[search.offset :]]


def select(rows: Sequence[dict[str, Any]], search: Search) -> tuple[list[dict[str, Any]], int]:
    """The page a search asks for (already projected) and how many rows matched in all."""
    selected = [r for r in rows if matches(r, search.filters)]
    keys = list(search.orders) or [("last_modified_time", False)]
    wanted = search.offset + search.limit
    if all(ascending for _, ascending in keys):
        key_of = [_sort_key(name) for name, _ in keys]
        page = heapq.nsmallest(wanted, selected, key=lambda r: tuple(k(r) for k in key_of))
    else:
        for name, ascending in reversed(keys):
            selected.sort(key=_sort_key(name), reverse=not ascending)
        page = selected[:wanted]
    return [project(r, search.projection) for r in page[search.offset :]], len(selected)


def _sort_key(name: str) -> Callable[[dict[str, Any]], tuple[bool, Any]]:
    return lambda row: (row.get(name) is not None, _sortable(row.get(name)))


def _sortable(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, list):
        return ",".join(map(str, value))
    return value


def project(row: Mapping[str, Any], projection: Sequence[str] | None) -> dict[str, Any]:
    if projection is None:
        return dict(row)
    return {name: row[name] for name in ("_id", *projection) if name in row}
