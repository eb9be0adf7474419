"""The law of statement loading (issue 21): loading a set of statement files in any order, any number of
times, gives the same ledger as loading each once — overlapping statements, MT940 and CSV exports of the
same account mixed, lines with and without a bank reference, identical twin lines — on SQLite and
PostgreSQL.

"The same ledger" is every bank transaction's identity and everything the bank said about it; the two
provenance references (`file_sha256`, `statement_id`) name the first file that brought a line, which
depends on the order by design (sync/bank_import.py PROVENANCE)."""

from __future__ import annotations

import itertools
import os
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine

from store.canonical import DocumentKind
from store.repository import SqlLedgerRepository
from sync.bank_import import PROVENANCE, import_files
from tests.conftest import FixedClock
from tests.connectors.bank.samples import settings as bank_settings

ACCOUNT = "DE89370400440532013000"
START = date(2026, 11, 1)
_RUNS = itertools.count()


@dataclass(frozen=True)
class _Line:
    day: int
    cents: int
    reference: str | None
    text: str

    def mt940(self) -> str:
        when = (START + timedelta(days=self.day)).strftime("%y%m%d")
        mark = "C" if self.cents > 0 else "D"
        amount = f"{abs(self.cents) // 100},{abs(self.cents) % 100:02d}"
        bank = f"//{self.reference}" if self.reference else ""
        return f":61:{when}{mark}{amount}NTRFNONREF{bank}\n:86:{self.text}\n"


_raw_lines = st.lists(
    st.tuples(
        st.integers(0, 2),
        st.one_of(st.sampled_from([10_000, -2_550]), st.integers(-50_000, 50_000).filter(bool)),
        st.booleans(),
        st.sampled_from(["INV-1", "INV-2", "RENT", "FEE"]),
    ),
    min_size=1,
    max_size=8,
)


@st.composite
def _lines(draw: Any) -> list[_Line]:
    """Lines, often with twins: two lines without a reference saying the very same (two equal payments)."""
    raw = draw(_raw_lines)
    if draw(st.booleans()):
        at = draw(st.integers(0, len(raw) - 1))
        twin = (*raw[at][:2], False, raw[at][3])
        raw[at : at + 1] = [twin, twin]
    raw.sort(key=lambda line: line[0])  # a statement lists its lines by date
    return [_Line(d, c, f"R{i:04d}" if ref else None, t) for i, (d, c, ref, t) in enumerate(raw)]


_Window = tuple[int, int, str]
"""A statement: the base lines [start, end) it lists, and its format (mt940 or csv)."""


@st.composite
def _case(draw: Any) -> tuple[list[_Line], list[_Window], list[int]]:
    lines = draw(_lines())
    windows = draw(
        st.lists(
            st.tuples(
                st.integers(0, len(lines) - 1), st.integers(1, len(lines)), st.sampled_from(["mt940", "csv"])
            )
            .map(lambda w: (min(w[0], w[1]), max(w[0], w[1]), w[2]))
            .filter(lambda w: w[0] < w[1]),
            min_size=1,
            max_size=4,
        )
    )
    extra = draw(st.lists(st.integers(0, len(windows) - 1), max_size=2 * len(windows)))
    plan = draw(st.permutations([*range(len(windows)), *extra]))
    return lines, windows, list(plan)


def _statement(lines: list[_Line], window: _Window, number: int) -> tuple[str, bytes]:
    start, end, kind = window
    opening = 100_000 + sum(line.cents for line in lines[:start])
    closing = opening + sum(line.cents for line in lines[start:end])
    if kind == "csv":
        rows, running = ["日期,起息日,金额,余额,摘要,流水号"], opening
        for line in lines[start:end]:
            running += line.cents
            when = (START + timedelta(days=line.day)).isoformat()
            rows.append(
                f"{when},{when},{_money(line.cents)},{_money(running)},{line.text},{line.reference or ''}"
            )
        return ".csv", "\n".join(rows).encode("gb18030")

    def balance(tag: str, cents: int) -> str:
        return f":{tag}:{'C' if cents >= 0 else 'D'}261101EUR{abs(cents) // 100},{abs(cents) % 100:02d}\n"

    body = "".join(line.mt940() for line in lines[start:end])
    return ".sta", (
        f":20:S{number}\n:25:{ACCOUNT}\n:28C:{number}/1\n"
        + balance("60F", opening)
        + body
        + balance("62F", closing)
    ).encode()


def _money(cents: int) -> str:
    return f"{'-' if cents < 0 else ''}{abs(cents) // 100}.{abs(cents) % 100:02d}"


CSV = {
    "encoding": "gb18030",
    "currency": "EUR",
    "account": ACCOUNT,
    "columns": {
        "date": "日期", "value_date": "起息日", "amount": "金额", "balance": "余额", "text": "摘要", "reference": "流水号",
    },
}  # fmt: skip


def _load(
    engine: Engine,
    clock: FixedClock,
    directory: Path,
    name: str,
    *,
    files: list[tuple[str, bytes]],
    plan: list[int],
) -> dict[str, Any]:
    bank = bank_settings(name, csv=CSV)
    paths = []
    for index, (suffix, data) in enumerate(files):
        path = directory / f"{name}-{index}{suffix}"
        path.write_bytes(data)
        os.utime(path, (0, 0))
        paths.append(path)
    results = import_files(engine, bank, [paths[i] for i in plan], clock=clock)
    assert all(r.file.outcome in ("loaded", "duplicate") for r in results), [r.file.reason for r in results]
    docs = SqlLedgerRepository(engine).iter_documents(source=name, kind=DocumentKind.BANK_TRANSACTION)
    return {
        d.external_id: (
            d.total,
            d.currency,
            d.issued_on,
            d.number,
            {k: v for k, v in d.references.items() if k not in PROVENANCE},
        )
        for d in docs
    }


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(case=_case())
def test_loading_statement_files_in_any_order_any_number_of_times_gives_the_same_ledger(
    engine: Engine,
    clock: FixedClock,
    tmp_path: Path,
    case: tuple[list[_Line], list[_Window], list[int]],
) -> None:
    lines, windows, plan = case
    files = [_statement(lines, window, n) for n, window in enumerate(windows)]
    run = next(_RUNS)
    once = _load(engine, clock, tmp_path, f"once-{run}", files=files, plan=list(range(len(files))))
    shuffled = _load(engine, clock, tmp_path, f"plan-{run}", files=files, plan=plan)
    assert shuffled == once
    covered = sorted({i for a, b, _ in windows for i in range(a, b)})
    referenced = {
        f"{ACCOUNT}/{lines[i].reference}": Decimal(lines[i].cents) / 100
        for i in covered
        if lines[i].reference
    }
    assert {key: once[key][0] for key in once if "/h/" not in key} == referenced  # each referenced line, once
    unreferenced: set[tuple[tuple[int, int, str], int]] = set()
    for a, b, _ in windows:  # a line without a reference is its content and its occurrence in its statement
        seen: dict[tuple[int, int, str], int] = {}
        for line in lines[a:b]:
            if line.reference is None:
                key = (line.day, line.cents, line.text)
                unreferenced.add((key, seen.get(key, 0)))
                seen[key] = seen.get(key, 0) + 1
    assert sum(1 for key in once if "/h/" in key) == len(unreferenced)
