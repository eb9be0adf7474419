"""Order-to-cash and ageing rows: one customer's spellings fold into one row, and every summary ends
with a grand total in the base currency (documents without a rate counted, never guessed)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from reconcile.aging import aging_summary
from reconcile.o2c import MEASURES, GroupBy, o2c_summary
from reconcile.party_groups import name_key
from store.canonical import CanonicalDocument, PartyRef
from tests.unit.report.report_fixtures import AS_OF, make_doc

DAY = date(2026, 10, 1)


def _invoice(
    number: str, name: str, party_id: str, total: str = "100.00", **fields: object
) -> CanonicalDocument:
    return make_doc(
        "invoice",
        number,
        party=PartyRef(external_id=party_id, name=name),
        total=total,
        balance=total,
        issued_on=DAY,
        due_on=date(2026, 12, 1),
        **fields,
    )


def test_spellings_of_one_customer_normalize_to_one_key() -> None:
    keys = {
        name_key(name)
        for name in (
            "上海申远贸易有限公司",
            "上海申远贸易 有限公司",
            "上海申远贸易（有限公司）",
            "上海申远贸易有限公司 ",
            "上海申远贸易股份有限公司",
        )
    }
    assert keys == {"上海申远贸易"}
    assert name_key("ＡＣＭＥ Co., Ltd.") == name_key("Acme Inc.") == name_key("acme") == "acme"


def test_spelling_variants_fold_into_one_row_named_by_the_most_frequent_spelling() -> None:
    docs = [
        _invoice("I-1", "上海申远贸易有限公司", "a1"),
        _invoice("I-2", "上海申远贸易有限公司", "a1"),
        _invoice("I-3", "上海申远贸易 有限公司", "a1"),
        _invoice("I-4", "上海申远贸易（有限公司）", "b7", source="crm"),  # another system, another id
        _invoice("I-5", "深圳华信科技有限公司", "a2"),
    ]
    summary = o2c_summary(docs, by=GroupBy.CUSTOMER, as_of=AS_OF)
    rows = {row.group: row for row in summary.rows}
    assert set(rows) == {"上海申远贸易有限公司", "深圳华信科技有限公司"}
    folded = rows["上海申远贸易有限公司"]
    assert folded.invoiced == Decimal("400.00")
    assert folded.variants == ("上海申远贸易有限公司", "上海申远贸易 有限公司", "上海申远贸易（有限公司）")
    assert rows["深圳华信科技有限公司"].variants == ("深圳华信科技有限公司",)


def test_a_renamed_customer_keeps_one_row_through_its_party_id() -> None:
    docs = [_invoice("I-1", "华信科技", "a2"), _invoice("I-2", "深圳华信科技有限公司", "a2")]
    [row] = aging_summary(docs, as_of=AS_OF).rows
    assert row.variants == ("华信科技", "深圳华信科技有限公司")  # a tie: the first in order of text
    assert row.total == Decimal("200.00")


def test_the_base_currency_total_converts_each_document_at_its_own_rate_and_counts_those_without() -> None:
    docs = [
        _invoice("I-1", "Acme", "a1", total="100.00"),
        _invoice("I-2", "Acme", "a1", total="10.00", currency="USD", exchange_rate=Decimal("7.1")),
        _invoice("I-3", "Acme", "a1", total="20.00", currency="USD"),  # no rate
        _invoice("I-4", "Acme", "a1", total="30.00", currency="EUR"),  # no rate
    ]
    summary = o2c_summary(docs, by=GroupBy.CUSTOMER, as_of=AS_OF, base_currency="CNY")
    assert summary.base is not None
    base = dict(zip(MEASURES, summary.base.amounts, strict=True))
    assert base["invoiced"] == base["outstanding"] == Decimal("171.00")  # 100 + 10 × 7.1
    assert (summary.base.currency, summary.base.unconverted) == ("CNY", 2)
    ageing = aging_summary(docs, as_of=AS_OF, base_currency="CNY")
    assert ageing.base is not None
    assert (ageing.base.amounts[0], ageing.base.unconverted) == (Decimal("171.00"), 2)
