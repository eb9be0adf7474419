"""The zh/en catalogue: complete in both languages, covering every stable name a report prints."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from reconcile.report.i18n import LANGS, Catalogue, UnknownLabelError, catalogue_keys, placeholders
from store.canonical import ChangeKind, DocumentKind, Status
from store.discrepancies import DiscrepancyType, ExceptionStatus

REPORT_SOURCES = Path(__file__).parents[3] / "reconcile" / "report"


@pytest.mark.parametrize("lang", LANGS)
def test_every_catalogue_key_has_a_non_empty_label_in_each_language(lang: str) -> None:
    catalogue = Catalogue(lang)  # type: ignore[arg-type]
    empty = [
        key
        for key in catalogue_keys()
        if not catalogue.text(key, **dict.fromkeys(placeholders(key, lang), "x")).strip()  # type: ignore[arg-type]
    ]
    assert empty == []


def test_the_chinese_catalogue_is_chinese_and_differs_from_the_english() -> None:
    zh, en = Catalogue("zh"), Catalogue("en")
    same = [key for key in catalogue_keys() if zh.text(key) == en.text(key) and "{" not in zh.text(key)]
    assert same == []
    not_chinese = [key for key in catalogue_keys() if not re.search(r"[\u4e00-\u9fff]", zh.text(key))]
    assert not_chinese == []


def test_both_languages_use_the_same_placeholders() -> None:
    mismatched = [key for key in catalogue_keys() if placeholders(key, "zh") != placeholders(key, "en")]
    assert mismatched == []


@pytest.mark.parametrize(
    ("namespace", "names"),
    [
        ("type", [t.value for t in DiscrepancyType]),
        ("status", [s.value for s in ExceptionStatus]),
        ("docstatus", [s.value for s in Status]),
        ("kind", [k.value for k in DocumentKind]),
        ("change", [c.value for c in ChangeKind]),
    ],
)
def test_every_stable_name_a_report_prints_is_translated(namespace: str, names: list[str]) -> None:
    missing = [name for name in names if f"{namespace}.{name}" not in catalogue_keys()]
    assert missing == []


def test_every_label_key_the_report_code_asks_for_exists() -> None:
    """Literal keys in the renderers and templates, e.g. text("section.bridge") or ui.history."""
    asked: set[str] = set()
    for path in REPORT_SOURCES.rglob("*"):
        if path.suffix not in (".py", ".j2"):
            continue
        source = path.read_text(encoding="utf-8")
        asked |= set(
            re.findall(r"""["']((?:report|meta|section|col|bridge|ui|by)\.[a-z0-9_]+)["']""", source)
        )
        asked |= {f"ui.{name}" for name in re.findall(r"\bui\.([a-z_]+)", source) if path.suffix == ".j2"}
    assert asked, "the scan found no label keys at all"
    assert sorted(asked - catalogue_keys()) == []


def test_an_unknown_key_is_an_error_rather_than_a_key_printed_to_finance() -> None:
    with pytest.raises(UnknownLabelError):
        Catalogue("en").text("type.not_a_type")


def test_labels_read_as_finance_expects_in_each_language() -> None:
    assert Catalogue("zh").value("type", "amount_mismatch") == "金额不符"
    assert Catalogue("en").value("type", "amount_mismatch") == "Amount mismatch"
    assert Catalogue("zh").value("status", "acknowledged") == "已确认"
    assert Catalogue("zh").text("ui.revision", number=3) == "第3版"
