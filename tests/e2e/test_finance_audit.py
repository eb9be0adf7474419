"""Exception review actions and manual matches: exactly one audit row each, with one detail shape."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine

from store.audit_log import list_audit
from tests.e2e.report_support import run_cli
from tests.e2e.test_reconcile_cli import _json, config

__all__ = ["config"]

DETAIL_KEYS = {"exception", "rule", "type", "from", "to", "note", "assignee", "resolution_kind"}


def test_each_review_action_writes_exactly_one_audit_row_with_every_detail_field(
    capsys: pytest.CaptureFixture[str], config: Path, engine: Engine
) -> None:
    _json(capsys, config, "reconcile", "run")
    [found] = _json(capsys, config, "exceptions", "list", "--type", "amount_mismatch")["exceptions"]
    ident = str(found["id"])
    _json(capsys, config, "exceptions", "ack", ident, "--as", "wang")
    _json(capsys, config, "exceptions", "resolve", ident, "--note", "CN-7", "--kind", "accepted")
    _json(capsys, config, "exceptions", "assign", ident, "zhao", "--as", "wang")
    _json(capsys, config, "exceptions", "reopen", ident, "--note", "again")
    rows = list(reversed(list_audit(engine, action="exception.")))
    assert [row.action for row in rows] == [
        "exception.acknowledged",
        "exception.resolved",
        "exception.assigned",
        "exception.reopened",
    ]
    assert all(set(row.detail) == DETAIL_KEYS for row in rows)
    common = {"exception": found["id"], "rule": "crm-vs-books", "type": "amount_mismatch"}
    assert [dict(row.detail) for row in rows] == [
        {
            **common,
            "from": "open",
            "to": "acknowledged",
            "note": None,
            "assignee": None,
            "resolution_kind": None,
        },
        {
            **common,
            "from": "acknowledged",
            "to": "resolved",
            "note": "CN-7",
            "assignee": None,
            "resolution_kind": "accepted",
        },
        {
            **common,
            "from": "resolved",
            "to": "resolved",
            "note": None,
            "assignee": "zhao",
            "resolution_kind": None,
        },
        {
            **common,
            "from": "resolved",
            "to": "open",
            "note": "again",
            "assignee": None,
            "resolution_kind": None,
        },
    ]
    assert rows[0].actor == "wang"


def test_a_refused_action_writes_no_audit_row(
    capsys: pytest.CaptureFixture[str], config: Path, engine: Engine
) -> None:
    _json(capsys, config, "reconcile", "run")
    [found] = _json(capsys, config, "exceptions", "list", "--type", "amount_mismatch")["exceptions"]
    assert run_cli(capsys, config, ["exceptions", "reopen", str(found["id"])]).status == 1
    assert list_audit(engine, action="exception.") == []


def test_match_and_unmatch_write_exactly_one_audit_row_each(
    capsys: pytest.CaptureFixture[str], config: Path, engine: Engine
) -> None:
    args = ["zoho-crm/invoice/c3", "zoho-books/invoice/b4", "--rule", "crm-vs-books", "--note", "renumbered"]
    _json(capsys, config, "match", *args)
    _json(capsys, config, "unmatch", *args, "--as", "wang")
    rows = list(reversed(list_audit(engine, action="match")))
    pair = {"rule": "crm-vs-books", "left": "zoho-crm/invoice/c3", "right": "zoho-books/invoice/b4"}
    assert [(row.action, dict(row.detail)) for row in rows] == [
        ("match.match", {**pair, "note": "renumbered", "replaced": None}),
        ("match.unmatch", {**pair, "note": "renumbered", "replaced": "match"}),
    ]
    assert list_audit(engine, action="unmatch") == []
