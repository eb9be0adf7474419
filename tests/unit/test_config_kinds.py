"""Connector kinds in the configuration: stream names from one declaration, `quotes` refused at load,
error locations free of pydantic's kind tags for every kind."""

from __future__ import annotations

from typing import Literal

import pytest

from config.kinds import KINDS, ConnectorSettingsBase, kind_of, stream_names
from config.loader import ConfigError, parse_config

_CRM = """\
connectors:
  - name: crm
    kind: zoho_crm
    streams: [invoices, quotes]
    credentials: {client_id: a, client_secret: b, refresh_token: c}
"""


def test_a_crm_stream_the_ledger_cannot_hold_is_refused_at_load_saying_why_and_what_is_read() -> None:
    with pytest.raises(ConfigError) as caught:
        parse_config(_CRM, "ledgerbridge.yaml", {})
    assert str(caught.value) == (
        "ledgerbridge.yaml:4: connectors[crm].streams: stream 'quotes' is not read yet "
        "(the ledger has no quote kind); streams: sales_orders, invoices, accounts, products"
    )


def test_crm_extra_fields_for_quotes_are_refused_too() -> None:
    text = _CRM.replace("[invoices, quotes]", "[invoices]") + "    extra_fields: {quotes: [Terms]}\n"
    with pytest.raises(ConfigError, match=r"connectors\[crm\]\.extra_fields\.quotes"):
        parse_config(text, "ledgerbridge.yaml", {})


def test_a_connector_without_streams_reads_every_stream_its_kind_declares() -> None:
    settings = parse_config(_CRM.replace("    streams: [invoices, quotes]\n", ""), "x.yaml", {})
    assert settings.connector("crm").streams == ["sales_orders", "invoices", "accounts", "products"]


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_an_unknown_key_is_located_without_the_kind_tag_for_every_kind(kind: str) -> None:
    text = f"connectors:\n  - name: c1\n    kind: {kind}\n    bogus: 1\n"
    with pytest.raises(ConfigError) as caught:
        parse_config(text, "x.yaml", {})
    assert "x.yaml:4: connectors[c1].bogus: unknown key 'bogus'" in caught.value.problems
    assert all(kind not in problem for problem in caught.value.problems)


def test_the_kind_and_stream_names_come_from_the_settings_model() -> None:
    class Shop(ConnectorSettingsBase):
        kind: Literal["shop"]
        streams: list[Literal["orders", "refunds"]]

    assert kind_of(Shop) == "shop"
    assert stream_names(Shop) == ("orders", "refunds")


def test_a_settings_model_without_a_single_kind_tag_is_refused() -> None:
    class Vague(ConnectorSettingsBase):
        kind: str
        streams: list[str]

    with pytest.raises(TypeError, match="must declare kind"):
        kind_of(Vague)
    assert stream_names(Vague) is None
