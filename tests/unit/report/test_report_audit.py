"""Audit plans in the mismatch report: each finding listed once (under its plan), a rule's part of the
report pointing to the audit findings on its documents, no bridge for a plan, severity shown."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from openpyxl import load_workbook
from rich.console import Console

from reconcile.report.csvfile import CSV_ENCODING, render_csv
from reconcile.report.excel import render_xlsx
from reconcile.report.htmlfile import render_html
from reconcile.report.i18n import Catalogue, Lang
from reconcile.report.jsonfile import render_json
from reconcile.report.mismatches import AuditPointer
from reconcile.report.terminal import render_table
from tests.collections_data import COLLECTIONS_RULE
from tests.reconcile_data import AUDIT_PLAN, MATCH_RULE, SETTLEMENT_RULE
from tests.unit.report.reconciled import Reconciled, reconciled

POINTERS = (
    AuditPointer(MATCH_RULE.name, AUDIT_PLAN.name, {"missing_owner": 2, "unusual_amount": 1}),
    AuditPointer(SETTLEMENT_RULE.name, AUDIT_PLAN.name, {"missing_owner": 1}),
)


@pytest.fixture(scope="module")
def fixture() -> Reconciled:
    return reconciled()


def _json(fixture: Reconciled, lang: Lang = "en") -> dict:  # type: ignore[type-arg]
    buffer = io.StringIO()
    render_json(fixture.report(lang, details=False, audit_by_rule=POINTERS), buffer)
    return json.loads(buffer.getvalue())  # type: ignore[no-any-return]


def test_the_fixture_plants_audit_findings_under_the_plan_and_a_low_severity_one() -> None:
    found = reconciled().results[AUDIT_PLAN.name].discrepancies
    assert {d.rule for d in found} == {AUDIT_PLAN.name}
    assert "low" in {d.type.severity for d in found}


def test_every_audit_finding_is_one_row_of_the_report_in_every_format(
    fixture: Reconciled, tmp_path: Path
) -> None:
    audit_ids = [item.id for item in fixture.items if item.discrepancy.rule == AUDIT_PLAN.name]
    assert audit_ids
    rows = [row for section in _json(fixture)["sections"] for row in section["rows"]]
    assert sorted(row["id"] for row in rows if row["rule"] == AUDIT_PLAN.name) == sorted(audit_ids)

    buffer = io.StringIO()
    render_csv(fixture.report("en", details=False, audit_by_rule=POINTERS), buffer)
    read = list(csv.DictReader(io.StringIO(buffer.getvalue().encode(CSV_ENCODING).decode(CSV_ENCODING))))
    assert sorted(row["Exception"] for row in read if row["Rule"] == AUDIT_PLAN.name) == sorted(audit_ids)

    path = tmp_path / "report.xlsx"
    render_xlsx(fixture.report("en", details=False, audit_by_rule=POINTERS), path)
    book = load_workbook(path)
    listed = [
        row[0]
        for sheet in book.worksheets[1:]
        for row in sheet.iter_rows(min_row=2, values_only=True)
        if row[1] == AUDIT_PLAN.name
    ]
    assert sorted(listed) == sorted(audit_ids)


@pytest.mark.parametrize(("lang", "low", "normal"), [("en", "Low", "Normal"), ("zh", "低", "一般")])
def test_the_severity_column_reads_low_for_an_unusual_amount_and_normal_otherwise(
    fixture: Reconciled, lang: Lang, low: str, normal: str
) -> None:
    catalogue = Catalogue(lang)
    buffer = io.StringIO()
    render_csv(fixture.report(lang, details=False), buffer)
    rows = list(csv.DictReader(io.StringIO(buffer.getvalue())))
    severity, kind = catalogue.text("col.severity"), catalogue.text("col.type")
    unusual = catalogue.value("type", "unusual_amount")
    assert {row[severity] for row in rows if row[kind] == unusual} == {low}
    assert {row[severity] for row in rows if row[kind] != unusual} == {normal}
    document = _json(fixture, lang)
    found = [row for s in document["sections"] for row in s["rows"] if row["type"] == "unusual_amount"]
    assert found
    assert {(row["severity"], row["severity_label"]) for row in found} == {("low", low)}


def test_an_audit_plan_gets_no_bridge_statement_in_any_format(fixture: Reconciled) -> None:
    document = _json(fixture)
    bridge = next(section for section in document["summary"] if section["key"] == "bridge")
    assert {row["rule"] for row in bridge["rows"]} == {
        MATCH_RULE.name,
        SETTLEMENT_RULE.name,
        COLLECTIONS_RULE.name,
    }
    counts = next(section for section in document["summary"] if section["key"] == "counts")
    assert AUDIT_PLAN.name in {row["rule"] for row in counts["rows"]}  # its findings are still counted

    page = io.StringIO()
    render_html(fixture.report("en", details=False), page)
    assert f"{MATCH_RULE.name} — Left total" in page.getvalue()
    assert f"{AUDIT_PLAN.name} — Left total" not in page.getvalue()

    console = Console(file=io.StringIO(), width=300, color_system=None)
    render_table(fixture.report("en", details=False), console)
    output = console.file.getvalue()  # type: ignore[attr-defined]
    bridge_part = output[output.index("Bridge statement") : output.index("Exceptions by type")]
    assert MATCH_RULE.name in bridge_part
    assert f" {AUDIT_PLAN.name} " not in bridge_part


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_a_rules_part_of_the_report_counts_the_audit_findings_on_its_documents_and_names_the_plan(
    fixture: Reconciled, lang: Lang
) -> None:
    catalogue = Catalogue(lang)
    document = _json(fixture, lang)
    section = next(s for s in document["summary"] if s["key"] == "audit_by_rule")
    assert section["title"] == catalogue.text("section.audit_by_rule")
    shown = {(r["rule"], r["type"], r["severity"], r["count"], r["audit_plan"]) for r in section["rows"]}
    assert shown == {
        (MATCH_RULE.name, "missing_owner", "normal", 2, AUDIT_PLAN.name),
        (MATCH_RULE.name, "unusual_amount", "low", 1, AUDIT_PLAN.name),
        (SETTLEMENT_RULE.name, "missing_owner", "normal", 1, AUDIT_PLAN.name),
    }
    # a pointer, not the findings again: no exception row is added for the rules
    rows = [row for s in document["sections"] for row in s["rows"]]
    assert len(rows) == len(fixture.items)


def test_without_audit_findings_on_any_rules_documents_there_is_no_pointer_section(
    fixture: Reconciled,
) -> None:
    document = _json(fixture)
    document_without = json.loads(_render_without_pointers(fixture))
    assert "audit_by_rule" in {s["key"] for s in document["summary"]}
    assert "audit_by_rule" not in {s["key"] for s in document_without["summary"]}


def _render_without_pointers(fixture: Reconciled) -> str:
    buffer = io.StringIO()
    render_json(fixture.report("en", details=False), buffer)
    return buffer.getvalue()
