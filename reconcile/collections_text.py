"""Document numbers found in a bank line's remittance text, whatever its width, case and spacing.

A payer types `ＩＮＶ－００１`, `inv 001`, `INV-001,INV-002` or `Payment for INV001/INV002`: the text is
NFKC-folded (full-width letters, digits and dashes become ASCII) and upper-cased, then every run of
letters and digits between two separators is a piece. A number is found when its normalized form
(reconcile/match_keys.normalize_number: INV-001 -> INV001) equals the pieces of one stretch of the text
joined without their separators: `INV 001` and `INV-001` name INV001, `INV-0012` does not (the stretch
must end where a piece ends). Numbers shorter than MIN_NUMBER are never looked for inside a text.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator, Mapping
from typing import Final

MIN_NUMBER: Final = 4
"""A normalized number shorter than this (`17`, `A1`) is too likely to be part of something else."""
MAX_PIECES: Final = 6
"""A number spans at most this many pieces of the text (`INV 2026 10 001` is four)."""
_PIECE = re.compile(r"[A-Z0-9]+")


def pieces(text: str | None) -> list[str]:
    """The letter-and-digit runs of a remittance text, folded (NFKC, upper case)."""
    if not text:
        return []
    folded = text if text.isascii() else unicodedata.normalize("NFKC", text)
    return _PIECE.findall(folded.upper())


def stretches(text: str | None, longest: int) -> Iterator[str]:
    """Every run of consecutive pieces joined without separators, up to `longest` characters: the
    candidates a normalized number is looked up as."""
    parts = pieces(text)
    for start in range(len(parts)):
        joined = ""
        for part in parts[start : start + MAX_PIECES]:
            joined += part
            if len(joined) > longest:
                break
            if len(joined) >= MIN_NUMBER:
                yield joined


def named_in(text: str | None, index: Mapping[str, frozenset[int]], longest: int) -> set[int]:
    """The positions `index` (normalized number -> positions) holds for every number the text names."""
    found: set[int] = set()
    for candidate in stretches(text, longest):
        hit = index.get(candidate)
        if hit:
            found |= hit
    return found
