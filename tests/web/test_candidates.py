"""The Exception page's matching suggestions: ranked candidates with reasons; "match these" records the
`ledgerbridge match` override and re-runs the rule; "not this one" is an `unmatch` override the passes and
the suggestions honour; a party alias makes later runs compare two spellings as one customer; the Aliases
page; viewers read and cannot act; vendor party names render as text."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import pytest
from sqlalchemy import Engine

from config.settings import Settings
from store.audit_log import list_audit
from store.discrepancies import ExceptionStatus
from store.party_aliases import SqlAliasStore
from store.reconcile_repository import SqlReconcileRepository, StoredException
from store.users import Role
from sync.reconcile_job import run_rules
from tests.conftest import FixedClock
from tests.e2e.report_support import store_documents
from tests.unit.reconcile.helpers import invoice
from tests.web.conftest import WebClient

RULE = "crm-vs-books"
HOSTILE = '<script>alert("x")</script><img src=x onerror="alert(1)">'
SUBJECT = "zoho-crm/invoice/crm-3"
SPELLED = "zoho-books/invoice/bk-3"
STRANGER = "zoho-books/invoice/bk-4"


def _ledger(engine: Engine) -> None:
    """The CRM's INV-0003 (Acme) has no number twin in Books: Books booked it as BK-9003 under its Chinese
    name, and holds another 40.00 of a customer with a hostile name."""
    store_documents(
        engine,
        [
            invoice("zoho-crm", "crm-3", "INV-0003", "40.00", party="Acme Trading Co., Ltd."),
            invoice("zoho-books", "bk-3", "BK-9003", "40.00", party="艾克美贸易有限公司"),
            invoice("zoho-books", "bk-4", "BK-9004", "40.00", party=HOSTILE, issued_on=date(2026, 10, 9)),
        ],
    )


@pytest.fixture
def ledger(web_settings: Settings, web_engine: Engine, web_clock: FixedClock) -> dict[str, StoredException]:
    _ledger(web_engine)
    run_rules(web_engine, web_settings, clock=web_clock)
    return _open(web_engine)


def _open(engine: Engine) -> dict[str, StoredException]:
    """Open exceptions by the key of their first document."""
    repo = SqlReconcileRepository(engine)
    found = repo.list_exceptions(rule=RULE, status="open")
    return {str((e.left or e.right)[0].key): e for e in found}


def _candidates(client: WebClient, exception: StoredException) -> str:
    answer = client.get(f"/exceptions/{exception.id}/candidates", headers={"HX-Request": "true"})
    assert answer.status_code == 200, answer.text
    return answer.text


def test_candidates_are_ranked_by_score_with_the_reasons_and_a_viewer_gets_no_action(
    ledger: dict[str, StoredException], viewer: WebClient
) -> None:
    page = _candidates(viewer, ledger[SUBJECT])
    assert page.index("BK-9003") < page.index("BK-9004")  # same customer (alike names) ranks first
    assert "amount 10.00: CNY 0.00 apart" in page
    assert "date 10.00: 0 days apart" in page
    assert "reference 0.00: none" in page
    assert "<form" not in page
    assert "Match these" not in page


def test_a_hostile_party_name_renders_as_text(
    ledger: dict[str, StoredException], reviewer: WebClient
) -> None:
    page = _candidates(reviewer, ledger[SUBJECT])
    assert "<script>alert" not in page
    assert "<img src=x" not in page
    assert "&lt;script&gt;alert(" in page
    assert "&lt;img src=x onerror=" in page


def test_the_exception_page_includes_the_candidates_loader(
    ledger: dict[str, StoredException], viewer: WebClient
) -> None:
    answer = viewer.get(f"/exceptions/{ledger[SUBJECT].id}")
    assert answer.status_code == 200
    assert f'hx-get="/exceptions/{ledger[SUBJECT].id}/candidates"' in answer.text


def test_match_these_records_the_override_reruns_the_rule_and_offers_the_alias_which_ends_the_mismatch(
    ledger: dict[str, StoredException],
    reviewer: WebClient,
    web_engine: Engine,
    web_settings: Settings,
    web_clock: FixedClock,
) -> None:
    exception = ledger[SUBJECT]
    answer = reviewer.htmx_post(
        f"/exceptions/{exception.id}/candidates/match",
        {"subject": SUBJECT, "candidate": SPELLED, "note": "same payment, Books' own number"},
    )
    assert answer.status_code == 200, answer.text
    repo = SqlReconcileRepository(web_engine)
    forced, _ = repo.overrides(RULE)
    assert forced == {(SUBJECT, SPELLED)}
    after = repo.get_exception(exception.id)
    assert after is not None
    assert after.status is ExceptionStatus.AUTO_RESOLVED  # what `reconcile run` does after `match`
    assert "Auto-resolved" in answer.text
    [override] = list_audit(web_engine, action="match.match")
    assert override.actor == "rui"
    assert override.detail["note"] == "same payment, Books' own number"
    assert list_audit(web_engine, action="reconcile.run", actor="rui")
    # The pair's customers are spelled differently: the manual match is a party_mismatch, as the CLI's
    # would be, and the page offers to record the alias.
    now_open = _open(web_engine)
    assert now_open[SUBJECT].type == "party_mismatch"
    assert "Record them as one customer?" in answer.text
    recorded = reviewer.htmx_post(
        f"/exceptions/{exception.id}/candidates/alias",
        {"name_a": "Acme Trading Co., Ltd.", "name_b": "艾克美贸易有限公司", "scope": "rule", "note": "one"},
    )
    assert recorded.status_code == 200
    [alias] = SqlAliasStore(web_engine).in_force()
    assert (alias.rule, alias.actor) == (RULE, "rui")
    run_rules(web_engine, web_settings, clock=web_clock)
    assert SUBJECT not in _open(web_engine)  # the alias makes the parties equal: no party_mismatch
    SqlAliasStore(web_engine).remove(alias.id, actor="rui", now=web_clock())
    run_rules(web_engine, web_settings, clock=web_clock)
    assert _open(web_engine)[SUBJECT].type == "party_mismatch"  # removal restores the comparison


def _twins(engine: Engine) -> None:
    """One CRM payment-like invoice and two Books invoices alike in amount, date and customer, numbered
    differently: the scored pass cannot choose (ambiguous_match)."""
    store_documents(
        engine,
        [
            invoice("zoho-crm", "crm-7", "INV-0007", "11077.28"),
            invoice("zoho-books", "bk-71", "BK-7001", "11077.28"),
            invoice("zoho-books", "bk-72", "BK-7002", "11077.28"),
        ],
    )


def test_a_declined_candidate_is_never_suggested_again_nor_paired_by_the_next_run(
    web_settings: Settings, web_engine: Engine, web_clock: FixedClock, reviewer: WebClient
) -> None:
    _twins(web_engine)
    run_rules(web_engine, web_settings, clock=web_clock)
    ambiguous = _open(web_engine)["zoho-crm/invoice/crm-7"]
    assert ambiguous.type == "ambiguous_match"
    page = _candidates(reviewer, ambiguous)
    assert "BK-7001" in page
    assert "BK-7002" in page
    answer = reviewer.htmx_post(
        f"/exceptions/{ambiguous.id}/candidates/decline",
        {"subject": "zoho-crm/invoice/crm-7", "candidate": "zoho-books/invoice/bk-72", "note": "not ours"},
    )
    assert answer.status_code == 200, answer.text
    assert "will not be suggested again" in answer.text
    assert "BK-7002" not in _candidates(reviewer, ambiguous)
    [declined] = list_audit(web_engine, action="match.unmatch")
    assert declined.actor == "rui"
    assert declined.detail["right"] == "zoho-books/invoice/bk-72"
    [run] = run_rules(web_engine, web_settings, clock=web_clock, names=[RULE])
    pairs = {(m.left[0].external_id, m.right[0].external_id) for m in run.result.matches}
    assert ("crm-7", "bk-71") in pairs
    assert ("crm-7", "bk-72") not in pairs
    left_over = _open(web_engine)["zoho-books/invoice/bk-72"]
    assert left_over.type == "missing_in_left"


def test_a_pair_that_is_not_the_exceptions_is_refused(
    ledger: dict[str, StoredException], reviewer: WebClient, web_engine: Engine
) -> None:
    answer = reviewer.htmx_post(
        f"/exceptions/{ledger[SUBJECT].id}/candidates/match",
        {"subject": SPELLED, "candidate": SUBJECT, "note": "wrong way round"},
    )
    assert answer.status_code == 409
    assert SqlReconcileRepository(web_engine).overrides(RULE) == (frozenset(), frozenset())


@pytest.mark.parametrize(
    ("path", "data"),
    [
        ("/exceptions/{id}/candidates/match", {"subject": SUBJECT, "candidate": SPELLED}),
        ("/exceptions/{id}/candidates/decline", {"subject": SUBJECT, "candidate": SPELLED}),
        ("/exceptions/{id}/candidates/alias", {"name_a": "a", "name_b": "b"}),
        ("/aliases", {"name_a": "a", "name_b": "b"}),
    ],
)
def test_a_viewer_may_not_act(
    ledger: dict[str, StoredException], viewer: WebClient, web_engine: Engine, path: str, data: dict[str, str]
) -> None:
    answer = viewer.post_form(path.format(id=ledger[SUBJECT].id), data)
    assert answer.status_code == 403
    assert SqlReconcileRepository(web_engine).overrides(RULE) == (frozenset(), frozenset())
    assert SqlAliasStore(web_engine).in_force() == []


def test_the_aliases_page_lists_adds_and_removes_and_the_viewer_only_reads(
    make_client: Callable[..., WebClient], web_engine: Engine
) -> None:
    reviewer, viewer = make_client(Role.REVIEWER), make_client(Role.VIEWER)
    added = reviewer.post_form("/aliases", {"name_a": HOSTILE, "name_b": "Acme", "rule": "", "note": "n"})
    assert added.status_code == 303
    seen = viewer.get("/aliases")
    assert seen.status_code == 200
    assert "<script>alert" not in seen.text
    assert "every rule" in seen.text
    assert "<form" not in seen.text.split("<main", 1)[1]
    [alias] = SqlAliasStore(web_engine).in_force()
    assert viewer.post_form(f"/aliases/{alias.id}/remove").status_code == 403
    again = reviewer.post_form("/aliases", {"name_a": "Acme", "name_b": HOSTILE, "rule": "", "note": ""})
    assert again.status_code == 409  # the same pair, either way round
    removed = reviewer.post_form(f"/aliases/{alias.id}/remove")
    assert removed.status_code == 303
    assert SqlAliasStore(web_engine).in_force() == []
    actions = [(e.action, e.actor, e.detail["alias"]) for e in list_audit(web_engine, action="alias.")]
    assert actions == [("alias.remove", "rui", alias.id), ("alias.add", "rui", alias.id)]


def test_the_aliases_page_speaks_the_readers_language(make_client: Callable[..., WebClient]) -> None:
    reviewer = make_client(Role.REVIEWER)
    assert "<h1>客户别名</h1>" in reviewer.get("/aliases", headers={"Accept-Language": "zh-CN"}).text
    assert "<h1>Party aliases</h1>" in reviewer.get("/aliases", headers={"Accept-Language": "en"}).text
