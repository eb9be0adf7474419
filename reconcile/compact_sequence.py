"""`CompactSequence`: the reading side of a sequence that holds its items packed and makes each on access
(reconcile/match_list.py's matches, reconcile/passes.py's pairs): index, negative index, slice, equality
with any sequence of the same items (as the tuple or list it replaces), unhashable like a list."""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Sequence
from typing import TypeVar, overload

T = TypeVar("T")


class CompactSequence(Sequence[T]):
    """Subclasses give `__len__`, `_item(k)` for 0 <= k < len, and usually a faster `__iter__`."""

    __slots__ = ()

    @abstractmethod
    def _item(self, k: int) -> T:
        """The item at position k (already in range)."""

    @overload
    def __getitem__(self, index: int) -> T: ...

    @overload
    def __getitem__(self, index: slice) -> tuple[T, ...]: ...

    def __getitem__(self, index: int | slice) -> T | tuple[T, ...]:
        if isinstance(index, slice):
            return tuple(self._item(k) for k in range(*index.indices(len(self))))
        if index < 0:
            index += len(self)
        if not 0 <= index < len(self):
            raise IndexError(f"{type(self).__name__} index out of range")
        return self._item(index)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Sequence) or isinstance(other, str | bytes):
            return NotImplemented
        return len(self) == len(other) and all(a == b for a, b in zip(self, other, strict=True))

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"{type(self).__name__}({list(self)!r})"


__all__ = ["CompactSequence"]
