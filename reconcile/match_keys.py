"""Normalizing document numbers and party names so that formatting differences never count."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from rapidfuzz import fuzz

_NOT_ALNUM = re.compile(r"[\W_]+")

# Legal-form words and suffixes, compared after case folding and punctuation removal. Longest first,
# so 股份有限公司 is removed whole rather than leaving 股份; a name that is only a legal form is kept.
_CJK_TAIL = re.compile(r"(?:股份有限公司|有限责任公司|有限公司|集团公司|公司)+$")
_LATIN_SUFFIXES = frozenset(
    {
        "ltd",
        "limited",
        "co",
        "company",
        "inc",
        "incorporated",
        "corp",
        "corporation",
        "llc",
        "plc",
        "gmbh",
        "ag",
        "sa",
        "bv",
        "pte",
        "pty",
        "llp",
        "lp",
    }
)
_BRANCH_NOTE = re.compile(r"[(（\[【][^)）\]】]*[)）\]】]")


def normalize_number(number: str | None) -> str | None:
    """Document number -> comparison key: full-width folded, case folded, spaces/dashes/punctuation gone.

    INV-000123, inv000123 and ＩＮＶ－000123 all give INV000123. Empty results give None.
    """
    if number is None:
        return None
    if number.isascii():
        key = number.replace("-", "").replace(" ", "").upper()  # the common case, without a regex
        if key.isalnum():
            return key
    else:
        key = unicodedata.normalize("NFKC", number)
    key = _NOT_ALNUM.sub("", key).upper()
    return key or None


@lru_cache(maxsize=1 << 18)
def normalize_party(name: str | None) -> str:
    """Party name -> comparison text: case, punctuation, legal suffixes and (branch notes) removed."""
    if not name:
        return ""
    text = (name if name.isascii() else unicodedata.normalize("NFKC", name)).casefold()
    if "(" in text or "[" in text or "【" in text:
        text = _BRANCH_NOTE.sub(" ", text)
    words = _NOT_ALNUM.sub(" ", text.replace(".", "")).split()  # "L.L.C." is "llc", not "l l c"
    while words and words[-1] in _LATIN_SUFFIXES:
        words.pop()
    joined = " ".join(words)
    return _CJK_TAIL.sub("", joined).rstrip() or joined


def party_score(left: str | None, right: str | None) -> float:
    """How alike two party names are after normalization, 0-100 (100 = the same party)."""
    a, b = normalize_party(left), normalize_party(right)
    if not a or not b:
        return 0.0
    if a == b:
        return 100.0
    return float(fuzz.token_sort_ratio(a, b))
