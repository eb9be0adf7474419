"""`ledgerbridge exceptions comment ID --note TEXT`: a `commented` event with the note, one audit row,
the status as it was; shown by `exceptions show`; a blank note refused in the reader's language."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import Engine

from store.audit_log import AuditEntry, list_audit
from tests.e2e.report_support import Ran, crm_vs_books, run_cli, store_documents, write_config
from tests.unit.reconcile.helpers import invoice

RULES = crm_vs_books("period: 2026-10", "audit: []")


@pytest.fixture
def config(tmp_path: Path, database_url: str, engine: Engine) -> Path:
    path = write_config(tmp_path, database_url, extra=RULES)
    store_documents(
        engine,
        [
            invoice("zoho-crm", "4150868000000624001", "INV-0002", "250.00"),
            invoice("zoho-books", "982000000567", "INV-0002", "205.00"),
        ],
    )
    return path


def _cli(capsys: pytest.CaptureFixture[str], config: Path, *args: str, lang: str = "en") -> Ran:
    return run_cli(capsys, config, ["--lang", lang, *args])


def _exception_rows(engine: Engine) -> list[AuditEntry]:
    return list(reversed(list_audit(engine, limit=10_000, action="exception.")))


def _only_exception(capsys: pytest.CaptureFixture[str], config: Path) -> str:
    assert _cli(capsys, config, "reconcile", "run", "--json").status == 0
    listed = json.loads(_cli(capsys, config, "exceptions", "list", "--json").out)["exceptions"]
    assert len(listed) == 1
    return str(listed[0]["id"])


def test_a_comment_is_an_event_with_its_note_and_one_audit_row_and_leaves_the_status(
    capsys: pytest.CaptureFixture[str], config: Path, engine: Engine
) -> None:
    ident = _only_exception(capsys, config)
    before = len(_exception_rows(engine))
    done = _cli(
        capsys,
        config,
        "exceptions",
        "comment",
        ident,
        "--note",
        "asked Books about the 45.00",
        "--as",
        "wang",
    )
    assert (done.status, done.out) == (0, f"exception {ident}: comment added\n")
    shown = json.loads(_cli(capsys, config, "exceptions", "show", ident, "--json").out)["exception"]
    assert shown["status"] == "open"
    last = shown["events"][-1]
    assert (last["action"], last["actor"], last["note"]) == (
        "commented",
        "wang",
        "asked Books about the 45.00",
    )
    assert (last["from_status"], last["to_status"]) == ("open", "open")
    rows = _exception_rows(engine)[before:]
    assert [(r.actor, r.action) for r in rows] == [("wang", "exception.commented")]
    assert rows[0].detail["note"] == "asked Books about the 45.00"
    assert rows[0].detail["exception"] == int(ident)
    text = _cli(capsys, config, "exceptions", "show", ident, lang="zh").out
    assert "wang  评论  待处理 -> 待处理 — asked Books about the 45.00" in text


def test_a_blank_comment_is_refused_in_the_readers_language_and_records_nothing(
    capsys: pytest.CaptureFixture[str], config: Path, engine: Engine
) -> None:
    ident = _only_exception(capsys, config)
    before = len(_exception_rows(engine))
    refused = _cli(capsys, config, "exceptions", "comment", ident, "--note", "  ", lang="zh")
    assert (refused.status, refused.err) == (2, "ledgerbridge: 评论差异需要填写备注\n")
    assert len(_exception_rows(engine)) == before
    shown = json.loads(_cli(capsys, config, "exceptions", "show", ident, "--json").out)["exception"]
    assert [e["action"] for e in shown["events"]] == ["opened"]


def test_a_resolved_exception_can_still_be_commented(
    capsys: pytest.CaptureFixture[str], config: Path
) -> None:
    ident = _only_exception(capsys, config)
    assert _cli(capsys, config, "exceptions", "resolve", ident, "--note", "credit note issued").status == 0
    assert _cli(capsys, config, "exceptions", "comment", ident, "--note", "CN-7 posted").status == 0
    shown = json.loads(_cli(capsys, config, "exceptions", "show", ident, "--json").out)["exception"]
    assert shown["status"] == "resolved"
    assert shown["resolution_note"] == "credit note issued"
