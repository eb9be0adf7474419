"""The Queue page (/queue): every filter narrows, sorting, paging, Mine/Unassigned, bulk actions
through the CLI's lifecycle path with per-row refusals and one audit row each, the viewer's read-only
page, CSV/XLSX exports of the filter, vendor text rendered as text, both languages."""

from __future__ import annotations

import csv
import html
import io
import json
import re
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from openpyxl import load_workbook
from sqlalchemy import Engine, select, update

from config.settings import Settings
from store.audit_log import list_audit
from store.canonical import DocumentKind
from store.discrepancies import Discrepancy, DiscrepancyType, DocumentRef, ExceptionAction, ExceptionStatus
from store.reconcile_repository import ExceptionChange, ReconcileRunRecord, SqlReconcileRepository
from store.reconcile_tables import reconcile_exceptions
from sync.reconcile_job import run_rules
from tests.conftest import FixedClock
from tests.e2e.report_support import store_documents
from tests.unit.reconcile.helpers import invoice
from tests.web.conftest import WebClient

XSS = '<script>alert(1)</script><img src=x onerror="alert(2)">'


def ids(page: Any) -> list[int]:
    assert page.status_code == 200, page.text
    return [int(x) for x in re.findall(r'<tr class="queue-row" data-id="(\d+)"', page.text)]


@pytest.fixture
def ledger(web_settings: Settings, web_engine: Engine, web_clock: FixedClock) -> dict[str, int]:
    """Five open exceptions of `crm-vs-books`, by document number, with different customers, amounts,
    ages, assignees and issue dates:

    | number | type | customer | |difference| | first seen | assignee | issued |
    | INV-0002 | amount_mismatch | Acme Trading | 45 | today | 李娜 | 2026-10-03 |
    | INV-0003 | missing_in_right | ＢＥＩＪＩＮＧ Widgets (full width) | 40 | 20 days ago | rui | 2026-10-03 |
    | INV-0004 | missing_in_left | <script>… (XSS) | 7 | 100 days ago | nobody | 2026-10-03 |
    | INV-0006 | amount_mismatch | Globex 上海 | 300 | 40 days ago | 李娜 | 2026-10-20 |
    | INV-0007 | missing_in_right | Initech | 1200 | today | nobody | 2026-09-10 (moved) |
    """
    store_documents(
        web_engine,
        [
            invoice("zoho-crm", "c2", "INV-0002", "250.00"),
            invoice("zoho-books", "b2", "INV-0002", "205.00"),
            invoice("zoho-crm", "c3", "INV-0003", "40.00", party="ＢＥＩＪＩＮＧ Widgets"),
            invoice("zoho-books", "b4", "INV-0004", "7.00", party=XSS),
            invoice(
                "zoho-crm", "c6", "INV-0006", "1000.00", party="Globex 上海", issued_on=date(2026, 10, 20)
            ),
            invoice(
                "zoho-books", "b6", "INV-0006", "1300.00", party="Globex 上海", issued_on=date(2026, 10, 20)
            ),
            invoice("zoho-crm", "c7", "INV-0007", "1200.00", party="Initech"),
        ],
    )
    run_rules(web_engine, web_settings, clock=web_clock)
    found = numbers(web_engine)
    now = web_clock()
    e = reconcile_exceptions.c
    with web_engine.begin() as conn:
        for number, days in (("INV-0003", 20), ("INV-0004", 100), ("INV-0006", 40)):
            conn.execute(
                update(reconcile_exceptions)
                .where(e.id == found[number])
                .values(first_seen_at=now - timedelta(days=days))
            )
        conn.execute(update(reconcile_exceptions).where(e.id == found["INV-0003"]).values(assignee="rui"))
        conn.execute(
            update(reconcile_exceptions)
            .where(e.id.in_([found["INV-0004"], found["INV-0007"]]))
            .values(assignee=None)
        )
        conn.execute(
            update(reconcile_exceptions).where(e.id == found["INV-0007"]).values(issued_on=date(2026, 9, 10))
        )
    assert len(found) == 5
    return found


def numbers(engine: Engine) -> dict[str, int]:
    e = reconcile_exceptions.c
    with engine.connect() as conn:
        rows = conn.execute(select(e.id, e.left_docs, e.right_docs)).all()
    return {(json.loads(left) or json.loads(right))[0]["number"]: id_ for id_, left, right in rows}


def listed(client: WebClient, ledger: dict[str, int], query: str) -> list[str]:
    """The numbers the page lists for a query string, in page order."""
    by_id = {v: k for k, v in ledger.items()}
    return [by_id[i] for i in ids(client.get("/queue?" + query))]


# ----------------------------------------------------------------------------- filters, one each


def test_default_is_every_open_exception_oldest_first(viewer: WebClient, ledger: dict[str, int]) -> None:
    assert listed(viewer, ledger, "") == ["INV-0004", "INV-0006", "INV-0003", "INV-0002", "INV-0007"]


def test_rule_filter(viewer: WebClient, ledger: dict[str, int]) -> None:
    assert len(listed(viewer, ledger, "rule=crm-vs-books")) == 5
    assert listed(viewer, ledger, "rule=another-rule") == []


def test_type_filter(viewer: WebClient, ledger: dict[str, int]) -> None:
    assert sorted(listed(viewer, ledger, "type=amount_mismatch")) == ["INV-0002", "INV-0006"]
    assert listed(viewer, ledger, "type=missing_in_left") == ["INV-0004"]


def test_status_filter_defaults_to_open_and_empty_means_any(
    reviewer: WebClient, ledger: dict[str, int]
) -> None:
    reviewer.post_form("/queue/bulk", {"action": "acknowledge", "ids": str(ledger["INV-0002"])})
    assert "INV-0002" not in listed(reviewer, ledger, "")
    assert listed(reviewer, ledger, "status=acknowledged") == ["INV-0002"]
    assert len(listed(reviewer, ledger, "status=")) == 5


def test_assignee_filter_by_name_me_and_none(reviewer: WebClient, ledger: dict[str, int]) -> None:
    assert sorted(listed(reviewer, ledger, "assignee=李娜")) == ["INV-0002", "INV-0006"]
    assert listed(reviewer, ledger, "assignee=me") == ["INV-0003"]  # rui
    assert listed(reviewer, ledger, "assignee=none") == ["INV-0004", "INV-0007"]


def test_period_filter_reads_the_issue_date(viewer: WebClient, ledger: dict[str, int]) -> None:
    assert listed(viewer, ledger, "period=2026-09") == ["INV-0007"]
    assert "INV-0007" not in listed(viewer, ledger, "period=2026-10")
    assert len(listed(viewer, ledger, "period=2026-Q3")) == 1
    assert len(listed(viewer, ledger, "period=2026")) == 5


def test_party_filter_ignores_case_and_width(viewer: WebClient, ledger: dict[str, int]) -> None:
    assert listed(viewer, ledger, "party=beijing") == ["INV-0003"]  # stored full-width, upper case
    assert listed(viewer, ledger, "party=ＧＬＯＢＥＸ") == ["INV-0006"]  # asked full-width
    assert listed(viewer, ledger, "party=上海") == ["INV-0006"]
    assert listed(viewer, ledger, "party=nobody-has-this") == []


def test_amount_range_on_the_absolute_difference(viewer: WebClient, ledger: dict[str, int]) -> None:
    assert sorted(listed(viewer, ledger, "min_amount=41")) == ["INV-0002", "INV-0006", "INV-0007"]
    assert sorted(listed(viewer, ledger, "max_amount=40")) == ["INV-0003", "INV-0004"]
    assert listed(viewer, ledger, "min_amount=300&max_amount=300") == ["INV-0006"]  # bounds inclusive
    assert listed(viewer, ledger, "min_amount=1,000") == ["INV-0007"]


def test_age_buckets_in_days_since_first_seen(viewer: WebClient, ledger: dict[str, int]) -> None:
    assert sorted(listed(viewer, ledger, "age=0-7")) == ["INV-0002", "INV-0007"]
    assert listed(viewer, ledger, "age=8-30") == ["INV-0003"]
    assert listed(viewer, ledger, "age=31-90") == ["INV-0006"]
    assert listed(viewer, ledger, "age=90%2B") == ["INV-0004"]


def test_free_text_over_numbers_explanation_and_party(viewer: WebClient, ledger: dict[str, int]) -> None:
    assert listed(viewer, ledger, "q=inv-0006") == ["INV-0006"]
    assert listed(viewer, ledger, "q=initech") == ["INV-0007"]
    assert sorted(listed(viewer, ledger, "q=no+counterpart")) == ["INV-0003", "INV-0004", "INV-0007"]
    assert listed(viewer, ledger, "q=100%25") == []  # a LIKE wildcard is a character, not a pattern


def test_a_filter_that_cannot_be_read_is_ignored_and_named(viewer: WebClient, ledger: dict[str, int]) -> None:
    page = viewer.get("/queue?min_amount=lots&age=forever&period=someday")
    assert len(ids(page)) == 5
    assert "min_amount" in page.text
    assert "age" in page.text
    assert "period" in page.text


def test_filters_combine(viewer: WebClient, ledger: dict[str, int]) -> None:
    assert listed(viewer, ledger, "type=amount_mismatch&min_amount=100&assignee=李娜") == ["INV-0006"]


# ----------------------------------------------------------------------------- sort, tabs, paging


def test_sort_by_amount_and_age(viewer: WebClient, ledger: dict[str, int]) -> None:
    assert listed(viewer, ledger, "sort=-amount") == [
        "INV-0007",
        "INV-0006",
        "INV-0002",
        "INV-0003",
        "INV-0004",
    ]
    assert listed(viewer, ledger, "sort=amount") == [
        "INV-0004",
        "INV-0003",
        "INV-0002",
        "INV-0006",
        "INV-0007",
    ]
    assert listed(viewer, ledger, "sort=age")[:3] == ["INV-0007", "INV-0002", "INV-0003"]
    assert listed(viewer, ledger, "sort=-age")[0] == "INV-0004"


def test_mine_and_unassigned_tabs(reviewer: WebClient, ledger: dict[str, int]) -> None:
    page = reviewer.get("/queue?type=missing_in_right")
    assert 'href="/queue?type=missing_in_right&amp;assignee=me"' in page.text
    assert 'href="/queue?type=missing_in_right&amp;assignee=none"' in page.text
    mine = reviewer.get("/queue?type=missing_in_right&assignee=me")
    assert re.search(r'assignee=me"\s+aria-current="page"', mine.text)
    assert listed(reviewer, ledger, "type=missing_in_right&assignee=me") == ["INV-0003"]
    assert listed(reviewer, ledger, "type=missing_in_right&assignee=none") == ["INV-0007"]


def seed(engine: Engine, count: int, now: datetime) -> None:
    """`count` open exceptions of rule `bulk` through the store's run write, amounts 1..count."""
    found = [
        Discrepancy(
            rule="bulk",
            type=DiscrepancyType.MISSING_IN_RIGHT,
            left=(
                DocumentRef(source="s", kind=DocumentKind.INVOICE, external_id=str(n), number=f"B-{n:04d}"),
            ),
            left_amount=Decimal(n),
            difference=Decimal(n),
            currency="CNY",
            explanation=f"B-{n:04d} has no counterpart",
        )
        for n in range(1, count + 1)
    ]
    run = ReconcileRunRecord("bulk", "match", "all", count, 0, 0, {"missing_in_right": count}, {}, now, now)
    changes = [
        ExceptionChange(d.fingerprint, ExceptionStatus.OPEN, ExceptionAction.OPENED, None, d) for d in found
    ]
    SqlReconcileRepository(engine).save_run(run, [], changes, owner=None, actor="test", now=now)


def test_paging_boundaries(viewer: WebClient, web_engine: Engine, web_clock: FixedClock) -> None:
    seed(web_engine, 101, web_clock())
    first = viewer.get("/queue?rule=bulk&sort=amount")
    assert len(ids(first)) == 50
    assert "101 exceptions" in first.text
    assert "Page 1 of 3" in first.text
    assert 'rel="prev"' not in first.text
    assert 'href="/queue?rule=bulk&amp;sort=amount&amp;page=2"' in first.text
    second = viewer.get("/queue?rule=bulk&sort=amount&page=2")
    assert len(ids(second)) == 50
    assert set(ids(first)).isdisjoint(ids(second))
    last = viewer.get("/queue?rule=bulk&sort=amount&page=3")
    assert len(ids(last)) == 1
    assert 'rel="next"' not in last.text
    beyond = viewer.get("/queue?rule=bulk&sort=amount&page=99")  # past the end: the last page
    assert ids(beyond) == ids(last)
    assert "Page 3 of 3" in beyond.text
    assert len(ids(viewer.get("/queue?rule=bulk&page=0"))) == 50
    every = ids(first) + ids(second) + ids(last)
    assert len(set(every)) == 101


# ----------------------------------------------------------------------------- bulk actions


def test_bulk_acknowledge_reports_refusals_per_row_and_audits_each_done(
    reviewer: WebClient, ledger: dict[str, int], web_engine: Engine
) -> None:
    a, b, c = ledger["INV-0002"], ledger["INV-0003"], ledger["INV-0004"]
    reviewer.post_form("/queue/bulk", {"action": "acknowledge", "ids": str(b)})  # already acknowledged
    before = len(list_audit(web_engine, limit=1000, action="exception."))
    answer = reviewer.post(
        "/queue/bulk",
        data={
            "csrf_token": reviewer.csrf,
            "action": "acknowledge",
            "ids": [str(a), str(b), str(c), "999999"],
        },
    )
    assert answer.status_code == 200
    assert "2 done." in answer.text
    assert f"exception {b}: cannot acknowledge it while it is Acknowledged (only when Open)" in answer.text
    assert "exception 999999: there is no such exception" in answer.text
    entries = list_audit(web_engine, limit=1000, action="exception.")
    new = entries[: len(entries) - before]
    assert sorted(x.detail["exception"] for x in new) == sorted([a, c])
    for entry in new:
        assert entry.actor == "rui"
        assert entry.action == "exception.acknowledged"
        assert entry.detail["from"] == "open"
        assert entry.detail["to"] == "acknowledged"
        assert set(entry.detail) == {
            "exception",
            "rule",
            "type",
            "from",
            "to",
            "note",
            "assignee",
            "resolution_kind",
        }
    repo = SqlReconcileRepository(web_engine)
    assert {repo.get_exception(x).status for x in (a, b, c)} == {ExceptionStatus.ACKNOWLEDGED}  # type: ignore[union-attr]


def test_bulk_assign(reviewer: WebClient, ledger: dict[str, int], web_engine: Engine) -> None:
    picked = [ledger["INV-0004"], ledger["INV-0007"]]
    answer = reviewer.post(
        "/queue/bulk",
        data={
            "csrf_token": reviewer.csrf,
            "action": "assign",
            "assignee": "王芳",
            "ids": [str(i) for i in picked],
        },
    )
    assert "2 done." in answer.text
    repo = SqlReconcileRepository(web_engine)
    assert [repo.get_exception(i).assignee for i in picked] == ["王芳", "王芳"]  # type: ignore[union-attr]
    audits = list_audit(web_engine, limit=2, action="exception.assigned")
    assert {x.detail["assignee"] for x in audits} == {"王芳"}
    assert {x.actor for x in audits} == {"rui"}
    assert listed(reviewer, ledger, "assignee=王芳") == ["INV-0004", "INV-0007"]


def test_bulk_resolve_applies_one_note_and_kind_and_refuses_resolved_ones(
    reviewer: WebClient, ledger: dict[str, int], web_engine: Engine
) -> None:
    a, b = ledger["INV-0002"], ledger["INV-0006"]
    data = {
        "csrf_token": reviewer.csrf,
        "action": "resolve",
        "kind": "written_off",
        "note": "small, written off",
    }
    reviewer.post("/queue/bulk", data={**data, "ids": [str(a)]})
    answer = reviewer.post(
        "/queue/bulk", data={**data, "ids": [str(a), str(b)], "back": "?status=&sort=amount"}
    )
    assert "1 done." in answer.text
    assert f"exception {a}: cannot resolve it while it is Resolved" in answer.text
    repo = SqlReconcileRepository(web_engine)
    for exc_id in (a, b):
        found = repo.get_exception(exc_id)
        assert found is not None
        assert found.status is ExceptionStatus.RESOLVED
        assert (found.resolution_kind, found.resolution_note) == ("written_off", "small, written off")
        assert repo.events(exc_id)[-1].actor == "rui"
    audits = list_audit(web_engine, limit=10, action="exception.resolved")
    assert sorted(x.detail["exception"] for x in audits) == sorted([a, b])
    assert {x.detail["note"] for x in audits} == {"small, written off"}
    assert (
        '<option value="" selected>' in answer.text.split('name="status"')[1][:200]
    )  # the page it came from


@pytest.mark.parametrize(
    ("data", "says"),
    [
        ({"action": "resolve", "kind": "accepted", "note": " "}, "Resolving needs a note."),
        ({"action": "resolve", "kind": "made-up", "note": "n"}, "Choose a resolution."),
        ({"action": "assign", "assignee": ""}, "Name whom to assign to."),
        ({"action": "explode"}, "The request was not understood."),
    ],
)
def test_bulk_refuses_an_incomplete_form_and_changes_nothing(
    reviewer: WebClient, ledger: dict[str, int], web_engine: Engine, data: dict[str, str], says: str
) -> None:
    answer = reviewer.post_form("/queue/bulk", {**data, "ids": str(ledger["INV-0002"])})
    assert answer.status_code == 400
    assert says in answer.text
    assert reviewer.post_form("/queue/bulk", {"action": "acknowledge"}).status_code == 400
    assert list_audit(web_engine, limit=10, action="exception.") == []


def test_viewer_sees_no_checkbox_or_button_and_a_post_is_refused(
    viewer: WebClient, ledger: dict[str, int], web_engine: Engine
) -> None:
    page = viewer.get("/queue")
    assert len(ids(page)) == 5
    for marker in ('type="checkbox"', "queue-bulk", 'name="action"', "/queue/bulk"):
        assert marker not in page.text
    answer = viewer.post_form("/queue/bulk", {"action": "acknowledge", "ids": str(ledger["INV-0002"])})
    assert answer.status_code == 403
    assert SqlReconcileRepository(web_engine).get_exception(ledger["INV-0002"]).status is ExceptionStatus.OPEN  # type: ignore[union-attr]


# ----------------------------------------------------------------------------- export


def test_csv_export_holds_the_filtered_exceptions(viewer: WebClient, ledger: dict[str, int]) -> None:
    answer = viewer.get("/queue/export.csv?type=amount_mismatch&min_amount=100")
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/csv")
    assert "attachment" in answer.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(answer.content.decode("utf-8-sig"))))
    assert [r["Exception"] for r in rows] == [str(ledger["INV-0006"])]
    assert rows[0]["Customer"] == "Globex 上海"
    assert rows[0]["Left document"] == "INV-0006"
    every = list(csv.DictReader(io.StringIO(viewer.get("/queue/export.csv").content.decode("utf-8-sig"))))
    assert sorted(int(r["Exception"]) for r in every) == sorted(ledger.values())


def test_xlsx_export_in_the_readers_language(viewer: WebClient, ledger: dict[str, int]) -> None:
    viewer.post_form("/account/lang", {"lang": "zh"})
    answer = viewer.get("/queue/export.xlsx?party=initech")
    assert answer.status_code == 200
    book = load_workbook(io.BytesIO(answer.content), read_only=True)
    found: list[list[Any]] = []
    for sheet in book.worksheets:
        found += [list(row) for row in sheet.iter_rows(values_only=True)]
    text = json.dumps(found, ensure_ascii=False, default=str)
    assert "INV-0007" in text
    assert "INV-0006" not in text
    assert "INV-0002" not in text
    assert "差异编号" in text
    assert "客户" in text


# ----------------------------------------------------------------------------- text, languages


def test_vendor_party_names_render_as_text(viewer: WebClient, ledger: dict[str, int]) -> None:
    page = viewer.get("/queue?type=missing_in_left")
    assert "<script>alert(1)" not in page.text
    assert "<img src=x" not in page.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;&lt;img src=x onerror=" in page.text
    search = viewer.get("/queue?q=" + "<script>")
    assert "&lt;script&gt;" in search.text
    assert '<script>"' not in search.text
    assert ids(search) == [ledger["INV-0004"]]


def test_page_in_chinese_and_english(viewer: WebClient, ledger: dict[str, int]) -> None:
    english = viewer.get("/queue")
    assert "Oldest first" in english.text
    assert "5 exceptions" in english.text
    assert "Amount mismatch" in english.text
    viewer.post_form("/account/lang", {"lang": "zh"})
    chinese = viewer.get("/queue")
    assert '<html lang="zh-CN">' in chinese.text
    for text in ("待办队列", "最早发现优先", "共 5 条差异", "金额不符", "未指派", "我的"):
        assert text in chinese.text
    assert "Oldest first" not in chinese.text


def test_reviewer_page_has_the_bulk_form_and_the_keyboard_script(
    reviewer: WebClient, ledger: dict[str, int]
) -> None:
    page = reviewer.get("/queue")
    assert page.text.count('class="queue-pick"') == 5
    assert 'id="queue-all"' in page.text
    assert '<script src="/static/queue.js" defer></script>' in page.text
    assert "<script>" not in page.text  # nothing inline: the CSP allows none
    script = reviewer.get("/static/queue.js")
    assert script.status_code == 200
    assert 'event.key === "j"' in script.text


def test_a_very_long_explanation_is_stored_and_still_found_by_number(
    viewer: WebClient, web_engine: Engine, web_clock: FixedClock
) -> None:
    """The free-text column is in a covering index: PostgreSQL refuses index rows over ~2,700 bytes, so
    the column keeps its first 1,200 bytes (numbers before the explanation)."""
    found = Discrepancy(
        rule="long",
        type=DiscrepancyType.MISSING_IN_RIGHT,
        left=(DocumentRef(source="s", kind=DocumentKind.INVOICE, external_id="x", number="LONG-1"),),
        difference=Decimal(5),
        currency="CNY",
        explanation="".join(chr(0x4E00 + (i * 7919) % 20_000) for i in range(3_000)),  # incompressible
    )
    run = ReconcileRunRecord("long", "match", "all", 1, 0, 0, {}, {}, web_clock(), web_clock())
    change = ExceptionChange(found.fingerprint, ExceptionStatus.OPEN, ExceptionAction.OPENED, None, found)
    SqlReconcileRepository(web_engine).save_run(run, [], [change], owner=None, actor="t", now=web_clock())
    assert len(ids(viewer.get("/queue?q=long-1"))) == 1


def test_an_exception_opened_from_the_queue_leads_back_to_the_same_filter(
    viewer: WebClient, ledger: dict[str, int]
) -> None:
    page = viewer.get("/queue?assignee=none&sort=amount")
    links = re.findall(r'<a href="(/exceptions/\d+\?back=[^"]+)"', page.text)
    assert links, "no exception link carries the queue's filter"
    opened = viewer.get(html.unescape(links[0]))
    back = re.search(r'<p class="exception-back"><a href="([^"]+)"', opened.text)
    assert back is not None
    assert html.unescape(back[1]).startswith("/queue?")
    assert "sort=amount" in html.unescape(back[1])
    assert "assignee=none" in html.unescape(back[1])
