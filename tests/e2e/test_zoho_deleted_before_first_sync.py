"""A CRM invoice deleted before ledgerbridge ever saw it is kept as a tombstone from CRM's deleted list,
so its Books counterpart is reported as deleted in source, naming who deleted it and when — not as
missing in CRM (issue 14 §6)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine

from connectors.sandbox.zoho import ZohoSandbox
from reconcile.matching import match
from reconcile.report.explain import explanation
from reconcile.report.i18n import Catalogue
from reconcile.result import MatchContext
from store.canonical import DocumentKind
from store.digests import verify_documents
from store.discrepancies import DiscrepancyType
from store.reconcile_repository import DocumentSet, SqlReconcileRepository
from store.repository import SqlLedgerRepository
from tests.conftest import FixedClock
from tests.connectors.zoho.sample import SampleSizes, sample_dataset
from tests.e2e.test_zoho_sync import sync, zoho_connectors
from tests.unit.reconcile.helpers import match_rule

pytestmark = pytest.mark.slow

DELETED_AT = datetime(2026, 10, 2, 3, 4, 5, tzinfo=UTC)


def test_a_books_invoice_whose_crm_invoice_was_deleted_before_the_first_sync_is_deleted_in_source(
    engine: Engine, clock: FixedClock, tmp_path: Path
) -> None:
    dataset = sample_dataset(
        SampleSizes(crm_invoices=6, crm_sales_orders=3, books_invoices=6, books_payments=2)
    )
    crm_invoice = dataset.live("crm", DocumentKind.INVOICE)[2]
    counterpart = [d for d in dataset.live("books", DocumentKind.INVOICE) if d.number == crm_invoice.number]
    assert counterpart  # the Books invoice of the same number, which stays live
    dataset.delete("crm", DocumentKind.INVOICE, crm_invoice.external_id, DELETED_AT)

    with ZohoSandbox(dataset) as url, zoho_connectors(engine, clock, url, tmp_path) as (crm, books):
        first = sync(engine, clock, crm)
        sync(engine, clock, books)
        assert first["invoices"].deleted == 1
        second = sync(engine, clock, crm)  # a later run re-reads the deleted list: nothing changes
        assert (second["invoices"].deleted, second["invoices"].created) == (0, 0)

    (tombstone,) = [
        d for d in SqlLedgerRepository(engine).iter_documents(source="zoho-crm", kind="invoice") if d.deleted
    ]
    assert (tombstone.external_id, tombstone.number) == (crm_invoice.external_id, crm_invoice.number)
    assert tombstone.references == {"deleted_by": "Sandbox Admin", "deleted_at": "2026-10-02T03:04:05Z"}
    verdict = verify_documents(engine)  # its rows and revisions seal like any other document's
    assert verdict.problems == []

    repo = SqlReconcileRepository(engine)
    left = repo.load_rows(DocumentSet("zoho-crm", "invoice", {}))
    right = repo.load_rows(DocumentSet("zoho-books", "invoice", {}))
    rule = match_rule(
        left={"source": "zoho-crm", "kind": "invoice"}, right={"source": "zoho-books", "kind": "invoice"}
    )
    found = [d for d in match(left, right, rule, MatchContext(base_currency="CNY")).discrepancies
             if crm_invoice.number in {ref.number for ref in (*d.left, *d.right)}]  # fmt: skip

    assert [d.type for d in found] == [DiscrepancyType.DELETED_IN_SOURCE]
    assert "by Sandbox Admin at 2026-10-02T03:04:05Z" in found[0].explanation
    chinese = explanation(found[0], Catalogue("zh"))
    assert "Sandbox Admin" in chinese
    assert "2026-10-02T03:04:05Z" in chinese
    assert "删除" in chinese
