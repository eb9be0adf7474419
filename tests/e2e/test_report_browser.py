"""A real browser renders the HTML mismatch report: Debian's chromium, headless, to a PNG in a temp dir."""

from __future__ import annotations

import shutil
import struct
import subprocess
from pathlib import Path

import pytest

from reconcile.report.htmlfile import render_html
from tests.unit.report.reconciled import reconciled

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--enable-logging=stderr",
    "--v=0",
    "--window-size=1400,1800",
)


@pytest.mark.slow
@pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed: apt-get install chromium")
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_chromium_renders_the_html_report_to_a_png_without_script_errors(tmp_path: Path, lang: str) -> None:
    page = tmp_path / "report.html"
    with page.open("w", encoding="utf-8") as stream:
        render_html(reconciled().report(lang), stream)  # type: ignore[arg-type]
    png = tmp_path / "x.png"
    assert CHROMIUM is not None
    done = subprocess.run(
        [CHROMIUM, *FLAGS, f"--user-data-dir={tmp_path / 'profile'}", f"--screenshot={png}", page.as_uri()],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    console_errors = [line for line in done.stderr.splitlines() if "Uncaught" in line or "CONSOLE" in line]
    assert console_errors == []
    data = png.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])
    assert (width, height) == (1400, 1800)
    assert len(data) > 20_000  # a page of tables and a chart, not a blank screen
