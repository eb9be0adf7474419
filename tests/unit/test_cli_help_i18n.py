"""Help in the reader's language (issue 15, ADR 0024): every command and group of the click tree has a
Chinese description in the catalogue, and `--lang zh … --help` shows it (and its options' Chinese help),
whether the language comes from --lang (before or after --help), $LEDGERBRIDGE_LANG or the config."""

from __future__ import annotations

import importlib
import re
from pathlib import Path

import click
import pytest
from click.testing import CliRunner
from rich.cells import cell_len

from reconcile.report.i18n import Catalogue
from sync.cli import cli
from sync.commands import COMMANDS
from sync.help_i18n import help_key, option_key, option_name, summary, walk


def _tree() -> list[tuple[list[str], click.Command]]:
    found: list[tuple[list[str], click.Command]] = [([], cli)]
    for name, ref in sorted(COMMANDS.items()):
        command = getattr(importlib.import_module(ref.module), ref.attribute)
        found += walk(command, [name])
    return found


TREE = _tree()
ZH = Catalogue("zh")


def _squashed(text: str) -> str:
    return re.sub(r"\s+", "", text)


def _help(*args: str, env: dict[str, str] | None = None, width: int = 80) -> str:
    environ = {"LEDGERBRIDGE_LANG": None, "LEDGERBRIDGE_CONFIG": None, **(env or {})}
    result = CliRunner().invoke(cli, list(args), env=environ, terminal_width=width)
    assert result.exit_code == 0, result.output
    return result.output


def test_the_walk_reaches_every_command_of_every_group() -> None:
    paths = {" ".join(path) for path, _ in TREE}
    assert {"", "sync", "sync run", "sync status", "secret rotate-key", "exceptions resolve"} <= paths
    assert len(paths) > 40


@pytest.mark.parametrize(("path", "command"), TREE, ids=lambda v: " ".join(v) if isinstance(v, list) else "")
def test_every_command_has_a_chinese_description_that_its_zh_help_shows(
    path: list[str], command: click.Command
) -> None:
    key = help_key(path)
    assert ZH.has(key), f"no Chinese help for `ledgerbridge {' '.join(path)}`: add {key} to cli_help.py"
    description = ZH.text(key)
    assert re.search(r"[\u4e00-\u9fff]", description)
    shown = _help("--lang", "zh", *path, "--help")
    assert _squashed(description) in _squashed(shown)
    assert "用法：" in shown
    english = (command.help or "").split(".")[0].strip()
    assert english
    assert _squashed(english) not in _squashed(shown)
    for name, sub in getattr(command, "commands", {}).items():
        assert _squashed(summary(ZH.text(help_key([*path, name])))) in _squashed(shown), sub


@pytest.mark.parametrize(("path", "command"), TREE, ids=lambda v: " ".join(v) if isinstance(v, list) else "")
def test_every_option_with_english_help_has_chinese_help(path: list[str], command: click.Command) -> None:
    missing = [
        name
        for param in command.params
        if (name := option_name(param)) is not None
        and getattr(param, "help", None)
        and option_key(ZH, path, name) is None
    ]
    assert missing == [], (
        f"`ledgerbridge {' '.join(path)}`: add help.{'.'.join(path)}.<option> to cli_help.py"
    )


def test_english_help_is_unchanged_by_a_chinese_page_printed_before_it() -> None:
    assert "同步已配置的连接器" in _help("--lang", "zh", "sync", "run", "--help")
    english = _help("--lang", "en", "sync", "run", "--help")
    assert "Sync the configured connectors" in english
    assert "Re-read everything" in english
    assert not re.search(r"[\u4e00-\u9fff]", english)


def test_the_root_help_lists_every_command_with_its_chinese_summary() -> None:
    shown = _help("--help", "--lang", "zh")  # --help first: --lang is still read
    assert "命令" in shown
    assert "选项" in shown
    assert "把连接器的数据同步到账本" in shown
    assert "Synchronize connectors" not in shown


def test_the_language_comes_from_the_environment_or_the_configs_locale(tmp_path: Path) -> None:
    assert "把连接器的数据同步到账本" in _help("sync", "--help", env={"LEDGERBRIDGE_LANG": "zh"})
    config = tmp_path / "lb.yaml"
    config.write_text(
        f"database_url: sqlite:///{tmp_path / 'lb.db'}\nlocale: zh\nconnectors: []\n", encoding="utf-8"
    )
    assert "查看同步状态" in _help("--config", str(config), "sync", "--help")
    assert "把连接器的数据同步到账本" in _help("--config", str(config), "--help")
    assert "Synchronize connectors" in _help("--config", str(config), "--lang", "en", "--help")
    broken = tmp_path / "broken.yaml"
    broken.write_text("connectors: [\n", encoding="utf-8")
    assert "Synchronize connectors" in _help("--config", str(broken), "--help")  # quietly English


@pytest.mark.parametrize("width", [60, 80, 100])
def test_chinese_help_lines_fit_the_width_in_display_columns(width: int) -> None:
    shown = _help("--lang", "zh", "restore", "--help", width=width)
    lines = shown.splitlines()
    assert max(cell_len(line) for line in lines) <= width
    assert not [line for line in lines if line.strip()[:1] in set("，。：；）") or line.endswith("（")]
