"""Long reports stream: rows are written while exceptions are still being read, never all held first."""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import Any

import pytest
from rich.console import Console

from bench.report import synthetic_report
from reconcile.report.csvfile import render_csv
from reconcile.report.htmlfile import render_html
from reconcile.report.jsonfile import render_json
from reconcile.report.model import Report
from reconcile.report.terminal import render_table

PER_TYPE = 1_500  # two types: 3,000 exceptions; both past the size where the terminal drops rich tables


class _Watching(io.StringIO):
    """A text stream that notes how many exceptions had been pulled at each write."""

    def __init__(self, counter: Counter) -> None:
        super().__init__()
        self.counter = counter
        self.pulled_at_writes: list[int] = []

    def write(self, text: str) -> int:
        self.pulled_at_writes.append(self.counter.pulled)
        return super().write(text)


class Counter:
    """How many exceptions the report has pulled so far."""

    def __init__(self) -> None:
        self.pulled = 0

    def __call__(self) -> None:
        self.pulled += 1


def _report(counter: Counter) -> Report:
    return synthetic_report(PER_TYPE, counter)


def _table(report: Report, stream: Any) -> None:
    render_table(report, Console(file=stream, width=300, color_system=None))


@pytest.mark.parametrize(
    "render", [render_csv, render_json, render_html, _table], ids=["csv", "json", "html", "table"]
)
def test_rows_are_written_while_the_exceptions_are_still_being_read(
    render: Callable[[Report, Any], None],
) -> None:
    counter = Counter()
    stream = _Watching(counter)
    render(_report(counter), stream)
    total = 2 * PER_TYPE
    assert counter.pulled == total  # everything was reported...
    partial = [pulled for pulled in stream.pulled_at_writes if 0 < pulled < total // 4]
    assert partial, "nothing was written before a quarter of the exceptions had been read"
    assert stream.getvalue().count("INV-0001499") >= 2  # the last of each type made it out
