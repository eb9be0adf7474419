"""The findings vocabulary: what reconciliation finds (discrepancies, their types, the documents and fields
they name) and the states of an exception's review — frozen, strict; stdlib and pydantic only.

Documents, money and keys are the document vocabulary (store/canonical.py); the compact rows matching
works on are store/ledger_rows.py."""

from __future__ import annotations

import hashlib
from datetime import date
from enum import StrEnum
from typing import Final

from pydantic import BaseModel, ConfigDict

from store.canonical import Amount, DocumentKey, DocumentKind, canonical_json


class _Frozen(BaseModel):
    model_config = ConfigDict(strict=True, frozen=True, extra="forbid")


class DiscrepancyType(StrEnum):
    """Stable names of what reconciliation finds (reports and JSON use them; never rename)."""

    MISSING_IN_RIGHT = "missing_in_right"
    MISSING_IN_LEFT = "missing_in_left"
    AMOUNT_MISMATCH = "amount_mismatch"
    CURRENCY_MISMATCH = "currency_mismatch"
    DATE_MISMATCH = "date_mismatch"
    STATUS_MISMATCH = "status_mismatch"
    PARTY_MISMATCH = "party_mismatch"
    DUPLICATE = "duplicate"
    AMBIGUOUS_MATCH = "ambiguous_match"
    UNDERPAID = "underpaid"
    OVERPAID = "overpaid"
    UNAPPLIED_PAYMENT = "unapplied_payment"
    DELETED_IN_SOURCE = "deleted_in_source"
    TOTAL_NOT_SUM_OF_LINES = "total_not_sum_of_lines"
    TOTAL_NOT_SUBTOTAL_PLUS_TAX = "total_not_subtotal_plus_tax"
    NEGATIVE_AMOUNT = "negative_amount"
    DUE_BEFORE_ISSUE = "due_before_issue"
    MISSING_OWNER = "missing_owner"
    INVOICE_BEFORE_ORDER = "invoice_before_order"
    POSSIBLE_DUPLICATE = "possible_duplicate"
    DISCOUNT_ABOVE_LIMIT = "discount_above_limit"
    UNUSUAL_AMOUNT = "unusual_amount"
    CREDIT_NOTE_EXCEEDS_INVOICE = "credit_note_exceeds_invoice"
    NOT_IN_BANK = "not_in_bank"
    """collections: a recorded payment no bank credit brought in, its date window passed."""
    UNRECORDED_RECEIPT = "unrecorded_receipt"
    """collections: a bank credit no recorded payment accounts for."""
    FEE_DIFFERENCE = "fee_difference"
    """collections: a bank credit short of the payments it settles by a fee (the fee is the difference)."""

    @property
    def severity(self) -> str:
        """`low` for statistical hints finance may read last (unusual_amount), `normal` otherwise."""
        return "low" if self is DiscrepancyType.UNUSUAL_AMOUNT else "normal"


class ExceptionStatus(StrEnum):
    """Where a reconciliation exception is in its review (docs/reconcile.md draws the lifecycle)."""

    OPEN = "open"
    ACKNOWLEDGED = "acknowledged"
    RESOLVED = "resolved"
    AUTO_RESOLVED = "auto_resolved"


class ExceptionAction(StrEnum):
    """What an exception event records (events are append-only)."""

    OPENED = "opened"
    CHANGED = "changed"
    ACKNOWLEDGED = "acknowledged"
    RESOLVED = "resolved"
    AUTO_RESOLVED = "auto_resolved"
    REOPENED = "reopened"
    ASSIGNED = "assigned"
    COMMENTED = "commented"
    """A person's note on the exception; its status stays as it is."""


class ResolutionKind(StrEnum):
    """Why finance closed an exception."""

    FIXED_AT_SOURCE = "fixed_at_source"
    ACCEPTED = "accepted"
    FALSE_POSITIVE = "false_positive"
    WRITTEN_OFF = "written_off"
    OTHER = "other"


class DocumentRef(_Frozen):
    """A document as a discrepancy shows it: its key plus the number, amount and date finance reads."""

    source: str
    kind: DocumentKind
    external_id: str
    number: str | None = None
    amount: Amount | None = None
    currency: str | None = None
    issued_on: date | None = None

    @property
    def key(self) -> DocumentKey:
        return DocumentKey(source=self.source, kind=self.kind, external_id=self.external_id)


FACT_FIELDS: Final = frozenset(
    {
        "invoice",
        "candidate",
        "more_candidates",
        "margin",
        "group_cap",
        "fx_percent",
        "deleted",
        "tax_included",
        "lines_should_be",
        "history_documents",
        "expected_by",
        "remittance",
        "payer",
    }
)
"""FieldDiff names that carry a finding's facts for the reports (reconcile/facts.py names each), not
fields that differ between documents. They are stored and refreshed on every run, but are not part of
the signature: a median over one more document or a shifted candidate score is not news, and an
upgrade that adds facts to stored findings never reopens a resolved exception."""


class FieldDiff(_Frozen):
    """One compared field that differs between the two sides (values as display text)."""

    field: str
    left: str | None
    right: str | None


class Discrepancy(_Frozen):
    """One finding of a rule: both sides, the amounts, their difference (left - right), why."""

    rule: str
    type: DiscrepancyType
    left: tuple[DocumentRef, ...] = ()
    right: tuple[DocumentRef, ...] = ()
    left_amount: Amount | None = None
    right_amount: Amount | None = None
    difference: Amount | None = None
    currency: str | None = None
    explanation: str
    fields: tuple[FieldDiff, ...] = ()

    @property
    def fingerprint(self) -> str:
        """Stable identity across runs: rule, type and the documents involved (nothing else)."""
        parts = [self.rule, self.type.value]
        parts += ["L:" + str(ref.key) for ref in sorted(self.left, key=lambda r: str(r.key))]
        parts += ["R:" + str(ref.key) for ref in sorted(self.right, key=lambda r: str(r.key))]
        return hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()[:32]

    @property
    def signature(self) -> str:
        """What the finding says (amounts and differing fields): a resolved exception whose signature
        changes is reopened; one whose signature stays the same stays resolved."""
        payload = {
            "left_amount": self.left_amount,
            "right_amount": self.right_amount,
            "difference": self.difference,
            "currency": self.currency,
            "fields": [[f.field, f.left, f.right] for f in self.fields if f.field not in FACT_FIELDS],
        }
        return hashlib.sha256(canonical_json(payload).encode("utf-8")).hexdigest()[:32]

    @property
    def earliest_issued_on(self) -> date | None:
        """The earliest issue date among the documents: decides which period the finding belongs to."""
        dates = [ref.issued_on for ref in (*self.left, *self.right) if ref.issued_on is not None]
        return min(dates) if dates else None
