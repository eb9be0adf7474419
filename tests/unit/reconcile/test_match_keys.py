"""Numbers and party names: formatting differences never count, real differences do."""

from __future__ import annotations

import pytest

from reconcile.match_keys import normalize_number, normalize_party, party_score


@pytest.mark.parametrize(
    "number", ["INV-000123", "inv000123", "ＩＮＶ－000123", " Inv 000123 ", "INV_000-123"]
)
def test_invoice_numbers_that_differ_only_in_formatting_are_one_key(number: str) -> None:
    assert normalize_number(number) == "INV000123"


def test_numbers_with_different_digits_stay_different() -> None:
    assert normalize_number("INV-000123") != normalize_number("INV-000124")


def test_a_number_of_only_punctuation_is_no_key_at_all() -> None:
    assert normalize_number(" - ") is None
    assert normalize_number(None) is None


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("Acme Trading Co., Ltd.", "ACME TRADING LIMITED"),
        ("Acme Trading Co., Ltd.", "acme trading co"),
        ("Globex Corporation", "Globex Corp. (HQ)"),
        ("Initech Inc.", "INITECH, INC."),
        ("上海星辰贸易有限公司", "上海星辰贸易有限公司（总部）"),
        ("上海星辰贸易有限公司", "上海星辰贸易股份有限公司"),
        ("北京云帆科技有限责任公司", "北京云帆科技"),
        ("Acme Automation LLC", "ACME AUTOMATION L.L.C."),
        ("Stark Industries P.L.C.", "stark industries plc"),
    ],
)
def test_party_name_variants_normalize_to_the_same_name(a: str, b: str) -> None:
    assert normalize_party(a) == normalize_party(b)
    assert party_score(a, b) == 100.0


def test_different_customers_score_low() -> None:
    assert party_score("Acme Trading Co., Ltd.", "Umbrella Holdings") < 60
    assert party_score("上海星辰贸易有限公司", "北京云帆科技有限公司") < 60


def test_a_name_that_is_only_a_legal_form_is_kept_rather_than_emptied() -> None:
    assert normalize_party("有限公司") == "有限公司"
    assert party_score(None, "Acme") == 0.0
