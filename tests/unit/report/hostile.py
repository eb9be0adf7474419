"""Hostile vendor text through a real reconcile into a mismatch report, for the output-safety tests.

Each hostile string becomes a pair of invoices (CRM and Books) whose every vendor-controlled field
holds the string: the party's name and id, the owner, a line's description and product, a reference
and the document number. The Books side differs in total and in party, so the matcher raises findings
whose rows and explanations carry the vendor's text; each finding is assigned to the string itself
(an assignee is text a person wrote), so every output can be compared with the input row by row.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from reconcile.matching import match
from reconcile.report.i18n import Lang
from reconcile.report.mismatches import ExceptionItem, RuleSummary, mismatch_report
from reconcile.report.model import Report
from reconcile.result import MatchContext
from store.canonical import CanonicalDocument, ChangeKind, DocumentKind, Line, PartyRef, Status
from store.discrepancies import DiscrepancyType, DocumentRef
from tests.reconcile_data import LEFT, MATCH_RULE, RIGHT

GENERATED_AT = datetime(2026, 11, 20, 2, 0, tzinfo=UTC)


@dataclass(frozen=True)
class _Revision:
    revision: int
    change: ChangeKind
    recorded_at: datetime
    document: CanonicalDocument


def hostile_document(text: str, index: int, *, source: str, total: Decimal) -> CanonicalDocument:
    """An invoice whose every vendor-controlled text field is `text` (the number made unique)."""
    return CanonicalDocument(
        source=source,
        kind=DocumentKind.INVOICE,
        external_id=f"{source}:{index}:{text}",
        number=f"{text}#N{index:04d}",
        party=PartyRef(external_id=text or None, name=text or None),
        owner=text or None,
        issued_on=date(2026, 10, 1),
        due_on=date(2026, 10, 31),
        currency="CNY",
        subtotal=total,
        tax=Decimal("0.00"),
        total=total,
        balance=total,
        status=Status.OPEN,
        raw_status=text or None,
        references={"order_number": text},
        lines=(Line(product=text or None, description=text or None, amount=total),),
    )


def hostile_report(strings: Sequence[str], lang: Lang = "en") -> Report:
    """The mismatch report of a reconcile over one pair of hostile invoices per string."""
    left = [hostile_document(s, i, source=LEFT, total=Decimal("100.00")) for i, s in enumerate(strings)]
    right = [
        hostile_document(s, i, source=RIGHT, total=Decimal("-37.50")).model_copy(
            update={"party": PartyRef(name=f"{s} (books)")}
        )
        for i, s in enumerate(strings)
    ]
    result = match(left, right, MATCH_RULE, MatchContext(base_currency="CNY"))
    documents = {str(doc.key): doc for doc in (*left, *right)}
    text_of = {doc.external_id: strings[index] for index, doc in enumerate(left)}
    items = [
        ExceptionItem(
            id=f"x{index}",
            status="open",
            discrepancy=found,
            assignee=assignee_of(found.left[0].external_id, text_of) if found.left else None,
            first_seen_at=GENERATED_AT - timedelta(days=1),
            last_seen_at=GENERATED_AT,
        )
        for index, found in enumerate(result.discrepancies)
    ]

    def load(ref: DocumentRef) -> tuple[CanonicalDocument | None, Sequence[_Revision]]:
        document = documents.get(str(ref.key))
        if document is None:
            return None, ()
        return document, (_Revision(1, ChangeKind.CREATED, GENERATED_AT, document),)

    summary = RuleSummary(
        rule=MATCH_RULE.name,
        period="all",
        bridge=result.bridge,
        counts=result.counts,
        sides=(LEFT, RIGHT),
        kind=MATCH_RULE.kind,
    )
    return mismatch_report(
        [summary],
        _groups(items),
        lang=lang,
        timezone="Asia/Shanghai",
        generated_at=GENERATED_AT,
        filters=(("meta.period", "all"),),
        load_document=load,
    )


def assignee_of(external_id: str, text_of: dict[str, str]) -> str | None:
    """Each exception is assigned to the hostile string of its CRM invoice (a person's text, verbatim)."""
    return text_of[external_id] or None


def _groups(items: Iterable[ExceptionItem]) -> Iterator[tuple[str, list[ExceptionItem]]]:
    for name in DiscrepancyType:
        found = [item for item in items if item.discrepancy.type is name]
        if found:
            yield name.value, found
