"""Fixtures for the report tests: a small hand-made ledger whose figures are computed by hand."""

from __future__ import annotations

import pytest

from store.canonical import CanonicalDocument
from tests.unit.report.report_fixtures import o2c_documents


@pytest.fixture
def o2c_ledger() -> list[CanonicalDocument]:
    """Orders, invoices, a credit note and payments of two customers and two salespeople."""
    return o2c_documents()
