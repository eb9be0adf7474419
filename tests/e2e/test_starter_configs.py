"""The configs ops copy: `ledgerbridge init`'s template and deploy/ledgerbridge.example.yaml load as they
are, show every section the config accepts, and name the secrets the README tells people to store."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from config.kinds import KINDS, BankStatementSettings, KingdeeSettings
from config.loader import parse_config
from config.settings import Settings
from sync.commands.setup_cmd import STARTER_CONFIG
from tests.e2e.sync_support import cli, init_directory

ROOT = Path(__file__).parents[2]
DEPLOY_EXAMPLE = ROOT / "deploy" / "ledgerbridge.example.yaml"
ENV_EXAMPLE = ROOT / "deploy" / "ledgerbridge.env.example"
README = ROOT / "README.md"
_EXAMPLE_LINE = re.compile(r"^# ((?:[a-z_]+:|  ).*)$")
"""A commented line of the template that is YAML: a top-level key, or an indented line under one."""


def uncommented(template: str) -> str:
    """The template with every commented example section switched on."""
    lines = []
    for line in template.splitlines():
        example = _EXAMPLE_LINE.match(line)
        lines.append(example.group(1) if example else line)
    return "\n".join(lines) + "\n"


def placeholders_of(text: str) -> dict[str, str]:
    """A value for every ${NAME} the text interpolates, from deploy/ledgerbridge.env.example when it has one."""
    examples: dict[str, str] = {}
    for line in ENV_EXAMPLE.read_text(encoding="utf-8").splitlines():
        name, sep, value = line.partition("=")
        if sep and not line.startswith("#"):
            examples[name.strip()] = value.strip()
    values = [line.split(" #", 1)[0] for line in text.splitlines() if not line.lstrip().startswith("#")]
    names = re.findall(r"\$\{([A-Z0-9_]+)\}", "\n".join(values))
    return {name: examples.get(name, "example") for name in names}


def test_init_writes_a_template_that_config_check_accepts_as_it_is(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = init_directory(tmp_path, monkeypatch)
    assert cli(capsys, config, "init").code == 0
    assert config.read_text(encoding="utf-8") == STARTER_CONFIG
    checked = cli(capsys, config, "config", "check")
    assert checked.code == 0, checked.err
    assert checked.err == ""


def test_the_template_mentions_every_top_level_section_the_settings_accept() -> None:
    active = yaml.safe_load(uncommented(STARTER_CONFIG))
    assert set(active) == set(Settings.model_fields)


def test_the_template_with_every_example_switched_on_is_a_valid_config() -> None:
    text = uncommented(STARTER_CONFIG)
    settings = parse_config(text, "<template, uncommented>", placeholders_of(text))
    assert {c.name for c in settings.connectors} >= {"zoho-crm", "zoho-books", "fxiaoke"}
    assert {c.kind for c in settings.connectors} == set(KINDS)  # an example of every kind
    assert [r.kind for r in settings.reconcile.rules] == ["match", "settlement", "settlement"]
    assert [plan.name for plan in settings.reconcile.audits] == ["books-audit"]
    assert any(c.schedule is not None for c in settings.connectors)
    assert settings.daemon.health.enabled
    assert settings.notifications.webhook is not None
    assert settings.notifications.email is not None
    assert settings.locale == "zh"


def test_the_deploy_example_passes_config_check_with_its_environment_set(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    text = DEPLOY_EXAMPLE.read_text(encoding="utf-8")
    env = placeholders_of(text)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("LEDGERBRIDGE_DATABASE_URL", f"sqlite:///{tmp_path / 'lb.db'}")
    checked = cli(capsys, DEPLOY_EXAMPLE, "config", "check")
    assert checked.code == 0, checked.err
    settings = parse_config(text, str(DEPLOY_EXAMPLE), env)
    assert settings.reconcile.rules
    assert settings.reconcile.audits
    assert settings.locale is not None
    assert settings.notifications.webhook is not None


def test_the_deploy_example_with_every_example_switched_on_shows_every_kind_but_jsonl() -> None:
    text = uncommented(DEPLOY_EXAMPLE.read_text(encoding="utf-8"))
    settings = parse_config(text, "<deploy example, uncommented>", placeholders_of(text))
    kinds = {c.name: c.kind for c in settings.connectors}
    assert set(kinds.values()) == set(KINDS) - {"jsonl"}  # a server reads vendors, not JSON-lines files
    bank = settings.connector("bank-icbc")
    assert isinstance(bank, BankStatementSettings)
    assert bank.csv is not None
    assert bank.accounts == ["6222020200001234567"]
    kingdee = settings.connector("kingdee")
    assert isinstance(kingdee, KingdeeSettings)
    assert kingdee.credentials.app_secret == "secret:kingdee-app-secret"


def test_every_variable_the_deploy_example_reads_is_in_the_environment_example() -> None:
    env_text = ENV_EXAMPLE.read_text(encoding="utf-8")
    wanted = set(placeholders_of(uncommented(DEPLOY_EXAMPLE.read_text(encoding="utf-8"))))
    missing = [name for name in sorted(wanted) if not re.search(rf"^#?\s*{name}=", env_text, re.MULTILINE)]
    assert missing == []


@pytest.mark.parametrize("text", [STARTER_CONFIG, DEPLOY_EXAMPLE.read_text(encoding="utf-8")])
def test_the_secret_names_are_the_ones_the_readme_says_to_store(text: str) -> None:
    readme = README.read_text(encoding="utf-8")
    named = set(re.findall(r"secret:([A-Za-z0-9._-]+)", text))
    assert {
        "zoho-client-secret",
        "zoho-refresh-token",
        "fxiaoke-app-secret",
        "fxiaoke-permanent-code",
    } <= named
    assert [
        name for name in sorted(named) if f"`{name}`" not in readme and f"set {name}`" not in readme
    ] == []


def test_init_speaks_the_readers_language(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = init_directory(tmp_path, monkeypatch)
    first = cli(capsys, config, "--lang", "zh", "init")
    assert first.code == 0, first.err
    assert first.out.splitlines()[0].startswith("配置：已写入初始配置")
    assert "（新建）" in first.out
    assert "exists" not in first.out
    again = cli(capsys, config, "init")  # the template sets no locale: English
    assert again.out.splitlines()[0] == f"config: {config} exists, left as it is"
