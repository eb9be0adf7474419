"""Exception lifecycle: what a run does to the exceptions it finds, and what review actions may do.

open -> acknowledged -> resolved (by a person); open/acknowledged -> auto_resolved (a later run no
longer sees it); resolved/auto_resolved -> open again (`reopened`) when the finding comes back or
changes. A resolved exception whose finding is unchanged stays resolved. Assigning and commenting
are allowed in every status and leave it as it is.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date

from store.discrepancies import Discrepancy, ExceptionAction, ExceptionStatus

_ACTIVE = frozenset({ExceptionStatus.OPEN, ExceptionStatus.ACKNOWLEDGED})


class TransitionError(ValueError):
    """A review action that the exception's current status does not allow. `allowed` holds the statuses
    it is allowed from (empty: runs do it, people never), so a command can say it in the reader's language."""

    def __init__(
        self,
        message: str,
        action: ExceptionAction,
        status: ExceptionStatus,
        allowed: frozenset[ExceptionStatus],
    ) -> None:
        super().__init__(message)
        self.action = action
        self.status = status
        self.allowed = allowed


@dataclass(frozen=True)
class ExceptionState:
    """What the store knows of an exception, as far as the lifecycle needs it."""

    fingerprint: str
    status: ExceptionStatus
    signature: str
    issued_on: date | None = None


@dataclass(frozen=True)
class Transition:
    """One change a run makes: the exception's new status and the event to append (None = only seen)."""

    fingerprint: str
    status: ExceptionStatus
    action: ExceptionAction | None
    note: str | None = None
    discrepancy: Discrepancy | None = None
    """The finding as this run saw it (None when the run no longer sees it)."""


def plan_run(
    existing: Mapping[str, ExceptionState],
    found: Iterable[Discrepancy],
    in_scope: Callable[[date | None], bool],
) -> list[Transition]:
    """Transitions for one run of one rule. `existing` holds that rule's exceptions; only those whose
    documents fall in the run's period (`in_scope` of their earliest issue date) can auto-resolve."""
    plan: list[Transition] = []
    seen: set[str] = set()
    for discrepancy in found:
        fingerprint = discrepancy.fingerprint
        if fingerprint in seen:
            continue
        seen.add(fingerprint)
        plan.append(_seen(existing.get(fingerprint), discrepancy))
    for fingerprint, state in sorted(existing.items()):
        if fingerprint in seen or state.status not in _ACTIVE or not in_scope(state.issued_on):
            continue
        plan.append(
            Transition(
                fingerprint,
                ExceptionStatus.AUTO_RESOLVED,
                ExceptionAction.AUTO_RESOLVED,
                "no longer found by the rule",
            )
        )
    return plan


def _seen(state: ExceptionState | None, found: Discrepancy) -> Transition:
    fingerprint = found.fingerprint
    if state is None:
        return Transition(fingerprint, ExceptionStatus.OPEN, ExceptionAction.OPENED, None, found)
    changed = state.signature != found.signature
    if state.status is ExceptionStatus.AUTO_RESOLVED:
        return Transition(fingerprint, ExceptionStatus.OPEN, ExceptionAction.REOPENED, "found again", found)
    if state.status is ExceptionStatus.RESOLVED:
        if changed:
            note = "found again with different figures after it was resolved"
            return Transition(fingerprint, ExceptionStatus.OPEN, ExceptionAction.REOPENED, note, found)
        return Transition(fingerprint, state.status, None, None, found)
    action = ExceptionAction.CHANGED if changed else None
    return Transition(fingerprint, state.status, action, "figures changed" if changed else None, found)


_ALLOWED: Mapping[ExceptionAction, tuple[frozenset[ExceptionStatus], ExceptionStatus | None]] = {
    ExceptionAction.ACKNOWLEDGED: (frozenset({ExceptionStatus.OPEN}), ExceptionStatus.ACKNOWLEDGED),
    ExceptionAction.RESOLVED: (_ACTIVE, ExceptionStatus.RESOLVED),
    ExceptionAction.REOPENED: (
        frozenset({ExceptionStatus.RESOLVED, ExceptionStatus.AUTO_RESOLVED}),
        ExceptionStatus.OPEN,
    ),
    ExceptionAction.ASSIGNED: (frozenset(ExceptionStatus), None),
    ExceptionAction.COMMENTED: (frozenset(ExceptionStatus), None),
}


def review(status: ExceptionStatus, action: ExceptionAction) -> ExceptionStatus:
    """The status after a person's action (ack, resolve, reopen, assign, comment), or TransitionError."""
    if action not in _ALLOWED:
        raise TransitionError(f"{action.value} is done by runs, not by people", action, status, frozenset())
    allowed, target = _ALLOWED[action]
    if status not in allowed:
        names = ", ".join(sorted(s.value for s in allowed))
        raise TransitionError(
            f"cannot mark an exception {action.value} while it is {status.value} (only when {names})",
            action,
            status,
            allowed,
        )
    return status if target is None else target
