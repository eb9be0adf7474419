"""Canonical documents to table rows and back (pure: no connection, no session)."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from store.canonical import (
    MONEY_SCALE,
    Allocation,
    CanonicalDocument,
    DocumentKind,
    Line,
    PartyRef,
    Status,
    to_minor_units,
)

_CENTS = Decimal("0.01")
enum_text = str.__str__
"""A StrEnum member's value as an exact str, in C (`.value` is a Python-level property: ~0.3 µs a call,
several per written record). Exact strings bind the same way on every driver."""
_SERIALIZER = CanonicalDocument.__pydantic_serializer__
_BOOKKEEPING = frozenset({"revision", "deleted"})


def snapshot_json(document: CanonicalDocument) -> str:
    """A revision's canonical snapshot: the document as JSON without the ledger's bookkeeping fields.
    The revision number and the deleted flag are the revision row's own `revision` and `change_kind`
    (`Revision.document` puts them back); leaving them out saves a model copy per written record."""
    return _SERIALIZER.to_json(document, exclude=_BOOKKEEPING).decode("utf-8")


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


DOCUMENT_COLUMNS = (
    "source",
    "kind",
    "external_id",
    "stream",
    "number",
    "party_external_id",
    "party_name",
    "owner",
    "issued_on",
    "due_on",
    "currency",
    "exchange_rate",
    "subtotal",
    "tax",
    "total",
    "balance",
    "status",
    "raw_status",
    "refs",
    "source_modified_at",
    "deleted",
    "revision",
    "payload_hash",
    "last_seen_run_id",
    "updated_at",
)
"""Columns a document write sets, in the order of RowEncoder.document (then `created_at`, then `id`)."""
LINE_COLUMNS = (
    "document_id",
    "position",
    "product",
    "product_external_id",
    "sku",
    "description",
    "quantity",
    "unit_price",
    "amount",
    "tax",
)
ALLOCATION_COLUMNS = ("document_id", "position", "invoice_external_id", "target_kind", "amount")
REVISION_COLUMNS = (
    "document_id",
    "revision",
    "change_kind",
    "sync_run_id",
    "payload_hash",
    "raw_payload",
    "snapshot",
    "recorded_at",
)


def _minor(value: Decimal) -> int:
    """A validated Amount -> scaled integer (exactness re-checked; range was checked by the model)."""
    scaled = value.scaleb(MONEY_SCALE)
    integral = int(scaled)
    if integral != scaled:
        return to_minor_units(value)  # raises with the canonical message
    return integral


def _money(value: Decimal | None) -> int | None:
    return None if value is None else _minor(value)


def _references(references: Mapping[str, str]) -> str:
    return json.dumps(references, sort_keys=True, ensure_ascii=False) if references else "{}"


def _text(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


class RowEncoder:
    """Document -> DB-API parameter tuples for the bulk write path (executemany, no per-row ORM).

    Values are encoded exactly as the SQLAlchemy column types of store.tables would encode them (money
    as scaled integers, exact decimals as text; on SQLite dates and naive-UTC datetimes as the ISO text
    SQLAlchemy writes), so rows written here read back through the tables like any other.
    """

    def __init__(self, sqlite: bool) -> None:
        self.sqlite = sqlite
        self.placeholder = "?" if sqlite else "%s"

    def moment(self, value: datetime | None) -> Any:
        if value is None:
            return None
        naive = value.astimezone(UTC).replace(tzinfo=None)
        return naive.isoformat(" ", "microseconds") if self.sqlite else naive

    def day(self, value: date | None) -> Any:
        return value.isoformat() if value is not None and self.sqlite else value

    def flag(self, value: bool) -> Any:
        return int(value) if self.sqlite else value

    def document(
        self,
        document: CanonicalDocument,
        *,
        stream: str,
        payload_hash: str,
        revision: int,
        run_id: int | None,
        now: Any,
    ) -> tuple[Any, ...]:
        """A live document's values in DOCUMENT_COLUMNS order (`now` already encoded by `moment`)."""
        party = document.party
        return (
            document.source,
            enum_text(document.kind),
            document.external_id,
            stream,
            document.number,
            party.external_id if party else None,
            party.name if party else None,
            document.owner,
            self.day(document.issued_on),
            self.day(document.due_on),
            document.currency,
            _text(document.exchange_rate),
            _money(document.subtotal),
            _money(document.tax),
            _money(document.total),
            _money(document.balance),
            enum_text(document.status),
            document.raw_status,
            _references(document.references),
            self.moment(document.source_modified_at),
            self.flag(False),
            revision,
            payload_hash,
            run_id,
            now,
        )

    def lines(self, document_id: int, document: CanonicalDocument) -> list[tuple[Any, ...]]:
        return [
            (
                document_id,
                position,
                line.product,
                line.product_external_id,
                line.sku,
                line.description,
                _text(line.quantity),
                _money(line.unit_price),
                _minor(line.amount),
                _money(line.tax),
            )
            for position, line in enumerate(document.lines)
        ]

    def allocations(self, document_id: int, document: CanonicalDocument) -> list[tuple[Any, ...]]:
        return [
            (document_id, position, a.invoice_external_id, enum_text(a.target_kind), _minor(a.amount))
            for position, a in enumerate(document.allocations)
        ]

    def insert(self, table: str, columns: Sequence[str]) -> str:
        marks = ", ".join([self.placeholder] * len(columns))
        return f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})"  # noqa: S608 - fixed names

    def update_by_id(self, table: str, columns: Sequence[str]) -> str:
        sets = ", ".join(f"{name} = {self.placeholder}" for name in columns)
        return f"UPDATE {table} SET {sets} WHERE id = {self.placeholder}"  # noqa: S608 - fixed names


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
