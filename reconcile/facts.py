"""Facts of a finding that are not differing document fields, kept as FieldDiffs so a report can say
them in any language (reconcile/report/explain.py): the stored English sentence is not parsed.

Each fact is a FieldDiff whose `field` is one of the names below: `fields` is what the store already
keeps for a finding, so no schema change. Facts are refreshed on every run that sees a finding but are
not part of its signature (store.discrepancies.FACT_FIELDS): the documents' own amounts and fields say what
the finding is, so findings stored before a fact existed get it at the next run silently, and a
resolved exception is never reopened by a fact alone.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Final

from reconcile.findings import describe
from reconcile.passes import GROUP_CAP, Unresolved
from store.discrepancies import FACT_FIELDS, FieldDiff
from store.ledger_rows import LedgerRow

MISSING_INVOICE: Final = "invoice"
"""A payment applied to an invoice that does not exist: left = the invoice's external id."""
CANDIDATE: Final = "candidate"
"""An ambiguous group's candidate pair: left = `INV-1 ~ PMT-1`, right = `amount=10.00;...;total=42.28`."""
MORE_CANDIDATES: Final = "more_candidates"
"""Candidates not listed: right = how many."""
MARGIN: Final = "margin"
"""Why no candidate is taken: left = points between the best assignment and the next, right = the margin."""
GROUP_LIMIT: Final = "group_cap"
"""Why no candidate is taken: more documents than this (right) a side are weighed against each other."""
FX_TOLERANCE: Final = "fx_percent"
"""An amount mismatch across currencies: right = the FX tolerance in percent it exceeds."""
DELETED_SIDE: Final = "deleted"
"""A deleted_in_source finding: `yes` on the side that was deleted."""
TAX_INCLUDED: Final = "tax_included"
"""The total identity: right = `yes` when tax is inside the subtotal, `no` when it is added to it."""
LINES_SHOULD_BE: Final = "lines_should_be"
"""A total not the sum of its lines: left = what the lines should add up to, right = `subtotal` or
`derived` (the total less its other components)."""
HISTORY: Final = "history_documents"
"""An unusual amount: right = how many of the customer's documents the median is over."""
EXPECTED_BY: Final = "expected_by"
"""A not_in_bank finding (collections): right = the last day of its date window (ISO)."""
REMITTANCE: Final = "remittance"
"""An unrecorded receipt (collections): right = the bank line's remittance text, as the bank gave it."""
PAYER: Final = "payer"
"""An unrecorded receipt (collections): right = the counterparty's name on the bank line."""

FACTS: Final = FACT_FIELDS
"""Field names that are facts, not fields that differ between the documents."""


def ambiguity_facts(
    rest: Unresolved, left: Sequence[LedgerRow], right: Sequence[LedgerRow], margin: int, shown: int
) -> list[FieldDiff]:
    """Why the scored pass took none of a group, and the score components of its best candidates (in
    the order the English explanation lists them)."""
    facts: list[FieldDiff] = []
    if rest.reason == "too_many":
        facts.append(FieldDiff(field=GROUP_LIMIT, left=None, right=str(GROUP_CAP)))
    else:
        best, other = rest.best_total, rest.runner_up
        apart = "0.00" if best is None or other is None else str(Decimal(best - other).scaleb(-2))
        facts.append(FieldDiff(field=MARGIN, left=apart, right=str(margin)))
    ranked = sorted(rest.candidates, key=lambda c: (-c[2].total, left[c[0]].key_text, right[c[1]].key_text))
    for i, j, why in ranked[:shown]:
        components = ";".join(f"{name}={value}" for name, value in why.points().items())
        pair = f"{describe([left[i]])} ~ {describe([right[j]])}"
        facts.append(FieldDiff(field=CANDIDATE, left=pair, right=components))
    if len(ranked) > shown:
        facts.append(FieldDiff(field=MORE_CANDIDATES, left=None, right=str(len(ranked) - shown)))
    return facts
