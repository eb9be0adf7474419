"""Plain-`requests` helpers for the Kingdee sandbox tests: the WebAPI's URLs, a login, a query, and a
small hand-built account whose bills and lines are known."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import requests

from connectors.sandbox.kingdee import KingdeeDataset, KingdeeSandbox
from connectors.sandbox.kingdee.dataset import (
    CANCEL_ACTIVE,
    SALES_ORDER,
    BillFacts,
    CustomerFacts,
    MaterialFacts,
    make_line,
    totals,
)

LOGIN = "AuthService.LoginByAppSecret"
PASSWORD_LOGIN = "AuthService.ValidateUser"
QUERY = "DynamicFormService.ExecuteBillQuery"
T0 = datetime(2026, 9, 1, 2, 0, tzinfo=UTC)
"""10:00 in Shanghai: the first bill's FModifyDate is "2026-09-01T10:00:00"."""


def url(sandbox: KingdeeSandbox, operation: str) -> str:
    return f"{sandbox.server_url}/Kingdee.BOS.WebApi.ServicesStub.{operation}.common.kdsvc"


def login(
    sandbox: KingdeeSandbox, session: requests.Session | None = None, *, named: bool = False, **override: Any
) -> requests.Response:
    """LoginByAppSecret with the sandbox's credentials (`override` replaces some): `{"parameters": [...]}`,
    or with `named` the keys acctid/username/appid/appsecret/lcid."""
    opts = sandbox.options
    values = {
        "acctid": sandbox.dataset.acct_id,
        "username": opts.user_name,
        "appid": opts.app_id,
        "appsecret": opts.app_secret,
        "lcid": 2052,
        **override,
    }
    body = values if named else {"parameters": list(values.values())}
    return (session or requests).post(url(sandbox, LOGIN), json=body, timeout=10)


def logged_in(sandbox: KingdeeSandbox) -> requests.Session:
    session = requests.Session()
    answer = login(sandbox, session)
    assert answer.json()["LoginResultType"] == 1
    return session


def query(session: requests.Session | Any, sandbox: KingdeeSandbox, form: str, keys: str, **data: Any) -> Any:
    """ExecuteBillQuery's parsed answer (rows, or an error envelope), checking the HTTP status is 200."""
    answer = session.post(
        url(sandbox, QUERY), json={"data": {"FormId": form, "FieldKeys": keys, **data}}, timeout=30
    )
    assert answer.status_code == 200
    return answer.json()


def error_of(answer: Any) -> dict[str, Any]:
    """The ResponseStatus of an error envelope `[[{"Result":{"ResponseStatus":{...}}}]]`."""
    status = answer[0][0]["Result"]["ResponseStatus"]
    assert status["IsSuccess"] is False
    return dict(status)


def small_account(bills: int = 3, lines: int = 3) -> KingdeeDataset:
    """`bills` CNY sales orders of `lines` lines each, FModifyDate one hour apart from T0 (FIDs ascending),
    1 unit x 113.00 with tax at 13 % per line: every line is 100.00 + 13.00."""
    data = KingdeeDataset()
    data.put_customer(CustomerFacts(data.new_master_id(), "CUST00001", "上海明辉贸易有限公司"))
    data.put_material(MaterialFacts(data.new_master_id(), "SEN-A1", "工业传感器 A1"))
    for n in range(bills):
        entries = [
            make_line(
                data.new_entry_id(),
                "SEN-A1",
                Decimal(1),
                Decimal("113.00"),
                tax_rate=Decimal(13),
                tax_inclusive=True,
                exchange_rate=Decimal(1),
            )
            for _ in range(lines)
        ]
        at = T0 + timedelta(hours=n)
        data.put(
            BillFacts(
                form=SALES_ORDER,
                fid=data.new_fid(),
                number=f"XSDD{n + 1:06d}",
                bill_date=date(2026, 9, 1),
                customer="CUST00001",
                currency="CNY",
                exchange_rate=Decimal(1),
                tax_inclusive=True,
                document_status="C",
                cancel_status=CANCEL_ACTIVE,
                created_at=at,
                modified_at=at,
                lines=tuple(entries),
                **totals(entries),
            )
        )
    return data
