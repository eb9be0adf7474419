"""Checking document rows against their keyed digests (ADR 0020).

A documents row (with its lines and allocations) is a projection of the canonical snapshot of its
current revision; the row's `digest` is an HMAC under the installation's seal key over that snapshot and
the row's bookkeeping (store.codec.digest_material). A row passes when the digest recomputed from the
stored snapshot matches AND the row's values are exactly those the snapshot encodes to. A direct
`UPDATE documents SET total = ...` fails the second test; rewriting the snapshot too fails the first
(the key is not in the database); rewriting the digest needs the key.
"""

from __future__ import annotations

import hmac
from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from sqlalchemy import Connection, Engine

from store.codec import (
    ALLOCATION_COLUMNS,
    HEAD_COLUMNS,
    LINE_COLUMNS,
    PageRecord,
    RowEncoder,
    digest_material,
)
from store.db import is_sqlite
from store.integrity import Seal, seal_of

_CHUNK = 500


class RowState(StrEnum):
    OK = "ok"
    FAILED = "failed"
    """The digest or the values do not match: tampered (or written by something that is not ledgerbridge)."""
    UNSEALED = "unsealed"
    """No digest yet (written before revision 0006), and the values match the snapshot."""


@dataclass(frozen=True)
class RowCheck:
    id: int
    state: RowState
    problem: DocumentProblem | None = None
    digest: str | None = None
    """The digest that seals the row as it is, when its values match its revision (else None)."""


@dataclass(frozen=True)
class DocumentProblem:
    id: int
    source: str
    kind: str
    external_id: str
    message: str

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "source": self.source,
            "kind": self.kind,
            "external_id": self.external_id,
            "message": self.message,
        }


@dataclass(frozen=True)
class DocumentVerdict:
    rows: int
    problems: list[DocumentProblem] = field(default_factory=list)
    unsealed: int = 0

    @property
    def ok(self) -> bool:
        return not self.problems


def verify_documents(engine: Engine) -> DocumentVerdict:
    """Check every document row; name each one whose digest or values fail."""
    seal = seal_of(engine)
    rows, unsealed, problems = 0, 0, []
    with engine.connect() as conn:
        after = 0
        while True:
            ids = [
                int(value)
                for value in conn.exec_driver_sql(
                    f"SELECT id FROM documents WHERE id > {_mark(conn)} ORDER BY id LIMIT {_CHUNK}",  # noqa: S608 - fixed text
                    (after,),
                ).scalars()
            ]
            if not ids:
                break
            after = ids[-1]
            for check in check_rows(conn, seal, ids):
                rows += 1
                unsealed += check.state is RowState.UNSEALED
                if check.problem is not None:
                    problems.append(check.problem)
    return DocumentVerdict(rows, problems, unsealed)


def reseal_documents(conn: Connection, old: Seal, new: Seal) -> tuple[int, int]:
    """Re-seal every document row that verifies under `old` with `new` (the secrets key is being
    rotated), in the caller's transaction. Rows that fail under `old` keep their digest, so they fail
    under `new` too and stay reported. Returns (re-sealed, left failing)."""
    done, failing, after = 0, 0, 0
    mark = _mark(conn)
    while True:
        ids = [
            int(value)
            for value in conn.exec_driver_sql(
                f"SELECT id FROM documents WHERE id > {mark} ORDER BY id LIMIT {_CHUNK}",  # noqa: S608 - fixed text
                (after,),
            ).scalars()
        ]
        if not ids:
            return done, failing
        after = ids[-1]
        checks = list(check_rows(conn, old, ids))
        fresh = [c.id for c in checks if c.state is not RowState.FAILED]
        failing += len(checks) - len(fresh)
        update = f"UPDATE documents SET digest = {mark} WHERE id = {mark}"  # noqa: S608 - fixed text
        rows = [(check.digest, check.id) for check in check_rows(conn, new, fresh) if check.digest]
        if rows:
            conn.exec_driver_sql(update, rows)
        done += len(rows)


def check_rows(conn: Connection, seal: Seal, ids: Sequence[int]) -> Iterator[RowCheck]:
    """The state of each document row in `ids` (any order), with a problem naming what failed."""
    encoder = RowEncoder(is_sqlite(conn))
    mark = _mark(conn)
    head = ", ".join(f"d.{name}" for name in HEAD_COLUMNS)
    for start in range(0, len(ids), _CHUNK):
        chunk = list(ids[start : start + _CHUNK])
        marks = ", ".join([mark] * len(chunk))
        query = (
            f"SELECT d.id, d.deleted, d.revision, d.payload_hash, d.digest, r.snapshot, {head} "  # noqa: S608 - fixed names
            f"FROM documents d LEFT JOIN revisions r ON r.document_id = d.id AND r.revision = d.revision "
            f"WHERE d.id IN ({marks})"
        )
        lines = _children(conn, "document_lines", LINE_COLUMNS, chunk, marks)
        allocations = _children(conn, "allocations", ALLOCATION_COLUMNS, chunk, marks)
        for row in conn.exec_driver_sql(query, tuple(chunk)):
            doc_id, deleted, revision, payload_hash, digest, snapshot = row[:6]
            values = tuple(row[6:])
            stream = values[3]
            who = (int(doc_id), str(values[0]), str(values[1]), str(values[2]))
            if snapshot is None:
                yield RowCheck(
                    who[0],
                    RowState.FAILED,
                    DocumentProblem(*who, f"its revision {revision} is missing from the history"),
                )
                continue
            snapshot_bytes = snapshot.encode("utf-8")
            expected = encoder.encode(PageRecord(payload_hash, b"", snapshot_bytes), stream)
            differs = [
                name
                for name, have, want in zip(HEAD_COLUMNS, values, expected.head, strict=True)
                if have != want
            ]
            if tuple(lines.get(doc_id, ())) != expected.lines:
                differs.append("lines")
            if tuple(allocations.get(doc_id, ())) != expected.allocations:
                differs.append("allocations")
            if differs:
                yield RowCheck(
                    who[0],
                    RowState.FAILED,
                    DocumentProblem(
                        *who,
                        f"its {', '.join(differs)} differ from revision {revision} "
                        f"(changed outside ledgerbridge)",
                    ),
                )
                continue
            sealed = seal.document_digest(
                digest_material(stream, int(revision), bool(deleted), payload_hash, snapshot_bytes)
            )
            if digest is None:
                yield RowCheck(who[0], RowState.UNSEALED, digest=sealed)
                continue
            if not hmac.compare_digest(sealed, digest):
                yield RowCheck(
                    who[0],
                    RowState.FAILED,
                    digest=sealed,
                    problem=DocumentProblem(
                        *who,
                        f"its digest fails: revision {revision}'s snapshot, its revision number, "
                        f"deleted flag or payload hash was changed outside ledgerbridge",
                    ),
                )
                continue
            yield RowCheck(who[0], RowState.OK, digest=sealed)


def _children(
    conn: Connection, table: str, columns: Sequence[str], ids: Sequence[int], marks: str
) -> dict[int, list[tuple[Any, ...]]]:
    values = ", ".join(columns[2:])
    query = (
        f"SELECT document_id, {values} FROM {table} WHERE document_id IN ({marks}) "  # noqa: S608 - fixed names
        f"ORDER BY document_id, position"
    )
    grouped: dict[int, list[tuple[Any, ...]]] = defaultdict(list)
    for row in conn.exec_driver_sql(query, tuple(ids)):
        grouped[row[0]].append(tuple(row[1:]))
    return grouped


def _mark(conn: Connection) -> str:
    return "?" if is_sqlite(conn) else "%s"


__all__ = ["DocumentProblem", "DocumentVerdict", "RowCheck", "RowState", "check_rows", "verify_documents"]
