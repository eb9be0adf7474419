"""Order-to-cash's last step (issue 21): with a collections rule, what of `collected` is in the bank."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from reconcile.collections_match import collect
from reconcile.o2c import BANK_MEASURE, Banked, GroupBy, o2c_summary
from reconcile.report.i18n import Catalogue
from reconcile.report.ledger_reports import o2c_report
from reconcile.result import MatchContext
from tests.collections_data import (
    BANK,
    BOOKS,
    COLLECTIONS_RULE,
    TODAY,
    bank_line,
    payment,
    planted_collections,
)
from tests.unit.report.reconciled import GENERATED_AT


def _banked() -> tuple[list, Banked]:
    docs, _ = planted_collections()
    docs += [
        payment("PMT-S", "3000.00", date(2026, 10, 20), party="Split Buyer Ltd"),
        bank_line("S1", "1000.00", date(2026, 10, 20), payer="Split Buyer Ltd"),
        bank_line("S2", "2000.00", date(2026, 10, 20) + timedelta(days=2), payer="Split Buyer Ltd"),
    ]
    payments = [d for d in docs if d.source == BOOKS]
    result = collect(
        payments, [d for d in docs if d.source == BANK], COLLECTIONS_RULE, MatchContext("CNY"), today=TODAY
    )
    matched = frozenset((r.source, r.external_id) for m in result.matches for r in m.left)
    return payments, Banked(frozenset({BOOKS}), matched)


def test_collected_in_bank_is_what_a_bank_credit_was_matched_to_per_group_and_in_total() -> None:
    payments, banked = _banked()
    summary = o2c_summary(payments, by=GroupBy.MONTH, as_of=TODAY, base_currency="CNY", banked=banked)
    assert summary.banked
    (october, november) = summary.rows
    # October: the card payout's three payments (600.00) and the split receipt (3000.00) reached the bank;
    # PMT-LOST (4,321.00) did not. November: PMT-NEW (55.00) is still in transit.
    assert (october.group, october.collected, october.collected_in_bank) == (
        "2026-10",
        Decimal("7921.00"),
        Decimal("3600.00"),
    )
    assert (november.collected, november.collected_in_bank) == (Decimal("55.00"), Decimal(0))
    assert summary.base is not None
    assert summary.base.amounts[-1] == Decimal("3600.00")


def test_the_report_has_the_column_only_when_a_collections_rule_reads_the_payments() -> None:
    payments, banked = _banked()
    for lang, heading in (("en", "Collected in bank"), ("zh", "银行已到账")):
        with_bank = o2c_summary(payments, by=GroupBy.MONTH, as_of=TODAY, base_currency="CNY", banked=banked)
        report = o2c_report(
            with_bank, lang=lang, timezone="Asia/Shanghai", generated_at=GENERATED_AT, period="all"
        )
        (section,) = report.sections
        assert [c.key for c in section.columns][-1] == BANK_MEASURE
        assert report.columns[-1].key == BANK_MEASURE
        assert Catalogue(lang).text(f"col.{BANK_MEASURE}") == heading
        rows = list(section.rows)
        assert rows[-1].cells[-1] == Decimal("3600.00")  # the base-currency total
    plain = o2c_summary(payments, by=GroupBy.MONTH, as_of=TODAY, base_currency="CNY")
    report = o2c_report(plain, lang="en", timezone="Asia/Shanghai", generated_at=GENERATED_AT, period="all")
    assert BANK_MEASURE not in [c.key for c in report.sections[0].columns]
    assert plain.rows[0].collected_in_bank is None
