"""An exception's explanation in the report's language, composed from the finding's structured data.

Every language fills the same catalogue template (`explain.<case>`, one per case, the same placeholders
in English and Chinese) from the Discrepancy's documents, amounts, differing fields and facts
(reconcile/facts.py), so the English and the Chinese sentence state the same figures, documents and
dates. The reconciler's stored English sentence (what `ledgerbridge exceptions` prints) is not parsed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from decimal import Decimal, InvalidOperation
from typing import Final

from reconcile.collections_match import FEE
from reconcile.facts import (
    CANDIDATE,
    DELETED_SIDE,
    EXPECTED_BY,
    FACTS,
    FX_TOLERANCE,
    GROUP_LIMIT,
    HISTORY,
    LINES_SHOULD_BE,
    MARGIN,
    MISSING_INVOICE,
    MORE_CANDIDATES,
    PAYER,
    REMITTANCE,
    TAX_INCLUDED,
)
from reconcile.report.display import amount_text
from reconcile.report.i18n import Catalogue
from store.canonical import STATUS_CLASS, DocumentKind
from store.discrepancies import Discrepancy, DiscrepancyType, DocumentRef, FieldDiff

Sides = tuple[str | None, str | None]
"""(left source, right source) a rule compares, when known: names the side a finding has no document on."""

_MONEY_FIELDS: Final = frozenset(
    {"total", "subtotal", "tax", "balance", "paid", "allocated", "lines", "discount", "credited"}
)
_SHOWN_DOCUMENTS: Final = 3
_SEPARATOR: Final = {"en": "; ", "zh": "；"}
"""Between the items of a list in a sentence (punctuation, not words: no catalogue entry)."""
_COMPONENTS: Final = ("discount", "shipping", "adjustment", "rounding")
"""The total identity's components besides subtotal and tax, in the order the identity adds them."""


def explanation(found: Discrepancy, catalogue: Catalogue, sides: Sides = (None, None)) -> str:
    """The explanation cell in the catalogue's language: the case's template filled from the finding."""
    text = _Text(found, catalogue, sides)
    case = _CASES[found.type](text)
    if isinstance(case, tuple):
        key, params = case
    else:
        key, params = f"explain.{found.type.value}", case
    return catalogue.text(key, **params)


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

    def fact(self, name: str, side: int = 1) -> str | None:
        """A fact's value (reconcile/facts.py) on one side, None when the finding does not carry it."""
        diff = self.field(name)
        return None if diff is None else (diff.left if side == 0 else diff.right)

    def listed(self) -> list[FieldDiff]:
        """The differing fields, without the facts kept beside them."""
        return [diff for diff in self.found.fields if diff.field not in FACTS]

    def joined(self, parts: Iterable[str]) -> str:
        return _SEPARATOR[self.catalogue.lang].join(parts)

    def field_list(self, diffs: Sequence[FieldDiff]) -> str:
        return self.joined(
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


def _amount_mismatch(t: _Text) -> Case:
    # The total is the sentence's own figures; across currencies the field shows it as typed
    # (`EUR 36,000.00`) while the figures are in the base currency, so it is listed too.
    if t.field("paid") is not None:  # a settlement: the invoice's balance disagrees with its payments
        return "explain.paid_mismatch", _underpaid(t)
    others = [diff for diff in t.listed() if diff.field != "total" or not _plain(diff)]
    details = t.catalogue.text("explain.details", fields=t.field_list(others)) if others else ""
    fx = t.fact(FX_TOLERANCE)
    return {
        **t.pair(),
        "left_amount": t.amount(t.found.left_amount),
        "right_amount": t.amount(t.found.right_amount),
        "difference": t.amount(t.found.difference),
        "details": details,
        "fx": t.catalogue.text("explain.fx_tolerance", percent=fx) if fx else "",
    }


def _plain(diff: FieldDiff) -> bool:
    """True when both values are plain amounts (one currency), not amounts typed with their currency."""
    try:
        return all(value is None or Decimal(value).is_finite() for value in (diff.left, diff.right))
    except InvalidOperation:
        return False


def _currency_mismatch(t: _Text) -> Case:
    """Both currencies and both totals as typed (the fields); with every rate known, the base-currency
    totals and their difference (the finding's figures)."""
    params = {
        **_differing_fields(t),
        "left_amount": t.amount(t.found.left_amount),
        "right_amount": t.amount(t.found.right_amount),
        "difference": t.amount(t.found.difference),
    }
    if t.found.difference is not None:  # every rate known: the base-currency figures
        return "explain.currency_mismatch_converted", params
    return params


def _differing_fields(t: _Text) -> dict[str, str]:
    return {**t.pair(), "fields": t.field_list(t.listed()) or t.unknown}


def _missing_in_right(t: _Text) -> dict[str, str]:
    return t.pair()


def _missing_in_left(t: _Text) -> Case:
    invoice = t.fact(MISSING_INVOICE, 0)
    if invoice is None:
        return t.pair()
    return "explain.payment_to_missing_invoice", {
        **t.pair(),
        "amount": t.amount(t.found.right_amount),
        "invoice": invoice,
    }


def _deleted(t: _Text) -> Case:
    """Which side was deleted, by whom and when, as its source said (only the deleted side is set)."""
    said = {
        name: (diff.left or diff.right) if (diff := t.field(name)) else None
        for name in ("deleted_by", "deleted_at")
    }
    who = t.catalogue.text("explain.deleted_by", who=said["deleted_by"]) if said["deleted_by"] else ""
    when = t.catalogue.text("explain.deleted_at", at=said["deleted_at"]) if said["deleted_at"] else ""
    side = _deleted_side(t)
    if side is None:
        if who or when:
            return "explain.deleted_in_source_by", {
                **t.pair(),
                **{name: value or t.unknown for name, value in said.items()},
            }
        return t.pair()
    found = t.found
    gone, live = (found.left, found.right) if side == 0 else (found.right, found.left)
    return "explain.deleted_side", {
        "deleted": t.names(gone) or t.unknown,
        "deleted_source": t.source(gone, side),
        "live": t.names(live) or t.unknown,
        "live_source": t.source(live, 1 - side),
        "by": who,
        "at": when,
    }


def _deleted_side(t: _Text) -> int | None:
    """0 when the left document was deleted, 1 the right, None when the finding does not say."""
    for name in (DELETED_SIDE, "deleted_by", "deleted_at"):
        diff = t.field(name)
        if diff is not None and (diff.left or diff.right):
            return 0 if diff.left else 1
    return None


def _ambiguous(t: _Text) -> dict[str, str]:
    """Why none of the candidates is taken and, from the scored pass, each candidate's score."""
    c = t.catalogue
    margin, cap = t.field(MARGIN), t.fact(GROUP_LIMIT)
    if cap is not None:
        found = t.found
        reason = c.text("explain.ambiguous_too_many", lefts=len(found.left), rights=len(found.right), cap=cap)
    elif margin is not None:
        reason = c.text("explain.ambiguous_close", apart=margin.left or t.unknown, margin=margin.right)
    else:
        reason = c.text("explain.ambiguous_even")
    listed = [_candidate(t, diff) for diff in t.found.fields if diff.field == CANDIDATE]
    more = t.fact(MORE_CANDIDATES)
    if more:
        listed.append(c.text("explain.ambiguous_more", count=more))
    candidates = c.text("explain.ambiguous_candidates", candidates=t.joined(listed)) if listed else ""
    return {**t.pair(), "reason": reason, "candidates": candidates}


def _candidate(t: _Text, diff: FieldDiff) -> str:
    """`INV-1 ~ PMT-1: score 42.28 (amount 10.00, date 4.28, party 10.00, reference 0.00)`, translated."""
    points = dict(part.partition("=")[::2] for part in (diff.right or "").split(";") if part)
    unknown = t.unknown
    components = t.catalogue.text(
        "explain.score",
        **{name: points.get(name, unknown) for name in ("amount", "date", "party", "reference")},
    )
    return t.catalogue.text(
        "explain.candidate",
        pair=diff.left or unknown,
        total=points.get("total", unknown),
        components=components,
    )


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


def _identity(t: _Text) -> Case:
    """total ≠ subtotal - discount + shipping + adjustment + rounding (+ tax): every component named."""
    subtotal = t.field("subtotal")
    if subtotal is None:  # stored before the components were kept: the two totals only
        return "explain.total_not_subtotal_plus_tax", _totals(t)
    parts = [f"{t.label('subtotal')} {t.value('subtotal', subtotal.left)}"]
    for name in _COMPONENTS:
        value = t.fact(name, 0)
        if value is None:
            continue
        amount = Decimal(value)
        sign = "-" if (name == "discount") == (amount > 0) else "+"
        parts.append(f"{sign} {t.label(name)} {t.amount(abs(amount))}")
    tax = t.fact("tax", 0)
    if t.fact(TAX_INCLUDED) == "yes":
        parts.append(
            t.catalogue.text("explain.tax_included", tax=t.value("tax", tax))
            if tax is not None
            else t.catalogue.text("explain.tax_included_unknown")
        )
    else:
        parts.append(f"+ {t.label('tax')} {t.value('tax', tax)}")
    return "explain.total_identity", {**_totals(t), "parts": " ".join(parts)}


def _totals(t: _Text) -> dict[str, str]:
    return {**t.document(), "total": t.side_value("total", 0), "expected": t.side_value("total", 1)}


def _sum_of_lines(t: _Text) -> Case:
    should = t.field(LINES_SHOULD_BE)
    if should is None:
        return _totals(t)
    basis = "explain.basis_subtotal" if should.right == "subtotal" else "explain.basis_derived"
    return "explain.total_lines", {
        **t.document(),
        "total": t.side_value("total", 0),
        "lines": t.side_value("total", 1),
        "basis": t.catalogue.text(basis),
        "expected": t.value("total", should.left),
    }


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
    found = t.found
    later = next((ref.issued_on for ref in found.left if ref.issued_on), None)
    earlier = next((ref.issued_on for ref in found.right if ref.issued_on), None)
    return {
        **t.document(),
        "amount": t.amount(found.left_amount),
        "original": t.names(found.right) or t.side_value("number", 1),
        "days": str((later - earlier).days) if later and earlier else t.unknown,
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


def _unusual_amount(t: _Text) -> Case:
    params = {**t.document(), "total": t.side_value("total", 0), "typical": t.side_value("total", 1)}
    count = t.fact(HISTORY)
    if count is None:
        return params
    return "explain.unusual_amount_over", {**params, "count": count}


def _credit_exceeds(t: _Text) -> Case:
    """A credit note crediting one invoice beyond its total, or an invoice several notes exceed."""
    found = t.found
    params = {
        **t.document(),
        "credited": t.side_value("credited", 0),
        "invoice_total": t.side_value("credited", 1),
    }
    if not found.right:
        return params
    if any(ref.kind is DocumentKind.CREDIT_NOTE for ref in found.left):
        return "explain.credit_note_exceeds_invoice_named", {**params, "invoice": t.names(found.right)}
    return "explain.credit_notes_exceed_invoice", {**params, "notes": t.names(found.right)}


def _not_in_bank(t: _Text) -> dict[str, str]:
    """A recorded payment no bank credit brought in by the end of its date window (collections)."""
    return {**_lone(t, 0), "expected_by": t.fact(EXPECTED_BY) or t.unknown}


def _unrecorded_receipt(t: _Text) -> dict[str, str]:
    """A bank credit no recorded payment accounts for, with its payer and remittance text."""
    remittance = t.fact(REMITTANCE)
    return {
        **_lone(t, 1),
        "payer": t.fact(PAYER) or t.catalogue.text("explain.unnamed_payer"),
        "remittance": t.catalogue.text("explain.remittance", text=remittance) if remittance else "",
    }


def _lone(t: _Text, side: int) -> dict[str, str]:
    """A collections finding with documents on one side only: them, their source, amount and date, and
    the other side's source (the rule's)."""
    refs = t.found.left if side == 0 else t.found.right
    day = next((ref.issued_on for ref in refs if ref.issued_on is not None), None)
    return {
        "documents": t.names(refs) or t.unknown,
        "source": t.source(refs, side),
        "other": t.source((), 1 - side),
        "amount": t.amount(t.found.left_amount if side == 0 else t.found.right_amount),
        "date": day.isoformat() if day is not None else t.unknown,
    }


def _fee_difference(t: _Text) -> dict[str, str]:
    """A bank credit short of the payments it settles by a fee; the fee the bank reported, if it did."""
    found = t.found
    fee = t.field(FEE)
    reported = fee.right if fee is not None else None
    return {
        "credit": t.names(found.right) or t.unknown,
        "bank": t.source(found.right, 1),
        "payments": t.names(found.left) or t.unknown,
        "source": t.source(found.left, 0),
        "net": t.amount(found.right_amount),
        "gross": t.amount(found.left_amount),
        "fee": t.amount(found.difference),
        "reported": t.catalogue.text("explain.fee_reported", fee=t.amount(Decimal(reported)))
        if reported
        else "",
    }


Case = dict[str, str] | tuple[str, dict[str, str]]
"""A template's parameters (the type's own `explain.<type>`), or another template's key and parameters."""

_CASES: Final[Mapping[DiscrepancyType, Callable[[_Text], Case]]] = {
    DiscrepancyType.MISSING_IN_RIGHT: _missing_in_right,
    DiscrepancyType.MISSING_IN_LEFT: _missing_in_left,
    DiscrepancyType.AMOUNT_MISMATCH: _amount_mismatch,
    DiscrepancyType.CURRENCY_MISMATCH: _currency_mismatch,
    DiscrepancyType.DATE_MISMATCH: _differing_fields,
    DiscrepancyType.STATUS_MISMATCH: _differing_fields,
    DiscrepancyType.PARTY_MISMATCH: _differing_fields,
    DiscrepancyType.DUPLICATE: _duplicate,
    DiscrepancyType.AMBIGUOUS_MATCH: _ambiguous,
    DiscrepancyType.UNDERPAID: _underpaid,
    DiscrepancyType.OVERPAID: _overpaid,
    DiscrepancyType.UNAPPLIED_PAYMENT: _unapplied,
    DiscrepancyType.DELETED_IN_SOURCE: _deleted,
    DiscrepancyType.TOTAL_NOT_SUM_OF_LINES: _sum_of_lines,
    DiscrepancyType.TOTAL_NOT_SUBTOTAL_PLUS_TAX: _identity,
    DiscrepancyType.NEGATIVE_AMOUNT: _negative,
    DiscrepancyType.DUE_BEFORE_ISSUE: _due_before_issue,
    DiscrepancyType.MISSING_OWNER: _document_only,
    DiscrepancyType.INVOICE_BEFORE_ORDER: _invoice_before_order,
    DiscrepancyType.POSSIBLE_DUPLICATE: _possible_duplicate,
    DiscrepancyType.DISCOUNT_ABOVE_LIMIT: _discount_above_limit,
    DiscrepancyType.UNUSUAL_AMOUNT: _unusual_amount,
    DiscrepancyType.CREDIT_NOTE_EXCEEDS_INVOICE: _credit_exceeds,
    DiscrepancyType.NOT_IN_BANK: _not_in_bank,
    DiscrepancyType.UNRECORDED_RECEIPT: _unrecorded_receipt,
    DiscrepancyType.FEE_DIFFERENCE: _fee_difference,
}
