"""Loading bank statement files on SQLite and PostgreSQL: one transaction per file, nothing doubled,
nothing half-loaded, every file's hash and outcome recorded, inbox files moved only after the commit."""

from __future__ import annotations

import os
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, func, select

import store.bank_statements
import sync.bank_import
from config.kinds import BankStatementSettings
from store.bank_statements import SqlBankStatementFiles
from store.canonical import DocumentKind
from store.repository import SqlLedgerRepository
from store.tables import documents, revisions
from sync.bank_import import import_files, inbox_files
from tests.conftest import FixedClock
from tests.connectors.bank.samples import ICBC_CSV, sample, settings

MT940_A = """:20:STMT-A
:25:DE89370400440532013000
:28C:101/1
:60F:C261101EUR1000,00
:61:2611021102C250,00NTRFNONREF//B0001
:86:INV-1
:61:2611031103D100,00NMSCNONREF//B0002
:86:RENT
:62F:C261103EUR1150,00
"""
MT940_B = """:20:STMT-B
:25:DE89370400440532013000
:28C:102/1
:60F:C261102EUR1250,00
:61:2611031103D100,00NMSCNONREF//B0002
:86:RENT
:61:2611041104C75,50NTRFNONREF//B0003
:86:INV-2
:62F:C261104EUR1225,50
"""


def _bank(tmp_path: Path, **keys: Any) -> BankStatementSettings:
    inbox = tmp_path / "inbox"
    inbox.mkdir(exist_ok=True)
    return settings(inbox=str(inbox), csv=ICBC_CSV, **keys)


def _drop(settings_: BankStatementSettings, name: str, data: bytes) -> Path:
    assert settings_.inbox is not None
    path = Path(settings_.inbox) / name
    path.write_bytes(data)
    os.utime(path, (0, 0))  # long settled
    return path


def _ledger(engine: Engine, source: str = "bank") -> dict[str, tuple[Decimal | None, str | None]]:
    docs = SqlLedgerRepository(engine).iter_documents(source=source, kind=DocumentKind.BANK_TRANSACTION)
    return {d.external_id: (d.total, d.currency) for d in docs}


def _revisions(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(revisions)).scalar_one())


def test_a_statement_loads_once_and_the_same_file_again_is_a_recorded_duplicate(
    engine: Engine, clock: FixedClock, tmp_path: Path
) -> None:
    bank = _bank(tmp_path)
    path = _drop(bank, "nov.xml", sample("camt053_v02_multicurrency.xml"))
    [loaded] = import_files(engine, bank, [path], clock=clock)
    assert (loaded.file.outcome, loaded.file.format, loaded.file.lines, loaded.file.created) == (
        "loaded",
        "camt053",
        4,
        4,
    )
    assert loaded.moved_to == str(tmp_path / "inbox" / "archive" / "nov.xml")
    assert _ledger(engine)["NL91ABNA0417164300/ABN2611290000007"] == (Decimal("-1500.0000"), "EUR")
    before = _revisions(engine)
    again = _drop(bank, "nov-copy.xml", sample("camt053_v02_multicurrency.xml"))
    [duplicate] = import_files(engine, bank, [again], clock=clock)
    assert duplicate.file.outcome == "duplicate"
    assert "as nov.xml" in (duplicate.file.reason or "")
    assert (len(_ledger(engine)), _revisions(engine)) == (4, before)
    rows = SqlBankStatementFiles(engine).recent("bank")
    assert [(r.outcome, r.filename, r.lines, r.created) for r in rows] == [
        ("duplicate", "nov-copy.xml", 0, 0),
        ("loaded", "nov.xml", 4, 4),
    ]
    assert rows[1].statements == "NL91ABNA0417164300-2026-11-30-EUR,NL91ABNA0417164300-2026-11-30-USD"


def test_overlapping_statements_add_only_the_lines_the_ledger_lacks(
    engine: Engine, clock: FixedClock, tmp_path: Path
) -> None:
    bank = _bank(tmp_path)
    a = _drop(bank, "a.sta", MT940_A.encode())
    b = _drop(bank, "b.sta", MT940_B.encode())
    first, second = import_files(engine, bank, [a, b], clock=clock)
    assert (first.file.created, first.file.unchanged) == (2, 0)
    assert (second.file.created, second.file.unchanged) == (1, 1)  # B0002 is in both statements: one document
    assert sorted(_ledger(engine)) == [f"DE89370400440532013000/B000{n}" for n in (1, 2, 3)]
    rent = SqlLedgerRepository(engine).iter_documents(source="bank", kind=DocumentKind.BANK_TRANSACTION)
    assert {d.external_id: d.references["statement_id"] for d in rent}["DE89370400440532013000/B0002"] == (
        "STMT-A/101/1"  # the first statement that brought the line stays its provenance
    )


def test_a_rejected_file_loads_nothing_is_recorded_and_moves_to_rejected_with_its_reason(
    engine: Engine, clock: FixedClock, tmp_path: Path
) -> None:
    bank = _bank(tmp_path)
    path = _drop(bank, "bad.sta", sample("mt940_malformed.sta"))
    [result] = import_files(engine, bank, [path], clock=clock)
    assert result.file.outcome == "rejected"
    assert (result.file.reason or "").startswith("line 8 (:61:):")
    assert _ledger(engine) == {}
    moved = tmp_path / "inbox" / "rejected" / "bad.sta"
    assert Path(result.moved_to or "") == moved
    assert moved.exists()
    assert not path.exists()
    reason_file = tmp_path / "inbox" / "rejected" / "bad.sta.reason.txt"
    english, chinese = reason_file.read_text(encoding="utf-8").splitlines()
    assert english.startswith(
        "line 8 (:61:): statement line '2611291129D1190.50NMSCNONREF//DB26112900003' is not"
    )
    assert chinese.startswith(
        "line 8 (:61:): 流水行 '2611291129D1190.50NMSCNONREF//DB26112900003' 不符合格式"
    )
    [row] = SqlBankStatementFiles(engine).recent("bank")
    assert (row.outcome, row.format, row.sha256) == ("rejected", "mt940", result.file.sha256)
    assert (row.reason_code, row.reason_params) == (
        "bad_line",
        '{"value": "2611291129D1190.50NMSCNONREF//DB26112900003", "where": "line 8 (:61:)"}',
    )


def test_when_the_registry_row_fails_the_files_lines_are_rolled_back_with_it(
    engine: Engine, clock: FixedClock, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    bank = _bank(tmp_path)
    path = _drop(bank, "nov.xml", sample("camt053_v02_multicurrency.xml"))

    def refuse(_file: object) -> dict[str, object]:
        raise RuntimeError("disk full")

    monkeypatch.setattr(store.bank_statements, "_values", refuse)
    with pytest.raises(RuntimeError, match="disk full"):
        import_files(engine, bank, [path], clock=clock)
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(documents)).scalar_one() == 0
    assert path.exists()  # still in the inbox: the next pass loads it
    monkeypatch.undo()
    [result] = import_files(engine, bank, [path], clock=clock)
    assert (result.file.outcome, result.file.created) == ("loaded", 4)


def test_a_crash_between_the_commit_and_the_move_is_harmless(
    engine: Engine, clock: FixedClock, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    bank = _bank(tmp_path)
    path = _drop(bank, "a.sta", MT940_A.encode())

    def crash(*_args: object) -> Path:
        raise KeyboardInterrupt

    monkeypatch.setattr(sync.bank_import, "_move", crash)
    with pytest.raises(KeyboardInterrupt):
        import_files(engine, bank, [path], clock=clock)
    assert len(_ledger(engine)) == 2
    assert path.exists()
    monkeypatch.undo()
    [again] = import_files(
        engine, bank, inbox_files(bank, clock(), sync.bank_import.timedelta(0)), clock=clock
    )
    assert (again.file.outcome, again.moved_to) == (
        "duplicate",
        str(tmp_path / "inbox" / "archive" / "a.sta"),
    )
    assert len(_ledger(engine)) == 2


def test_files_named_from_outside_the_inbox_are_loaded_and_left_where_they_are(
    engine: Engine, clock: FixedClock, tmp_path: Path
) -> None:
    bank = _bank(tmp_path)
    elsewhere = tmp_path / "icbc.csv"
    elsewhere.write_bytes(sample("icbc_gbk.csv"))
    [result] = import_files(engine, bank, [elsewhere], clock=clock)
    assert (result.file.outcome, result.file.lines, result.moved_to) == ("loaded", 7, None)
    assert elsewhere.exists()
    assert _ledger(engine)["1202021909900123456/ICBC20261105000007"] == (Decimal("-356420.5000"), "CNY")


def test_the_inbox_skips_hidden_partial_and_unsettled_files(clock: FixedClock, tmp_path: Path) -> None:
    bank = _bank(tmp_path)
    ready = _drop(bank, "ready.sta", MT940_A.encode())
    _drop(bank, ".hidden.sta", b"x")
    _drop(bank, "upload.sta.part", b"x")
    fresh = Path(bank.inbox or "") / "fresh.sta"
    fresh.write_bytes(MT940_B.encode())
    os.utime(fresh, (clock().timestamp(), clock().timestamp()))
    assert inbox_files(bank, clock(), sync.bank_import.timedelta(seconds=30)) == [ready]


def test_a_listed_file_another_import_took_meanwhile_is_skipped(
    engine: Engine, clock: FixedClock, tmp_path: Path
) -> None:
    bank = _bank(tmp_path)
    listed = [_drop(bank, "a.sta", MT940_A.encode()), _drop(bank, "b.sta", MT940_B.encode())]
    import_files(engine, bank, listed[:1], clock=clock)  # the other import, done first
    [result] = import_files(engine, bank, listed, clock=clock)
    assert (Path(result.path).name, result.file.outcome, result.file.created) == ("b.sta", "loaded", 1)
