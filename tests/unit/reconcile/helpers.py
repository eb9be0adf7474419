"""Small builders for reconciler tests: documents and rules with only the fields a test cares about."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from config.rules import MatchRule, SettlementRule
from store.canonical import Allocation, CanonicalDocument, DocumentKind, PartyRef, Status


def invoice(
    source: str, external_id: str, number: str | None, total: str, **fields: Any
) -> CanonicalDocument:
    party = fields.pop("party", "Acme Trading Co., Ltd.")
    return CanonicalDocument(
        source=source,
        kind=DocumentKind(fields.pop("kind", "invoice")),
        external_id=external_id,
        number=number,
        party=PartyRef(name=party) if isinstance(party, str) else party,
        owner=fields.pop("owner", "amy"),
        issued_on=fields.pop("issued_on", date(2026, 10, 3)),
        currency=fields.pop("currency", "CNY"),
        total=Decimal(total),
        status=fields.pop("status", Status.OPEN),
        **fields,
    )


def payment(
    external_id: str, total: str, *allocations: tuple[str, str], source: str = "books"
) -> CanonicalDocument:
    return CanonicalDocument(
        source=source,
        kind=DocumentKind.PAYMENT,
        external_id=external_id,
        number=f"PMT-{external_id}",
        currency="CNY",
        total=Decimal(total),
        allocations=tuple(Allocation(invoice_external_id=i, amount=Decimal(a)) for i, a in allocations),
    )


def match_rule(**overrides: Any) -> MatchRule:
    data: dict[str, Any] = {
        "name": "crm-vs-books",
        "left": {"source": "crm", "kind": "invoice"},
        "right": {"source": "books", "kind": "invoice"},
    }
    data.update(overrides)
    return MatchRule.model_validate(data)


def settlement_rule(**overrides: Any) -> SettlementRule:
    data: dict[str, Any] = {
        "name": "books-settlement",
        "kind": "settlement",
        "invoices": {"source": "books", "kind": "invoice"},
        "payments": {"source": "books", "kind": "payment"},
    }
    data.update(overrides)
    return SettlementRule.model_validate(data)


def types(result: Any) -> list[str]:
    return sorted(d.type.value for d in result.discrepancies)


PAYMENTS = match_rule(
    name="crm-vs-books-payments",
    left={"source": "crm", "kind": "payment"},
    right={"source": "books", "kind": "payment"},
)
"""CRM payments against Books payments (the default keys and tolerance)."""


def payment_on(
    source: str, external_id: str, number: str, total: str, day: int, **fields: Any
) -> CanonicalDocument:
    """A payment issued on 2026-11-`day`."""
    return invoice(
        source, external_id, number, total, kind="payment", issued_on=date(2026, 11, day), **fields
    )
