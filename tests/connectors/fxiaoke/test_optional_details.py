"""Detail objects are optional: which vendor refusals mean "this tenant does not let us read the object"
(the stream goes on without it) and which must still stop the stream; what a document read without its
detail object says about itself."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from connectors.base import NormalizeContext
from connectors.errors import (
    AuthError,
    ConnectorError,
    FatalApiError,
    QuotaExhaustedError,
    TokenExpiredError,
    TransientError,
)
from connectors.fxiaoke import normalize as n
from connectors.fxiaoke.streams import DETAIL_COSTS, FORBIDDEN, MISSING, SPECS, unavailability

CTX = NormalizeContext(source="fxiaoke", timezone=ZoneInfo("Asia/Shanghai"), base_currency="CNY")


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        pytest.param(
            FatalApiError("对象不存在", vendor_code="10002"), MISSING, id="object-missing-UNVERIFIED"
        ),
        pytest.param(FatalApiError("?", vendor_code="320001401"), MISSING, id="undocumented-code-UNVERIFIED"),
        pytest.param(AuthError("无此操作的数据权限", vendor_code="20014"), FORBIDDEN, id="no-permission"),
        pytest.param(AuthError("disabled app", vendor_code="20021"), None, id="app-disabled-stops"),
        pytest.param(AuthError("bad secret", vendor_code="20006"), None, id="credentials-stop"),
        pytest.param(TokenExpiredError("token", vendor_code="20016"), None, id="token-refused-stops"),
        pytest.param(QuotaExhaustedError("quota", vendor_code="30002"), None, id="daily-quota-stops"),
        pytest.param(FatalApiError("no quota", vendor_code="30003"), None, id="no-quota-bought-stops"),
        pytest.param(TransientError("busy", vendor_code="30004"), None, id="throttled-stops"),
        pytest.param(FatalApiError("keyset paging did not advance"), None, id="our-own-paging-fault-stops"),
    ],
)
def test_only_a_refusal_of_the_object_itself_makes_a_detail_object_unavailable(
    error: ConnectorError, expected: str | None
) -> None:
    assert unavailability(error) == expected


def test_header_objects_are_never_optional_and_every_detail_object_says_what_its_absence_costs() -> None:
    details = {s.detail.api_name for s in SPECS.values() if s.detail is not None}
    headers = {s.api_name for s in SPECS.values()}
    assert details == set(DETAIL_COSTS)
    assert not details & headers
    assert DETAIL_COSTS[n.INVOICE_LINES] == "invoice lines unavailable: line-level checks skipped"
    assert "unknown allocations" in DETAIL_COSTS[n.PAYMENT_ALLOCATIONS]


def _payment(details: dict[str, object]) -> dict[str, object]:
    moment = int(datetime(2026, 11, 1, tzinfo=UTC).timestamp() * 1000)
    return {
        "_id": "5f3a3de57c604a00017dc5ee",
        "name": "20261101-000001",
        "life_status": "normal",
        "last_modified_time": moment,
        "payment_time": moment,
        "payment_amount": "100.00",
        "account_id": "acc1",
        "account_id__r": "客户甲",
        n.DETAILS: details,
    }


def test_a_payment_read_without_its_allocations_has_an_unknown_balance_and_names_the_object() -> None:
    unread = n.normalize_payment(_payment({n.PAYMENT_ALLOCATIONS: None}), CTX)
    assert (unread.allocations, unread.balance) == ((), None)
    assert unread.references["details_unavailable"] == n.PAYMENT_ALLOCATIONS


def test_a_payment_with_no_allocation_rows_is_wholly_unapplied_and_claims_nothing_is_missing() -> None:
    read = n.normalize_payment(_payment({n.PAYMENT_ALLOCATIONS: []}), CTX)
    assert (read.allocations, read.balance) == ((), Decimal("100.00"))
    assert "details_unavailable" not in read.references
