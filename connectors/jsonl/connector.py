"""Reads canonical-shaped records from JSON-lines files, oldest modification first, in pages.

Each line is one record shaped like `ledgerbridge ledger export --format jsonl` (amounts as strings or
numbers, dates ISO-8601). `source` is always the connector's name; `revision` is ignored (the ledger
assigns it). A line with `"_deleted": true` (or `"deleted": true`) and an `external_id` is a tombstone.
External ids are unique within a stream: when an id appears on several lines, the one with the latest
`source_modified_at` (then the later line) wins. The file is indexed first (offsets only) and read
page by page, so memory does not grow with its size.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from config.loader import ConfigError
from config.settings import JsonlSettings
from connectors.base import CheckResult, ConnectorDeps, NormalizeContext, Page, RawRecord, Stream, Tombstone
from connectors.errors import FatalApiError, RecordError
from store.canonical import CanonicalDocument, DocumentKind, canonical_json

STREAM_KINDS: Mapping[str, DocumentKind] = {
    "sales_orders": DocumentKind.SALES_ORDER,
    "invoices": DocumentKind.INVOICE,
    "payments": DocumentKind.PAYMENT,
    "credit_notes": DocumentKind.CREDIT_NOTE,
    "customers": DocumentKind.CUSTOMER,
    "products": DocumentKind.PRODUCT,
}
"""Streams named after a kind hold only that kind (records may omit `kind`); any other stream name
(the default is `documents`) holds records that each name their kind."""

_LEDGER_OWNED = frozenset({"source", "revision", "deleted", "_deleted"})
_EARLIEST = datetime.min.replace(tzinfo=UTC)


@dataclass(frozen=True)
class _Entry:
    order: tuple[datetime, int]
    offset: int
    external_id: str | None
    tombstone: bool


class JsonlStream:
    """One JSON-lines file read as an ordered stream (ascending `source_modified_at`)."""

    def __init__(self, name: str, path: Path, page_size: int, context: NormalizeContext) -> None:
        self._name = name
        self._path = path
        self._page_size = page_size
        self._context = context
        self._only_kind = STREAM_KINDS.get(name)

    @property
    def name(self) -> str:
        return self._name

    @property
    def kind(self) -> DocumentKind:
        """The stream's kind; a mixed `documents` stream reports invoice, the most common kind."""
        return self._only_kind or DocumentKind.INVOICE

    @property
    def ordered(self) -> bool:
        return True

    @property
    def path(self) -> Path:
        return self._path

    def pages(self, since: datetime | None) -> Iterator[Page]:
        entries = [
            e for e in self._index() if since is None or e.order[0] == _EARLIEST or e.order[0] >= since
        ]
        with self._open() as handle:
            for start in range(0, len(entries), self._page_size):
                records: list[RawRecord] = []
                tombstones: list[Tombstone] = []
                for entry in entries[start : start + self._page_size]:
                    handle.seek(entry.offset)
                    raw = _parse(handle.readline(), entry.order[1])
                    if entry.tombstone and entry.external_id is not None:
                        deleted_at = entry.order[0] if entry.order[0] != _EARLIEST else None
                        tombstones.append(Tombstone(external_id=entry.external_id, deleted_at=deleted_at))
                    else:
                        records.append(raw)
                yield Page(records=records, tombstones=tombstones)

    def live_ids(self) -> Iterator[Sequence[str]]:
        ids = [e.external_id for e in self._index() if e.external_id is not None and not e.tombstone]
        for start in range(0, len(ids), self._page_size):
            yield ids[start : start + self._page_size]

    def normalize(self, raw: RawRecord) -> CanonicalDocument:
        if "_invalid_json" in raw:
            raise RecordError(f"line {raw['_line']} is not valid JSON: {raw['_invalid_json']}")
        if _is_tombstone(raw):
            raise RecordError("a deleted record needs an external_id", field="external_id")
        data = {key: value for key, value in raw.items() if key not in _LEDGER_OWNED}
        data["source"] = self._context.source
        if self._only_kind is not None:
            data.setdefault("kind", self._only_kind.value)
            if data["kind"] != self._only_kind.value:
                raise RecordError(
                    f"{data['kind']!r} in stream {self._name} (which holds {self._only_kind})", field="kind"
                )
        try:
            return CanonicalDocument.model_validate_json(canonical_json(data))
        except ValidationError as exc:
            error = exc.errors()[0]
            where = ".".join(str(part) for part in error["loc"]) or None
            raise RecordError(str(error["msg"]).removeprefix("Value error, "), field=where) from exc

    # ------------------------------------------------------------------------- internals

    def _open(self) -> Any:
        try:
            return self._path.open("rb")
        except OSError as exc:
            raise FatalApiError(f"{self._context.source}: cannot read {self._path}: {exc.strerror}") from exc

    def _index(self) -> list[_Entry]:
        """Offsets of the lines that count, sorted by modification time (latest line per id only)."""
        latest: dict[str, _Entry] = {}
        anonymous: list[_Entry] = []
        with self._open() as handle:
            offset = 0
            for number, line in enumerate(handle, start=1):
                if line.strip():
                    entry = _entry(_parse(line, number), offset, number)
                    if entry.external_id is None:
                        anonymous.append(entry)
                    elif entry.external_id not in latest or latest[entry.external_id].order <= entry.order:
                        latest[entry.external_id] = entry
                offset += len(line)
        return sorted([*latest.values(), *anonymous], key=lambda e: e.order)


def _parse(line: bytes, number: int) -> RawRecord:
    try:
        value = json.loads(line, parse_float=Decimal)
    except ValueError as exc:
        return {"_invalid_json": str(exc), "_line": number}
    if not isinstance(value, dict):
        return {"_invalid_json": "a line must hold one JSON object", "_line": number}
    return value


def _is_tombstone(raw: RawRecord) -> bool:
    return raw.get("_deleted") is True or raw.get("deleted") is True


def _entry(raw: RawRecord, offset: int, number: int) -> _Entry:
    external_id = raw.get("external_id")
    return _Entry(
        order=(_modified(raw.get("source_modified_at")), number),
        offset=offset,
        external_id=external_id if isinstance(external_id, str) and external_id else None,
        tombstone=_is_tombstone(raw),
    )


def _modified(value: object) -> datetime:
    """The line's modification time for ordering; unreadable or missing sorts first (always re-read)."""
    if not isinstance(value, str):
        return _EARLIEST
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return _EARLIEST
    return _EARLIEST if moment.tzinfo is None else moment.astimezone(UTC)


class JsonlConnector:
    """A connector over one JSON-lines file per stream."""

    def __init__(self, name: str, streams: Mapping[str, JsonlStream]) -> None:
        self._name = name
        self._streams = dict(streams)

    @property
    def name(self) -> str:
        return self._name

    def streams(self) -> Mapping[str, Stream]:
        return self._streams

    def check(self) -> Sequence[CheckResult]:
        results = []
        for name, stream in self._streams.items():
            try:
                count = sum(1 for _ in stream.live_ids() for _ in _)
            except FatalApiError as exc:
                results.append(CheckResult(f"read stream {name}", ok=False, detail=str(exc)))
            else:
                results.append(
                    CheckResult(
                        f"read stream {name}", ok=True, detail=f"{count} live records in {stream.path}"
                    )
                )
        return results

    def close(self) -> None:
        """Nothing to release: files are opened per read."""


def build(settings: JsonlSettings, deps: ConnectorDeps) -> JsonlConnector:
    """Factory for connector kind `jsonl`. `path` may contain `{stream}` (one file per stream)."""
    if len(settings.streams) > 1 and "{stream}" not in settings.path:
        raise ConfigError(
            f"connector {settings.name}: several streams need a path with {{stream}} in it "
            "(e.g. data/{stream}.jsonl)"
        )
    streams = {
        name: JsonlStream(
            name, Path(settings.path.replace("{stream}", name)), settings.page_size, deps.context
        )
        for name in settings.streams
    }
    return JsonlConnector(settings.name, streams)
