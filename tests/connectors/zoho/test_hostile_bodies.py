"""Hostile bodies (issue 13): a body that cannot be read at all fails the request with a clear reason; one
record carrying an integer too long for Python or bytes that are not UTF-8 is quarantined with the
reason while the rest of its page is written (never an internal error, never silently replaced text)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import responses
from sqlalchemy import Engine

from connectors.errors import FatalApiError
from connectors.http import MAX_INT_DIGITS, HttpClient, OverlongInteger, RetryPolicy, parse_json
from connectors.zoho.crm import build_crm
from store.runs import SqlSyncLog
from sync.engine import SyncEngine
from tests.conftest import FakeTokenStore, FixedClock
from tests.connectors.zoho.helpers import API, add_token, crm_settings, make_deps

INVOICES = f"{API}/crm/v8/Invoices"
FIXTURE = Path(__file__).parents[2] / "fixtures" / "zoho" / "crm_invoice_v8_lowercase_usd.json"


def invoice_text(number: int, **replace: str) -> bytes:
    """One CRM invoice as JSON bytes, with some values replaced by raw JSON text (bytes as they come)."""
    record = json.loads(FIXTURE.read_text(encoding="utf-8"))
    record["id"] = f"57257700{number:011d}"
    record["Invoice_Number"] = f"INV-{number}"
    text = json.dumps(record)
    for field, raw in replace.items():
        before = json.dumps({field: record[field]})[1:-1]
        assert before in text
        text = text.replace(before, f'"{field}": {raw}')
    return text.encode("utf-8")


def page_of(*records: bytes) -> bytes:
    info = b'{"per_page": 200, "count": 3, "more_records": false, "next_page_token": null}'
    return b'{"data": [' + b", ".join(records) + b'], "info": ' + info + b"}"


def test_an_integer_over_pythons_digit_limit_parses_as_an_overlong_integer_not_an_error() -> None:
    parsed = parse_json('{"a": 1' + "0" * MAX_INT_DIGITS + ', "b": -' + "9" * MAX_INT_DIGITS + "}")
    assert isinstance(parsed["a"], OverlongInteger)
    assert len(parsed["a"].digits) == MAX_INT_DIGITS + 1
    assert parsed["b"] == -int("9" * MAX_INT_DIGITS)  # exactly at the limit: an ordinary int


def test_a_body_nested_too_deep_fails_the_request_with_a_clear_reason_not_a_crash() -> None:
    with responses.RequestsMock() as mocked:
        mocked.get(f"{API}/deep", body="[" * 100_000 + "]" * 100_000, content_type="application/json")
        client = HttpClient(
            "crm", interpret=lambda _r, _b: None, retry=RetryPolicy(attempts=3), sleep=lambda _s: None
        )
        with pytest.raises(FatalApiError, match="body nested too deep to read"):
            client.request("GET", f"{API}/deep")
        assert len(mocked.calls) == 1  # the same body would come again: not retried


def test_bytes_that_are_not_utf8_are_kept_visible_not_replaced_by_the_http_loop() -> None:
    with responses.RequestsMock() as mocked:
        mocked.get(f"{API}/x", body=b'{"name": "caf\xe9 \xff"}', content_type="application/json")
        body = HttpClient("crm", interpret=lambda _r, _b: None).request("GET", f"{API}/x").body
    assert body["name"] == "caf\udce9 \udcff"
    assert "\ufffd" not in body["name"]


def test_one_record_with_an_overlong_integer_and_one_with_non_utf8_text_are_quarantined_and_the_page_goes_on(
    engine: Engine, clock: FixedClock
) -> None:
    good = invoice_text(1)
    overlong = invoice_text(2, Grand_Total="1" + "0" * 5000)
    undecodable = invoice_text(3).replace(b"Northwind annual support", b"Northwind \xff\xfe support")
    with responses.RequestsMock() as mocked:
        add_token(mocked)
        mocked.get(f"{INVOICES}/deleted", status=204)  # a first sync reads the deleted list too
        mocked.get(INVOICES, body=page_of(good, overlong, undecodable), content_type="application/json")
        connector = build_crm(crm_settings(streams=["invoices"]), make_deps(FakeTokenStore(), clock))
        (result,) = SyncEngine(engine, clock, parallel_after=None).run_connector(connector)
    assert result.status == "ok", result.error
    assert (result.fetched, result.created, result.quarantined) == (3, 1, 2)
    reasons = {q.external_id: q for q in SqlSyncLog(engine).quarantined("zoho-crm")}
    assert reasons["5725770000000000002"].reason == "Grand_Total: an integer of 5001 digits (over 4300)"
    assert reasons["5725770000000000003"].reason == "Subject: text that is not valid UTF-8 (byte 0xff at 10)"
    assert "\\udcff\\udcfe" in reasons["5725770000000000003"].raw_payload  # kept escaped, not replaced
    assert "1" + "0" * 5000 in reasons["5725770000000000002"].raw_payload
