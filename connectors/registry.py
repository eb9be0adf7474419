"""Every connector kind this installation can build: the connectors layer's half of the kind registry.

config/kinds.py declares each kind's settings model (its `kind` tag, keys and stream names); each vendor
module declares a `KIND` (`ConnectorKind`: that model, the streams it implements, its factory) beside
its stream specs. This module lists them, keyed by the kind tag; sync/bootstrap.py takes its factories
from here. tests/connectors/test_registry.py proves both halves name the same kinds and streams.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

from connectors import bank, fxiaoke, jsonl, kingdee, quickbooks, xero
from connectors.base import ConnectorKind
from connectors.zoho import books, crm

CONNECTOR_KINDS: Final[Mapping[str, ConnectorKind]] = {
    kind.name: kind
    for kind in (
        crm.KIND,
        books.KIND,
        fxiaoke.KIND,
        jsonl.KIND,
        xero.KIND,
        quickbooks.KIND,
        kingdee.KIND,
        bank.KIND,
    )
}
"""Kind tag -> its declaration; add a new vendor's `KIND` here (and its settings model in config/kinds.py)."""
