"""Laws of matching, checked on generated ledgers (hypothesis)."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from reconcile.matching import match
from reconcile.result import Match, MatchContext, MatchResult
from store.ledger_rows import LedgerRow
from tests.unit.reconcile.helpers import match_rule

CTX = MatchContext(base_currency="CNY")
RULE = match_rule(fuzzy={"enabled": True, "date_window_days": 5})
PARTIES = [
    "Acme Trading Co., Ltd.",
    "ACME TRADING LIMITED",
    "上海星辰贸易有限公司",
    "Globex Corp",
    "Initech Inc.",
]


@st.composite
def rows(draw: st.DrawFn, source: str) -> list[LedgerRow]:
    count = draw(st.integers(0, 25))
    out = []
    for index in range(count):
        number = draw(st.one_of(st.none(), st.sampled_from(["INV-1", "inv 2", "ＩＮＶ－3", "INV-4", "X-9"])))
        out.append(
            LedgerRow(
                source=source,
                kind="invoice",
                external_id=f"{source}-{index}",
                number=number,
                party_name=draw(st.sampled_from(PARTIES)),
                issued_on=date(2026, 10, 1) + timedelta(days=draw(st.integers(0, 9))),
                currency=draw(st.sampled_from(["CNY", "CNY", "USD"])),
                total=draw(st.sampled_from([10000, 10100, 25000, 990000, 990100, -500])),
                status=draw(st.sampled_from(["open", "paid"])),
                deleted=draw(st.booleans()) and index % 4 == 0,
            )
        )
    return out


def _as_right(rows: list[LedgerRow]) -> list[LedgerRow]:
    return [r._replace(source="books", external_id=r.external_id.replace("crm", "books")) for r in rows]


def _pairs(result: MatchResult) -> set[tuple[frozenset[str], frozenset[str], str]]:
    def keys(m: Match) -> tuple[frozenset[str], frozenset[str], str]:
        return frozenset(r.key_text for r in m.left), frozenset(r.key_text for r in m.right), m.how

    return {keys(m) for m in result.matches}


@settings(max_examples=60, deadline=None)
@given(rows("crm"))
def test_a_ledger_reconciled_against_itself_yields_no_discrepancy(left: list[LedgerRow]) -> None:
    live = [r for r in left if not r.deleted]
    unique = {r.number for r in live if r.number is not None}
    numbered = [r for r in live if r.number is not None and sum(x.number == r.number for x in live) == 1]
    if len(unique) != len({r.number for r in numbered}):
        return
    result = match(numbered, _as_right(numbered), RULE, CTX)
    assert result.discrepancies == ()
    assert len(result.matches) == len(numbered)


@settings(max_examples=60, deadline=None)
@given(rows("crm"), rows("books"), st.randoms(use_true_random=False))
def test_swapping_the_order_of_the_input_changes_nothing(
    left: list[LedgerRow], right: list[LedgerRow], rnd: object
) -> None:
    first = match(left, right, RULE, CTX)
    shuffled_left, shuffled_right = list(reversed(left)), list(right)
    rnd.shuffle(shuffled_right)  # type: ignore[attr-defined]
    second = match(shuffled_left, shuffled_right, RULE, CTX)
    assert first.discrepancies == second.discrepancies
    assert _pairs(first) == _pairs(second)
    assert first.bridge == second.bridge


@settings(max_examples=60, deadline=None)
@given(rows("crm"), rows("books"))
def test_every_document_ends_matched_or_in_exactly_one_discrepancy(
    left: list[LedgerRow], right: list[LedgerRow]
) -> None:
    result = match(left, right, RULE, CTX)
    places: dict[str, int] = {}
    for m in result.matches:
        for row in (*m.left, *m.right):
            places[row.key_text] = places.get(row.key_text, 0) + 1
    for found in result.discrepancies:
        for ref in (*found.left, *found.right):
            places[str(ref.key)] = places.get(str(ref.key), 0) + 1
    for row in result.ignored:
        assert row.deleted
        places[row.key_text] = places.get(row.key_text, 0) + 1
    assert places == {row.key_text: 1 for row in (*left, *right)}


@settings(max_examples=60, deadline=None)
@given(rows("crm"), rows("books"))
def test_the_bridge_adds_up(left: list[LedgerRow], right: list[LedgerRow]) -> None:
    bridge = match(left, right, RULE, CTX).bridge
    assert bridge.unexplained == Decimal(0)
    assert sum(bridge.explained.values(), Decimal(0)) == bridge.left_total - bridge.right_total
    converted = [r for r in left if not r.deleted and r.currency == "CNY" and r.total is not None]
    assert bridge.left_total == sum((Decimal(r.total or 0) / 10000 for r in converted), Decimal(0))
