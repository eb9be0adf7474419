"""Canonical documents to table rows and back (pure: no connection, no session)."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any, NamedTuple

import msgspec

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
_SNAPSHOT = msgspec.json.Decoder(dict[str, Any])
_NO_PARTY: Mapping[str, None] = {"external_id": None, "name": None}
_BOOKKEEPING = {"revision": True, "deleted": True}


def snapshot_bytes(document: CanonicalDocument) -> bytes:
    """A revision's canonical snapshot: the document as UTF-8 JSON without the ledger's bookkeeping
    fields. The revision number and the deleted flag are the revision row's own `revision` and
    `change_kind` (`Revision.document` puts them back); leaving them out saves a model copy per record."""
    return _SERIALIZER.to_json(document, exclude=_BOOKKEEPING)


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
    "discount",
    "shipping",
    "adjustment",
    "rounding",
    "tax_inclusive",
    "status",
    "raw_status",
    "refs",
    "source_modified_at",
    "deleted",
    "revision",
    "payload_hash",
    "last_seen_run_id",
    "updated_at",
    "digest",
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


HEAD_COLUMNS = DOCUMENT_COLUMNS[: DOCUMENT_COLUMNS.index("source_modified_at") + 1]
"""The columns of a document row that come from the record itself; the rest is the write's bookkeeping."""


class PageRecord(NamedTuple):
    """One normalized record as the page write takes it: the revision's snapshot (what the record is,
    canonically) and the raw payload with its hash (where it came from). The write derives every row
    from the snapshot, so a documents row is always a projection of the revision written with it; and a
    page of these (UTF-8 JSON bytes) crosses to the writer process at the cost of a copy."""

    payload_hash: str
    raw_json: bytes
    snapshot: bytes


def page_record(document: CanonicalDocument, payload_hash: str, raw_json: bytes) -> PageRecord:
    return PageRecord(payload_hash, raw_json, snapshot_bytes(document))


class EncodedDocument(NamedTuple):
    """A record's values as the page write binds them: everything but the document id and revision
    number, which only the write transaction knows."""

    kind: str
    external_id: str
    payload_hash: str
    raw_json: bytes
    """UTF-8."""
    snapshot: bytes
    """UTF-8."""
    head: tuple[Any, ...]
    """Values of HEAD_COLUMNS."""
    lines: tuple[tuple[Any, ...], ...]
    """Values of LINE_COLUMNS without `document_id` and `position`."""
    allocations: tuple[tuple[Any, ...], ...]
    """Values of ALLOCATION_COLUMNS without `document_id` and `position`."""


def document_row(
    head: tuple[Any, ...],
    *,
    deleted: Any,
    revision: int,
    payload_hash: str,
    run_id: int | None,
    now: Any,
    digest: str | None = None,
) -> tuple[Any, ...]:
    """HEAD_COLUMNS values plus the bookkeeping, in DOCUMENT_COLUMNS order."""
    return (*head, deleted, revision, payload_hash, run_id, now, digest)


def digest_material(stream: str, revision: int, deleted: bool, payload_hash: str, snapshot: bytes) -> bytes:
    """What a document row's digest seals (ADR 0020): its revision's canonical snapshot — every value the
    record says, which the row is a projection of — bound to the row's stream, revision number, deleted
    flag and payload hash. The snapshot bytes are the ones the write already built."""
    return b"%s\x1f%d\x1f%d\x1f%s\x1e%s" % (
        stream.encode("utf-8"),
        revision,
        deleted,
        payload_hash.encode("ascii"),
        snapshot,
    )


def _minor(value: Decimal) -> int:
    """A validated Amount -> scaled integer (exactness re-checked; range was checked by the model)."""
    scaled = value.scaleb(MONEY_SCALE)
    integral = int(scaled)
    if integral != scaled:
        return to_minor_units(value)  # raises with the canonical message
    return integral


def _scaled(text: str | None) -> int | None:
    """A snapshot's amount (`str` of a validated Decimal) -> scaled integer, exactly."""
    if text is None:
        return None
    whole, _, fraction = text.partition(".")
    if len(fraction) <= MONEY_SCALE and "E" not in fraction and "E" not in whole:
        return int(whole + fraction.ljust(MONEY_SCALE, "0"))  # "-0.5" -> int("-05000"); the common case
    return _minor(Decimal(text))  # exponents ("1E+3"), trailing zeros beyond four places


def _line(line: dict[str, Any]) -> tuple[Any, ...]:
    return (
        line["product"],
        line["product_external_id"],
        line["sku"],
        line["description"],
        line["quantity"],
        _scaled(line["unit_price"]),
        _scaled(line["amount"]),
        _scaled(line["tax"]),
    )


def _allocation(allocation: dict[str, Any]) -> tuple[Any, ...]:
    return (
        allocation["invoice_external_id"],
        allocation["target_kind"],
        _scaled(allocation["amount"]),
    )


def _references(references: Mapping[str, str]) -> str:
    return json.dumps(references, sort_keys=True, ensure_ascii=False) if references else "{}"


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

    def encode(self, record: PageRecord, stream: str) -> EncodedDocument:
        """The values of one record's rows, read off its snapshot (the JSON of a validated document:
        amounts and rates as exact decimal strings, dates ISO-8601, times UTC)."""
        doc = _SNAPSHOT.decode(record.snapshot)
        party = doc["party"] or _NO_PARTY
        day, moment = self._day, self._moment
        return EncodedDocument(
            doc["kind"],
            doc["external_id"],
            record.payload_hash,
            record.raw_json,
            record.snapshot,
            (
                doc["source"],
                doc["kind"],
                doc["external_id"],
                stream,
                doc["number"],
                party["external_id"],
                party["name"],
                doc["owner"],
                day(doc["issued_on"]),
                day(doc["due_on"]),
                doc["currency"],
                doc["exchange_rate"],
                _scaled(doc["subtotal"]),
                _scaled(doc["tax"]),
                _scaled(doc["total"]),
                _scaled(doc["balance"]),
                _scaled(doc["discount"]),
                _scaled(doc["shipping"]),
                _scaled(doc["adjustment"]),
                _scaled(doc["rounding"]),
                self._flag(doc["tax_inclusive"]),
                doc["status"],
                doc["raw_status"],
                _references(doc["references"]),
                moment(doc["source_modified_at"]),
            ),
            tuple(map(_line, doc["lines"])),
            tuple(map(_allocation, doc["allocations"])),
        )

    def _flag(self, value: bool | None) -> Any:
        return None if value is None else self.flag(value)

    def _day(self, text: str | None) -> Any:
        return date.fromisoformat(text) if text is not None and not self.sqlite else text

    def _moment(self, text: str | None) -> Any:
        return None if text is None else self.moment(datetime.fromisoformat(text))

    def insert(self, table: str, columns: Sequence[str], utf8: Sequence[str] = ()) -> str:
        """INSERT of one row of `columns`; those in `utf8` are bound as UTF-8 bytes and stored as text
        (the database decodes them: no decoding here and re-encoding in the driver)."""
        from_utf8 = "CAST(? AS TEXT)" if self.sqlite else "convert_from(%s, 'UTF8')"
        marks = ", ".join(from_utf8 if name in utf8 else self.placeholder for name in columns)
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
        discount=tidy_amount(row["discount"]),
        shipping=tidy_amount(row["shipping"]),
        adjustment=tidy_amount(row["adjustment"]),
        rounding=tidy_amount(row["rounding"]),
        tax_inclusive=None if row["tax_inclusive"] is None else bool(row["tax_inclusive"]),
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
