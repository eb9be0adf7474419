"""Many synthetic exceptions, generated lazily, for the streaming tests and the report benchmark."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from decimal import Decimal

from reconcile.report.mismatches import ExceptionItem, RuleSummary
from store.canonical import Discrepancy, DiscrepancyType, DocumentKind, DocumentRef

TYPES = (DiscrepancyType.AMOUNT_MISMATCH, DiscrepancyType.MISSING_IN_RIGHT)


class Counter:
    """How many exceptions the report has pulled so far."""

    def __init__(self) -> None:
        self.pulled = 0


def exceptions(kind: DiscrepancyType, count: int, counter: Counter) -> Iterator[ExceptionItem]:
    for n in range(count):
        counter.pulled += 1
        left = DocumentRef(
            source="zoho-crm",
            kind=DocumentKind.INVOICE,
            external_id=f"L{n}",
            number=f"INV-{n:07d}",
            amount=Decimal(1000 + n) / 100,
            currency="CNY",
        )
        right = left.model_copy(
            update={"source": "zoho-books", "external_id": f"R{n}", "amount": Decimal(n) / 100}
        )
        yield ExceptionItem(
            id=f"{kind.value[:3]}-{n:07d}",
            status="open",
            discrepancy=Discrepancy(
                rule="crm-vs-books",
                type=kind,
                left=(left,),
                right=(right,) if kind is DiscrepancyType.AMOUNT_MISMATCH else (),
                left_amount=left.amount,
                right_amount=right.amount,
                difference=Decimal(10),
                currency="CNY",
                explanation=f"synthetic finding {n}",
            ),
            last_seen_at=datetime(2026, 11, 20, tzinfo=UTC),
        )


def summaries(per_type: int) -> list[RuleSummary]:
    return [
        RuleSummary(rule="crm-vs-books", period="all", bridge=None, counts={t.value: per_type for t in TYPES})
    ]


def groups(per_type: int, counter: Counter) -> Iterable[tuple[str, Iterable[ExceptionItem]]]:
    for kind in TYPES:
        yield kind.value, exceptions(kind, per_type, counter)
