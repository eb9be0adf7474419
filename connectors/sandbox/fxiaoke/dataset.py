"""The Fxiaoke sandbox's truth: canonical documents, and the vendor rows they render into.

The dataset is what the sandbox *knows*: one complete `CanonicalDocument` per record (exactly what a
correct connector must produce from the API), plus vendor-only details (creation time, version, extra
fields). Every mutation re-renders the record into vendor rows the way Fxiaoke's Open API shows them
(api-notes §5, §7, §8): string amounts, ms timestamps, date-only fields at midnight in the tenant's zone,
`account_id__r` names, `mc_*` fields only on multi-currency records, optional fields omitted.

Kinds and objects (master → detail, link field):
- customer → AccountObj
- product → ProductObj (one line: name, product_code, price)
- sales_order → SalesOrderObj → SalesOrderProductObj (order_id)
- payment → PaymentObj → OrderPaymentObj (payment_id), allocations to sales orders
- invoice → InvoiceApplicationObj → InvoiceApplicationLinesObj (invoice_id)
"""

from __future__ import annotations

import random
import re
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from store.canonical import Allocation, CanonicalDocument, DocumentKind, Line, PartyRef, Status

OBJECT_OF_KIND: Mapping[DocumentKind, str] = {
    DocumentKind.CUSTOMER: "AccountObj",
    DocumentKind.PRODUCT: "ProductObj",
    DocumentKind.SALES_ORDER: "SalesOrderObj",
    DocumentKind.PAYMENT: "PaymentObj",
    DocumentKind.INVOICE: "InvoiceApplicationObj",
}
DETAIL_OF: Mapping[str, tuple[str, str]] = {
    "SalesOrderObj": ("SalesOrderProductObj", "order_id"),
    "PaymentObj": ("OrderPaymentObj", "payment_id"),
    "InvoiceApplicationObj": ("InvoiceApplicationLinesObj", "invoice_id"),
}
UNAVAILABLE_REFERENCE = "details_unavailable"
"""The connector's promise (docs/connectors/fxiaoke.md): a document synced without its detail object
names that object under this reference."""
INDEXED_FIELDS = ("order_id", "payment_id", "invoice_id", "account_id")
"""Fields the sandbox indexes so `EQ` / `IN` filters on them do not scan every row."""

LIFE_STATUSES: Mapping[Status, tuple[str, ...]] = {
    Status.DRAFT: ("ineffective", "under_review"),
    Status.OPEN: ("normal", "in_change"),
    Status.VOID: ("invalid",),
}
"""Which `life_status` values render each canonical status; the first is the default."""

APPLICATION_REFERENCE = "invoice_application"
"""Invoices keep the application's own number (InvoiceApplicationObj.name) under this reference."""

_HEX24 = re.compile(r"^[0-9a-f]{24}$")
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_CENT = Decimal("0.01")


def ms_of(moment: datetime) -> int:
    """Milliseconds since the epoch of an aware datetime (exact integer arithmetic)."""
    delta = moment - _EPOCH
    return delta.days * 86_400_000 + delta.seconds * 1000 + delta.microseconds // 1000


def utc_of_ms(ms: int) -> datetime:
    return _EPOCH + timedelta(milliseconds=ms)


def money_text(value: Decimal) -> str:
    """An amount as Fxiaoke writes it: a string with (at least) two decimals, "1.00"."""
    exponent = value.as_tuple().exponent
    if isinstance(exponent, int) and exponent >= -2:
        return format(value.quantize(_CENT), "f")
    return format(value, "f")


def customer(
    external_id: str, name: str, *, owner: str | None = None, source: str = "fxiaoke"
) -> CanonicalDocument:
    """A customer (AccountObj) as the connector normalizes it: the party is the customer itself."""
    return CanonicalDocument(
        source=source,
        kind=DocumentKind.CUSTOMER,
        external_id=external_id,
        party=PartyRef(external_id=external_id, name=name),
        owner=owner,
    )


def product(
    external_id: str,
    name: str,
    *,
    code: str | None = None,
    price: Decimal | None = None,
    owner: str | None = None,
    source: str = "fxiaoke",
) -> CanonicalDocument:
    """A product (ProductObj): number = product_code, one line carrying name, code and list price."""
    return CanonicalDocument(
        source=source,
        kind=DocumentKind.PRODUCT,
        external_id=external_id,
        number=code,
        owner=owner,
        lines=(
            Line(
                product=name,
                product_external_id=external_id,
                sku=code,
                unit_price=price,
                amount=price if price is not None else Decimal(0),
            ),
        ),
    )


_COMPONENTS = ("discount", "shipping", "adjustment", "rounding", "tax_inclusive")
_HUNDRED = Decimal(100)


def _life_cycle(doc: CanonicalDocument) -> Status:
    """The status whose life_status values render the document. An invoice application has a life cycle
    but no payment status of its own: a live one (life_status normal) is `unknown` in the truth until
    reconciliation derives it from its order's collections, and renders as an open record."""
    if doc.kind is DocumentKind.INVOICE and doc.status in (Status.OPEN, Status.UNKNOWN):
        return Status.OPEN
    return doc.status


def _order_components(doc: CanonicalDocument) -> dict[str, Any]:
    """Only sales orders carry total components (see `_sales_order_components`); an invoice application's
    applied amount is tax-inclusive (价税合计: Chinese practice), which is all it says of its total."""
    if doc.kind is DocumentKind.SALES_ORDER:
        return _sales_order_components(doc)
    if doc.kind is DocumentKind.INVOICE and doc.tax_inclusive is not False:
        others = [name for name in _COMPONENTS if name != "tax_inclusive" and getattr(doc, name) is not None]
        if others:
            raise ValueError(f"an invoice application carries no {', '.join(others)}")
        return {"tax_inclusive": True}
    if any(getattr(doc, name) is not None for name in _COMPONENTS):
        raise ValueError(f"a {doc.kind.value} carries no total components (discount, shipping, ...)")
    return {}


def _sales_order_components(doc: CanonicalDocument) -> dict[str, Any]:
    """A sales order's total components as a correct connector reads them (store/canonical.py).

    Fxiaoke prices are tax-inclusive (Chinese practice: `order_amount` and `product_amount` contain the
    VAT; there is no tax field): tax_inclusive True. The order's `discount` is a percentage ("100" = none,
    "95" = 5 % off) applied to `product_amount`; `order_amount` is the result, so the discount as an
    amount is product_amount - order_amount (None when product_amount is not shown), derived here on
    every add and edit: an edit of the total or subtotal changes it. SalesOrderObj has no shipping,
    adjustment or rounding field: 0.
    """
    assert doc.total is not None
    discount = None if doc.subtotal is None else doc.subtotal - doc.total
    if doc.shipping or doc.adjustment or doc.rounding or doc.tax_inclusive is False:
        raise ValueError("a sales order has no shipping, adjustment or rounding and is tax-inclusive")
    zero = Decimal(0)
    return {
        "discount": discount,
        "shipping": zero,
        "adjustment": zero,
        "rounding": zero,
        "tax_inclusive": True,
    }


def discount_percent(subtotal: Decimal, total: Decimal) -> str:
    """SalesOrderObj.discount: order_amount as a percentage of product_amount, "100" when none."""
    if subtotal <= 0 or total == subtotal:
        return "100"
    percent = (total / subtotal * _HUNDRED).quantize(Decimal("0.01"))
    return (
        format(percent.normalize(), "f") if percent == percent.to_integral_value() else format(percent, "f")
    )


def _invoice_references(doc: CanonicalDocument) -> dict[str, str]:
    """An invoice application's references, its own number filled in; refuses what it cannot show."""
    refs = dict(doc.references)
    refs.setdefault(APPLICATION_REFERENCE, doc.number or "")
    unknown = set(refs) - {APPLICATION_REFERENCE, "sales_order"}
    if unknown or doc.balance is not None:
        raise ValueError(f"an invoice application cannot show {sorted(unknown) or 'balance'}")
    if any(ln.product or ln.sku or ln.quantity is not None or ln.unit_price is not None for ln in doc.lines):
        raise ValueError("invoice application lines carry an amount and a tax only")
    return refs


@dataclass
class _Entry:
    doc: CanonicalDocument
    created_ms: int
    version: int
    extra: dict[str, Any]
    detail_ids: list[str] = field(default_factory=list)


class FxiaokeDataset:
    """The sandbox's records: canonical truth in, vendor rows out. Thread-safe.

    Build it with `add(doc)` (ids from `new_id()`), change it with `edit`, `void`, `delete`; read the
    truth with `truth()` and `deleted()`. Vendor-only details: `created_at`, `extra` (vendor fields
    rendered verbatim on the master row, e.g. `{"tel": "021-..."}`, custom `field_x__c` values) and
    `raw_status` on the document (a `life_status` value valid for its status).
    """

    def __init__(
        self,
        *,
        base_currency: str = "CNY",
        timezone: str = "Asia/Shanghai",
        seed: int = 0,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        self.base_currency = base_currency
        self.zone = ZoneInfo(timezone)
        self._clock = clock or (lambda: datetime.now(UTC))
        self._rng = random.Random(seed)
        self._machine = f"{self._rng.getrandbits(40):010x}"
        self._counter = 0
        self._lock = threading.RLock()
        self._entries: dict[str, _Entry] = {}
        self._deleted: dict[str, CanonicalDocument] = {}
        self._rows: dict[str, dict[str, dict[str, Any]]] = {}
        self._index: dict[tuple[str, str], dict[str, set[str]]] = {}
        self._midnights: dict[date, int] = {}
        self._sorted: dict[tuple[str, str], list[tuple[tuple[bool, Any, str], dict[str, Any]]]] = {}

    # ------------------------------------------------------------------------- ids and time

    def new_id(self, at: datetime | None = None) -> str:
        """A fresh 24-hex `_id` (ObjectId-like: seconds, machine, counter), ascending in creation order."""
        with self._lock:
            self._counter += 1
            seconds = int((at or self._clock()).timestamp())
            return f"{seconds:08x}{self._machine}{self._counter % 0x1000000:06x}"

    # ------------------------------------------------------------------------- mutations

    def add(
        self,
        doc: CanonicalDocument,
        *,
        created_at: datetime | None = None,
        modified_at: datetime | None = None,
        extra: Mapping[str, Any] | None = None,
    ) -> CanonicalDocument:
        """Add a record; returns the completed truth (raw_status, currency, times filled in).

        Raises ValueError when the document cannot be shown by Fxiaoke (see `_complete`)."""
        with self._lock:
            if doc.external_id in self._entries or doc.external_id in self._deleted:
                raise ValueError(f"{doc.external_id} already exists")
            modified = modified_at or self._clock()
            created = created_at or modified
            entry = _Entry(doc=doc, created_ms=ms_of(created), version=1, extra=dict(extra or {}))
            entry.doc = self._complete(doc, ms_of(modified))
            self._entries[doc.external_id] = entry
            self._render(entry)
            return entry.doc

    def edit(
        self,
        doc: CanonicalDocument,
        *,
        modified_at: datetime | None = None,
        extra: Mapping[str, Any] | None = None,
    ) -> CanonicalDocument:
        """Replace a record's content (same external_id); bumps last_modified_time and version."""
        with self._lock:
            entry = self._entry(doc.external_id)
            if doc.kind != entry.doc.kind:
                raise ValueError(f"{doc.external_id} is a {entry.doc.kind.value}, not a {doc.kind.value}")
            entry.doc = self._complete(doc, ms_of(modified_at or self._clock()))
            entry.version += 1
            if extra is not None:
                entry.extra = dict(extra)
            self._render(entry)
            return entry.doc

    def void(self, external_id: str, *, modified_at: datetime | None = None) -> CanonicalDocument:
        """作废: life_status becomes `invalid` (the record stays visible to queries)."""
        with self._lock:
            doc = self._entry(external_id).doc
            voided = doc.model_copy(update={"status": Status.VOID, "raw_status": "invalid"})
            return self.edit(voided, modified_at=modified_at)

    def delete(self, external_id: str) -> CanonicalDocument:
        """Physical delete: only allowed on voided records (as in Fxiaoke); the rows vanish entirely."""
        with self._lock:
            entry = self._entry(external_id)
            if entry.doc.status is not Status.VOID:
                raise ValueError(f"{external_id} must be voided (作废) before it can be deleted")
            self._unrender(entry)
            del self._entries[external_id]
            gone = entry.doc.model_copy(update={"deleted": True})
            self._deleted[external_id] = gone
            return gone

    # ------------------------------------------------------------------------- reading

    def get(self, external_id: str) -> CanonicalDocument:
        with self._lock:
            return self._entry(external_id).doc

    def truth(
        self, *, source: str | None = None, kind: DocumentKind | None = None
    ) -> list[CanonicalDocument]:
        """Every live record as the connector must normalize it (voided ones included, status void)."""
        with self._lock:
            docs = [e.doc for e in self._entries.values() if kind is None or e.doc.kind is kind]
        if source is not None:
            docs = [d.model_copy(update={"source": source}) for d in docs]
        return docs

    def truth_without(
        self, profiles: Mapping[str, str], *, source: str | None = None, kind: DocumentKind | None = None
    ) -> list[CanonicalDocument]:
        """The truth a tenant shows when detail objects are unavailable (`{apiName: "missing" |
        "forbidden" | "empty"}`, as the sandbox's `unavailable=` knob): its masters carry no lines or
        allocations. A refused object (missing, forbidden) is named under
        `references.details_unavailable` and leaves a payment's balance unknown (None); an empty answer
        cannot be told from no rows, so nothing says the rows are unknown (balance = the whole amount)."""
        details = {detail: master for master, (detail, _) in DETAIL_OF.items()}
        refused = {details[o] for o, p in profiles.items() if o in details and p != "empty"}
        emptied = {details[o] for o in profiles if o in details}
        docs = []
        for doc in self.truth(source=source, kind=kind):
            master = OBJECT_OF_KIND.get(doc.kind)
            if master not in emptied:
                docs.append(doc)
                continue
            update: dict[str, Any] = {"lines": (), "allocations": ()}
            if doc.kind is DocumentKind.PAYMENT:
                update["balance"] = None if master in refused else doc.total
            if master in refused:
                update["references"] = {**doc.references, UNAVAILABLE_REFERENCE: DETAIL_OF[master][0]}
            docs.append(doc.model_copy(update=update))
        return docs

    def deleted(self, *, kind: DocumentKind | None = None) -> list[CanonicalDocument]:
        """Records physically deleted (what the id sweep must tombstone)."""
        with self._lock:
            return [d for d in self._deleted.values() if kind is None or d.kind is kind]

    def rows(self, api_name: str) -> list[dict[str, Any]]:
        """A snapshot of one object's vendor rows. Rows are replaced, never changed in place, on every
        mutation: read them, do not modify them."""
        with self._lock:
            return list(self._rows.get(api_name, {}).values())

    def candidates(self, api_name: str, field_name: str, values: Sequence[str]) -> list[dict[str, Any]]:
        """Rows whose indexed field (or `_id`) is one of `values`, without scanning the object."""
        with self._lock:
            table = self._rows.get(api_name, {})
            if field_name == "_id":
                ids: Iterable[str] = values
            else:
                index = self._index.get((api_name, field_name), {})
                ids = sorted({i for v in values for i in index.get(v, ())})
            return [table[i] for i in ids if i in table]

    def sorted_by(self, api_name: str, field_name: str) -> list[tuple[tuple[bool, Any, str], dict[str, Any]]]:
        """One object's rows sorted by (field present, field, _id), kept until the object changes."""
        with self._lock:
            key = (api_name, field_name)
            if key not in self._sorted:
                rows = self._rows.get(api_name, {}).values()
                entries = [((r.get(field_name) is not None, r.get(field_name), r["_id"]), r) for r in rows]
                self._sorted[key] = sorted(entries, key=lambda entry: entry[0])
            return self._sorted[key]

    def objects(self) -> list[str]:
        with self._lock:
            return sorted(set(OBJECT_OF_KIND.values()) | {d for d, _ in DETAIL_OF.values()} | set(self._rows))

    # ------------------------------------------------------------------------- completing the truth

    def _entry(self, external_id: str) -> _Entry:
        try:
            return self._entries[external_id]
        except KeyError:
            raise KeyError(f"no record {external_id} in the sandbox") from None

    def _complete(self, doc: CanonicalDocument, modified_ms: int) -> CanonicalDocument:
        """Fill what Fxiaoke always shows, and refuse what it cannot show."""
        if doc.kind not in OBJECT_OF_KIND:
            raise ValueError(f"Fxiaoke has no {doc.kind.value} object")
        if not _HEX24.match(doc.external_id):
            raise ValueError(f"external_id {doc.external_id!r} must be a 24-hex _id (use new_id())")
        status = _life_cycle(doc)
        if status not in LIFE_STATUSES:
            raise ValueError(f"status {doc.status.value} cannot be shown (draft, open or void only)")
        raw_status = doc.raw_status or LIFE_STATUSES[status][0]
        if raw_status not in LIFE_STATUSES[status]:
            raise ValueError(f"life_status {raw_status!r} does not render status {doc.status.value}")
        if doc.due_on is not None or doc.tax is not None or doc.deleted:
            raise ValueError("due_on, tax and deleted are never shown by these objects")
        update: dict[str, Any] = {
            "raw_status": raw_status,
            "source_modified_at": utc_of_ms(modified_ms),
            "revision": 0,
        }
        if doc.kind is DocumentKind.INVOICE and status is Status.OPEN:
            update["status"] = Status.UNKNOWN
        if doc.kind.is_ledger_document:
            update.update(self._complete_ledger(doc))
        elif doc.kind is DocumentKind.CUSTOMER:
            if doc.party is None or not doc.party.name:
                raise ValueError("a customer needs party.name (客户名称)")
            if doc.number or doc.lines or doc.total is not None or doc.currency:
                raise ValueError("a customer carries only its party, owner and status (use customer())")
            update["party"] = PartyRef(external_id=doc.external_id, name=doc.party.name)
        else:
            line = doc.lines[0] if len(doc.lines) == 1 else None
            shape = (
                product(doc.external_id, line.product or "", code=doc.number, price=line.unit_price).lines
                if line
                else ()
            )
            if line is None or not line.product or doc.lines != shape or doc.party or doc.total is not None:
                raise ValueError("a product is one line of name, code and price (use product())")
        return doc.model_copy(update=update)

    def _complete_ledger(self, doc: CanonicalDocument) -> dict[str, Any]:
        if not doc.number or doc.total is None:
            raise ValueError(f"a {doc.kind.value} needs a number and a total")
        if doc.party is None or not doc.party.external_id or not doc.party.name:
            raise ValueError(f"a {doc.kind.value} needs party.external_id and party.name (account_id)")
        update: dict[str, Any] = {"currency": doc.currency or self.base_currency}
        if doc.exchange_rate is None and update["currency"] != self.base_currency:
            raise ValueError("a foreign-currency record needs its exchange_rate (mc_exchange_rate)")
        if doc.kind is DocumentKind.PAYMENT:
            if any(a.target_kind is not DocumentKind.SALES_ORDER for a in doc.allocations):
                raise ValueError("Fxiaoke payments are allocated to sales orders only")
            unapplied = doc.total - sum((a.amount for a in doc.allocations), Decimal(0))
            if doc.balance is not None and doc.balance != unapplied:
                raise ValueError(f"payment balance must be total - allocations = {unapplied}")
            update["balance"] = unapplied
        elif doc.allocations:
            raise ValueError("only payments carry allocations")
        if doc.kind is not DocumentKind.SALES_ORDER and doc.subtotal is not None:
            raise ValueError("only sales orders carry a subtotal (product_amount)")
        update.update(_order_components(doc))
        if doc.kind is DocumentKind.INVOICE:
            update["references"] = _invoice_references(doc)
        elif doc.kind is DocumentKind.PAYMENT and set(doc.references) - {"sales_order"}:
            raise ValueError("a payment references at most its sales_order")
        elif doc.kind is DocumentKind.SALES_ORDER and doc.references:
            raise ValueError("a sales order carries no references")
        return update

    # ------------------------------------------------------------------------- rendering

    def _render(self, entry: _Entry) -> None:
        self._unrender(entry)
        doc = entry.doc
        api_name = OBJECT_OF_KIND[doc.kind]
        master = self._master_row(entry, api_name)
        self._put(api_name, master)
        if api_name not in DETAIL_OF:
            return
        detail_api, link = DETAIL_OF[api_name]
        details = list(self._detail_rows(doc, master))
        while len(entry.detail_ids) < len(details):
            entry.detail_ids.append(self.new_id())
        del entry.detail_ids[len(details) :]
        for detail_id, row in zip(entry.detail_ids, details, strict=True):
            base = self._system_fields(entry, detail_api, detail_id)
            self._put(detail_api, {**base, link: doc.external_id, **row})

    def _unrender(self, entry: _Entry) -> None:
        api_name = OBJECT_OF_KIND[entry.doc.kind]
        self._drop(api_name, entry.doc.external_id)
        if api_name in DETAIL_OF:
            for detail_id in entry.detail_ids:
                self._drop(DETAIL_OF[api_name][0], detail_id)

    def _put(self, api_name: str, row: dict[str, Any]) -> None:
        self._forget_order(api_name)
        self._rows.setdefault(api_name, {})[row["_id"]] = row
        for name in INDEXED_FIELDS:
            if isinstance(row.get(name), str):
                self._index.setdefault((api_name, name), {}).setdefault(row[name], set()).add(row["_id"])

    def _drop(self, api_name: str, row_id: str) -> None:
        row = self._rows.get(api_name, {}).pop(row_id, None)
        if row is None:
            return
        self._forget_order(api_name)
        for name in INDEXED_FIELDS:
            if isinstance(row.get(name), str):
                self._index[(api_name, name)][row[name]].discard(row_id)

    def _forget_order(self, api_name: str) -> None:
        if self._sorted:
            for key in [k for k in self._sorted if k[0] == api_name]:
                del self._sorted[key]

    def _system_fields(self, entry: _Entry, api_name: str, row_id: str) -> dict[str, Any]:
        doc = entry.doc
        assert doc.source_modified_at is not None
        creator = [doc.owner] if doc.owner else ["-10000"]
        row: dict[str, Any] = {
            "_id": row_id,
            "object_describe_api_name": api_name,
            "create_time": entry.created_ms,
            "last_modified_time": ms_of(doc.source_modified_at),
            "created_by": creator,
            "last_modified_by": creator,
            "life_status": doc.raw_status,
            "lock_status": "0",
            "record_type": "default__c",
            "is_deleted": False,
            "version": str(entry.version),
            "package": "CRM",
        }
        if doc.owner:
            row["owner"] = [doc.owner]
        return row

    def _date_ms(self, day: date) -> int:
        if day not in self._midnights:
            self._midnights[day] = ms_of(datetime.combine(day, time(0), tzinfo=self.zone))
        return self._midnights[day]

    def _master_row(self, entry: _Entry, api_name: str) -> dict[str, Any]:
        doc = entry.doc
        row = self._system_fields(entry, api_name, doc.external_id)
        if doc.kind is DocumentKind.CUSTOMER:
            assert doc.party is not None
            row["name"] = doc.party.name
        elif doc.kind is DocumentKind.PRODUCT:
            line = doc.lines[0]
            row["name"] = line.product
            row["product_status"] = "99" if doc.status is Status.VOID else "1"
            if doc.number:
                row["product_code"] = doc.number
            if line.unit_price is not None:
                row["price"] = money_text(line.unit_price)
        else:
            row.update(self._ledger_fields(doc))
        row.update(entry.extra)
        return row

    def _ledger_fields(self, doc: CanonicalDocument) -> dict[str, Any]:
        assert doc.party is not None
        assert doc.total is not None
        row: dict[str, Any] = {
            "name": doc.number,
            "account_id": doc.party.external_id,
            "account_id__r": doc.party.name,
        }
        if doc.exchange_rate is not None:
            row["mc_currency"] = doc.currency
            row["mc_exchange_rate"] = format(doc.exchange_rate.quantize(Decimal("0.000001")), "f")
            row["mc_functional_currency"] = self.base_currency
            row["mc_exchange_rate_version"] = str(ms_of(doc.source_modified_at or _EPOCH))
        day = self._date_ms(doc.issued_on) if doc.issued_on else None
        if doc.kind is DocumentKind.SALES_ORDER:
            row["order_amount"] = money_text(doc.total)
            row["order_status"] = "99" if doc.status is Status.VOID else "7"
            if doc.subtotal is not None:
                row["product_amount"] = money_text(doc.subtotal)
                row["discount"] = discount_percent(doc.subtotal, doc.total)
            if doc.balance is not None:
                row["receivable_amount"] = money_text(doc.balance)
                row["payment_amount"] = money_text(doc.total - doc.balance)
            if day is not None:
                row["order_time"] = day
        elif doc.kind is DocumentKind.PAYMENT:
            row["payment_amount"] = money_text(doc.total)
            if "sales_order" in doc.references:
                row["order_id"] = doc.references["sales_order"]
            if day is not None:
                row["payment_time"] = day
        else:
            application = doc.references[APPLICATION_REFERENCE]
            row["name"] = application
            if doc.number != application:
                row["invoice_no"] = doc.number
            row["invoice_applied_amount"] = money_text(doc.total)
            row["invoice_title"] = doc.party.name
            row["title_type"] = "2"
            if "sales_order" in doc.references:
                row["order_id"] = doc.references["sales_order"]
            if day is not None:
                row["invoice_date"] = day
        return row

    def _detail_rows(self, doc: CanonicalDocument, master: Mapping[str, Any]) -> Iterable[dict[str, Any]]:
        if doc.kind is DocumentKind.PAYMENT:
            for allocation in doc.allocations:
                yield self._allocation_row(allocation, master)
            return
        for line in doc.lines:
            row: dict[str, Any] = {
                "subtotal" if doc.kind is DocumentKind.SALES_ORDER else "invoiced_amount": money_text(
                    line.amount
                )
            }
            if doc.kind is DocumentKind.INVOICE:
                if line.tax is not None:
                    row["tax_amount"] = money_text(line.tax)
                if "order_id" in master:
                    row["order_id"] = master["order_id"]
                yield row
                continue
            if line.product_external_id:
                row["product_id"] = line.product_external_id
            if line.product:
                row["product_id__r"] = line.product
            if line.quantity is not None:
                row["quantity"] = format(line.quantity, "f")
            if line.unit_price is not None:
                row["sales_price"] = money_text(line.unit_price)
            row["order_id__r"] = master["name"]
            yield row

    def _allocation_row(self, allocation: Allocation, master: Mapping[str, Any]) -> dict[str, Any]:
        row: dict[str, Any] = {
            "order_id": allocation.invoice_external_id,
            "account_id": master["account_id"],
            "payment_amount": money_text(allocation.amount),
            "payment_id__r": master["name"],
        }
        order = self._entries.get(allocation.invoice_external_id)
        if order is not None and order.doc.number:
            row["order_id__r"] = order.doc.number
        if "payment_time" in master:
            row["payment_time"] = master["payment_time"]
        return row
