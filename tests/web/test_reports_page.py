"""The Reports pages: order-to-cash and AR ageing with server-drawn SVG charts (a bar per group or
bucket, titled for screen readers), the CLI's source options as selects (every problem said at once),
and downloads in every format and both languages with the CLI's own figures. Party names from a vendor
render as text."""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from openpyxl import load_workbook
from sqlalchemy import Engine

from reconcile.report.csvfile import CSV_ENCODING
from store.users import Role, SqlUserStore
from tests.e2e.report_support import run_cli, store_documents, write_config
from tests.unit.report.report_fixtures import make_doc, o2c_documents
from tests.web.conftest import WebClient, clients_of

PAGES = ("web.routes.session", "web.routes.reports")
XSS = '<script>alert(1)</script><img src=x onerror="alert(2)">'
FORMATS = ("table", "csv", "xlsx", "html", "json")


@pytest.fixture
def ledger(web_engine: Engine) -> None:
    xss = make_doc(
        "invoice",
        "INV-X",
        party=XSS,
        owner="Li",
        total="70.00",
        balance="70.00",
        issued_on=date(2026, 10, 3),
        due_on=date(2026, 10, 10),
    )
    store_documents(web_engine, [*o2c_documents(), xss])


@pytest.fixture
def client_as(
    build_app: Callable[..., FastAPI], user_store: SqlUserStore, web_users: dict[Role, Any]
) -> Iterator[Callable[[Role], WebClient]]:
    with clients_of(build_app(route_modules=PAGES), user_store) as make:
        yield make


@pytest.fixture
def viewer(client_as: Callable[[Role], WebClient]) -> WebClient:
    return client_as(Role.VIEWER)


def _bars(html: str) -> int:
    return len(re.findall(r'<rect class="reports-bar', html))


def _group_rows(html: str) -> int:
    table = html.split('<table class="reports-table">', 1)[1]
    return table.count("<tr>") - 1  # less the heading row; total lines carry a class


def _cli_json(capsys: pytest.CaptureFixture[str], tmp_path: Path, database_url: str, *args: str) -> Any:
    ran = run_cli(capsys, write_config(tmp_path, database_url), ["report", *args, "--json"])
    assert ran.status == 0, ran.err
    return json.loads(ran.out)


def test_o2c_page_shows_the_figures_a_bar_per_group_and_party_names_as_text(
    viewer: WebClient, ledger: None
) -> None:
    page = viewer.get("/reports/o2c", params={"as_of": "2026-11-20"}, headers={"Accept-Language": "en"})
    assert page.status_code == 200
    html = page.text
    assert "1,000.00" in html  # Acme's orders, as the CLI shows them
    assert '<title id="reports-chart-1">Outstanding per Customer (CNY)</title>' in html
    assert len(re.findall(r"<svg ", html)) == 2  # CNY and USD
    assert _bars(html) == 4  # CNY: Acme, Beta, the XSS party; USD: Acme
    assert "<script>alert(1)" not in html
    assert "<img src=x" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;&lt;img src=x onerror=" in html
    collected = viewer.get("/reports/o2c", params={"measure": "collected", "by": "salesperson"}).text
    assert _bars(collected) == _group_rows(collected)  # a bar per salesperson and currency
    assert (
        "销售人员"
        in viewer.get("/reports/o2c", params={"by": "salesperson"}, headers={"Accept-Language": "zh-CN"}).text
    )


def test_aging_page_draws_a_bar_per_bucket_for_each_currency(viewer: WebClient, ledger: None) -> None:
    page = viewer.get("/reports/aging", params={"as_of": "2026-11-20"}, headers={"Accept-Language": "en"})
    assert page.status_code == 200
    assert len(re.findall(r"<svg ", page.text)) == 2
    assert _bars(page.text) == 10  # five buckets, CNY and USD
    assert "<title>Over 90 days: USD 200.00</title>" in page.text or "USD 200.00" in page.text


@pytest.mark.parametrize("kind", ["o2c", "aging"])
def test_the_json_download_is_the_clis_json_report(
    viewer: WebClient,
    *,
    ledger: None,
    kind: str,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    database_url: str,
) -> None:
    cli = _cli_json(capsys, tmp_path, database_url, kind, "--lang", "en", "--as-of", "2026-11-20")
    answer = viewer.get(
        f"/reports/{kind}/download", params={"fmt": "json", "lang": "en", "as_of": "2026-11-20"}
    )
    assert answer.status_code == 200
    web = answer.json()
    assert web["sections"] == cli["sections"]
    assert [m for m in web["meta"] if "generated" not in json.dumps(m)] == [
        m for m in cli["meta"] if "generated" not in json.dumps(m)
    ]


@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize("kind", ["o2c", "aging"])
def test_every_download_format_parses_in_both_languages(
    viewer: WebClient, ledger: None, kind: str, lang: str
) -> None:
    got = {
        fmt: viewer.get(f"/reports/{kind}/download", params={"fmt": fmt, "lang": lang, "as_of": "2026-11-20"})
        for fmt in FORMATS
    }
    for fmt, answer in got.items():
        assert answer.status_code == 200, fmt
        assert f'filename="{kind}-{lang}.' in answer.headers["content-disposition"]
    customer = "客户" if lang == "zh" else "Customer"
    rows = list(csv.reader(io.StringIO(got["csv"].content.decode(CSV_ENCODING))))
    assert rows[0][0] == customer
    assert any(row[0] == "Acme" for row in rows)
    assert any(row[0] == XSS for row in rows)  # data stays data in a CSV
    book = load_workbook(io.BytesIO(got["xlsx"].content))
    values = [row for sheet in book.worksheets for row in sheet.iter_rows(values_only=True)]
    assert any(row[:1] == (customer,) for row in values)
    assert any("Acme" in row for row in values)
    document = got["json"].json()
    assert document["sections"][0]["rows"]
    assert "Acme" in got["table"].text
    assert "<html" in got["html"].text.lower()
    assert "<script>alert(1)</script>" not in got["html"].text


def test_sources_are_selects_and_every_missing_choice_is_said_at_once(
    viewer: WebClient, ledger: None, web_engine: Engine
) -> None:
    store_documents(
        web_engine,
        [
            make_doc(
                "sales_order", "SO-9", source="shop", party="Acme", total="1.00", issued_on=date(2026, 10, 1)
            ),
            make_doc(
                "invoice", "INV-9", source="shop", party="Acme", total="1.00", issued_on=date(2026, 10, 1)
            ),
        ],
    )
    page = viewer.get("/reports/o2c", headers={"Accept-Language": "en"})
    assert page.status_code == 400
    assert "--orders-from" in page.text
    assert "--invoices-from" in page.text  # both problems in one message
    assert re.search(r'<select name="orders_from" multiple', page.text)
    assert '<option value="shop">' in page.text
    chosen = viewer.get(
        "/reports/o2c",
        params={"orders_from": "books", "invoices_from": ["books", "shop"]},
        headers={"Accept-Language": "en"},
    )
    assert chosen.status_code == 200
    assert '<option value="shop" selected>' in chosen.text
    unknown = viewer.get("/reports/aging", params={"invoices_from": "nowhere"})
    assert unknown.status_code == 400
    assert "nowhere" in unknown.text


def test_anonymous_readers_go_to_login(
    client_as: Callable[[Role], WebClient], build_app: Callable[..., FastAPI], user_store: SqlUserStore
) -> None:
    anon = WebClient(build_app(route_modules=PAGES), user_store)
    assert anon.get("/reports/o2c").status_code == 303
    assert anon.get("/reports/o2c/download", params={"fmt": "csv"}).status_code == 303
    anon.close()
