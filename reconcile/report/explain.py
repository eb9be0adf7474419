"""An exception's explanation in the report's language, composed from the finding's structured data.

English keeps the reconciler's own sentence (it is richer); other languages fill the catalogue's
`explain.<type>` template from the documents, amounts and differing fields of the Discrepancy.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from decimal import Decimal, InvalidOperation
from typing import Final

from reconcile.report.display import amount_text
from reconcile.report.i18n import Catalogue
from store.canonical import STATUS_CLASS, Discrepancy, DiscrepancyType, DocumentRef, FieldDiff

Sides = tuple[str | None, str | None]
"""(left source, right source) a rule compares, when known: names the side a finding has no document on."""

_MONEY_FIELDS: Final = frozenset(
    {"total", "subtotal", "tax", "balance", "paid", "allocated", "lines", "discount", "credited"}
)
_SHOWN_DOCUMENTS: Final = 3


def explanation(found: Discrepancy, catalogue: Catalogue, sides: Sides = (None, None)) -> str:
    """The explanation cell: the reconciler's text in English, the catalogue's template otherwise."""
    if catalogue.lang == "en":
        return found.explanation
    text = _Text(found, catalogue, sides)
    key = f"explain.{found.type.value}"
    if found.type is DiscrepancyType.CURRENCY_MISMATCH and found.difference is not None:
        key = "explain.currency_mismatch_converted"  # every rate known: the base-currency figures
    if found.type is DiscrepancyType.DELETED_IN_SOURCE and (
        text.field("deleted_by") or text.field("deleted_at")
    ):
        return catalogue.text("explain.deleted_in_source_by", **_deleted_by(text))
    return catalogue.text(key, **_PARAMS[found.type](text))


class _Text:
    """The pieces every template is built from, as display text in the catalogue's language."""

    def __init__(self, found: Discrepancy, catalogue: Catalogue, sides: Sides) -> None:
        self.found = found
        self.catalogue = catalogue
        refs = (*found.left, *found.right)
        self.currency = found.currency or next((ref.currency for ref in refs if ref.currency), None)
        self.sides = sides

    def names(self, refs: Sequence[DocumentRef], *, by_id: bool = False) -> str:
        """Documents by number (else, or with `by_id`, external id): three at most, then how many."""
        shown = "、".join(
            ref.external_id if by_id else ref.number or ref.external_id for ref in refs[:_SHOWN_DOCUMENTS]
        )
        if len(refs) <= _SHOWN_DOCUMENTS:
            return shown
        return self.catalogue.text("explain.more", names=shown, total=len(refs))

    def source(self, refs: Sequence[DocumentRef], side: int) -> str:
        """The side's source: from its documents, else the rule's, else the word for left/right."""
        found = "、".join(dict.fromkeys(ref.source for ref in refs))
        return found or self.sides[side] or self.catalogue.text("ui.left" if side == 0 else "ui.right")

    def amount(self, value: Decimal | None) -> str:
        """At the minor unit, with the rounding residue beside it when there is one (ADR 0021)."""
        return amount_text(value, self.currency, self.catalogue) if value is not None else self.unknown

    @property
    def unknown(self) -> str:
        return self.catalogue.text("explain.unknown")

    def field(self, name: str) -> FieldDiff | None:
        return next((diff for diff in self.found.fields if diff.field == name), None)

    def label(self, name: str) -> str:
        """A field's label; a name the catalogue lacks shows as it is rather than failing the report."""
        key = f"field.{name}"
        return self.catalogue.text(key) if self.catalogue.has(key) else name

    def value(self, name: str, value: str | None) -> str:
        """A field value as finance reads it: amounts formatted, document statuses translated."""
        if value is None or value == "":
            return self.unknown
        if name in _MONEY_FIELDS:
            try:
                return self.amount(Decimal(value))
            except InvalidOperation:
                return value
        if name == "status" and self.catalogue.has(f"docstatus.{value}"):
            return self._status(value)
        return value

    def _status(self, value: str) -> str:
        """A canonical status with its class when that is another word: 部分收款（类别：未结清）."""
        status = self.catalogue.value("docstatus", value)
        cls = STATUS_CLASS.get(value)
        if cls is None or cls == value:
            return status
        return self.catalogue.text(
            "explain.status_class", status=status, status_class=self.catalogue.value("statusclass", cls)
        )

    def side_value(self, name: str, side: int) -> str:
        diff = self.field(name)
        if diff is None:
            return self.unknown
        return self.value(name, diff.left if side == 0 else diff.right)

    def field_list(self, diffs: Sequence[FieldDiff]) -> str:
        return "；".join(
            self.catalogue.text(
                "explain.field",
                field=self.label(diff.field),
                left=self.value(diff.field, diff.left),
                right=self.value(diff.field, diff.right),
            )
            for diff in diffs
        )

    def pair(self) -> dict[str, str]:
        found = self.found
        return {
            "left": self.names(found.left) or self.unknown,
            "left_source": self.source(found.left, 0),
            "right": self.names(found.right) or self.unknown,
            "right_source": self.source(found.right, 1),
        }

    def document(self) -> dict[str, str]:
        """The one document an audit check names (on whichever side the rule audited)."""
        side = 0 if self.found.left else 1
        refs = self.found.left or self.found.right
        return {"document": self.names(refs) or self.unknown, "source": self.source(refs, side)}

    def magnitude(self, value: Decimal | None) -> str:
        return self.amount(None if value is None else abs(value))


def _amount_mismatch(t: _Text) -> dict[str, str]:
    # The total is the sentence's own figures; across currencies the field shows it as typed
    # (`EUR 36,000.00`) while the figures are in the base currency, so it is listed too.
    others = [diff for diff in t.found.fields if diff.field != "total" or not _plain(diff)]
    details = t.catalogue.text("explain.details", fields=t.field_list(others)) if others else ""
    return {
        **t.pair(),
        "left_amount": t.amount(t.found.left_amount),
        "right_amount": t.amount(t.found.right_amount),
        "difference": t.amount(t.found.difference),
        "details": details,
    }


def _plain(diff: FieldDiff) -> bool:
    """True when both values are plain amounts (one currency), not amounts typed with their currency."""
    try:
        return all(value is None or Decimal(value).is_finite() for value in (diff.left, diff.right))
    except InvalidOperation:
        return False


def _currency_mismatch(t: _Text) -> dict[str, str]:
    """Both currencies and both totals as typed (the fields); with every rate known, the base-currency
    totals and their difference (the finding's figures)."""
    return {
        **_differing_fields(t),
        "left_amount": t.amount(t.found.left_amount),
        "right_amount": t.amount(t.found.right_amount),
        "difference": t.amount(t.found.difference),
    }


def _differing_fields(t: _Text) -> dict[str, str]:
    return {**t.pair(), "fields": t.field_list(t.found.fields) or t.unknown}


def _pair_only(t: _Text) -> dict[str, str]:
    return t.pair()


def _deleted_by(t: _Text) -> dict[str, str]:
    """Who deleted the document and when, as its source said (either side's value: only one is set)."""
    said = {
        name: (diff.left or diff.right) if (diff := t.field(name)) else None
        for name in ("deleted_by", "deleted_at")
    }
    return {**t.pair(), **{name: value or t.unknown for name, value in said.items()}}


def _duplicate(t: _Text) -> dict[str, str]:
    found = t.found
    refs, side = (found.left, 0) if len(found.left) > 1 else (found.right, 1)
    return {
        "number": next((ref.number for ref in refs if ref.number), None) or t.unknown,
        "source": t.source(refs, side),
        "count": str(len(refs)),
        "documents": t.names(refs, by_id=True),
    }


def _underpaid(t: _Text) -> dict[str, str]:
    return {**t.pair(), "claimed": t.side_value("paid", 0), "applied": t.side_value("paid", 1)}


def _overpaid(t: _Text) -> dict[str, str]:
    return {
        **t.pair(),
        "left_amount": t.amount(t.found.left_amount),
        "right_amount": t.amount(t.found.right_amount),
        "excess": t.magnitude(t.found.difference),
    }


def _unapplied(t: _Text) -> dict[str, str]:
    return {
        **t.pair(),
        "right_amount": t.amount(t.found.right_amount),
        "unapplied": t.magnitude(t.found.difference),
    }


def _sum_of_lines(t: _Text) -> dict[str, str]:
    return {**t.document(), "total": t.side_value("total", 0), "expected": t.side_value("total", 1)}


def _negative(t: _Text) -> dict[str, str]:
    found = t.found
    negative = "、".join(f"{t.label(diff.field)} {t.value(diff.field, diff.left)}" for diff in found.fields)
    if not negative:  # a finding without field detail: the document's own amount
        amount = found.left_amount if found.left else found.right_amount
        negative = f"{t.label('total')} {t.amount(amount)}"
    return {**t.document(), "amounts": negative}


def _due_before_issue(t: _Text) -> dict[str, str]:
    return {**t.document(), "due_on": t.side_value("due_on", 0), "issued_on": t.side_value("due_on", 1)}


def _document_only(t: _Text) -> dict[str, str]:
    return t.document()


def _invoice_before_order(t: _Text) -> dict[str, str]:
    return {
        **t.document(),
        "issued_on": t.side_value("issued_on", 0),
        "ordered_on": t.side_value("issued_on", 1),
    }


def _possible_duplicate(t: _Text) -> dict[str, str]:
    return {
        **t.document(),
        "amount": t.amount(t.found.left_amount),
        "original": t.names(t.found.right) or t.side_value("number", 1),
    }


def _discount_above_limit(t: _Text) -> dict[str, str]:
    percent = t.field("discount_percent")
    return {
        **t.document(),
        "discount": t.side_value("discount", 0),
        "subtotal": t.side_value("discount", 1),
        "percent": (percent.left if percent is not None else None) or t.unknown,
        "limit": (percent.right if percent is not None else None) or t.unknown,
    }


def _unusual_amount(t: _Text) -> dict[str, str]:
    return {**t.document(), "total": t.side_value("total", 0), "typical": t.side_value("total", 1)}


def _credit_exceeds(t: _Text) -> dict[str, str]:
    return {
        **t.document(),
        "credited": t.side_value("credited", 0),
        "invoice_total": t.side_value("credited", 1),
    }


_PARAMS: Final[Mapping[DiscrepancyType, Callable[[_Text], dict[str, str]]]] = {
    DiscrepancyType.MISSING_IN_RIGHT: _pair_only,
    DiscrepancyType.MISSING_IN_LEFT: _pair_only,
    DiscrepancyType.AMOUNT_MISMATCH: _amount_mismatch,
    DiscrepancyType.CURRENCY_MISMATCH: _currency_mismatch,
    DiscrepancyType.DATE_MISMATCH: _differing_fields,
    DiscrepancyType.STATUS_MISMATCH: _differing_fields,
    DiscrepancyType.PARTY_MISMATCH: _differing_fields,
    DiscrepancyType.DUPLICATE: _duplicate,
    DiscrepancyType.AMBIGUOUS_MATCH: _pair_only,
    DiscrepancyType.UNDERPAID: _underpaid,
    DiscrepancyType.OVERPAID: _overpaid,
    DiscrepancyType.UNAPPLIED_PAYMENT: _unapplied,
    DiscrepancyType.DELETED_IN_SOURCE: _pair_only,
    DiscrepancyType.TOTAL_NOT_SUM_OF_LINES: _sum_of_lines,
    DiscrepancyType.TOTAL_NOT_SUBTOTAL_PLUS_TAX: _sum_of_lines,
    DiscrepancyType.NEGATIVE_AMOUNT: _negative,
    DiscrepancyType.DUE_BEFORE_ISSUE: _due_before_issue,
    DiscrepancyType.MISSING_OWNER: _document_only,
    DiscrepancyType.INVOICE_BEFORE_ORDER: _invoice_before_order,
    DiscrepancyType.POSSIBLE_DUPLICATE: _possible_duplicate,
    DiscrepancyType.DISCOUNT_ABOVE_LIMIT: _discount_above_limit,
    DiscrepancyType.UNUSUAL_AMOUNT: _unusual_amount,
    DiscrepancyType.CREDIT_NOTE_EXCEEDS_INVOICE: _credit_exceeds,
}
