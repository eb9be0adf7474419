"""The audit identity written out independently of reconcile/ (an oracle for the normalizer tests)."""

from __future__ import annotations

from decimal import Decimal

from store.canonical import CanonicalDocument


def identity_total(doc: CanonicalDocument) -> Decimal | None:
    """The total the components say, or None when any needed one is unknown (the audit then skips):
    subtotal - discount + shipping + adjustment + rounding (+ tax when the tax is exclusive)."""
    parts = (doc.subtotal, doc.discount, doc.shipping, doc.adjustment, doc.rounding)
    if any(part is None for part in parts) or doc.tax_inclusive is None:
        return None
    subtotal, discount, shipping, adjustment, rounding = (p or Decimal(0) for p in parts)
    total = subtotal - discount + shipping + adjustment + rounding
    if doc.tax_inclusive:
        return total
    return None if doc.tax is None else total + doc.tax
