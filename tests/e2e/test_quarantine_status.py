"""`sync status` groups a stream's quarantined records by field and rule and says each reason in the
reader's language from its field, rule and value (issue 16 §4, issue 15); `--json` keeps the English
`reason` and adds `field`, `rule`, `value` and the counts; a record quarantined before reasons had fields
(migration 0009) still shows, with its stored sentence. On SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import text

from reconcile.report.i18n import Catalogue
from store.db import make_engine, upgrade
from tests.e2e.sync_support import cli, invoices, write_config, write_records
from tests.fakes import record

ZH, EN = Catalogue("zh"), Catalogue("en")


@pytest.fixture
def config(tmp_path: Path, database_url: str) -> Path:
    path = write_config(tmp_path, database_url)
    write_records(
        tmp_path,
        [
            *invoices(2),
            record(3, total="12,345.25"),
            record(4, total="abc"),
            record(5, issued_on="28/10/2026"),
        ],
    )
    return path


def test_sync_status_json_keeps_the_sentence_and_adds_field_rule_value_and_counts_per_field(
    capsys: pytest.CaptureFixture[str], config: Path
) -> None:
    assert cli(capsys, config, "sync", "run").code == 0
    [stream] = cli(capsys, config, "sync", "status", "--json").json()["streams"]

    held = {q["external_id"]: q for q in stream["quarantine"]}
    assert {k: (q["field"], q["rule"], q["value"]) for k, q in held.items()} == {
        "INV-3": ("total", "not_a_number", "'12,345.25'"),
        "INV-4": ("total", "not_a_number", "'abc'"),
        "INV-5": ("issued_on", "not_a_date", "'28/10/2026'"),
    }
    assert held["INV-3"]["reason"] == "total: Input should be a valid decimal"
    assert stream["quarantine_by_field"] == [
        {"field": "total", "rule": "not_a_number", "count": 2},
        {"field": "issued_on", "rule": "not_a_date", "count": 1},
    ]


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_sync_status_counts_quarantine_per_field_and_words_each_reason_in_the_readers_language(
    capsys: pytest.CaptureFixture[str], config: Path, lang: str
) -> None:
    catalogue = Catalogue(lang)  # type: ignore[arg-type]
    assert cli(capsys, config, "sync", "run").code == 0
    status = cli(capsys, config, "--lang", lang, "sync", "status")
    assert status.code == 0, status.err
    lines = status.out.splitlines()

    label = catalogue.text("quarantine.label.not_a_number")
    assert catalogue.text("quarantine.group", field="total", label=label, count=2) in lines
    date_label = catalogue.text("quarantine.label.not_a_date")
    assert catalogue.text("quarantine.group", field="issued_on", label=date_label, count=1) in lines
    sentence = catalogue.text("quarantine.rule.not_a_date", field="issued_on", value="'28/10/2026'")
    [entry] = [line for line in lines if "INV-5" in line and line.lstrip().startswith("#")]
    assert sentence in entry
    assert "'28/10/2026'" in entry  # the same value and field in both languages
    assert "issued_on" in entry
    [entry] = [line for line in lines if "INV-3" in line and line.lstrip().startswith("#")]
    assert catalogue.text("quarantine.rule.not_a_number", field="total", value="'12,345.25'") in entry
    if lang == "zh":
        assert "不是 yyyy-mm-dd 格式的日期" in status.out
        assert "按字段统计" in status.out
        assert "Input should be" not in status.out  # no English sentence left in the Chinese listing


def test_a_record_quarantined_before_reasons_had_fields_still_shows_with_its_sentence(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, empty_database_url: str
) -> None:
    engine = make_engine(empty_database_url)
    try:
        upgrade(engine, "0008")
        with engine.begin() as conn:  # as the release before 0009 wrote it
            conn.execute(
                text(
                    "INSERT INTO quarantine (source, stream, external_id, reason, raw_payload, payload_hash,"
                    " first_seen_at, last_seen_at, count)"
                    " VALUES ('shop', 'invoices', 'INV-7', 'total: Input should be a valid decimal',"
                    " '{\"total\":\"abc\"}', 'h', '2026-11-27 08:00:00', '2026-11-27 08:00:00', 2)"
                )
            )
        upgrade(engine)
    finally:
        engine.dispose()
    config = write_config(tmp_path, empty_database_url)

    [stream] = cli(capsys, config, "sync", "status", "--json").json()["streams"]
    [entry] = stream["quarantine"]
    assert (entry["reason"], entry["field"], entry["rule"], entry["value"]) == (
        "total: Input should be a valid decimal",
        None,
        None,
        None,
    )
    assert stream["quarantine_by_field"] == [{"field": None, "rule": None, "count": 1}]
    for catalogue in (EN, ZH):
        status = cli(capsys, config, "--lang", catalogue.lang, "sync", "status")
        assert status.code == 0, status.err
        entry_line = catalogue.text(
            "sync.quarantine_entry",
            id=entry["id"],
            external_id="INV-7",
            reason="total: Input should be a valid decimal",
            count=2,
        )
        assert entry_line in status.out.splitlines()
        unknown = catalogue.text(
            "quarantine.group",
            field=catalogue.text("quarantine.field_unknown"),
            label=catalogue.text("quarantine.label.unstructured"),
            count=1,
        )
        assert unknown in status.out.splitlines()
