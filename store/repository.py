"""The ledger repository: one page of a sync written in one transaction, documents and history read back."""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import structlog
from sqlalchemy import Connection, Engine, bindparam, delete, func, insert, or_, select, update
from sqlalchemy import text as sql_text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.types import NullType

from store.canonical import CanonicalDocument, ChangeKind, DocumentKey, DocumentKind, Status, payload_hash
from store.codec import (
    ALLOCATION_COLUMNS,
    DOCUMENT_COLUMNS,
    LINE_COLUMNS,
    REVISION_COLUMNS,
    EncodedDocument,
    PageRecord,
    RowEncoder,
    digest_material,
    document_from_rows,
    document_row,
    enum_text,
    page_record,
    snapshot_bytes,
)
from store.db import is_sqlite, write_transaction
from store.digests import RowState, check_rows
from store.integrity import seal_of
from store.page_rows import PageRows, page_rows
from store.tables import (
    allocations,
    document_lines,
    documents,
    quarantine,
    revisions,
    sync_runs,
    sync_state,
)

log = structlog.get_logger(__name__)

_CHUNK = 500
"""Keys per IN (...) list and documents per read batch: well under every driver's parameter limit."""


@dataclass(frozen=True)
class Incoming:
    """A record that normalized fine: the document, its raw payload's canonical JSON (UTF-8) and hash."""

    document: CanonicalDocument
    payload_hash: str
    raw_json: bytes


@dataclass(frozen=True)
class Rejected:
    """A record that did not normalize: kept in quarantine with the reason and the raw payload."""

    reason: str
    raw_json: str
    payload_hash: str
    external_id: str | None = None
    field: str | None = None
    """The reason as data (connectors/reasons.py): the field it names, its rule code, the value shown."""
    rule: str | None = None
    value: str | None = None


@dataclass(frozen=True)
class Deletion:
    """The vendor says a record of this stream is gone."""

    external_id: str
    raw_json: str
    payload_hash: str


@dataclass(frozen=True)
class PageWrite:
    """One page as the write transaction takes it: its records (snapshots and raw payloads) and
    everything else the page says. Plain values: it crosses to the writer process as it is."""

    documents: tuple[PageRecord, ...]
    now: datetime
    rejects: tuple[Rejected, ...] = ()
    deletions: tuple[Deletion, ...] = ()
    fetched: int = 0
    cursor: datetime | None = None
    mark_seen: bool = False
    repair: bool = False
    """Check the rows of records whose payload did not change: rewrite those whose digest or values fail
    from the record just read (a new revision), seal those written before revision 0006 (ADR 0020)."""


@dataclass(frozen=True)
class EncodedPage:
    """A page with its records' rows encoded (`SqlLedgerRepository.encode_page`), ready to be written."""

    page: PageWrite
    incoming: list[EncodedDocument]
    """The live records, one per (kind, external id): the last of the page wins."""
    gone: list[EncodedDocument]
    """The records the page marks deleted."""


@dataclass(frozen=True)
class RunRef:
    """The sync run a page belongs to."""

    id: int
    connector: str
    stream: str


@dataclass(frozen=True)
class PageCounts:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    deleted: int = 0
    quarantined: int = 0

    def __add__(self, other: PageCounts) -> PageCounts:
        return PageCounts(
            self.created + other.created,
            self.updated + other.updated,
            self.unchanged + other.unchanged,
            self.deleted + other.deleted,
            self.quarantined + other.quarantined,
        )


@dataclass(frozen=True)
class DocumentCandidate:
    """A document a person named by its number or id: enough to tell it from others of that number."""

    key: DocumentKey
    number: str | None
    issued_on: date | None
    total: Decimal | None
    currency: str | None
    deleted: bool


@dataclass(frozen=True)
class Revision:
    """One entry of a document's append-only history."""

    revision: int
    change: ChangeKind
    recorded_at: datetime
    sync_run_id: int | None
    payload_hash: str
    document: CanonicalDocument
    raw_payload: str


@dataclass(frozen=True)
class _Existing:
    id: int
    payload_hash: str
    revision: int
    deleted: bool


class SqlLedgerRepository:
    """The canonical ledger on SQLAlchemy Core (bulk statements, no per-row ORM)."""

    def __init__(self, engine: Engine, *, copy: bool = True) -> None:
        """`copy`: on PostgreSQL a page's rows go in with COPY (store/page_rows.py, ADR 0031); off, with
        executemany as before issue 18 (kept for the test that both leave the same rows)."""
        self._engine = engine
        self._copy = copy

    # ------------------------------------------------------------------------- the page write

    def apply_page(
        self,
        run: RunRef,
        *,
        documents: Sequence[Incoming] = (),
        rejects: Sequence[Rejected] = (),
        deletions: Sequence[Deletion] = (),
        fetched: int = 0,
        cursor: datetime | None = None,
        mark_seen: bool = False,
        repair: bool = False,
        now: datetime,
    ) -> PageCounts:
        """Write one page in ONE transaction (see `write_page`), encoding its documents first."""
        return self.write_page(
            run,
            PageWrite(
                documents=page_records(documents),
                rejects=tuple(rejects),
                deletions=tuple(deletions),
                fetched=fetched,
                cursor=cursor,
                mark_seen=mark_seen,
                repair=repair,
                now=now,
            ),
        )

    def write_page(self, run: RunRef, page: PageWrite) -> PageCounts:
        """Write one page in ONE transaction: upserts (a revision only for a real change), quarantine,
        tombstones, the run's counters and — if given — the stream's new cursor. All or nothing."""
        return self.write_encoded(run, self.encode_page(run, page))

    def encode_page(self, run: RunRef, page: PageWrite) -> EncodedPage:
        """The rows of `page`'s records, read off their snapshots: CPU only, no database — a writer can
        encode the next page while the database works on this one (sync/page_writer.py)."""
        encoder = RowEncoder(is_sqlite(self._engine))
        encoded = (encoder.encode(record, run.stream) for record in page.documents)
        incoming = list({(i.kind, i.external_id): i for i in encoded}.values())
        gone = [i for i in incoming if i.head[_STATUS_AT] == Status.DELETED.value]
        if gone:
            incoming = [i for i in incoming if i.head[_STATUS_AT] != Status.DELETED.value]
        return EncodedPage(page, incoming, gone)

    def write_encoded(self, run: RunRef, encoded: EncodedPage) -> PageCounts:
        """`write_page` of a page `encode_page` has encoded (for the same run)."""
        page, incoming, gone = encoded.page, encoded.incoming, encoded.gone
        bulk = page_rows(RowEncoder(is_sqlite(self._engine)), copy=self._copy)
        now = page.now
        with write_transaction(self._engine) as conn:
            existing = _existing(conn, run.connector, incoming)
            new: list[EncodedDocument] = []
            changed: list[tuple[_Existing, EncodedDocument]] = []
            same: list[tuple[_Existing, EncodedDocument]] = []
            for item in incoming:
                found = existing.get((item.kind, item.external_id))
                if found is None:
                    new.append(item)
                elif found.payload_hash == item.payload_hash and not found.deleted:
                    same.append((found, item))
                else:
                    changed.append((found, item))
            if page.repair and same:
                same = _repair(conn, run, same, changed)
            unchanged = [found.id for found, _ in same]
            _insert_new(conn, bulk, run, new, now)
            _update_changed(conn, bulk, run, changed, now)
            if page.mark_seen and unchanged:
                _mark_seen(conn, run.id, unchanged)
            if incoming:
                _resolve_quarantine(conn, run, [i.external_id for i in incoming], now)
            for reject in {r.payload_hash: r for r in page.rejects}.values():
                _quarantine(conn, run, reject, now)
            deleted = _apply_deletions(conn, run, page.deletions, now)
            if gone:
                tombstoned, kept = _apply_tombstones(conn, bulk, run, gone, now)
                deleted, unchanged = deleted + tombstoned, unchanged + kept
            counts = PageCounts(len(new), len(changed), len(unchanged), deleted, len(page.rejects))
            if page.cursor is not None:
                _advance_cursor(conn, run, page.cursor, now)
            _add_counts(conn, run.id, page.fetched, counts)
        return counts

    def delete_unseen(self, run: RunRef, *, now: datetime) -> int:
        """Tombstone the stream's live documents this (completed, full) run did not see."""
        query = select(documents.c.id).where(
            documents.c.source == run.connector,
            documents.c.stream == run.stream,
            documents.c.deleted.is_(False),
            (documents.c.last_seen_run_id.is_(None)) | (documents.c.last_seen_run_id != run.id),
        )
        reason = {"_deleted": True, "_reason": f"not seen by full resync run {run.id}"}
        with write_transaction(self._engine) as conn:
            ids = list(conn.execute(query).scalars())
            deleted = _delete_ids(conn, run, ids, reason, now)
            _add_counts(conn, run.id, 0, PageCounts(deleted=deleted))
        return deleted

    def delete_missing(self, run: RunRef, live_ids: set[str], *, now: datetime) -> int:
        """Tombstone the stream's live documents whose ids a completed sweep did not list."""
        query = select(documents.c.id, documents.c.external_id).where(
            documents.c.source == run.connector,
            documents.c.stream == run.stream,
            documents.c.deleted.is_(False),
        )
        reason = {"_deleted": True, "_reason": f"missing from sweep run {run.id}"}
        with write_transaction(self._engine) as conn:
            ids = [row.id for row in conn.execute(query) if row.external_id not in live_ids]
            deleted = _delete_ids(conn, run, ids, reason, now)
            _add_counts(conn, run.id, 0, PageCounts(deleted=deleted))
        return deleted

    # ------------------------------------------------------------------------- reads

    def iter_documents(
        self,
        source: str | None = None,
        kind: DocumentKind | str | None = None,
        kinds: Iterable[DocumentKind | str] | None = None,
        include_deleted: bool = True,
    ) -> Iterator[CanonicalDocument]:
        """Stream documents in insertion order, a batch at a time (memory stays flat), from one
        consistent snapshot of the ledger."""
        conditions = []
        if source is not None:
            conditions.append(documents.c.source == source)
        wanted = [DocumentKind(k).value for k in ([kind] if kind is not None else []) + list(kinds or [])]
        if wanted:
            conditions.append(documents.c.kind.in_(wanted))
        if not include_deleted:
            conditions.append(documents.c.deleted.is_(False))
        with _snapshot(self._engine) as conn:
            after = 0
            while True:
                query = (
                    select(documents)
                    .where(documents.c.id > after, *conditions)
                    .order_by(documents.c.id)
                    .limit(_CHUNK)
                )
                rows = conn.execute(query).mappings().all()
                if not rows:
                    return
                yield from _assemble(conn, rows)
                after = rows[-1]["id"]

    def get(self, key: DocumentKey) -> CanonicalDocument | None:
        with self._engine.connect() as conn:
            row = conn.execute(select(documents).where(*_key_match(key))).mappings().first()
            return None if row is None else next(iter(_assemble(conn, [row])))

    def find_documents(
        self, name: str, *, source: str | None = None, kind: str | None = None, limit: int = 50
    ) -> list[DocumentCandidate]:
        """Documents a person may mean by `name`: its number (case and surrounding blanks ignored) or its
        external id, optionally of one source and kind; deleted ones too. Oldest issue date first.

        No index serves a number lookup (documents are keyed by source, kind and external id); a scan of
        the ledger is fine for a command a person types, not for a loop."""
        d = documents.c
        text = name.strip()
        conditions = [or_(func.lower(d.number) == text.lower(), d.external_id == text)]
        if source is not None:
            conditions.append(d.source == source)
        if kind is not None:
            conditions.append(d.kind == kind)
        query = (
            select(d.source, d.kind, d.external_id, d.number, d.issued_on, d.total, d.currency, d.deleted)
            .where(*conditions)
            .order_by(d.issued_on, d.source, d.kind, d.external_id)
            .limit(limit)
        )
        with self._engine.connect() as conn:
            return [
                DocumentCandidate(
                    key=DocumentKey(source=r.source, kind=DocumentKind(r.kind), external_id=r.external_id),
                    number=r.number,
                    issued_on=r.issued_on,
                    total=r.total,
                    currency=r.currency,
                    deleted=bool(r.deleted),
                )
                for r in conn.execute(query)
            ]

    def document_counts(self) -> dict[tuple[str, str], int]:
        """(source, kind) -> how many documents the ledger holds (deleted ones too)."""
        d = documents.c
        query = select(d.source, d.kind, func.count()).group_by(d.source, d.kind).order_by(d.source, d.kind)
        with self._engine.connect() as conn:
            return {(source, kind): int(count) for source, kind, count in conn.execute(query)}

    def history(self, key: DocumentKey) -> list[Revision]:
        """Every revision of one document, oldest first (empty when the ledger never had it)."""
        query = (
            select(revisions)
            .join(documents, documents.c.id == revisions.c.document_id)
            .where(*_key_match(key))
            .order_by(revisions.c.revision)
        )
        with self._engine.connect() as conn:
            return [
                Revision(
                    revision=row.revision,
                    change=ChangeKind(row.change_kind),
                    recorded_at=row.recorded_at,
                    sync_run_id=row.sync_run_id,
                    payload_hash=row.payload_hash,
                    document=CanonicalDocument.model_validate_json(row.snapshot).model_copy(
                        update={"revision": row.revision, "deleted": row.change_kind == ChangeKind.DELETED}
                    ),
                    raw_payload=row.raw_payload,
                )
                for row in conn.execute(query)
            ]


# ----------------------------------------------------------------------------- write helpers


def page_records(documents: Sequence[Incoming]) -> tuple[PageRecord, ...]:
    """Pure: a page's normalized records as `write_page` takes them (in any process)."""
    return tuple(page_record(i.document, i.payload_hash, i.raw_json) for i in documents)


def _existing(
    conn: Connection, source: str, incoming: Sequence[EncodedDocument]
) -> dict[tuple[str, str], _Existing]:
    by_kind: dict[str, list[str]] = defaultdict(list)
    for item in incoming:
        by_kind[item.kind].append(item.external_id)
    found: dict[tuple[str, str], _Existing] = {}
    columns = (
        documents.c.id,
        documents.c.kind,
        documents.c.external_id,
        documents.c.payload_hash,
        documents.c.revision,
        documents.c.deleted,
    )
    with _planned_for_now(conn):
        for kind, ids in by_kind.items():
            for chunk in _key_lists(conn, ids):
                query = select(*columns).where(
                    documents.c.source == source,
                    documents.c.kind == kind,
                    _one_of(conn, documents.c.external_id, chunk),
                )
                for row in conn.execute(query):
                    found[(row.kind, row.external_id)] = _Existing(
                        row.id, row.payload_hash, row.revision, bool(row.deleted)
                    )
    return found


def _key_lists(conn: Connection, keys: Sequence[str]) -> Iterator[Sequence[str]]:
    """SQLite: chunks for IN (...) lists. PostgreSQL: all keys at once, bound as one array."""
    return _chunks(keys) if is_sqlite(conn) else iter([keys])


def _one_of(conn: Connection, column: Any, keys: Sequence[str]) -> Any:
    """`column IN (keys)`. On PostgreSQL `column = ANY(CAST(:keys AS text[]))`: one parameter instead of
    a placeholder per key, which SQLAlchemy rendered and psycopg parsed afresh for every page (a fifth
    of the page write's client time at 1,000 records a page); bound as the array's text, built here at
    a fifth of the cost of psycopg's list dumper (~1 µs a key)."""
    if is_sqlite(conn):
        return column.in_(keys)
    # Untyped: psycopg sends a str as of unknown type, so the server reads the parameter itself as
    # text[] (a constant of the plan). A typed one (`::VARCHAR`, as SQLAlchemy renders a str) would be
    # converted row by row in a scan's filter: a 1,000-key array parsed again for every row.
    keys_param = bindparam("keys", text_array(keys), type_=NullType(), unique=True)
    return column == func.any(sql_text("CAST(:keys AS text[])").bindparams(keys_param))


def text_array(values: Iterable[str]) -> str:
    """PostgreSQL's text form of a text[] of `values`: every element quoted, `"` and `\\` escaped, so
    any text (commas, braces, blanks, the word NULL, the empty string) reads back as itself."""
    quoted = ['"' + v.replace("\\", "\\\\").replace('"', '\\"') + '"' for v in values]
    return "{" + ",".join(quoted) + "}"


@contextmanager
def _planned_for_now(conn: Connection) -> Iterator[None]:
    """PostgreSQL: plan the statements inside for the table sizes of now. psycopg prepares a statement
    run five times, and the server may then keep a generic plan made while `documents` was small (a
    first sync into an empty ledger): every page's key lookup became a sequential scan, each page
    slower than the last (30,000 records: 12 s, 70% of it in this lookup; now 0.2 s). Only here: the
    inserts' plans do not depend on table size, and re-planning every row would cost more."""
    if is_sqlite(conn):
        yield
        return
    conn.exec_driver_sql("SET LOCAL plan_cache_mode = force_custom_plan")
    yield
    conn.exec_driver_sql("SET LOCAL plan_cache_mode TO DEFAULT")


def _allocate_ids(conn: Connection, count: int) -> list[int]:
    """Ids for new documents, so that lines and revisions can be written in bulk without RETURNING."""
    if is_sqlite(conn):  # BEGIN IMMEDIATE: this transaction is the only writer
        start = int(conn.exec_driver_sql("SELECT COALESCE(MAX(id), 0) FROM documents").scalar_one()) + 1
        return list(range(start, start + count))
    query = "SELECT nextval(pg_get_serial_sequence('documents', 'id')) FROM generate_series(1, %s)"
    return [int(value) for value in conn.exec_driver_sql(query, (count,)).scalars()]


def _insert_new(
    conn: Connection, bulk: PageRows, run: RunRef, new: Sequence[EncodedDocument], now: datetime
) -> None:
    if not new:
        return
    encode = RowEncoder(is_sqlite(conn))
    stamp, live = encode.moment(now), encode.flag(False)
    placed = list(zip(_allocate_ids(conn, len(new)), new, strict=True))
    seal, stream = seal_of(conn).document_digest, run.stream
    rows = [
        (
            *document_row(
                item.head,
                deleted=live,
                revision=1,
                payload_hash=item.payload_hash,
                run_id=run.id,
                now=stamp,
                digest=seal(digest_material(stream, 1, False, item.payload_hash, item.snapshot)),
            ),
            stamp,
            doc_id,
        )
        for doc_id, item in placed
    ]
    bulk.insert(conn, "documents", (*DOCUMENT_COLUMNS, "created_at", "id"), rows)
    _insert_children(conn, bulk, placed)
    _insert_revisions(
        conn, bulk, run, [(doc_id, 1, ChangeKind.CREATED, item) for doc_id, item in placed], stamp
    )


def _update_changed(
    conn: Connection,
    bulk: PageRows,
    run: RunRef,
    changed: Sequence[tuple[_Existing, EncodedDocument]],
    now: datetime,
) -> None:
    if not changed:
        return
    encode = RowEncoder(is_sqlite(conn))
    stamp, live = encode.moment(now), encode.flag(False)
    rows = []
    history = []
    seal, stream = seal_of(conn).document_digest, run.stream
    for found, item in changed:
        number = found.revision + 1
        values = document_row(
            item.head,
            deleted=live,
            revision=number,
            payload_hash=item.payload_hash,
            run_id=run.id,
            now=stamp,
            digest=seal(digest_material(stream, number, False, item.payload_hash, item.snapshot)),
        )
        rows.append((*values, found.id))
        change = ChangeKind.RESTORED if found.deleted else ChangeKind.UPDATED
        history.append((found.id, number, change, item))
    bulk.update_by_id(conn, "documents", DOCUMENT_COLUMNS, rows)
    ids = [found.id for found, _ in changed]
    for chunk in _chunks(ids):
        conn.execute(delete(document_lines).where(document_lines.c.document_id.in_(chunk)))
        conn.execute(delete(allocations).where(allocations.c.document_id.in_(chunk)))
    _insert_children(conn, bulk, [(found.id, item) for found, item in changed])
    _insert_revisions(conn, bulk, run, history, stamp)


def _insert_children(conn: Connection, bulk: PageRows, placed: Sequence[tuple[int, EncodedDocument]]) -> None:
    lines = [(doc_id, position, *line) for doc_id, item in placed for position, line in enumerate(item.lines)]
    bulk.insert(conn, "document_lines", LINE_COLUMNS, lines)
    allocs = [
        (doc_id, position, *allocation)
        for doc_id, item in placed
        for position, allocation in enumerate(item.allocations)
    ]
    bulk.insert(conn, "allocations", ALLOCATION_COLUMNS, allocs)


def _insert_revisions(
    conn: Connection,
    bulk: PageRows,
    run: RunRef,
    history: Sequence[tuple[int, int, ChangeKind, EncodedDocument]],
    stamp: Any,
) -> None:
    rows = [
        (
            doc_id,
            number,
            enum_text(change),
            run.id,
            item.payload_hash,
            item.raw_json,
            item.snapshot,
            stamp,
        )
        for doc_id, number, change, item in history
    ]
    bulk.insert(conn, "revisions", REVISION_COLUMNS, rows, utf8=("raw_payload", "snapshot"))


def _repair(
    conn: Connection,
    run: RunRef,
    same: Sequence[tuple[_Existing, EncodedDocument]],
    changed: list[tuple[_Existing, EncodedDocument]],
) -> list[tuple[_Existing, EncodedDocument]]:
    """Of the records whose payload did not change, move those whose row fails its check into `changed`
    (rewritten from the record just read: a payload hash equal to the stored raw payload's) and seal
    those written before digests existed. Returns the records that stay unchanged."""
    checks = {check.id: check for check in check_rows(conn, seal_of(conn), [f.id for f, _ in same])}
    keep: list[tuple[_Existing, EncodedDocument]] = []
    seals: list[dict[str, Any]] = []
    for found, item in same:
        check = checks[found.id]
        if check.state is RowState.FAILED:
            changed.append((found, item))
            log.warning(
                "sync.repaired",
                run_id=run.id,
                kind=item.kind,
                external_id=item.external_id,
                problem=check.problem.message if check.problem else None,
            )
            continue
        if check.state is RowState.UNSEALED:
            seals.append({"_id": found.id, "_digest": check.digest})
        keep.append((found, item))
    if seals:
        conn.execute(
            update(documents).where(documents.c.id == bindparam("_id")).values(digest=bindparam("_digest")),
            seals,
        )
    return keep


def _mark_seen(conn: Connection, run_id: int, ids: Sequence[int]) -> None:
    for chunk in _chunks(ids):
        conn.execute(update(documents).where(documents.c.id.in_(chunk)).values(last_seen_run_id=run_id))


def _apply_deletions(conn: Connection, run: RunRef, deletions: Sequence[Deletion], now: datetime) -> int:
    unique = list({d.external_id: d for d in deletions}.values())
    with _planned_for_now(conn):  # a vendor's deleted-records pass can come first, into an empty ledger
        targets = [
            (item, list(conn.execute(_live_ids_of(run, item.external_id)).scalars())) for item in unique
        ]
    return sum(
        _delete_ids(conn, run, ids, json.loads(item.raw_json), now, digest=item.payload_hash)
        for item, ids in targets
    )


_STATUS_AT = DOCUMENT_COLUMNS.index("status")


def _apply_tombstones(
    conn: Connection, bulk: PageRows, run: RunRef, gone: Sequence[EncodedDocument], now: datetime
) -> tuple[int, list[int]]:
    """Records a vendor lists as deleted (status `deleted`, e.g. Zoho CRM's `/deleted` entries): the
    live document they name is tombstoned, keeping its values (the entry is the deleted revision's raw
    payload); one never seen is kept as a tombstone of what the entry says (number, who, when):
    created from it and deleted in the same transaction, so its history reads as it happened to the
    ledger. One already deleted is unchanged. Returns (tombstoned, ids of the unchanged)."""
    existing = _existing(conn, run.connector, gone)
    unseen = [item for item in gone if (item.kind, item.external_id) not in existing]
    _insert_new(conn, bulk, run, unseen, now)
    created = _existing(conn, run.connector, unseen)
    tombstoned, unchanged = 0, []
    for item in gone:
        found = existing.get((item.kind, item.external_id)) or created[(item.kind, item.external_id)]
        if found.deleted:
            unchanged.append(found.id)
            continue
        raw = json.loads(item.raw_json)
        tombstoned += _delete_ids(conn, run, [found.id], raw, now, digest=item.payload_hash)
    return tombstoned, unchanged


def _live_ids_of(run: RunRef, external_id: str) -> Any:
    return select(documents.c.id).where(
        documents.c.source == run.connector,
        documents.c.stream == run.stream,
        documents.c.external_id == external_id,
        documents.c.deleted.is_(False),
    )


def _delete_ids(
    conn: Connection,
    run: RunRef,
    ids: Sequence[int],
    raw: Mapping[str, Any],
    now: datetime,
    *,
    digest: str | None = None,
) -> int:
    """Tombstone documents by id: deleted flag, revision + 1, a `deleted` revision with the snapshot."""
    digest = digest or payload_hash(raw)
    raw_json = json.dumps(raw, sort_keys=True, ensure_ascii=False, default=str)
    seal = seal_of(conn).document_digest
    for chunk in _chunks(ids):
        rows = conn.execute(select(documents).where(documents.c.id.in_(chunk))).mappings().all()
        docs = list(_assemble(conn, rows))
        snapshots = [snapshot_bytes(doc) for doc in docs]
        conn.execute(
            update(documents)
            .where(documents.c.id == bindparam("_id"))
            .values(
                deleted=True,
                revision=bindparam("_revision"),
                payload_hash=digest,
                updated_at=now,
                last_seen_run_id=run.id,
                digest=bindparam("_digest"),
            ),
            [
                {
                    "_id": row["id"],
                    "_revision": row["revision"] + 1,
                    "_digest": seal(
                        digest_material(row["stream"], row["revision"] + 1, True, digest, snapshot)
                    ),
                }
                for row, snapshot in zip(rows, snapshots, strict=True)
            ],
        )
        conn.execute(
            insert(revisions),
            [
                {
                    "document_id": row["id"],
                    "revision": row["revision"] + 1,
                    "change_kind": ChangeKind.DELETED.value,
                    "sync_run_id": run.id,
                    "payload_hash": digest,
                    "raw_payload": raw_json,
                    "snapshot": snapshot.decode("utf-8"),
                    "recorded_at": now,
                }
                for row, snapshot in zip(rows, snapshots, strict=True)
            ],
        )
    return len(ids)


def _resolve_quarantine(conn: Connection, run: RunRef, external_ids: Sequence[str], now: datetime) -> None:
    for chunk in _key_lists(conn, external_ids):
        conn.execute(
            update(quarantine)
            .where(
                quarantine.c.source == run.connector,
                quarantine.c.stream == run.stream,
                _one_of(conn, quarantine.c.external_id, chunk),
                quarantine.c.resolved_at.is_(None),
            )
            .values(resolved_at=now)
        )


def _upsert(conn: Connection) -> Callable[..., Any]:
    return sqlite.insert if is_sqlite(conn) else postgresql.insert


def _quarantine(conn: Connection, run: RunRef, reject: Rejected, now: datetime) -> None:
    statement = _upsert(conn)(quarantine).values(
        source=run.connector,
        stream=run.stream,
        external_id=reject.external_id,
        reason=reject.reason,
        reason_field=reject.field,
        reason_rule=reject.rule,
        reason_value=reject.value,
        raw_payload=reject.raw_json,
        payload_hash=reject.payload_hash,
        first_seen_at=now,
        last_seen_at=now,
        count=1,
        last_run_id=run.id,
    )
    conn.execute(
        statement.on_conflict_do_update(
            index_elements=["source", "stream", "payload_hash"],
            set_={
                "reason": statement.excluded.reason,
                "reason_field": statement.excluded.reason_field,
                "reason_rule": statement.excluded.reason_rule,
                "reason_value": statement.excluded.reason_value,
                "last_seen_at": now,
                "count": quarantine.c.count + 1,
                "last_run_id": run.id,
                "resolved_at": None,
            },
        )
    )


def _advance_cursor(conn: Connection, run: RunRef, cursor: datetime, now: datetime) -> None:
    """Move the stream's cursor forward to `cursor` (never backward)."""
    statement = _upsert(conn)(sync_state).values(
        connector=run.connector, stream=run.stream, cursor=cursor, updated_at=now
    )
    current = sync_state.c.cursor
    conn.execute(
        statement.on_conflict_do_update(
            index_elements=["connector", "stream"],
            set_={
                "cursor": func.coalesce(
                    func.max(current, statement.excluded.cursor), statement.excluded.cursor
                )
                if is_sqlite(conn)
                else func.greatest(current, statement.excluded.cursor),
                "updated_at": now,
            },
        )
    )


def _add_counts(conn: Connection, run_id: int, fetched: int, counts: PageCounts) -> None:
    c = sync_runs.c
    conn.execute(
        update(sync_runs)
        .where(c.id == run_id)
        .values(
            fetched=c.fetched + fetched,
            created=c.created + counts.created,
            updated=c.updated + counts.updated,
            unchanged=c.unchanged + counts.unchanged,
            deleted=c.deleted + counts.deleted,
            quarantined=c.quarantined + counts.quarantined,
        )
    )


# ----------------------------------------------------------------------------- read helpers


def _snapshot(engine: Engine) -> Any:
    """A read-only connection that sees one consistent state for the whole iteration."""
    if is_sqlite(engine):
        return engine.connect()  # a deferred BEGIN: the WAL snapshot is fixed at the first read
    return engine.connect().execution_options(isolation_level="REPEATABLE READ")


def _assemble(conn: Connection, rows: Sequence[Mapping[Any, Any]]) -> Iterator[CanonicalDocument]:
    ids = [row["id"] for row in rows]
    lines = _children(conn, document_lines, ids)
    allocs = _children(conn, allocations, ids)
    for row in rows:
        yield document_from_rows(row, lines.get(row["id"], ()), allocs.get(row["id"], ()))


def _children(conn: Connection, table: Any, ids: Sequence[int]) -> dict[int, list[Mapping[Any, Any]]]:
    grouped: dict[int, list[Mapping[Any, Any]]] = defaultdict(list)
    for chunk in _chunks(ids):
        query = (
            select(table)
            .where(table.c.document_id.in_(chunk))
            .order_by(table.c.document_id, table.c.position)
        )
        for row in conn.execute(query).mappings():
            grouped[row["document_id"]].append(row)
    return grouped


def _key_match(key: DocumentKey) -> tuple[Any, ...]:
    return (
        documents.c.source == key.source,
        documents.c.kind == key.kind.value,
        documents.c.external_id == key.external_id,
    )


def _chunks(values: Sequence[Any]) -> Iterator[Sequence[Any]]:
    for start in range(0, len(values), _CHUNK):
        yield values[start : start + _CHUNK]


__all__ = [
    "Deletion",
    "Incoming",
    "PageCounts",
    "PageWrite",
    "Rejected",
    "Revision",
    "RunRef",
    "SqlLedgerRepository",
    "page_records",
]
