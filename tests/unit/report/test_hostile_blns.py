"""The Big List of Naughty Strings (tests/fixtures/blns) through every vendor field, a real reconcile,
and every output: terminal, CSV, XLSX, HTML and JSON each keep the text as the rules say, run nothing."""

from __future__ import annotations

import csv
import io
import json
from collections import Counter
from html.parser import HTMLParser
from pathlib import Path

import pytest
from openpyxl import load_workbook
from rich.console import Console

from reconcile.report.csvfile import render_csv
from reconcile.report.excel import render_xlsx
from reconcile.report.htmlfile import render_html
from reconcile.report.i18n import Catalogue
from reconcile.report.jsonfile import render_json
from reconcile.report.model import Report
from reconcile.report.safe import FORMULA_PREFIXES, csv_text, xlsx_text
from reconcile.report.terminal import render_table
from tests.unit.report.hostile import hostile_report

BLNS: list[str] = json.loads(
    (Path(__file__).parents[2] / "fixtures" / "blns" / "blns.json").read_text(encoding="utf-8")
)
ASSIGNEE = Catalogue("en").text("col.assignee")
NUMBER = Catalogue("en").text("col.left_number")


def _benign() -> list[str]:
    """Harmless stand-ins with the same duplicates and empties as the list: the same findings."""
    first: dict[str, int] = {}
    return [
        "" if text == "" else f"benign {first.setdefault(text, index)}" for index, text in enumerate(BLNS)
    ]


@pytest.fixture(scope="module")
def report_json() -> dict[str, object]:
    stream = io.StringIO()
    render_json(hostile_report(BLNS), stream)
    document: dict[str, object] = json.loads(stream.getvalue())
    return document


def _rows(document: dict[str, object]) -> list[dict[str, object]]:
    sections = document["sections"]
    assert isinstance(sections, list)
    return [row for section in sections for row in section["rows"]]


def test_the_list_is_the_vendored_one_with_its_controls_and_formulas() -> None:
    assert len(BLNS) == 485
    assert any("\x1b[" in text for text in BLNS)
    assert sum(text.startswith(FORMULA_PREFIXES) for text in BLNS) >= 20


def _by_number(numbers: list[object], values: list[object]) -> dict[int, object]:
    """Each single-document row's value, by the index of its hostile string (the number's `#NIIII`)."""
    found: dict[int, object] = {}
    for number, value in zip(numbers, values, strict=True):
        tail = number.rsplit("#N", 1)[-1] if isinstance(number, str) else ""
        if tail.isdigit() and len(tail) == 4:
            found[int(tail)] = value
    return found


def _covers_the_list(found: dict[int, object]) -> None:
    """Nearly every string reaches a row of its own (a few pairs collide into duplicate findings)."""
    assert len(found) >= len(BLNS) - 10


def test_every_string_round_trips_exactly_through_the_json_report(report_json: dict[str, object]) -> None:
    rows = _rows(report_json)
    found = _by_number([row["left_number"] for row in rows], [row["assignee"] for row in rows])
    _covers_the_list(found)
    assert {index: value or "" for index, value in found.items()} == {index: BLNS[index] for index in found}
    numbers = {str(row["left_number"]) for row in rows}
    assert {f"{BLNS[index]}#N{index:04d}" for index in found} <= numbers


def test_every_string_reads_back_from_the_csv_as_owasp_neutralised_text() -> None:
    stream = io.StringIO()
    render_csv(hostile_report(BLNS), stream)
    rows = list(csv.DictReader(io.StringIO(stream.getvalue().lstrip("\ufeff"), newline="")))
    found = _by_number([row[NUMBER] for row in rows], [row[ASSIGNEE] for row in rows])
    _covers_the_list(found)
    assert found == {index: csv_text(BLNS[index]) for index in found}
    live = [value for row in rows for value in row.values() if value.startswith(FORMULA_PREFIXES)]
    assert [value for value in live if not _is_amount(value)] == []


def _is_amount(text: str) -> bool:
    return text.startswith("-") and text[1:].replace(".", "", 1).isdigit()


def test_every_string_is_text_in_the_workbook_and_nothing_is_a_formula(tmp_path: Path) -> None:
    path = tmp_path / "blns.xlsx"
    render_xlsx(hostile_report(BLNS), path)
    book = load_workbook(path)
    cells = [cell for sheet in book.worksheets for row in sheet.iter_rows() for cell in row]
    assert [cell.coordinate for cell in cells if cell.data_type in {"f", "e"}] == []
    rows = [row for sheet in book.worksheets[1:] for row in list(sheet.iter_rows(values_only=True))[1:]]
    header = next(book.worksheets[1].iter_rows(values_only=True))
    number, assignee = header.index(NUMBER), header.index(ASSIGNEE)
    found = _by_number([row[number] for row in rows], [row[assignee] or "" for row in rows])
    _covers_the_list(found)
    assert found == {index: xlsx_text(BLNS[index]) for index in found}


class _Structure(HTMLParser):
    """Every start tag and its attribute names, in order: what vendor text must never add to."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, tuple[str, ...]]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, tuple(sorted(name for name, _ in attrs))))

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def _html(report: Report) -> _Structure:
    stream = io.StringIO()
    render_html(report, stream)
    parser = _Structure()
    parser.feed(stream.getvalue())
    return parser


def test_no_element_or_attribute_of_the_html_report_comes_from_vendor_text() -> None:
    hostile = _html(hostile_report(BLNS))
    benign = _html(hostile_report(_benign()))
    assert set(hostile.tags) <= set(benign.tags)
    assert (
        Counter(tag for tag, _ in hostile.tags)["script"] == Counter(tag for tag, _ in benign.tags)["script"]
    )
    shown = "".join(hostile.text)
    assert "<script>alert(123)</script>" in shown  # the text is there, escaped, shown as text


def test_the_terminal_report_shows_the_strings_without_one_control_character() -> None:
    out = io.StringIO()
    render_table(hostile_report(BLNS), Console(file=out, width=2000, color_system=None))
    text = out.getvalue()
    assert [ch for ch in text if ch in "\x1b\x07\x08\r\x00\x9b\u202e"] == []
    assert "<script>alert(123)</script>" in text
