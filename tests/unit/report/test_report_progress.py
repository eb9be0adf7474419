"""The progress bar of long reports: shown past 10,000 rows on a terminal, counting every row."""

from __future__ import annotations

import io

from rich.console import Console

from sync.report_job import PROGRESS_THRESHOLD, counted, progress


def _terminal() -> tuple[Console, io.StringIO]:
    screen = io.StringIO()
    return Console(file=screen, force_terminal=True, width=100), screen


def test_a_long_report_shows_a_bar_that_counts_every_row() -> None:
    console, screen = _terminal()
    total = PROGRESS_THRESHOLD + 2_345
    seen = 0
    with progress(total, label="report", enabled=True, console=console) as advance:
        for _ in counted(range(total), advance, every=1_000):
            seen += 1
    assert seen == total
    assert f"{total}/{total}" in screen.getvalue()


def test_a_short_report_or_a_pipe_shows_no_bar() -> None:
    for total, enabled in ((PROGRESS_THRESHOLD, True), (PROGRESS_THRESHOLD + 1, False)):
        console, screen = _terminal()
        with progress(total, label="report", enabled=enabled, console=console) as advance:
            list(counted(range(total), advance))
        assert screen.getvalue() == ""
