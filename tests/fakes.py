"""A connector whose pages are given as lists (with failures injected at chosen points) for engine tests."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from connectors.base import CheckResult, NormalizeContext, Page, RawRecord, Stream, Tombstone, say
from connectors.jsonl.connector import JsonlStream
from store.canonical import CanonicalDocument, DocumentKind

T0 = datetime(2026, 11, 1, tzinfo=UTC)
CONTEXT = NormalizeContext(source="shop", timezone=UTC, base_currency="CNY")  # type: ignore[arg-type]


def record(number: int, *, total: str = "100.00", minutes: int | None = None, **extra: Any) -> dict[str, Any]:
    """A canonical-shaped raw invoice; modified `minutes` (default: `number`) after T0."""
    modified = T0 + timedelta(minutes=number if minutes is None else minutes)
    return {
        "kind": "invoice",
        "external_id": f"INV-{number}",
        "number": f"INV-{number:06d}",
        "party": {"external_id": "C1", "name": "上海申远贸易有限公司"},
        "currency": "CNY",
        "total": total,
        "lines": [{"product": "Widget", "quantity": "2", "unit_price": total, "amount": total}],
        "source_modified_at": modified.isoformat(),
        **extra,
    }


@dataclass
class ListStream:
    """Pages from a list; `fail_after` raises `error` once that many pages were handed out."""

    pages_data: list[Page]
    name: str = "invoices"
    kind: DocumentKind = DocumentKind.INVOICE
    ordered: bool = True
    fail_after: int | None = None
    error: BaseException | None = None
    since_seen: list[datetime | None] = field(default_factory=list)
    live: list[str] | None = None

    def pages(self, since: datetime | None) -> Iterator[Page]:
        self.since_seen.append(since)
        for index, page in enumerate(self.pages_data):
            if self.fail_after is not None and index == self.fail_after and self.error is not None:
                raise self.error
            yield page

    def normalize(self, raw: RawRecord) -> CanonicalDocument:
        return _NORMALIZER.normalize(raw)


class SweepableListStream(ListStream):
    def live_ids(self) -> Iterator[Sequence[str]]:
        assert self.live is not None
        yield self.live


_NORMALIZER = JsonlStream("documents", path=None, page_size=1, context=CONTEXT)  # type: ignore[arg-type]


@dataclass
class ListConnector:
    stream_list: list[ListStream]
    name: str = "shop"

    def streams(self) -> Mapping[str, Stream]:
        return {s.name: s for s in self.stream_list}

    def check(self) -> Sequence[CheckResult]:
        return [CheckResult(say("check.stream", name=self.name), ok=True, detail=say("check.readable"))]

    def close(self) -> None:
        pass


def pages(*groups: Sequence[dict[str, Any]], tombstones: Sequence[Sequence[Tombstone]] = ()) -> list[Page]:
    result = [Page(records=list(group)) for group in groups]
    for index, dead in enumerate(tombstones):
        if index < len(result):
            result[index] = Page(records=result[index].records, tombstones=list(dead))
        else:
            result.append(Page(tombstones=list(dead)))
    return result
