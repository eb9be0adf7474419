"""Helpers for the report end-to-end tests: a config on the test database, documents stored the way a
sync stores them, and the CLI run in-process with its output captured."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine

from store.canonical import CanonicalDocument, payload_hash
from store.repository import Deletion, Incoming, SqlLedgerRepository
from store.runs import SqlSyncLog
from sync.cli import main

NOW = datetime(2026, 11, 20, 2, 0, tzinfo=UTC)


def crm_vs_books(*settings: str) -> str:
    """Config YAML with one rule, `crm-vs-books`: CRM invoices against Books invoices by number;
    `settings` are more of the rule's keys, a `key: value` line each."""
    return (
        "reconcile:\n"
        "  rules:\n"
        "    - name: crm-vs-books\n"
        "      left:  {source: zoho-crm, kind: invoice}\n"
        "      right: {source: zoho-books, kind: invoice}\n"
        "      keys: [number]\n"
    ) + "".join(f"      {line}\n" for line in settings)


def write_config(
    tmp_path: Path, database_url: str, *, timezone: str = "Asia/Shanghai", extra: str = ""
) -> Path:
    """A config on the test database; `extra`: YAML appended (rules, connectors, locale...)."""
    path = tmp_path / "ledgerbridge.yaml"
    # The key file beside the config (a PostgreSQL URL has no file to put it beside: the default is the
    # working directory, where a test must write nothing).
    path.write_text(
        f"database_url: {database_url}\nbase_currency: CNY\ntimezone: {timezone}\n"
        f"secret_key_file: {tmp_path / 'ledgerbridge.key'}\n{extra}",
        encoding="utf-8",
    )
    return path


def store_documents(engine: Engine, docs: Iterable[CanonicalDocument], *, now: datetime = NOW) -> None:
    """Store documents as one sync page per source (a revision each), the way the sync engine does."""
    by_source: dict[str, list[CanonicalDocument]] = {}
    for doc in docs:
        by_source.setdefault(doc.source, []).append(doc)
    log, ledger = SqlSyncLog(engine), SqlLedgerRepository(engine)
    for source, page in by_source.items():
        run = log.start(source, "documents", mode="incremental", since=None, now=now)
        incoming = [
            Incoming(
                document=doc,
                payload_hash=payload_hash(doc.to_json_dict()),
                raw_json=doc.model_dump_json().encode(),
            )
            for doc in page
        ]
        ledger.apply_page(run, documents=incoming, fetched=len(incoming), now=now)
        gone = [  # tombstones arrive as deletions, as from a vendor's deleted-records endpoint
            Deletion(
                external_id=doc.external_id,
                raw_json="{}",
                payload_hash=payload_hash({"deleted": doc.external_id}),
            )
            for doc in page
            if doc.deleted
        ]
        if gone:
            ledger.apply_page(run, deletions=gone, now=now)
        log.finish(run, status="ok", now=now)


@dataclass
class Ran:
    status: int
    out: str
    err: str


def run_cli(capsys: pytest.CaptureFixture[str], config: Path, args: Sequence[str]) -> Ran:
    status = main(["--config", str(config), "--log-level", "error", *args])
    captured = capsys.readouterr()
    return Ran(status, captured.out, captured.err)
