"""The bank statement file registry: every statement file a bank_statement connector was handed, by its
SHA-256, with what became of it (issue 21, ADR 0036). Append-only: a file handed again gets a row of its
own (`duplicate`), so the registry is also the history of what was dropped when."""

from __future__ import annotations

from sqlalchemy import Column, Index, Integer, String, Table, Text

from store.schema import UtcDateTime, metadata
from store.tables import ID

bank_statement_files = Table(
    "bank_statement_files",
    metadata,
    Column("id", ID, primary_key=True, autoincrement=True),
    Column("source", String(100), nullable=False, comment="the bank_statement connector's name"),
    Column("sha256", String(64), nullable=False, comment="of the file's bytes"),
    Column("filename", Text, nullable=False),
    Column("format", String(12), comment="camt053 | mt940 | ofx | csv | xlsx; NULL = not recognized"),
    Column("outcome", String(12), nullable=False, comment="loaded | rejected | duplicate"),
    Column("lines", Integer, nullable=False, default=0, comment="statement lines in the file"),
    Column("created", Integer, nullable=False, default=0, comment="lines new to the ledger"),
    Column("unchanged", Integer, nullable=False, default=0, comment="lines the ledger already held"),
    Column("reason", Text, comment="why a file was rejected (where, what)"),
    Column(
        "reason_code", String(40), comment="the reason's code: catalogue bank.reason.<code> (migration 0015)"
    ),
    Column("reason_params", Text, comment="the reason's where and values, a JSON object of strings"),
    Column("statements", Text, comment="the statement ids of the file, comma-separated"),
    Column("sync_run_id", ID, comment="the sync_runs row of a loaded file's lines"),
    Column("recorded_at", UtcDateTime(), nullable=False),
    Index("ix_bank_statement_files_sha", "source", "sha256"),
)
