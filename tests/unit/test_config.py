"""Configuration loading: discovery order, ${ENV} interpolation, secret references, errors with lines."""

from __future__ import annotations

from pathlib import Path

import pytest

from config.loader import ConfigError, find_config, load_config, parse_config, resolve_secret

GOOD = """\
database_url: sqlite:///ledger.db
base_currency: CNY
timezone: Asia/Shanghai
connectors:
  - name: zoho-crm
    kind: zoho_crm
    data_center: com.cn
    streams: [sales_orders, invoices]
    credentials:
      client_id: ${ZOHO_CLIENT_ID}
      client_secret: secret:zoho-client-secret
      refresh_token: literal-token
    limits: {requests_per_minute: 100, concurrency: 5}
    schedule: {every_minutes: 15}
"""


def _write(tmp_path: Path, text: str, name: str = "ledgerbridge.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_a_good_file_loads_with_environment_values_interpolated(tmp_path: Path) -> None:
    loaded = load_config(_write(tmp_path, GOOD), environ={"ZOHO_CLIENT_ID": "1000.ABC"})
    crm = loaded.settings.connector("zoho-crm")
    assert crm.kind == "zoho_crm"
    assert crm.credentials.client_id == "1000.ABC"
    assert crm.credentials.client_secret == "secret:zoho-client-secret"
    assert crm.streams == ["sales_orders", "invoices"]
    assert loaded.settings.effective_locale == "zh"


def test_explicit_path_beats_the_environment_which_beats_the_working_directory() -> None:
    assert find_config("given.yaml", {"LEDGERBRIDGE_CONFIG": "env.yaml"}) == Path("given.yaml")
    assert find_config(None, {"LEDGERBRIDGE_CONFIG": "env.yaml"}) == Path("env.yaml")
    assert find_config(None, {}) == Path("ledgerbridge.yaml")


def test_database_url_environment_variable_overrides_the_file(tmp_path: Path) -> None:
    environ = {"ZOHO_CLIENT_ID": "x", "LEDGERBRIDGE_DATABASE_URL": "postgresql+psycopg://db/ledger"}
    loaded = load_config(_write(tmp_path, GOOD), environ=environ)
    assert loaded.settings.database_url == "postgresql+psycopg://db/ledger"


def test_an_unset_variable_is_an_error_naming_it_and_its_line(tmp_path: Path) -> None:
    path = _write(tmp_path, GOOD)
    with pytest.raises(ConfigError) as caught:
        load_config(path, environ={})
    assert (
        str(caught.value)
        == f"{path}:10: environment variable ZOHO_CLIENT_ID is not set (used as ${{ZOHO_CLIENT_ID}})"
    )


def test_an_unknown_key_names_the_key_its_path_and_its_line(tmp_path: Path) -> None:
    text = GOOD.replace("    data_center: com.cn\n", "    data_centre: com.cn\n")
    path = _write(tmp_path, text)
    with pytest.raises(ConfigError) as caught:
        load_config(path, environ={"ZOHO_CLIENT_ID": "x"})
    message = str(caught.value)
    assert message.startswith(f"{path}:7: connectors[zoho-crm].data_centre: unknown key 'data_centre'")
    assert "\n" not in message


def test_a_wrong_type_names_the_field_and_the_value_given(tmp_path: Path) -> None:
    text = GOOD.replace("concurrency: 5", "concurrency: many")
    path = _write(tmp_path, text)
    with pytest.raises(ConfigError) as caught:
        load_config(path, environ={"ZOHO_CLIENT_ID": "x"})
    message = str(caught.value)
    assert message.startswith(f"{path}:13: connectors[zoho-crm].limits.concurrency:")
    assert "'many'" in message


def test_an_unknown_connector_kind_is_rejected_with_its_line(tmp_path: Path) -> None:
    path = _write(tmp_path, "connectors:\n  - name: sap\n    kind: sap_erp\n")
    with pytest.raises(ConfigError) as caught:
        load_config(path, environ={})
    assert str(caught.value).startswith(f"{path}:2: connectors[sap]")
    assert "zoho_crm" in str(caught.value)


def test_duplicate_connector_names_are_rejected(tmp_path: Path) -> None:
    block = "  - {name: a, kind: jsonl, path: x.jsonl}\n"
    with pytest.raises(ConfigError, match="connector name 'a' is used twice"):
        load_config(_write(tmp_path, "connectors:\n" + block + block), environ={})


def test_a_key_given_twice_is_an_error_not_a_silent_override(tmp_path: Path) -> None:
    path = _write(tmp_path, "base_currency: CNY\nbase_currency: USD\n")
    with pytest.raises(ConfigError, match=r":2: key 'base_currency' appears twice"):
        load_config(path, environ={})


def test_broken_yaml_reports_the_line_of_the_problem(tmp_path: Path) -> None:
    path = _write(tmp_path, "base_currency: CNY\nconnectors: [\n  - a\n")
    with pytest.raises(ConfigError, match=rf"^{path}:\d+: not valid YAML"):
        load_config(path, environ={})


def test_a_missing_file_says_how_to_create_one(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="ledgerbridge init"):
        load_config(tmp_path / "nope.yaml", environ={})


def test_an_unknown_time_zone_is_rejected() -> None:
    with pytest.raises(ConfigError, match="unknown time zone 'Mars/Olympus'"):
        parse_config("timezone: Mars/Olympus\n", "cfg", {})


def test_a_schedule_needs_exactly_one_of_interval_or_cron() -> None:
    text = (
        "connectors:\n  - {name: a, kind: jsonl, path: x, schedule: {every_minutes: 5, cron: '* * * * *'}}\n"
    )
    with pytest.raises(ConfigError, match="give exactly one of every_minutes or cron"):
        parse_config(text, "cfg", {})


def test_dollar_dollar_escapes_a_literal_dollar() -> None:
    settings = parse_config("connectors:\n  - {name: a, kind: jsonl, path: 'p$${X}'}\n", "cfg", {})
    assert settings.connector("a").path == "p${X}"  # type: ignore[union-attr]


def test_secret_references_resolve_through_the_lookup_and_literals_pass_through() -> None:
    secrets = {"zoho-client-secret": "s3cr3t"}
    assert resolve_secret("secret:zoho-client-secret", secrets.get) == "s3cr3t"
    assert resolve_secret("plain-value", secrets.get) == "plain-value"
    with pytest.raises(ConfigError, match="ledgerbridge secret set missing"):
        resolve_secret("secret:missing", secrets.get)


def test_english_is_the_default_locale_outside_china() -> None:
    assert parse_config("timezone: Europe/Berlin\n", "cfg", {}).effective_locale == "en"
    assert parse_config("timezone: Asia/Shanghai\nlocale: en\n", "cfg", {}).effective_locale == "en"
