"""The audit plan's fast paths find and skip exactly what running every check on every document does."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, timedelta
from decimal import Decimal
from typing import Any
from unittest import mock

from hypothesis import event, given, settings
from hypothesis import strategies as st

import reconcile.audits.plan as plan_module
from config.rules import ALL_AUDIT_CHECKS
from reconcile.audits import AuditContext, AuditLimits, AuditResult, audit_plan
from reconcile.audits.anomalies import Customers, party_key
from reconcile.audits.base import Skip
from reconcile.audits.rowchecks import ROW_CHECKS, triage
from reconcile.findings import Tolerances
from store.ledger_rows import LedgerRow

CHECKS = tuple(ALL_AUDIT_CHECKS)
LIMITS = AuditLimits(Tolerances(100, Decimal(0), 0))
DAY = date(2026, 10, 10)

amounts = st.one_of(st.none(), st.integers(-(10**6), 10**6))
small = st.one_of(st.none(), st.sampled_from([0, 0, 0, -300, 300, 2_000_000]))
"""Total components: mostly zero (the identity can hold), sometimes unknown, sometimes not zero."""


@st.composite
def rows(draw: st.DrawFn) -> LedgerRow:
    """Any document: either random figures, or figures that add up (so the fast paths are taken) with
    each total component known, zero or unknown and tax inclusive, exclusive or unknown."""
    kind = draw(st.sampled_from(["invoice", "sales_order", "payment", "credit_note"]))
    discount, shipping, adjustment, rounding = (draw(small) for _ in range(4))
    inclusive = draw(st.one_of(st.none(), st.booleans()))
    if draw(st.booleans()):
        subtotal, tax = draw(amounts), draw(amounts)
        total, lines, lines_min = draw(amounts), draw(amounts), draw(amounts)
    else:
        subtotal = draw(st.one_of(st.none(), st.integers(0, 10**6)))
        tax = draw(st.one_of(st.none(), st.integers(0, 10**5)))
        known = (discount or 0, shipping or 0, adjustment or 0, rounding or 0)
        total = (subtotal or 0) - known[0] + sum(known[1:]) + (0 if inclusive else tax or 0)
        total += draw(st.sampled_from([0, 0, 0, 1, 100, 101, -101]))
        lines = draw(st.sampled_from([subtotal, None, (subtotal or 0) + 500]))
        lines_min = None if lines is None else draw(st.sampled_from([0, 1, -1]))
    issued = draw(st.one_of(st.none(), st.just(DAY)))
    return LedgerRow(
        "books",
        kind,
        draw(st.sampled_from(["a", "b", "c", "d"])),
        draw(st.sampled_from([None, "INV-1", "INV-2", "inv 1"])),
        party_name=draw(st.sampled_from([None, " ", "Acme", "ACME ", "Ａｃｍｅ"])),
        owner=draw(st.sampled_from([None, "", "  ", "amy"])),
        issued_on=issued,
        due_on=None if issued is None else issued + timedelta(days=draw(st.integers(-2, 2))),
        currency="CNY",
        subtotal=subtotal,
        tax=tax,
        total=total,
        status=draw(st.sampled_from(["open", "open", "paid", "void", "deleted"])),
        deleted=draw(st.booleans()) and draw(st.booleans()),
        references=draw(st.sampled_from([None, {"sales_order": "so-1"}, {"invoice": "a"}])),
        lines_total=lines,
        lines_min=lines_min,
        discount=discount,
        shipping=shipping,
        adjustment=adjustment,
        rounding=rounding,
        tax_inclusive=inclusive,
    )


CONTEXT = AuditContext(
    order_dates={("books", "so-1"): DAY + timedelta(days=1)},
    invoices={("books", "a"): LedgerRow("books", "invoice", "a", "INV-1", total=1000)},
)


@settings(max_examples=600, deadline=None)
@given(row=rows())
def test_what_the_cheap_filter_decides_for_a_row_is_what_its_checks_say(row: LedgerRow) -> None:
    skips = triage(row, LIMITS)
    event("slow path" if skips is None else "fast path, skips" if skips else "fast path, clean")
    if skips is None:
        return  # "some check may fire": every check runs on this row
    outcomes = {check: run(row, LIMITS, CONTEXT) for check, run in ROW_CHECKS.items()}
    assert all(o is None or isinstance(o, Skip) for o in outcomes.values()), outcomes
    said = tuple((check, o.reason) for check, o in outcomes.items() if isinstance(o, Skip))
    assert skips == said


@contextmanager
def every_row_through_every_check() -> Iterator[None]:
    """The slow path: no row is let through the cheap filter."""
    with mock.patch.object(plan_module, "triage", return_value=None):
        yield


def _seen(result: AuditResult) -> tuple[Any, ...]:
    found = tuple((d.type.value, d.fingerprint, d.explanation, d.fields) for d in result.discrepancies)
    return found, result.documents, result.skipped


@settings(max_examples=300, deadline=None)
@given(
    entries=st.lists(
        st.tuples(
            st.lists(rows(), max_size=8),
            st.sets(st.sampled_from(CHECKS), min_size=1).map(sorted),
        ),
        min_size=1,
        max_size=3,
    )
)
def test_a_plan_finds_and_skips_the_same_with_and_without_its_fast_paths(
    entries: list[tuple[list[LedgerRow], list[str]]],
) -> None:
    fast = audit_plan("audit", entries, LIMITS, CONTEXT)
    with every_row_through_every_check():
        slow = audit_plan("audit", entries, LIMITS, CONTEXT)
    assert _seen(fast) == _seen(slow)


def test_an_unknown_component_is_counted_as_a_skip_without_running_any_check() -> None:
    clean: dict[str, Any] = {"subtotal": 1000, "tax": 130, "total": 1130, "owner": "amy", "issued_on": DAY}
    known: dict[str, Any] = {
        "discount": 0,
        "shipping": 0,
        "adjustment": 0,
        "rounding": 0,
        "tax_inclusive": False,
    }
    documents = [
        LedgerRow("books", "invoice", "1", "INV-1", **clean, **known),
        LedgerRow("books", "invoice", "2", "INV-2", **clean, **{**known, "discount": None}),
        LedgerRow("books", "invoice", "3", "INV-3", **clean, **{**known, "tax_inclusive": None}),
    ]

    def no_check(*_: object) -> None:
        raise AssertionError("a check ran on a document that can only skip")

    with mock.patch.dict(ROW_CHECKS, dict.fromkeys(ROW_CHECKS, no_check)):
        result = audit_plan("audit", [(documents, CHECKS)], LIMITS)
    assert result.discrepancies == ()
    assert result.skipped == {
        "discount_above_limit": {"discount_unknown": 1},
        "total_not_subtotal_plus_tax": {"discount_unknown": 1, "tax_inclusive_unknown": 1},
    }


def test_a_document_in_two_scope_entries_gets_the_checks_of_both_and_only_once() -> None:
    bad = LedgerRow("books", "invoice", "1", "INV-1", total=-5, owner=None, issued_on=DAY)
    only_first = bad._replace(external_id="2", number="INV-2")
    result = audit_plan(
        "audit", [([bad, only_first], ["missing_owner"]), ([bad], ["negative_amount"])], LIMITS
    )
    found = sorted((d.type.value, d.left[0].external_id) for d in result.discrepancies)
    assert found == [("missing_owner", "1"), ("missing_owner", "2"), ("negative_amount", "1")]
    assert result.documents == 2


@given(
    party_id=st.one_of(st.none(), st.just(""), st.text(max_size=5)),
    name=st.one_of(st.none(), st.text(max_size=8)),
)
def test_a_customer_is_keyed_as_party_key_says_however_often_its_name_is_seen(
    party_id: str | None, name: str | None
) -> None:
    row = LedgerRow("books", "invoice", "1", "INV-1", party_id=party_id, party_name=name, total=1)
    customers = Customers()
    expected = party_key(row)
    assert customers.party(row) == customers.party(row) == expected
    of = customers.of(row)
    assert (of is None and expected is None) or of == ("books", "invoice", None, expected)
