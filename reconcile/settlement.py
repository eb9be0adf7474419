"""`settle(invoices, payments, rule)`: invoices against the payments and credit notes allocated to them."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from config.rules import SettlementRule
from reconcile.facts import MISSING_INVOICE
from reconcile.findings import Tolerances, describe, finding
from reconcile.matching import DocumentLike, as_rows
from reconcile.result import OPEN_BALANCE, WITHIN_TOLERANCE, BridgeBuilder, Match, MatchContext, MatchResult
from store.discrepancies import Discrepancy, DiscrepancyType, FieldDiff
from store.ledger_rows import LedgerRow, money

_SETTLED = frozenset({"paid"})
_CREDIT_NOTE = "credit_note"


def settle(
    invoices: Iterable[DocumentLike],
    payments: Iterable[DocumentLike],
    rule: SettlementRule,
    context: MatchContext | None = None,
    *,
    known_invoices: frozenset[str] | None = None,
) -> MatchResult:
    """Compare each invoice with the money allocated to it, and each payment with what it applied.

    - allocations above the invoice total: `overpaid`;
    - less allocated than the invoice says was paid (total - balance, or all of it when `paid`):
      `underpaid`; more allocated than it says (but within the total): `amount_mismatch`;
    - a payment not fully applied: `unapplied_payment`;
    - an allocation to an invoice that does not exist (`known_invoices` lists every invoice id of the
      source, so out-of-period invoices are not mistaken for missing ones): `missing_in_left`.
    Bridge: left = invoice totals, right = payment totals; each invoice contributes total - allocated,
    each payment its unapplied amount and its allocations outside the invoices in scope.
    """
    ctx = context or MatchContext()
    tol = Tolerances.of(rule.tolerance)
    inv_rows = [row for row in as_rows(invoices) if not row.deleted and row.status != "void"]
    pay_rows = [row for row in as_rows(payments) if not row.deleted and row.status != "void"]
    by_id = {row.external_id: row for row in inv_rows}
    applied: dict[str, list[tuple[LedgerRow, int]]] = {}
    bridge = BridgeBuilder(ctx.base_currency)
    findings: list[Discrepancy] = []
    for payment in pay_rows:
        findings += _payment(
            rule,
            payment,
            by_id=by_id,
            applied=applied,
            bridge=bridge,
            tol=tol,
            known_invoices=known_invoices,
            base=ctx.base_currency,
        )
    matches: list[Match] = []
    for invoice in inv_rows:
        allocations = applied.get(invoice.external_id, [])
        found = _invoice(rule, invoice, allocations, tol)
        paid = sum(amount for _, amount in allocations)
        line = found.type.value if found else _clean_line(invoice, paid)
        paid_base = sum(_base(amount, payer, ctx.base_currency) for payer, amount in allocations)
        bridge.add_amount(line, _base(invoice.total, invoice, ctx.base_currency), paid_base)
        if found is not None:
            findings.append(found)
        elif allocations:
            matches.append(Match((invoice,), tuple(p for p, _ in allocations), "allocation"))
    return MatchResult(
        matches=tuple(matches),
        discrepancies=tuple(sorted(findings, key=lambda d: (d.type.value, d.fingerprint))),
        bridge=bridge.build(),
        left_count=len(inv_rows),
        right_count=len(pay_rows),
    )


def _payment(
    rule: SettlementRule,
    payment: LedgerRow,
    *,
    by_id: Mapping[str, LedgerRow],
    applied: dict[str, list[tuple[LedgerRow, int]]],
    bridge: BridgeBuilder,
    tol: Tolerances,
    known_invoices: frozenset[str] | None,
    base: str | None,
) -> list[Discrepancy]:
    found: list[Discrepancy] = []
    allocated = 0
    # Credit the payment uses beside its money (a QuickBooks payment linking a CreditMemo) funds its
    # invoice allocations like money received: no over-application.
    credits = 0
    for target, amount, target_kind in payment.allocations:
        if target_kind == _CREDIT_NOTE and rule.invoices.kind != _CREDIT_NOTE:
            credits += amount
            continue
        if target_kind != rule.invoices.kind:
            continue
        allocated += amount
        if target in by_id:
            applied.setdefault(target, []).append((payment, amount))
            continue
        converted = _base(amount, payment, base)
        if known_invoices is not None and target not in known_invoices:
            text = (
                f"{describe([payment])} ({payment.source}) applies {money(amount)} "
                f"to invoice {target}, which does not exist"
            )
            found.append(
                finding(
                    rule.name,
                    DiscrepancyType.MISSING_IN_LEFT,
                    [],
                    [payment],
                    text,
                    amounts=(None, amount),
                    fields=[FieldDiff(field=MISSING_INVOICE, left=target, right=None)],
                )
            )
            bridge.add_amount(DiscrepancyType.MISSING_IN_LEFT.value, 0, converted)
        else:
            bridge.add_amount("out_of_scope", 0, converted)
    unapplied = (payment.total or 0) + credits - allocated
    if unapplied > tol.limit(payment.total or 0, allocated):
        text = (
            f"{describe([payment])} ({payment.source}) of {money(payment.total)} has "
            f"{money(unapplied)} not applied to any invoice"
        )
        fields = [FieldDiff(field="allocated", left=str(money(payment.total)), right=str(money(allocated)))]
        found.append(
            finding(
                rule.name,
                DiscrepancyType.UNAPPLIED_PAYMENT,
                [],
                [payment],
                text,
                fields=fields,
                amounts=(allocated, payment.total),
            )
        )
        bridge.add_amount(DiscrepancyType.UNAPPLIED_PAYMENT.value, 0, _base(unapplied, payment, base))
    elif unapplied:
        bridge.add_amount(WITHIN_TOLERANCE, 0, _base(unapplied, payment, base))
    return found


def _invoice(
    rule: SettlementRule, invoice: LedgerRow, allocations: Sequence[tuple[LedgerRow, int]], tol: Tolerances
) -> Discrepancy | None:
    total = invoice.total or 0
    paid = sum(amount for _, amount in allocations)
    payers = [p for p, _ in allocations]
    name = f"{describe([invoice])} ({invoice.source})"
    if paid > total and not tol.accepts(paid, total):
        text = f"{name} of {money(total)} has {money(paid)} applied to it, {money(paid - total)} too much"
        kind = DiscrepancyType.OVERPAID
    else:
        claimed = _claimed_paid(invoice)
        if claimed is None or tol.accepts(paid, claimed):
            return None
        if paid < claimed:
            kind = DiscrepancyType.UNDERPAID
            text = f"{name} shows {money(claimed)} paid but only {money(paid)} is applied to it"
        else:
            kind = DiscrepancyType.AMOUNT_MISMATCH
            text = f"{name} shows {money(claimed)} paid but {money(paid)} is applied to it (balance is stale)"
    fields = [FieldDiff(field="paid", left=str(money(_claimed_paid(invoice))), right=str(money(paid)))]
    return finding(rule.name, kind, [invoice], payers, text, fields=fields, amounts=(total, paid))


def _claimed_paid(invoice: LedgerRow) -> int | None:
    """What the invoice itself says has been paid: total - balance, else everything when it is paid."""
    if invoice.total is None:
        return None
    if invoice.balance is not None:
        return invoice.total - invoice.balance
    if invoice.status in _SETTLED:
        return invoice.total
    return None


def _clean_line(invoice: LedgerRow, paid: int) -> str:
    return OPEN_BALANCE if (invoice.total or 0) - paid > 0 else WITHIN_TOLERANCE


def _base(amount: int | None, row: LedgerRow, base: str | None) -> int:
    """An amount of `row`'s currency in the base currency (0 when it cannot be converted)."""
    if amount is None:
        return 0
    converted = row._replace(total=amount, deleted=False).base_total(base)
    return converted or 0
