"""Matching suggestions for an exception, and acting on one: "match these" (a `match` override, then the
rule re-run for the exception's period, as `ledgerbridge match` + `reconcile run --rule R --period P`),
"not this one" (an `unmatch` override, as `ledgerbridge unmatch`), and party aliases (ADR 0029).
The web app calls these; the CLI's commands reach the same store paths."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Final

from config.rules import MatchRule
from config.settings import Settings
from reconcile.match_keys import normalize_party
from reconcile.party_aliases import PartyAliases
from reconcile.periods import parse_period
from reconcile.suggestions import Side, Suggestion, rank
from store.canonical import DocumentKey, DocumentKind
from store.db import Engine
from store.discrepancies import DiscrepancyType
from store.ledger_rows import LedgerRow
from store.party_aliases import AliasRecord, SqlAliasStore
from store.reconcile_repository import SqlReconcileRepository, StoredException
from store.suggestions import SqlSuggestionSource
from sync.reconcile_job import PlanRun, RuleRun, SkippedRun, run_rules

Clock = Callable[[], datetime]
SUGGESTED: Final = frozenset(
    {DiscrepancyType.MISSING_IN_LEFT, DiscrepancyType.MISSING_IN_RIGHT, DiscrepancyType.AMBIGUOUS_MATCH}
)
"""The exception types that get suggestions (the others already name both sides)."""
RERUN_SYNC_WAIT: Final = 5.0
"""How long "match these" waits for a sync of the rule's sources before leaving the re-run to later."""


class SuggestionError(Exception):
    """A pair that is not a suggestion of this exception (another rule's side, an unknown document)."""


@dataclass(frozen=True)
class ExceptionSuggestions:
    exception: StoredException
    rule: MatchRule | None
    period: str
    suggestions: tuple[Suggestion, ...]

    @property
    def offered(self) -> bool:
        """The exception is of a type that gets suggestions, under a match rule."""
        return self.rule is not None and DiscrepancyType(self.exception.type) in SUGGESTED


@dataclass(frozen=True)
class MatchOutcome:
    """What "match these" did: the override, the re-run (or why it was skipped), the exception after."""

    rule: str
    period: str
    left: LedgerRow
    right: LedgerRow
    run: RuleRun | None
    skipped: str | None
    exception: StoredException | None

    @property
    def alias_offer(self) -> tuple[str, str] | None:
        """The two party names when they are spelled differently (finance may record the alias)."""
        a, b = self.left.party_name, self.right.party_name
        return (a, b) if a and b and a != b else None


def suggestions(
    engine: Engine, settings: Settings, exception: StoredException, *, clock: Clock
) -> ExceptionSuggestions:
    """The ranked candidates of one exception (empty for types and rules that get none)."""
    rule = _match_rule(settings, exception.rule)
    period = _period(engine, exception, rule)
    empty = ExceptionSuggestions(exception, rule, period, ())
    if rule is None or DiscrepancyType(exception.type) not in SUGGESTED:
        return empty
    side: Side = "right" if exception.type == DiscrepancyType.MISSING_IN_LEFT else "left"
    source = SqlSuggestionSource(engine)
    subjects = source.rows([ref.key for ref in (exception.right if side == "right" else exception.left)])
    if not subjects:
        return empty
    other = rule.left if side == "right" else rule.right
    scope = parse_period(period, clock(), settings.zone)
    pool: dict[str, LedgerRow] = {}
    for subject in subjects:
        for row in source.unmatched(
            rule=rule.name,
            side="left" if side == "right" else "right",
            source=other.source,
            kind=other.kind,
            filters={str(name): values for name, values in other.filters.items()},
            start=scope.start,
            end=scope.end,
            near=subject.base_total(settings.base_currency),
        ):
            pool.setdefault(row.key_text, row)
    _, declined = SqlReconcileRepository(engine).overrides(rule.name)
    ranked = rank(
        subjects,
        pool.values(),
        rule,
        subject_side=side,
        base_currency=settings.base_currency,
        declined=declined,
        aliases=PartyAliases(SqlAliasStore(engine).pairs(rule.name)),
    )
    return ExceptionSuggestions(exception, rule, period, tuple(ranked))


def match_these(
    engine: Engine,
    settings: Settings,
    exception: StoredException,
    subject: str,
    candidate: str,
    *,
    actor: str,
    note: str,
    clock: Clock,
    sync_wait: float = RERUN_SYNC_WAIT,
) -> MatchOutcome:
    """Record the manual match of a suggested pair (the `match` override and its `match.match` audit row)
    and re-run the rule for the exception's period under the same sync locks as `reconcile run`; a sync
    holding one beyond `sync_wait` leaves the re-run to the next run (`skipped` says why)."""
    found, left, right = _pair(engine, settings, exception, subject, candidate)
    SqlReconcileRepository(engine).set_override(
        rule=found.rule.name if found.rule else exception.rule,
        action="match",
        left_key=left.key_text,
        right_key=right.key_text,
        actor=actor,
        note=note,
        now=clock(),
    )
    skipped: list[SkippedRun] = []
    runs: Sequence[RuleRun | PlanRun] = run_rules(
        engine,
        settings,
        names=[exception.rule],
        period=found.period,
        clock=clock,
        actor=actor,
        sync_wait=sync_wait,
        skipped=skipped,
    )
    run = next((r for r in runs if isinstance(r, RuleRun)), None)
    after = SqlReconcileRepository(engine).get_exception(exception.id)
    reason = skipped[0].reason if skipped else None
    return MatchOutcome(exception.rule, found.period, left, right, run, reason, after)


def decline(
    engine: Engine,
    settings: Settings,
    exception: StoredException,
    subject: str,
    candidate: str,
    *,
    actor: str,
    note: str,
    now: datetime,
) -> tuple[LedgerRow, LedgerRow]:
    """ "Not this one": an `unmatch` override of the pair (its `match.unmatch` audit row, as `ledgerbridge
    unmatch`): never suggested again for the rule, and never paired by its passes (ADR 0029)."""
    _, left, right = _pair(engine, settings, exception, subject, candidate)
    SqlReconcileRepository(engine).set_override(
        rule=exception.rule,
        action="unmatch",
        left_key=left.key_text,
        right_key=right.key_text,
        actor=actor,
        note=note,
        now=now,
    )
    return left, right


def _pair(
    engine: Engine, settings: Settings, exception: StoredException, subject: str, candidate: str
) -> tuple[ExceptionSuggestions, LedgerRow, LedgerRow]:
    """(the exception's suggestions context, left row, right row) of a pair the page offered: `subject` is
    one of the exception's documents on the side that gets suggestions, `candidate` a document of the
    rule's other side."""
    rule = _match_rule(settings, exception.rule)
    if rule is None or DiscrepancyType(exception.type) not in SUGGESTED:
        raise SuggestionError(f"exception {exception.id} gets no suggestions")
    side: Side = "right" if exception.type == DiscrepancyType.MISSING_IN_LEFT else "left"
    own = {str(ref.key) for ref in (exception.right if side == "right" else exception.left)}
    if subject not in own:
        raise SuggestionError(f"{subject} is not a document of exception {exception.id}")
    other = rule.left if side == "right" else rule.right
    key = _key(candidate)
    if key is None or (key.source, key.kind.value) != (other.source, other.kind):
        raise SuggestionError(f"{candidate} is not a {other.source} {other.kind}")
    subject_key = _key(subject)
    assert subject_key is not None
    rows = SqlSuggestionSource(engine).rows([subject_key, key])
    if len(rows) != 2:
        raise SuggestionError(f"{candidate} is not in the ledger")
    found = ExceptionSuggestions(exception, rule, _period(engine, exception, rule), ())
    first, second = rows
    return (found, first, second) if side == "left" else (found, second, first)


def _key(text: str) -> DocumentKey | None:
    parts = text.split("/", 2)
    if len(parts) != 3 or parts[1] not in {k.value for k in DocumentKind}:
        return None
    return DocumentKey(source=parts[0], kind=DocumentKind(parts[1]), external_id=parts[2])


def _match_rule(settings: Settings, name: str) -> MatchRule | None:
    try:
        rule = settings.reconcile.rule(name)
    except KeyError:
        return None
    return rule if isinstance(rule, MatchRule) else None


def _period(engine: Engine, exception: StoredException, rule: MatchRule | None) -> str:
    """The period of the run that last saw the exception, else the rule's, else everything."""
    return SqlSuggestionSource(engine).exception_period(exception.id) or (rule and rule.period) or "all"


class AliasRefused(ValueError):
    """An alias that would say nothing (an empty name, two names already the same party) or names an
    unknown rule. `reason`: `empty`, `same` or `rule`."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def record_alias(
    engine: Engine,
    settings: Settings,
    name_a: str,
    name_b: str,
    *,
    rule: str | None,
    actor: str,
    note: str,
    now: datetime,
) -> AliasRecord:
    """Party name A ≡ B for `rule` (None: every rule), as `ledgerbridge alias add` and the web app record
    it (its `alias.add` audit row). Later runs compare the two names as the same party."""
    a, b = name_a.strip(), name_b.strip()
    if not a or not b:
        raise AliasRefused("empty")
    if normalize_party(a) == normalize_party(b):
        raise AliasRefused("same")
    if rule is not None and rule not in {r.name for r in settings.reconcile.rules}:
        raise AliasRefused("rule")
    return SqlAliasStore(engine).add(a, b, rule=rule, actor=actor, note=note, now=now)
