"""End to end, issue 14: the connectors keep going where a production daemon must — a token revoked
mid-stream costs one refresh, not the stream; a token that is refused even fresh stops with the hint."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import yaml
from cryptography.fernet import Fernet
from sqlalchemy import Engine

from config.daemon import NotificationSettings
from config.loader import parse_config
from config.settings import Schedule, ZohoBooksSettings
from connectors.base import Connector, ConnectorDeps, NormalizeContext
from connectors.sandbox.fxiaoke import FxiaokeSandbox
from connectors.sandbox.server import FaultPlan
from connectors.sandbox.zoho import ZohoSandbox, ZohoSandboxOptions
from store.canonical import DocumentKind
from store.runs import SqlSyncLog
from store.secrets import KEY_ENV, SecretBox, SqlTokenStore, create_key_file
from sync.bootstrap import FACTORIES, ConnectorTokenStore
from sync.daemon import Daemon, _JobState
from sync.engine import SyncEngine
from sync.notify import Delivery, Digest, Notifier
from sync.schedules import build_trigger
from tests.conftest import FixedClock
from tests.connectors.fxiaoke.generate import generate_dataset
from tests.connectors.zoho.sample import SampleSizes, sample_dataset
from tests.e2e.sync_support import cli
from tests.e2e.test_fxiaoke_sync import GENERATED_AT, assert_ledger_is_the_truth, fxiaoke, sync
from tests.e2e.test_zoho_sync import CREDENTIALS as ZOHO_CREDENTIALS
from tests.e2e.test_zoho_sync import assert_ledger_is_the_truth as assert_zoho_ledger_is_the_truth
from tests.e2e.test_zoho_sync import sync as zoho_sync

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


# ----------------------------------------------------------------------------- shared rate budgets


class SandboxClock:
    """The sandbox's clock (seconds), moved only by the connector's waits: a 90-second burst passes
    without 90 real seconds."""

    def __init__(self) -> None:
        self.now = 1_000.0
        self.waits: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.waits.append(seconds)
        self.now += seconds


@contextmanager
def zoho_books(
    engine: Engine, clock: FixedClock, url: str, tmp_path: Path, sleep: Callable[[float], None]
) -> Iterator[Connector]:
    box = SecretBox(tmp_path / "key", {KEY_ENV: Fernet.generate_key().decode()})
    tokens = ConnectorTokenStore(SqlTokenStore(engine, box, clock))
    context = NormalizeContext(source="zoho-books", timezone=ZoneInfo("Asia/Shanghai"), base_currency="CNY")
    settings = ZohoBooksSettings(
        name="zoho-books",
        kind="zoho_books",
        organization_id="10234695",
        credentials=ZOHO_CREDENTIALS,
        endpoints={"accounts_url": url},
        limits={"requests_per_minute": 1_000_000, "concurrency": 2},
    )
    connector = FACTORIES["zoho_books"](
        settings, ConnectorDeps(tokens, lambda v: v, context, clock, sleep=sleep)
    )
    try:
        yield connector
    finally:
        connector.close()


def test_another_app_bursting_429s_for_90_seconds_is_waited_out_and_the_ledger_is_the_truth(
    engine: Engine, clock: FixedClock, tmp_path: Path
) -> None:
    dataset = sample_dataset(SampleSizes(books_invoices=700, books_payments=60), seed=5)
    sandbox_clock = SandboxClock()
    options = ZohoSandboxOptions(burst_429_share=0.4, burst_seconds=90.0, max_refreshes=None)
    sandbox = ZohoSandbox(dataset, options=options, clock=sandbox_clock, faults=FaultPlan(seed=9))
    with sandbox as url, zoho_books(engine, clock, url, tmp_path, sandbox_clock.sleep) as books:
        zoho_sync(engine, clock, books)

    assert_zoho_ledger_is_the_truth(engine, dataset, "books", "zoho-books")
    assert sandbox.limited_count >= 2  # the burst was met, and waited out
    assert sandbox_clock.now - 1_000.0 >= 90.0


def test_a_spent_daily_cap_stops_the_stream_with_its_reset_time_and_the_next_run_after_it_resumes(
    engine: Engine, clock: FixedClock, tmp_path: Path
) -> None:
    dataset = sample_dataset(SampleSizes(books_invoices=450, books_payments=10), seed=5)
    options = ZohoSandboxOptions(daily_cap=1_000, daily_reset_seconds=5400)
    sandbox = ZohoSandbox(dataset, options=options)
    sandbox.new_day(spent=998)  # the organization's other apps spent nearly all of today's calls
    with sandbox as url, zoho_books(engine, clock, url, tmp_path, lambda _s: None) as books:
        first = SyncEngine(engine, clock).run_connector(books)
        sandbox.new_day()
        clock.advance(hours=2)
        second = SyncEngine(engine, clock).run_connector(books)

    assert {r.status for r in first} == {"failed"}
    assert all("daily API cap (per plan) is spent; calls resume after" in (r.error or "") for r in first)
    assert {r.status for r in second} == {"ok"}
    assert_zoho_ledger_is_the_truth(engine, dataset, "books", "zoho-books")


# ----------------------------------------------------------------------------- what a person sees


def books_config(tmp_path: Path, database_url: str, url: str) -> Path:
    config = tmp_path / "ledgerbridge.yaml"
    document = {
        "database_url": database_url,
        "base_currency": "CNY",
        "timezone": "Asia/Shanghai",
        "secret_key_file": str(tmp_path / "ledgerbridge.key"),
        "connectors": [
            {
                "name": "zoho-books",
                "kind": "zoho_books",
                "organization_id": "10234695",
                "streams": ["invoices"],
                "credentials": ZOHO_CREDENTIALS,
                "endpoints": {"accounts_url": url},
                "limits": {"requests_per_minute": 600_000, "concurrency": 1},
            }
        ],
    }
    config.write_text(yaml.safe_dump(document), encoding="utf-8")
    create_key_file(tmp_path / "ledgerbridge.key")
    return config


def test_sync_status_says_how_long_a_run_waited_and_when_a_spent_daily_cap_resets(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, database_url: str
) -> None:
    dataset = sample_dataset(SampleSizes(books_invoices=30), seed=5)
    sandbox = ZohoSandbox(dataset, faults=FaultPlan(retry_after=1))
    with sandbox as url:
        config = books_config(tmp_path, database_url, url)
        assert cli(capsys, config, "connector", "test", "zoho-books").code == 0  # the token is stored
        sandbox.faults.burst_429 = 2  # another app's burst: two 429s saying "Retry-After: 1"
        waited = cli(capsys, config, "sync", "run")
        waited_status = cli(capsys, config, "sync", "status")
        sandbox.options.daily_cap = 0
        capped = cli(capsys, config, "sync", "run")
        capped_status = cli(capsys, config, "sync", "status")
        capped_json = cli(capsys, config, "sync", "status", "--json").json()
        listed = cli(capsys, config, "connector", "list")

    assert waited.code == 0, waited.err
    assert "waited: zoho-books/invoices waited 2.0s for rate limits shared with" in waited.out
    assert "waited: zoho-books/invoices waited 2.0s" in waited_status.out
    assert capped.code == 1
    assert "daily API cap (per plan) is spent; calls resume after" in capped.out + capped.err
    resets = capped_json["streams"][0]["last_run"]["resets_at"]
    assert resets is not None
    assert f"resumes it after {resets}" in capped_status.out.replace("\n", "")
    assert "daily cap; resumes after" in listed.out.replace("\n", "")


def test_a_books_token_lacking_the_scope_exits_1_with_the_hint_after_exactly_one_refresh(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, database_url: str
) -> None:
    options = ZohoSandboxOptions(scopes=frozenset({"ZohoCRM.modules.READ"}))
    sandbox = ZohoSandbox(sample_dataset(SampleSizes(books_invoices=5)), options=options)
    with sandbox as url:
        ran = cli(capsys, books_config(tmp_path, database_url, url), "sync", "run")

    assert ran.code == 1
    assert "lacks a scope; grant ZohoBooks" in (ran.out + ran.err).replace("\n", "")
    assert sandbox.refresh_count == 2


class Outbox(Notifier):
    """A notifier that keeps the digests it is asked to send."""

    def __init__(self, settings: NotificationSettings) -> None:
        super().__init__(settings)
        self.sent: list[Digest] = []

    def send(self, digest: Digest) -> list[Delivery]:
        self.sent.append(digest)
        return []


def test_the_daemon_waits_out_a_spent_daily_cap_without_backoff_and_its_first_tick_after_the_reset_resumes(
    tmp_path: Path, database_url: str, engine: Engine
) -> None:
    dataset = sample_dataset(SampleSizes(books_invoices=30), seed=5)
    sandbox = ZohoSandbox(dataset, options=ZohoSandboxOptions(daily_cap=0, daily_reset_seconds=5400))
    with sandbox as url:
        config = books_config(tmp_path, database_url, url)
        settings = parse_config(config.read_text(encoding="utf-8"), str(config), {})
        now = [datetime.now(UTC)]
        outbox = Outbox(settings.notifications)
        daemon = Daemon(settings, engine, notifier=outbox, clock=lambda: now[0])
        job = "sync:zoho-books"
        daemon._states[job] = _JobState()
        trigger = build_trigger(Schedule(every_minutes=5), settings.zone)

        def tick() -> None:
            daemon._tick(job, trigger, lambda: daemon._sync("zoho-books"))

        tick()
        capped_until = daemon._states[job].capped_until
        calls_when_capped = sandbox.limited_count
        now[0] += timedelta(minutes=30)
        tick()  # before the reset: skipped, no call spent
        calls_before_reset = sandbox.limited_count
        sandbox.new_day()
        sandbox.options.daily_cap = None
        assert capped_until is not None
        now[0] = capped_until + timedelta(minutes=5)
        tick()  # the first tick after the reset resumes, nobody acting

    assert capped_until > datetime.now(UTC) + timedelta(minutes=80)  # X-Rate-Limit-Reset: 5400 s
    [digest] = outbox.sent
    assert "paused until its daily API cap resets" in digest.subject
    assert f"calls resume after {capped_until.isoformat()}" in digest.as_text()
    assert calls_before_reset == calls_when_capped == 1
    assert daemon._states[job].capped_until is None
    assert daemon._states[job].failures == 0
    runs = SqlSyncLog(engine).runs("zoho-books", "invoices")
    assert [r.status for r in runs] == ["failed", "ok"]
    assert runs[0].resets_at == capped_until
    samples = daemon.metrics.samples()
    [reset_gauge] = [s for s in samples if s.name == "ledgerbridge_daily_cap_resets_at_seconds"]
    assert reset_gauge.value == 0  # the last run no longer hit it
