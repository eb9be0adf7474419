"""Catalogue section: sync, connector, audit, backup/restore and secret commands; logs."""

from __future__ import annotations

from typing import Final

MESSAGES: Final[dict[str, tuple[str, str]]] = {}
