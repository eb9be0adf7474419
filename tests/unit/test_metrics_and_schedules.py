"""Metrics exposition and schedule ticks: what Prometheus scrapes, and the tick identity replicas share."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from config.settings import Schedule
from sync.metrics import Metrics, Sample, render
from sync.schedules import build_trigger, current_tick, interval_of

SHANGHAI = ZoneInfo("Asia/Shanghai")


def test_api_calls_are_counted_by_endpoint_and_status_and_failures_also_as_errors() -> None:
    metrics = Metrics()
    for status in (200, 200, 429, 0):
        metrics.observe_http("zoho-crm", "/crm/v8/Invoices", status, 0.25)
    text = render(metrics.samples())
    labels = 'connector="zoho-crm",endpoint="/crm/v8/Invoices"'
    assert f'ledgerbridge_api_calls_total{{{labels},status="200"}} 2' in text
    assert f'ledgerbridge_api_errors_total{{{labels},status="429"}} 1' in text
    assert f'ledgerbridge_api_errors_total{{{labels},status="0"}} 1' in text
    assert 'status="200"} 2' not in text.split("ledgerbridge_api_errors_total")[1]
    assert f"ledgerbridge_api_call_seconds_total{{{labels}}} 1" in text


def test_each_family_is_declared_once_with_its_type_before_its_samples() -> None:
    metrics = Metrics()
    metrics.observe_job("sync:zoho-crm", "ok", 2.5, 0)
    metrics.observe_job("sync:zoho-crm", "failed", 0.5, 1)
    metrics.observe_sync("zoho-crm", "invoices", {"created": 3, "unchanged": 7, "quarantined": 1})
    lines = render(metrics.samples()).splitlines()
    assert lines.count("# TYPE ledgerbridge_run_duration_seconds summary") == 1
    at = lines.index("# TYPE ledgerbridge_run_duration_seconds summary")
    assert lines[at + 1 : at + 3] == [
        'ledgerbridge_run_duration_seconds_count{connector="zoho-crm",job="sync:zoho-crm"} 2',
        'ledgerbridge_run_duration_seconds_sum{connector="zoho-crm",job="sync:zoho-crm"} 3',
    ]
    assert 'ledgerbridge_job_consecutive_failures{connector="zoho-crm",job="sync:zoho-crm"} 1' in lines
    assert (
        'ledgerbridge_records_synced_total{connector="zoho-crm",outcome="created",stream="invoices"} 3'
        in lines
    )
    assert 'ledgerbridge_records_quarantined_total{connector="zoho-crm",stream="invoices"} 1' in lines


def test_label_values_are_escaped() -> None:
    text = render([Sample("ledgerbridge_open_exceptions", {"type": 'a"b\\c\nd'}, 4)])
    assert 'ledgerbridge_open_exceptions{type="a\\"b\\\\c\\nd"} 4' in text


def test_two_replicas_started_at_different_times_agree_on_the_tick() -> None:
    schedule = Schedule(every_minutes=15)
    first, second = build_trigger(schedule, SHANGHAI), build_trigger(schedule, SHANGHAI)
    now = datetime(2026, 11, 27, 8, 7, 30, tzinfo=UTC)  # 16:07:30 in Shanghai
    tick = current_tick(first, now, timedelta(minutes=10))
    assert tick == datetime(2026, 11, 27, 16, 0, tzinfo=SHANGHAI)
    assert current_tick(second, now + timedelta(seconds=40), timedelta(minutes=10)) == tick


def test_a_job_later_than_its_lookback_has_no_tick() -> None:
    trigger = build_trigger(Schedule(every_minutes=15), SHANGHAI)
    assert current_tick(trigger, datetime(2026, 11, 27, 8, 10, tzinfo=UTC), timedelta(minutes=5)) is None


def test_cron_schedules_tick_in_the_company_time_zone() -> None:
    trigger = build_trigger(Schedule(cron="0 2 * * *"), SHANGHAI)
    now = datetime(2026, 11, 27, 18, 0, 5, tzinfo=UTC)  # 02:00:05 next day in Shanghai
    assert current_tick(trigger, now, timedelta(minutes=1)) == datetime(2026, 11, 28, 2, 0, tzinfo=SHANGHAI)
    assert interval_of(Schedule(cron="0 2 * * *"), SHANGHAI) == timedelta(days=1)
    assert interval_of(Schedule(every_seconds=2), SHANGHAI) == timedelta(seconds=2)
