"""Each document row carries a keyed digest of its canonical snapshot (issue 13, ADR 0020): a direct
UPDATE of a total is named by the check, rewriting the revision's snapshot to match does not help, and a
full run with `repair` rewrites the row from the record read again (whose payload hash is unchanged,
so a plain full run would have left it as it was)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import Engine, text

from connectors.base import Page
from store.canonical import DocumentKey, DocumentKind
from store.digests import verify_documents
from store.integrity import attach_seal, seal_from_secret_key
from store.repository import Deletion, RunRef, SqlLedgerRepository
from store.runs import SqlSyncLog
from sync.engine import normalize_page
from tests.fakes import ListStream, record

NOW = datetime(2026, 11, 27, 8, 0, tzinfo=UTC)


@pytest.fixture
def sealed(engine: Engine, tmp_path: Path) -> Engine:
    attach_seal(
        engine, seal_from_secret_key(Fernet.generate_key(), head_file=tmp_path / "l.audit-head", origin="t")
    )
    return engine


def _run(engine: Engine) -> RunRef:
    return SqlSyncLog(engine).start("shop", "invoices", mode="full", since=None, now=NOW)


def _apply(engine: Engine, *records: dict[str, Any], **options: Any) -> Any:
    incoming, rejects, deletions = normalize_page("shop", ListStream([]), Page(records=list(records)))
    return SqlLedgerRepository(engine).apply_page(
        _run(engine), documents=incoming, rejects=rejects, deletions=deletions, now=NOW, **options
    )


def _invoices() -> list[dict[str, Any]]:
    return [
        record(
            n,
            total=f"{100 * n}.50",
            exchange_rate="7.1",
            owner="王芳",
            references={"crm_id": f"C{n}"},
            lines=[{"product": "A", "quantity": "1.5", "unit_price": "2", "amount": "3"}],
        )
        for n in range(1, 4)
    ]


def _total(engine: Engine, external_id: str) -> int:
    with engine.connect() as conn:
        query = text("SELECT total FROM documents WHERE external_id = :e")
        return int(conn.execute(query, {"e": external_id}).scalar_one())


def test_rows_written_by_a_sync_verify(sealed: Engine) -> None:
    _apply(sealed, *_invoices())
    _apply(sealed, {**_invoices()[0], "total": "999.00"})  # an update: revision 2
    gone = Deletion(external_id="INV-3", raw_json='{"_deleted":true}', payload_hash="d" * 64)
    SqlLedgerRepository(sealed).apply_page(_run(sealed), deletions=[gone], now=NOW)  # a tombstone
    verdict = verify_documents(sealed)
    assert verdict.rows == 3
    assert verdict.ok, verdict.problems
    assert verdict.unsealed == 0


def test_a_direct_update_of_a_total_is_named(sealed: Engine) -> None:
    _apply(sealed, *_invoices())
    with sealed.begin() as conn:
        conn.execute(text("UPDATE documents SET total = total / 2 WHERE external_id = 'INV-2'"))
    verdict = verify_documents(sealed)
    assert [p.external_id for p in verdict.problems] == ["INV-2"]
    assert "its total differ" in verdict.problems[0].message


def test_rewriting_the_revision_snapshot_to_match_the_edit_fails_the_digest(sealed: Engine) -> None:
    _apply(sealed, *_invoices())
    with sealed.begin() as conn:
        conn.execute(text("UPDATE documents SET total = 1000000 WHERE external_id = 'INV-1'"))  # 100.0000
        conn.execute(
            text(
                'UPDATE revisions SET snapshot = REPLACE(snapshot, \'"total":"100.50"\', \'"total":"100"\') '
                "WHERE document_id = (SELECT id FROM documents WHERE external_id = 'INV-1')"
            )
        )
    verdict = verify_documents(sealed)
    assert [p.external_id for p in verdict.problems] == ["INV-1"]
    assert "its digest fails" in verdict.problems[0].message


def test_a_full_run_with_repair_rewrites_the_row_from_the_record_a_plain_one_leaves_it(
    sealed: Engine,
) -> None:
    _apply(sealed, *_invoices())
    with sealed.begin() as conn:
        conn.execute(text("UPDATE documents SET total = total / 2 WHERE external_id = 'INV-2'"))
    plain = _apply(sealed, *_invoices(), mark_seen=True)
    assert plain.updated == 0  # the payload hash is unchanged: nothing to do, as before
    assert _total(sealed, "INV-2") == 1_002_500
    repaired = _apply(sealed, *_invoices(), mark_seen=True, repair=True)
    assert repaired.updated == 1
    assert _total(sealed, "INV-2") == 2_005_000  # 200.50 again
    assert verify_documents(sealed).ok
    key = DocumentKey(source="shop", kind=DocumentKind.INVOICE, external_id="INV-2")
    history = SqlLedgerRepository(sealed).history(key)
    assert [r.revision for r in history] == [1, 2]  # the repair is on record as a revision


def test_rows_from_before_digests_are_reported_unsealed_and_repair_seals_them_in_place(
    sealed: Engine,
) -> None:
    _apply(sealed, *_invoices())
    with sealed.begin() as conn:
        conn.execute(text("UPDATE documents SET digest = NULL"))
    before = verify_documents(sealed)
    assert before.ok
    assert before.unsealed == 3
    counts = _apply(sealed, *_invoices(), mark_seen=True, repair=True)
    assert counts.updated == 0  # sealed in place: no new revision
    after = verify_documents(sealed)
    assert after.ok
    assert after.unsealed == 0
