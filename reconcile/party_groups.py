"""Folding the spellings of one customer into one report group (ADR 0022).

Two documents name the same customer when they carry the same party id in the same source, or when
their names agree once normalized (reconcile/match_keys.py: NFKC, so full-width is half-width; case
folded; punctuation and whitespace gone; legal forms such as "Co., Ltd.", "Inc." and 有限公司 removed).
Both links are followed transitively, so the CRM's "上海申远贸易有限公司" (id a1) and its later
"上海申远贸易 有限公司" (also a1) and the books' "上海申远贸易有限公司 " are one customer. The group shows
the most frequent spelling and keeps every spelling folded into it.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from reconcile.match_keys import normalize_party
from store.canonical import CanonicalDocument

Node = tuple[str, ...]
"""A party as first seen: ("id", source, party id) or ("name", normalized name)."""


@dataclass(frozen=True, slots=True)
class PartyGroup:
    """One customer as a report row names it."""

    label: str
    """The most frequent spelling (the party id when no document names it)."""
    variants: tuple[str, ...]
    """Every spelling folded into the group, most frequent first (one entry when nothing was folded)."""


def name_key(name: str) -> str:
    """The comparison key of a customer name: normalize_party's, with the spaces between words gone
    too (上海申远贸易 有限公司 and 上海申远贸易有限公司 are one spelling; so are "Acme Co" and "ACME-co")."""
    return "".join(normalize_party(name).split())


@dataclass
class PartyFolder:
    """Collects the customers of a stream of documents; `node(doc)` while streaming, `groups()` after."""

    _parent: dict[Node, Node] = field(default_factory=dict)
    _spellings: dict[Node, Counter[str]] = field(default_factory=dict)
    _ids: dict[Node, str] = field(default_factory=dict)

    def node(self, doc: CanonicalDocument) -> Node | None:
        """The document's customer (None when it names none), remembered with its spelling."""
        party = doc.party
        if party is None:
            return None
        name = (party.name or "").strip()
        key = name_key(name) if name else ""
        by_id: Node | None = ("id", doc.source, party.external_id) if party.external_id else None
        by_name: Node | None = ("name", key) if key else None
        if by_id is None and by_name is None:
            return None
        first = by_id or by_name
        assert first is not None
        self._add(first)
        if by_id is not None and by_name is not None:
            self._add(by_name)
            self._union(by_id, by_name)
        if by_id is not None:
            self._ids.setdefault(by_id, party.external_id or "")
        if name:
            self._spellings.setdefault(first, Counter())[name] += 1
        return first

    def groups(self) -> dict[Node, PartyGroup]:
        """Every node seen -> the group of its customer (nodes of one customer share one group)."""
        spellings: dict[Node, Counter[str]] = {}
        ids: dict[Node, list[str]] = {}
        for node, counted in self._spellings.items():
            spellings.setdefault(self._root(node), Counter()).update(counted)
        for node, party_id in self._ids.items():
            ids.setdefault(self._root(node), []).append(party_id)
        made: dict[Node, PartyGroup] = {}
        for root in {self._root(node) for node in self._parent}:
            counted = spellings.get(root, Counter())
            ordered = sorted(counted, key=lambda spelling: (-counted[spelling], spelling))
            label = ordered[0] if ordered else min(ids.get(root, [""]))
            made[root] = PartyGroup(label=label, variants=tuple(ordered) or (label,))
        return {node: made[self._root(node)] for node in self._parent}

    def _add(self, node: Node) -> None:
        self._parent.setdefault(node, node)

    def _root(self, node: Node) -> Node:
        root = node
        while self._parent[root] != root:
            root = self._parent[root]
        while node != root:  # path compression: the next look-up is one step
            self._parent[node], node = root, self._parent[node]
        return root

    def _union(self, a: Node, b: Node) -> None:
        root_a, root_b = self._root(a), self._root(b)
        if root_a != root_b:
            # The smaller node is the root: the grouping never depends on the order documents come in.
            low, high = sorted((root_a, root_b))
            self._parent[high] = low
