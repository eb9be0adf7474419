"""Books payments whose list row says everything about their allocations are not read one by one, and
the ledger is the one the read-every-detail path builds (issue 14 §5)."""

from __future__ import annotations

from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import Engine

from config.settings import ZohoBooksSettings
from connectors.base import ConnectorDeps, NormalizeContext
from connectors.sandbox.generator import CompanySpec, generate_company
from connectors.sandbox.zoho import ZohoDataset, ZohoSandbox, ZohoSandboxOptions
from store.canonical import CanonicalDocument, DocumentKind
from store.repository import SqlLedgerRepository
from store.secrets import KEY_ENV, SecretBox, SqlTokenStore
from sync.bootstrap import FACTORIES, ConnectorTokenStore
from sync.engine import SyncEngine
from tests.conftest import FixedClock

pytestmark = pytest.mark.slow

CREDENTIALS = {
    "client_id": "1000.SANDBOXCLIENT",
    "client_secret": "sandbox-secret",
    "refresh_token": "1000.sandbox-refresh-token",
}
STREAMS = ["invoices", "customer_payments", "sales_orders", "credit_notes"]


def sync_books(
    engine: Engine, clock: FixedClock, tmp_path: Path, url: str, *, name: str, streams: list[str]
) -> None:
    box = SecretBox(tmp_path / f"{name}.key", {KEY_ENV: Fernet.generate_key().decode()})
    tokens = ConnectorTokenStore(SqlTokenStore(engine, box, clock))
    context = NormalizeContext(source=name, timezone=ZoneInfo("Asia/Shanghai"), base_currency="CNY")
    settings = ZohoBooksSettings(
        name=name,
        kind="zoho_books",
        organization_id="10234695",
        credentials=CREDENTIALS,
        endpoints={"accounts_url": url},
        limits={"requests_per_minute": 1_000_000, "concurrency": 4},
        streams=streams,
    )
    books = FACTORIES["zoho_books"](
        settings, ConnectorDeps(tokens, lambda v: v, context, clock, sleep=lambda _: None)
    )
    try:
        results = SyncEngine(engine, clock).run_connector(books, full=True)
    finally:
        books.close()
    assert [(r.stream, r.error) for r in results if not r.ok] == []


def ledger(engine: Engine, source: str) -> list[CanonicalDocument]:
    documents = SqlLedgerRepository(engine).iter_documents(source=source)
    return sorted(
        (d.model_copy(update={"source": "books", "revision": 0}) for d in documents),
        key=lambda d: (d.kind.value, d.external_id),
    )


def derivable_from_the_list(dataset: ZohoDataset, payment: CanonicalDocument) -> bool:
    """The rule of connectors/zoho/books.py, stated on the truth: nothing applied and all unused; or
    nothing unused and one invoice, or several whose totals sum to the payment."""
    if not payment.allocations:
        return payment.balance == payment.total
    if payment.balance != 0:
        return False
    invoices = [
        dataset.get("books", DocumentKind.INVOICE, a.invoice_external_id) for a in payment.allocations
    ]
    if any(i is None or not i.number for i in invoices):
        return False  # an invoice the list cannot name: only the detail has its id
    return len(invoices) == 1 or sum(i.total or 0 for i in invoices if i) == payment.total


def detail_reads(sandbox: ZohoSandbox, collection: str) -> int:
    prefix = f"/books/v3/{collection}/"
    return sum(n for path, n in sandbox.server.request_counts.items() if path.startswith(prefix))


@pytest.mark.parametrize("streams", [STREAMS, ["customer_payments"]], ids=["all streams", "payments alone"])
def test_payments_derived_from_their_list_rows_give_the_ledger_the_detail_reads_give(
    engine: Engine, clock: FixedClock, tmp_path: Path, streams: list[str]
) -> None:
    company = generate_company(CompanySpec(customers=40, orders=300, seed=14, rate=0.001))
    payments = company.zoho.live("books", DocumentKind.PAYMENT)
    several = [p for p in payments if len(p.allocations) > 1]
    assert several  # both derivations are exercised
    assert len(several) < len(payments)
    lean = ZohoSandbox(company.zoho)
    everything = ZohoSandbox(company.zoho, options=ZohoSandboxOptions(books_list_invoice_numbers=False))
    with lean as lean_url, everything as everything_url:
        sync_books(engine, clock, tmp_path, lean_url, name="books-lean", streams=streams)
        sync_books(engine, clock, tmp_path, everything_url, name="books-details", streams=streams)

        assert detail_reads(everything, "customerpayments") == len(payments)
        derivable = [p for p in payments if derivable_from_the_list(company.zoho, p)]
        assert detail_reads(lean, "customerpayments") == len(payments) - len(derivable)
        assert detail_reads(lean, "customerpayments") < len(payments) / 10
        if streams == ["customer_payments"]:  # the invoice numbers come from one read of the invoice list
            invoice_pages = lean.server.request_counts["/books/v3/invoices"]
            assert 0 < invoice_pages <= len(company.zoho.live("books", DocumentKind.INVOICE)) // 200 + 1

    lean_ledger, detailed = ledger(engine, "books-lean"), ledger(engine, "books-details")
    assert len(lean_ledger) == len(detailed) >= len(payments)
    assert [d for d, e in zip(lean_ledger, detailed, strict=True) if d != e][:1] == []
