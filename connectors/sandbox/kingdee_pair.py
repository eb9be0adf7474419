"""`ledgerbridge demo --pair fxiaoke-kingdee`: the demo company's Fxiaoke side against the Kingdee account
it feeds (connectors/sandbox/kingdee/company.py `kingdee_from_demo`), with discrepancies planted in
Kingdee and a truth listing them.

What Kingdee holds differs from Fxiaoke where the generator planted the order mirror's mistakes (the
Fxiaoke-vs-books order plants: an order never entered, entered 200 higher, open although voided in
Fxiaoke), and where receipts were keyed wrong: a 回款 never entered as a 收款单, one entered with a
different amount, one entered on another day. The Fxiaoke records the demo serves broken never reached
Kingdee; and where invoices were: an invoice application never invoiced, one invoiced 100 higher.
Fxiaoke's own plants (its settlement, the audit of its orders) stay as the generator made them, and
Kingdee's settlement (应收单 against 收款单) sees the overpaid and unapplied ones again, and the receipt
keyed 100 higher as unapplied."""

from __future__ import annotations

import dataclasses
import random
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from connectors.sandbox.generator import (
    AUDIT_PLAN,
    FXIAOKE,
    FXIAOKE_SETTLEMENT,
    FXIAOKE_VS_BOOKS,
    DemoCompany,
    Planted,
    Trap,
    Truth,
    key,
)
from connectors.sandbox.kingdee.app import KingdeeSandbox, KingdeeSandboxOptions
from connectors.sandbox.kingdee.company import kingdee_from_demo, kingdee_yaml
from connectors.sandbox.kingdee.dataset import (
    CANCEL_ACTIVE,
    RECEIPT,
    RECEIVABLE,
    SALES_ORDER,
    VAT_ORDINARY,
    VAT_SPECIAL,
    BillFacts,
    KingdeeDataset,
    make_line,
    totals,
)
from store.canonical import DocumentKind

KINGDEE = "kingdee"
"""The Kingdee connector's name in the pair's configuration."""
KINGDEE_ORDERS = "fxiaoke-vs-kingdee-orders"
KINGDEE_INVOICES = "fxiaoke-vs-kingdee-invoices"
KINGDEE_RECEIPTS = "fxiaoke-vs-kingdee-receipts"
KINGDEE_SETTLEMENT = "kingdee-settlement"
KINGDEE_RUNS = (
    FXIAOKE_SETTLEMENT,
    KINGDEE_ORDERS,
    KINGDEE_INVOICES,
    KINGDEE_RECEIPTS,
    KINGDEE_SETTLEMENT,
    AUDIT_PLAN,
)
"""What `reconcile run` runs for the pair, in order."""
RECEIPT_PLANTS = {
    "receipt_not_entered": "missing_in_right",
    "receipt_amount": "amount_mismatch",
    "receipt_date": "date_mismatch",
}
"""Receipt plants (each at the generator's rate, at least one) -> the finding each must produce."""
INVOICE_PLANTS = {"invoice_not_issued": "missing_in_right", "invoice_amount": "amount_mismatch"}
"""VAT invoice plants -> the finding each must produce against its invoice application."""
_SETTLED = ("overpaid", "unapplied_payment")
"""Fxiaoke settlement plants Kingdee's settlement sees too (its receivables claim no payment, so an
underpaid order is not seen there)."""
_ORDER_PLANTS = ("missing_in_right", "amount_mismatch", "status_mismatch")
_EXTRA = Decimal(200)
"""What the generator adds to an order mirror's total for its amount_mismatch plant."""


@dataclass(frozen=True)
class KingdeeBooks:
    """The Kingdee side of the pair: the account to serve, the sandbox's options and the truth."""

    dataset: KingdeeDataset
    options: KingdeeSandboxOptions
    truth: Truth

    def sandbox(self) -> KingdeeSandbox:
        return KingdeeSandbox(self.dataset, options=self.options)

    def yaml(self, url: str, secret: str) -> str:
        """The pair's `kingdee` entry, the app secret as the reference `secret`."""
        entry = kingdee_yaml(url, self.options, self.dataset.acct_id)
        secret_line = f'app_secret: "{self.options.app_secret}"   # sandbox-only value'
        assert secret_line in entry
        return entry.replace(secret_line, f"app_secret: {secret}")


def kingdee_books(company: DemoCompany) -> KingdeeBooks:
    """The company's Fxiaoke books as its Kingdee account, planted, with the pair's truth."""
    data = kingdee_from_demo(company)
    orders = {bill.note: bill for bill in data.bills(SALES_ORDER)}
    receipts = {bill.note: bill for bill in data.bills(RECEIPT)}
    invoices = {bill.note: bill for form in (VAT_SPECIAL, VAT_ORDINARY) for bill in data.bills(form)}
    receivables = {bill.lines[0].order_number: bill for bill in data.bills(RECEIVABLE) if bill.lines}
    truth = company.truth
    for bad in truth.malformed:  # never reached Kingdee
        if bad.source == FXIAOKE and bad.external_id in orders:
            data.delete(SALES_ORDER, orders.pop(bad.external_id).fid)
    planted: list[Planted] = []
    traps: list[Trap] = []
    for plant in truth.planted:
        if plant.rule == FXIAOKE_VS_BOOKS and plant.plant in _ORDER_PLANTS:
            bills = [orders[_id(left)] for left in plant.left]
            made = [_plant_order(data, plant.plant, bill) for bill in bills]
            right = tuple(_order_key(bill) for bill in made if bill is not None)
            planted.append(dataclasses.replace(plant, rule=KINGDEE_ORDERS, right=right))
        elif plant.rule != FXIAOKE_VS_BOOKS and all(k.startswith(f"{FXIAOKE}/") for k in _keys(plant)):
            planted.append(plant)
        if plant.rule == FXIAOKE_SETTLEMENT and plant.type in _SETTLED:
            left = tuple(_receivable_key(receivables[orders[_id(k)].number]) for k in plant.left)
            right = tuple(_receipt_key(receipts[_id(k)]) for k in plant.right)
            planted.append(dataclasses.replace(plant, rule=KINGDEE_SETTLEMENT, left=left, right=right))
    for trap in truth.traps:
        fx = tuple(k for k in trap.documents if k.startswith(f"{FXIAOKE}/"))
        if trap.rule == FXIAOKE_VS_BOOKS:
            mirrors = [orders[_id(k)] for k in fx if _id(k) in orders and "/sales_order/" in k]
            traps.append(Trap(KINGDEE_ORDERS, trap.trap, fx + tuple(_order_key(b) for b in mirrors)))
        elif trap.rule == FXIAOKE_SETTLEMENT:
            traps.append(trap)
    flagged = {k for p in planted for k in _keys(p)} | {k for t in traps for k in t.documents}
    rng = random.Random(truth.spec.seed)
    per_type = max(1, round(truth.spec.fxiaoke_deals * truth.spec.rate))
    for rule, plants, pool, kind in (
        (KINGDEE_RECEIPTS, RECEIPT_PLANTS, receipts, DocumentKind.PAYMENT),
        (KINGDEE_INVOICES, INVOICE_PLANTS, invoices, DocumentKind.INVOICE),
    ):
        free = sorted(note for note in pool if key(FXIAOKE, kind, note) not in flagged)
        for n, note in enumerate(rng.sample(free, per_type * len(plants))):
            name = list(plants)[n // per_type]
            changed = _PLANT[name](data, pool[note])
            right = () if changed is None else (_bill_key(changed, kind),)
            planted.append(Planted(rule, plants[name], name, (key(FXIAOKE, kind, note),), right))
            if name == "receipt_amount":  # what Kingdee's settlement sees: 100 not applied
                planted.append(Planted(KINGDEE_SETTLEMENT, "unapplied_payment", name, (), right))
    records = Counter({(s, k): n for (s, k), n in truth.records.items() if s == FXIAOKE})
    records[(KINGDEE, DocumentKind.SALES_ORDER.value)] = len(data.bills(SALES_ORDER))
    records[(KINGDEE, DocumentKind.PAYMENT.value)] = len(data.bills(RECEIPT))
    records[(KINGDEE, DocumentKind.INVOICE.value)] = sum(
        len(data.bills(form)) for form in (RECEIVABLE, VAT_SPECIAL, VAT_ORDINARY)
    )
    records[(KINGDEE, DocumentKind.CUSTOMER.value)] = len(data.lookups.customers)
    records[(KINGDEE, DocumentKind.PRODUCT.value)] = len(data.lookups.materials)
    paired = dataclasses.replace(
        truth, planted=planted, traps=traps, records=records, runs=KINGDEE_RUNS, deleted_later=[],
        malformed=[m for m in truth.malformed if m.source == FXIAOKE],
    )  # fmt: skip
    return KingdeeBooks(data, KingdeeSandboxOptions(), paired)


def _plant_order(data: KingdeeDataset, plant: str, bill: BillFacts) -> BillFacts | None:
    """The order mirror's planted mistake in Kingdee (None: the order was never entered)."""
    if plant == "missing_in_right":
        return _deleted(data, bill)
    if plant == "status_mismatch":  # voided in Fxiaoke, still open in Kingdee
        return data.edit(SALES_ORDER, bill.fid, bill.modified_at, cancel_status=CANCEL_ACTIVE)
    return _more(data, bill, _EXTRA)


def _more(data: KingdeeDataset, bill: BillFacts, amount: Decimal) -> BillFacts:
    """`bill` with one more line of `amount` (with tax) of its last line's material: its total that much
    higher."""
    source = bill.lines[-1] if bill.lines else None
    extra = make_line(
        data.new_entry_id(), source.material if source else "SVC-HR", Decimal(1), amount,
        tax_rate=source.tax_rate if source else Decimal(6), tax_inclusive=True,
        exchange_rate=bill.exchange_rate,
    )  # fmt: skip
    lines = (*bill.lines, extra)
    return data.edit(bill.form, bill.fid, bill.modified_at, lines=lines, **totals(lines))


def _deleted(data: KingdeeDataset, bill: BillFacts) -> BillFacts | None:
    """Never entered: the bill is gone before the first sync (None)."""
    data.delete(bill.form, bill.fid)
    return None


def _received_more(data: KingdeeDataset, bill: BillFacts) -> BillFacts:
    """Keyed 100 more than came in (the rest unapplied)."""
    more = bill.total + Decimal(100)
    local = (more * bill.exchange_rate).quantize(Decimal("0.01"))
    return data.edit(bill.form, bill.fid, bill.modified_at, total=more, total_local=local)


def _early(data: KingdeeDataset, bill: BillFacts) -> BillFacts:
    """Entered three days before the money came."""
    return data.edit(bill.form, bill.fid, bill.modified_at, bill_date=bill.bill_date - timedelta(days=3))


_PLANT: dict[str, Callable[[KingdeeDataset, BillFacts], BillFacts | None]] = {
    "receipt_not_entered": _deleted,
    "receipt_amount": _received_more,
    "receipt_date": _early,
    "invoice_not_issued": _deleted,
    "invoice_amount": lambda data, bill: _more(data, bill, Decimal(100)),
}
"""What each receipt and invoice plant does to its Kingdee bill (None: the bill is gone)."""


def _order_key(bill: BillFacts) -> str:
    return key(KINGDEE, DocumentKind.SALES_ORDER, str(bill.fid))


def _receivable_key(bill: BillFacts) -> str:
    return key(KINGDEE, DocumentKind.INVOICE, str(bill.fid))


def _receipt_key(bill: BillFacts) -> str:
    return key(KINGDEE, DocumentKind.PAYMENT, str(bill.fid))


def _bill_key(bill: BillFacts, kind: DocumentKind) -> str:
    """A receipt's key, or a VAT invoice's: `<form>:<FID>` (connectors/kingdee/normalize.py)."""
    return (
        _receipt_key(bill) if kind is DocumentKind.PAYMENT else key(KINGDEE, kind, f"{bill.form}:{bill.fid}")
    )


def _id(document_key: str) -> str:
    return document_key.rsplit("/", 1)[1]


def _keys(plant: Planted) -> tuple[str, ...]:
    return (*plant.left, *plant.right)
