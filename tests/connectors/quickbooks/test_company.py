"""The demo company's books as a QuickBooks company (what `sandbox serve --vendor quickbooks` serves):
read back through the connector over real HTTP, every document is the dataset's truth."""

from __future__ import annotations

from datetime import timedelta

from connectors.sandbox.generator import CompanySpec, generate_company
from connectors.sandbox.quickbooks.company import quickbooks_dataset
from connectors.sandbox.quickbooks.dataset import ENTITY_KIND
from store.canonical import Status
from tests.conftest import FakeTokenStore, FixedClock
from tests.connectors.quickbooks.support import SandboxClock, quickbooks_connector, sandbox


def test_the_demo_books_read_back_as_the_truth() -> None:
    data = quickbooks_dataset(generate_company(CompanySpec(customers=20, orders=150, seed=3)))
    clock = FixedClock(data.latest() + timedelta(hours=1))
    ticks = SandboxClock()
    box = sandbox(data, clock, ticks)
    read = []
    with box, quickbooks_connector(box, FakeTokenStore(), clock, ticks) as connector:
        for stream in connector.streams().values():
            read += [stream.normalize(r).model_copy(update={"source": "quickbooks"})
                     for page in stream.pages(None) for r in page.records]  # fmt: skip
    ours = sorted(read, key=lambda d: (d.kind.value, d.external_id))
    truth = data.truth(source="quickbooks")
    assert [d.key for d in ours] == [d.key for d in truth]
    assert [(a, b) for a, b in zip(ours, truth, strict=True) if a != b][:1] == []
    assert {d.kind for d in truth} >= {
        ENTITY_KIND["Invoice"],
        ENTITY_KIND["Payment"],
        ENTITY_KIND["Customer"],
    }
    assert any(d.status is Status.PAID for d in truth)
