"""An entry of Zoho CRM's `/{Module}/deleted` becomes a tombstone: what it says of the record, who
deleted it and when (issue 14 §6). Entry shape per zoho/crm-oas getDeletedRecords (api-notes §2.5)."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

import pytest

from connectors.base import NormalizeContext
from connectors.errors import RecordError
from connectors.zoho.normalize import DELETED_ENTRY, crm_deleted_entry
from store.canonical import DocumentKind, Status

CTX = NormalizeContext(source="zoho-crm", timezone=ZoneInfo("Asia/Shanghai"), base_currency="CNY")


def entry(kind: DocumentKind = DocumentKind.INVOICE, **fields: Any) -> dict[str, Any]:
    return {
        "id": "5725770000000000009",
        "display_name": "INV-000009",
        "type": "recycle",
        "deleted_time": "2026-10-02T11:04:05+08:00",
        "deleted_by": {"name": "王芳", "id": "4000000000000000001"},
        "created_by": {"name": "Li Lei", "id": "4000000000000000002"},
        DELETED_ENTRY: kind.value,
        **fields,
    }


def test_a_deleted_invoice_entry_is_a_tombstone_with_its_number_who_deleted_it_and_when_in_utc() -> None:
    doc = crm_deleted_entry(entry(), CTX)

    assert (doc.kind, doc.external_id, doc.number, doc.status) == (
        DocumentKind.INVOICE,
        "5725770000000000009",
        "INV-000009",
        Status.DELETED,
    )
    assert doc.references == {"deleted_by": "王芳", "deleted_at": "2026-10-02T03:04:05Z"}
    assert doc.raw_status == "recycle"
    assert doc.total is None  # the entry says nothing of amounts: unknown, not zero
    assert doc.source_modified_at is None  # a deletion time must not move the cursor


def test_a_deleted_account_keeps_its_name_as_the_party() -> None:
    doc = crm_deleted_entry(entry(DocumentKind.CUSTOMER, display_name="杭州青禾食品有限公司"), CTX)

    assert doc.number is None
    assert doc.party is not None
    assert doc.party.name == "杭州青禾食品有限公司"


def test_a_permanently_deleted_entry_without_names_is_still_a_tombstone_by_id() -> None:
    """Permanently deleted entries come back with null names (api-notes §2.5, from the vendor's example)."""
    doc = crm_deleted_entry(entry(display_name=None, type="permanent", deleted_by=None), CTX)

    assert (doc.external_id, doc.number, doc.references) == (
        "5725770000000000009",
        None,
        {"deleted_at": "2026-10-02T03:04:05Z"},
    )


def test_an_entry_without_an_id_or_with_an_unreadable_time_is_refused() -> None:
    with pytest.raises(RecordError, match="id"):
        crm_deleted_entry(entry(id=None), CTX)
    with pytest.raises(RecordError, match="deleted_time"):
        crm_deleted_entry(entry(deleted_time="yesterday"), CTX)
