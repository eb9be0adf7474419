"""The review queue's services for the web app: act on many exceptions at once through the same path as
`ledgerbridge exceptions ack|assign|resolve` (reconcile.lifecycle.review, then the store's
record_action: one event and one audit row per exception), and the mismatch report of a queue filter
for the CSV and Excel writers."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from config.settings import Settings
from reconcile.lifecycle import TransitionError
from reconcile.report.i18n import Catalogue, Lang
from reconcile.report.mismatches import ExceptionItem, RuleSummary, mismatch_report, party_name
from reconcile.report.model import Report
from store.db import Engine
from store.discrepancies import DiscrepancyType, DocumentRef, ExceptionAction, ExceptionStatus
from store.exception_queue import ExceptionQueue, QueueFilter
from store.reconcile_repository import SqlReconcileRepository, StoredException
from store.repository import SqlLedgerRepository
from sync.exception_review import ChangedMeanwhile, MissingValue, NoSuchException, act, rule_sides

Refusal = Literal["missing", "refused", "changed"]


@dataclass(frozen=True)
class Outcome:
    """What one exception of a bulk action came to: done (`before` -> `after`) or refused and why
    (`missing`: no such exception; `refused`: its status does not allow the action, `error` says which
    statuses would; `changed`: someone else changed it meanwhile)."""

    exception_id: int
    before: ExceptionStatus | None
    after: ExceptionStatus | None
    refusal: Refusal | None = None
    error: TransitionError | None = None

    @property
    def done(self) -> bool:
        return self.refusal is None


def act_many(
    engine: Engine,
    exception_ids: Sequence[int],
    action: ExceptionAction,
    *,
    actor: str,
    now: datetime,
    note: str | None = None,
    resolution_kind: str | None = None,
    assignee: str | None = None,
) -> list[Outcome]:
    """Apply one person's `action` (with ONE note) to each exception through `exception_review.act`,
    the CLI's path: each in its own transaction with its event and audit row, so a refusal for some
    leaves the others done. MissingValue (no note to resolve, nobody to assign) is raised before any
    is touched."""
    if action is ExceptionAction.RESOLVED and not (note or "").strip():
        raise MissingValue(action, "note")
    if action is ExceptionAction.ASSIGNED and not (assignee or "").strip():
        raise MissingValue(action, "assignee")
    repo = SqlReconcileRepository(engine)
    outcomes: list[Outcome] = []
    for exception_id in dict.fromkeys(exception_ids):  # each once, in the order given
        try:
            done = act(
                repo,
                exception_id,
                action,
                actor=actor,
                now=now,
                note=note,
                kind=resolution_kind if action is ExceptionAction.RESOLVED else None,
                assignee=assignee if action is ExceptionAction.ASSIGNED else None,
            )
        except NoSuchException:
            outcomes.append(Outcome(exception_id, None, None, "missing"))
        except TransitionError as exc:
            outcomes.append(Outcome(exception_id, exc.status, None, "refused", exc))
        except ChangedMeanwhile:
            outcomes.append(Outcome(exception_id, None, None, "changed"))
        else:
            outcomes.append(Outcome(exception_id, done.before.status, done.after.status))
    return outcomes


def queue_report(
    engine: Engine,
    settings: Settings,
    where: QueueFilter,
    *,
    sort: str,
    lang: Lang,
    now: datetime,
    filters: Sequence[tuple[str, str]] = (),
) -> Report:
    """The mismatch report model of the exceptions a queue filter shows (counts per rule and type, then
    a section per type in the queue's order), for reconcile/report's CSV and Excel writers. `filters`:
    (catalogue key, value) lines for the report's header."""
    queue = ExceptionQueue(engine)
    ledger = SqlLedgerRepository(engine)
    counts = queue.counts(where, now=now)
    summaries = [
        RuleSummary(
            rule=rule,
            period="all",
            bridge=None,
            counts=per_type,
            sides=rule_sides(settings, rule),
            kind="audit",
        )
        for rule, per_type in sorted(counts.items())
    ]
    present = {name for per_type in counts.values() for name in per_type}

    def of_type(name: str) -> Iterator[ExceptionItem]:
        typed = QueueFilter(**{**where.__dict__, "types": (name,)})
        return (_item(stored) for stored in queue.all(typed, now=now, sort=sort))

    groups = ((kind.value, of_type(kind.value)) for kind in DiscrepancyType if kind.value in present)

    def load_party(ref: DocumentRef) -> str | None:
        document = ledger.get(ref.key)
        return None if document is None else party_name(document)

    return mismatch_report(
        summaries,
        groups,
        lang=lang,
        timezone=settings.timezone,
        generated_at=now,
        filters=tuple(filters) or ((("meta.rule", Catalogue(lang).text("meta.all")),)),
        load_party=load_party,
    )


def _item(stored: StoredException) -> ExceptionItem:
    return ExceptionItem(
        id=str(stored.id),
        status=stored.status.value,
        discrepancy=stored.discrepancy(),
        assignee=stored.assignee,
        first_seen_at=stored.first_seen_at,
        last_seen_at=stored.last_seen_at,
    )


def ids_of(values: Iterable[str]) -> list[int]:
    """Form values -> exception ids (what is not a positive database integer is left out)."""
    found: list[int] = []
    for value in values:
        if value.isdigit() and 0 < int(value) < 2**63:
            found.append(int(value))
    return found
