"""Every statement format read from realistic samples (tests/fixtures/bank/), exactly; and every kind of
file a bank connector must refuse, refused whole with the line, element or row named."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from connectors.bank.camt import parse_camt053
from connectors.bank.documents import read_statements, to_documents
from connectors.bank.mt940 import parse_mt940
from connectors.bank.ofx import parse_ofx
from connectors.bank.statement import Statement, StatementError
from reconcile.report.i18n import Catalogue
from store.canonical import DocumentKind
from tests.connectors.bank.samples import CMB_XLSX, ICBC_CSV, sample, settings

BANK = Path(__file__).resolve().parents[3] / "connectors" / "bank"


def _amounts(statement: Statement) -> list[Decimal]:
    return [line.amount for line in statement.lines]


def _said(error: StatementError) -> tuple[str, str]:
    """The rejection in English and Chinese, as the catalogue fills it with the error's values."""
    return tuple(Catalogue(lang).text(f"bank.reason.{error.code}", **error.params) for lang in ("en", "zh"))  # type: ignore[return-value]


def _rejected(call: object, *args: object) -> StatementError:
    with pytest.raises(StatementError) as caught:
        call(*args)  # type: ignore[operator]
    _said(caught.value)  # every rejection has a sentence in both languages that takes its values
    return caught.value


# ----------------------------------------------------------------------------- camt.053


def test_camt053_v02_reads_two_currencies_a_reversal_a_batch_and_a_fee_and_leaves_pending_out() -> None:
    eur, usd = parse_camt053(sample("camt053_v02_multicurrency.xml"))
    assert (eur.account, eur.currency, eur.opening, eur.closing) == (
        "NL91ABNA0417164300", "EUR", Decimal("48210.00"), Decimal("71440.35"),
    )  # fmt: skip
    assert _amounts(eur) == [Decimal("12100.00"), Decimal("-1500.00"), Decimal("12630.35")]  # PDNG left out
    helix, reversal, batch = eur.lines
    assert (helix.counterparty_name, helix.counterparty_account) == (
        "Helix Components B.V.",
        "NL02RABO0123456789",
    )
    assert (helix.end_to_end_id, helix.bank_reference, helix.remittance) == (
        "E2E-HELIX-INV-2026-0311", "ABN2611280000001", "INV-2026-0311",
    )  # fmt: skip
    assert reversal.reversal
    assert reversal.counterparty_name == "Nordlicht Handel GmbH"
    assert (reversal.booking_date, reversal.value_date) == (date(2026, 11, 29), date(2026, 11, 28))
    assert (batch.batch_count, batch.fee, batch.end_to_end_id, batch.counterparty_name) == (
        3, Decimal("2.50"), None, None,
    )  # fmt: skip
    assert batch.remittance == "RF18INV20260340 INV-2026-0342 INV-2026-0345 INV-2026-0346"
    assert (usd.account, usd.currency, usd.opening, _amounts(usd)) == (
        "0417164301", "USD", Decimal("-5000.00"), [Decimal("8250.00")],
    )  # fmt: skip


def test_camt053_v08_reads_party_names_under_pty_booking_datetimes_and_charge_records() -> None:
    [cny] = parse_camt053(sample("camt053_v08_single.xml"))
    incoming, tax = cny.lines
    assert (incoming.counterparty_name, incoming.counterparty_account) == (
        "上海星辰贸易有限公司",
        "31001234567890123456",
    )
    assert (incoming.booking_date, incoming.fee) == (date(2026, 11, 30), Decimal("2.00"))
    assert (tax.amount, tax.counterparty_name) == (
        Decimal("-2000.00"),
        "国家税务总局上海市税务局",
    )  # a debit: Cdtr


def test_a_truncated_camt053_is_rejected_naming_its_line_and_the_open_element() -> None:
    error = _rejected(parse_camt053, sample("camt053_truncated.xml"))
    assert (error.code, error.where) == ("xml_malformed", "line 78, column 15")
    assert error.params["inside"] == "Document/BkToCstmrStmt/Stmt/Ntry/ValDt"
    assert error.params["element"] == "ValDt"
    assert (
        _said(error)[1]
        == "XML 格式错误或文件不完整（no element found），位于 Document/BkToCstmrStmt/Stmt/Ntry/ValDt"
    )


def test_a_camt053_whose_entries_do_not_add_up_is_rejected_with_the_difference() -> None:
    tampered = sample("camt053_v02_multicurrency.xml").replace(b">12100.00<", b">12100.10<")
    error = _rejected(parse_camt053, tampered)
    assert (error.code, error.where) == ("unbalanced", "Stmt NL91ABNA0417164300-2026-11-30-EUR")
    assert (error.params["difference"], error.params["currency"]) == ("-0.10", "EUR")
    assert _said(error)[0] == (
        "the lines do not add up: opening 48210.00 + lines 23230.45 = 71440.45, but the closing balance is "
        "71440.35: difference -0.10 EUR"
    )


def test_a_camt053_with_an_entity_declaration_is_refused_before_anything_is_expanded() -> None:
    bomb = (
        b'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
        b'<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02"><BkToCstmrStmt>&x;</BkToCstmrStmt></Document>'
    )
    error = _rejected(parse_camt053, bomb)
    assert (error.code, error.where) == ("xml_refused", "XML")


# ----------------------------------------------------------------------------- MT940


def test_mt940_reads_marks_reversals_and_the_structured_details_exactly() -> None:
    [statement] = parse_mt940(sample("mt940_deutsche.sta"))
    assert (statement.account, statement.statement_id) == ("DEUTDEFF/0532013000", "STMT261130-01/235/1")
    assert (statement.opening, statement.closing) == (Decimal("12500.00"), Decimal("18649.75"))
    assert _amounts(statement) == [
        Decimal("2500.00"),
        Decimal("-1190.50"),
        Decimal("-2500.00"),
        Decimal("7340.25"),
    ]
    credit, rent, returned, _batch = statement.lines
    assert (credit.end_to_end_id, credit.counterparty_name, credit.counterparty_account) == (
        "E2E-ACME-0142", "ACME GMBH", "DE44500105175407324931",
    )  # fmt: skip
    assert (credit.remittance, credit.bank_reference) == (
        "RE INV-2026-0142 ACME GMBH ZAHLUNG",
        "DB26112800017",
    )
    assert (rent.remittance, rent.counterparty_name) == ("MIETE DEZEMBER 2026", "IMMO VERWALTUNG KG")
    assert returned.reversal
    assert returned.amount < 0


def test_a_malformed_mt940_line_is_rejected_naming_its_line_number_and_tag() -> None:
    error = _rejected(parse_mt940, sample("mt940_malformed.sta"))
    assert (error.code, error.where) == ("bad_line", "line 8 (:61:)")
    assert error.params["value"] == "2611291129D1190.50NMSCNONREF//DB26112900003"


def test_an_mt940_without_a_closing_balance_is_rejected() -> None:
    cut = b"\r\n".join(
        line for line in sample("mt940_deutsche.sta").split(b"\r\n") if not line.startswith(b":62F:")
    )
    error = _rejected(parse_mt940, cut)
    assert (error.code, error.params) == ("no_balance", {"tag": ":62F:"})


# ----------------------------------------------------------------------------- OFX


def test_ofx1_sgml_with_unclosed_leaf_tags_reads_like_ofx2_xml() -> None:
    [checking] = parse_ofx(sample("ofx1_chase_checking.qfx"))
    assert (checking.account, checking.currency, checking.closing, checking.opening) == (
        "000123456789", "USD", Decimal("13035.00"), None,
    )  # fmt: skip
    assert [line.bank_reference for line in checking.lines] == [
        "202611030001",
        "202611050007",
        "202611300002",
    ]
    assert _amounts(checking) == [Decimal("4250.00"), Decimal("-1200.00"), Decimal("-15.00")]
    assert checking.lines[1].counterparty_name == "O'MALLEY LANDSCAPING"
    [gbp] = parse_ofx(sample("ofx2_creditcard.ofx"))
    paid, foreign, recalled = gbp.lines
    assert (paid.counterparty_name, paid.counterparty_account, paid.value_date) == (
        "BRIGHT & CO LTD", "30963412345678", date(2026, 11, 11),
    )  # fmt: skip
    assert (foreign.amount, foreign.currency, foreign.counterparty_name) == (
        Decimal("512.00"),
        "GBP",
        "LYON BISTRO SARL",
    )
    assert recalled.amount == -paid.amount


def test_a_truncated_ofx_names_the_aggregate_left_open() -> None:
    data = sample("ofx2_creditcard.ofx")
    error = _rejected(parse_ofx, data[: data.index(b"</BANKTRANLIST>")])
    assert (error.code, error.where, error.params) == ("ofx_truncated", "line 22", {"tag": "BANKTRANLIST"})


def test_an_ofx_correction_is_refused_rather_than_loaded_as_a_new_line() -> None:
    data = sample("ofx2_creditcard.ofx").replace(
        b"<FITID>91234567800003</FITID>",
        b"<FITID>91234567800003</FITID><CORRECTFITID>91234567800001</CORRECTFITID><CORRECTACTION>DELETE</CORRECTACTION>",
    )
    error = _rejected(parse_ofx, data)
    assert (error.code, error.params) == ("ofx_correction", {"action": "DELETE", "fitid": "91234567800001"})


# ----------------------------------------------------------------------------- CSV / XLSX


def test_a_gbk_csv_with_debit_and_credit_columns_reads_exactly_and_checks_its_running_balance() -> None:
    [statement] = read_statements(sample("icbc_gbk.csv"), "icbc_gbk.csv", settings(csv=ICBC_CSV))
    assert (statement.account, statement.currency) == ("1202021909900123456", "CNY")  # from the 账号 line
    assert (statement.opening, statement.closing) == (Decimal("1000000.00"), Decimal("946354.50"))
    assert _amounts(statement) == [
        Decimal("128000.00"),
        Decimal("128000.00"),
        Decimal("-356420.50"),
        Decimal("46800.00"),
        Decimal("-25.00"),
        Decimal("9999.99"),
        Decimal("-9999.99"),
    ]  # fmt: skip  (the 合计 footer is not a line)
    assert statement.lines[3].counterparty_name == "支付宝（中国）网络技术有限公司"
    assert statement.lines[3].batch_count == 12  # 批量代收 共12笔
    assert statement.lines[-1].reversal  # 冲正


def test_a_csv_row_that_breaks_the_running_balance_is_rejected_naming_it_and_the_difference() -> None:
    text = (
        sample("icbc_gbk.csv").decode("gbk").replace('"46,800.00","946,379.50"', '"46,800.00","946,389.50"')
    )
    error = _rejected(read_statements, text.encode("gbk"), "icbc.csv", settings(csv=ICBC_CSV))
    assert (error.code, error.where) == ("running_balance", "row of 2026-11-08 ICBC20261108000420")
    assert error.params["difference"] == "10.00"


def test_a_csv_read_in_the_wrong_encoding_is_rejected_not_garbled() -> None:
    error = _rejected(
        read_statements, sample("icbc_gbk.csv"), "icbc.csv", settings(csv={**ICBC_CSV, "encoding": "utf-8"})
    )
    assert (error.code, error.params["encoding"]) == ("bad_encoding", "utf-8")


def test_an_xlsx_export_newest_first_with_a_signed_amount_reads_oldest_first() -> None:
    [statement] = read_statements(sample("cmb_usd.xlsx"), "cmb_usd.xlsx", settings(csv=CMB_XLSX))
    assert (statement.account, statement.currency) == ("755912345610801", "USD")
    assert (statement.opening, statement.closing) == (Decimal("20000.00"), Decimal("43100.25"))
    assert _amounts(statement) == [Decimal("10000.75"), Decimal("-2500.5"), Decimal("15600")]
    assert statement.lines[0].value_date == date(2026, 11, 19)


# ----------------------------------------------------------------------------- documents and identities


def test_each_line_becomes_a_bank_transaction_per_the_contract() -> None:
    data = sample("camt053_v02_multicurrency.xml")
    statements = read_statements(data, "s.xml", settings())
    docs = to_documents(statements, "bank", "f" * 64)
    assert [d.external_id for d in docs] == [
        "NL91ABNA0417164300/ABN2611280000001", "NL91ABNA0417164300/ABN2611290000007",
        "NL91ABNA0417164300/ABN2611300000012", "0417164301/ABN-USD-2611290003",
    ]  # fmt: skip
    reversal = docs[1]
    assert reversal.kind is DocumentKind.BANK_TRANSACTION
    assert (reversal.total, reversal.currency, reversal.issued_on, reversal.number) == (
        Decimal("-1500.00"), "EUR", date(2026, 11, 29), "ABN2611290000007",
    )  # fmt: skip
    assert reversal.references == {
        "account": "NL91ABNA0417164300", "value_date": "2026-11-28", "counterparty_account": "DE89370400440532013000",
        "remittance": "RETURN AC04 CLOSED ACCOUNT INV-2026-0288", "end_to_end_id": "E2E-NORD-0288",
        "bank_reference": "ABN2611290000007", "statement_id": "NL91ABNA0417164300-2026-11-30-EUR",
        "file_sha256": "f" * 64, "reversal": "true",
    }  # fmt: skip
    assert docs[2].references["batch_count"] == "3"
    assert docs[2].references["fee"] == "2.50"


def test_lines_without_a_bank_reference_get_a_content_hash_and_an_occurrence_index() -> None:
    mapping = {**ICBC_CSV, "columns": {k: v for k, v in ICBC_CSV["columns"].items() if k != "reference"}}
    # the sample's first two rows: the same payer, day, amount and text (told apart only by 交易流水号)
    docs = to_documents(
        read_statements(sample("icbc_gbk.csv"), "x.csv", settings(csv=mapping)), "bank", "0" * 64
    )
    first, second = docs[0].external_id, docs[1].external_id
    assert first.rsplit("/", 1)[0] == second.rsplit("/", 1)[0]  # the same content hash ...
    assert (first[-2:], second[-2:]) == ("/0", "/1")  # ... two lines, told apart by their occurrence
    assert first.startswith("1202021909900123456/h/")


@pytest.mark.parametrize(
    ("name", "keys", "code"),
    [
        ("mt940_deutsche.sta", {"formats": ["camt053"]}, "format_disabled"),
        ("icbc_gbk.csv", {}, "needs_mapping"),
        ("mt940_deutsche.sta", {"accounts": ["NL91ABNA0417164300"]}, "account_not_allowed"),
    ],
)
def test_a_file_the_connector_is_not_set_up_for_is_refused(
    name: str, keys: dict[str, object], code: str
) -> None:
    assert _rejected(read_statements, sample(name), name, settings(**keys)).code == code


def test_every_reason_the_parsers_give_has_an_english_and_a_chinese_sentence() -> None:
    source = "".join(path.read_text(encoding="utf-8") for path in BANK.glob("*.py"))
    codes = set(re.findall(r'StatementError\(\s*"([a-z_0-9]+)"', source))
    assert len(codes) > 40, "the scan found too few reasons"
    assert sorted(code for code in codes if not Catalogue("zh").has(f"bank.reason.{code}")) == []
