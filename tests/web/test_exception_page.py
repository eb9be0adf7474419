"""The Exception page (/exceptions/{id}): both documents side by side with the differing field marked,
the tolerance that applied, the explanation in the reader's language (the CLI's and the reports' words),
the revisions, the timeline and comments; the review actions through the CLI's path (one audit row
each, the web user as actor), htmx partial updates, refusals in the reader's language; viewers see no
action and are refused one; unknown ids are 404; vendor text is text."""

from __future__ import annotations

import html
import re
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, event

from config.settings import Settings
from reconcile.report.explain import explanation
from reconcile.report.i18n import Catalogue
from store.audit_log import AuditEntry, list_audit
from store.reconcile_repository import SqlReconcileRepository, StoredException
from store.users import Role
from sync.reconcile_job import run_rules
from tests.conftest import FixedClock
from tests.e2e.report_support import run_cli, store_documents, write_config
from tests.unit.reconcile.helpers import invoice
from tests.web.conftest import RULE, WebClient

ZH = {"Accept-Language": "zh-CN,zh;q=0.9"}
EN = {"Accept-Language": "en"}


def _by_type(engine: Engine, type_: str) -> StoredException:
    found = [e for e in SqlReconcileRepository(engine).list_exceptions() if e.type == type_]
    assert len(found) == 1, found
    return found[0]


def _main(page: Any) -> str:
    """The page's <main> (the top bar's own forms — language, logout — are not the page's)."""
    return str(page.text).split('<main id="main">', 1)[1]


def _exception_rows(engine: Engine) -> list[AuditEntry]:
    return list(reversed(list_audit(engine, limit=10_000, action="exception.")))


# ----------------------------------------------------------------------------- what the page shows


def test_both_documents_side_by_side_with_the_differing_field_marked_and_the_tolerance(
    reviewer: WebClient, reconciled: Any, web_engine: Engine
) -> None:
    found = _by_type(web_engine, "amount_mismatch")
    page = reviewer.get(f"/exceptions/{found.id}", headers=EN)
    assert page.status_code == 200
    main = _main(page)
    left, right = main.split("Left · zoho-crm", 1)[1].split("Right · zoho-books", 1)
    assert 'href="/documents/zoho-crm/invoice/4150868000000624001"' in left
    assert 'href="/documents/zoho-books/invoice/982000000567"' in right
    for side, total in ((left, "CNY 250.00"), (right, "CNY 205.00")):
        marked = re.search(
            r'<tr class="exception-differs" data-field="(\w+)">.*?<mark>(.*?)</mark>', side, re.S
        )
        assert marked is not None
        assert marked.groups() == ("total", total)
        assert 'class="exception-differs" data-field="party"' not in side  # the same customer: not marked
    assert re.search(r'data-tolerance="amount"><dt>Amount</dt><dd>0.01</dd>', main)
    assert re.search(r'data-tolerance="days"><dt>[^<]+</dt><dd>0</dd>', main)
    assert 'data-tolerance="fx_percent"' in main
    assert "Revision history (1)" in main


def test_the_explanation_is_the_clis_in_the_readers_language_with_the_same_figures(
    make_client: Any, reconciled: Any, web_engine: Engine, web_settings: Settings
) -> None:
    found = _by_type(web_engine, "amount_mismatch")
    client = make_client(Role.VIEWER)
    sides = ("zoho-crm", "zoho-books")
    said = {}
    for lang, headers in (("en", EN), ("zh", ZH)):
        page = client.get(f"/exceptions/{found.id}", headers=headers)
        text = html.unescape(
            re.search(r'<p class="exception-explanation">(.*?)</p>', page.text, re.S).group(1)
        )
        assert text == explanation(found.discrepancy(), Catalogue(lang), sides)
        said[lang] = text
    assert said["en"] != said["zh"]
    assert "differ" in said["en"]
    assert "金额" in said["zh"]
    figures = re.compile(r"\d+\.\d\d")
    assert figures.findall(said["en"]) == figures.findall(said["zh"]) == ["250.00", "205.00", "45.00"]
    zh_page = client.get(f"/exceptions/{found.id}", headers=ZH).text
    assert '<html lang="zh-CN">' in zh_page
    assert "适用的容差" in zh_page
    assert "左方 · zoho-crm" in zh_page


def test_a_finding_with_one_document_says_the_other_side_has_none(
    viewer: WebClient, reconciled: Any, web_engine: Engine
) -> None:
    found = _by_type(web_engine, "missing_in_right")
    main = _main(viewer.get(f"/exceptions/{found.id}", headers=EN))
    right = main.split("Right · zoho-books", 1)[1]
    assert "No document on this side." in right.split("</section>", 1)[0]
    assert 'href="/documents/zoho-crm/invoice/4150868000000624003"' in main


# ----------------------------------------------------------------------------- the actions


def _act(client: WebClient, ident: int, action: str, data: dict[str, str] | None = None) -> Any:
    answer = client.htmx_post(f"/exceptions/{ident}/{action}", data or {}, headers=EN)
    assert answer.status_code == 200, answer.text
    assert "<html" not in answer.text  # the review block alone
    assert answer.text.lstrip().startswith('<section id="exception-review"')
    return answer


def _status(answer: Any) -> str:
    return re.search(r'data-status="(\w+)"', answer.text).group(1)  # type: ignore[union-attr]


def _events(answer: Any) -> list[str]:
    return re.findall(r'<li data-event="(\w+)">', answer.text)


@pytest.mark.parametrize(
    ("action", "data", "status", "event", "detail"),
    [
        ("acknowledge", {"note": "looking"}, "acknowledged", "acknowledged", {"note": "looking"}),
        ("assign", {"assignee": "vera"}, "open", "assigned", {"assignee": "vera"}),
        (
            "resolve",
            {"kind": "accepted", "note": "credit note CN-7"},
            "resolved",
            "resolved",
            {"resolution_kind": "accepted", "note": "credit note CN-7"},
        ),
        ("comment", {"note": "asked Books"}, "open", "commented", {"note": "asked Books"}),
    ],
)
def test_each_action_changes_the_exception_adds_an_event_and_one_audit_row_by_the_web_user(  # noqa: PLR0917 - fixtures and parameters
    reviewer: WebClient,
    reconciled: Any,
    web_engine: Engine,
    action: str,
    data: dict[str, str],
    status: str,
    event: str,
    detail: dict[str, str],
) -> None:
    found = _by_type(web_engine, "amount_mismatch")
    before = len(_exception_rows(web_engine))
    answer = _act(reviewer, found.id, action, data)
    assert _status(answer) == status
    assert _events(answer) == ["opened", event]
    rows = _exception_rows(web_engine)[before:]
    assert [(r.actor, r.action) for r in rows] == [("rui", f"exception.{event}")]
    assert {k: rows[0].detail[k] for k in detail} == detail
    assert rows[0].detail["exception"] == found.id
    assert SqlReconcileRepository(web_engine).events(found.id)[-1].actor == "rui"


def test_reopen_after_resolve_and_a_plain_form_post_redirects_back_to_the_page(
    reviewer: WebClient, reconciled: Any, web_engine: Engine
) -> None:
    found = _by_type(web_engine, "amount_mismatch")
    posted = reviewer.post_form(
        f"/exceptions/{found.id}/resolve",
        {"kind": "false_positive", "note": "same invoice", "back": "status=open&rule=crm-vs-books"},
    )
    assert posted.status_code == 303
    assert posted.headers["location"] == f"/exceptions/{found.id}?back=status%3Dopen%26rule%3Dcrm-vs-books"
    assert 'href="/queue?status=open&amp;rule=crm-vs-books"' in reviewer.get(posted.headers["location"]).text
    before = len(_exception_rows(web_engine))
    answer = _act(reviewer, found.id, "reopen")
    assert _status(answer) == "open"
    assert _events(answer) == ["opened", "resolved", "reopened"]
    assert [(r.actor, r.action) for r in _exception_rows(web_engine)[before:]] == [
        ("rui", "exception.reopened")
    ]


def test_a_refused_action_is_said_in_the_readers_language_and_records_nothing(
    reviewer: WebClient, reconciled: Any, web_engine: Engine
) -> None:
    found = _by_type(web_engine, "amount_mismatch")
    _act(reviewer, found.id, "resolve", {"kind": "accepted", "note": "ok"})
    before = len(_exception_rows(web_engine))
    again = reviewer.htmx_post(
        f"/exceptions/{found.id}/resolve", {"kind": "accepted", "note": "again"}, headers=ZH
    )
    assert again.status_code == 200  # htmx swaps 2xx answers only: the refusal comes in the block
    problem = re.search(r'<p class="error exception-problem" role="alert">(.*?)</p>', again.text).group(1)  # type: ignore[union-attr]
    assert (
        html.unescape(problem) == f"差异 {found.id}：当前状态为已解决，不能解决（仅在已确认或待处理时可以）"
    )
    page = reviewer.post_form(f"/exceptions/{found.id}/acknowledge", {}, headers=EN)
    assert page.status_code == 409
    assert "cannot acknowledge it while it is Resolved (only when Open)" in page.text
    blank = reviewer.htmx_post(f"/exceptions/{found.id}/comment", {"note": "   "}, headers=ZH)
    assert "评论差异需要填写备注" in blank.text
    assert len(_exception_rows(web_engine)) == before
    bad_kind = reviewer.post_form(f"/exceptions/{found.id}/resolve", {"kind": "bribed", "note": "x"})
    assert bad_kind.status_code == 400


# ----------------------------------------------------------------------------- who may act


def test_a_viewer_sees_no_action_and_is_refused_one(
    viewer: WebClient, reviewer: WebClient, reconciled: Any, web_engine: Engine
) -> None:
    found = _by_type(web_engine, "amount_mismatch")
    main = _main(viewer.get(f"/exceptions/{found.id}"))
    assert "<form" not in main
    assert "<button" not in main
    assert "<form" in _main(reviewer.get(f"/exceptions/{found.id}"))
    before = len(_exception_rows(web_engine))
    for action, data in (
        ("acknowledge", {}),
        ("assign", {"assignee": "vera"}),
        ("resolve", {"kind": "accepted", "note": "x"}),
        ("reopen", {}),
        ("comment", {"note": "x"}),
    ):
        assert viewer.post_form(f"/exceptions/{found.id}/{action}", data).status_code == 403
        assert viewer.htmx_post(f"/exceptions/{found.id}/{action}", data).status_code == 403
    assert len(_exception_rows(web_engine)) == before
    assert SqlReconcileRepository(web_engine).get_exception(found.id).status.value == "open"  # type: ignore[union-attr]


@pytest.mark.parametrize("ident", ["999999", "0", "abc", "99999999999999999999999", "-1"])
def test_an_unknown_exception_is_404_in_the_readers_language(
    reviewer: WebClient, reconciled: Any, ident: str
) -> None:
    zh = reviewer.get(f"/exceptions/{ident}", headers=ZH)
    assert zh.status_code == 404
    assert f"没有编号为 {ident} 的差异。" in zh.text
    en = reviewer.get(f"/exceptions/{ident}", headers=EN)
    assert en.status_code == 404
    assert f"There is no exception {ident}." in en.text
    assert reviewer.htmx_post(f"/exceptions/{ident}/comment", {"note": "x"}).status_code == 404


# ----------------------------------------------------------------------------- comments and the CLI


def test_a_comment_appears_in_the_thread_and_in_exceptions_show(  # noqa: PLR0917 - fixtures
    reviewer: WebClient,
    reconciled: Any,
    web_engine: Engine,
    database_url: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    found = _by_type(web_engine, "amount_mismatch")
    answer = _act(reviewer, found.id, "comment", {"note": "Books says 45.00 is freight"})
    thread = answer.text.split('<ul class="exception-comments">', 1)[1]
    assert "<strong>rui</strong>" in thread
    assert "Books says 45.00 is freight" in thread
    assert "Books says 45.00 is freight" in reviewer.get(f"/exceptions/{found.id}").text
    config = write_config(tmp_path, database_url)
    rule = "\n".join(f"      {line}" for line in _yaml_rule().splitlines())
    config.write_text(
        config.read_text(encoding="utf-8") + f"reconcile:\n  rules:\n    -\n{rule}\n", encoding="utf-8"
    )
    shown = run_cli(capsys, config, ["--lang", "en", "exceptions", "show", str(found.id)])
    assert shown.status == 0, shown.err
    assert "rui  commented  Open -> Open — Books says 45.00 is freight" in shown.out


def _yaml_rule() -> str:
    return (
        f"name: {RULE['name']}\n"
        "left: {source: zoho-crm, kind: invoice}\n"
        "right: {source: zoho-books, kind: invoice}\n"
        "keys: [number]\n"
        "period: 2026-10\n"
        "audit: []"
    )


# ----------------------------------------------------------------------------- vendor text is text


HOSTILE_PARTY = "<script>alert('party')</script>"
HOSTILE_NUMBER = '<img src=x onerror="alert(1)">'


def test_vendor_text_and_comments_render_as_text(
    reviewer: WebClient, web_engine: Engine, web_settings: Settings, web_clock: FixedClock
) -> None:
    store_documents(
        web_engine,
        [
            invoice("zoho-crm", "crm-x", HOSTILE_NUMBER, "100.00", party=HOSTILE_PARTY),
            invoice("zoho-books", "books-x", HOSTILE_NUMBER, "90.00", party=HOSTILE_PARTY),
        ],
    )
    run_rules(web_engine, web_settings, clock=web_clock)
    found = _by_type(web_engine, "amount_mismatch")
    _act(reviewer, found.id, "comment", {"note": "<script>alert('note')</script>"})
    page = reviewer.get(f"/exceptions/{found.id}").text
    assert "<script>alert" not in page
    assert "<img src=x" not in page
    assert "&lt;script&gt;alert(&#39;party&#39;)&lt;/script&gt;" in page
    assert "&lt;img src=x onerror=" in page
    assert "&lt;script&gt;alert(&#39;note&#39;)&lt;/script&gt;" in page


# ----------------------------------------------------------------------------- cost


def test_the_page_reads_the_exception_and_its_events_by_their_keys_only(
    reviewer: WebClient, reconciled: Any, web_engine: Engine
) -> None:
    """No listing or count of exceptions: the page costs the same with 100,000 of them (bench/web.py
    times it)."""
    found = _by_type(web_engine, "amount_mismatch")
    statements: list[str] = []

    def seen(conn: Any, cursor: Any, statement: str, *rest: Any) -> None:
        statements.append(" ".join(statement.split()))

    event.listen(web_engine, "before_cursor_execute", seen)
    try:
        assert reviewer.get(f"/exceptions/{found.id}").status_code == 200
        assert reviewer.htmx_post(f"/exceptions/{found.id}/comment", {"note": "x"}).status_code == 200
    finally:
        event.remove(web_engine, "before_cursor_execute", seen)
    reads = [s for s in statements if s.startswith("SELECT") and "FROM reconcile_exceptions" in s]
    assert reads
    assert all("WHERE reconcile_exceptions.id = " in s for s in reads), reads
    events = [s for s in statements if "FROM reconcile_exception_events" in s]
    assert events
    assert all("WHERE reconcile_exception_events.exception_id = " in s for s in events), events
