"""The QuickBooks sandbox's data API over real HTTP, checked against the api-notes (§1.3-§1.7), not
against the connector: the query language subset, CDC, Fault errors, limits and minorversion."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
import requests

from connectors.sandbox.quickbooks.app import QuickBooksSandbox, QuickBooksSandboxOptions
from connectors.sandbox.quickbooks.dataset import (
    QuickBooksDataset,
    Sizes,
    generate,
    shared_invoice,
    split_payment,
)
from connectors.sandbox.quickbooks.query import QueryError, parse
from store.canonical import Status

NOW = datetime(2026, 3, 20, tzinfo=UTC)


class Ticks:
    def __init__(self) -> None:
        self.now = 100.0
        self._lock = threading.Lock()

    def __call__(self) -> float:
        with self._lock:
            return self.now


@pytest.fixture(scope="module")
def data() -> QuickBooksDataset:
    return generate(Sizes(customers=20, invoices=150, payments=60, credit_memos=5, sales_receipts=5))


@pytest.fixture
def box(data: QuickBooksDataset) -> Iterator[tuple[QuickBooksSandbox, str, requests.Session]]:
    sandbox = QuickBooksSandbox(data, now=lambda: NOW, options=QuickBooksSandboxOptions(per_second=None))
    with sandbox as url, requests.Session() as session:
        session.headers["Authorization"] = f"Bearer {sandbox.oauth.issue_access()}"
        session.headers["Accept"] = "application/json"
        yield sandbox, f"{url}/v3/company/{sandbox.realm_id}", session


def query(box: Any, statement: str, **params: Any) -> requests.Response:
    _, base, session = box
    return session.get(f"{base}/query", params={"query": statement, "minorversion": 75, **params})


def test_the_query_language_pages_by_startposition_in_lastupdatedtime_order(
    box: Any, data: QuickBooksDataset
) -> None:
    statement = "SELECT * FROM Invoice ORDERBY MetaData.LastUpdatedTime STARTPOSITION {} MAXRESULTS 100"
    first = query(box, statement.format(1)).json()["QueryResponse"]
    second = query(box, statement.format(101)).json()["QueryResponse"]
    assert (first["startPosition"], first["maxResults"], len(first["Invoice"])) == (1, 100, 100)
    assert (second["startPosition"], len(second["Invoice"])) == (101, 50)
    times = [r["MetaData"]["LastUpdatedTime"] for r in first["Invoice"] + second["Invoice"]]
    assert [datetime.fromisoformat(t) for t in times] == sorted(datetime.fromisoformat(t) for t in times)
    assert {r["Id"] for r in first["Invoice"] + second["Invoice"]} == {
        d.external_id for d in data.live("Invoice")
    }
    beyond = query(box, statement.format(151)).json()
    assert beyond["QueryResponse"] == {}  # an empty page has no entity array


def test_where_with_and_in_like_and_count(box: Any, data: QuickBooksDataset) -> None:
    cut = data.live("Invoice")[100].source_modified_at
    assert cut is not None
    since = cut.astimezone(UTC).isoformat()
    rows = query(box, f"SELECT * FROM Invoice WHERE MetaData.LastUpdatedTime >= '{since}' MAXRESULTS 1000")
    later = [d for d in data.live("Invoice") if d.source_modified_at and d.source_modified_at >= cut]
    assert len(rows.json()["QueryResponse"]["Invoice"]) == len(later)
    ids = [d.external_id for d in data.live("Invoice")[:3]]
    found = query(
        box, f"select * from Invoice where Id in ({', '.join(repr(i) for i in ids)}) and TotalAmt > '0'"
    )
    paying = [d.external_id for d in data.live("Invoice")[:3] if d.total]  # not the voided one
    assert sorted(r["Id"] for r in found.json()["QueryResponse"]["Invoice"]) == sorted(paying)
    count = query(box, "SELECT count(*) FROM Invoice").json()["QueryResponse"]["totalCount"]
    assert count == 150
    like = query(box, "SELECT * FROM Invoice WHERE DocNumber LIKE '100%'").json()["QueryResponse"]["Invoice"]
    assert sorted(r["DocNumber"] for r in like) == [str(n) for n in range(1001, 1010)]


def test_maxresults_is_capped_at_1000_and_name_lists_hide_inactive_rows_unless_asked(box: Any) -> None:
    assert parse("SELECT * FROM Invoice MAXRESULTS 5000").max_results == 1000
    active = query(box, "SELECT * FROM Customer MAXRESULTS 1000").json()["QueryResponse"]["Customer"]
    every = query(box, "SELECT * FROM Customer WHERE Active IN (true, false) MAXRESULTS 1000").json()
    assert len(every["QueryResponse"]["Customer"]) == len(active) + 1
    assert [c["Active"] for c in every["QueryResponse"]["Customer"]].count(False) == 1


@pytest.mark.parametrize(
    "statement",
    [
        "SELECT * FROM Invoice WHERE Id = '1' OR Id = '2'",
        "SELECT Id FROM Invoice",
        "SELECT * FROM Invoice, Payment",
        "SELECT * FROM Nothing",
        "SELECT * FROM Invoice GROUP BY Id",
    ],
)
def test_statements_outside_the_language_are_a_validation_fault(box: Any, statement: str) -> None:
    answer = query(box, statement)
    assert answer.status_code == 400
    fault = answer.json()["Fault"]
    assert fault["type"] == "ValidationFault"
    assert fault["Error"][0]["code"] == "4000"
    assert fault["Error"][0]["Message"]
    assert fault["Error"][0]["Detail"]


def test_the_statement_may_be_posted_as_application_text(box: Any) -> None:
    _, base, session = box
    answer = session.post(
        f"{base}/query", params={"minorversion": 75}, data=b"SELECT count(*) FROM Payment",
        headers={"Content-Type": "application/text"},
    )  # fmt: skip
    assert answer.json()["QueryResponse"]["totalCount"] == 60


def test_parser_reads_order_by_both_ways_and_escaped_quotes() -> None:
    q = parse("SELECT * FROM Customer WHERE DisplayName = 'O\\'Brien Ltd' ORDER BY Id DESC STARTPOSITION 3")
    assert (q.where[0].values, q.order, q.start, q.max_results) == (("O'Brien Ltd",), (("Id", True),), 3, 100)
    with pytest.raises(QueryError):
        parse("SELECT * FROM Invoice STARTPOSITION 0")


def test_cdc_returns_changes_and_deletions_and_refuses_a_window_over_30_days() -> None:
    data = generate(Sizes(customers=4, invoices=20, payments=5, credit_memos=0, sales_receipts=0))
    at = data.latest() + timedelta(hours=1)
    gone = data.live("Invoice")[0].external_id
    data.delete("Invoice", gone, at)
    voided = data.void("Invoice", data.live("Invoice")[1].external_id, at)
    sandbox = QuickBooksSandbox(data, now=lambda: at + timedelta(minutes=5))
    with sandbox as url, requests.Session() as session:
        session.headers["Authorization"] = f"Bearer {sandbox.oauth.issue_access()}"
        base = f"{url}/v3/company/{sandbox.realm_id}/cdc"
        body = session.get(base, params={"entities": "Invoice,Payment", "changedSince": at.isoformat(),
                                         "minorversion": 75}).json()  # fmt: skip
        answers = body["CDCResponse"][0]["QueryResponse"]
        rows = {r["Id"]: r for a in answers for r in a.get("Invoice", [])}
        assert set(rows) == {gone, voided.external_id}
        assert rows[gone]["status"] == "Deleted"
        assert "TotalAmt" not in rows[gone]
        assert rows[voided.external_id]["TotalAmt"] == 0
        assert rows[voided.external_id]["PrivateNote"] == "Voided"
        old = session.get(
            base, params={"entities": "Invoice", "changedSince": (at - timedelta(days=31)).isoformat()}
        )
        assert old.status_code == 400
        assert old.json()["Fault"]["type"] == "ValidationFault"


def test_cdc_holds_at_most_1000_objects_in_all() -> None:
    data = generate(Sizes(customers=30, invoices=900, payments=300, credit_memos=0, sales_receipts=0))
    sandbox = QuickBooksSandbox(data, now=data.latest)
    with sandbox as url, requests.Session() as session:
        session.headers["Authorization"] = f"Bearer {sandbox.oauth.issue_access()}"
        since = (data.latest() - timedelta(days=20)).isoformat()
        body = session.get(f"{url}/v3/company/{sandbox.realm_id}/cdc",
                           params={"entities": "Invoice,Payment", "changedSince": since}).json()  # fmt: skip
        answers = body["CDCResponse"][0]["QueryResponse"]
        assert sum(len(a.get("Invoice", [])) + len(a.get("Payment", [])) for a in answers) == 1000


def test_errors_are_faults_401_without_a_valid_token_403_for_another_company(box: Any) -> None:
    sandbox, base, session = box
    unsigned = requests.get(f"{base}/query", params={"query": "SELECT * FROM Invoice"})
    assert unsigned.status_code == 401
    assert unsigned.json()["Fault"]["type"] == "AuthenticationFault"
    other = session.get(f"{sandbox.url}/v3/company/1234/query", params={"query": "SELECT * FROM Invoice"})
    assert other.status_code == 403
    assert other.json()["Fault"]["type"] == "AuthorizationFault"


def test_minorversion_is_recorded_as_sent(box: Any) -> None:
    sandbox, base, session = box
    sandbox.minor_versions.clear()
    query(box, "SELECT count(*) FROM Item")
    session.get(f"{base}/query", params={"query": "SELECT count(*) FROM Item"})
    assert sandbox.minor_versions == {"75": 1, None: 1}


def test_more_than_10_a_second_or_500_a_minute_is_a_429_with_the_xml_throttle_fault(
    data: QuickBooksDataset,
) -> None:
    ticks = Ticks()
    sandbox = QuickBooksSandbox(data, clock=ticks)
    with sandbox as url, requests.Session() as session:
        session.headers["Authorization"] = f"Bearer {sandbox.oauth.issue_access()}"
        get = lambda: session.get(f"{url}/v3/company/{sandbox.realm_id}/query",  # noqa: E731
                                  params={"query": "SELECT count(*) FROM Item"})  # fmt: skip
        assert [get().status_code for _ in range(11)] == [200] * 10 + [429]
        throttled = get()
        assert throttled.headers["Content-Type"] == "application/xml"
        assert b"ThrottleExceeded" in throttled.content
        assert b'code="3001"' in throttled.content
        statuses = []
        for _n in range(600):
            ticks.now += 0.1  # 10 a second: within the second's limit, over the minute's
            statuses.append(get().status_code)
        assert statuses.count(200) <= 500 - 10 + 10  # the minute holds 500 (10 were spent before)
        assert 429 in statuses


def test_the_company_has_the_cases_a_reconciler_must_meet(data: QuickBooksDataset) -> None:
    split = split_payment(data)
    assert len({a.invoice_external_id for a in split.allocations}) == 3
    shared = shared_invoice(data)
    payers = [p for p in data.live("Payment") if any(a.invoice_external_id == shared for a in p.allocations)]
    assert len(payers) == 2
    assert sum(a.amount for p in payers for a in p.allocations if a.invoice_external_id == shared) == next(
        d.total for d in data.live("Invoice") if d.external_id == shared
    )
    assert {d.currency for d in data.live("Invoice")} == {"CNY", "USD", "EUR"}
    assert any(d.status is Status.VOID and d.total == 0 for d in data.live("Invoice"))
    assert any(p.balance == Decimal("500.00") and not p.allocations for p in data.live("Payment"))
