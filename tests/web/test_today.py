"""The Today page: its figures are the report's and the CLI's (bridge totals, open counts by type), every
figure links to the queue filtered as it counts, ageing buckets hold at their boundaries, and vendor text
renders as text in both languages."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import Engine, update

from config.settings import Settings
from reconcile.exception_age import AGE_BUCKETS, bucket_of
from reconcile.report.fmt import format_amount, format_datetime
from reconcile.report.i18n import Catalogue
from store.reconcile_tables import reconcile_exception_events, reconcile_exceptions
from store.runs import SqlSyncLog
from store.users import Role, SqlUserStore
from sync.health import assess_health
from sync.reconcile_job import run_rules
from sync.report_job import MismatchFilter, build_mismatches, count_exceptions
from tests.conftest import FixedClock
from tests.e2e.report_support import store_documents
from tests.unit.reconcile.helpers import invoice
from tests.web.conftest import FAST_HASHING, USERS, WebClient, reconcile_hostile_party
from web.app import create_app
from web.routes.queue import PARAMS

HOSTILE = ("<script>alert(1)</script>", "<img src=x onerror=alert(1)>")


class _Links(HTMLParser):
    """Every <a href> of a page with the text inside it, and the data-* attributes around it."""

    def __init__(self) -> None:
        super().__init__()
        self.links: list[tuple[str, str]] = []
        self._open: list[list[str]] = []
        self._hrefs: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "a":
            self._hrefs.append(dict(attrs).get("href") or "")
            self._open.append([])

    def handle_endtag(self, tag: str) -> None:
        if tag == "a" and self._hrefs:
            self.links.append((self._hrefs.pop(), " ".join("".join(self._open.pop()).split())))

    def handle_data(self, data: str) -> None:
        for chunk in self._open:
            chunk.append(data)


def links(html: str) -> list[tuple[str, dict[str, list[str]], str]]:
    parser = _Links()
    parser.feed(html)
    return [
        (urlsplit(href).path, parse_qs(urlsplit(href).query), text)
        for href, text in parser.links
        if href.startswith("/queue")
    ]


def section(html: str, marker: str) -> str:
    """The part of the page from `marker` to the end of its section."""
    start = html.index(marker)
    return html[start : html.index("</section>", start)]


def upto(html: str, marker: str, end: str) -> str:
    """The page from `marker` to the next `end` (one cell, one list item)."""
    start = html.index(marker)
    return html[start : html.index(end, start)]


def figure(html: str, marker: str) -> int:
    """The number in <strong> of the list item marked `marker`."""
    item = upto(html, marker, "</li>")
    return int(item.split("<strong>")[1].split("</strong>")[0].replace(",", ""))


def test_bridge_and_open_counts_are_the_reports(
    viewer: WebClient,
    reconciled: list[Any],
    web_engine: Engine,
    web_settings: Settings,
    web_clock: FixedClock,
) -> None:
    page = viewer.get("/today", headers={"Accept-Language": "en"})
    assert page.status_code == 200
    html = page.text
    bridge = reconciled[0].result.bridge
    report = build_mismatches(
        web_engine,
        web_settings,
        scope=MismatchFilter(rules=("crm-vs-books",)),
        lang="en",
        now=web_clock(),
        details=False,
    )
    bridge_rows = {row.cells[1]: row.cells[2] for row in report.summary[0].rows}  # (rule, line, amount, ...)
    rule = section(html, 'data-rule="crm-vs-books"')
    for line, amount in (
        ("left_total", bridge.left_total),
        ("right_total", bridge.right_total),
        ("difference", bridge.difference),
        ("unexplained", bridge.unexplained),
        *bridge.explained.items(),
    ):
        assert f'data-line="{line}">' in rule
        shown = format_amount(amount, bridge.currency)
        assert shown in upto(rule, f'data-line="{line}"', "</td>"), line
    assert bridge_rows  # the report's bridge section exists: the same Bridge object feeds both
    counts = count_exceptions(web_engine, MismatchFilter(rules=("crm-vs-books",), statuses=("open",)))
    assert counts == {"crm-vs-books": {"amount_mismatch": 1, "missing_in_right": 1, "missing_in_left": 1}}
    shown_counts = {
        query["type"][0]: int(text)
        for path, query, text in links(rule)
        if "type" in query and query.get("status") == ["open"] and text.isdigit()
    }
    assert shown_counts == counts["crm-vs-books"]
    amounts = upto(rule, 'data-type="amount_mismatch"', "</tr>")
    assert format_amount(Decimal("45.00"), "CNY") in amounts  # 250.00 (CRM) - 205.00 (Books)


def test_every_figure_links_to_the_queue_filtered_as_it_counts(
    viewer: WebClient, reconciled: list[Any]
) -> None:
    html = viewer.get("/today").text
    found = links(section(html, 'data-rule="crm-vs-books"'))
    assert found, "no link to the queue"
    allowed = set(PARAMS) - {"sort"}  # the queue's filters
    for path, query, _text in found:
        assert path == "/queue"
        assert set(query) <= allowed, query
        assert query["rule"] == ["crm-vs-books"]
        assert query["period"] == ["2026-10"]
    by_filter = {tuple(sorted((k, v[0]) for k, v in q.items())) for _, q, _ in found}
    base = (("period", "2026-10"), ("rule", "crm-vs-books"))
    for kind in ("amount_mismatch", "missing_in_left", "missing_in_right"):
        assert tuple(sorted((*base, ("status", "open"), ("type", kind)))) in by_filter
    for bucket in AGE_BUCKETS:
        assert tuple(sorted((*base, ("age", bucket.key), ("status", "open")))) in by_filter
    assert tuple(sorted((*base, ("status", "resolved")))) in by_filter


@pytest.mark.parametrize(
    ("days_ago", "bucket"),
    [
        (timedelta(days=8) - timedelta(seconds=1), "0-7"),
        (timedelta(days=8), "8-30"),
        (timedelta(days=31) - timedelta(seconds=1), "8-30"),
        (timedelta(days=31), "31-90"),
        (timedelta(days=91) - timedelta(seconds=1), "31-90"),
        (timedelta(days=91), "90+"),
        (timedelta(0), "0-7"),
    ],
)
def test_ageing_buckets_at_their_boundaries(
    viewer: WebClient,
    *,
    reconciled: list[Any],
    web_engine: Engine,
    web_clock: FixedClock,
    days_ago: timedelta,
    bucket: str,
) -> None:
    now = web_clock()
    with web_engine.begin() as conn:  # every open exception first seen `days_ago` before now
        conn.execute(update(reconcile_exceptions).values(first_seen_at=now - days_ago))
    found = bucket_of(now - days_ago, now)
    assert found is not None
    assert found.key == bucket
    html = viewer.get("/today", headers={"Accept-Language": "en"}).text
    rule = section(html, 'data-rule="crm-vs-books"')
    ages = {key: figure(rule, f'data-age="{key}"') for key in ("0-7", "8-30", "31-90", "90+")}
    assert ages == {key: 3 if key == bucket else 0 for key in ages}


def test_what_changed_in_the_last_24_hours(
    viewer: WebClient,
    *,
    reconciled: list[Any],
    web_engine: Engine,
    web_settings: Settings,
    web_clock: FixedClock,
) -> None:
    def changes() -> dict[str, int]:
        rule = section(viewer.get("/today").text, 'data-rule="crm-vs-books"')
        return {key: figure(rule, f'data-change="{key}"') for key in ("new", "resolved", "changed")}

    assert changes() == {"new": 3, "resolved": 0, "changed": 0}
    with web_engine.begin() as conn:  # the run that opened them was 25 hours ago
        conn.execute(update(reconcile_exception_events).values(at=web_clock() - timedelta(hours=25)))
    # now INV-0004 has arrived in the CRM: the next run auto-resolves its missing_in_left
    store_documents(web_engine, [invoice("zoho-crm", "4150868000000624004", "INV-0004", "7.00")])
    run_rules(web_engine, web_settings, clock=web_clock)
    assert changes() == {"new": 0, "resolved": 1, "changed": 0}


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
    page = client.get("/today", headers={"Accept-Language": "en" if lang == "en" else "zh-CN"})
    assert page.status_code == 200
    # Today names no party, but the finding about the hostile documents is counted on it ...
    assert 'data-type="amount_mismatch"' in section(page.text, 'data-rule="crm-vs-books"')
    # ... and nothing of the vendor's markup reaches the page as markup
    assert hostile not in page.text
    assert "<script>alert" not in page.text
    assert "<img src=x" not in page.text
    assert Catalogue(lang).text("web.today.title") in page.text  # type: ignore[arg-type]


@pytest.fixture
def two_shops(web_settings: Settings, tmp_path: Path) -> Settings:
    document = web_settings.model_dump(mode="json", exclude_unset=True)
    document["connectors"] = [
        {
            "name": name,
            "kind": "jsonl",
            "path": str(tmp_path / f"{name}-{{stream}}.jsonl"),
            "streams": ["invoices"],
        }
        for name in ("shop", "idle-shop")
    ]
    return Settings.model_validate(document)


def test_connectors_show_last_sync_lag_and_health_as_the_health_check_does(
    two_shops: Settings,
    *,
    user_store: SqlUserStore,
    web_users: dict[Role, Any],
    web_engine: Engine,
    web_clock: FixedClock,
) -> None:
    synced_at = web_clock() - timedelta(hours=2, minutes=5)
    log = SqlSyncLog(web_engine)
    log.finish(
        log.start("shop", "invoices", mode="full", since=None, now=synced_at), status="ok", now=synced_at
    )
    app = create_app(two_shops, web_engine, clock=web_clock, hashing=FAST_HASHING)
    client = WebClient(app, user_store)
    assert client.login(USERS[Role.VIEWER].name, USERS[Role.VIEWER].password).status_code == 303
    html = client.get("/today", headers={"Accept-Language": "en"}).text
    health = {s.connector: s for s in assess_health(web_engine, two_shops, web_clock()).streams}
    assert health["shop"].lag_seconds == pytest.approx(2 * 3600 + 300)
    shop = upto(html, 'data-connector="shop"', "</tr>")
    assert format_datetime(synced_at, two_shops.zone) in shop
    assert "2 h 5 min" in shop
    assert ">ok<" in shop
    idle = upto(html, 'data-connector="idle-shop"', "</tr>")
    assert "never synced" in idle
    assert health["idle-shop"].last_ok_at is None
