"""Party aliases: names finance declared to be the same customer (ADR 0029), for the party comparison.

An alias says "party name A ≡ B". Names are compared after `normalize_party`, and aliases chain: A ≡ B
and B ≡ C make A, B and C one party. Two aliased names score 100 (the same party) in the scored pass and
never raise `party_mismatch`; names no alias joins are compared as before.
"""

from __future__ import annotations

from collections.abc import Iterable

from reconcile.match_keys import normalize_party, party_score


class PartyAliases:
    """Classes of party names declared equal. Immutable once built; empty = no alias in force."""

    __slots__ = ("_root",)

    def __init__(self, pairs: Iterable[tuple[str, str]] = ()) -> None:
        parent: dict[str, str] = {}

        def find(name: str) -> str:
            root = name
            while parent.setdefault(root, root) != root:
                root = parent[root]
            return root

        for a, b in pairs:
            na, nb = normalize_party(a), normalize_party(b)
            if not na or not nb:
                continue
            ra, rb = find(na), find(nb)
            if ra != rb:
                parent[max(ra, rb)] = min(ra, rb)  # the smaller text is the root: order-independent
        self._root = {name: find(name) for name in parent}

    def __bool__(self) -> bool:
        return bool(self._root)

    def same(self, a: str | None, b: str | None) -> bool:
        """True when an alias (or a chain of them) joins the two names."""
        if not self._root or not a or not b:
            return False
        ra = self._root.get(normalize_party(a))
        return ra is not None and ra == self._root.get(normalize_party(b))

    def score(self, a: str | None, b: str | None) -> float:
        """`party_score`, except that aliased names are the same party (100)."""
        return 100.0 if self.same(a, b) else party_score(a, b)


NO_ALIASES = PartyAliases()
