"""Catalogue section: order-to-cash and ageing."""

from __future__ import annotations

from typing import Final

MESSAGES: Final[dict[str, tuple[str, str]]] = {}
