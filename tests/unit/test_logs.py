"""Log lines (issue 15): JSON lines off a terminal keep Chinese as Chinese (not `\\u65e0\\u6548…`), and
an interactive terminal gets human lines, not JSON."""

from __future__ import annotations

import io
import json
import sys

import pytest
import structlog

from sync.logs import configure_logging


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


class _Pipe(io.StringIO):
    def isatty(self) -> bool:
        return False


@pytest.mark.usefixtures("restore_logging")
def test_a_json_log_line_carries_chinese_characters_not_escapes(monkeypatch: pytest.MonkeyPatch) -> None:
    stream = _Pipe()
    monkeypatch.setattr(sys, "stderr", stream)
    configure_logging("info")
    structlog.get_logger("t").warning("config.invalid", problem="无效的币种 RMB：请用 CNY")
    line = stream.getvalue().strip().splitlines()[-1]
    assert "无效的币种 RMB：请用 CNY" in line
    assert "\\u" not in line
    assert json.loads(line)["problem"] == "无效的币种 RMB：请用 CNY"


@pytest.mark.usefixtures("restore_logging")
def test_an_interactive_terminal_gets_human_lines_not_json(monkeypatch: pytest.MonkeyPatch) -> None:
    stream = _Terminal()
    monkeypatch.setattr(sys, "stderr", stream)
    configure_logging("info")
    structlog.get_logger("t").info("daemon.started", message="守护进程已启动")
    line = stream.getvalue().strip().splitlines()[-1]
    assert not line.startswith("{")
    assert "daemon.started" in line
    assert "守护进程已启动" in line
    with pytest.raises(json.JSONDecodeError):
        json.loads(line)
