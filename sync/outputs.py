"""Files the CLI writes (`--output` of reports and ledger exports): never over the installation's own
files, never over a file that is not a previous output of the same kind unless forced, always atomic,
always owner-only (0600), and no temporary file left behind by a killed writer once the next one runs.

A previous output is recognised by its content, never by its name (docs/security.md):
- report csv: starts with the UTF-8 BOM and its first row is made only of report column headings;
- report xlsx: a workbook whose document properties name ledgerbridge as its creator;
- report html: carries `<meta name="generator" content="ledgerbridge">` near its top;
- report json: starts with `{"report": "mismatches"|"o2c"|"aging"`;
- report table: its first line is a report title (English or Chinese);
- ledger jsonl: its first line is a JSON object starting with `source`, `kind`, `external_id` and
  holding `revision`;
- ledger csv: its first row (after the UTF-8 BOM, which exports before issue 15 lack) is a header
  starting with `source,kind,external_id` and holding `revision`.
An empty file holds nothing to lose and may always be replaced.
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import os
import re
import tempfile
import zipfile
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Final, Literal

from reconcile.report.i18n import LANGS, Catalogue, Lang, catalogue_keys

OUTPUT_MODE: Final = 0o600
TEMP_MARK: Final = ".lb-partial-"
"""Temporary files are `.<name>.lb-partial-<pid>-<random>` beside their destination."""
_TEMP_NAME: Final = re.compile(r"^\..+\.lb-partial-(\d+)-[A-Za-z0-9_]+$")
HTML_GENERATOR: Final = '<meta name="generator" content="ledgerbridge">'
_HEAD_BYTES: Final = 64 * 1024

OutputKind = Literal[
    "report-table", "report-csv", "report-xlsx", "report-html", "report-json", "ledger-jsonl", "ledger-csv"
]


class OutputRefused(Exception):
    """The destination is the installation's own file, or a file this command did not write: a
    catalogue message (`cli.output_*`), shown with `message(lang)`."""

    def __init__(self, key: str, **params: str) -> None:
        self.key = key
        self.params = params
        super().__init__(self.message("en"))

    def message(self, lang: Lang) -> str:
        catalogue = Catalogue(lang)
        params = {
            name: catalogue.text(value) if name in ("role", "what") else value
            for name, value in self.params.items()
        }
        return catalogue.text(self.key, **params)


@dataclass(frozen=True)
class Destination:
    """Where an output may go: the files it must never replace, and whether others may be replaced."""

    protected: tuple[tuple[Path, str], ...] = ()
    """(path, catalogue key of what it is) of the database (and its -wal, -shm, -journal), its key
    file and the config: never replaced, even with `force` (see `protected_files`)."""
    force: bool = False
    """Replace an existing file that is not a previous output of the same kind."""


def check_destination(path: Path, kind: OutputKind, destination: Destination) -> None:
    """Raise OutputRefused unless `path` may be (re)written with an output of `kind`."""
    for protected, role in destination.protected:
        if _same_file(path, protected):
            raise OutputRefused("cli.output_protected", path=str(path), role=role)
    if not path.exists():
        return
    if path.is_dir():
        raise OutputRefused("cli.output_directory", path=str(path))
    if destination.force or path.stat().st_size == 0 or is_previous_output(path, kind):
        return
    raise OutputRefused("cli.output_foreign", path=str(path), what=f"output.{kind}")


def is_previous_output(path: Path, kind: OutputKind) -> bool:
    """True when the file's content shows ledgerbridge wrote it as an output of `kind`."""
    try:
        if kind == "report-xlsx":
            return _xlsx_by_ledgerbridge(path)
        with path.open("rb") as handle:
            head = handle.read(_HEAD_BYTES)
    except OSError:
        return False
    return _RECOGNISERS[kind](head)


@contextmanager
def atomic_output(path: Path, *, binary: bool, encoding: str = "utf-8") -> Iterator[IO[str] | IO[bytes]]:
    """A stream into a 0600 temporary file beside `path`, flushed, synced and renamed over `path` when
    the block ends without error (removed otherwise). Stale temporary files of killed writers in the
    same directory are removed first."""
    directory = path.parent
    directory.mkdir(parents=True, exist_ok=True)
    remove_stale_partials(directory)
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}{TEMP_MARK}{os.getpid()}-", dir=directory)
    try:
        os.fchmod(handle, OUTPUT_MODE)
        raw = os.fdopen(handle, "wb")
        stream: IO[str] | IO[bytes] = (
            raw if binary else io.TextIOWrapper(raw, encoding=encoding, newline="", write_through=False)
        )
        with stream:
            yield stream
            stream.flush()
            os.fsync(raw.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    _sync_directory(directory)


def remove_stale_partials(directory: Path) -> list[Path]:
    """Remove temporary files of ledgerbridge writers that are no longer running (killed mid-file);
    a running writer's file is left alone. Returns what was removed."""
    removed: list[Path] = []
    try:
        entries = list(directory.iterdir())
    except OSError:
        return removed
    for entry in entries:
        found = _TEMP_NAME.match(entry.name)
        if found is None or _alive(int(found.group(1))):
            continue
        with contextlib.suppress(FileNotFoundError):
            entry.unlink()
            removed.append(entry)
    return removed


def sqlite_files(database: Path) -> tuple[Path, ...]:
    """A SQLite database and the files SQLite keeps beside it."""
    return (
        database,
        *(database.with_name(database.name + suffix) for suffix in ("-wal", "-shm", "-journal")),
    )


# ---------------------------------------------------------------------------- recognisers


def _report_titles() -> frozenset[str]:
    return frozenset(
        Catalogue(lang).text(f"report.{kind}") for lang in LANGS for kind in ("mismatches", "o2c", "aging")
    )


def _report_headings() -> frozenset[str]:
    keys = [key for key in catalogue_keys() if key.startswith("col.")]
    return frozenset(Catalogue(lang).text(key) for lang in LANGS for key in keys)


def _first_line(head: bytes) -> str:
    return head.split(b"\n", 1)[0].decode("utf-8", errors="replace").strip("\r")


def _first_csv_row(head: bytes, *, bom_required: bool) -> list[str]:
    """The first CSV row, after the UTF-8 BOM (none when it is required and missing)."""
    text = head.decode("utf-8", errors="replace")
    if text.startswith("\ufeff"):
        text = text[1:]
    elif bom_required:
        return []
    try:
        return next(csv.reader(io.StringIO(text, newline="")), [])
    except csv.Error:
        return []


def _report_csv(head: bytes) -> bool:
    row = _first_csv_row(head, bom_required=True)
    return bool(row) and set(row) <= _report_headings()


def _report_table(head: bytes) -> bool:
    return _first_line(head).strip() in _report_titles()


def _report_html(head: bytes) -> bool:
    return HTML_GENERATOR.encode() in head[:4096]


def _report_json(head: bytes) -> bool:
    return re.match(rb'\{"report": "(mismatches|o2c|aging)"', head) is not None


_LEDGER_HEAD: Final = ("source", "kind", "external_id")


def _ledger_jsonl(head: bytes) -> bool:
    try:
        first = json.loads(_first_line(head))
    except ValueError:
        return False
    return isinstance(first, dict) and tuple(first)[:3] == _LEDGER_HEAD and "revision" in first


def _ledger_csv(head: bytes) -> bool:
    row = _first_csv_row(head, bom_required=False)  # earlier exports had no BOM: still theirs to replace
    return tuple(row[:3]) == _LEDGER_HEAD and "revision" in row


def _xlsx_by_ledgerbridge(path: Path) -> bool:
    from reconcile.report.excel import XLSX_CREATOR  # openpyxl: imported only when a workbook is checked

    try:
        with zipfile.ZipFile(path) as book:
            core = book.read("docProps/core.xml").decode("utf-8", errors="replace")
    except (OSError, KeyError, zipfile.BadZipFile):
        return False
    return f"<dc:creator>{XLSX_CREATOR}</dc:creator>" in core


_RECOGNISERS: Final[dict[str, Callable[[bytes], bool]]] = {
    "report-table": _report_table,
    "report-csv": _report_csv,
    "report-html": _report_html,
    "report-json": _report_json,
    "ledger-jsonl": _ledger_jsonl,
    "ledger-csv": _ledger_csv,
}


# ---------------------------------------------------------------------------- helpers


def _same_file(path: Path, other: Path) -> bool:
    try:
        if path.exists() and other.exists():
            return os.path.samefile(path, other)
    except OSError:
        pass
    return path.resolve() == other.resolve()


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _sync_directory(directory: Path) -> None:
    """Make the rename durable (best effort: some file systems cannot open a directory)."""
    try:
        descriptor = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(descriptor)
    except OSError:
        pass
    finally:
        os.close(descriptor)


def protected_files(
    *, config: Path | None, database: Path | None, key_file: Path | None, extra: Iterable[Path] = ()
) -> tuple[tuple[Path, str], ...]:
    """(path, catalogue key of its role) of the installation's own files an output must never replace;
    `extra` for other files ledgerbridge keeps beside them."""
    found: list[tuple[Path, str]] = []
    if database is not None:
        found += [(path, "role.database") for path in sqlite_files(database)]
    if key_file is not None:
        found.append((key_file, "role.key_file"))
    if config is not None:
        found.append((config, "role.config"))
    found += [(path, "role.kept") for path in extra]
    return tuple(found)
