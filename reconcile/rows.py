"""The compact, read-only view of a document that matching works on (a million of them fit in memory).

`LedgerRow` lives in the canonical vocabulary so that the store can build rows straight from SQL."""

from __future__ import annotations

from decimal import Decimal

from store.canonical import AllocationRow, LedgerRow, from_minor_units

__all__ = ["AllocationRow", "LedgerRow", "money"]

_CENTS = Decimal("0.01")


def money(value: int | None) -> Decimal | None:
    """Minor units -> Decimal amount (None stays None), shown with two places when that is exact."""
    if value is None:
        return None
    amount = from_minor_units(value)
    return amount.quantize(_CENTS) if value % 100 == 0 else amount
