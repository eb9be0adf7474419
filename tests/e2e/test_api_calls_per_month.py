"""Vendor API calls are counted per connector per month (issue 19: QuickBooks reads are metered against
a monthly allowance): over real HTTP against the QuickBooks sandbox, what `sync status` says (en, zh,
--json) and what the daemon's /metrics exports equal the requests the sandbox served; the counts
survive across processes and runs, split at the month boundary, and a failed write keeps them."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine

from config.loader import parse_config
from connectors.base import Page
from connectors.sandbox.quickbooks.app import QuickBooksSandbox
from connectors.sandbox.quickbooks.dataset import Sizes, generate
from store.api_calls import SqlApiCalls, month_of
from store.secrets import create_key_file
from sync.api_meter import ApiMeter, _MeteredStream
from sync.daemon import Daemon
from tests.conftest import FixedClock
from tests.e2e.sync_support import cli
from tests.fakes import ListStream, pages, record

pytestmark = pytest.mark.slow


def _config(tmp_path: Path, database_url: str, box: QuickBooksSandbox) -> Path:
    oauth = box.options.oauth
    key = tmp_path / "lb.key"
    create_key_file(key)
    config = tmp_path / "lb.yaml"
    config.write_text(
        f"database_url: {database_url}\n"
        f"secret_key_file: {key}\n"
        "base_currency: CNY\n"
        "connectors:\n"
        "  - name: qbo\n"
        "    kind: quickbooks\n"
        f"    realm_id: '{box.realm_id}'\n"
        "    streams: [invoices, payments, customers]\n"
        f"    endpoints: {{auth_url: '{box.url}', api_url: '{box.url}'}}\n"
        f"    credentials: {{client_id: {oauth.client_id}, client_secret: {oauth.client_secret}, "
        f"refresh_token: {oauth.initial_refresh_token}}}\n",
        encoding="utf-8",
    )
    return config


def test_every_call_the_sandbox_served_is_counted_in_status_and_metrics(
    tmp_path: Path, database_url: str, engine: Engine, capsys: pytest.CaptureFixture[str]
) -> None:
    box = QuickBooksSandbox(
        generate(Sizes(customers=8, invoices=40, payments=10, credit_memos=1, sales_receipts=1))
    )
    with box:
        config = _config(tmp_path, database_url, box)
        first = cli(capsys, config, "sync", "run", "--full", "--json")
        assert first.code == 0, first.err
        served = sum(box.server.request_counts.values())
        assert served >= 4, "a token call and at least a page and a count per stream"
        month = month_of(datetime.now(UTC))
        status = cli(capsys, config, "sync", "status", "--json").json()
        assert status["api_calls"] == {"month": month, "connectors": {"qbo": served}}

        again = cli(capsys, config, "sync", "run", "--sweep", "--json")  # CDC plus a query pass per stream
        assert again.code == 0, again.err
        served = sum(box.server.request_counts.values())
        assert cli(capsys, config, "sync", "status", "--json").json()["api_calls"]["connectors"] == {
            "qbo": served
        }

        english = cli(capsys, config, "--lang", "en", "sync", "status").out
        [line] = [line for line in english.splitlines() if line.startswith("API calls in")]
        assert f"API calls in {month}" in line
        assert f"qbo {served:,}" in line
        chinese = cli(capsys, config, "--lang", "zh", "sync", "status").out
        assert any(
            f"{month} 的 API 调用次数" in line and f"qbo {served:,}" in line for line in chinese.splitlines()
        )

        settings = parse_config(config.read_text(encoding="utf-8"), str(config), {})
        metrics = Daemon(settings, engine).metrics_text()
        assert "# TYPE ledgerbridge_api_calls_this_month gauge" in metrics
        assert f'ledgerbridge_api_calls_this_month{{connector="qbo"}} {served}' in metrics


def test_calls_are_counted_in_the_month_they_were_made(engine: Engine) -> None:
    clock = FixedClock(datetime(2026, 11, 30, 23, 59, 59, tzinfo=UTC))
    store = SqlApiCalls(engine)
    meter = ApiMeter(store, clock)
    for _ in range(3):
        meter.observe("qbo", "/v3/company/{id}/query", 200, 0.1)
    meter.observe("qbo", "/v3/company/{id}/query", 0, 0.1)  # no answer: nothing served, not counted
    clock.now = datetime(2026, 12, 1, 0, 0, 1, tzinfo=UTC)
    meter.observe("qbo", "/v3/company/{id}/cdc", 429, 0.1)
    meter.observe("xero", "/api.xro/2.0/Invoices", 200, 0.1)
    meter.flush()
    meter.flush()  # nothing pending: nothing added twice
    assert store.month("2026-11") == {"qbo": 3}
    assert store.month("2026-12") == {"qbo": 1, "xero": 1}


def test_a_failed_write_keeps_the_counts_for_the_next_flush(engine: Engine) -> None:
    class Refusing(SqlApiCalls):
        refuse = True

        def add(self, counts: dict[tuple[str, str], int], now: datetime) -> None:  # type: ignore[override]
            if self.refuse:
                raise RuntimeError("database is locked")
            super().add(counts, now)

    store = Refusing(engine)
    clock = FixedClock(datetime(2026, 12, 5, tzinfo=UTC))
    meter = ApiMeter(store, clock)
    meter.observe("qbo", "/v3/company/{id}/query", 200, 0.1)
    meter.flush()
    meter.observe("qbo", "/v3/company/{id}/query", 200, 0.1)
    store.refuse = False
    meter.flush()
    assert store.month("2026-12") == {"qbo": 2}


def test_while_pages_come_the_counts_are_stored_every_few_seconds_and_all_at_the_end(engine: Engine) -> None:
    """Not a write transaction per page (issue 18): at most one per FLUSH_EVERY_S while a stream's pages
    come, and whatever is left when its pages end."""

    class Counting(SqlApiCalls):
        writes = 0

        def add(self, counts: dict[tuple[str, str], int], now: datetime) -> None:  # type: ignore[override]
            self.writes += 1
            super().add(counts, now)

    class Paged(ListStream):
        def pages(self, since: datetime | None) -> Iterator[Page]:
            for page in self.pages_data:
                meter.observe("qbo", "/v3/company/{id}/query", 200, 0.1)
                yield page
                seconds.append(seconds[-1] + 1.0)  # a second a page

    store = Counting(engine)
    seconds = [0.0]
    meter = ApiMeter(store, FixedClock(datetime(2026, 12, 5, tzinfo=UTC)), monotonic=lambda: seconds[-1])
    stream = _MeteredStream(Paged(pages(*[[record(n)] for n in range(12)])), meter)
    assert sum(1 for _ in stream.pages(None)) == 12
    assert store.writes == 4  # pages 1, 6 and 11 (5 s apart), and the rest at the end
    assert store.month("2026-12") == {"qbo": 12}
