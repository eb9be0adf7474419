"""Canonical documents to table rows and back (pure: no connection, no session)."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

from store.canonical import (
    Allocation,
    CanonicalDocument,
    DocumentKind,
    Line,
    PartyRef,
    Status,
)

_CENTS = Decimal("0.01")


def tidy_amount(value: Decimal | None) -> Decimal | None:
    """An amount read back (always 4 places) shown with at least 2 places and no zeros beyond them:
    1234.5000 -> 1234.50, 0.1234 -> 0.1234. Same value, exactly."""
    if value is None:
        return None
    reduced = value.normalize()
    exponent = reduced.as_tuple().exponent
    if isinstance(exponent, int) and exponent > -2:
        return value.quantize(_CENTS)
    return reduced


def document_row(
    document: CanonicalDocument,
    *,
    stream: str,
    payload_hash: str,
    revision: int,
    run_id: int | None,
    now: datetime,
) -> dict[str, Any]:
    """The `documents` row of a live (not deleted) document at `revision`."""
    party = document.party
    return {
        "source": document.source,
        "kind": document.kind.value,
        "external_id": document.external_id,
        "stream": stream,
        "number": document.number,
        "party_external_id": party.external_id if party else None,
        "party_name": party.name if party else None,
        "owner": document.owner,
        "issued_on": document.issued_on,
        "due_on": document.due_on,
        "currency": document.currency,
        "exchange_rate": document.exchange_rate,
        "subtotal": document.subtotal,
        "tax": document.tax,
        "total": document.total,
        "balance": document.balance,
        "status": document.status.value,
        "raw_status": document.raw_status,
        "refs": json.dumps(document.references, sort_keys=True, ensure_ascii=False),
        "source_modified_at": document.source_modified_at,
        "deleted": False,
        "revision": revision,
        "payload_hash": payload_hash,
        "last_seen_run_id": run_id,
        "created_at": now,
        "updated_at": now,
    }


def line_rows(document_id: int, document: CanonicalDocument) -> list[dict[str, Any]]:
    return [
        {
            "document_id": document_id,
            "position": position,
            "product": line.product,
            "product_external_id": line.product_external_id,
            "sku": line.sku,
            "description": line.description,
            "quantity": line.quantity,
            "unit_price": line.unit_price,
            "amount": line.amount,
            "tax": line.tax,
        }
        for position, line in enumerate(document.lines)
    ]


def allocation_rows(document_id: int, document: CanonicalDocument) -> list[dict[str, Any]]:
    return [
        {
            "document_id": document_id,
            "position": position,
            "invoice_external_id": allocation.invoice_external_id,
            "target_kind": allocation.target_kind.value,
            "amount": allocation.amount,
        }
        for position, allocation in enumerate(document.allocations)
    ]


def document_from_rows(
    row: Mapping[Any, Any],
    lines: Sequence[Mapping[Any, Any]] = (),
    allocations: Sequence[Mapping[Any, Any]] = (),
) -> CanonicalDocument:
    """Rebuild the canonical document exactly as it was stored (lines and allocations in order)."""
    party = None
    if row["party_external_id"] is not None or row["party_name"] is not None:
        party = PartyRef(external_id=row["party_external_id"], name=row["party_name"])
    return CanonicalDocument(
        source=row["source"],
        kind=DocumentKind(row["kind"]),
        external_id=row["external_id"],
        number=row["number"],
        party=party,
        owner=row["owner"],
        issued_on=row["issued_on"],
        due_on=row["due_on"],
        currency=row["currency"],
        exchange_rate=row["exchange_rate"],
        subtotal=tidy_amount(row["subtotal"]),
        tax=tidy_amount(row["tax"]),
        total=tidy_amount(row["total"]),
        balance=tidy_amount(row["balance"]),
        status=Status(row["status"]),
        raw_status=row["raw_status"],
        references=json.loads(row["refs"]),
        allocations=tuple(
            Allocation(
                invoice_external_id=a["invoice_external_id"],
                amount=_amount(a["amount"]),
                target_kind=DocumentKind(a["target_kind"]),
            )
            for a in allocations
        ),
        lines=tuple(
            Line(
                product=line["product"],
                product_external_id=line["product_external_id"],
                sku=line["sku"],
                description=line["description"],
                quantity=line["quantity"],
                unit_price=tidy_amount(line["unit_price"]),
                amount=_amount(line["amount"]),
                tax=tidy_amount(line["tax"]),
            )
            for line in lines
        ),
        source_modified_at=row["source_modified_at"],
        deleted=bool(row["deleted"]),
        revision=int(row["revision"]),
    )


def _amount(value: Decimal) -> Decimal:
    tidy = tidy_amount(value)
    if tidy is None:  # pragma: no cover - NOT NULL columns
        raise ValueError("amount column is NULL")
    return tidy
