"""Settings models: the YAML file of INTERFACES.md, validated strictly (unknown keys are errors)."""

from __future__ import annotations

from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from config.currencies import currency_problem
from config.daemon import DaemonSettings, NotificationSettings
from config.rules import ReconcileSettings
from config.schedule import Schedule as Schedule  # noqa: PLC0414 - re-exported: sync/ imports it here

SECRET_PREFIX = "secret:"  # noqa: S105 - a reference prefix, not a password


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Limits(_Strict):
    """Per-connector request budget; unset values fall back to the vendor's documented defaults."""

    requests_per_minute: float | None = Field(default=None, gt=0)
    concurrency: int | None = Field(default=None, ge=1, le=50)
    request_deadline_seconds: float = Field(default=120, gt=0, le=3600)
    """The most one HTTP request may take in all (connect, headers, whole body), beyond the socket read
    timeout (`timeout_seconds`): a server trickling bytes fails the request here, retried like a timeout."""


ConnectorName = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9-]*$", max_length=60)]
DataCenter = Literal["com", "eu", "in", "com.au", "com.cn", "jp", "ca", "sa"]


class _ConnectorBase(_Strict):
    name: ConnectorName
    endpoints: dict[str, str] = Field(default_factory=dict)
    limits: Limits = Field(default_factory=Limits)
    schedule: Schedule | None = None
    overlap_minutes: int = Field(default=5, ge=0, le=1440)
    """How far before the cursor each incremental run re-reads (records sharing a timestamp)."""
    max_clock_skew_minutes: int = Field(default=1440, ge=1, le=525_600)
    """How far ahead of this host's clock a record's modification time may be: a later one is
    quarantined and never moves the cursor (a record dated 9999-12-31 would stop every later fetch)."""
    timeout_seconds: float = Field(default=60, gt=0, le=600)


CrmStream = Literal["sales_orders", "invoices", "accounts", "products", "quotes"]
BooksStream = Literal["invoices", "customer_payments", "sales_orders", "credit_notes"]
FxiaokeStream = Literal["sales_orders", "payments", "invoice_applications", "accounts", "products"]
_CRM_DEFAULT: tuple[CrmStream, ...] = ("sales_orders", "invoices", "accounts", "products")
_BOOKS_DEFAULT: tuple[BooksStream, ...] = ("invoices", "customer_payments", "sales_orders", "credit_notes")
_FXIAOKE_DEFAULT: tuple[FxiaokeStream, ...] = (
    "sales_orders",
    "payments",
    "invoice_applications",
    "accounts",
    "products",
)


class ZohoCredentials(_Strict):
    client_id: str
    client_secret: str
    refresh_token: str


class ZohoCrmConnector(_ConnectorBase):
    kind: Literal["zoho_crm"]
    data_center: DataCenter = "com"
    api_version: Literal["v8"] = "v8"
    edition: Literal["free", "standard", "professional", "enterprise", "ultimate"] = "standard"
    """Sets the default concurrency cap (Zoho's per-edition limit, kept below it)."""
    streams: list[CrmStream] = Field(default_factory=lambda: list(_CRM_DEFAULT), min_length=1)
    credentials: ZohoCredentials
    extra_fields: dict[CrmStream, list[str]] = Field(default_factory=dict)
    """More CRM field API names to read per stream (kept in the raw payload); over 50 in all, they are
    fetched in batches of 50 and merged by record id."""


class ZohoBooksConnector(_ConnectorBase):
    kind: Literal["zoho_books"]
    data_center: DataCenter = "com"
    organization_id: str = Field(pattern=r"^[0-9]+$")
    streams: list[BooksStream] = Field(default_factory=lambda: list(_BOOKS_DEFAULT), min_length=1)
    credentials: ZohoCredentials


class FxiaokeCredentials(_Strict):
    app_id: str
    app_secret: str
    permanent_code: str
    current_open_user_id: str


class FxiaokeConnector(_ConnectorBase):
    """`limits.requests_per_minute` is Fxiaoke's budget per API path (default 150 = 2.5 per second)."""

    kind: Literal["fxiaoke"]
    auth_style: Literal["legacy", "bearer"] = "legacy"
    token_requests_per_minute: float = Field(default=10, gt=0)
    """The token endpoint allows at most 10 calls a minute (api-notes §2c)."""
    streams: list[FxiaokeStream] = Field(default_factory=lambda: list(_FXIAOKE_DEFAULT), min_length=1)
    credentials: FxiaokeCredentials


class JsonlConnector(_ConnectorBase):
    """Reads canonical-shaped records from a JSON-lines file: imports, tests and the engine benchmark."""

    kind: Literal["jsonl"]
    path: str
    page_size: int = Field(default=500, ge=1, le=100_000)
    streams: list[str] = Field(default_factory=lambda: ["documents"], min_length=1)


ConnectorSettings = Annotated[
    ZohoCrmConnector | ZohoBooksConnector | FxiaokeConnector | JsonlConnector,
    Field(discriminator="kind"),
]


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
