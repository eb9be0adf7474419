"""Quarantine reasons are data (issue 16 §4): vendor-shaped bad records — the published examples in
tests/fixtures/*/docs with one value altered — are rejected naming the vendor's field, a stable rule code
and the offending value, beside the English sentence they always had; every rule is worded in both
languages."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from connectors.base import NormalizeContext, Page
from connectors.errors import RecordError
from connectors.fxiaoke import normalize as fxiaoke
from connectors.http import OverlongInteger, decode_body, parse_json
from connectors.reasons import VALUE_LIMIT, Rule, shown
from connectors.zoho import normalize as zoho
from reconcile.report.i18n import Catalogue, catalogue_keys, placeholders
from sync.engine import normalize_page
from tests.fakes import ListStream, record

FIXTURES = Path(__file__).parents[1] / "fixtures"
ZOHO = NormalizeContext(source="zoho", timezone=ZoneInfo("Asia/Shanghai"), base_currency="USD")
FXIAOKE = NormalizeContext(source="fxiaoke", timezone=ZoneInfo("Asia/Shanghai"), base_currency="CNY")


def _load(name: str) -> Any:
    return parse_json((FIXTURES / name).read_text(encoding="utf-8"))


def _books_invoice(**changed: Any) -> dict[str, Any]:
    return {**_load("zoho/docs/books_invoice_get.json")["invoice"], **changed}


def _crm_invoice(**changed: Any) -> dict[str, Any]:
    return {**_load("zoho/docs/crm_invoice_response.json")["data"][0], **changed}


def _fxiaoke_order(**changed: Any) -> dict[str, Any]:
    sample = _load("fxiaoke/docs/sales_order_create_payload.json")
    server = {
        "_id": "5ffd0000784bf00001ef2000",
        "name": "20210113-000001",
        "last_modified_time": 1610530245871,
    }
    return {**sample["object_data"], "details": sample["details"], **server, **changed}


def _rejected(normalize: Any, raw: dict[str, Any], context: NormalizeContext) -> RecordError:
    with pytest.raises(RecordError) as caught:
        normalize(raw, context)
    return caught.value


# ----------------------------------------------------------------------------- vendor records


@pytest.mark.parametrize(
    ("normalize", "raw", "context", "field", "rule", "value", "sentence"),
    [
        pytest.param(
            zoho.books_invoice,
            _books_invoice(date="28/10/2026"),
            ZOHO,
            "date",
            Rule.NOT_A_DATE,
            "'28/10/2026'",
            "date: '28/10/2026' is not a yyyy-mm-dd date",
            id="books-date-in-day-month-year",
        ),
        pytest.param(
            zoho.books_invoice,
            _books_invoice(total=Decimal("12345678901234.5")),
            ZOHO,
            "total",
            Rule.TOO_LARGE,
            "Decimal('12345678901234.5')",
            "total: Decimal input should have no more than 13 digits before the decimal point",
            id="books-total-beyond-the-money-bound",
        ),
        pytest.param(
            zoho.books_invoice,
            _books_invoice(is_inclusive_tax="yes"),
            ZOHO,
            "is_inclusive_tax",
            Rule.NOT_A_BOOLEAN,
            "'yes'",
            "is_inclusive_tax: must be true or false, got 'yes'",
            id="books-flag-as-a-word",
        ),
        pytest.param(
            zoho.crm_invoice,
            _crm_invoice(Grand_Total="12,345.25"),
            ZOHO,
            "Grand_Total",
            Rule.NOT_A_NUMBER,
            "'12,345.25'",
            "Grand_Total: '12,345.25' is not a number",
            id="crm-total-with-a-thousands-separator",
        ),
        pytest.param(
            zoho.crm_invoice,
            _crm_invoice(Modified_Time=None),
            ZOHO,
            "Modified_Time",
            Rule.MISSING,
            None,
            "Modified_Time: is missing (it is the sync cursor)",
            id="crm-without-its-cursor-field",
        ),
        pytest.param(
            fxiaoke.normalize_sales_order,
            _fxiaoke_order(order_amount="一千"),
            FXIAOKE,
            "order_amount",
            Rule.NOT_A_NUMBER,
            "'一千'",
            "order_amount: is not a number: '一千'",
            id="fxiaoke-amount-in-words",
        ),
        pytest.param(
            fxiaoke.normalize_sales_order,
            _fxiaoke_order(order_time="2021-01-13"),
            FXIAOKE,
            "order_time",
            Rule.NOT_A_TIMESTAMP,
            "'2021-01-13'",
            "order_time: is not a millisecond timestamp: '2021-01-13'",
            id="fxiaoke-date-instead-of-milliseconds",
        ),
        pytest.param(
            fxiaoke.normalize_sales_order,
            _fxiaoke_order(account_id=None),
            FXIAOKE,
            "account_id",
            Rule.MISSING,
            None,
            "account_id: is missing",
            id="fxiaoke-order-without-its-customer",
        ),
    ],
)
def test_a_vendor_record_with_one_bad_value_is_rejected_with_its_field_rule_and_value(
    *,
    normalize: Any,
    raw: dict[str, Any],
    context: NormalizeContext,
    field: str,
    rule: Rule,
    value: str | None,
    sentence: str,
) -> None:
    error = _rejected(normalize, raw, context)

    assert (error.field, error.rule, error.value) == (field, rule, value)
    assert error.reason == sentence  # the flattened English text, as stored and shown before


def test_an_fxiaoke_detail_rows_error_names_the_row_and_keeps_its_rule_and_value() -> None:
    sample = _load("fxiaoke/docs/sales_order_create_payload.json")
    [row] = sample["details"]["SalesOrderProductObj"]
    raw = _fxiaoke_order(details={"SalesOrderProductObj": [{**row, "subtotal": "1.23456"}]})

    error = _rejected(fxiaoke.normalize_sales_order, raw, FXIAOKE)

    assert error.field == "details.SalesOrderProductObj[0].subtotal"
    assert (error.rule, error.value) == (Rule.TOO_PRECISE, "'1.23456'")


def test_a_value_is_cut_at_the_limit_so_a_long_payload_never_fills_the_reason() -> None:
    error = _rejected(zoho.books_invoice, _books_invoice(date="x" * 500), ZOHO)

    assert error.value is not None
    assert len(error.value) == VALUE_LIMIT
    assert error.value.startswith("'xxx")
    assert error.value.endswith("…")
    assert error.value == shown("x" * 500)


# ----------------------------------------------------------------------------- the engine's own reasons


def test_lines_adding_up_beyond_the_bound_say_how_much_they_add_up_to() -> None:
    big = "9999999999999.9999"
    page = Page(records=[record(1, total=big, lines=[{"amount": big}, {"amount": big}])])

    _, [reject], _ = normalize_page("shop", ListStream([]), page)

    assert (reject.field, reject.rule, reject.value) == (
        "lines",
        Rule.LINES_OVER_BOUND,
        "Decimal('19999999999999.9998')",
    )
    assert reject.reason.startswith("lines: the 2 line amounts add up to 19999999999999.9998")


def test_a_future_modification_and_a_repeated_id_are_rejected_with_their_rules() -> None:
    now = datetime(2026, 11, 27, 8, tzinfo=UTC)
    future = record(1, minutes=60 * 24 * 365 * 5)
    first, second = record(2, total="100.00"), record(2, total="250.00", minutes=9)

    _, rejects, _ = normalize_page(
        "shop", ListStream([]), Page(records=[future, first, second]), not_after=now + timedelta(minutes=5)
    )

    by_rule = {r.rule: r for r in rejects}
    assert set(by_rule) == {Rule.CLOCK_SKEW, Rule.DUPLICATE_IN_PAGE}
    skewed = by_rule[Rule.CLOCK_SKEW]
    assert (skewed.field, skewed.value) == ("source_modified_at", "2031-10-31T00:00:00Z")
    assert "max_clock_skew_minutes" in skewed.reason
    repeated = by_rule[Rule.DUPLICATE_IN_PAGE]
    assert (repeated.field, repeated.value, repeated.external_id) == ("external_id", "'INV-2'", "INV-2")


def test_bytes_that_are_not_utf8_and_an_endless_integer_are_rejected_naming_their_field() -> None:
    bad_text = parse_json(decode_body(b'{"external_id": "INV-1", "notes": "caf\xe9"}', None))
    long_number = {**record(2), "total": OverlongInteger("9" * 5000)}

    _, rejects, _ = normalize_page("shop", ListStream([]), Page(records=[bad_text, long_number]))

    assert [(r.field, r.rule) for r in rejects] == [
        ("notes", Rule.NON_UTF8),
        ("total", Rule.INTEGER_TOO_LONG),
    ]
    assert rejects[0].value == "'caf\\udce9'"
    assert rejects[1].value == "<integer of 5000 digits>"
    assert rejects[0].reason == "notes: text that is not valid UTF-8 (byte 0xe9 at 3)"


# ----------------------------------------------------------------------------- the catalogue


def test_every_rule_has_a_sentence_and_a_label_in_both_languages_naming_field_and_value() -> None:
    keys = catalogue_keys()
    for rule in Rule:
        assert f"quarantine.rule.{rule}" in keys
        assert f"quarantine.label.{rule}" in keys
        for lang in ("en", "zh"):
            assert {"field"} <= placeholders(f"quarantine.rule.{rule}", lang)
    zh = Catalogue("zh").text("quarantine.rule.not_a_date", field="date", value="'28/10/2026'")
    assert zh == "date：'28/10/2026' 不是 yyyy-mm-dd 格式的日期"
