"""One document's revisions and what changed between them, and what a typed document name means: the
logic `ledgerbridge ledger history` and the web app's Document page share (neither copies it).

A revision's changes compare the canonical JSON of the revision before with its own, field by field;
the first revision has none (it is the document as first seen)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from reconcile.report.fmt import format_amount
from reconcile.report.i18n import Catalogue
from store.canonical import DocumentKey, DocumentKind
from store.repository import DocumentCandidate, Revision, SqlLedgerRepository

IGNORED = frozenset({"revision"})
"""Fields never reported as changed (the revision number changes every time, by definition)."""
SHORT = 40
"""Characters of a value shown in a change before it is cut with `...`."""


def parse_key(text: str) -> DocumentKey | None:
    """SOURCE/KIND/EXTERNAL_ID, else None (a number may hold slashes: `INV/2026/001`)."""
    parts = text.split("/", 2)
    if len(parts) == 3 and all(parts) and parts[1] in {k.value for k in DocumentKind}:
        return DocumentKey(source=parts[0], kind=DocumentKind(parts[1]), external_id=parts[2])
    return None


def find_named(
    ledger: SqlLedgerRepository,
    name: str,
    *,
    source: str | None = None,
    kind: str | None = None,
    limit: int = 50,
) -> list[DocumentCandidate] | DocumentKey:
    """What `name` names: a key when it is spelt SOURCE/KIND/EXTERNAL_ID, else the documents of that
    number or external id (the store's find_documents: none, one or several, at most `limit`)."""
    key = parse_key(name.strip())
    if key is not None:
        return key
    return ledger.find_documents(name, source=source, kind=kind, limit=limit)


@dataclass(frozen=True)
class FieldChange:
    """One field of the canonical JSON that differs from the revision before (values as JSON holds them)."""

    field: str
    before: Any
    after: Any

    def label(self, catalogue: Catalogue) -> str:
        return field_label(catalogue, self.field)


@dataclass(frozen=True)
class RevisionDiff:
    """A revision and what changed in it. `first`: the document as first recorded (no changes)."""

    revision: Revision
    first: bool
    changes: tuple[FieldChange, ...]

    def first_amount(self) -> str:
        """The first revision's total as a person reads it (`CNY 250.00`), `-` when it has none."""
        document = self.revision.document
        return format_amount(document.total, document.currency) if document.total is not None else "-"


def revision_diffs(revisions: Sequence[Revision]) -> list[RevisionDiff]:
    """Each revision (oldest first, as `SqlLedgerRepository.history` gives them) with its changes."""
    found: list[RevisionDiff] = []
    previous: dict[str, Any] = {}
    for entry in revisions:
        current = entry.document.to_json_dict()
        found.append(RevisionDiff(entry, not previous, field_changes(previous, current) if previous else ()))
        previous = current
    return found


def field_changes(before: dict[str, Any], after: dict[str, Any]) -> tuple[FieldChange, ...]:
    """The fields of `after` whose value differs from `before`'s, in `after`'s field order."""
    return tuple(
        FieldChange(name, before.get(name), value)
        for name, value in after.items()
        if name not in IGNORED and before.get(name) != value
    )


def describe(catalogue: Catalogue, diff: RevisionDiff) -> str:
    """One line: `first seen: CNY 250.00`, `total: 250.00 → 205.00; status: open → paid`, or `no change`."""
    if diff.first:
        return catalogue.text("finance.history.first", amount=diff.first_amount())
    shown = [f"{c.label(catalogue)}: {short(c.before)} → {short(c.after)}" for c in diff.changes]
    return "; ".join(shown) or catalogue.text("finance.history.same")


def field_label(catalogue: Catalogue, name: str) -> str:
    """A canonical field's name in the reader's language (the catalogue's `field.*`), else as it is."""
    return catalogue.value("field", name) if catalogue.has(f"field.{name}") else name


def short(value: Any) -> str:
    """A changed value as text, cut at SHORT characters (objects and lists as JSON)."""
    text = json.dumps(value, ensure_ascii=False) if isinstance(value, dict | list) else str(value)
    return text if len(text) <= SHORT else text[: SHORT - 3] + "..."
