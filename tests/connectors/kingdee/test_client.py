"""The Kingdee connector over HTTP (`responses`): sign-in and its session cookie, the error envelope that
comes with HTTP 200, session expiry, entry rows regrouped across pages, rows moving during a pass, the
id sweep and `connector test`'s empty-form warning."""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest

from connectors.errors import AuthError, FatalApiError, TransientError
from connectors.kingdee.client import SESSION_COOKIE
from tests.check_lines import said
from tests.conftest import FakeTokenStore
from tests.connectors.kingdee.support import FakeK3, Row, connector, fixture, sale_order_rows


def _order(fid: int, lines: int, modified: str, *, status: str = "C") -> list[Row]:
    """Bill `fid` with `lines` entry rows of 10.00 each (tax-inclusive), as ExecuteBillQuery expands it."""
    base = sale_order_rows()[0]
    return [
        {
            **base,
            "FID": fid,
            "FBillNo": f"XSDD{fid}",
            "FModifyDate": modified,
            "FDocumentStatus": status,
            "FBillAllAmount": Decimal(10 * lines),
            "FMaterialId": 300000 + i,
            "FAllAmount": Decimal("10.00"),
            "FEntryTaxAmount": Decimal("1.15"),
        }
        for i in range(lines)
    ]


def _documents(built: Any, stream: str = "sales_orders", since: datetime | None = None) -> list[Any]:
    s = built.streams()[stream]
    return [s.normalize(record) for page in s.pages(since) for record in page.records]


def test_sign_in_sends_the_app_secret_parameters_and_every_query_carries_the_session_cookie() -> None:
    server = FakeK3({"SAL_SaleOrder": sale_order_rows()})
    with connector(server) as built:
        docs = _documents(built)
    assert server.logins == [["62f0a9c2e5b1a4", "集成用户", "270123_abc", "s3cret-app", 2052]]
    assert [d.external_id for d in docs] == ["100001", "100002"]
    assert server.queries[0]["FormId"] == "SAL_SaleOrder"
    assert server.queries[0]["OrderString"] == "FModifyDate ASC,FID ASC"
    assert server.queries[0]["FieldKeys"].startswith("FID,FBillNo,")


def test_a_login_result_other_than_1_is_an_auth_error_naming_the_data_center() -> None:
    server = FakeK3({})
    server._login = lambda request: (200, {}, json.dumps(fixture("login_refused.json")))  # type: ignore[method-assign]
    with (
        connector(server) as built,
        pytest.raises(
            AuthError, match=r"LoginResultType -1.*62f0a9c2e5b1a4|62f0a9c2e5b1a4.*LoginResultType -1"
        ),
    ):
        _documents(built)


def test_password_login_uses_validate_user_when_configured() -> None:
    server = FakeK3({})
    with connector(server, credentials={"password": "pw"}) as built:
        assert built.session.login.method == "ValidateUser"
        assert built.session.login.parameters == ("62f0a9c2e5b1a4", "集成用户", "pw", 2052)


def test_the_error_envelope_with_http_200_is_an_error_and_never_rows() -> None:
    server = FakeK3({"SAL_SaleOrder": sale_order_rows()})
    body = json.dumps(fixture("query_error.json"), ensure_ascii=False)
    server.faults.append(lambda data: (200, {}, body))
    with connector(server) as built, pytest.raises(FatalApiError, match=r"字段FFoo不存在.*MsgCode 9"):
        _documents(built)


def test_an_expired_session_signs_in_once_and_the_call_is_sent_again() -> None:
    rows = [r for fid in range(1, 8) for r in _order(fid, 2, f"2026-11-0{fid}T09:00:00")]
    server = FakeK3({"SAL_SaleOrder": rows})

    def expire_after_second_page(fake: FakeK3, data: dict[str, Any]) -> None:
        if len(fake.queries) == 2:
            fake.expire_sessions()

    server.after_query = expire_after_second_page
    store = FakeTokenStore()
    with connector(server, store=store, page_size=4) as built:
        docs = _documents(built)
    assert [d.external_id for d in docs] == [str(f) for f in range(1, 8)]
    assert len(server.logins) == 2
    assert store.tokens["kingdee:kingdee"].access_token == "sess-2"


def test_threads_refused_at_once_share_one_new_sign_in() -> None:
    server = FakeK3({"SAL_SaleOrder": sale_order_rows()})
    with connector(server) as built:
        stream = built.streams()["sales_orders"]
        assert stream.probe("SAL_SaleOrder") == 1
        server.expire_sessions()
        errors: list[BaseException] = []

        def probe() -> None:
            try:
                stream.probe("SAL_SaleOrder")
            except BaseException as exc:  # noqa: BLE001 - collected for the assertion
                errors.append(exc)

        threads = [threading.Thread(target=probe) for _ in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    assert errors == []
    assert len(server.logins) == 2


def test_a_session_refused_right_after_signing_in_is_an_auth_error_not_a_loop() -> None:
    server = FakeK3({"SAL_SaleOrder": sale_order_rows()})
    server._login = lambda request: (
        200,
        {"Set-Cookie": f"{SESSION_COOKIE}=never-valid"},
        json.dumps(fixture("login_ok.json")),
    )  # type: ignore[method-assign]
    with connector(server) as built, pytest.raises(AuthError, match="refused again right after signing in"):
        _documents(built)


@pytest.mark.parametrize("page_size", [2, 3, 4, 5, 7, 2000])
def test_entry_rows_split_across_pages_regroup_into_one_document_per_bill(page_size: int) -> None:
    rows = [
        *_order(1, 1, "2026-11-01T09:00:00"),
        *_order(2, 5, "2026-11-01T09:00:00"),  # straddles pages of 2..5
        *_order(3, 2, "2026-11-02T09:00:00"),
        *_order(4, 3, "2026-11-03T09:00:00"),
    ]
    server = FakeK3({"SAL_SaleOrder": rows})
    with connector(server, page_size=page_size) as built:
        docs = _documents(built)
    assert [(d.external_id, len(d.lines), d.total) for d in docs] == [
        ("1", 1, Decimal("10.00")),
        ("2", 5, Decimal("50.00")),
        ("3", 2, Decimal("20.00")),
        ("4", 3, Decimal("30.00")),
    ]
    assert {d.lines[i].product_external_id for d in docs for i in range(len(d.lines))} >= {"300000", "300004"}


def test_each_page_after_the_first_starts_at_the_last_row_read() -> None:
    rows = [r for fid in range(1, 5) for r in _order(fid, 2, "2026-11-01T09:00:00")]
    server = FakeK3({"SAL_SaleOrder": rows})
    with connector(server, page_size=3) as built:
        _documents(built)
    assert [(q["StartRow"], q["Limit"]) for q in server.queries] == [(0, 3), (2, 3), (4, 3), (6, 3)]


def test_a_bill_deleted_before_the_read_position_is_found_by_the_anchor_and_nothing_is_skipped() -> None:
    rows = [r for fid in range(1, 7) for r in _order(fid, 2, f"2026-11-0{fid}T09:00:00")]
    server = FakeK3({"SAL_SaleOrder": rows})

    def delete_bill_1(fake: FakeK3, data: dict[str, Any]) -> None:
        if len(fake.queries) == 1:  # after the first page: bill 1 is deleted, every row shifts by two
            fake.forms["SAL_SaleOrder"] = [r for r in fake.forms["SAL_SaleOrder"] if r["FID"] != 1]

    server.after_query = delete_bill_1
    with connector(server, page_size=4) as built:
        docs = _documents(built)
    assert sorted({d.external_id for d in docs}) == ["1", "2", "3", "4", "5", "6"]
    assert all(len(d.lines) == 2 for d in docs)
    rebased = [q for q in server.queries if q["FilterString"]]
    assert rebased
    assert rebased[0]["FilterString"] == "FModifyDate >= '2026-11-02 09:00:00'"
    assert rebased[0]["StartRow"] == 0


def test_the_cursor_goes_into_the_filter_in_company_time_with_the_organizations() -> None:
    server = FakeK3({"SAL_SaleOrder": sale_order_rows()})
    with connector(server, org_numbers=["100", "1'01"]) as built:
        _documents(built, since=datetime(2026, 11, 2, 1, 0, 5, 900000, tzinfo=UTC))
    assert server.queries[0]["FilterString"] == (
        "FSaleOrgId.FNumber in ('100','1''01') and FModifyDate >= '2026-11-02 09:00:05'"
    )


def test_the_sweep_lists_every_id_once_in_id_order() -> None:
    rows = [{"FID": fid} for fid in (5, 5, 7, 9, 9, 9, 12)]  # a server that expands entries anyway
    server = FakeK3({"SAL_SaleOrder": rows})
    with connector(server, page_size=2) as built:
        ids = [i for page in built.streams()["sales_orders"].live_ids() for i in page]
    assert ids == ["5", "7", "9", "12"]
    assert {q["FieldKeys"] for q in server.queries} == {"FID"}
    assert {q["OrderString"] for q in server.queries} == {"FID ASC"}


def test_a_limit_above_2000_refused_by_the_server_is_read_with_2000() -> None:
    server = FakeK3({"SAL_SaleOrder": sale_order_rows()})
    refusal = json.dumps(fixture("query_error.json"), ensure_ascii=False)
    server.faults.append(lambda data: (200, {}, refusal) if data["Limit"] > 2000 else None)
    with connector(server, page_size=5000) as built:
        docs = _documents(built)
    assert [d.external_id for d in docs] == ["100001", "100002"]
    assert {q["Limit"] for q in server.queries} == {2000}


def test_a_larger_limit_the_server_caps_silently_still_reads_every_bill() -> None:
    rows = [r for fid in range(1, 6) for r in _order(fid, 3, "2026-11-01T09:00:00")]
    server = FakeK3({"SAL_SaleOrder": rows})
    original = server._query

    def capped(request: Any) -> Any:
        body = json.loads(request.body)
        body["data"]["Limit"] = min(body["data"]["Limit"], 4)
        request.body = json.dumps(body)
        return original(request)

    server._query = capped  # type: ignore[method-assign]
    with connector(server, page_size=3000) as built:
        docs = _documents(built)
    assert [(d.external_id, len(d.lines)) for d in docs] == [(str(f), 3) for f in range(1, 6)]


def test_server_errors_and_truncated_bodies_are_retried() -> None:
    server = FakeK3({"SAL_SaleOrder": sale_order_rows()})
    failures = iter([(500, {}, "oops"), (200, {}, '[[100001, "XSDD')])
    server.faults.append(lambda data: next(failures, None))
    with connector(server) as built:
        docs = _documents(built)
    assert [d.external_id for d in docs] == ["100001", "100002"]


def test_connector_test_warns_about_a_form_answering_no_rows() -> None:
    server = FakeK3(
        {"SAL_SaleOrder": sale_order_rows(), "ORG_Organizations": [{"FNumber": "100", "FName": "总部"}]}
    )
    with connector(server, streams=["sales_orders", "receivables"], org_numbers=["100"]) as built:
        results = said(built.check())
    by_what = {r.what: r for r in results}
    assert by_what["stream sales_orders (SAL_SaleOrder)"].ok
    assert by_what["stream sales_orders (SAL_SaleOrder)"].state == ""
    empty = by_what["stream receivables (AR_receivable)"]
    assert (empty.ok, empty.state) == (True, "empty")
    assert "0 rows — check permission for AR_receivable" in empty.detail
    assert "reading 100; visible: 100 总部" in by_what["organizations"].detail


def test_connector_test_fails_for_an_organization_the_user_does_not_see() -> None:
    server = FakeK3({"ORG_Organizations": [{"FNumber": "100", "FName": "总部"}]})
    with connector(server, streams=["customers"], org_numbers=["200"]) as built:
        results = said(built.check())
    org = next(r for r in results if r.what == "organizations")
    assert not org.ok
    assert "org_numbers 200 not among those the user sees: 100 总部" in org.detail


def test_connector_test_says_only_the_sign_in_failed_when_it_did() -> None:
    server = FakeK3({})
    server._login = lambda request: (200, {}, json.dumps(fixture("login_refused.json")))  # type: ignore[method-assign]
    with connector(server, streams=["customers"]) as built:
        results = said(built.check())
    assert [(r.ok, r.detail) for r in results[1:]] == [
        (False, "skipped: cannot sign in"),
        (False, "skipped: cannot sign in"),
    ]
    assert "LoginResultType -1" in results[0].detail


def test_a_session_kept_in_the_store_is_reused_by_the_next_connector() -> None:
    server = FakeK3({"SAL_SaleOrder": sale_order_rows()})
    store = FakeTokenStore()
    with connector(server, store=store) as built:
        _documents(built)
    with connector(server, store=store) as again:
        _documents(again)
    assert len(server.logins) == 1
    assert store.tokens["kingdee:kingdee"].expires_at > datetime(2026, 12, 1, tzinfo=UTC)


def test_without_the_organizations_form_connector_test_lists_those_on_the_first_page_of_bills() -> None:
    server = FakeK3({"SAL_SaleOrder": sale_order_rows()})
    refusal = json.dumps(fixture("query_error.json"), ensure_ascii=False)
    server.faults.append(lambda data: (200, {}, refusal) if data["FormId"] == "ORG_Organizations" else None)
    with connector(server, streams=["sales_orders"], org_numbers=["100"]) as built:
        found = next(r for r in said(built.check()) if r.what == "organizations")
    assert (found.ok, found.state) == (True, "")
    assert found.detail == (
        "reading 100; visible on the first 2,000 rows of SAL_SaleOrder (ORG_Organizations unreadable): 100"
    )
    with connector(server, streams=["sales_orders"], org_numbers=["200"]) as built:
        sampled = next(r for r in said(built.check()) if r.what == "organizations")
    assert (sampled.ok, sampled.state) == (True, "missing")  # a sample cannot prove it absent
    assert sampled.detail.startswith("org_numbers 200 not among those the user sees on the first 2,000 rows")


def test_lines_served_in_another_order_every_time_fail_the_pass_after_twenty_re_reads_of_one_key() -> None:
    server = FakeK3({"SAL_SaleOrder": _order(1, 5, "2026-11-01T09:00:00")})

    def rotate(fake: FakeK3, data: dict[str, Any]) -> None:
        rows = fake.forms["SAL_SaleOrder"]
        fake.forms["SAL_SaleOrder"] = rows[1:] + rows[:1]

    server.after_query = rotate
    with connector(server, page_size=3) as built, pytest.raises(TransientError, match="rows kept moving"):
        _documents(built)
    rebased = [q for q in server.queries if q["FilterString"]]
    assert len([q for q in rebased if q["StartRow"] == 0]) == 20  # then the 21st is refused
    assert {q["FilterString"] for q in rebased} == {"FModifyDate >= '2026-11-01 09:00:00'"}
