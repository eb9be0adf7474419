"""`match(left, right, rule) -> MatchResult`: the passes of a match rule, in order, and what is left."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from decimal import Decimal

from config.rules import CrossKey, MatchRule, key_name
from reconcile.compare import Comparer
from reconcile.facts import ambiguity_facts
from reconcile.findings import Tolerances, describe, finding
from reconcile.match_list import MatchList
from reconcile.passes import (
    GROUP_CAP,
    Board,
    Group,
    Scored,
    Scorer,
    Unresolved,
    aggregate_pass,
    duplicate_groups,
    exact_pass,
    normalized_numbers,
    resolve_scored,
)
from reconcile.result import WITHIN_TOLERANCE, BridgeBuilder, Match, MatchContext, MatchResult, Why
from store.canonical import CanonicalDocument
from store.discrepancies import Discrepancy, DiscrepancyType, FieldDiff
from store.ledger_rows import LedgerRow

DocumentLike = CanonicalDocument | LedgerRow
_Explainer = Callable[[Sequence[LedgerRow], Sequence[LedgerRow]], str]


def as_rows(documents: Iterable[DocumentLike]) -> list[LedgerRow]:
    """Rows for the matcher: canonical documents are projected, rows pass through."""
    return [d if isinstance(d, LedgerRow) else LedgerRow.of(d) for d in documents]


def match(
    left: Iterable[DocumentLike],
    right: Iterable[DocumentLike],
    rule: MatchRule,
    context: MatchContext | None = None,
) -> MatchResult:
    """Reconcile two sets under a match rule. Every document ends in exactly one place: a clean match,
    one discrepancy, or `ignored` (deleted with no live counterpart). Audit checks are not a rule's
    business: they run once per document in an audit plan (reconcile/audits)."""
    ctx = context or MatchContext()
    run = _Run(rule, ctx, as_rows(left), as_rows(right))
    run.manual()
    run.exact()
    if rule.fuzzy.enabled:
        run.scored()
        run.aggregates()
    run.leftovers()
    return MatchResult(
        matches=run.matches,
        discrepancies=tuple(sorted(run.findings, key=_order)),
        bridge=run.bridge.build(),
        left_count=len(run.board.left),
        right_count=len(run.board.right),
        ignored=tuple(run.ignored),
    )


def _key_text(row: LedgerRow) -> str:
    return row.key_text


def _order(d: Discrepancy) -> tuple[str, str]:
    return (d.type.value, d.fingerprint)


class _Run:
    """The state of one match call: the board of taken rows and what has been found so far."""

    def __init__(
        self, rule: MatchRule, ctx: MatchContext, left: list[LedgerRow], right: list[LedgerRow]
    ) -> None:
        self.rule = rule
        self.ctx = ctx
        self.board = Board(left, right, ctx.forbidden)
        self.tolerances = Tolerances.of(rule.tolerance)
        self.comparer = Comparer(rule, self.tolerances, ctx.base_currency, ctx.aliases)
        self.bridge = BridgeBuilder(ctx.base_currency)
        self.matches = MatchList()
        self.findings: list[Discrepancy] = []
        self.ignored: list[LedgerRow] = []

    # ------------------------------------------------------------------ passes

    def manual(self) -> None:
        """Pairs a person made with `ledgerbridge match` come first and are never second-guessed."""
        if not self.ctx.forced:
            return
        wanted_left = {pair[0] for pair in self.ctx.forced}
        wanted_right = {pair[1] for pair in self.ctx.forced}
        left = {r.key_text: i for i, r in enumerate(self.board.left) if r.key_text in wanted_left}
        right = {r.key_text: j for j, r in enumerate(self.board.right) if r.key_text in wanted_right}
        groups: dict[int, list[int]] = {}
        for lkey, rkey in sorted(self.ctx.forced):
            if lkey in left and rkey in right and not self.board.right_taken[right[rkey]]:
                groups.setdefault(left[lkey], []).append(right[rkey])
                self.board.right_taken[right[rkey]] = 1
        for i, js in groups.items():
            self._pair(((i,), tuple(js)), "manual")

    def exact(self) -> None:
        numbered = any(_uses_number(key) for key in self.rule.keys)
        left_norm = normalized_numbers(self.board.left) if numbered else []
        right_norm = normalized_numbers(self.board.right) if numbered else []
        if "number" in self.rule.keys:
            for group in duplicate_groups(self.board, left_norm, right_norm):
                self._found(group, DiscrepancyType.DUPLICATE, _duplicate_text)
        for key in self.rule.keys:
            pairs, groups = exact_pass(self.board, key, left_norm, right_norm)
            self._pairs(pairs, key_name(key))
            for group in groups:
                lefts, rights = group
                aggregate = _through_reference(key) and (len(lefts) == 1 or len(rights) == 1)
                if aggregate and not self._any_deleted(group):
                    self._pair(group, "aggregate")
                else:
                    self._found(group, DiscrepancyType.AMBIGUOUS_MATCH, _ambiguous_text)

    def scored(self) -> None:
        scorer = Scorer(self.rule, self.tolerances, self.ctx.base_currency, self.ctx.aliases)
        pairs, unresolved = resolve_scored(self.board, scorer.edges(self.board), self.rule.fuzzy.margin)
        self._scored_pairs(pairs)
        for rest in unresolved:
            facts = ambiguity_facts(rest, self.board.left, self.board.right, self.rule.fuzzy.margin, _SHOWN)
            self._found(rest.group, DiscrepancyType.AMBIGUOUS_MATCH, self._scored_explainer(rest), facts)

    def aggregates(self) -> None:
        window = self.rule.fuzzy.date_window_days
        for group in aggregate_pass(self.board, self.tolerances, self.ctx.base_currency, window):
            self._pair(group, "aggregate")

    def leftovers(self) -> None:
        left_name, right_name = self.rule.left.source, self.rule.right.source
        for i in list(self.board.free_left()):
            row = self.board.left[i]
            if row.deleted:
                self.ignored.append(row)
                continue
            text = f"{describe([row])} is in {left_name} but has no counterpart in {right_name}"
            self._emit(finding(self.rule.name, DiscrepancyType.MISSING_IN_RIGHT, [row], [], text), [row], [])
        for j in list(self.board.free_right()):
            row = self.board.right[j]
            if row.deleted:
                self.ignored.append(row)
                continue
            text = f"{describe([row])} is in {right_name} but has no counterpart in {left_name}"
            self._emit(finding(self.rule.name, DiscrepancyType.MISSING_IN_LEFT, [], [row], text), [], [row])

    # ------------------------------------------------------------------ outcomes

    def _rows(self, group: Group) -> tuple[tuple[LedgerRow, ...], tuple[LedgerRow, ...]]:
        lefts = sorted((self.board.left[i] for i in group[0]), key=_key_text)
        rights = sorted((self.board.right[j] for j in group[1]), key=_key_text)
        return tuple(lefts), tuple(rights)

    def _any_deleted(self, group: Group) -> bool:
        lefts, rights = self._rows(group)
        return any(row.deleted for row in (*lefts, *rights))

    def _pairs(self, pairs: Iterable[tuple[int, int]], how: str) -> None:
        """One-to-one pairs: the clean ones take a fast path (this loop runs a million times)."""
        left, right = self.board.left, self.board.right
        left_taken, right_taken = self.board.left_taken, self.board.right_taken
        clean, add_clean, add_pair = self.comparer.clean, self.bridge.add_clean, self.matches.add_pair
        for i, j in pairs:
            lrow, rrow = left[i], right[j]
            if clean(lrow, rrow) and add_clean(lrow, rrow):
                left_taken[i] = right_taken[j] = 1
                add_pair(lrow, rrow, how)
            else:
                self._pair(((i,), (j,)), how)

    def _scored_pairs(self, pairs: Iterable[Scored]) -> None:
        """The scored pass's pairs, each with the components of its score (`Match.why`)."""
        left, right = self.board.left, self.board.right
        for i, j, why in pairs:
            lrow, rrow = left[i], right[j]
            if self.comparer.clean(lrow, rrow) and self.bridge.add_clean(lrow, rrow):
                self.board.left_taken[i] = self.board.right_taken[j] = 1
                self.matches.append(Match((lrow,), (rrow,), "fuzzy", why))
            else:
                self._pair(((i,), (j,)), "fuzzy", why)

    def _scored_explainer(self, rest: Unresolved) -> _Explainer:
        """The explanation of an unresolved group: why none is taken, and every candidate's score."""
        left, right = self.board.left, self.board.right
        margin = self.rule.fuzzy.margin
        shown = sorted(
            rest.candidates,
            key=lambda c: (-c[2].total, left[c[0]].key_text, right[c[1]].key_text),
        )
        listed = "; ".join(
            f"{describe([left[i]])} ~ {describe([right[j]])}: {why.describe()}"
            for i, j, why in shown[:_SHOWN]
        )
        if len(shown) > _SHOWN:
            listed += f"; and {len(shown) - _SHOWN} more"

        def explain(lefts: Sequence[LedgerRow], rights: Sequence[LedgerRow]) -> str:
            if rest.reason == "too_many":
                why_not = (
                    f"{len(lefts)} and {len(rights)} documents are candidates of each other, more than "
                    f"the {GROUP_CAP} a side that are weighed against each other"
                )
            else:
                apart = _points(rest.best_total, rest.runner_up)
                why_not = (
                    "no candidate is clearly better: pairing them differently scores within the margin "
                    f"of {margin} points of the best assignment ({apart} points apart)"
                )
            return (
                f"{describe(lefts)} could be {describe(rights)}: {why_not}; candidates (score: components) "
                f"{listed}; so none is taken (match them by hand with `ledgerbridge match`)"
            )

        return explain

    def _pair(self, group: Group, how: str, why: Why | None = None) -> None:
        self.board.take(group)
        lefts, rights = self._rows(group)
        if all(row.deleted for row in (*lefts, *rights)):
            self.ignored.extend((*lefts, *rights))
            return
        found = self.comparer.compare(Match(lefts, rights, how, why))
        if found is None:
            self.matches.append(Match(lefts, rights, how, why))
            self.bridge.add(WITHIN_TOLERANCE, lefts, rights)
        else:
            self._emit(found, lefts, rights)

    def _found(
        self, group: Group, kind: DiscrepancyType, explain: _Explainer, facts: Sequence[FieldDiff] = ()
    ) -> None:
        self.board.take(group)
        lefts, rights = self._rows(group)
        found = finding(self.rule.name, kind, lefts, rights, explain(lefts, rights), fields=facts)
        self._emit(found, lefts, rights)

    def _emit(self, found: Discrepancy, lefts: Sequence[LedgerRow], rights: Sequence[LedgerRow]) -> None:
        self.findings.append(found)
        self.bridge.add(found.type.value, lefts, rights)


_SHOWN = 6
"""Candidates listed in an ambiguous_match explanation of the scored pass."""


def _uses_number(key: str | CrossKey) -> bool:
    return key == "number" or (isinstance(key, CrossKey) and key.normalizes)


def _through_reference(key: str | CrossKey) -> bool:
    """A key through a reference may pair one document with several (an order invoiced in parts)."""
    fields = (key,) if isinstance(key, str) else (key.left, key.right)
    return any(field.startswith("references.") for field in fields)


def _points(best: int | None, other: int | None) -> str:
    if best is None or other is None:
        return "0.00"
    return str(Decimal(best - other).scaleb(-2))


def _duplicate_text(lefts: Sequence[LedgerRow], rights: Sequence[LedgerRow]) -> str:
    side = lefts if len(lefts) > 1 else rights
    return (
        f"number {side[0].number} is used by {len(side)} documents in {side[0].source} "
        f"({', '.join(r.external_id for r in side[:5])}); they are not paired until one is corrected"
    )


def _ambiguous_text(lefts: Sequence[LedgerRow], rights: Sequence[LedgerRow]) -> str:
    return (
        f"{describe(lefts)} could be {describe(rights)}: no candidate is clearly better than the others, "
        "so none is taken (match them by hand with `ledgerbridge match`)"
    )
