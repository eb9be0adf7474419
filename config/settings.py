"""Settings models: the YAML file of INTERFACES.md, validated strictly (unknown keys are errors)."""

from __future__ import annotations

from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from config.currencies import currency_problem
from config.daemon import DaemonSettings, NotificationSettings
from config.kinds import (
    ConnectorSettings,
    FxiaokeSettings,
    JsonlSettings,
    ZohoBooksSettings,
    ZohoCrmSettings,
)
from config.rules import ReconcileSettings
from config.schedule import Schedule
from config.web import WebSettings

__all__ = [
    "SECRET_PREFIX",
    "ConnectorSettings",
    "FxiaokeSettings",
    "JsonlSettings",
    "Schedule",
    "Settings",
    "ZohoBooksSettings",
    "ZohoCrmSettings",
]
"""The connector models and Schedule are re-exported: they lived here before config/kinds.py and
config/schedule.py held them, and callers import them from here."""

SECRET_PREFIX = "secret:"  # noqa: S105 - a reference prefix, not a password


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Settings(_Strict):
    """The whole configuration file."""

    database_url: str = "sqlite:///ledgerbridge.db"
    base_currency: str = Field(default="CNY", pattern=r"^[A-Z]{3}$")
    timezone: str = "Asia/Shanghai"
    locale: Literal["zh", "en"] | None = None
    secret_key_file: str | None = None
    """Where the database encryption key lives when $LEDGERBRIDGE_SECRET_KEY is unset (default: beside
    the SQLite file, or ./ledgerbridge.key)."""
    connectors: list[ConnectorSettings] = Field(default_factory=list)
    daemon: DaemonSettings = Field(default_factory=DaemonSettings)
    notifications: NotificationSettings = Field(default_factory=NotificationSettings)
    reconcile: ReconcileSettings = Field(default_factory=ReconcileSettings)
    web: WebSettings = Field(default_factory=WebSettings)

    @field_validator("base_currency")
    @classmethod
    def _iso_currency(cls, value: str) -> str:
        problem = currency_problem(value)
        if problem is not None:
            raise ValueError(problem)
        return value

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {value!r} (use an IANA name such as Asia/Shanghai)") from exc
        return value

    @model_validator(mode="after")
    def _unique_connector_names(self) -> Settings:
        seen: set[str] = set()
        for connector in self.connectors:
            if connector.name in seen:
                raise ValueError(f"connector name {connector.name!r} is used twice")
            seen.add(connector.name)
        return self

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def effective_locale(self) -> Literal["zh", "en"]:
        if self.locale is not None:
            return self.locale
        return "zh" if self.timezone in ("Asia/Shanghai", "Asia/Chongqing", "Asia/Harbin", "PRC") else "en"

    def connector(self, name: str) -> ConnectorSettings:
        for connector in self.connectors:
            if connector.name == name:
                return connector
        known = ", ".join(c.name for c in self.connectors) or "none configured"
        raise KeyError(f"no connector named {name!r} (configured: {known})")
