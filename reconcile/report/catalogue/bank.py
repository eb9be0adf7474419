"""Bank statement source (issue 21): the document kind's name, the import command's output and help."""

from __future__ import annotations

from typing import Final

MESSAGES: Final[dict[str, tuple[str, str]]] = {
    "kind.bank_transaction": ("Bank transaction", "银行流水"),
}
