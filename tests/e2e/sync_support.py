"""Helpers for the sync end-to-end tests: a jsonl config on a test database, the CLI in- and out-of-process."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any, Protocol

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import Engine

from connectors.base import Connector, TokenStore
from store.canonical import CanonicalDocument, DocumentKind
from store.repository import SqlLedgerRepository
from store.secrets import KEY_ENV, SecretBox, SqlTokenStore, create_key_file
from sync.bootstrap import ConnectorTokenStore
from sync.cli import main
from sync.engine import SyncEngine, SyncRunResult
from tests.conftest import FixedClock
from tests.fakes import record


def write_config(
    directory: Path, database_url: str, *, page_size: int = 500, streams: Sequence[str] = ("invoices",)
) -> Path:
    config = directory / "ledgerbridge.yaml"
    config.write_text(
        f"database_url: {database_url}\n"
        "base_currency: CNY\n"
        "timezone: Asia/Shanghai\n"
        f"secret_key_file: {directory / 'ledgerbridge.key'}\n"
        "connectors:\n"
        "  - name: shop\n"
        "    kind: jsonl\n"
        f"    path: {directory / 'data' / '{stream}.jsonl'}\n"
        f"    page_size: {page_size}\n"
        f"    streams: [{', '.join(streams)}]\n",
        encoding="utf-8",
    )
    (directory / "data").mkdir(exist_ok=True)
    create_key_file(directory / "ledgerbridge.key")  # as `ledgerbridge init` does: writes are sealed with it
    return config


def init_directory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty working directory for `ledgerbridge init`, with no database URL or secret key in the
    environment: the config path init writes."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("LEDGERBRIDGE_DATABASE_URL", raising=False)
    monkeypatch.delenv("LEDGERBRIDGE_SECRET_KEY", raising=False)
    return tmp_path / "ledgerbridge.yaml"


def write_records(directory: Path, records: Iterable[dict[str, Any]], stream: str = "invoices") -> Path:
    path = directory / "data" / f"{stream}.jsonl"
    with path.open("w", encoding="utf-8") as handle:
        for item in records:
            handle.write(json.dumps(item, ensure_ascii=False) + "\n")
    return path


def invoices(count: int) -> list[dict[str, Any]]:
    return [record(n) for n in range(1, count + 1)]


@dataclass
class Outcome:
    code: int
    out: str
    err: str

    def json(self) -> Any:
        return json.loads(self.out)


def cli(capsys: pytest.CaptureFixture[str], config: Path, *args: str) -> Outcome:
    """Run `ledgerbridge --config CONFIG ARGS...` in this process."""
    capsys.readouterr()
    code = main(["--config", str(config), *args])
    captured = capsys.readouterr()
    return Outcome(code, captured.out, captured.err)


@contextmanager
def reaped() -> Iterator[list[subprocess.Popen[str]]]:
    """Processes appended to the yielded list are killed and reaped at the end, whatever happens."""
    processes: list[subprocess.Popen[str]] = []
    try:
        yield processes
    finally:
        for process in processes:
            if process.poll() is None:
                process.kill()
            process.communicate()


def spawn(config: Path, *args: str, env: Mapping[str, str] | None = None) -> subprocess.Popen[str]:
    """`ledgerbridge --config CONFIG ARGS...` as a separate process (stderr: JSON log lines); `env` adds
    to this process's environment."""
    env = {**os.environ, "PYTHONUNBUFFERED": "1", **(env or {})}
    return subprocess.Popen(
        [sys.executable, "-m", "sync.cli", "--config", str(config), *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        cwd=config.parent,
    )


def read_json_document(process: subprocess.Popen[str]) -> Any:
    """The pretty-printed JSON document a spawned command (`sandbox serve --json`) writes first: its
    lines up to the closing brace, read while the process keeps running."""
    assert process.stdout is not None
    lines = []
    for line in process.stdout:
        lines.append(line)
        if line == "}\n":
            break
    return json.loads("".join(lines))


def wait_for_log(process: subprocess.Popen[str], event: str) -> bool:
    """Read the process's stderr until a log line with this event appears (False if it exited first)."""
    assert process.stderr is not None
    return any(f'"event": "{event}"' in line for line in process.stderr)


OVERLAP = timedelta(minutes=5)
"""The sandbox sync tests' incremental overlap."""


def tokens(engine: Engine, clock: FixedClock, tmp_path: Path) -> TokenStore:
    """A connector's token store as `sync` builds it: encrypted rows in the database, a fresh key."""
    box = SecretBox(tmp_path / "key", {KEY_ENV: Fernet.generate_key().decode()})
    return ConnectorTokenStore(SqlTokenStore(engine, box, clock))


def sync(engine: Engine, clock: FixedClock, connector: Connector, **options: Any) -> dict[str, SyncRunResult]:
    """One run of every stream of `connector` through the real engine; each must succeed."""
    results = SyncEngine(engine, clock).run_connector(connector, overlap=OVERLAP, **options)
    assert [(r.stream, r.error) for r in results if not r.ok] == []
    return {r.stream: r for r in results}


class SandboxTruth(Protocol):
    """What a sandbox dataset knows of itself (connectors/sandbox/*/dataset.py)."""

    def truth(self, *, source: str) -> list[CanonicalDocument]: ...

    def deleted_ids(self) -> set[tuple[DocumentKind, str]]: ...


def assert_ledger_is_the_truth(engine: Engine, dataset: SandboxTruth, source: str) -> None:
    """The ledger's live documents of `source` are exactly the sandbox's, and its deletions the same."""
    ledger = SqlLedgerRepository(engine)
    live = sorted(
        (
            d.model_copy(update={"revision": 0})
            for d in ledger.iter_documents(source=source, include_deleted=False)
        ),
        key=lambda d: (d.kind.value, d.external_id),
    )
    truth = dataset.truth(source=source)
    assert [d.key for d in live] == [d.key for d in truth]
    assert [(a, b) for a, b in zip(live, truth, strict=True) if a != b][:1] == []
    deleted = {(d.kind, d.external_id) for d in ledger.iter_documents(source=source) if d.deleted}
    assert deleted == dataset.deleted_ids()


def assert_synced_the_change(results: Mapping[str, SyncRunResult], changed: Mapping[str, int]) -> None:
    """An incremental run after `change_the_truth` (a sandbox test's edits, deletes and new invoices,
    and one deleted payment) counted exactly those changes."""
    invoices = results["invoices"]
    assert (invoices.created, invoices.updated, invoices.deleted) == (
        changed["created"], changed["edited"], changed["deleted"],
    )  # fmt: skip
    assert results["payments"].deleted == 1
