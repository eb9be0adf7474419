"""End to end, issue 14: the connectors keep going where a production daemon must — a token revoked
mid-stream costs one refresh, not the stream; a token that is refused even fresh stops with the hint."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine

from connectors.sandbox.fxiaoke import FxiaokeSandbox, generate_dataset
from store.canonical import DocumentKind
from sync.engine import SyncEngine
from tests.conftest import FixedClock
from tests.e2e.test_fxiaoke_sync import GENERATED_AT, assert_ledger_is_the_truth, fxiaoke, sync

pytestmark = pytest.mark.slow

EVERY_KIND = {
    DocumentKind.SALES_ORDER,
    DocumentKind.PAYMENT,
    DocumentKind.INVOICE,
    DocumentKind.CUSTOMER,
    DocumentKind.PRODUCT,
}


def test_fxiaoke_tokens_revoked_mid_stream_cost_one_token_request_each_and_the_ledger_is_the_truth(
    engine: Engine, clock: FixedClock, tmp_path: Path
) -> None:
    dataset = generate_dataset(orders=400, seed=4, now=GENERATED_AT)
    with FxiaokeSandbox(dataset, revoke_after_uses=3, throttle=None, token_calls_per_minute=None) as sandbox:
        with fxiaoke(engine, clock, sandbox, tmp_path) as connector:
            sync(engine, clock, connector)

    assert_ledger_is_the_truth(engine, dataset, EVERY_KIND)
    assert sandbox.stats.revoked >= 3
    assert sandbox.stats.token_calls == sandbox.stats.revoked + 1


def test_a_fxiaoke_token_refused_even_when_fresh_fails_the_stream_with_the_hint_after_one_refetch(
    engine: Engine, clock: FixedClock, tmp_path: Path
) -> None:
    dataset = generate_dataset(orders=20, seed=4, now=GENERATED_AT)
    with FxiaokeSandbox(dataset, refuse_tokens=True) as sandbox:
        with fxiaoke(engine, clock, sandbox, tmp_path, streams=["sales_orders"]) as connector:
            results = SyncEngine(engine, clock).run_connector(connector)

    assert [r.status for r in results] == ["failed"]
    assert "a freshly fetched token was refused too" in (results[0].error or "")
    assert sandbox.stats.token_calls == 2  # the first token and exactly one more: never a loop
