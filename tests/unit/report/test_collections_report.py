"""The mismatch report's detail of a collections finding (issue 21): both sides, the amount marked."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from reconcile.report.i18n import Catalogue
from reconcile.report.mismatches import exception_detail
from store.discrepancies import DiscrepancyType
from tests.unit.report.reconciled import reconciled


def test_a_fee_difference_shows_the_payout_beside_its_payments_with_the_total_marked() -> None:
    fixture = reconciled()
    (found,) = [i.discrepancy for i in fixture.items if i.discrepancy.type is DiscrepancyType.FEE_DIFFERENCE]
    detail = exception_detail(found, fixture.load, Catalogue("en"), ZoneInfo("Asia/Shanghai"))
    assert [view.number for view in detail.left] == ["PMT-C1", "PMT-C2", "PMT-C3"]
    assert [view.number for view in detail.right] == ["PAYOUT-77"]
    assert "total" in detail.differing
