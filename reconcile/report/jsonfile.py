"""The JSON renderer: the documented shape (report.schema.json), written row by row as it streams."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any, TextIO

from reconcile.report.i18n import Catalogue
from reconcile.report.model import Cell, CellKind, Detail, DocumentView, Report, Row, Section


def render_json(report: Report, stream: TextIO) -> None:
    """One JSON document: amounts as decimal strings, dates ISO-8601, coded values with their labels."""
    catalogue = Catalogue(report.lang)
    head = {
        "report": report.kind,
        "title": catalogue.text(f"report.{report.kind}"),
        "lang": report.lang,
        "timezone": report.timezone,
        "generated_at": _instant(report.generated_at),
        "meta": [{"key": key, "label": catalogue.text(key), "value": value} for key, value in report.meta],
    }
    stream.write(json.dumps(head, ensure_ascii=False)[:-1])
    for name, sections in (("summary", report.summary), ("sections", report.sections)):
        stream.write(f', "{name}": [')
        for index, section in enumerate(sections):
            stream.write(", " if index else "")
            _write_section(section, catalogue, stream)
        stream.write("]")
    stream.write("}\n")


def _write_section(section: Section, catalogue: Catalogue, stream: TextIO) -> None:
    columns = [
        {"key": column.key, "label": catalogue.text(column.label_key), "kind": column.kind.value}
        for column in section.columns
    ]
    stream.write(json.dumps({"key": section.key, "title": section.title, "columns": columns})[:-1])
    stream.write(', "rows": [\n')
    index = 0
    for row in section.rows:
        if row.residue:
            continue  # the amounts here are exact: nothing is hidden that a residue line would show
        stream.write(",\n" if index else "")
        index += 1
        stream.write(json.dumps(_row(section, row, catalogue), ensure_ascii=False))
    stream.write("]}")


def _row(section: Section, row: Row, catalogue: Catalogue) -> dict[str, Any]:
    document: dict[str, Any] = {}
    for value, column in zip(row.cells, section.columns, strict=True):
        document[column.key] = _value(value)
        if column.kind is CellKind.LABEL and column.namespace is not None and isinstance(value, str):
            document[f"{column.key}_label"] = catalogue.value(column.namespace, value)
    if row.total:
        document["total"] = True
    if row.detail is not None:
        document["detail"] = _detail(row.detail)
    return document


def _value(value: Cell) -> str | int | None:
    if value is None or isinstance(value, int | str):
        return value
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime):
        return _instant(value)
    if isinstance(value, date):
        return value.isoformat()
    raise TypeError(f"a report cell cannot hold a {type(value).__name__}")


def _instant(value: datetime) -> str:
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _detail(detail: Detail) -> dict[str, Any]:
    return {
        "left": [_document(view) for view in detail.left],
        "right": [_document(view) for view in detail.right],
        "differing": sorted(detail.differing),
    }


def _document(view: DocumentView) -> dict[str, Any]:
    return {
        "source": view.source,
        "kind": view.kind,
        "external_id": view.external_id,
        "number": view.number,
        "fields": dict(view.fields),
        "history": [
            {
                "revision": revision.revision,
                "change": revision.change,
                "recorded_at": None if revision.recorded_at is None else _instant(revision.recorded_at),
                "changes": [
                    {"field": name, "before": before, "after": after}
                    for name, before, after in revision.changes
                ],
            }
            for revision in view.history
        ],
    }
