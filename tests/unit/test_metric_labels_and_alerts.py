"""One metric label scheme (ADR 0025) and the shipped Prometheus alert rules: every alert reads only
metrics the code exports, with labels those metrics carry."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from connectors.http import metric_connector, metric_endpoint
from sync.metrics import FAMILIES, Metrics, job_labels, render

ALERTS = Path(__file__).parents[2] / "deploy" / "prometheus" / "ledgerbridge-alerts.yaml"
OPERATIONS = Path(__file__).parents[2] / "docs" / "operations.md"
_PROMQL_WORDS = frozenset(
    {
        "absent", "abs", "delta", "increase", "rate", "irate", "time", "max", "min", "sum", "avg", "count",
        "by", "without", "and", "or", "unless", "on", "ignoring", "bool", "offset", "humanizeDuration",
    }
)  # fmt: skip
"""PromQL functions, aggregations and keywords the rules may use; any other word must be a metric."""


def rules() -> list[dict[str, Any]]:
    document = yaml.safe_load(ALERTS.read_text(encoding="utf-8"))
    return [rule for group in document["groups"] for rule in group["rules"]]


def exported(name: str) -> str | None:
    """The family a sample name belongs to (summaries add _sum/_count), None when the code has none."""
    for candidate in (name, name.removesuffix("_sum"), name.removesuffix("_count")):
        if candidate in FAMILIES:
            return candidate
    return None


@pytest.mark.parametrize(
    ("client", "connector"),
    [
        ("zoho-crm", "zoho-crm"),
        ("zoho-crm/accounts", "zoho-crm"),
        ("fxiaoke:/cgi/crm/v2/data/query", "fxiaoke"),
    ],
)
def test_the_connector_label_is_the_configured_name_whatever_the_http_client(
    client: str, connector: str
) -> None:
    assert metric_connector(client) == connector


@pytest.mark.parametrize(
    ("url", "endpoint"),
    [
        ("https://www.zohoapis.com/crm/v8/Invoices?page_token=abc&fields=x", "/crm/v8/Invoices"),
        (
            "https://www.zohoapis.com/books/v3/invoices/460000000026049?organization_id=1",
            "/books/v3/invoices/{id}",
        ),
        ("https://accounts.zoho.com/oauth/v2/token", "/oauth/v2/token"),
        ("https://open.fxiaoke.com/cgi/crm/v2/data/query", "/cgi/crm/v2/data/query"),
        ("http://127.0.0.1:8900/api/70784a63-d24b-46a9-a4db-0e70a274b056/items", "/api/{id}/items"),
        ("http://127.0.0.1:8900", "/"),
    ],
)
def test_the_endpoint_label_is_the_path_with_record_ids_folded(url: str, endpoint: str) -> None:
    assert metric_endpoint(url) == endpoint


def test_job_metrics_name_the_connector_or_rule_they_run() -> None:
    assert job_labels("sync:zoho-crm") == {"job": "sync:zoho-crm", "connector": "zoho-crm"}
    assert job_labels("reconcile:books-settlement") == {
        "job": "reconcile:books-settlement",
        "rule": "books-settlement",
    }
    assert job_labels("verify:integrity") == {"job": "verify:integrity"}


def test_every_sample_the_process_counters_emit_carries_the_labels_its_family_declares() -> None:
    metrics = Metrics()
    metrics.observe_http("fxiaoke", "/cgi/crm/v2/data/query", 200, 0.1)
    metrics.observe_http("zoho-crm", "/oauth/v2/token", 500, 0.1)
    metrics.observe_sync("zoho-crm", "invoices", {"created": 2, "quarantined": 1, "waited_seconds": 3})
    metrics.observe_job("sync:zoho-crm", "ok", 1.0, 0)
    metrics.observe_job("reconcile:books-settlement", "failed", 1.0, 1)
    metrics.observe_job("verify:integrity", "ok", 1.0, 0)
    for sample in metrics.samples():
        family = FAMILIES[exported(sample.name) or sample.name]
        assert set(family.labels) <= set(sample.labels) <= {*family.labels, *family.optional}, sample
    text = render(metrics.samples())
    assert 'endpoint="/cgi/crm/v2/data/query"' in text
    assert "fxiaoke:" not in text
    assert "/accounts" not in text


def test_the_shipped_alerts_cover_what_ops_must_hear_about() -> None:
    names = {rule["alert"] for rule in rules()}
    assert {
        "LedgerbridgeDaemonDown",
        "LedgerbridgeSyncFailing",
        "LedgerbridgeNoSuccessfulSync",
        "LedgerbridgeDailyCapHit",
        "LedgerbridgeCountDrift",
        "LedgerbridgeQuarantineGrowing",
        "LedgerbridgeIntegrityCheckFailed",
    } <= names
    daemon_down = next(rule for rule in rules() if rule["alert"] == "LedgerbridgeDaemonDown")
    assert daemon_down["expr"].startswith("absent(")


@pytest.mark.parametrize("rule", rules(), ids=lambda rule: rule["alert"])
def test_every_alert_reads_only_exported_metrics_and_their_labels(rule: dict[str, Any]) -> None:
    expr: str = rule["expr"]
    families = set()
    for selector, matchers in re.findall(
        r"\b([a-zA-Z_][a-zA-Z0-9_]*)\s*(\{[^}]*\})?", _without_groupings(expr)
    ):
        if selector in _PROMQL_WORDS:
            continue
        family = exported(selector)
        assert family is not None, f"{rule['alert']}: {selector} is not a metric sync/metrics.py exports"
        families.add(family)
        used = set(re.findall(r"([a-z_]+)\s*=~?", matchers))
        declared = {*FAMILIES[family].labels, *FAMILIES[family].optional}
        assert used <= declared, (rule["alert"], used - declared)
    assert families, rule["alert"]
    for grouping in re.findall(r"\b(?:by|without)\s*\(([^)]*)\)", expr):
        labels = {label.strip() for label in grouping.split(",") if label.strip()}
        for family in families:
            assert labels <= {*FAMILIES[family].labels, *FAMILIES[family].optional}, (rule["alert"], labels)
    for text in rule.get("annotations", {}).values():
        for label in re.findall(r"\$labels\.([a-z_]+)", text):
            assert any(label in FAMILIES[f].labels for f in families), (rule["alert"], label)


def _without_groupings(expr: str) -> str:
    """The expression without `by (...)` label lists, range selectors, strings and numbers."""
    expr = re.sub(r"\b(by|without)\s*\([^)]*\)", " ", expr)
    expr = re.sub(r"\[[^\]]*\]", " ", expr)
    return re.sub(r"\b\d+(\.\d+)?\b", " ", expr)


def test_the_operations_guide_lists_every_metric_the_code_exports() -> None:
    guide = OPERATIONS.read_text(encoding="utf-8")
    assert [name for name in FAMILIES if f"`{name}" not in guide] == []


@pytest.mark.skipif(shutil.which("promtool") is None, reason="promtool (Prometheus) is not installed")
def test_promtool_accepts_the_alert_rules() -> None:
    checked = subprocess.run(
        ["promtool", "check", "rules", str(ALERTS)], capture_output=True, text=True, check=False, timeout=60
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr
