"""Catalogue section: init, demo, sandbox, daemon and metrics."""

from __future__ import annotations

from typing import Final

MESSAGES: Final[dict[str, tuple[str, str]]] = {}
