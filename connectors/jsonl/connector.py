"""Reads canonical-shaped records from JSON-lines files, oldest modification first, in pages.

Each line is one record shaped like `ledgerbridge ledger export --format jsonl` (amounts as strings or
numbers, dates ISO-8601). `source` is always the connector's name; `revision` is ignored (the ledger
assigns it). A line with `"_deleted": true` (or `"deleted": true`) and an `external_id` is a tombstone.
External ids are unique within a stream: when an id appears on several lines, the one with the latest
`source_modified_at` (then the later line) wins. The file is indexed first (offsets only) and read
page by page, so memory does not grow with its size.

On the stream kit (connectors/stream.py, connectors/paging.py) like every vendor: each stream is a
`StreamBase` declared by a `JsonlSpec` (its name, and the kind it holds), its pages are the kit's
`paginate` with an `Offset` paginator over the file's index (the request is a position in it, not an
HTTP call), its check is the kit's `check_streams` (no sign-in), and `KIND` declares the kind for
connectors/registry.py.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from functools import partial
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from config.loader import ConfigError
from config.settings import JsonlSettings
from connectors.base import (
    CheckResult,
    ConnectorDeps,
    ConnectorKind,
    NormalizeContext,
    Page,
    RawRecord,
    Said,
    Stream,
    Tombstone,
    say,
)
from connectors.errors import FatalApiError, RecordError
from connectors.paging import Answer, Offset, paginate
from connectors.reasons import Rule
from connectors.stream import StreamBase, check_streams, first_page_probe
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


@dataclass(frozen=True)
class JsonlSpec:
    """A configured stream: its name, and the one kind it holds when named after a kind."""

    name: str
    only_kind: DocumentKind | None

    @property
    def kind(self) -> DocumentKind:
        """The stream's kind; a mixed `documents` stream reports invoice, the most common kind."""
        return self.only_kind or DocumentKind.INVOICE


class JsonlStream(StreamBase[JsonlSpec]):
    """One JSON-lines file read as an ordered stream (ascending `source_modified_at`)."""

    ordered = True

    def __init__(self, name: str, path: Path, page_size: int, context: NormalizeContext) -> None:
        super().__init__(JsonlSpec(name, STREAM_KINDS.get(name)), context)
        self._name = name
        self._path = path
        self._page_size = page_size
        self._only_kind = self.spec.only_kind

    @property
    def path(self) -> Path:
        return self._path

    def pages(self, since: datetime | None) -> Iterator[Page]:
        entries = [
            e for e in self._index() if since is None or e.order[0] == _EARLIEST or e.order[0] >= since
        ]
        with self._open() as handle:

            def send(start: int) -> Answer | None:
                """The page of `entries` from `start`: its records, its tombstones as the body."""
                if start >= len(entries):
                    return None
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
                return Answer(tombstones, records)

            paginator = Offset(_position, limit=self._page_size, total=len(entries))
            for answer in paginate(send, 0, paginator):
                yield Page(records=answer.records, tombstones=answer.body)

    def live_ids(self) -> Iterator[Sequence[str]]:
        ids = [e.external_id for e in self._index() if e.external_id is not None and not e.tombstone]
        for start in range(0, len(ids), self._page_size):
            yield ids[start : start + self._page_size]

    def normalize(self, raw: RawRecord) -> CanonicalDocument:
        if "_invalid_json" in raw:
            raise RecordError(
                f"line {raw['_line']} is not valid JSON: {raw['_invalid_json']}", rule=Rule.NOT_JSON
            )
        if _is_tombstone(raw):
            raise RecordError("a deleted record needs an external_id", field="external_id", rule=Rule.MISSING)
        data = {key: value for key, value in raw.items() if key not in _LEDGER_OWNED}
        data["source"] = self._context.source
        if self._only_kind is not None:
            data.setdefault("kind", self._only_kind.value)
            if data["kind"] != self._only_kind.value:
                raise RecordError(
                    f"{data['kind']!r} in stream {self._name} (which holds {self._only_kind})",
                    field="kind",
                    rule=Rule.WRONG_KIND,
                    value=data["kind"],
                )
        try:
            return CanonicalDocument.model_validate_json(canonical_json(data))
        except ValidationError as exc:
            error = exc.errors()[0]
            where = ".".join(str(part) for part in error["loc"]) or None
            message = str(error["msg"]).removeprefix("Value error, ")
            raise RecordError.from_validation(error, message, field=where) from exc

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


def _position(_start: int, offset: int) -> int:
    """The `Offset` paginator's request for a file's index: the position itself."""
    return offset


def _live_records(stream: JsonlStream) -> Said:
    count = sum(1 for _ in stream.live_ids() for _ in _)
    return say("check.jsonl.live_records", count=count, path=str(stream.path))


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
        """Each stream's file read (its live records counted); no sign-in."""
        return check_streams(
            [
                first_page_probe(say("check.read_stream", name=name), partial(_live_records, s))
                for name, s in self._streams.items()
            ]
        )

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


KIND = ConnectorKind(JsonlSettings, None, build)
"""Connector kind `jsonl`: free stream names (a stream named after a document kind holds only that kind)."""
