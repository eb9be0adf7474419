"""The Kingdee K/3 Cloud sandbox over real HTTP with plain `requests`, against the api-notes §12:
logins and LoginResultType, the `kdservice-sessionid` cookie, errors as data with HTTP 200, paging over
entry rows, FilterString/OrderString, permission profiles, session expiry, hard deletes, exact money."""

from __future__ import annotations

import json
import re
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
import requests

from connectors.sandbox.kingdee import KingdeeSandbox, KingdeeSandboxOptions
from connectors.sandbox.kingdee.dataset import RECEIPT, RECEIVABLE, SALES_ORDER
from connectors.sandbox.server import FaultPlan
from tests.sandbox.kingdee_http import (
    PASSWORD_LOGIN,
    QUERY,
    T0,
    error_of,
    logged_in,
    login,
    query,
    small_account,
    url,
)

ORDER_KEYS = "FID,FBillNo,FSaleOrderEntry_FEntryID,FAllAmount"


# ----------------------------------------------------------------------------- login


def test_login_by_app_secret_succeeds_only_with_result_type_1_and_sets_the_session_cookie() -> None:
    sandbox = KingdeeSandbox(small_account())
    with sandbox:
        answer = login(sandbox)
        assert answer.status_code == 200
        body = answer.json()
        assert body["LoginResultType"] == 1
        assert body["KDSVCSessionId"]
        assert answer.cookies.get("kdservice-sessionid") == body["KDSVCSessionId"]
        wrong = login(sandbox, appsecret="not-the-secret")
        assert wrong.status_code == 200
        assert wrong.json()["LoginResultType"] == 0
        assert wrong.json()["Message"]
        assert "kdservice-sessionid" not in wrong.cookies
        nowhere = login(sandbox, acctid="no-such-data-center")
        assert nowhere.json()["LoginResultType"] == -1
        assert sandbox.stats.logins == 1


def test_named_login_keys_and_validate_user_with_a_password_where_the_tenant_allows_it() -> None:
    sandbox = KingdeeSandbox(small_account())
    with sandbox:
        opts = sandbox.options
        assert login(sandbox, named=True).json()["LoginResultType"] == 1
        body = {"parameters": [sandbox.dataset.acct_id, opts.user_name, opts.password, 2052]}
        assert (
            requests.post(url(sandbox, PASSWORD_LOGIN), json=body, timeout=10).json()["LoginResultType"] == 1
        )
        sandbox.options.password_login = False  # a tenant opened after 2022-11-29 (UNVERIFIED)
        refused = requests.post(url(sandbox, PASSWORD_LOGIN), json=body, timeout=10)
        assert refused.status_code == 200
        assert refused.json()["LoginResultType"] != 1
        assert "kdservice-sessionid" not in refused.cookies


def test_a_login_result_type_other_than_1_can_come_with_a_cookie_so_only_the_type_says_success() -> None:
    sandbox = KingdeeSandbox(small_account(), options=KingdeeSandboxOptions(login_result_type=2))
    with sandbox:
        answer = login(sandbox)
        assert answer.json()["LoginResultType"] == 2
        assert answer.json()["IsSuccessByAPI"] is False
        assert answer.cookies.get("kdservice-sessionid")


def test_one_session_cookie_serves_many_calls_from_many_threads() -> None:
    sandbox = KingdeeSandbox(small_account())
    with sandbox:
        session = logged_in(sandbox)
        with ThreadPoolExecutor(4) as pool:
            answers = list(pool.map(lambda _: query(session, sandbox, SALES_ORDER, "FID"), range(16)))
        assert all(len(rows) == 3 for rows in answers)
        assert sandbox.stats.logins == 1
        assert sandbox.stats.sessions_lost == 0


# ----------------------------------------------------------------------------- errors and sessions


def test_errors_are_data_with_http_200_and_a_msgcode() -> None:
    sandbox = KingdeeSandbox(small_account())
    with sandbox:
        session = logged_in(sandbox)
        unknown_field = error_of(query(session, sandbox, SALES_ORDER, "FID,FNoSuchField"))
        assert "FNoSuchField" in unknown_field["Errors"][0]["Message"]
        assert unknown_field["MsgCode"] == 9
        assert error_of(query(session, sandbox, "SAL_NoSuchForm", "FID"))["Errors"]
        bad_filter = error_of(query(session, sandbox, SALES_ORDER, "FID", FilterString="FID >>= 1"))
        assert bad_filter["MsgCode"] == 4
        assert error_of(query(session, sandbox, SALES_ORDER, "FID", Limit="many"))["MsgCode"] == 8


def test_no_or_unknown_session_is_answered_as_a_lost_session_envelope() -> None:
    sandbox = KingdeeSandbox(small_account())
    with sandbox:
        for client in (requests, _with_cookie("deadbeef")):
            status = error_of(query(client, sandbox, SALES_ORDER, "FID"))
            assert status["MsgCode"] == 1
            assert status["Errors"][0]["Message"] == "会话信息已丢失，请重新登录"
        sandbox.options.session_lost_msgcode = False
        assert "MsgCode" not in error_of(query(requests, sandbox, SALES_ORDER, "FID"))


def _with_cookie(value: str) -> requests.Session:
    session = requests.Session()
    session.cookies.set("kdservice-sessionid", value)
    return session


def test_a_session_dies_after_n_calls_and_a_new_login_renews_it() -> None:
    sandbox = KingdeeSandbox(small_account(), options=KingdeeSandboxOptions(session_max_calls=2))
    with sandbox:
        session = logged_in(sandbox)
        assert len(query(session, sandbox, SALES_ORDER, "FID")) == 3
        assert len(query(session, sandbox, SALES_ORDER, "FID")) == 3
        assert error_of(query(session, sandbox, SALES_ORDER, "FID"))["MsgCode"] == 1
        assert login(sandbox, session).json()["LoginResultType"] == 1  # the new cookie replaces the old
        assert len(query(session, sandbox, SALES_ORDER, "FID")) == 3
        assert sandbox.stats.logins == 2


def test_a_session_dies_t_seconds_after_its_login() -> None:
    now = [1000.0]
    sandbox = KingdeeSandbox(
        small_account(), options=KingdeeSandboxOptions(session_ttl=600), clock=lambda: now[0]
    )
    with sandbox:
        session = logged_in(sandbox)
        now[0] += 599
        assert len(query(session, sandbox, SALES_ORDER, "FID")) == 3
        now[0] += 1
        assert error_of(query(session, sandbox, SALES_ORDER, "FID"))["MsgCode"] == 1
        other = logged_in(sandbox)
        assert sandbox.expire_sessions() == 1
        assert error_of(query(other, sandbox, SALES_ORDER, "FID"))["MsgCode"] == 1


def test_signed_header_calls_without_a_session_are_not_trusted() -> None:
    """SDK v3 signatures cannot be verified from the notes: such a call is a lost session."""
    sandbox = KingdeeSandbox(small_account())
    with sandbox:
        headers = {
            "X-Api-ClientID": "300001",
            "X-Api-Auth-Version": "2.0",
            "X-Api-Signature": "c2lnbmF0dXJl",
            "X-Kd-Appkey": sandbox.options.app_id,
        }
        answer = requests.post(
            url(sandbox, QUERY),
            json={"data": {"FormId": SALES_ORDER, "FieldKeys": "FID"}},
            headers=headers,
            timeout=10,
        )
        assert answer.status_code == 200
        assert error_of(answer.json())["MsgCode"] == 1


# ----------------------------------------------------------------------------- rows and paging


def test_entry_fields_expand_one_row_per_line_and_pages_split_a_bills_lines() -> None:
    sandbox = KingdeeSandbox(small_account(bills=3, lines=3))
    with sandbox:
        session = logged_in(sandbox)
        every = query(session, sandbox, SALES_ORDER, ORDER_KEYS, OrderString="FID")
        assert len(every) == 9
        assert [row[0] for row in every] == [100001] * 3 + [100002] * 3 + [100003] * 3
        assert len({row[2] for row in every}) == 9  # one row per entry line
        first = query(session, sandbox, SALES_ORDER, ORDER_KEYS, OrderString="FID", StartRow=0, Limit=4)
        second = query(session, sandbox, SALES_ORDER, ORDER_KEYS, OrderString="FID", StartRow=4, Limit=4)
        last = query(session, sandbox, SALES_ORDER, ORDER_KEYS, OrderString="FID", StartRow=8, Limit=4)
        assert [row[0] for row in first] == [100001, 100001, 100001, 100002]
        assert [row[0] for row in second] == [100002, 100002, 100003, 100003]
        assert first + second + last == every
        assert query(session, sandbox, SALES_ORDER, ORDER_KEYS, StartRow=9, Limit=4) == []
        heads = query(session, sandbox, SALES_ORDER, "FID,FBillNo,FBillAllAmount")
        assert len(heads) == 3  # head fields only: one row per bill


def test_the_query_goes_under_data_as_an_object_or_a_json_string_or_under_parameters() -> None:
    sandbox = KingdeeSandbox(small_account(bills=2, lines=1))
    with sandbox:
        session = logged_in(sandbox)
        wanted = {"FormId": SALES_ORDER, "FieldKeys": "FID,FBillNo", "OrderString": "FID"}
        expected = [[100001, "XSDD000001"], [100002, "XSDD000002"]]
        for body in (
            {"data": wanted},
            {"data": json.dumps(wanted)},
            {"parameters": [wanted]},
            {"parameters": [json.dumps(wanted)]},
            {"FormId": SALES_ORDER, "data": {"FieldKeys": "FID,FBillNo", "OrderString": "FID"}},
        ):
            assert session.post(url(sandbox, QUERY), json=body, timeout=10).json() == expected
        bare = session.post(url(sandbox, QUERY), json=wanted, timeout=10)
        assert error_of(bare.json())["MsgCode"] == 8
        sandbox.options.accept_bare_query = True
        assert session.post(url(sandbox, QUERY), json=wanted, timeout=10).json() == expected
        objects = session.post(
            url(sandbox, "DynamicFormService.BillQuery"), json={"data": wanted}, timeout=10
        )
        assert objects.json() == [
            {"FID": 100001, "FBillNo": "XSDD000001"},
            {"FID": 100002, "FBillNo": "XSDD000002"},
        ]
        assert error_of(query(session, sandbox, SALES_ORDER, ""))["MsgCode"] == 8


def test_limit_is_capped_at_2000_or_refused_when_configured() -> None:
    sandbox = KingdeeSandbox(small_account(bills=700, lines=3))
    with sandbox:
        session = logged_in(sandbox)
        assert len(query(session, sandbox, SALES_ORDER, ORDER_KEYS, Limit=5000)) == 2000
        assert len(query(session, sandbox, SALES_ORDER, ORDER_KEYS, StartRow=2000, Limit=2000)) == 100
        assert len(query(session, sandbox, SALES_ORDER, ORDER_KEYS, TopRowCount=10, Limit=100)) == 10
        sandbox.options.over_limit = "error"
        assert error_of(query(session, sandbox, SALES_ORDER, ORDER_KEYS, Limit=2001))["MsgCode"] == 8
        sandbox.options.max_limit = 10_000  # patch 23.11+
        assert len(query(session, sandbox, SALES_ORDER, ORDER_KEYS, Limit=5000)) == 2100


def test_filter_by_modify_date_and_order_by_modify_date_then_fid() -> None:
    data = small_account(bills=4, lines=2)
    sandbox = KingdeeSandbox(data)
    with sandbox:
        session = logged_in(sandbox)
        later = query(
            session,
            sandbox,
            SALES_ORDER,
            "FID,FModifyDate",
            FilterString="FModifyDate >= '2026-09-01 12:00:00'",
            OrderString="FModifyDate, FID",
        )
        assert [row[0] for row in later] == [100003, 100004]  # head fields only: a row per bill
        assert later[0][1] == "2026-09-01T12:00:00"  # server local time, no offset
        data.touch(SALES_ORDER, 100001, T0 + timedelta(hours=5))  # saved again: FModifyDate moves
        data.touch(SALES_ORDER, 100002, T0 + timedelta(hours=5))  # the same instant: FID breaks the tie
        moved = query(
            session,
            sandbox,
            SALES_ORDER,
            "FID",
            FilterString="FModifyDate >= '2026-09-01T13:00:00'",
            OrderString="FModifyDate, FID",
        )
        assert [row[0] for row in moved] == [100004, 100001, 100002]
        descending = query(session, sandbox, SALES_ORDER, "FID", OrderString="FModifyDate DESC, FID DESC")
        assert [row[0] for row in descending] == [100002, 100001, 100004, 100003]
        approved = query(
            session,
            sandbox,
            SALES_ORDER,
            "FBillNo",
            FilterString="FDocumentStatus = 'C' and FCancelStatus = 'A' and FBillNo IN ('XSDD000001', 'XSDD000003')",
        )
        assert sorted({row[0] for row in approved}) == ["XSDD000001", "XSDD000003"]


def test_hard_deletes_make_bills_vanish() -> None:
    data = small_account(bills=3, lines=2)
    sandbox = KingdeeSandbox(data)
    with sandbox:
        session = logged_in(sandbox)
        data.delete(SALES_ORDER, 100002)
        rows = query(session, sandbox, SALES_ORDER, "FID,FDocumentStatus")
        assert {row[0] for row in rows} == {100001, 100003}
        assert data.deleted() == [(SALES_ORDER, 100002)]


def test_a_form_the_user_may_not_read_answers_empty_or_an_error_as_configured() -> None:
    from connectors.sandbox.kingdee import KingdeeSpec, generate_kingdee_company

    company = generate_kingdee_company(KingdeeSpec(customers=5, orders=30, seed=4))
    options = KingdeeSandboxOptions(
        empty_forms=frozenset({RECEIVABLE}), forbidden_forms=frozenset({"IV_SALESIC"})
    )
    sandbox = KingdeeSandbox(company.dataset, options=options)
    with sandbox:
        session = logged_in(sandbox)
        assert company.dataset.count(RECEIVABLE) > 0
        assert query(session, sandbox, RECEIVABLE, "FID,FBillNo") == []  # some versions: empty, no error
        assert error_of(query(session, sandbox, "IV_SALESIC", "FID"))["MsgCode"] == 2
        assert query(session, sandbox, SALES_ORDER, "FID")  # other forms unaffected


# ----------------------------------------------------------------------------- money and faults


def test_money_is_exact_json_decimals_in_bill_and_base_currency() -> None:
    sandbox = KingdeeSandbox(small_account(bills=1, lines=1))
    with sandbox:
        session = logged_in(sandbox)
        keys = "FTaxPrice,FPrice,FAmount,FEntryTaxAmount,FAllAmount,FSettleCurrId.FNumber,FSettleCurrId.FCode,FExchangeRate,FBillAllAmount_LC"
        answer = session.post(
            url(sandbox, QUERY), json={"data": {"FormId": SALES_ORDER, "FieldKeys": keys}}, timeout=10
        )
        assert answer.text == '[[113.00, 100.000000, 100.00, 13.00, 113.00, "PRE001", "CNY", 1, 113.00]]'
        [row] = json.loads(answer.text, parse_float=Decimal)
        assert row[4] == row[2] + row[3]
        sandbox.options.decimal_scale = 10
        scaled = session.post(
            url(sandbox, QUERY), json={"data": {"FormId": SALES_ORDER, "FieldKeys": "FAllAmount"}}, timeout=10
        )
        assert scaled.text == "[[113.0000000000]]"


def test_faults_answer_500_html_or_cut_the_body() -> None:
    sandbox = KingdeeSandbox(small_account(), faults=FaultPlan(rate_500=1.0))
    with sandbox:
        failed = login(sandbox)
        assert failed.status_code == 500
        assert failed.headers["Content-Type"].startswith("text/html")
        sandbox.faults = FaultPlan(rate_truncated=1.0)
        with pytest.raises(requests.exceptions.RequestException):
            login(sandbox).json()


def test_the_token_expiry_fault_kills_the_session_mid_run_but_never_on_its_first_call() -> None:
    sandbox = KingdeeSandbox(small_account(), faults=FaultPlan(rate_token_expiry=1.0))
    with sandbox:
        session = logged_in(sandbox)
        assert len(query(session, sandbox, SALES_ORDER, "FID")) == 3
        assert error_of(query(session, sandbox, SALES_ORDER, "FID"))["MsgCode"] == 1


def test_two_entries_of_a_receipt_give_every_combination_and_an_entry_filter_filters_lines() -> None:
    from connectors.sandbox.kingdee import KingdeeSpec, generate_kingdee_company

    company = generate_kingdee_company(KingdeeSpec(customers=10, orders=200, seed=9))
    receipt = next(r for r in company.dataset.bills(RECEIPT) if len(r.allocations) == 2)
    sandbox = KingdeeSandbox(company.dataset)
    with sandbox:
        session = logged_in(sandbox)
        where = f"FID = {receipt.fid}"
        sources = query(session, sandbox, RECEIPT, "FID,FSRCBILLID,FREALRECAMOUNT", FilterString=where)
        assert sorted((row[1], Decimal(str(row[2]))) for row in sources) == sorted(
            (a.source_fid, a.amount) for a in receipt.allocations
        )
        settled = query(session, sandbox, RECEIPT, "FID,FSETTLETYPEID.FNumber", FilterString=where)
        assert settled == [[receipt.fid, "JSFS04_SYS"]]
        both = query(
            session,
            sandbox,
            RECEIPT,
            "FRECEIVEBILLENTRY_FEntryID,FRECEIVEBILLSRCENTRY_FEntryID",
            FilterString=where,
        )
        assert len(both) == 1 * 2  # the join of one settlement line and two source lines
        order = company.dataset.bills(SALES_ORDER)[0]
        material = order.lines[0].material
        lines = query(
            session,
            sandbox,
            SALES_ORDER,
            "FID,FMaterialId.FNumber",
            FilterString=f"FID = {order.fid} AND FMaterialId.FNumber = '{material}'",
        )
        assert lines == [[order.fid, material]]


def _readme_keys() -> dict[str, set[str]]:
    """Form -> every field key README.md's table lists for it (the client engineer's reference)."""
    text = (Path(__file__).parents[2] / "connectors/sandbox/kingdee/README.md").read_text(encoding="utf-8")
    common = text.split("Every bill form: ", 1)[1].split(", and:", 1)[0]
    keys: dict[str, set[str]] = {}
    for line in text.splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if len(cells) != 4 or not (cells[0].startswith(("SAL_", "AR_", "IV_", "BD_"))):
            continue
        named = set(re.findall(r"\bF[A-Za-z_0-9]+\b", " ".join(cells[1:])))
        for form in cells[0].split(" / "):
            keys[form] = named | (set() if form.startswith("BD_") else set(re.findall(r"F\w+", common)))
    return keys


def test_every_field_key_the_readme_lists_is_served_for_its_form() -> None:
    from connectors.sandbox.kingdee import KingdeeSpec, generate_kingdee_company

    listed = _readme_keys()
    assert set(listed) == {
        SALES_ORDER,
        RECEIVABLE,
        RECEIPT,
        "IV_SALESIC",
        "IV_SALESOC",
        "BD_Customer",
        "BD_MATERIAL",
    }
    entities = {
        "FSaleOrderEntry",
        "FEntityDetail",
        "FRECEIVEBILLENTRY",
        "FRECEIVEBILLSRCENTRY",
        "FSALESICENTRY",
        "FSALESOCENTRY",
    }
    company = generate_kingdee_company(KingdeeSpec(customers=5, orders=40, seed=2))
    sandbox = KingdeeSandbox(company.dataset)
    with sandbox:
        session = logged_in(sandbox)
        for form, keys in listed.items():
            fields = sorted(keys - entities)
            rows = query(session, sandbox, form, ",".join(fields), Limit=5)
            assert isinstance(rows[0], list), (form, rows)
            assert len(rows[0]) == len(fields)
