"""Connector kinds: each kind's settings model, and the registry everything else derives from.

A kind is declared once here, by its settings model: the `kind` tag (`kind: Literal["zoho_crm"]`), its
keys, and the streams it can read (`streams: list[Literal[...]]`; `list[str]` when stream names are
free, as for `jsonl`). `MODELS` lists the models; from it come the discriminated union of
`Settings.connectors`, the kind names the loader strips from error locations, and the stream names a
connector must implement. The connectors layer (which config cannot import) registers each kind's
factory in `connectors/registry.py` against the same model; tests/connectors/test_registry.py proves
both registries name the same kinds and the same streams. docs/connectors/adding.md walks through it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Annotated, Any, ClassVar, Literal, Union, get_args, get_origin

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from config.schedule import Schedule


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


class ConnectorSettingsBase(_Strict):
    """The keys every connector has. A kind's model adds `kind: Literal["<kind>"]`, `streams` (a list of
    a Literal of its stream names, defaulting to them all) and its own keys."""

    if TYPE_CHECKING:  # declared by every kind's model (kept out of pydantic here: field order)
        kind: str
        streams: Sequence[str]

    unread_streams: ClassVar[Mapping[str, str]] = {}
    """Vendor objects users ask for that the kind does not read yet -> why, said when one is configured."""

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

    @field_validator("streams", mode="before", check_fields=False)
    @classmethod
    def _not_unread(cls, value: Any) -> Any:
        for stream in value if isinstance(value, list) else ():
            if isinstance(stream, str) and stream in cls.unread_streams:
                readable = ", ".join(stream_names(cls) or ())
                raise ValueError(
                    f"stream {stream!r} is not read yet ({cls.unread_streams[stream]}); streams: {readable}"
                )
        return value


# ----------------------------------------------------------------------------- the kinds

CrmStream = Literal["sales_orders", "invoices", "accounts", "products"]
BooksStream = Literal["invoices", "customer_payments", "sales_orders", "credit_notes"]
FxiaokeStream = Literal["sales_orders", "payments", "invoice_applications", "accounts", "products"]
QuickBooksStream = Literal["invoices", "payments", "credit_memos", "sales_receipts", "customers", "items"]
XeroStream = Literal[
    "invoices", "payments", "credit_notes", "overpayments", "prepayments", "contacts", "items"
]
KingdeeStream = Literal["sales_orders", "receivables", "receipts", "sales_invoices", "customers", "materials"]
KINGDEE_DEFAULT_STREAMS: tuple[KingdeeStream, ...] = (
    "sales_orders",
    "receivables",
    "receipts",
    "customers",
    "materials",
)
"""`sales_invoices` (the VAT invoices) is read only when configured: they invoice the same receivables
again, so they belong in a connector entry of their own (docs/connectors/kingdee.md)."""


class ZohoCredentials(_Strict):
    client_id: str
    client_secret: str
    refresh_token: str


class ZohoCrmSettings(ConnectorSettingsBase):
    unread_streams: ClassVar[Mapping[str, str]] = {"quotes": "the ledger has no quote kind"}

    kind: Literal["zoho_crm"]
    data_center: DataCenter = "com"
    api_version: Literal["v8"] = "v8"
    edition: Literal["free", "standard", "professional", "enterprise", "ultimate"] = "standard"
    """Sets the default concurrency cap (Zoho's per-edition limit, kept below it)."""
    streams: list[CrmStream] = Field(default_factory=lambda: list(get_args(CrmStream)), min_length=1)
    credentials: ZohoCredentials
    extra_fields: dict[CrmStream, list[str]] = Field(default_factory=dict)
    """More CRM field API names to read per stream (kept in the raw payload); over 50 in all, they are
    fetched in batches of 50 and merged by record id."""


class ZohoBooksSettings(ConnectorSettingsBase):
    kind: Literal["zoho_books"]
    data_center: DataCenter = "com"
    organization_id: str = Field(pattern=r"^[0-9]+$")
    streams: list[BooksStream] = Field(default_factory=lambda: list(get_args(BooksStream)), min_length=1)
    credentials: ZohoCredentials


class FxiaokeCredentials(_Strict):
    app_id: str
    app_secret: str
    permanent_code: str
    current_open_user_id: str


class FxiaokeSettings(ConnectorSettingsBase):
    """`limits.requests_per_minute` is Fxiaoke's budget per API path (default 150 = 2.5 per second)."""

    kind: Literal["fxiaoke"]
    auth_style: Literal["legacy", "bearer"] = "legacy"
    token_requests_per_minute: float = Field(default=10, gt=0)
    """The token endpoint allows at most 10 calls a minute (api-notes §2c)."""
    streams: list[FxiaokeStream] = Field(default_factory=lambda: list(get_args(FxiaokeStream)), min_length=1)
    credentials: FxiaokeCredentials


class XeroCredentials(_Strict):
    client_id: str
    client_secret: str
    refresh_token: str | None = None
    """Optional: `ledgerbridge connector authorize NAME` stores the connection's refresh token in the
    encrypted token store, which wins over this value once it holds one (Xero rotates it on every
    refresh)."""


class XeroSettings(ConnectorSettingsBase):
    """Xero Accounting API (docs/connectors/xero.md). `limits.requests_per_minute` is the per-tenant
    budget (Xero: 60 a minute, 5,000 a day, 5 concurrent)."""

    kind: Literal["xero"]
    tenant_id: str | None = Field(default=None, pattern=r"^[0-9a-fA-F-]{36}$")
    """The organisation to read (`GET /connections` lists them; `connector test` shows them). Required
    when the connection reaches several organisations: never "the first"."""
    page_size: int = Field(default=1000, ge=100, le=1000)
    """`pageSize` asked for on paged endpoints (Xero: up to 1,000); an endpoint refusing it is read with
    Xero's default pages of 100."""
    streams: list[XeroStream] = Field(default_factory=lambda: list(get_args(XeroStream)), min_length=1)
    credentials: XeroCredentials


class QuickBooksCredentials(_Strict):
    client_id: str
    client_secret: str
    refresh_token: str | None = None
    """Optional: `ledgerbridge connector authorize NAME` stores the connection's refresh token in the
    encrypted token store, which wins over this value once it holds one (Intuit rotates it)."""


class QuickBooksSettings(ConnectorSettingsBase):
    """QuickBooks Online accounting API (docs/connectors/quickbooks.md). `limits.requests_per_minute`
    is the per-company budget (Intuit: 500 a minute, 10 a second, 10 concurrent)."""

    kind: Literal["quickbooks"]
    realm_id: str = Field(pattern=r"^[0-9]+$")
    """The company (Intuit's realmId, on the consent redirect)."""
    minor_version: int = Field(default=75, ge=75)
    """`minorversion` sent on every call (versions below 75 were retired in 2025)."""
    streams: list[QuickBooksStream] = Field(
        default_factory=lambda: list(get_args(QuickBooksStream)), min_length=1
    )
    credentials: QuickBooksCredentials


class KingdeeCredentials(_Strict):
    """The third-party app (第三方系统登录授权: `app_id` + `app_secret`), or the user's `password` where
    the tenant still allows password login (`AuthService.ValidateUser`)."""

    app_id: str | None = None
    app_secret: str | None = None
    password: str | None = None

    @model_validator(mode="after")
    def _one_way_to_sign_in(self) -> KingdeeCredentials:
        app = self.app_id is not None or self.app_secret is not None
        if app and (self.app_id is None or self.app_secret is None):
            raise ValueError("app_id and app_secret go together")
        if app == (self.password is not None):
            raise ValueError("give either app_id + app_secret or password")
        return self


class KingdeeSettings(ConnectorSettingsBase):
    """Kingdee K/3 Cloud (金蝶云星空) WebAPI (docs/connectors/kingdee.md)."""

    kind: Literal["kingdee"]
    server_url: str = Field(pattern=r"^https?://[^\s?#]+$")
    """The tenant's K/3 Cloud address up to `/K3Cloud` (required: there is no default gateway)."""
    acct_id: str = Field(min_length=1)
    """The data center (账套) id."""
    user_name: str = Field(min_length=1)
    lcid: int = Field(default=2052, ge=1)
    org_numbers: list[str] = Field(default_factory=list)
    """Organizations (组织编码) whose bills are read; empty: every one the user may see."""
    page_size: int = Field(default=2000, ge=2, le=10_000)
    """`Limit` per ExecuteBillQuery (2,000 is the documented cap; up to 10,000 on patch 23.11+)."""
    streams: list[KingdeeStream] = Field(default_factory=lambda: list(KINGDEE_DEFAULT_STREAMS), min_length=1)
    credentials: KingdeeCredentials


class JsonlSettings(ConnectorSettingsBase):
    """Reads canonical-shaped records from a JSON-lines file: imports, tests and the engine benchmark."""

    kind: Literal["jsonl"]
    path: str
    page_size: int = Field(default=500, ge=1, le=100_000)
    streams: list[str] = Field(default_factory=lambda: ["documents"], min_length=1)


BankFormat = Literal["camt053", "mt940", "ofx", "csv", "xlsx"]
BankStream = Literal["transactions"]


class BankColumns(_Strict):
    """Which header of a bank's CSV/XLSX export holds each field (e.g. `date: 交易日期`). The amount is
    either one signed column (`amount`) or two (`credit` money in, `debit` money out)."""

    date: str
    value_date: str | None = None
    amount: str | None = None
    credit: str | None = None
    debit: str | None = Field(default=None, validate_default=True)
    currency: str | None = None
    balance: str | None = None
    """The running balance after each row: when given, every row must add up from the one before."""
    counterparty: str | None = None
    counterparty_account: str | None = None
    reference: str | None = None
    """The bank's unique id of the row (交易流水号): the line's identity."""
    end_to_end_id: str | None = None
    text: str | None = None
    account: str | None = None

    @field_validator("debit")
    @classmethod
    def _one_amount_form(cls, value: str | None, info: Any) -> str | None:
        signed, credit = info.data.get("amount"), info.data.get("credit")
        if signed is not None and (credit is not None or value is not None):
            raise ValueError("give either amount (signed) or credit/debit columns, not both")
        if signed is None and credit is None and value is None:
            raise ValueError("give an amount column, or credit and debit columns")
        return value


class BankTableSettings(_Strict):
    """How to read a bank's CSV or XLSX export (docs/connectors/bank_statements.md)."""

    columns: BankColumns
    encoding: str = "utf-8-sig"
    """The CSV's encoding: gb18030 (a superset of GBK) for most Chinese banks' exports."""
    delimiter: str = Field(default=",", min_length=1, max_length=1)
    date_formats: list[str] = Field(
        default_factory=lambda: ["%Y-%m-%d", "%Y/%m/%d", "%Y%m%d", "%Y-%m-%d %H:%M:%S"], min_length=1
    )
    thousands: str = ","
    decimal: str = Field(default=".", min_length=1, max_length=1)
    currency: str | None = Field(default=None, pattern=r"^[A-Z]{3}$")
    """The rows' currency when there is no currency column."""
    account: str | None = None
    """Our account when the file names it nowhere (no account column, no 账号 line above the table)."""
    skip_rows_starting: list[str] = Field(default_factory=lambda: ["合计", "总计", "小计", "Total"])
    """A row whose date cell starts with one of these (a totals footer) is not a line."""


class BankStatementSettings(ConnectorSettingsBase):
    """Bank statement files: dropped into `inbox` or loaded with `ledgerbridge import statement`
    (docs/connectors/bank_statements.md)."""

    kind: Literal["bank_statement"]
    inbox: str | None = None
    archive: str | None = None
    """Where loaded files go (default: `archive/` inside the inbox)."""
    rejected: str | None = None
    """Where refused files go, each with a `.reason.txt` beside it (default: `rejected/` inside the inbox)."""
    accounts: list[str] = Field(default_factory=list)
    """Our accounts (IBAN / account number) this connector accepts; empty accepts any."""
    formats: list[BankFormat] = Field(default_factory=lambda: list(get_args(BankFormat)), min_length=1)
    csv: BankTableSettings | None = None
    """The column mapping for CSV and XLSX exports (required to read them)."""
    streams: list[BankStream] = Field(default_factory=lambda: list(get_args(BankStream)), min_length=1)


# ----------------------------------------------------------------------------- the registry

MODELS: tuple[type[ConnectorSettingsBase], ...] = (
    ZohoCrmSettings,
    ZohoBooksSettings,
    FxiaokeSettings,
    JsonlSettings,
    XeroSettings,
    QuickBooksSettings,
    KingdeeSettings,
    BankStatementSettings,
)
"""Every connector kind's settings model: add a kind's model here (and its factory in
connectors/registry.py)."""


def kind_of(model: type[ConnectorSettingsBase]) -> str:
    """The `kind` tag a settings model declares (`kind: Literal["zoho_crm"]` -> "zoho_crm")."""
    field = model.model_fields.get("kind")
    tags = get_args(field.annotation) if field is not None else ()
    if field is None or get_origin(field.annotation) is not Literal or len(tags) != 1:
        raise TypeError(f"{model.__name__} must declare kind: Literal['<kind>'] with one value")
    return str(tags[0])


def stream_names(model: type[ConnectorSettingsBase]) -> tuple[str, ...] | None:
    """The stream names a kind may configure, in declaration order; None when names are free (jsonl)."""
    field = model.model_fields.get("streams")
    if field is None:
        raise TypeError(f"{model.__name__} must declare streams: list[Literal[...]]")
    (item,) = get_args(field.annotation)
    return tuple(str(name) for name in get_args(item)) if get_origin(item) is Literal else None


KINDS: Mapping[str, type[ConnectorSettingsBase]] = {kind_of(model): model for model in MODELS}
"""Kind tag -> settings model."""

if TYPE_CHECKING:
    ConnectorSettings = ConnectorSettingsBase
    """For the type checker: the keys every kind has (narrow with isinstance for a kind's own)."""
else:
    ConnectorSettings = Annotated[Union[MODELS], Field(discriminator="kind")]  # noqa: UP007 - a runtime tuple
    """One configured connector: the model its `kind` names, validated by pydantic's discriminator."""
