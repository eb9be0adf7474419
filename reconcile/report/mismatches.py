"""The mismatch report as the neutral model: bridge statements, counts per type, a section per type.

The loader (sync/report_job.py) hands in what the store holds — rule summaries, and exceptions
grouped by type, streamed — and the revision history of the documents involved when it is wanted.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Protocol
from zoneinfo import ZoneInfo

from reconcile.report.display import amount_text
from reconcile.report.explain import Sides, explanation
from reconcile.report.fmt import format_date, format_datetime, rounding_residue
from reconcile.report.i18n import Catalogue, Lang
from reconcile.report.model import (
    BridgeChart,
    Cell,
    CellKind,
    Column,
    Detail,
    DocumentView,
    Report,
    RevisionView,
    Row,
    Section,
)
from store.canonical import CanonicalDocument
from store.discrepancies import Discrepancy, DiscrepancyType, DocumentRef, ExceptionStatus

EXCEPTION_COLUMNS: tuple[Column, ...] = (
    Column("id", CellKind.CODE),
    Column("rule", CellKind.CODE),
    Column("type", CellKind.LABEL, "type"),
    Column("severity", CellKind.LABEL, "severity"),
    Column("status", CellKind.LABEL, "status"),
    Column("assignee"),
    Column("left_number", CellKind.CODE),
    Column("left_source", CellKind.CODE),
    Column("right_number", CellKind.CODE),
    Column("right_source", CellKind.CODE),
    Column("party"),
    Column("issued_on", CellKind.DATE),
    Column("left_amount", CellKind.MONEY),
    Column("right_amount", CellKind.MONEY),
    Column("difference", CellKind.MONEY),
    Column("currency", CellKind.CODE),
    Column("explanation"),
    Column("first_seen_at", CellKind.DATETIME),
    Column("last_seen_at", CellKind.DATETIME),
)
BRIDGE_COLUMNS: tuple[Column, ...] = (
    Column("rule", CellKind.CODE),
    Column("period"),
    Column("item", CellKind.LABEL, "bridge"),
    Column("type", CellKind.LABEL, "type"),
    Column("amount", CellKind.MONEY),
    Column("currency", CellKind.CODE),
)
COUNT_COLUMNS: tuple[Column, ...] = (
    Column("rule", CellKind.CODE),
    Column("type", CellKind.LABEL, "type"),
    Column("count", CellKind.COUNT),
    Column("amount", CellKind.MONEY),
    Column("currency", CellKind.CODE),
)
AUDIT_BY_RULE_COLUMNS: tuple[Column, ...] = (
    Column("rule", CellKind.CODE),
    Column("type", CellKind.LABEL, "type"),
    Column("severity", CellKind.LABEL, "severity"),
    Column("count", CellKind.COUNT),
    Column("audit_plan", CellKind.CODE),
)
RESIDUE_LINE = "rounding_residue"
"""Bridge item under a line whose amount is shown rounded to the minor unit: what the rounding hides."""
AUDIT_KIND = "audit"
"""`rule_kind` of an audit plan's runs: it compares nothing with anything, so it has no bridge."""
_TYPE_FIELD = {
    DiscrepancyType.AMOUNT_MISMATCH: "total",
    DiscrepancyType.CURRENCY_MISMATCH: "currency",
    DiscrepancyType.DATE_MISMATCH: "issued_on",
    DiscrepancyType.STATUS_MISMATCH: "status",
    DiscrepancyType.PARTY_MISMATCH: "party",
    DiscrepancyType.DELETED_IN_SOURCE: "deleted",
    DiscrepancyType.DUE_BEFORE_ISSUE: "due_on",
    DiscrepancyType.MISSING_OWNER: "owner",
    DiscrepancyType.NEGATIVE_AMOUNT: "total",
    DiscrepancyType.TOTAL_NOT_SUM_OF_LINES: "total",
    DiscrepancyType.TOTAL_NOT_SUBTOTAL_PLUS_TAX: "total",
    DiscrepancyType.UNDERPAID: "balance",
    DiscrepancyType.OVERPAID: "balance",
    DiscrepancyType.UNAPPLIED_PAYMENT: "balance",
    DiscrepancyType.FEE_DIFFERENCE: "total",
}
_DATE_ONLY = {
    DiscrepancyType.DUE_BEFORE_ISSUE: "due_on",
    DiscrepancyType.INVOICE_BEFORE_ORDER: "issued_on",
}
"""Findings about dates alone, and the field whose two dates they compare: their "difference" is those
dates (the finding's amounts are only the document's total, nothing differs by it)."""
_ALWAYS_DIFFERENT = frozenset({"source_modified_at"})
_TYPE_NAMES = frozenset(name.value for name in DiscrepancyType)
_SHOWN_FIELDS = (
    "number",
    "party",
    "owner",
    "issued_on",
    "due_on",
    "currency",
    "exchange_rate",
    "subtotal",
    "tax",
    "total",
    "balance",
    "status",
    "deleted",
    "source_modified_at",
)


class BridgeLike(Protocol):
    """A rule's bridge statement (reconcile.result.Bridge satisfies it)."""

    @property
    def currency(self) -> str | None: ...
    @property
    def left_total(self) -> Decimal: ...
    @property
    def right_total(self) -> Decimal: ...
    @property
    def explained(self) -> Mapping[str, Decimal]: ...
    @property
    def difference(self) -> Decimal: ...
    @property
    def unexplained(self) -> Decimal: ...


class RevisionLike(Protocol):
    """One revision of a document (store.repository.Revision satisfies it)."""

    @property
    def revision(self) -> int: ...
    @property
    def change(self) -> str: ...
    @property
    def recorded_at(self) -> datetime | None: ...
    @property
    def document(self) -> CanonicalDocument: ...


@dataclass(frozen=True)
class RuleSummary:
    """One rule in the report: its latest run's period and bridge, and exceptions counted per type."""

    rule: str
    period: str
    bridge: BridgeLike | None
    counts: Mapping[str, int] = field(default_factory=dict)
    sides: Sides = (None, None)
    """(left source, right source) the rule compares: names the side a finding has no document on."""
    kind: str | None = None
    """`match`, `settlement` or `audit` (an audit plan: no bridge statement is shown for it)."""

    @property
    def has_bridge(self) -> bool:
        return self.bridge is not None and self.kind != AUDIT_KIND


@dataclass(frozen=True)
class AuditPointer:
    """Audit findings of one plan on the documents one rule reads, counted per type: the rule's part of
    the report points to them instead of listing them again (they are listed once, under the plan)."""

    rule: str
    plan: str
    counts: Mapping[str, int]


@dataclass(frozen=True)
class ExceptionItem:
    """One exception as the store keeps it: the finding plus its review state."""

    id: str
    status: str
    discrepancy: Discrepancy
    assignee: str | None = None
    first_seen_at: datetime | None = None
    last_seen_at: datetime | None = None


DocumentLoader = Callable[[DocumentRef], tuple[CanonicalDocument | None, Sequence[RevisionLike]]]
"""Given a document of an exception, its current canonical version and its revisions (oldest first)."""

PartyLoader = Callable[[DocumentRef], str | None]
"""Given a document of an exception, its customer's name as the ledger holds it (None when unknown)."""


def mismatch_report(
    rules: Sequence[RuleSummary],
    groups: Iterable[tuple[str, Iterable[ExceptionItem]]],
    *,
    lang: Lang,
    timezone: str,
    generated_at: datetime,
    filters: Sequence[tuple[str, str]] = (),
    load_document: DocumentLoader | None = None,
    load_party: PartyLoader | None = None,
    audit_by_rule: Sequence[AuditPointer] = (),
) -> Report:
    """Build the report. `groups` yields (type name, that type's exceptions) in order, each consumed
    once as the renderer writes it; `load_document`, when given, adds both sides and their history;
    `load_party` fills the customer column of rows without that detail (every format shows it);
    `audit_by_rule` counts the audit plans' findings on each rule's documents (a pointer, not rows)."""
    catalogue = Catalogue(lang)
    zone = ZoneInfo(timezone)
    totals: dict[str, int] = {}
    for summary in rules:
        for name, count in summary.counts.items():
            totals[name] = totals.get(name, 0) + count
    present = tuple(name for name in DiscrepancyType if totals.get(name.value))
    sides = {summary.rule: summary.sides for summary in rules}
    meta: list[tuple[str, str]] = [
        ("meta.generated_at", format_datetime(generated_at, zone)),
        ("meta.timezone", timezone),
        *filters,
        ("meta.exceptions", f"{sum(totals.values()):,}"),
    ]

    def sections() -> Iterator[Section]:
        for name, items in groups:
            yield Section(
                key=name,
                title=catalogue.value("type", name),
                columns=EXCEPTION_COLUMNS,
                rows=(
                    _exception_row(
                        item,
                        (load_document, load_party),
                        catalogue,
                        zone,
                        sides.get(item.discrepancy.rule),
                    )
                    for item in items
                ),
                count=totals.get(name),
            )

    return Report(
        kind="mismatches",
        lang=lang,
        timezone=timezone,
        generated_at=generated_at,
        meta=tuple(meta),
        summary=(
            Section(
                "bridge", catalogue.text("section.bridge"), BRIDGE_COLUMNS, _bridge_rows(rules, catalogue)
            ),
            Section("counts", catalogue.text("section.counts"), COUNT_COLUMNS, _count_rows(rules)),
            *_audit_by_rule_section(audit_by_rule, catalogue),
        ),
        sections=sections(),
        bridges=tuple(_chart(summary, catalogue) for summary in rules if summary.has_bridge),
        filter_types=tuple(name.value for name in present),
        filter_statuses=tuple(status.value for status in ExceptionStatus),
        columns=EXCEPTION_COLUMNS,
    )


# ---------------------------------------------------------------------------- summary rows


def _bridge_rows(rules: Sequence[RuleSummary], catalogue: Catalogue) -> tuple[Row, ...]:
    rows: list[Row] = []
    for summary in rules:
        if summary.bridge is not None and summary.has_bridge:
            rows.extend(_bridge_lines(summary.rule, summary.period, summary.bridge, catalogue))
    return tuple(rows)


def _audit_by_rule_section(pointers: Sequence[AuditPointer], catalogue: Catalogue) -> tuple[Section, ...]:
    """Per rule, plan and type: how many audit findings are on the rule's documents, and under which
    plan they are listed (no section when no plan found anything on any rule's documents)."""
    rows = tuple(
        Row((pointer.rule, name.value, name.severity, count, pointer.plan))
        for pointer in pointers
        for name in DiscrepancyType
        for count in [pointer.counts.get(name.value, 0)]
        if count
    )
    if not rows:
        return ()
    title = catalogue.text("section.audit_by_rule")
    return (Section("audit_by_rule", title, AUDIT_BY_RULE_COLUMNS, rows, currency_column=None),)


def _bridge_lines(rule: str, period: str, bridge: BridgeLike, catalogue: Catalogue) -> Iterator[Row]:
    """Left total, right total, the difference, each explained line, and the unexplained rest; under a
    line whose amount has places below the currency's minor unit, its rounding residue (ADR 0021).
    A line the catalogue does not name yet shows as `other` rather than failing the report."""
    period_text = catalogue.text("meta.all") if period == "all" else period
    lines: list[tuple[str, str | None, Decimal]] = [
        ("left_total", None, bridge.left_total),
        ("right_total", None, bridge.right_total),
        ("difference", None, bridge.difference),
    ]
    for name, amount in _explained_in_order(bridge.explained):
        if name in _TYPE_NAMES:
            lines.append(("explained", name, amount))
        else:
            lines.append((name if catalogue.has(f"bridge.{name}") else "other", None, amount))
    lines.append(("unexplained", None, bridge.unexplained))
    for item, kind, amount in lines:
        yield Row((rule, period_text, item, kind, amount, bridge.currency), total=item == "difference")
        residue = rounding_residue(amount, bridge.currency)
        if residue:  # shown at the minor unit the line hides this: it gets a line of its own
            yield Row((rule, period_text, RESIDUE_LINE, None, residue, bridge.currency), residue=True)


def _explained_in_order(explained: Mapping[str, Decimal]) -> list[tuple[str, Decimal]]:
    order = {name.value: index for index, name in enumerate(DiscrepancyType)}
    return sorted(explained.items(), key=lambda item: (order.get(item[0], len(order)), item[0]))


def _count_rows(rules: Sequence[RuleSummary]) -> tuple[Row, ...]:
    rows: list[Row] = []
    for summary in rules:
        explained = summary.bridge.explained if summary.bridge is not None else {}
        currency = summary.bridge.currency if summary.bridge is not None else None
        for name in DiscrepancyType:
            count = summary.counts.get(name.value, 0)
            if count:
                amount = explained.get(name.value)
                rows.append(
                    Row((summary.rule, name.value, count, amount, currency if amount is not None else None))
                )
    return tuple(rows)


def _chart(summary: RuleSummary, catalogue: Catalogue) -> BridgeChart:
    bridge = summary.bridge
    assert bridge is not None
    steps = [
        (
            catalogue.value("type", name)
            if catalogue.has(f"type.{name}")
            else catalogue.value("bridge", name),
            amount,
        )
        for name, amount in _explained_in_order(bridge.explained)
    ]
    if bridge.unexplained:
        steps.append((catalogue.text("bridge.unexplained"), bridge.unexplained))
    return BridgeChart(
        rule=summary.rule,
        currency=bridge.currency,
        left_total=bridge.left_total,
        right_total=bridge.right_total,
        steps=tuple(steps),
    )


# ---------------------------------------------------------------------------- exception rows


def _exception_row(
    item: ExceptionItem,
    loaders: tuple[DocumentLoader | None, PartyLoader | None],
    catalogue: Catalogue,
    zone: ZoneInfo,
    sides: Sides | None,
) -> Row:
    found = item.discrepancy
    refs = (*found.left, *found.right)
    load_document, load_party = loaders
    detail = None if load_document is None else _detail(found, load_document, catalogue, zone)
    parties: set[str] = set()
    if detail is not None:
        parties = {
            value
            for view in (*detail.left, *detail.right)
            for name, value in view.fields
            if name == "party" and value
        }
    elif load_party is not None:
        parties = {party for ref in refs for party in [load_party(ref)] if party}
    cells: tuple[Cell, ...] = (
        item.id,
        found.rule,
        found.type.value,
        found.type.severity,
        item.status,
        item.assignee,
        _numbers(found.left),
        _sources(found.left),
        _numbers(found.right),
        _sources(found.right),
        " / ".join(sorted(parties)) or None,
        min((ref.issued_on for ref in refs if ref.issued_on is not None), default=None),
        found.left_amount,
        found.right_amount,
        _difference(found, catalogue),
        found.currency or next((ref.currency for ref in refs if ref.currency), None),
        explanation(found, catalogue, sides or (None, None)),
        item.first_seen_at,
        item.last_seen_at,
    )
    return Row(cells, detail)


def _difference(found: Discrepancy, catalogue: Catalogue) -> Cell:
    """The amount by which the sides differ; for a date-only finding, the two dates instead."""
    field = _DATE_ONLY.get(found.type)
    if field is None:
        return found.difference
    dates = next((diff for diff in found.fields if diff.field == field), None)
    if dates is None or not (dates.left and dates.right):
        return None
    return catalogue.text(f"dates.{found.type.value}", left=dates.left, right=dates.right)


def exception_detail(
    found: Discrepancy, load_document: DocumentLoader, catalogue: Catalogue, zone: ZoneInfo
) -> Detail:
    """Both sides of a finding side by side with the differing fields marked, as the HTML report's
    detail shows them (the web app's Exception page shows the same)."""
    return _detail(found, load_document, catalogue, zone)


def _detail(
    found: Discrepancy, load_document: DocumentLoader, catalogue: Catalogue, zone: ZoneInfo
) -> Detail:
    differing = frozenset(diff.field for diff in found.fields)
    if found.type in _TYPE_FIELD:
        differing |= {_TYPE_FIELD[found.type]}
    left = tuple(_view(ref, load_document, catalogue, zone) for ref in found.left)
    right = tuple(_view(ref, load_document, catalogue, zone) for ref in found.right)
    if len(left) == 1 and len(right) == 1:  # a pair: every field that reads differently is marked
        theirs = dict(right[0].fields)
        differing |= {
            name
            for name, value in left[0].fields
            if name not in _ALWAYS_DIFFERENT and value != theirs.get(name)
        }
    return Detail(left=left, right=right, differing=differing)


def _numbers(refs: Sequence[DocumentRef]) -> str | None:
    return ", ".join(ref.number or ref.external_id for ref in refs) or None


def _sources(refs: Sequence[DocumentRef]) -> str | None:
    return ", ".join(dict.fromkeys(ref.source for ref in refs)) or None


def _view(
    ref: DocumentRef, load_document: DocumentLoader, catalogue: Catalogue, zone: ZoneInfo
) -> DocumentView:
    document, history = load_document(ref)
    fields = (
        document_fields(document, catalogue, zone) if document is not None else _ref_fields(ref, catalogue)
    )
    return DocumentView(
        source=ref.source,
        kind=ref.kind.value,
        external_id=ref.external_id,
        number=ref.number,
        fields=fields,
        history=revision_history(history, catalogue, zone),
    )


def _ref_fields(ref: DocumentRef, catalogue: Catalogue) -> tuple[tuple[str, str], ...]:
    return (
        ("number", ref.number or ""),
        ("issued_on", format_date(ref.issued_on)),
        ("currency", ref.currency or ""),
        ("total", amount_text(ref.amount, ref.currency, catalogue)),
    )


def document_fields(
    document: CanonicalDocument, catalogue: Catalogue, zone: ZoneInfo
) -> tuple[tuple[str, str], ...]:
    """The fields finance compares, as display text, in a fixed order."""
    return tuple((name, _field_text(document, name, catalogue, zone)) for name in _SHOWN_FIELDS)


def party_name(document: CanonicalDocument) -> str | None:
    """The customer as the report's customer column shows it: the name, else the vendor's id."""
    party = document.party
    return None if party is None else party.name or party.external_id or None


def _field_text(document: CanonicalDocument, name: str, catalogue: Catalogue, zone: ZoneInfo) -> str:
    currency = document.currency
    if name == "party":
        return party_name(document) or ""
    if name == "status":
        return catalogue.value("docstatus", document.status.value)
    if name == "deleted":
        return catalogue.text("ui.yes" if document.deleted else "ui.no")
    if name == "source_modified_at":
        return format_datetime(document.source_modified_at, zone)
    value = getattr(document, name)
    if name in ("subtotal", "tax", "total", "balance"):
        return amount_text(value, currency, catalogue)
    if name in ("issued_on", "due_on"):
        return format_date(value)
    return "" if value is None else str(value)


def revision_history(
    history: Sequence[RevisionLike], catalogue: Catalogue, zone: ZoneInfo
) -> tuple[RevisionView, ...]:
    """Each revision with the shown fields that changed from the one before (the first lists none)."""
    entries: list[RevisionView] = []
    before: dict[str, str] | None = None
    for entry in history:
        after = dict(document_fields(entry.document, catalogue, zone))
        changes = (
            ()
            if before is None
            else tuple(
                (name, before[name], after[name]) for name in _SHOWN_FIELDS if before[name] != after[name]
            )
        )
        entries.append(RevisionView(entry.revision, str(entry.change), entry.recorded_at, changes))
        before = after
    return tuple(entries)
