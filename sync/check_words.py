"""A connection check's lines in the reader's words: `ledgerbridge connector test` and the web Connectors
page's Test say each CheckResult (connectors/base.py: a catalogue key and its values) in English or
Chinese; `connector test --json` keeps `what` and `detail` in English, beside the keys and values."""

from __future__ import annotations

from typing import Any, Final

from connectors.base import CheckResult, Said
from reconcile.report.i18n import Catalogue

_ENGLISH = Catalogue("en")
_SEPARATORS: Final = {"en": "; ", "zh": "；"}
"""Between the sentences of a list (punctuation, not words: no catalogue entry to translate)."""


def spoken(catalogue: Catalogue, said: Said | str | None) -> str:
    """`said` in the catalogue's language: each value verbatim, a nested Said said the same way, a
    tuple of them joined (`; ` / `；`). Plain text (a test's stand-in connector) is shown as it is."""
    if said is None:
        return ""
    if isinstance(said, str):
        return said
    values = {name: _value(catalogue, value) for name, value in said.values.items()}
    return catalogue.text(said.key, **values)


def check_line(catalogue: Catalogue, result: CheckResult) -> tuple[str, str]:
    """(what was tried, what came of it) in the catalogue's language."""
    return spoken(catalogue, result.what), spoken(catalogue, result.detail)


def check_json(result: CheckResult) -> dict[str, Any]:
    """One check of `connector test --json`: `what`, `ok`, `state`, `detail` (English, as ever) and the
    sentences as data: `what_key`/`what_values`, `detail_key`/`detail_values` (a nested sentence is
    {key, values}; null detail_key when the check says nothing more)."""
    what, detail = check_line(_ENGLISH, result)
    return {
        "what": what,
        "ok": result.ok,
        "state": result.state or None,
        "detail": detail,
        "what_key": _key(result.what),
        "what_values": _data(result.what),
        "detail_key": _key(result.detail),
        "detail_values": _data(result.detail),
    }


def _value(catalogue: Catalogue, value: object) -> object:
    if isinstance(value, Said):
        return spoken(catalogue, value)
    if isinstance(value, tuple):
        return _SEPARATORS[catalogue.lang].join(spoken(catalogue, item) for item in value)
    return value


def _key(said: Said | str | None) -> str | None:
    return said.key if isinstance(said, Said) else None


def _data(said: Said | str | None) -> dict[str, Any]:
    if not isinstance(said, Said):
        return {}
    return {name: _plain(value) for name, value in said.values.items()}


def _plain(value: object) -> object:
    if isinstance(value, Said):
        return {"key": value.key, "values": _data(value)}
    if isinstance(value, tuple):
        return [_plain(item) for item in value]
    return value
