"""The connector contract: what the sync engine needs from any vendor, and the ports connectors need."""

from __future__ import annotations

import time
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol, runtime_checkable
from zoneinfo import ZoneInfo

from config.kinds import ConnectorSettingsBase, kind_of
from connectors.http import Observer
from store.canonical import CanonicalDocument, DocumentKind

RawRecord = Mapping[str, Any]
"""A vendor record exactly as parsed from its JSON (numbers as Decimal, never float)."""

Clock = Callable[[], datetime]
"""Returns the current time, timezone-aware UTC. Passed in so tests control it."""


@dataclass(frozen=True)
class Tombstone:
    """The vendor says this record is gone (Zoho /deleted, Xero DELETED, a vanished Fxiaoke id...)."""

    external_id: str
    deleted_at: datetime | None = None


@dataclass(frozen=True)
class Page:
    """One page as the engine commits it: raw records to normalize and deletions to record."""

    records: Sequence[RawRecord] = ()
    tombstones: Sequence[Tombstone] = ()
    read_through: datetime | None = None
    """Set by a stream that has read, by this page, every record modified before this instant (a
    completed full pass: the time it started): the cursor may move there though no record is as new."""


@dataclass(frozen=True)
class NormalizeContext:
    """What a pure normalizer needs besides the raw record."""

    source: str
    timezone: ZoneInfo
    base_currency: str


@runtime_checkable
class Stream(Protocol):
    """One readable collection of a vendor (sales orders, invoices, ...).

    `pages(since)` yields pages of records modified at or after `since` (None = everything). The engine
    passes `since` already moved back by the overlap window, so re-reading the boundary is expected.
    `ordered` is True when pages arrive in ascending modification time, so the engine may advance the
    cursor after every page; otherwise it advances the cursor only once the whole run completed.
    `normalize(raw)` is pure and raises `RecordError` for a record that cannot be trusted.
    """

    @property
    def name(self) -> str: ...

    @property
    def kind(self) -> DocumentKind: ...

    @property
    def ordered(self) -> bool: ...

    def pages(self, since: datetime | None) -> Iterator[Page]: ...

    def normalize(self, raw: RawRecord) -> CanonicalDocument: ...


@runtime_checkable
class SweepableStream(Stream, Protocol):
    """A stream that can list every live id cheaply; ids the ledger has but the sweep lacks are tombstoned."""

    def live_ids(self) -> Iterator[Sequence[str]]: ...


@runtime_checkable
class SelfSweepingStream(SweepableStream, Protocol):
    """A stream that knows when an incremental read from `since` cannot see deletions (QuickBooks: a
    cursor older than CDC's 30 days): the engine then sweeps after the pages without being asked."""

    def sweep_due(self, since: datetime | None) -> bool: ...


@runtime_checkable
class CountableStream(Stream, Protocol):
    """A stream whose vendor says how many records it holds (optional: Zoho CRM, Fxiaoke).

    `count()` is the vendor's own number of records the stream's full pass would read, or None when the
    vendor did not say this time (Fxiaoke with totals off answers 0 beside a non-empty page): unknown,
    never a number to compare. The engine compares it with the ledger after a completed full pass."""

    def count(self) -> int | None: ...


@dataclass(frozen=True)
class Said:
    """A sentence as data, for the shell to say in the reader's language: a catalogue key
    (reconcile/report/catalogue/connector_checks.py, `check.*`) and the values it names. A value is
    shown as it is (a name, a number, a URL, what a vendor said: verbatim) or is itself a Said (a
    tuple of them: a list), said in the same language. Connectors never hold the words themselves."""

    key: str
    values: Mapping[str, str | int | Said | tuple[Said, ...]] = field(default_factory=dict)


def say(key: str, **values: str | int | Said | tuple[Said, ...]) -> Said:
    """`Said(key, values)` spelled as a call: `say("check.stream", name="invoices")`."""
    return Said(key, values)


@dataclass(frozen=True)
class CheckResult:
    """One line of `ledgerbridge connector test`: what was tried, whether it worked, what to do if not —
    each a Said, which `connector test` (and the web Connectors page) says in English or Chinese; its
    `--json` keeps `what` and `detail` in English beside the keys and values (sync/check_words.py)."""

    what: Said
    ok: bool
    detail: Said | None = None
    state: str = ""
    """Optional finer word for an ok check that is degraded: `empty` (readable, no rows: empty but
    permitted), `missing` / `forbidden` (an optional object the connector goes on without)."""


@runtime_checkable
class Connector(Protocol):
    """A configured vendor account: its streams, a connection check, and its HTTP resources."""

    @property
    def name(self) -> str: ...

    def streams(self) -> Mapping[str, Stream]: ...

    def check(self) -> Sequence[CheckResult]: ...

    def close(self) -> None: ...


# ----------------------------------------------------------------------------- ports


@dataclass(frozen=True)
class Token:
    """An access token and what came with it (e.g. Zoho's api_domain, Fxiaoke's corpId)."""

    access_token: str
    expires_at: datetime
    extra: Mapping[str, str] = field(default_factory=dict)

    def minted_since(self, moment: datetime | None) -> bool:
        """Whether this token was minted at or after `moment` (its `minted_at` extra): a token refused
        although minted after an earlier refusal is a scope or permission problem, not an old token."""
        minted = self.extra.get("minted_at")
        if moment is None or not minted:
            return False
        return datetime.fromisoformat(minted) >= moment


class TokenStore(Protocol):
    """Where access tokens (and rotated refresh tokens) live between runs and processes: encrypted.

    `refresh_lock(key)` serializes refreshes of one credential across threads *and* processes.
    """

    def load(self, key: str) -> Token | None: ...

    def save(self, key: str, token: Token) -> None: ...

    def refresh_lock(self, key: str) -> AbstractContextManager[None]: ...


@dataclass(frozen=True)
class ConnectorDeps:
    """Everything a connector factory is handed by sync/bootstrap.py (connectors never build these)."""

    token_store: TokenStore
    resolve: Callable[[str], str]
    """Credential value from the config -> literal value (resolves `secret:NAME` via the secret store)."""
    context: NormalizeContext
    clock: Clock
    observer: Observer | None = None
    sleep: Callable[[float], None] = time.sleep


ConnectorFactory = Callable[[Any, ConnectorDeps], Connector]
"""`factory(settings, deps) -> Connector`; one per connector kind, declared in its `ConnectorKind`."""


@dataclass(frozen=True)
class ConnectorKind:
    """A connector kind as the connectors layer declares it, next to its streams: the settings model
    (config/kinds.py, which names the kind and the streams users may configure), the streams this
    package implements (None: any name, as for jsonl) and the factory. connectors/registry.py lists
    them; a test proves the streams equal the settings model's."""

    settings: type[ConnectorSettingsBase]
    streams: Collection[str] | None
    build: ConnectorFactory

    @property
    def name(self) -> str:
        return kind_of(self.settings)
