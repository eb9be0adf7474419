"""Helpers for the report tests: canonical documents in a line, the as-of date of the hand computations."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from store.canonical import CanonicalDocument, DocumentKind, PartyRef, Status


def make_doc(kind: str, external_id: str, **fields: Any) -> CanonicalDocument:
    """A canonical document of the `books` source; amounts given as text become Decimals."""
    for name in ("total", "balance", "subtotal", "tax"):
        if isinstance(fields.get(name), str):
            fields[name] = Decimal(fields[name])
    if isinstance(fields.get("party"), str):
        fields["party"] = PartyRef(external_id=f"C-{fields['party']}", name=fields["party"])
    if isinstance(fields.get("status"), str):
        fields["status"] = Status(fields["status"])
    fields.setdefault("currency", "CNY")
    fields.setdefault("number", external_id)
    return CanonicalDocument(
        source=fields.pop("source", "books"), kind=DocumentKind(kind), external_id=external_id, **fields
    )


AS_OF = date(2026, 11, 20)
