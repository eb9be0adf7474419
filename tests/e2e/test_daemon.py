"""The daemon in a subprocess: jobs run on schedule, a failing connector does not stop the others,
SIGTERM exits 0 with the cursor committed, one daemon per SQLite file, one run per tick across replicas."""

from __future__ import annotations

import itertools
import json
import threading
import urllib.error
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from connectors.sandbox.server import FaultPlan
from connectors.sandbox.zoho import ZohoSandbox
from sync.notify import sign
from tests.connectors.zoho.sample import SampleSizes, sample_dataset
from tests.e2e.daemon_support import (
    invoices,
    invoke,
    jsonl_connector,
    open_engine,
    reap,
    rows,
    run_cli,
    scalar,
    start_cli,
    stop,
    wait_for,
    write_config,
    write_jsonl,
)

pytestmark = pytest.mark.slow
BIG = 300_000


def _health_url(log: Path) -> str | None:
    for line in log.read_text(encoding="utf-8", errors="replace").splitlines():
        if '"daemon.health_listening"' in line:
            return str(json.loads(line)["url"]).removesuffix("/healthz")
    return None


def _get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


def test_jobs_run_a_broken_connector_does_not_stop_the_others_and_sigterm_exits_0_with_the_cursor_committed(
    tmp_path: Path, database_url: str, request: pytest.FixtureRequest
) -> None:
    zoho = ZohoSandbox(sample_dataset(SampleSizes()), faults=FaultPlan(rate_500=1.0)).start()
    request.addfinalizer(zoho.stop)
    big = tmp_path / "big.jsonl"  # long enough to be mid-run at SIGTERM (~15 s at full ingest speed)
    with big.open("w", encoding="utf-8") as out:
        for start in range(1, BIG + 1, 10_000):
            out.writelines(json.dumps(r, ensure_ascii=False) + "\n" for r in invoices(10_000, start=start))
    small = write_jsonl(tmp_path / "small.jsonl", invoices(5))
    config = write_config(
        tmp_path / "lb.yaml",
        database_url,
        connectors=[
            jsonl_connector("big", big, page_size=200),
            jsonl_connector("small", small),
            jsonl_connector("broken", tmp_path / "missing.jsonl"),
            {
                "name": "zoho-down",
                "kind": "zoho_crm",
                "streams": ["invoices"],
                "credentials": {
                    "client_id": "1000.SANDBOXCLIENT",
                    "client_secret": "sandbox-secret",
                    "refresh_token": "1000.sandbox-refresh-token",
                },
                "endpoints": {"accounts_url": zoho.url},
                "schedule": {"every_seconds": 1},
            },
        ],
        daemon={"health": {"enabled": True, "port": 0, "failing_runs": 1}, "workers": 4},
    )
    log = tmp_path / "daemon.log"
    engine = open_engine(database_url)
    daemon = start_cli(config, "daemon", stderr=log)
    try:
        wait_for(lambda: zoho.server.request_counts, what="the vendor sandbox answering 500s")
        oks_before = scalar(engine, "SELECT COUNT(*) FROM sync_runs WHERE connector='small' AND status='ok'")
        wait_for(
            lambda: (
                scalar(engine, "SELECT COUNT(*) FROM sync_runs WHERE connector='small' AND status='ok'")
                >= oks_before + 2
            ),
            what="the healthy connector to keep syncing while the vendor answers 500s",
        )
        wait_for(
            lambda: scalar(
                engine, "SELECT COUNT(*) FROM sync_runs WHERE connector='broken' AND status='failed'"
            ),
            what="a failed run of the broken connector",
        )
        base = wait_for(lambda: _health_url(log), what="the health listener")
        status, body = _get(f"{base}/healthz")
        assert status == 503
        assert any("broken failed its last" in reason for reason in json.loads(body)["reasons"])
        status, metrics = _get(f"{base}/metrics")
        assert status == 200
        assert 'ledgerbridge_sync_lag_seconds{connector="small",stream="invoices"}' in metrics
        assert 'ledgerbridge_job_runs_total{connector="broken",job="sync:broken",outcome="failed"}' in metrics
        assert (
            'ledgerbridge_api_errors_total{connector="zoho-down",endpoint="/oauth/v2/token",status="500"}'
            in metrics
        )
        wait_for(
            lambda: scalar(
                engine, "SELECT MAX(fetched) FROM sync_runs WHERE connector='big' AND status='running'"
            ),
            what="the big sync to commit its first pages",
        )
        status_code, seconds = stop(daemon)
    finally:
        reap(daemon)
    try:
        assert status_code == 0, log.read_text()
        assert seconds < 30
        [(run_status, fetched)] = rows(engine, "SELECT status, fetched FROM sync_runs WHERE connector='big'")
        assert run_status == "interrupted"
        assert 0 < fetched < BIG
        stored = scalar(engine, "SELECT COUNT(*) FROM documents WHERE source='big'")
        assert stored == fetched
        cursor = scalar(engine, "SELECT cursor FROM sync_state WHERE connector='big'")
        newest = scalar(engine, "SELECT MAX(source_modified_at) FROM documents WHERE source='big'")
        assert str(cursor) == str(newest)
        assert "daemon.stopped" in log.read_text()
    finally:
        engine.dispose()


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_a_second_daemon_on_the_same_sqlite_database_refuses_to_start(
    tmp_path: Path, database_url: str
) -> None:
    small = write_jsonl(tmp_path / "s.jsonl", invoices(3))
    config = write_config(tmp_path / "lb.yaml", database_url, connectors=[jsonl_connector("small", small)])
    log = tmp_path / "first.log"
    first = start_cli(config, "daemon", stderr=log)
    try:
        wait_for(lambda: "daemon.started" in log.read_text(), what="the first daemon")
        second = run_cli(config, "daemon", timeout=60)
        assert second.returncode == 1
        assert "another ledgerbridge daemon already runs on this SQLite database" in second.stderr
        assert "use PostgreSQL" in second.stderr
        assert stop(first)[0] == 0
    finally:
        reap(first)


@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
def test_two_daemons_on_postgresql_run_each_tick_once_and_never_the_same_job_at_once(
    tmp_path: Path, database_url: str
) -> None:
    config = write_config(
        tmp_path / "lb.yaml",
        database_url,
        connectors=[
            jsonl_connector("alpha", write_jsonl(tmp_path / "a.jsonl", invoices(300))),
            jsonl_connector("beta", write_jsonl(tmp_path / "b.jsonl", invoices(300))),
        ],
    )
    engine = open_engine(database_url)
    first = start_cli(config, "daemon", stderr=tmp_path / "first.log")
    second = start_cli(config, "daemon", stderr=tmp_path / "second.log")
    try:
        wait_for(
            lambda: scalar(engine, "SELECT COUNT(*) FROM job_claims WHERE job = 'sync:alpha'") >= 4,
            what="four ticks of the alpha job",
        )
        assert stop(first)[0] == 0
        assert stop(second)[0] == 0
    finally:
        for process in (first, second):
            reap(process)
    try:
        for connector in ("alpha", "beta"):
            ticks = scalar(
                engine, "SELECT COUNT(*) FROM job_claims WHERE job = :job", job=f"sync:{connector}"
            )
            runs = rows(
                engine,
                "SELECT started_at, finished_at, pid FROM sync_runs WHERE connector = :c ORDER BY started_at",
                c=connector,
            )
            assert len(runs) <= ticks  # one run per claimed tick, never two
            assert len(runs) >= ticks - 2  # (a tick claimed just before SIGTERM may not have started)
            for earlier, later in itertools.pairwise(runs):
                assert earlier.finished_at is not None
                assert earlier.finished_at <= later.started_at, "two runs of one job overlapped"
        pids = {r.pid for r in rows(engine, "SELECT DISTINCT pid FROM sync_runs")}
        assert pids <= {first.pid, second.pid}
    finally:
        engine.dispose()


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_a_rule_runs_after_its_connector_synced_and_new_exceptions_arrive_as_one_signed_digest(
    tmp_path: Path, database_url: str
) -> None:
    received: list[tuple[dict[str, str], bytes]] = []

    class Receiver(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            received.append((dict(self.headers), self.rfile.read(int(self.headers["Content-Length"]))))
            self.send_response(204)
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    hook = f"http://127.0.0.1:{server.server_address[1]}/hook"
    config = write_config(
        tmp_path / "lb.yaml",
        database_url,
        connectors=[
            jsonl_connector("left", write_jsonl(tmp_path / "l.jsonl", invoices(5))),
            jsonl_connector("right", write_jsonl(tmp_path / "r.jsonl", invoices(3)), every_seconds=None),
        ],
        reconcile={
            "rules": [
                {
                    "name": "left-vs-right",
                    "left": {"source": "left", "kind": "invoice"},
                    "right": {"source": "right", "kind": "invoice"},
                    "after": ["left"],
                    "audit": [],
                }
            ]
        },
        notifications={"webhook": {"url": hook, "signing_secret": "hook-signing-key"}},
    )
    assert invoke(config, "sync", "run", "--connector", "right").returncode == 0
    engine = open_engine(database_url)
    daemon = start_cli(config, "daemon", stderr=tmp_path / "daemon.log")
    try:
        wait_for(lambda: received, what="the digest webhook")
        wait_for(
            lambda: scalar(engine, "SELECT COUNT(*) FROM reconcile_runs") >= 2,
            what="a second reconciliation run",
        )
        assert stop(daemon)[0] == 0
    finally:
        reap(daemon)
        engine.dispose()
        server.shutdown()
        server.server_close()
    assert len(received) == 1  # one digest for the run that found them; later runs found nothing new
    headers, body = received[0]
    assert headers["X-Ledgerbridge-Signature"] == sign(body, "hook-signing-key")
    digest = json.loads(body)
    assert digest["run"] == "reconcile left-vs-right"
    assert digest["new_exceptions"] == {"missing_in_right": 2}
    assert len(digest["examples"]) == 2


def test_a_daemon_with_nothing_scheduled_warns_at_start_and_its_healthz_says_no_jobs(
    tmp_path: Path, database_url: str
) -> None:
    small = write_jsonl(tmp_path / "s.jsonl", invoices(3))
    config = write_config(
        tmp_path / "lb.yaml",
        database_url,
        connectors=[jsonl_connector("small", small, every_seconds=None)],
        daemon={"health": {"enabled": True, "port": 0}},
    )
    log = tmp_path / "daemon.log"
    daemon = start_cli(config, "daemon", stderr=log)
    try:
        base = wait_for(lambda: _health_url(log), what="the health listener")
        wait_for(lambda: "daemon.started" in log.read_text(), what="the daemon to start")
        assert '"daemon.no_jobs"' in log.read_text()
        status, body = _get(f"{base}/healthz")
        assert status == 503
        assert any(reason.startswith("no jobs:") for reason in json.loads(body)["reasons"])
        assert stop(daemon)[0] == 0
    finally:
        reap(daemon)
