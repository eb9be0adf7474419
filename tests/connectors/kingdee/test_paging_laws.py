"""Laws of the anchored StartRow/Limit paging and the regrouping of entry rows (hypothesis): for any
bills, any page size and one change at any moment of the pass (a bill deleted, changed — it moves to
the end, with other lines — or added), the pass ends, every record handed on is one whole version of a
bill, no page holds a bill twice, and every bill alive at the end is read in its final version."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from connectors.base import RawRecord
from connectors.kingdee.query import ENTRIES, AnchoredOffset, BillQuery, bill_pages
from connectors.paging import Answer

MAX_SENDS = 2_000


@dataclass
class Bill:
    fid: int
    modified: int
    lines: int
    version: int = 0


class Server:
    """Bills in (modified, fid) order, one row per line; `m>=N` filters; one change after a given send."""

    def __init__(self, bills: list[Bill], change: tuple[str, int, int, int] | None) -> None:
        self.bills = {b.fid: b for b in bills}
        self.change = change
        self.sends = 0
        self.touched: int | None = None
        """The bill the change touched."""

    def rows(self, floor: int) -> list[dict[str, Any]]:
        ordered = sorted(
            (b for b in self.bills.values() if b.modified >= floor), key=lambda b: (b.modified, b.fid)
        )
        return [
            {"FID": b.fid, "m": b.modified, "v": b.version, "n": b.lines, "line": i}
            for b in ordered
            for i in range(b.lines)
        ]

    def send(self, query: BillQuery) -> Answer:
        self.sends += 1
        assert self.sends < MAX_SENDS, "the pass does not end"
        floor = max((int(f.removeprefix("m>=")) for f in query.filters), default=0)
        page = self.rows(floor)[query.start_row : query.start_row + query.limit]
        if self.change is not None and self.sends == self.change[1]:
            self._apply(self.change)
        return Answer(page, page)

    def _apply(self, change: tuple[str, int, int, int]) -> None:
        what, _, pick, lines = change
        top = max((b.modified for b in self.bills.values()), default=0) + 1
        if what == "add" or not self.bills:
            self.touched = fid = max(self.bills, default=0) + 1
            self.bills[fid] = Bill(fid, top, lines)
            return
        bill = sorted(self.bills.values(), key=lambda b: b.fid)[pick % len(self.bills)]
        self.touched = bill.fid
        if what == "delete":
            del self.bills[bill.fid]
        else:
            self.bills[bill.fid] = Bill(bill.fid, top, lines, bill.version + 1)


def _rebase(query: BillQuery, anchor: RawRecord) -> BillQuery:
    return query.where(f"m>={anchor['m']}")


bills = st.lists(st.tuples(st.integers(0, 6), st.integers(1, 7)), min_size=0, max_size=25).map(
    lambda specs: [Bill(fid, modified, lines) for fid, (modified, lines) in enumerate(specs, start=1)]
)
changes = st.none() | st.tuples(
    st.sampled_from(["delete", "change", "add"]), st.integers(1, 40), st.integers(0, 100), st.integers(1, 7)
)


@settings(max_examples=300, deadline=None)
@given(bills=bills, limit=st.integers(2, 9), change=changes)
def test_a_pass_ends_hands_on_whole_bills_and_reads_every_living_bill_in_its_final_version(
    bills: list[Bill], limit: int, change: tuple[str, int, int, int] | None
) -> None:
    server = Server(bills, change)
    query = BillQuery("F", ("FID", "m", "v", "n", "line"), order="m ASC,FID ASC", limit=limit)
    read: set[tuple[int, int]] = set()
    for page in bill_pages(
        server.send,
        query,
        AnchoredOffset(_rebase, limit=limit, label="F"),
        id_field="FID",
        entry_fields=("line",),
    ):
        ids = [record["FID"] for record in page]
        assert len(ids) == len(set(ids))
        for record in page:
            assert record[ENTRIES] == [{"line": i} for i in range(record["n"])]  # one whole version
            read.add((record["FID"], record["v"]))
    after_the_last_page = change is not None and change[1] == server.sends  # the next run's to read
    living = {
        (b.fid, b.version)
        for b in server.bills.values()
        if not (after_the_last_page and b.fid == server.touched)
    }
    assert living <= read
