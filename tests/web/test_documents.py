"""The Document page and the nav's search: a pasted number lands on its document (several: a list to
choose from; none: said so), the page shows the header, lines, allocations, references, every revision
with what changed (the same service as `ledger history`) and the exceptions naming it; vendor text
renders as text in both languages."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import Engine

from config.settings import Settings
from reconcile.report.i18n import Catalogue
from store.canonical import Allocation, DocumentKey, DocumentKind, Line
from store.reconcile_repository import SqlReconcileRepository
from store.repository import SqlLedgerRepository
from store.users import Role
from sync.document_history import describe, revision_diffs
from tests.conftest import FixedClock
from tests.e2e.report_support import store_documents
from tests.unit.reconcile.helpers import invoice
from tests.web.conftest import WebClient, reconcile_hostile_party
from web.routes.documents import document_href

HOSTILE = ("<script>alert(1)</script>", "<img src=x onerror=alert(1)>")
CRM_0002 = "/documents/zoho-crm/invoice/4150868000000624001"


def test_one_match_redirects_to_the_document(viewer: WebClient, reconciled: list[Any]) -> None:
    answer = viewer.get("/documents", params={"q": "  inv-0003 "})
    assert answer.status_code == 303
    assert answer.headers["location"] == "/documents/zoho-crm/invoice/4150868000000624003"
    by_id = viewer.get("/documents", params={"q": "982000000574"})
    assert by_id.headers["location"] == "/documents/zoho-books/invoice/982000000574"


def test_several_matches_are_listed_to_choose_from(viewer: WebClient, reconciled: list[Any]) -> None:
    answer = viewer.get("/documents", params={"q": "INV-0002"}, headers={"Accept-Language": "en"})
    assert answer.status_code == 200
    assert "2 documents are numbered or identified" in answer.text
    assert f'href="{CRM_0002}"' in answer.text
    assert 'href="/documents/zoho-books/invoice/982000000567"' in answer.text


def test_no_match_says_so(viewer: WebClient, reconciled: list[Any]) -> None:
    answer = viewer.get("/documents", params={"q": "INV-9999"}, headers={"Accept-Language": "zh-CN"})
    assert answer.status_code == 404
    assert Catalogue("zh").text("web.document.search.none", name="INV-9999") in answer.text
    missing = viewer.get("/documents/zoho-crm/invoice/nope")
    assert missing.status_code == 404


def test_the_nav_search_box_sends_the_number_to_the_search(viewer: WebClient, reconciled: list[Any]) -> None:
    page = viewer.get("/today").text
    assert 'action="/documents"' in page
    assert 'name="q"' in page


def test_the_page_shows_the_document_its_history_and_its_exceptions(
    viewer: WebClient, reconciled: list[Any], web_engine: Engine
) -> None:
    # a second revision: the CRM's total and lines change
    changed = invoice(
        "zoho-crm",
        "4150868000000624001",
        "INV-0002",
        "260.00",
        lines=(Line(product="Widget 甲", sku="W-1", quantity=Decimal(2), amount=Decimal("260.00")),),
        references={"sales_order": "SO-77"},
    )
    store_documents(web_engine, [changed])
    page = viewer.get(CRM_0002, headers={"Accept-Language": "en"})
    assert page.status_code == 200
    html = page.text
    assert "INV-0002" in html
    assert "Widget 甲" in html
    assert "W-1" in html
    assert "SO-77" in html
    key = DocumentKey(source="zoho-crm", kind=DocumentKind.INVOICE, external_id="4150868000000624001")
    diffs = revision_diffs(SqlLedgerRepository(web_engine).history(key))
    assert [d.revision.revision for d in diffs] == [1, 2]
    assert {c.field for c in diffs[1].changes} >= {"total", "lines", "references"}
    catalogue = Catalogue("en")
    assert catalogue.text("web.document.first_seen", amount=diffs[0].first_amount()) in html
    for change in diffs[1].changes:  # each change the CLI's history line names is on the page
        assert f'<li data-field="{change.field}">' in html
        assert change.label(catalogue) in describe(catalogue, diffs[1])
    exceptions = SqlReconcileRepository(web_engine).list_exceptions(document=key)
    assert exceptions
    for found in exceptions:
        assert f'href="/exceptions/{found.id}"' in html


def test_allocations_link_to_their_target(viewer: WebClient, web_engine: Engine) -> None:
    payment = invoice(
        "zoho-books",
        "p1",
        "PMT-1",
        "50.00",
        kind="payment",
        allocations=(Allocation(invoice_external_id="982000000567", amount=Decimal("50.00")),),
    )
    store_documents(web_engine, [payment])
    html = viewer.get("/documents/zoho-books/payment/p1").text
    assert 'href="/documents/zoho-books/invoice/982000000567"' in html


def test_an_external_id_with_a_slash_round_trips(viewer: WebClient, web_engine: Engine) -> None:
    store_documents(web_engine, [invoice("zoho-books", "2026/10#7?", "INV/2026/7", "5.00")])
    key = DocumentKey(source="zoho-books", kind=DocumentKind.INVOICE, external_id="2026/10#7?")
    answer = viewer.get("/documents", params={"q": "INV/2026/7"})
    assert answer.headers["location"] == document_href(key)
    page = viewer.get(document_href(key))
    assert page.status_code == 200
    assert "INV/2026/7" in page.text


@pytest.mark.parametrize("lang", ["en", "zh"])
@pytest.mark.parametrize("hostile", HOSTILE)
def test_a_hostile_party_name_renders_as_text(
    make_client: Callable[..., WebClient],
    *,
    web_engine: Engine,
    web_settings: Settings,
    web_clock: FixedClock,
    lang: str,
    hostile: str,
) -> None:
    reconcile_hostile_party(web_engine, web_settings, web_clock, hostile)
    client = make_client(Role.VIEWER)
    headers = {"Accept-Language": "en" if lang == "en" else "zh-CN"}
    page = client.get("/documents/zoho-crm/invoice/c1", headers=headers)
    assert page.status_code == 200
    escaped = hostile.replace("<", "&lt;").replace(">", "&gt;")
    assert escaped in page.text  # shown, as text
    assert hostile not in page.text
    assert Catalogue(lang).text("web.document.header") in page.text  # type: ignore[arg-type]
    listing = client.get("/documents", params={"q": "INV-0101"}, headers=headers)
    assert listing.status_code == 200
    assert hostile not in listing.text
    search = client.get("/documents", params={"q": hostile}, headers=headers)  # the query echoed back
    assert search.status_code == 404
    assert hostile not in search.text
