"""A reconcile run keeps, with each scored match link, why the pair was taken (the UI's "why")."""

from __future__ import annotations

import json
from datetime import date

from sqlalchemy import Engine, text

from config.settings import Settings
from store.canonical import CanonicalDocument
from sync.reconcile_job import run_rules
from tests.conftest import FixedClock
from tests.e2e.report_support import store_documents
from tests.unit.reconcile.helpers import invoice


def _payment(
    source: str, external_id: str, number: str, total: str, day: int, **fields: object
) -> CanonicalDocument:
    return invoice(
        source, external_id, number, total, kind="payment", issued_on=date(2026, 11, day), **fields
    )


def test_a_run_stores_the_score_components_of_each_scored_pair_and_none_for_key_pairs(
    engine: Engine, database_url: str, clock: FixedClock
) -> None:
    documents = [
        _payment("crm", "p1", "PAY-0001", "11077.28", 8),
        _payment("crm", "p2", "PAY-0002", "11077.27", 12),
        _payment("crm", "p3", "PAY-0003", "250.00", 20),
        _payment("books", "b1", "BP-551", "11077.28", 8, references={"reference_number": "PAY-0001"}),
        _payment("books", "b2", "BP-552", "11077.27", 12, references={"reference_number": "PAY-0002"}),
        _payment("books", "b3", "PAY-0003", "250.00", 20),
    ]
    store_documents(engine, documents, now=clock())
    rule = {
        "name": "crm-vs-books-payments",
        "left": {"source": "crm", "kind": "payment"},
        "right": {"source": "books", "kind": "payment"},
        "period": "all",
    }
    settings = Settings.model_validate(
        {"database_url": database_url, "base_currency": "CNY", "reconcile": {"rules": [rule]}}
    )
    [run] = [r for r in run_rules(engine, settings, clock=clock) if r.rule.name == rule["name"]]
    assert run.result.discrepancies == ()
    query = text(
        "SELECT l.external_id, r.external_id, m.how, m.why FROM reconcile_matches m "
        "JOIN documents l ON l.id = m.left_document_id JOIN documents r ON r.id = m.right_document_id"
    )
    with engine.connect() as conn:
        stored = {(left, right): (how, why) for left, right, how, why in conn.execute(query)}
    assert stored.keys() == {("p1", "b1"), ("p2", "b2"), ("p3", "b3")}
    assert stored["p3", "b3"] == ("number", None)
    how, why = stored["p1", "b1"]
    assert how == "fuzzy"
    assert json.loads(why) == {
        "amount": "10.00",
        "date": "10.00",
        "party": "10.00",
        "reference": "20.00",
        "total": "50.00",
    }
