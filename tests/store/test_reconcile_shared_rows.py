"""Counterparts share their values (store/shared_rows.py, ADR 0032): a side read with the other side's rows
by number reads exactly as it does without them — every field equal and of the same type — and holds the
very objects of its counterpart where the number is the same and an amount is an equal int; on SQLite and
PostgreSQL, and for any rows (a property test of the pure rebuild)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine

from store.canonical import CanonicalDocument, DocumentKind, Line, PartyRef
from store.ledger_rows import LedgerRow
from store.reconcile_repository import DocumentSet, SqlReconcileRepository
from store.shared_rows import counterpart_index, with_counterpart
from tests.e2e.report_support import store_documents

_AMOUNTS = ("subtotal", "tax", "total", "balance", "lines_total", "lines_min")
_BIG = 1 << 40  # above the small-int cache: equal ints are distinct objects unless shared
_amount = st.none() | st.sampled_from([_BIG + 1, _BIG + 2, 5, True]) | st.integers(_BIG, _BIG + 3)


def _fresh(value: object) -> object:
    """An equal copy that is not the same object (as two rows read from SQL hold)."""
    if isinstance(value, int) and not isinstance(value, bool):
        return int(str(value))
    if isinstance(value, str):
        return "".join(list(value))
    return value


_row = st.builds(
    lambda source, n, number, amounts: LedgerRow(
        source,
        "invoice",
        f"{source}{n}",
        _fresh(f"INV-{number}"),
        **{name: _fresh(value) for name, value in zip(_AMOUNTS, amounts, strict=True)},
    ),
    st.sampled_from(["crm", "books"]),
    st.integers(0, 99),
    st.integers(0, 3),
    st.tuples(*[_amount] * len(_AMOUNTS)),
)


@settings(max_examples=300, deadline=None)
@given(st.lists(_row, max_size=8), st.lists(_row, max_size=8))
def test_a_row_with_its_counterpart_reads_as_before_and_holds_its_objects(
    others: list[LedgerRow], rows: list[LedgerRow]
) -> None:
    index = counterpart_index(others)
    for row in rows:
        twin = index.get(row.number)  # type: ignore[arg-type]
        if twin is None:
            continue
        shared = with_counterpart(row, twin)
        assert shared == row
        assert [type(v) for v in shared] == [type(v) for v in row]
        assert shared.number is twin.number
        for name in _AMOUNTS:
            mine, theirs = getattr(row, name), getattr(twin, name)
            if type(mine) is int and type(theirs) is int and mine == theirs:
                assert getattr(shared, name) is theirs
            else:
                assert getattr(shared, name) is mine


def _invoice(source: str, n: int, total: str, number: str | None) -> CanonicalDocument:
    amount = Decimal(total)
    return CanonicalDocument(
        source=source,
        kind=DocumentKind.INVOICE,
        external_id=f"{source}-{n}",
        number=number,
        party=PartyRef(name=f"客户{n}"),
        issued_on=date(2026, 10, 8),
        currency="CNY",
        subtotal=amount,
        tax=Decimal("0.00"),
        total=amount,
        balance=amount,
        lines=(Line(amount=amount - 1), Line(amount=Decimal(1))),
    )


def test_a_side_read_with_the_others_rows_is_the_same_side(engine: Engine) -> None:
    crm = [_invoice("crm", n, f"{1000 + n}.50", f"INV-{n}") for n in range(6)]
    books = [
        _invoice("books", 0, "1000.50", "INV-0"),  # the same deal: number and every amount shared
        _invoice("books", 1, "1001.75", "INV-1"),  # an amount differs: the number is shared, amounts not
        _invoice("books", 2, "1002.50", "inv 2"),  # another spelling: nothing shared
        _invoice("books", 9, "1000.50", None),  # no number
    ]
    store_documents(engine, [*crm, *books])
    repo = SqlReconcileRepository(engine)
    left = repo.load_rows(DocumentSet(source="crm", kind="invoice", filters={}))
    spec = DocumentSet(source="books", kind="invoice", filters={})
    alone = sorted(repo.load_rows(spec), key=lambda r: r.external_id)
    shared = sorted(repo.load_rows(spec, counterpart_index(left)), key=lambda r: r.external_id)
    assert shared == alone
    for row, before in zip(shared, alone, strict=True):
        assert [type(v) for v in row] == [type(v) for v in before]
    by_number = {row.number: row for row in left}
    same, differs, spelled, unnumbered = shared
    twin = by_number["INV-0"]
    assert same.number is twin.number
    assert all(getattr(same, name) is getattr(twin, name) for name in ("subtotal", "total", "balance"))
    assert differs.number is by_number["INV-1"].number
    assert differs.total is not by_number["INV-1"].total
    assert spelled.number == "inv 2"
    assert unnumbered.number is None
