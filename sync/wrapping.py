"""A connector and its streams seen through a wrapper that adds one thing (the daemon's shutdown and
auth-error watch, the API call meter): everything a subclass does not override is the inner one's, so
the engine finds what the inner stream offers (`live_ids`, `count`, `sweep_due`, `after`...)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import datetime
from typing import Any

from connectors.base import Connector, Page, Stream


class StreamWrapper:
    """A stream that is its inner stream but for what a subclass overrides (typically `pages`)."""

    def __init__(self, inner: Stream) -> None:
        self._inner = inner

    @property
    def name(self) -> str:
        return self._inner.name

    @property
    def kind(self) -> Any:
        return self._inner.kind

    @property
    def ordered(self) -> bool:
        return self._inner.ordered

    def normalize(self, raw: Any) -> Any:
        return self._inner.normalize(raw)

    def pages(self, since: datetime | None) -> Iterator[Page]:
        return self._inner.pages(since)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)


class ConnectorWrapper:
    """A connector that is its inner connector but for its streams, each wrapped by `wrap`."""

    def __init__(self, inner: Connector) -> None:
        self._inner = inner

    @property
    def name(self) -> str:
        return self._inner.name

    def streams(self) -> Mapping[str, Stream]:
        return {name: self.wrap(stream) for name, stream in self._inner.streams().items()}

    def wrap(self, stream: Stream) -> Stream:
        return stream

    def check(self) -> Any:
        return self._inner.check()

    @property
    def waited_seconds(self) -> float:
        """The inner connector's waits for rate limits (the engine records each run's share)."""
        waited = getattr(self._inner, "waited_seconds", 0.0)
        return float(waited) if isinstance(waited, int | float) else 0.0

    def close(self) -> None:
        self._inner.close()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)
