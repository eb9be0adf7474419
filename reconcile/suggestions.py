"""Matching suggestions for an exception: the other side's unmatched documents ranked by the scored pass's
score, each with the reasons per field (amount, date, party, reference). Pure: the caller loads the rows.

The score is the matcher's own (`Scorer.why`, the components of `Match.why`), so a suggestion ranks as the
scored pass would weigh the pair; unlike the pass, a suggestion is not gated: a candidate outside the
tolerance, the date window or the party floor is still listed (with 0 on that component and
`eligible` False), since finance matching by hand is exactly the case the pass could not decide.
A pair a person declined (an `unmatch` override, ADR 0029) is never suggested.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Literal

from config.rules import MatchRule
from reconcile.findings import Tolerances
from reconcile.match_keys import normalize_party
from reconcile.party_aliases import NO_ALIASES, PartyAliases
from reconcile.passes import Scorer, references_overlap
from reconcile.result import Why
from store.ledger_rows import LedgerRow

Side = Literal["left", "right"]
SHOWN = 10
"""Suggestions listed per exception."""


@dataclass(frozen=True)
class Suggestion:
    """One candidate pair: the exception's document (`subject`, on `subject_side`) and a document of the
    other side, with the score's components and what they were computed from."""

    subject: LedgerRow
    candidate: LedgerRow
    subject_side: Side
    why: Why
    amount_difference: int | None
    """subject - candidate in the base currency's minor units; None when a total is unknown."""
    days_apart: int | None
    likeness: float
    """Party likeness 0-100 after normalization (100 for names an alias joins)."""
    aliased: bool
    reference: bool
    eligible: bool
    """The scored pass would weigh this pair (within tolerance, date window and party floor)."""

    @property
    def left(self) -> LedgerRow:
        return self.subject if self.subject_side == "left" else self.candidate

    @property
    def right(self) -> LedgerRow:
        return self.candidate if self.subject_side == "left" else self.subject

    @property
    def parties_differ(self) -> bool:
        """The two party names are different names (an alias may be worth recording)."""
        a, b = self.left.party_name, self.right.party_name
        return bool(a and b and normalize_party(a) != normalize_party(b) and not self.aliased)


def rank(
    subjects: Sequence[LedgerRow],
    candidates: Iterable[LedgerRow],
    rule: MatchRule,
    *,
    subject_side: Side,
    base_currency: str | None,
    declined: frozenset[tuple[str, str]] = frozenset(),
    aliases: PartyAliases = NO_ALIASES,
    limit: int = SHOWN,
) -> list[Suggestion]:
    """The best `limit` pairs of a subject with a candidate, best first (score, then eligible, then keys:
    no order of the input changes the list). Pairs scoring 0, deleted documents and `declined` pairs
    ((left key text, right key text)) are left out."""
    tolerances = Tolerances.of(rule.tolerance)
    scorer = Scorer(rule, tolerances, base_currency, aliases)
    own = {row.key_text for row in subjects}
    pool = [row for row in candidates if not row.deleted and row.key_text not in own]
    found: list[Suggestion] = []
    for subject in subjects:
        if subject.deleted:
            continue
        for candidate in pool:
            pair = (
                (subject.key_text, candidate.key_text)
                if subject_side == "left"
                else (candidate.key_text, subject.key_text)
            )
            if pair in declined:
                continue
            suggestion = _suggestion(scorer, tolerances, subject, candidate, subject_side)
            if suggestion.why.total > 0:
                found.append(suggestion)
    found.sort(key=lambda s: (-s.why.total, not s.eligible, s.left.key_text, s.right.key_text))
    return found[:limit]


def _suggestion(
    scorer: Scorer, tolerances: Tolerances, subject: LedgerRow, candidate: LedgerRow, side: Side
) -> Suggestion:
    left, right = (subject, candidate) if side == "left" else (candidate, subject)
    why = scorer.why(left, right)
    fuzzy = scorer.rule.fuzzy
    a, b = subject.base_total(scorer.base_currency), candidate.base_total(scorer.base_currency)
    days = (
        abs((subject.issued_on - candidate.issued_on).days)
        if subject.issued_on is not None and candidate.issued_on is not None
        else None
    )
    aliased = scorer.aliases.same(subject.party_name, candidate.party_name)
    likeness = scorer.aliases.score(subject.party_name, candidate.party_name)
    eligible = (
        a is not None
        and b is not None
        and tolerances.accepts(a, b)
        and (days is None or days <= fuzzy.date_window_days)
        and likeness >= fuzzy.min_party_score
    )
    return Suggestion(
        subject=subject,
        candidate=candidate,
        subject_side=side,
        why=why,
        amount_difference=None if a is None or b is None else a - b,
        days_apart=days,
        likeness=likeness,
        aliased=aliased,
        reference=references_overlap(left, right),
        eligible=eligible,
    )
