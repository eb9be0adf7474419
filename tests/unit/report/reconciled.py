"""A reconciled fixture for the renderers: planted ledgers run through the real matcher, as a report."""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from reconcile.audits import AuditContext, AuditLimits, audit_plan
from reconcile.collections_match import collect
from reconcile.matching import as_rows, match
from reconcile.report.i18n import Lang
from reconcile.report.mismatches import AuditPointer, ExceptionItem, RuleSummary, mismatch_report
from reconcile.report.model import Report
from reconcile.result import BridgeBuilder, MatchContext, MatchResult
from reconcile.settlement import settle
from store.canonical import CanonicalDocument, ChangeKind, DocumentKind
from store.discrepancies import Discrepancy, DiscrepancyType, DocumentRef
from tests.collections_data import BANK, BOOKS, COLLECTIONS_RULE, TODAY, planted_collections
from tests.reconcile_data import AUDIT_PLAN, MATCH_RULE, SETTLEMENT_RULE, planted_ledgers

_SIDES = {
    MATCH_RULE.name: (MATCH_RULE.left.source, MATCH_RULE.right.source),
    SETTLEMENT_RULE.name: (SETTLEMENT_RULE.invoices.source, SETTLEMENT_RULE.payments.source),
    AUDIT_PLAN.name: (None, None),
    COLLECTIONS_RULE.name: (BOOKS, BANK),
}
_KINDS = {
    MATCH_RULE.name: MATCH_RULE.kind,
    SETTLEMENT_RULE.name: SETTLEMENT_RULE.kind,
    AUDIT_PLAN.name: "audit",
    COLLECTIONS_RULE.name: COLLECTIONS_RULE.kind,
}
GENERATED_AT = datetime(2026, 11, 20, 2, 0, tzinfo=UTC)
LEADING_ZEROS = "000123"
"""A document number that must stay text in every format (a planted audit finding carries it)."""


@dataclass(frozen=True)
class FakeRevision:
    revision: int
    change: ChangeKind
    recorded_at: datetime
    document: CanonicalDocument


@dataclass
class Reconciled:
    """Both rules' results over one planted ledger, and every exception with a stable id."""

    results: dict[str, MatchResult]
    documents: dict[str, CanonicalDocument]
    items: list[ExceptionItem] = field(default_factory=list)

    def summaries(self) -> list[RuleSummary]:
        return [
            RuleSummary(
                rule=name,
                period="all",
                bridge=result.bridge,
                counts=result.counts,
                sides=_SIDES[name],
                kind=_KINDS[name],
            )
            for name, result in self.results.items()
        ]

    def groups(self) -> Iterator[tuple[str, Iterable[ExceptionItem]]]:
        order = {name.value: index for index, name in enumerate(DiscrepancyType)}
        ordered = sorted(self.items, key=lambda item: (order[item.discrepancy.type.value], item.id))
        yield from itertools.groupby(ordered, key=lambda item: item.discrepancy.type.value)

    def load(self, ref: DocumentRef) -> tuple[CanonicalDocument | None, Sequence[FakeRevision]]:
        """The document and two revisions: as first synced (total 1.00 higher), then as it is now."""
        document = self.documents.get(str(ref.key))
        if document is None:
            return None, ()
        first = document
        if document.total is not None:
            first = document.model_copy(update={"total": document.total + Decimal("1.00"), "revision": 1})
        return document, (
            FakeRevision(1, ChangeKind.CREATED, GENERATED_AT - timedelta(days=3), first),
            FakeRevision(2, ChangeKind.UPDATED, GENERATED_AT - timedelta(days=1), document),
        )

    def party(self, ref: DocumentRef) -> str | None:
        document = self.documents.get(str(ref.key))
        return None if document is None or document.party is None else document.party.name

    def report(
        self, lang: Lang, *, details: bool = True, audit_by_rule: Sequence[AuditPointer] = ()
    ) -> Report:
        return mismatch_report(
            self.summaries(),
            self.groups(),
            lang=lang,
            timezone="Asia/Shanghai",
            generated_at=GENERATED_AT,
            filters=(("meta.period", "all"),),
            load_document=self.load if details else None,
            load_party=self.party,
            audit_by_rule=audit_by_rule,
        )


def reconciled(n: int = 240, per_type: int = 2) -> Reconciled:
    ledgers = planted_ledgers(n=n, per_type=per_type)
    context = MatchContext(base_currency="CNY")
    scoped = [
        (as_rows(docs), AUDIT_PLAN.checks_for(scope))
        for docs, scope in zip(
            (ledgers.left, ledgers.right, ledgers.credit_notes), AUDIT_PLAN.scope, strict=True
        )
    ]
    invoices = {(row.source, row.external_id): row for row in as_rows(ledgers.right)}
    audited = audit_plan(
        AUDIT_PLAN.name,
        scoped,
        AuditLimits.of(AUDIT_PLAN),
        AuditContext(order_dates=ledgers.order_dates, invoices=invoices),
    )
    banked, _ = planted_collections()
    results = {
        MATCH_RULE.name: match(ledgers.left, ledgers.right, MATCH_RULE, context),
        SETTLEMENT_RULE.name: settle(ledgers.right, ledgers.payments, SETTLEMENT_RULE, context),
        AUDIT_PLAN.name: MatchResult(
            (), audited.discrepancies, BridgeBuilder("CNY").build(), audited.documents, 0
        ),
        COLLECTIONS_RULE.name: collect(
            [doc for doc in banked if doc.source == BOOKS],
            [doc for doc in banked if doc.source == BANK],
            COLLECTIONS_RULE,
            context,
            today=TODAY,
        ),
    }
    documents = {
        str(doc.key): doc
        for doc in (*ledgers.left, *ledgers.right, *ledgers.payments, *ledgers.credit_notes, *banked)
    }
    out = Reconciled(results=results, documents=documents)
    for result in results.values():
        for found in result.discrepancies:
            out.items.append(
                ExceptionItem(
                    id=found.fingerprint[:12],
                    status="open",
                    discrepancy=found,
                    assignee="finance-li",
                    first_seen_at=GENERATED_AT - timedelta(days=2),
                    last_seen_at=GENERATED_AT,
                )
            )
    out.items.append(_leading_zeros_finding())
    return out


def _leading_zeros_finding() -> ExceptionItem:
    ref = DocumentRef(
        source="zoho-books",
        kind=DocumentKind.INVOICE,
        external_id="9001",
        number=LEADING_ZEROS,
        amount=Decimal("-5.00"),
        currency="CNY",
    )
    found = Discrepancy(
        rule=MATCH_RULE.name,
        type=DiscrepancyType.NEGATIVE_AMOUNT,
        right=(ref,),
        right_amount=Decimal("-5.00"),
        currency="CNY",
        explanation="invoice 000123 has a negative total",
    )
    return ExceptionItem(id="zz-leading-zeros", status="acknowledged", discrepancy=found)
