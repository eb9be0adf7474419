"""The daemon's /metrics, scraped while it syncs the bundled Zoho and Fxiaoke sandboxes: one label
scheme (ADR 0025) — `connector` is a configured connector's name, the endpoint its own label."""

from __future__ import annotations

import json
import re
import urllib.request
from pathlib import Path

import pytest
import yaml

from connectors.sandbox.demo_servers import fxiaoke_sandbox, sandbox_credentials, zoho_sandbox
from connectors.sandbox.generator import CompanySpec, generate_company
from sync.demo import connectors_yaml
from sync.metrics import FAMILIES
from tests.e2e.daemon_support import open_engine, reap, scalar, start_cli, stop, wait_for, write_config

pytestmark = pytest.mark.slow

_SAMPLE = re.compile(r"^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$")
_LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')


def scrape(log: Path) -> list[tuple[str, dict[str, str]]]:
    url = next(
        json.loads(line)["url"].removesuffix("/healthz")
        for line in log.read_text(encoding="utf-8").splitlines()
        if '"daemon.health_listening"' in line
    )
    with urllib.request.urlopen(f"{url}/metrics", timeout=10) as response:
        text = response.read().decode()
    samples = []
    for line in text.splitlines():
        if line.startswith("#") or not line:
            continue
        found = _SAMPLE.match(line)
        assert found, line
        samples.append((found.group(1), dict(_LABEL.findall(found.group(2) or ""))))
    return samples


def family_of(name: str) -> str:
    for candidate in (name, name.removesuffix("_sum"), name.removesuffix("_count")):
        if candidate in FAMILIES:
            return candidate
    raise AssertionError(f"{name} is not declared in sync.metrics.FAMILIES")


def test_every_metric_names_the_configured_connector_and_keeps_the_endpoint_in_its_own_label(
    tmp_path: Path, database_url: str
) -> None:
    company = generate_company(CompanySpec(customers=12, orders=150, seed=3))
    with zoho_sandbox(company) as zoho_url, fxiaoke_sandbox(company) as fx:
        connectors = yaml.safe_load(
            connectors_yaml(sandbox_credentials(company), zoho_url, fx.url, inline_secrets=True)
        )["connectors"]
        for connector in connectors:
            connector["schedule"] = {"every_seconds": 2}
        rule = {
            "name": "books-settlement",
            "kind": "settlement",
            "invoices": {"source": "zoho-books", "kind": "invoice"},
            "payments": {"source": "zoho-books", "kind": "payment"},
            "after": ["zoho-books"],
        }
        config = write_config(
            tmp_path / "lb.yaml",
            database_url,
            connectors=connectors,
            reconcile={"rules": [rule]},
            daemon={"health": {"enabled": True, "port": 0}},
        )
        names = {c["name"] for c in connectors}
        engine = open_engine(database_url)
        log = tmp_path / "daemon.log"
        daemon = start_cli(config, "daemon", stderr=log)
        try:
            wait_for(
                lambda: (
                    scalar(engine, "SELECT COUNT(DISTINCT connector) FROM sync_runs WHERE status = 'ok'") == 3
                ),
                timeout=120,
                what="a successful sync of every connector",
            )
            wait_for(
                lambda: any(
                    name == "ledgerbridge_job_runs_total" and "rule" in labels for name, labels in scrape(log)
                ),
                timeout=60,
                what="the rule's job to run after zoho-books synced",
            )
            samples = scrape(log)
        finally:
            code, _ = stop(daemon)
            reap(daemon)
            engine.dispose()
    assert code == 0
    endpoints: dict[str, set[str]] = {}
    for name, labels in samples:
        family = FAMILIES[family_of(name)]
        assert set(family.labels) <= set(labels) <= {*family.labels, *family.optional}, (name, labels)
        assert "/" not in name
        if "connector" in labels:
            assert labels["connector"] in names, (name, labels)
        if "endpoint" in labels:
            endpoint = labels["endpoint"]
            assert endpoint.startswith("/"), endpoint
            assert "?" not in endpoint
            assert "127.0.0.1" not in endpoint
            assert not any(segment.isdigit() for segment in endpoint.split("/")), endpoint
            endpoints.setdefault(labels["connector"], set()).add(endpoint)
        if labels.get("job", "").startswith("sync:"):
            assert labels["connector"] == labels["job"].removeprefix("sync:")
    # Zoho's OAuth server under the connector that fetched the shared token, not `zoho-crm/accounts`.
    assert "/oauth/v2/token" in endpoints["zoho-crm"] | endpoints["zoho-books"]
    assert any(e.startswith("/crm/v8/") for e in endpoints["zoho-crm"])
    assert any(e.startswith("/books/v3/") for e in endpoints["zoho-books"])
    assert any(e.startswith("/cgi/") for e in endpoints["fxiaoke"])
    scraped = {family_of(name) for name, _ in samples}
    assert {
        "ledgerbridge_api_calls_total",
        "ledgerbridge_sync_lag_seconds",
        "ledgerbridge_job_runs_total",
    } <= scraped
