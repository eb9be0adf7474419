"""Reviewing one exception, the one code path `ledgerbridge exceptions ack|resolve|assign|reopen|comment`
and the web app's Exception page share: the lifecycle decides whether the action is allowed
(reconcile/lifecycle.py), the store records the new state, the event and the ONE audit row in one
transaction (SqlReconcileRepository.record_action). Also what both say about an exception in the
reader's language: its explanation (the reports' template), a refused action, the labels of statuses
and events."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from config.rules import SettlementRule
from config.settings import Settings
from reconcile.lifecycle import TransitionError, review
from reconcile.report.explain import Sides, explanation
from reconcile.report.i18n import Catalogue
from store.discrepancies import ExceptionAction
from store.reconcile_repository import SqlReconcileRepository, StoredException

NEEDS_NOTE = frozenset({ExceptionAction.RESOLVED, ExceptionAction.COMMENTED})
"""A resolution says why; a comment is its note."""


class NoSuchException(LookupError):
    def __init__(self, exception_id: int) -> None:
        super().__init__(f"no exception {exception_id}")
        self.exception_id = exception_id


class MissingValue(ValueError):
    """An action without what it needs: `note` (resolve, comment) or `assignee` (assign)."""

    def __init__(self, action: ExceptionAction, field: str) -> None:
        super().__init__(f"{action.value} needs a {field}")
        self.action = action
        self.field = field


class ChangedMeanwhile(RuntimeError):
    """Someone else changed the exception's status between our read and our write."""

    def __init__(self, exception_id: int) -> None:
        super().__init__(f"exception {exception_id} changed meanwhile")
        self.exception_id = exception_id


@dataclass(frozen=True)
class Reviewed:
    before: StoredException
    after: StoredException


def act(
    repo: SqlReconcileRepository,
    exception_id: int,
    action: ExceptionAction,
    *,
    actor: str,
    now: datetime,
    note: str | None = None,
    kind: str | None = None,
    assignee: str | None = None,
) -> Reviewed:
    """A person's action on one exception, recorded with its event and audit row. Raises
    NoSuchException, MissingValue, TransitionError (the status does not allow it) or ChangedMeanwhile."""
    found = repo.get_exception(exception_id)
    if found is None:
        raise NoSuchException(exception_id)
    if note is not None and not note.strip():
        note = None
    if action in NEEDS_NOTE and note is None:
        raise MissingValue(action, "note")
    if action is ExceptionAction.ASSIGNED and not (assignee or "").strip():
        raise MissingValue(action, "assignee")
    after = review(found.status, action)
    try:
        repo.record_action(
            exception_id,
            action=action,
            before=found.status,
            after=after,
            actor=actor,
            note=note,
            now=now,
            resolution_kind=kind,
            assignee=assignee,
        )
    except LookupError as exc:
        raise ChangedMeanwhile(exception_id) from exc
    updated = repo.get_exception(exception_id)
    if updated is None:  # deleted by a restore between the two statements
        raise ChangedMeanwhile(exception_id)
    return Reviewed(found, updated)


# ----------------------------------------------------------------------------- in the reader's words


def status_label(catalogue: Catalogue, value: str) -> str:
    return catalogue.value("status", value) if catalogue.has(f"status.{value}") else value


def action_label(catalogue: Catalogue, action: str) -> str:
    """An event's name: `finance.action.<action>` (a name this version does not know: as stored)."""
    key = f"finance.action.{action}"
    return catalogue.text(key) if catalogue.has(key) else action


def refusal(catalogue: Catalogue, exception_id: int, exc: TransitionError) -> str:
    """Why the lifecycle refused an action: what the status is and when it would be allowed."""
    action = action_label(catalogue, exc.action.value)
    if not exc.allowed:
        return catalogue.text("finance.act.by_runs", id=exception_id, action=action)
    allowed = catalogue.text("finance.or").join(status_label(catalogue, s.value) for s in sorted(exc.allowed))
    return catalogue.text(
        "finance.act.refused",
        id=exception_id,
        action=catalogue.text(f"finance.verb.{exc.action.value}"),
        status=status_label(catalogue, exc.status.value),
        allowed=allowed,
    )


def missing(catalogue: Catalogue, exc: MissingValue) -> str:
    return catalogue.text(
        f"finance.act.needs_{exc.field}", action=catalogue.text(f"finance.verb.{exc.action.value}")
    )


REFUSED = (MissingValue, TransitionError, ChangedMeanwhile)
"""What `act` raises when it records nothing for a known exception; `why_refused` says why."""


def why_refused(
    catalogue: Catalogue,
    exception_id: int,
    exc: MissingValue | TransitionError | ChangedMeanwhile,
    *,
    changed_key: str,
) -> str:
    """The reader's sentence for a refused action; `changed_key` words ChangedMeanwhile for the place
    it is read (the CLI says to look again, the web page shows the exception as it is now)."""
    if isinstance(exc, MissingValue):
        return missing(catalogue, exc)
    if isinstance(exc, TransitionError):
        return refusal(catalogue, exception_id, exc)
    return catalogue.text(changed_key, id=exception_id)


def rule_sides(settings: Settings, name: str) -> Sides:
    """The sources a configured rule compares (an audit plan or a rule no longer configured: none)."""
    for rule in settings.reconcile.rules:
        if rule.name == name:
            if isinstance(rule, SettlementRule):
                return rule.invoices.source, rule.payments.source
            return rule.left.source, rule.right.source
    return None, None


def explained(stored: StoredException, catalogue: Catalogue, sides: Sides) -> str:
    """The catalogue's template filled from the finding, in either language, as the reports say it (the
    stored sentence only for a type this version no longer knows)."""
    try:
        found = stored.discrepancy()
    except ValueError:
        return stored.explanation
    return explanation(found, catalogue, sides)
