"""The harness other page tests build on gives what it promises: a reconciled ledger with open exceptions."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine

from store.reconcile_repository import SqlReconcileRepository


def test_the_reconciled_fixture_leaves_three_open_exceptions_of_the_rule(
    reconciled: list[Any], web_engine: Engine
) -> None:
    assert [run.rule.name for run in reconciled] == ["crm-vs-books"]
    found = SqlReconcileRepository(web_engine).list_exceptions(rule="crm-vs-books", status="open")
    assert sorted(e.type for e in found) == ["amount_mismatch", "missing_in_left", "missing_in_right"]
