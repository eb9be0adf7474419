"""`report o2c` and `report aging` on a real database (SQLite and PostgreSQL), read back as finance would."""

from __future__ import annotations

import csv
import json
from decimal import Decimal
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlalchemy import Engine

from reconcile.report.csvfile import CSV_ENCODING
from tests.e2e.report_support import run_cli, store_documents, write_config
from tests.unit.report.report_fixtures import make_doc, o2c_documents


@pytest.fixture
def config(tmp_path: Path, database_url: str, engine: Engine) -> Path:
    store_documents(engine, o2c_documents())
    return write_config(tmp_path, database_url)


def test_o2c_by_customer_in_excel_has_the_hand_computed_figures_and_totals(
    config: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "o2c.xlsx"
    ran = run_cli(
        capsys, config, ["report", "o2c", "--format", "xlsx", "--output", str(out), "--as-of", "2026-11-20"]
    )
    assert ran.status == 0, ran.err
    sheet = load_workbook(out)["订单到回款"]
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0] == (
        "客户",
        "币种",
        "订单金额",
        "开票金额",
        "红字冲减",
        "回款金额",
        "未核销/超开票回款",
        "应收余额",
        "逾期金额",
        "回款情况未知",
    )
    table = {(r[0], r[1]): tuple(Decimal(str(v)).quantize(Decimal("0.01")) for v in r[2:]) for r in rows[1:]}
    d = lambda *values: tuple(Decimal(v) for v in values)  # noqa: E731
    assert table[("Acme", "CNY")] == d("1000.00", "1000.00", "50.00", "600.00", "0", "400.00", "400.00", "0")
    assert table[("Beta", "CNY")] == d("500.00", "300.00", "0.00", "100.00", "0", "300.00", "0.00", "0")
    assert table[("合计", "CNY")] == d("1500.00", "1300.00", "50.00", "700.00", "0", "700.00", "400.00", "0")
    assert table[("合计", "USD")] == d("0.00", "200.00", "0.00", "0.00", "0", "200.00", "200.00", "0")
    # The USD invoice has no exchange rate: left out of the base-currency total, and said so.
    base = table[("合计（本位币 CNY；1 张无汇率单据未计入）", "CNY")]
    assert base == table[("合计", "CNY")]
    assert isinstance(sheet["C2"].value, int | float)
    assert sheet["C2"].number_format == "#,##0.00"


def test_o2c_by_month_for_a_period_in_english_json(config: Path, capsys: pytest.CaptureFixture[str]) -> None:
    ran = run_cli(
        capsys,
        config,
        [
            "report",
            "o2c",
            "--by",
            "month",
            "--period",
            "2026-10",
            "--lang",
            "en",
            "--json",
            "--as-of",
            "2026-11-20",
        ],
    )
    assert ran.status == 0, ran.err
    document = json.loads(ran.out)
    (section,) = document["sections"]
    assert [c["label"] for c in section["columns"]][:3] == ["Month", "Currency", "Ordered"]
    first = section["rows"][0]
    assert (first["month"], first["currency"], first["invoiced"], first["overdue"]) == (
        "2026-10",
        "CNY",
        "1300.00",
        "400.00",
    )
    assert {"key": "meta.period", "label": "Period", "value": "2026-10"} in document["meta"]


def test_aging_csv_puts_each_open_balance_in_its_bucket(
    config: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "aging.csv"
    ran = run_cli(
        capsys,
        config,
        ["report", "aging", "--format", "csv", "--output", str(out), "--as-of", "2026-11-20", "--lang", "en"],
    )
    assert ran.status == 0, ran.err
    rows = list(csv.DictReader(out.read_text(encoding=CSV_ENCODING).splitlines()))
    acme = next(r for r in rows if r["Customer"] == "Acme" and r["Currency"] == "CNY")
    assert (acme["Current"], acme["1–30 days"], acme["Total"]) == ("0.00", "400.00", "400.00")
    beta = next(r for r in rows if r["Customer"] == "Beta")
    assert (beta["Current"], beta["Total"]) == ("300.00", "300.00")
    usd = next(r for r in rows if r["Customer"] == "Acme" and r["Currency"] == "USD")
    assert usd["> 90 days"] == "200.00"


def test_two_sources_of_invoices_must_be_chosen_between_with_a_clear_message(
    config: Path, engine: Engine, capsys: pytest.CaptureFixture[str]
) -> None:
    store_documents(engine, [make_doc("invoice", "X-1", source="crm", party="Acme", total="5.00")])
    ran = run_cli(capsys, config, ["report", "aging"])
    assert ran.status == 2
    assert "--invoices-from" in ran.err
    assert "books, crm" in ran.err
    chosen = run_cli(capsys, config, ["report", "aging", "--invoices-from", "books", "--lang", "en"])
    assert chosen.status == 0, chosen.err
    assert "Accounts receivable ageing" in chosen.out


def test_a_bad_period_is_a_usage_error_naming_the_accepted_forms(
    config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ran = run_cli(capsys, config, ["report", "o2c", "--period", "2026-13"])
    assert ran.status == 2
    assert "--period" in ran.err
    assert "2026-Q3" in ran.err


def test_ageing_needs_no_choice_about_orders_held_by_two_sources(
    config: Path, engine: Engine, capsys: pytest.CaptureFixture[str]
) -> None:
    store_documents(engine, [make_doc("sales_order", "SO-9", source="crm", party="Acme", total="5.00")])
    aging = run_cli(capsys, config, ["report", "aging", "--json", "--as-of", "2026-11-20"])
    assert aging.status == 0, aging.err
    o2c = run_cli(capsys, config, ["report", "o2c"])
    assert o2c.status == 2
    assert "--orders-from" in o2c.err
