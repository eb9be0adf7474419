"""The web app in a real browser (Debian's chromium through Selenium, tests/web/browser_support.py), served
by uvicorn over a seeded database:

- a reviewer filters the queue, opens an exception, resolves it with a note (htmx swaps the review block)
  and sees it leave the open queue; an admin finds that `exception.resolved` row with the reviewer as actor
  in the audit log and verifies the chain; a viewer finds no action button or form on the queue and
  exception pages;
- a Zoho Books invoice (the vendor's documented list row, tests/fixtures/zoho) whose customer is
  `<script>…</script><img onerror=…>` shows that name as text on the queue, exception and document pages,
  and neither payload runs;
- every page renders without a Content-Security-Policy violation or a script error in the console, at
  1366x768; with LEDGERBRIDGE_SCREENSHOTS=docs/web/screenshots the same walk saves docs/web.md's gallery.

In CI (.ci/run sets LEDGERBRIDGE_REQUIRE_BROWSER=1; CI=true counts too) a missing chromium or chromedriver
fails these tests; elsewhere they are skipped with the reason. Assertions are on page content, never on pictures."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from fastapi import FastAPI
from sqlalchemy import Engine

from config.settings import Settings
from connectors.base import NormalizeContext
from connectors.http import parse_json
from connectors.zoho import normalize
from reconcile.report.i18n import Catalogue
from store.canonical import CanonicalDocument
from store.users import Role
from sync.admin_service import sync_connector
from sync.reconcile_job import run_rules
from tests.conftest import FixedClock
from tests.e2e.report_support import store_documents
from tests.fakes import record
from tests.unit.reconcile.helpers import invoice
from tests.web import browser_support
from tests.web.browser_support import Browser, need_a_browser, open_browser, serve
from tests.web.conftest import FAST_HASHING, USERS
from web.app import create_app

# One backend: what is under test is the browser's side (the handlers run on both backends in the
# other tests of tests/web); one server and one chromium per test keeps the three under half a minute.
in_a_browser = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "zoho"
EN = Catalogue("en")
XSS = '<script>window.__xss=1</script><img src=x onerror="window.__xss=1">'
NOTE = "Books corrected by hand on 2026-11-26 (browser test)"


def as_user(browser: Browser, role: Role) -> None:
    user = USERS[role]
    browser.login(user.name, user.password)


def page_is_clean(browser: Browser, where: str) -> None:
    """No CSP violation or script error in the console since the last look, and no payload ran."""
    assert browser.console_problems() == [], f"console problems on {where}"
    assert browser.script("return typeof window.__xss") == "undefined", f"a payload ran on {where}"


def row_of(browser: Browser, number: str) -> Any:
    rows = [row for row in browser.find_all("tr.queue-row") if number in row.text]
    assert len(rows) == 1, f"{number} in the queue: {[row.text for row in rows]}"
    return rows[0]


# ----------------------------------------------------------------------------- 1. review, audit, roles


@pytest.mark.slow
@in_a_browser
def test_a_reviewer_resolves_an_exception_the_admin_sees_and_verifies_it_a_viewer_cannot_act(
    build_app: Callable[..., FastAPI], web_users: Any, reconciled: Any, tmp_path: Path
) -> None:
    paths = need_a_browser()
    with serve(build_app()) as url, open_browser(paths, url, tmp_path / "browser") as browser:
        as_user(browser, Role.REVIEWER)
        assert browser.text(".who").startswith("rui")

        # the queue, filtered by type through its form
        browser.open("/queue")
        assert len(browser.find_all("tr.queue-row")) == 3
        _choose(browser, "form.queue-filters select[name=type]", "amount_mismatch")
        browser.click_and_load(browser.find("form.queue-filters button[type=submit]"))
        assert "type=amount_mismatch" in browser.path()
        rows = browser.find_all("tr.queue-row")
        assert [row.find_element("css selector", "td:nth-child(3)").text for row in rows] == [
            EN.text("type.amount_mismatch")
        ]
        page_is_clean(browser, "the filtered queue")

        # open the exception, resolve it with a note: htmx replaces the review block in place
        link = row_of(browser, "INV-0002").find_element("css selector", "a[href^='/exceptions/']")
        exception_path = link.get_attribute("href").removeprefix(url)
        browser.click_and_load(link)
        assert browser.path().startswith(exception_path)
        assert browser.script("return typeof window.htmx") == "object", "htmx did not load"
        assert browser.find("[data-status]").get_attribute("data-status") == "open"
        resolve = browser.find("form[action$='/resolve']")
        _choose(browser, "form[action$='/resolve'] select[name=kind]", "fixed_at_source")
        resolve.find_element("css selector", "textarea[name=note]").send_keys(NOTE)
        page_before = browser.find("html")
        resolve.find_element("css selector", "button[data-action=resolve]").click()
        browser.wait_for(
            lambda: browser.find("[data-status]").get_attribute("data-status") == "resolved", "the resolve"
        )
        assert page_before.is_displayed()  # the same page: only the block was swapped
        review = browser.text("#exception-review")
        assert NOTE in review
        assert EN.text("web.exception.by", actor="rui") in review
        page_is_clean(browser, "the exception page after resolving")

        # back to the same filter: it has left the open queue, and shows among the resolved
        browser.click_and_load(browser.find("p.exception-back a"))
        assert "type=amount_mismatch" in browser.path()
        assert browser.find_all("tr.queue-row") == []
        assert EN.text("web.queue.empty") in browser.text("table.queue-table")
        browser.open("/queue?status=resolved")
        assert EN.text("status.resolved") in row_of(browser, "INV-0002").text
        browser.logout()

        # the admin: the action in the audit log with the reviewer as actor, and the chain verified
        as_user(browser, Role.ADMIN)
        browser.open("/audit")
        browser.find("form.audit-filters input[name=action]").send_keys("exception.")
        browser.click_and_load(browser.find("form.audit-filters button[type=submit]"))
        entries = [row.text for row in browser.find_all("table.audit-log tbody tr")]
        assert len(entries) == 1, entries
        assert " rui exception.resolved " in entries[0]
        assert NOTE in entries[0]
        browser.find("section.audit-verify button[type=submit]").click()
        verdict = browser.wait_for(lambda: browser.find_all("#audit-verdict [data-ok]"), "the verdict")
        assert verdict[0].get_attribute("data-ok") == "true", browser.text("#audit-verdict")
        assert re.match(r"Intact: \d+ audit rows", browser.text("#audit-verdict .ok"))
        page_is_clean(browser, "the audit page")
        browser.logout()

        # the viewer: the same pages without a button or form that would change anything
        as_user(browser, Role.VIEWER)
        for path in ("/queue", "/queue?status=resolved", exception_path, _open_exception(browser, url)):
            browser.open(path)
            assert browser.find_all("main form[method=post]") == [], path
            assert browser.find_all("main button[data-action], main input.queue-pick") == [], path
            assert browser.find_all("#queue-bulk, .exception-actions") == [], path
            page_is_clean(browser, path)


def _choose(browser: Browser, css: str, value: str) -> None:
    from selenium.webdriver.support.ui import Select

    Select(browser.find(css)).select_by_value(value)


def _open_exception(browser: Browser, url: str) -> str:
    """The path of an exception still open (the first row of the open queue)."""
    browser.open("/queue")
    href: str = browser.find("tr.queue-row a[href^='/exceptions/']").get_attribute("href")
    return href.removeprefix(url)


# ----------------------------------------------------------------------------- 2. vendor text is text


def books_invoice_named(customer: str) -> CanonicalDocument:
    """Zoho Books' documented invoice list row (tests/fixtures/zoho) in the rule's period, with its
    customer renamed, through the Books connector's own normaliser."""
    raw = parse_json((FIXTURES / "books_invoice_list_row.json").read_text(encoding="utf-8"))
    raw.update(customer_name=customer, invoice_number="INV-0005", date="2026-10-18", due_date="2026-11-17")
    context = NormalizeContext(source="zoho-books", timezone=ZoneInfo("Asia/Shanghai"), base_currency="CNY")
    return normalize.books_invoice(raw, context)


@pytest.mark.slow
@in_a_browser
def test_a_vendor_customer_named_like_markup_shows_as_text_and_runs_nothing(
    *,
    build_app: Callable[..., FastAPI],
    web_users: Any,
    reconciled: Any,
    web_engine: Engine,
    web_settings: Settings,
    web_clock: FixedClock,
    tmp_path: Path,
) -> None:
    paths = need_a_browser()
    books = books_invoice_named(XSS)
    assert books.party is not None
    assert books.party.name == XSS
    store_documents(web_engine, [books, invoice("zoho-crm", "crm-5", "INV-0005", "14000.00", party=XSS)])
    run_rules(web_engine, web_settings, clock=web_clock)
    with serve(build_app()) as url, open_browser(paths, url, tmp_path / "browser") as browser:
        as_user(browser, Role.VIEWER)

        browser.open("/queue?type=amount_mismatch")
        row = row_of(browser, "INV-0005")
        assert row.find_element("css selector", "td.queue-party").text == XSS
        _only_our_markup(browser, "the queue")

        browser.click_and_load(row.find_element("css selector", "a[href^='/exceptions/']"))
        cards = browser.find_all("article.exception-document")
        assert len(cards) == 2
        for card in cards:
            customer = card.find_element("css selector", "tr[data-field=party] td")
            assert customer.text == XSS
        _only_our_markup(browser, "the exception page")

        books_card = next(card for card in cards if "zoho-books" in card.text)
        browser.click_and_load(books_card.find_element("css selector", "h3 a"))
        assert browser.path() == f"/documents/zoho-books/invoice/{books.external_id}"
        assert XSS in browser.text("main")
        _only_our_markup(browser, "the document page")


def _only_our_markup(browser: Browser, where: str) -> None:
    """The payload's elements do not exist: every script is one of ours (by src), no image points at x."""
    scripts = [s.get_attribute("src") for s in browser.find_all("script")]
    assert all(src and src.startswith(browser.base_url + "/static/") for src in scripts), scripts
    assert browser.find_all("img[src='x'], img[onerror]") == [], where
    page_is_clean(browser, where)


# ----------------------------------------------------------------------------- 3. every page (and the gallery)


@pytest.fixture
def shop_settings(web_settings: Settings, tmp_path: Path) -> Settings:
    """The rule's settings plus a JSON-lines connector `shop` (its Connectors page has something to show)."""
    data = tmp_path / "shop"
    data.mkdir()
    rows = [record(1), record(2), record(3, total="abc"), record(4, party={"name": "杭州青禾食品有限公司"})]
    (data / "invoices.jsonl").write_text(
        "".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows), encoding="utf-8"
    )
    document = web_settings.model_dump(mode="json", exclude_unset=True)
    document["connectors"] = [
        {"name": "shop", "kind": "jsonl", "path": str(data / "{stream}.jsonl"), "streams": ["invoices"]}
    ]
    return Settings.model_validate(document)


GALLERY = (
    # (screenshot name, path, what the page must say); None: the exception commented on
    ("today", "/today", EN.text("web.today.title")),
    ("queue", "/queue", EN.text("web.queue.title")),
    ("exception", None, "Asked 李娜 for the signed copy."),
    ("document", "/documents/zoho-crm/invoice/4150868000000624001", "4150868000000624001"),
    ("connectors", "/connectors", EN.text("web.connectors.title")),
    ("reports-o2c", "/reports/o2c?invoices_from=zoho-books", EN.text("web.reports.o2c")),
    ("aliases", "/aliases", "艾克美贸易有限公司"),
    ("audit", "/audit", EN.text("web.audit.title")),
)


@pytest.mark.slow
@in_a_browser
def test_every_page_renders_cleanly_at_1366x768(
    *,
    shop_settings: Settings,
    web_engine: Engine,
    web_clock: FixedClock,
    web_users: Any,
    reconciled: Any,
    tmp_path: Path,
) -> None:
    paths = need_a_browser()
    sync_connector(web_engine, shop_settings, "shop", full=False, actor="ada", holder="test", clock=web_clock)
    app = create_app(shop_settings, web_engine, clock=web_clock, hashing=FAST_HASHING)
    with serve(app) as url, open_browser(paths, url, tmp_path / "browser") as browser:
        browser.open("/login")
        assert EN.text("web.login.title") in browser.text("h1")
        page_is_clean(browser, "/login")
        browser.snapshot("login")

        # something to show: a comment on an exception, an alias (both through their pages' forms)
        as_user(browser, Role.ADMIN)
        exception = _open_exception(browser, url)
        browser.open(exception)
        comment = browser.find("form[action$='/comment']")
        comment.find_element("css selector", "textarea").send_keys("Asked 李娜 for the signed copy.")
        comment.find_element("css selector", "button").click()
        browser.wait_for(lambda: "李娜 for the signed copy" in browser.text("#exception-review"), "a comment")
        browser.open("/aliases")
        browser.find("form.aliases-add input[name=name_a]").send_keys("艾克美贸易有限公司")
        browser.find("form.aliases-add input[name=name_b]").send_keys("Acme Trading Co., Ltd.")
        browser.click_and_load(browser.find("form.aliases-add button[type=submit]"))

        for name, path, says in GALLERY:
            browser.open(path or exception)
            if name == "audit":
                browser.find("section.audit-verify button[type=submit]").click()
                browser.wait_for(lambda: browser.find_all("#audit-verdict [data-ok=true]"), "the verdict")
            assert says in browser.text("main"), f"{path}: {browser.text('main')[:500]}"
            page_is_clean(browser, path or exception)
            width = browser.script("return document.documentElement.scrollWidth")
            assert width <= 1366, f"{path} scrolls sideways at 1366x768 ({width} px)"
            browser.snapshot(name)

        # the same queue in Chinese (the user's own setting, from the bar's language switch)
        browser.open("/queue")
        browser.click_and_load(browser.find("form[action='/account/lang'] button[value=zh]"))
        assert Catalogue("zh").text("web.queue.title") in browser.text("h1")
        page_is_clean(browser, "/queue in Chinese")
        browser.snapshot("queue-zh")


# ----------------------------------------------------------------------------- 4. no browser


def test_without_a_browser_ci_fails_and_a_developer_is_told_why_it_skipped(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))  # neither chromium nor chromedriver on it
    monkeypatch.delenv("CI", raising=False)
    for name, value in ((browser_support.REQUIRE_ENV, "1"), ("CI", "true")):
        monkeypatch.setenv(name, value)
        with pytest.raises(
            pytest.fail.Exception, match=r"chromium and chromedriver not found.*chromium-driver"
        ):
            need_a_browser()
        monkeypatch.delenv(name)
    with pytest.raises(pytest.skip.Exception, match="no browser for the real-browser test"):
        need_a_browser()


def test_docs_web_md_shows_every_screenshot_the_walk_takes_and_each_file_is_there() -> None:
    docs = Path(__file__).resolve().parents[2] / "docs"
    shown = re.findall(
        r"\]\((web/screenshots/[a-z0-9-]+\.png)\)", (docs / "web.md").read_text(encoding="utf-8")
    )
    taken = {"login", "queue-zh", *(name for name, _, _ in GALLERY)}
    assert sorted(shown) == sorted(f"web/screenshots/{name}.png" for name in taken)
    assert [path for path in shown if not (docs / path).is_file()] == []
