"""The document vocabulary: canonical documents, money, keys and payload hashing — frozen, strict; stdlib,
pydantic, msgspec. What reconciliation finds is store/discrepancies.py; matching's compact rows are
store/ledger_rows.py."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from datetime import date, datetime, timedelta
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Any, Final

import msgspec
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator

# ----------------------------------------------------------------------------- money

MONEY_SCALE: Final = 4
"""Amounts are stored as integers of this many places (docs/decisions/0002-money-as-scaled-integers.md)."""

MONEY_QUANTUM: Final = Decimal(1).scaleb(-MONEY_SCALE)
MONEY_LIMIT: Final = Decimal(10) ** 13
"""Bound on one amount's magnitude, and on the magnitudes of a document's lines added up: the one sum
SQL runs over amounts (a document's lines, store.reconcile_repository) then stays below 10^17 in minor
units, far inside a signed 64-bit integer. Every other sum runs in Python ints, which do not overflow
(docs/decisions/0026-money-sums.md)."""


def _check_amount(value: Decimal) -> Decimal:
    if not value.is_finite():
        raise ValueError(f"amount {value} is not a finite number")
    if abs(value) >= MONEY_LIMIT:
        raise ValueError(f"amount {value} is out of range (|amount| < 10^13)")
    if value != value.quantize(MONEY_QUANTUM):
        raise ValueError(f"amount {value} has more than {MONEY_SCALE} decimal places")
    return value


Amount = Annotated[Decimal, Field(max_digits=MONEY_SCALE + 13, decimal_places=MONEY_SCALE)]
"""An exact amount: a finite Decimal with at most MONEY_SCALE places and |x| < 10^13 (the same bounds as
`_check_amount`, checked inside pydantic-core: eight amounts per record made the Python validator the
largest single cost of ingest). Never a float."""

Rate = Annotated[Decimal, Field(gt=0)]
"""An exchange rate to the company's base currency: positive, finite, exact, any precision."""


def to_minor_units(value: Decimal) -> int:
    """Amount -> integer of MONEY_SCALE places, exactly (raises if it would round)."""
    scaled = _check_amount(value).scaleb(MONEY_SCALE)
    integral = scaled.to_integral_value()
    if integral != scaled:
        raise ValueError(f"amount {value} has more than {MONEY_SCALE} decimal places")
    return int(integral)


def from_minor_units(value: int) -> Decimal:
    """Integer of MONEY_SCALE places -> Decimal amount, exactly."""
    return Decimal(value).scaleb(-MONEY_SCALE)


# ----------------------------------------------------------------------------- vocabulary


class DocumentKind(StrEnum):
    """What a canonical record is. Customers and products are master data; every other kind is a ledger
    document (a bank transaction is one line of a bank statement, issue 21)."""

    SALES_ORDER = "sales_order"
    INVOICE = "invoice"
    PAYMENT = "payment"
    CREDIT_NOTE = "credit_note"
    CUSTOMER = "customer"
    PRODUCT = "product"
    BANK_TRANSACTION = "bank_transaction"

    @property
    def is_ledger_document(self) -> bool:
        return self not in (DocumentKind.CUSTOMER, DocumentKind.PRODUCT)


class Status(StrEnum):
    """Canonical document status; the vendor's own status is kept beside it as `raw_status`."""

    DRAFT = "draft"
    OPEN = "open"
    PARTIALLY_PAID = "partially_paid"
    PAID = "paid"
    VOID = "void"
    DELETED = "deleted"
    UNKNOWN = "unknown"
    """The source has no such status (an Fxiaoke invoice application has no payment status of its own):
    reconciliation derives it where it can and never compares an unknown status."""

    @property
    def status_class(self) -> str:
        """What a status means for comparison across vendors: draft, open, paid, void or unknown."""
        return STATUS_CLASS[self.value]


STATUS_CLASS: Final[Mapping[str, str]] = {
    "draft": "draft",
    "open": "open",
    "partially_paid": "open",
    "paid": "paid",
    "void": "void",
    "deleted": "void",
    "unknown": "unknown",
}
"""Canonical status -> status class. Vendors name statuses differently (Books "overdue" and
"partially_paid" are both still being paid): rules compare classes, never the words."""


class ChangeKind(StrEnum):
    """Why a revision was written."""

    CREATED = "created"
    UPDATED = "updated"
    DELETED = "deleted"
    RESTORED = "restored"


_FROZEN = ConfigDict(strict=True, frozen=True, extra="forbid")


class _Frozen(BaseModel):
    model_config = _FROZEN


class DocumentKey(_Frozen):
    """Identity of a canonical document across the whole ledger."""

    source: str
    kind: DocumentKind
    external_id: str

    def __str__(self) -> str:
        return f"{self.source}/{self.kind.value}/{self.external_id}"


class PartyRef(_Frozen):
    """A customer as a document references it."""

    external_id: str | None = None
    name: str | None = None


class Line(_Frozen):
    """One line of an order, invoice or credit note."""

    product: str | None = None
    product_external_id: str | None = None
    sku: str | None = None
    description: str | None = None
    quantity: Decimal | None = None
    unit_price: Amount | None = None
    amount: Amount
    tax: Amount | None = None


class Allocation(_Frozen):
    """Money of a payment or credit note applied to a document.

    `invoice_external_id` is the target's external id in the same source (the public JSON name);
    `target_kind` says what that target is: invoices for Zoho Books, sales orders for Fxiaoke.
    """

    invoice_external_id: str
    amount: Amount
    target_kind: DocumentKind = DocumentKind.INVOICE


def _utc(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError("datetime must be timezone-aware")
    if value.utcoffset() != timedelta(0):
        raise ValueError("datetime must be in UTC (convert at the edge)")
    return value


def _currency(value: str | None) -> str | None:
    if value is None:
        return None
    if len(value) != 3 or not value.isascii() or not value.isalpha() or not value.isupper():
        raise ValueError(f"currency {value!r} is not an ISO 4217 code such as CNY or USD")
    return value


class CanonicalDocument(_Frozen):
    """One order, invoice, payment, credit note (or customer/product master record), normalized."""

    source: str = Field(min_length=1)
    kind: DocumentKind
    external_id: str = Field(min_length=1)
    number: str | None = None
    party: PartyRef | None = None
    owner: str | None = None
    issued_on: date | None = None
    due_on: date | None = None
    currency: Annotated[str | None, AfterValidator(_currency)] = None
    exchange_rate: Rate | None = None
    subtotal: Amount | None = None
    tax: Amount | None = None
    total: Amount | None = None
    balance: Amount | None = None
    discount: Amount | None = None
    """Document-level discount NOT already inside `subtotal` (positive = less to pay). A line-level
    discount is inside the line amounts and the subtotal, so it is not repeated here. None = the source
    has discounts but this payload does not say; 0 = no discount (or the vendor has none)."""
    shipping: Amount | None = None
    """Shipping or freight charge added to the total (None = unknown, 0 = none)."""
    adjustment: Amount | None = None
    """A manual adjustment added to the total, either sign (None = unknown, 0 = none)."""
    rounding: Amount | None = None
    """Rounding added to the total (Books `roundoff_value`), either sign (None = unknown, 0 = none)."""
    tax_inclusive: bool | None = None
    """True when line amounts and the subtotal already contain the tax (Books `is_inclusive_tax`,
    Fxiaoke and Chinese practice); False when tax is added on top; None = unknown.
    Audit identity: total = subtotal - discount + shipping + adjustment + rounding (+ tax when exclusive)."""
    status: Status = Status.OPEN
    raw_status: str | None = None
    references: dict[str, str] = Field(default_factory=dict)
    allocations: tuple[Allocation, ...] = ()
    lines: tuple[Line, ...] = ()
    source_modified_at: Annotated[datetime | None, AfterValidator(_utc)] = None
    deleted: bool = False
    revision: int = 0

    @field_validator("lines")
    @classmethod
    def _lines_add_up_like_one_amount(cls, value: tuple[Line, ...]) -> tuple[Line, ...]:
        if len(value) > 1 and (size := sum(abs(line.amount) for line in value)) >= MONEY_LIMIT:
            raise ValueError(
                f"the {len(value)} line amounts add up to {size} in magnitude; a document's lines must"
                " add up to less than 10^13, like one amount (they are summed in SQL)"
            )
        return value

    @field_validator("references")
    @classmethod
    def _references_are_plain(cls, value: dict[str, str]) -> dict[str, str]:
        for name in value:
            if not name or not name.replace("_", "").isalnum():
                raise ValueError(f"reference name {name!r} must be snake_case letters and digits")
        return value

    @property
    def key(self) -> DocumentKey:
        return DocumentKey(source=self.source, kind=self.kind, external_id=self.external_id)

    def to_json_dict(self) -> dict[str, Any]:
        """The public JSON shape (INTERFACES.md): amounts and rates as decimal strings, dates ISO-8601."""
        return self.model_dump(mode="json")


# ----------------------------------------------------------------------------- hashing


def _json_default(value: object) -> str:
    if isinstance(value, Decimal | date | datetime):
        return str(value) if isinstance(value, Decimal) else value.isoformat()
    raise TypeError(f"cannot hash a {type(value).__name__}")


_ENCODER: Final = msgspec.json.Encoder(order="sorted")
"""Sorted keys, no whitespace, UTF-8, Decimals as strings: for the JSON values a vendor payload parses to
(dicts with string keys, lists, strings, integers of any size, Decimals, booleans, null) its bytes are
exactly those of the standard-library form in `_stdlib_canonical_json` (a property test checks this), at
a seventh of the cost — the payload hash runs once per record of every sync (ADR 0012)."""


def canonical_json_bytes(payload: Mapping[str, Any]) -> bytes:
    """Deterministic UTF-8 JSON of a raw payload (sorted keys, Decimals as strings, no whitespace).

    What msgspec cannot encode (a str or dict subclass, non-string keys, ...) takes the standard-library
    path, which gives the same text for everything JSON can hold. Floats and datetimes never come out of
    a parsed vendor payload (every connector parses numbers as Decimal); msgspec writes them in its own
    (exact, deterministic) notation."""
    try:
        return _ENCODER.encode(payload)
    except (TypeError, ValueError):
        return _stdlib_canonical_json(payload).encode("utf-8")


def canonical_json(payload: Mapping[str, Any]) -> str:
    """`canonical_json_bytes` as text: what revisions and quarantine keep as the raw payload."""
    return canonical_json_bytes(payload).decode("utf-8")


def _stdlib_canonical_json(payload: Mapping[str, Any]) -> str:
    return json.dumps(
        payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=_json_default
    )


def payload_hash(payload: Mapping[str, Any]) -> str:
    """SHA-256 of the raw payload's canonical JSON: same vendor payload, same hash, no new revision."""
    return hashlib.sha256(canonical_json_bytes(payload)).hexdigest()
