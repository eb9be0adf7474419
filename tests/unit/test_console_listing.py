"""sync.console.print_listing on a terminal: the free-text column folds under itself by display width."""

from __future__ import annotations

import pytest

from reconcile.report.fmt import display_width
from sync.console import Column, print_listing


def test_a_long_chinese_explanation_folds_under_its_column_and_no_line_passes_the_terminal(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("sync.console._stdout_is_tty", lambda: True)
    monkeypatch.setenv("COLUMNS", "50")
    explanation = "金额不符：INV-0002（zoho-crm）CNY 250.00，INV-0002（zoho-books）CNY 205.00，差额 CNY 45.00"
    print_listing(
        [Column("编号", right=True), Column("负责人"), Column("说明", wraps=True)], [[1, "李娜", explanation]]
    )
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) > 2  # the heading, then the row on several lines
    assert max(display_width(line) for line in lines) <= 50
    start = display_width(lines[0][: lines[0].index("说明")])
    assert all(display_width(line) - display_width(line.lstrip()) == start for line in lines[2:])
    assert "".join(line.strip() for line in lines[1:]).replace(" ", "").endswith(explanation.replace(" ", ""))


def test_a_terminal_too_narrow_for_the_columns_gets_cards(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("sync.console._stdout_is_tty", lambda: True)
    monkeypatch.setenv("COLUMNS", "30")
    print_listing(
        [Column("编号", right=True), Column("负责人"), Column("说明", wraps=True)], [[1, "李娜", "x"]] * 2
    )
    assert (
        capsys.readouterr().out
        == "编号    1\n负责人  李娜\n说明    x\n\n编号    1\n负责人  李娜\n说明    x\n"
    )
