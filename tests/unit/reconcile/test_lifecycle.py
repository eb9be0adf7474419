"""What runs and people may do to an exception."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from reconcile.lifecycle import ExceptionState, TransitionError, plan_run, review
from store.canonical import DocumentKind
from store.discrepancies import Discrepancy, DiscrepancyType, DocumentRef, ExceptionAction, ExceptionStatus


def _found(difference: str = "5.00") -> Discrepancy:
    ref = DocumentRef(source="crm", kind=DocumentKind.INVOICE, external_id="1", issued_on=date(2026, 10, 3))
    return Discrepancy(
        rule="r",
        type=DiscrepancyType.AMOUNT_MISMATCH,
        left=(ref,),
        difference=Decimal(difference),
        explanation="x",
    )


def _state(status: ExceptionStatus, found: Discrepancy) -> dict[str, ExceptionState]:
    return {found.fingerprint: ExceptionState(found.fingerprint, status, found.signature, date(2026, 10, 3))}


def _everything(_: date | None) -> bool:
    return True


def test_the_fingerprint_depends_on_rule_type_and_documents_not_on_figures() -> None:
    assert _found("5.00").fingerprint == _found("7.00").fingerprint
    assert _found("5.00").signature != _found("7.00").signature


def test_a_new_finding_opens_an_exception_and_a_repeat_only_refreshes_it() -> None:
    [first] = plan_run({}, [_found()], _everything)
    assert (first.status, first.action) == (ExceptionStatus.OPEN, ExceptionAction.OPENED)
    [again] = plan_run(_state(ExceptionStatus.ACKNOWLEDGED, _found()), [_found()], _everything)
    assert (again.status, again.action) == (ExceptionStatus.ACKNOWLEDGED, None)


def test_an_exception_no_longer_found_is_auto_resolved_and_reopened_when_it_returns() -> None:
    [gone] = plan_run(_state(ExceptionStatus.OPEN, _found()), [], _everything)
    assert (gone.status, gone.action) == (ExceptionStatus.AUTO_RESOLVED, ExceptionAction.AUTO_RESOLVED)
    [back] = plan_run(_state(ExceptionStatus.AUTO_RESOLVED, _found()), [_found()], _everything)
    assert (back.status, back.action) == (ExceptionStatus.OPEN, ExceptionAction.REOPENED)


def test_an_exception_outside_the_run_period_is_left_alone() -> None:
    assert plan_run(_state(ExceptionStatus.OPEN, _found()), [], lambda day: day == date(2026, 11, 1)) == []


def test_a_resolved_exception_stays_resolved_while_unchanged_and_reopens_when_its_figures_change() -> None:
    [same] = plan_run(_state(ExceptionStatus.RESOLVED, _found()), [_found()], _everything)
    assert (same.status, same.action) == (ExceptionStatus.RESOLVED, None)
    [changed] = plan_run(_state(ExceptionStatus.RESOLVED, _found()), [_found("9.00")], _everything)
    assert (changed.status, changed.action) == (ExceptionStatus.OPEN, ExceptionAction.REOPENED)
    assert plan_run(_state(ExceptionStatus.RESOLVED, _found()), [], _everything) == []


def test_review_actions_follow_the_lifecycle() -> None:
    assert review(ExceptionStatus.OPEN, ExceptionAction.ACKNOWLEDGED) is ExceptionStatus.ACKNOWLEDGED
    assert review(ExceptionStatus.ACKNOWLEDGED, ExceptionAction.RESOLVED) is ExceptionStatus.RESOLVED
    assert review(ExceptionStatus.RESOLVED, ExceptionAction.REOPENED) is ExceptionStatus.OPEN
    assert review(ExceptionStatus.RESOLVED, ExceptionAction.ASSIGNED) is ExceptionStatus.RESOLVED
    with pytest.raises(TransitionError, match="while it is resolved"):
        review(ExceptionStatus.RESOLVED, ExceptionAction.ACKNOWLEDGED)
    with pytest.raises(TransitionError, match="done by runs"):
        review(ExceptionStatus.OPEN, ExceptionAction.AUTO_RESOLVED)
