"""Loading bank statement files into a bank_statement connector (issue 21, ADR 0036).

Each file on its own: read, hashed, parsed (connectors/bank: every format to checked statements, or a
rejection naming the line or element), then its lines and its registry row committed in one transaction
(store/bank_statements.py). A file already loaded (same SHA-256) is recorded as a duplicate and loads
nothing; a rejected file loads nothing at all. Files taken from the connector's inbox then move: loaded
and duplicate ones to `archive/`, rejected ones to `rejected/` with a `.reason.txt` beside them. A crash
between the commit and the move is harmless: the next pass finds the file's hash already loaded.
All of one call runs as one sync run of the connector's `transactions` stream, under the connector's
lock, so `sync status` shows it like any run.

`import statement` (import_files) and `sync run` / the daemon (sync_inbox: the inbox listed under the
lock, the run's result a StatementRun that counts the files loaded, duplicated and rejected) go through
the same code; a file another process took while this one waited is skipped, never read twice.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, fields, replace
from datetime import datetime, timedelta
from pathlib import Path

import structlog

from config.kinds import BankStatementSettings
from connectors.bank.documents import read_statements, recognize, to_documents
from connectors.bank.statement import StatementError
from reconcile.report.i18n import Catalogue
from store.bank_statements import DUPLICATE, LOADED, REJECTED, SqlBankStatementFiles, StatementFile
from store.canonical import CanonicalDocument, canonical_json_bytes, payload_hash
from store.db import Engine
from store.locks import connector_lock
from store.repository import Incoming, PageWrite, RunRef, page_records
from store.runs import FAILED, INTERRUPTED, OK, RunRecord, SqlSyncLog
from sync.engine import SyncRunResult

log = structlog.get_logger(__name__)

STREAM = "transactions"
PROVENANCE = frozenset({"file_sha256", "statement_id"})
"""References that say where a line was read, not what it says: left out of its payload hash, so the
same line in an overlapping statement is the same record (the first file that brought it stays)."""
_PARTIAL = (".part", ".tmp", ".crdownload", ".partial", ".reason.txt")
SETTLE = timedelta(seconds=30)
"""An inbox file untouched for less than this may still be being copied in: it waits for the next pass."""
OUTCOMES = (LOADED, DUPLICATE, REJECTED)


@dataclass(frozen=True)
class FileResult:
    """What became of one file (its registry row) and where it went, as `import statement` prints it."""

    path: str
    file: StatementFile
    moved_to: str | None = None

    def to_json(self) -> dict[str, object]:
        shown = ("sha256", "outcome", "format", "lines", "created", "unchanged", "reason", "reason_code")
        return {
            "path": self.path,
            **{key: getattr(self.file, key) for key in shown},
            "reason_params": reason_params(self.file),
            "moved_to": self.moved_to,
        }

    def reason(self, catalogue: Catalogue) -> str:
        return reason_text(catalogue, self.file)


def reason_params(file: StatementFile) -> dict[str, str]:
    return dict(json.loads(file.reason_params)) if file.reason_params else {}


def reason_text(catalogue: Catalogue, file: StatementFile) -> str:
    """A file's reason (rejected, or loaded before) in the catalogue's language: `where: sentence`."""
    if file.reason_code is None:
        return file.reason or ""
    return _said(catalogue, file.reason_code, reason_params(file))


def bank_reason(catalogue: Catalogue, entry: Mapping[str, object]) -> str:
    """A `recent_files` entry's reason in the catalogue's language."""
    code, params = entry.get("reason_code"), entry.get("reason_params")
    if not isinstance(code, str) or not isinstance(params, dict):
        return str(entry.get("reason") or "")
    return _said(catalogue, code, params)


def _said(catalogue: Catalogue, code: str, params: Mapping[str, str]) -> str:
    values = dict(params)
    where = values.pop("where", "")
    sentence = catalogue.text(f"bank.reason.{code}", **values)
    return f"{where}: {sentence}" if where else sentence


def _with_reason(file: StatementFile, code: str, where: str, params: Mapping[str, str]) -> StatementFile:
    """`file` with its three reason columns: the English sentence, the code, the values (and `where`)."""
    values = {"where": where, **params} if where else dict(params)
    return replace(
        file,
        reason=_said(Catalogue("en"), code, values),
        reason_code=code,
        reason_params=json.dumps(values, ensure_ascii=False, sort_keys=True),
    )


def inbox_files(settings: BankStatementSettings, now: datetime, settle: timedelta) -> list[Path]:
    """Files waiting in the inbox, oldest first: not hidden, not partial, untouched for `settle` (a file
    still being copied in would read as truncated)."""
    if settings.inbox is None:
        return []
    inbox = Path(settings.inbox)
    found = []
    for path in inbox.iterdir() if inbox.is_dir() else ():
        if not path.is_file() or path.name.startswith(".") or path.name.lower().endswith(_PARTIAL):
            continue
        modified = datetime.fromtimestamp(path.stat().st_mtime, tz=now.tzinfo)
        if now - modified >= settle:
            found.append(path)
    return sorted(found, key=lambda p: (p.stat().st_mtime, p.name))


def import_files(
    engine: Engine,
    settings: BankStatementSettings,
    paths: Sequence[Path],
    *,
    clock: Callable[[], datetime],
    holder: str = "import statement",
) -> list[FileResult]:
    """Load `paths` into the connector, one transaction per file, under the connector's lock. Raises
    store.locks.LockHeld when a run holds the connector; a database failure stops the call (the file
    being written is rolled back whole) and fails the run."""
    return list(_import(engine, settings, lambda: paths, clock=clock, holder=holder).files)


@dataclass(frozen=True)
class StatementRun(SyncRunResult):
    """A `sync run` (or daemon tick) of a bank_statement connector: its `transactions` run, which loaded
    the files waiting in the inbox, and what became of each file. `ok` only when the run completed AND
    no file was rejected (a rejected file is never a silent success); `status` is the run row's."""

    files: tuple[FileResult, ...] = ()

    def counted(self, outcome: str) -> int:
        return sum(f.file.outcome == outcome for f in self.files)

    @property
    def rejected(self) -> tuple[FileResult, ...]:
        return tuple(f for f in self.files if f.file.outcome == REJECTED)

    @property
    def ok(self) -> bool:
        return self.status == OK and not self.rejected

    def counts(self) -> dict[str, int]:
        """{loaded, duplicate, rejected}: files of this run by outcome."""
        return {outcome: self.counted(outcome) for outcome in OUTCOMES}

    def to_json(self) -> dict[str, object]:
        return {
            **super().to_json(),
            "statement_files": self.counts(),
            "files": [f.to_json() for f in self.files],
        }


def sync_inbox(
    engine: Engine,
    settings: BankStatementSettings,
    *,
    clock: Callable[[], datetime],
    holder: str,
    wait_seconds: float = 0.0,
    settle: timedelta = SETTLE,
    guard: Callable[[], None] | None = None,
) -> StatementRun:
    """What `sync run` and the daemon do with a bank_statement connector: take its lock (LockHeld if
    another run or `import statement` holds it), list the settled files of its inbox while holding it,
    and load them exactly as `import statement` does. One run row even when the inbox is empty (the
    stream's lag stays current). `guard` is called between files (the daemon's shutdown)."""
    return _import(
        engine,
        settings,
        lambda: inbox_files(settings, clock(), settle),
        clock=clock,
        holder=holder,
        wait_seconds=wait_seconds,
        guard=guard,
    )


def _import(
    engine: Engine,
    settings: BankStatementSettings,
    listed: Callable[[], Sequence[Path]],
    *,
    clock: Callable[[], datetime],
    holder: str,
    wait_seconds: float = 0.0,
    guard: Callable[[], None] | None = None,
) -> StatementRun:
    files = SqlBankStatementFiles(engine)
    runs = SqlSyncLog(engine)
    results: list[FileResult] = []
    with connector_lock(engine, settings.name, holder=holder, wait_seconds=wait_seconds) as lease:
        run = runs.start(settings.name, STREAM, mode="import", since=None, now=clock())
        try:
            for path in listed():
                lease.check()
                if guard is not None:
                    guard()
                if (
                    not path.is_file()
                ):  # taken by an import that held the lock while this one listed the inbox
                    log.info("bank.file_gone", connector=settings.name, file=str(path))
                    continue
                results.append(_one(files, run, settings, path, clock))
        except BaseException as exc:
            stopped = isinstance(exc, KeyboardInterrupt | SystemExit)  # Ctrl-C, the daemon's shutdown
            status = INTERRUPTED if stopped else FAILED
            runs.finish(run, status=status, now=clock(), error=f"{type(exc).__name__}: {exc}")
            raise
        record = runs.finish(run, status=OK, now=clock(), cursor=clock())  # see connectors/bank/connector.py
    return _statement_run(record, results)


def _statement_run(record: RunRecord, files: Sequence[FileResult]) -> StatementRun:
    """The run's result; its `error` (not the run row's) names the rejected files in English, so a shell
    that shows only a run's status and error (the web app's sync job) says why it is not ok."""
    run = StatementRun(**{f.name: getattr(record, f.name) for f in fields(RunRecord)}, files=tuple(files))
    if record.status != OK or not run.rejected:
        return run
    named = "; ".join(f"{Path(f.path).name} ({f.file.reason})" for f in run.rejected)
    return replace(
        run, error=f"{len(run.rejected)} statement file(s) rejected, nothing of them loaded: {named}"
    )


def _one(
    files: SqlBankStatementFiles,
    run: RunRef,
    settings: BankStatementSettings,
    path: Path,
    clock: Callable[[], datetime],
) -> FileResult:
    data = path.read_bytes()
    sha256 = hashlib.sha256(data).hexdigest()
    base = StatementFile(
        source=settings.name,
        sha256=sha256,
        filename=path.name,
        outcome=LOADED,
        recorded_at=clock(),
        sync_run_id=run.id,
    )
    earlier = files.loaded(settings.name, sha256)
    if earlier is not None:
        when = earlier.recorded_at.strftime("%Y-%m-%d %H:%M")
        duplicate = replace(base, outcome=DUPLICATE, format=earlier.format)
        loaded_before = {"loaded_at": when, "filename": earlier.filename}
        record = _with_reason(duplicate, "already_loaded", "", loaded_before)
        files.record(record)
        return _result(path, record, _move(settings, path, "archive", sha256))
    try:
        kind = recognize(data, path.name)
        statements = read_statements(data, path.name, settings)
        documents = to_documents(statements, settings.name, sha256)
    except StatementError as exc:
        rejected = replace(base, outcome=REJECTED, format=_format_or_none(data, path.name))
        record = _with_reason(rejected, exc.code, exc.where, exc.params)
        files.record(record)
        moved = _move(settings, path, "rejected", sha256)
        if moved is not None:
            said = [reason_text(Catalogue(lang), record) for lang in ("en", "zh")]
            Path(f"{moved}.reason.txt").write_text("".join(f"{line}\n" for line in said), encoding="utf-8")
        log.warning("bank.file_rejected", connector=settings.name, file=path.name, reason=str(exc))
        return _result(path, record, moved)
    ids = ",".join(s.statement_id for s in statements if s.statement_id) or None
    page = PageWrite(
        documents=page_records([_incoming(d) for d in documents]), now=clock(), fetched=len(documents)
    )
    record = replace(base, format=kind, lines=len(documents), statements=ids)
    counts = files.load(run, page, record)
    done = replace(record, created=counts.created, unchanged=counts.unchanged + counts.updated)
    log.info(
        "bank.file_loaded",
        connector=settings.name,
        file=path.name,
        lines=len(documents),
        created=counts.created,
    )
    return _result(path, done, _move(settings, path, "archive", sha256))


def _incoming(document: CanonicalDocument) -> Incoming:
    """The line as a ledger record: its payload is what the bank said (no provenance), so the same line
    read again from any file hashes the same and changes nothing."""
    raw = document.model_dump(mode="json", exclude={"revision"})
    raw["references"] = {k: v for k, v in raw["references"].items() if k not in PROVENANCE}
    return Incoming(document, payload_hash(raw), canonical_json_bytes(raw))


def _format_or_none(data: bytes, name: str) -> str | None:
    try:
        return recognize(data, name)
    except StatementError:
        return None


def _result(path: Path, record: StatementFile, moved: Path | None) -> FileResult:
    return FileResult(str(path), record, None if moved is None else str(moved))


def _move(settings: BankStatementSettings, path: Path, where: str, sha256: str) -> Path | None:
    """Move a file taken from the inbox to archive/ or rejected/ (never a file named on the command line
    from elsewhere); a name already there gets the file's hash added, so nothing is overwritten."""
    if settings.inbox is None or path.resolve().parent != Path(settings.inbox).resolve():
        return None
    configured = settings.archive if where == "archive" else settings.rejected
    target_dir = Path(configured) if configured else Path(settings.inbox) / where
    target_dir.mkdir(parents=True, exist_ok=True)
    target = target_dir / path.name
    if target.exists():
        target = target_dir / f"{path.stem}.{sha256[:12]}{path.suffix}"
    shutil.move(os.fspath(path), os.fspath(target))
    return target


SHOWN_FILES = 5
"""Files `sync status` lists per bank_statement connector, newest first."""


def recent_files(engine: Engine, connectors: Sequence[str]) -> list[dict[str, object]]:
    """The last few files of each bank_statement connector, as `sync status --json` prints them."""
    files = SqlBankStatementFiles(engine)
    return [
        {
            "connector": row.source,
            "file": row.filename,
            "sha256": row.sha256,
            "outcome": row.outcome,
            "format": row.format,
            "lines": row.lines,
            "created": row.created,
            "reason": row.reason,
            "reason_code": row.reason_code,
            "reason_params": reason_params(row),
            "recorded_at": row.recorded_at.isoformat().replace("+00:00", "Z"),
        }
        for name in connectors
        for row in files.recent(name, SHOWN_FILES)
    ]


def run_file_counts(engine: Engine, run_id: int) -> dict[str, int]:
    """{loaded, duplicate, rejected}: the files one run of a bank_statement connector handled (its
    registry rows), as `sync status` says them for the connector's last run."""
    found = SqlBankStatementFiles(engine).outcomes(run_id)
    return {outcome: found.get(outcome, 0) for outcome in OUTCOMES}
