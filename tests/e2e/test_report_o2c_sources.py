"""`report o2c` / `report aging` from the command line: choosing several sources at once, every missing
choice said in one error, an Fxiaoke tenant's collections, the base-currency total in every format."""

from __future__ import annotations

import csv
import json
from decimal import Decimal
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlalchemy import Engine

from connectors.fxiaoke import normalize as n
from reconcile.report.csvfile import CSV_ENCODING
from store.canonical import CanonicalDocument, PartyRef
from tests.e2e.report_support import run_cli, store_documents, write_config
from tests.unit.fxiaoke.test_normalize import CTX, load
from tests.unit.report.report_fixtures import make_doc

AS_OF = ["--as-of", "2022-03-01"]


def _connectors(path: Path, tmp_path: Path, names: list[str], rules: str = "") -> Path:
    block = "".join(
        f"  - name: {name}\n    kind: jsonl\n    path: {tmp_path / name}.jsonl\n    streams: [invoices]\n"
        for name in names
    )
    path.write_text(path.read_text(encoding="utf-8") + f"connectors:\n{block}{rules}", encoding="utf-8")
    return path


def _sale(kind: str, source: str, number: str, total: str, party: str = "Acme") -> CanonicalDocument:
    return make_doc(kind, number, source=source, party=party, total=total, balance=total, issued_on=None)


@pytest.fixture
def two_of_each(tmp_path: Path, database_url: str, engine: Engine) -> Path:
    """Two CRMs (two regions' sales orders), two invoice sources and two payment sources."""
    store_documents(
        engine,
        [
            _sale("sales_order", "crm-north", "SO-1", "100.00"),
            _sale("sales_order", "crm-south", "SO-2", "40.00"),
            _sale("invoice", "books", "INV-1", "90.00"),
            _sale("invoice", "crm-north", "INV-1", "90.00"),
            _sale("payment", "books", "PAY-1", "30.00"),
            _sale("payment", "bank", "PAY-1", "30.00"),
        ],
    )
    names = ["crm-north", "crm-south", "books", "bank"]
    return _connectors(write_config(tmp_path, database_url), tmp_path, names)


def test_every_missing_source_choice_is_named_in_one_error_with_the_sources_to_choose_from(
    two_of_each: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ran = run_cli(capsys, two_of_each, ["--lang", "en", "report", "o2c"])
    assert ran.status == 2
    assert ran.err.count("\n") == 1  # one error, not the first of three
    assert "--orders-from: several sources hold sales orders (crm-north, crm-south)" in ran.err
    assert "--invoices-from: several sources hold invoices (books, crm-north)" in ran.err
    assert "--payments-from: several sources hold payments (bank, books)" in ran.err


def test_the_missing_choices_and_a_misspelt_source_are_said_together_in_chinese(
    two_of_each: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ran = run_cli(capsys, two_of_each, ["report", "o2c", "--orders-from", "crm-nrth", "--lang", "zh"])
    assert ran.status == 2
    assert (
        "--orders-from crm-nrth：没有这个数据来源（已配置的连接器：bank, books, crm-north, crm-south）"
        in ran.err
    )
    assert "--invoices-from：有多个数据来源含有发票（books, crm-north）" in ran.err
    assert "--payments-from" in ran.err


@pytest.mark.parametrize(
    "orders",
    [["--orders-from", "crm-north,crm-south"], ["--orders-from", "crm-north", "--orders-from", "crm-south"]],
)
def test_two_crms_orders_add_up_when_both_are_named(
    two_of_each: Path, capsys: pytest.CaptureFixture[str], orders: list[str]
) -> None:
    args = ["report", "o2c", "--json", *orders, "--invoices-from", "books", "--payments-from", "books,bank"]
    ran = run_cli(capsys, two_of_each, args)
    assert ran.status == 0, ran.err
    [section] = json.loads(ran.out)["sections"]
    acme = next(row for row in section["rows"] if row["customer"] == "Acme")
    assert (acme["ordered"], acme["invoiced"], acme["collected"]) == ("140.00", "90.00", "60.00")
    meta = {item["key"]: item["value"] for item in json.loads(ran.out)["meta"]}
    assert meta["meta.sources"] == "crm-north, crm-south, books, bank"


def test_a_single_source_option_keeps_working_and_a_repeated_source_counts_once(
    two_of_each: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["report", "o2c", "--json", "--orders-from", "crm-north", "--orders-from", "crm-north,crm-north"]
    ran = run_cli(capsys, two_of_each, [*args, "--invoices-from", "books", "--payments-from", "bank"])
    assert ran.status == 0, ran.err
    [section] = json.loads(ran.out)["sections"]
    acme = next(row for row in section["rows"] if row["customer"] == "Acme")
    assert acme["ordered"] == "100.00"


def test_two_sources_a_rule_reconciles_against_each_other_are_not_added(
    tmp_path: Path, database_url: str, engine: Engine, capsys: pytest.CaptureFixture[str]
) -> None:
    store_documents(
        engine, [_sale("invoice", "books", "INV-1", "90.00"), _sale("invoice", "crm", "INV-1", "90.00")]
    )
    rules = (
        "reconcile:\n  rules:\n    - name: crm-vs-books\n      left: {source: crm, kind: invoice}\n"
        "      right: {source: books, kind: invoice}\n      keys: [number]\n"
    )
    config = _connectors(write_config(tmp_path, database_url), tmp_path, ["crm", "books"], rules)
    ran = run_cli(capsys, config, ["--lang", "en", "report", "aging", "--invoices-from", "crm,books"])
    assert ran.status == 2
    assert "rule crm-vs-books reconciles these sources' invoices against each other" in ran.err


# ---------------------------------------------------------------------------- an Fxiaoke tenant


def _tenant() -> list[CanonicalDocument]:
    """The tenant's records (tests/fixtures/fxiaoke): order …e2a1 of CNY 25,600, its invoice application
    of 25,600, a 回款 of 30,000 (20,000 to …e2a1, 8,000 to an order not yet invoiced, 2,000 to none);
    plus a Books invoice of the same customer typed with a space, and a USD one without a rate."""
    books = [
        make_doc(
            "invoice",
            "INV-7",
            source="zoho-books",
            party=PartyRef(external_id="460000000012", name="上海申远贸易 有限公司"),
            total="1000.00",
            balance="1000.00",
        ),
        make_doc(
            "invoice",
            "INV-8",
            source="zoho-books",
            party=PartyRef(external_id="460000000012", name="上海申远贸易 有限公司"),
            currency="USD",
            total="50.00",
            balance="50.00",
        ),
    ]
    return [
        n.normalize_sales_order(load("sales_order.json"), CTX),
        n.normalize_invoice_application(load("invoice_application_issued.json"), CTX),
        n.normalize_payment(load("payment.json"), CTX),
        *books,
    ]


@pytest.fixture
def tenant(tmp_path: Path, database_url: str, engine: Engine) -> Path:
    store_documents(engine, _tenant())
    return _connectors(write_config(tmp_path, database_url), tmp_path, ["fxiaoke", "zoho-books"])


def test_fxiaoke_outstanding_is_what_collections_leave_owed_and_money_ahead_of_invoicing_is_shown(
    tenant: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["report", "o2c", "--json", "--lang", "en", *AS_OF, "--invoices-from", "fxiaoke,zoho-books"]
    ran = run_cli(capsys, tenant, args)
    assert ran.status == 0, ran.err
    [section] = json.loads(ran.out)["sections"]
    rows = [row for row in section["rows"] if not row.get("total")]
    assert len(rows) == 2  # one customer, in CNY and in USD
    cny = next(row for row in rows if row["currency"] == "CNY")
    assert cny["customer"] == "上海申远贸易有限公司"
    assert cny["variants"] == "上海申远贸易有限公司; 上海申远贸易 有限公司"
    assert (cny["invoiced"], cny["collected"]) == ("26600.00", "30000.00")
    assert cny["outstanding"] == "6600.00"  # 5,600 of the application + the Books invoice — not 26,600
    assert cny["unapplied"] == "10000.00"
    base = section["rows"][-1]
    assert base["customer"] == "Total in CNY (base currency; 1 without an exchange rate left out)"
    assert (base["currency"], base["outstanding"], base["total"]) == ("CNY", "6600.00", True)
    meta = {item["key"]: item["value"] for item in json.loads(ran.out)["meta"]}
    assert meta["o2c.meta.unconverted"] == (
        "1 document without an exchange rate is left out of the base-currency total"
    )


def test_fxiaoke_ageing_ages_only_what_the_orders_collections_leave_owed(
    tenant: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "aging.csv"
    args = ["report", "aging", "--format", "csv", "--output", str(out), "--lang", "en", *AS_OF]
    ran = run_cli(capsys, tenant, [*args, "--invoices-from", "fxiaoke"])
    assert ran.status == 0, ran.err
    rows = list(csv.DictReader(out.read_text(encoding=CSV_ENCODING).splitlines()))
    customer = next(row for row in rows if row["Customer"] == "上海申远贸易有限公司")
    assert (customer["61–90 days"], customer["Total"], customer["Settlement unknown"]) == (
        "5600.00",
        "5600.00",
        "0.00",
    )


@pytest.mark.parametrize("fmt", ["table", "csv", "xlsx", "html", "json"])
def test_the_base_currency_total_and_what_it_leaves_out_are_in_every_format(
    tenant: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], fmt: str
) -> None:
    out = tmp_path / f"o2c.{fmt}"
    args = [
        "report",
        "o2c",
        "--format",
        fmt,
        "--output",
        str(out),
        *AS_OF,
        "--invoices-from",
        "zoho-books,fxiaoke",
    ]
    ran = run_cli(capsys, tenant, args)
    assert ran.status == 0, ran.err
    label = "合计（本位币 CNY；1 张无汇率单据未计入）"
    if fmt == "xlsx":
        cells = [
            cell for sheet in load_workbook(out) for row in sheet.iter_rows(values_only=True) for cell in row
        ]
        assert label in cells
        assert Decimal(str(cells[cells.index(label) + 7])).quantize(Decimal("0.01")) == Decimal("6600.00")
    else:
        assert label in out.read_text(encoding=CSV_ENCODING if fmt == "csv" else "utf-8")
