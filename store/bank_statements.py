"""Loading one bank statement file: its lines and its registry row in ONE transaction (issue 21, ADR 0036).

The lines go through the ledger's own page write (`SqlLedgerRepository.write_page`: upserts, revisions,
digests, the run's counters), run inside the transaction that also inserts the file's registry row, so
a file is either loaded whole and recorded, or not at all. A line the ledger already holds with the same
payload (an overlapping statement, a file dropped again) is `unchanged`: never a second document.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Connection, Engine, func, insert, select

from store.bank_tables import bank_statement_files
from store.db import write_transaction
from store.repository import PageCounts, PageWrite, RunRef, SqlLedgerRepository

LOADED = "loaded"
REJECTED = "rejected"
DUPLICATE = "duplicate"


@dataclass(frozen=True)
class StatementFile:
    """One registry row: a file handed to a connector and what became of it."""

    source: str
    sha256: str
    filename: str
    outcome: str
    recorded_at: datetime
    format: str | None = None
    lines: int = 0
    created: int = 0
    unchanged: int = 0
    reason: str | None = None
    """Why a file was rejected, in English (where: what)."""
    reason_code: str | None = None
    """The same as data: catalogue `bank.reason.<code>` ..."""
    reason_params: str | None = None
    """... filled with these values (a JSON object of strings, `where` among them)."""
    statements: str | None = None
    sync_run_id: int | None = None


class SqlBankStatementFiles:
    """The file registry and the one-transaction load."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def loaded(self, source: str, sha256: str) -> StatementFile | None:
        """The row that loaded this very file into `source`, if one did."""
        query = (
            select(bank_statement_files)
            .where(
                bank_statement_files.c.source == source,
                bank_statement_files.c.sha256 == sha256,
                bank_statement_files.c.outcome == LOADED,
            )
            .order_by(bank_statement_files.c.id)
            .limit(1)
        )
        with self._engine.connect() as conn:
            row = conn.execute(query).mappings().first()
        return None if row is None else _file(row)

    def record(self, file: StatementFile) -> None:
        """Record a file that loaded nothing (rejected, or a duplicate of a loaded one)."""
        with write_transaction(self._engine) as conn:
            conn.execute(insert(bank_statement_files).values(_values(file)))

    def load(self, run: RunRef, page: PageWrite, file: StatementFile) -> PageCounts:
        """Write the file's lines (one page of `run`) and its `loaded` row in one transaction."""
        with write_transaction(self._engine) as conn:
            counts = SqlLedgerRepository(cast(Engine, _Joined(conn))).write_page(run, page)
            done = StatementFile(
                **{**asdict(file), "created": counts.created, "unchanged": counts.unchanged + counts.updated}
            )
            conn.execute(insert(bank_statement_files).values(_values(done)))
        return counts

    def recent(self, source: str | None = None, limit: int = 20) -> list[StatementFile]:
        """The latest rows, newest first (all connectors, or one)."""
        query = select(bank_statement_files).order_by(bank_statement_files.c.id.desc()).limit(limit)
        if source is not None:
            query = query.where(bank_statement_files.c.source == source)
        with self._engine.connect() as conn:
            return [_file(row) for row in conn.execute(query).mappings()]

    def outcomes(self, run_id: int) -> dict[str, int]:
        """How many files one sync run handled, by outcome (the rows that name the run)."""
        query = (
            select(bank_statement_files.c.outcome, func.count())
            .where(bank_statement_files.c.sync_run_id == run_id)
            .group_by(bank_statement_files.c.outcome)
        )
        with self._engine.connect() as conn:
            return {str(outcome): int(count) for outcome, count in conn.execute(query)}


class _Joined:
    """Stands in for the Engine inside `load`: the ledger's page write opens its transaction with
    `write_transaction(engine)` (`engine.execution_options(...).begin()`) and asks `engine.dialect`;
    here both answer with the transaction `load` already holds, so the page and the registry row commit
    (or roll back) together. tests/store/test_bank_statements.py proves the rollback reaches the lines."""

    def __init__(self, conn: Connection) -> None:
        self._conn = conn
        self.dialect = conn.dialect
        self.engine = conn.engine

    def execution_options(self, **_options: Any) -> _Joined:
        return self

    def begin(self) -> AbstractContextManager[Connection]:
        return self._held()

    @contextmanager
    def _held(self) -> Iterator[Connection]:
        yield self._conn


def _values(file: StatementFile) -> dict[str, Any]:
    return asdict(file)


def _file(row: Any) -> StatementFile:
    return StatementFile(**{key: row[key] for key in StatementFile.__dataclass_fields__})
