"""The web app shows the collections rule's findings (issue 21): the Exception page names the type and
explains it in the reader's language, from the same catalogue template the reports use; the queue lists
and filters them."""

from __future__ import annotations

import html
from datetime import date
from typing import Any

import pytest
from sqlalchemy import Engine

from config.rules import ReconcileSettings
from config.settings import Settings
from store.reconcile_repository import SqlReconcileRepository, StoredException
from sync.reconcile_job import run_rules
from tests.collections_data import COLLECTIONS_RULE, bank_line, payment, planted_collections
from tests.conftest import FixedClock
from tests.e2e.report_support import store_documents
from tests.web.conftest import WebClient

ZH = {"Accept-Language": "zh-CN,zh;q=0.9"}
EN = {"Accept-Language": "en"}


@pytest.fixture
def web_settings(web_settings: Settings) -> Settings:
    """The app over the shared configuration with the collections rule alone."""
    return web_settings.model_copy(
        update={"reconcile": ReconcileSettings(rules=[COLLECTIONS_RULE], audit=[])}
    )


@pytest.fixture
def banked(web_settings: Settings, web_engine: Engine, web_clock: FixedClock) -> list[Any]:
    docs, _ = planted_collections()
    store_documents(web_engine, [d for d in docs if d.external_id != "PMT-NEW"])
    return run_rules(web_engine, web_settings, clock=web_clock)


def _one(engine: Engine, type_: str) -> StoredException:
    (found,) = [e for e in SqlReconcileRepository(engine).list_exceptions() if e.type == type_]
    return found


def test_the_exception_page_explains_a_fee_difference_in_english_and_chinese(
    reviewer: WebClient, banked: Any, web_engine: Engine
) -> None:
    found = _one(web_engine, "fee_difference")
    english = html.unescape(reviewer.get(f"/exceptions/{found.id}", headers=EN).text)
    assert "Fee difference" in english
    assert (
        "bank credit PAYOUT-77 (bank-icbc) of CNY 582.60 settles PMT-C1、PMT-C2、PMT-C3 (zoho-books) "
        "of CNY 600.00 less a fee of CNY 17.40" in english
    )
    chinese = html.unescape(reviewer.get(f"/exceptions/{found.id}", headers=ZH).text)
    assert "手续费差额" in chinese
    assert "差额 CNY 17.40 为手续费" in chinese


def test_the_exception_page_names_the_bank_a_payment_never_reached(
    reviewer: WebClient, banked: Any, web_engine: Engine
) -> None:
    found = _one(web_engine, "not_in_bank")
    page = reviewer.get(f"/exceptions/{found.id}", headers=ZH)
    assert page.status_code == 200
    text = html.unescape(page.text)
    assert "银行未到账" in text
    assert "PMT-LOST（zoho-books）2026-10-10 的收款 CNY 4,321.00 已入账，但截至 2026-10-15，bank-icbc" in text


def test_the_queue_lists_an_unrecorded_receipt_under_its_type(
    viewer: WebClient, banked: Any, web_engine: Engine
) -> None:
    page = viewer.get("/queue?type=unrecorded_receipt", headers=EN)
    assert page.status_code == 200
    text = html.unescape(page.text)
    assert "Unrecorded receipt" in text
    assert "X-900" in text
    assert "PMT-LOST" not in text


def test_an_ambiguous_pair_of_a_collections_rule_shows_without_suggestions(
    reviewer: WebClient, web_settings: Settings, web_engine: Engine, web_clock: FixedClock
) -> None:
    on = date(2026, 11, 25)
    store_documents(
        web_engine,
        [
            payment("P-C", "250.00", on, party="Same Co"),
            payment("P-D", "250.00", on, party="Same Co"),
            bank_line("B-C", "250.00", on, payer="Same Co"),
            bank_line("B-D", "250.00", on, payer="Same Co"),
        ],
    )
    run_rules(web_engine, web_settings, clock=web_clock)
    found = _one(web_engine, "ambiguous_match")
    page = reviewer.get(f"/exceptions/{found.id}", headers=EN)
    assert page.status_code == 200
    assert "Ambiguous match" in html.unescape(page.text)
    candidates = reviewer.get(f"/exceptions/{found.id}/candidates", headers=EN)
    assert candidates.status_code == 200  # the page says there is nothing to suggest; it does not fail
