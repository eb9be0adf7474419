"""Catalogue section: exceptions, ledger and match commands; tables."""

from __future__ import annotations

from typing import Final

MESSAGES: Final[dict[str, tuple[str, str]]] = {}
