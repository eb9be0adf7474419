"""Both vendor sandboxes serving one generated company on free loopback ports (demo and benchmarks)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from types import TracebackType
from typing import Any, Protocol

from connectors.sandbox.fxiaoke import FxiaokeSandbox, SandboxCredentials
from connectors.sandbox.generator import DemoCompany, zoho_overrides
from connectors.sandbox.quickbooks.app import QuickBooksSandbox, QuickBooksSandboxOptions
from connectors.sandbox.quickbooks.company import quickbooks_dataset
from connectors.sandbox.quickbooks.dataset import QuickBooksDataset
from connectors.sandbox.server import Request, Response, SandboxServer
from connectors.sandbox.xero import XeroSandbox, XeroSandboxOptions
from connectors.sandbox.xero.company import xero_dataset
from connectors.sandbox.zoho import ZohoDataset, ZohoSandbox, ZohoSandboxOptions

_LIST_KEYS = ("data", "invoices", "salesorders", "customerpayments", "creditnotes")


class MalformingZohoSandbox(ZohoSandbox):
    """A Zoho sandbox that serves some records broken: `overrides` maps a record id to vendor fields
    sent in place of the rendered ones (e.g. a Grand_Total of "12,345.25"), the way a real org's
    hand-edited or imported records arrive. Everything else is the plain ZohoSandbox."""

    def __init__(
        self, dataset: ZohoDataset, overrides: Mapping[str, Mapping[str, Any]], **options: Any
    ) -> None:
        super().__init__(dataset, **options)
        self._overrides = {k: dict(v) for k, v in overrides.items()}

    def handle(self, request: Request) -> Response:
        response = super().handle(request)
        body = response.body
        if not self._overrides or not isinstance(body, dict):
            return response
        for name in _LIST_KEYS:
            rows = body.get(name)
            if isinstance(rows, list):
                body = {**body, name: zoho_overrides(rows, self._overrides)}
        return Response(response.status, body, response.headers, truncate=response.truncate)


def xero_sandbox(company: DemoCompany, *, port: int = 0) -> XeroSandbox:
    """The company's books as one Xero organisation, vendor limits off, on `port` (0: a free one)."""
    options = XeroSandboxOptions(minute_limit=None, day_limit=None, app_minute_limit=None)
    return XeroSandbox(xero_dataset(company), options=options, port=port)


def xero_yaml(url: str, options: XeroSandboxOptions | None = None, *, secret: str | None = None) -> str:
    """A `connectors:` entry reaching the Xero sandbox at `url` (its fixed, sandbox-only credentials);
    with `secret` (a `secret:NAME` reference) the client secret is that and the refresh token is left
    out (the token store holds it, as `connector authorize` leaves it)."""
    opts = options or XeroSandboxOptions()
    return f"""\
  - name: xero
    kind: xero
    streams: [invoices, payments, credit_notes, overpayments, prepayments, contacts, items]
    credentials:
      client_id: "{opts.client_id}"        # sandbox-only value
{_oauth_secrets(opts.client_secret, opts.refresh_token, secret)}
    endpoints: {{identity_url: "{url}", api_url: "{url}"}}   # sandbox
    limits: {{requests_per_minute: 60000, concurrency: 4}}      # sandbox: no vendor limits
"""


class MalformingQuickBooksSandbox(QuickBooksSandbox):
    """A QuickBooks sandbox serving some records broken: `overrides` maps an entity Id to fields sent in
    place of the rendered ones (a `TxnDate` of "31/10/2026"), in query and CDC answers alike."""

    def __init__(
        self, dataset: QuickBooksDataset, overrides: Mapping[str, Mapping[str, Any]], **options: Any
    ) -> None:
        super().__init__(dataset, **options)
        self._overrides = {k: dict(v) for k, v in overrides.items()}

    def handle(self, request: Request) -> Response:
        response = super().handle(request)
        if not self._overrides or response.status != 200:
            return response
        body = _override(response.body, self._overrides)
        return Response(response.status, body, response.headers, truncate=response.truncate)


def _override(value: Any, overrides: Mapping[str, Mapping[str, Any]]) -> Any:
    """`value` with the fields of `overrides[Id]` in every entity (a dict with an Id and MetaData)."""
    if isinstance(value, list):
        return [_override(item, overrides) for item in value]
    if not isinstance(value, dict):
        return value
    changed = {name: _override(item, overrides) for name, item in value.items()}
    found = overrides.get(str(value.get("Id"))) if "MetaData" in value else None
    return {**changed, **found} if found else changed


def quickbooks_sandbox(
    company: DemoCompany,
    *,
    port: int = 0,
    dataset: QuickBooksDataset | None = None,
    overrides: Mapping[str, Mapping[str, Any]] | None = None,
) -> QuickBooksSandbox:
    """The company's books as one QuickBooks company (or `dataset`, with `overrides` served broken),
    vendor limits off, on `port` (0: a free one)."""
    options = QuickBooksSandboxOptions(per_minute=None, per_second=None, concurrent=1_000)
    data = dataset if dataset is not None else quickbooks_dataset(company)
    return MalformingQuickBooksSandbox(data, overrides or {}, options=options, port=port)


def quickbooks_yaml(
    url: str, options: QuickBooksSandboxOptions | None = None, *, secret: str | None = None
) -> str:
    """A `connectors:` entry reaching the QuickBooks sandbox at `url` (its fixed, sandbox-only values);
    `secret` as for `xero_yaml`."""
    oauth = (options or QuickBooksSandboxOptions()).oauth
    return f"""\
  - name: quickbooks
    kind: quickbooks
    realm_id: "{oauth.realm_id}"
    streams: [invoices, payments, credit_memos, sales_receipts, customers, items]
    credentials:
      client_id: "{oauth.client_id}"        # sandbox-only value
{_oauth_secrets(oauth.client_secret, oauth.initial_refresh_token, secret)}
    endpoints: {{auth_url: "{url}", api_url: "{url}"}}   # sandbox
"""


def _oauth_secrets(client_secret: str, refresh_token: str, reference: str | None) -> str:
    if reference is not None:
        return f"      client_secret: {reference}\n      # refresh token: in the encrypted token store"
    return (
        f'      client_secret: "{client_secret}"   # sandbox-only value\n'
        f'      refresh_token: "{refresh_token}"   # sandbox-only value'
    )


@dataclass(frozen=True)
class Credentials:
    """What the demo configuration needs to reach the sandboxes (sandbox-only values)."""

    zoho_client_id: str
    zoho_client_secret: str
    zoho_refresh_token: str
    zoho_organization_id: str
    fxiaoke_app_id: str
    fxiaoke_app_secret: str
    fxiaoke_permanent_code: str
    fxiaoke_user: str


def zoho_sandbox(company: DemoCompany, *, port: int = 0) -> MalformingZohoSandbox:
    """The demo's Zoho sandbox (Accounts + CRM + Books) for `company`, on `port` (0: a free one)."""
    options = ZohoSandboxOptions(max_refreshes=None)
    return MalformingZohoSandbox(company.zoho, company.zoho_overrides, options=options, port=port)


def fxiaoke_sandbox(company: DemoCompany, *, port: int = 0) -> FxiaokeSandbox:
    """The demo's Fxiaoke sandbox for `company`, vendor throttling off, on `port` (0: a free one)."""
    return FxiaokeSandbox(
        company.fxiaoke,
        credentials=SandboxCredentials(),
        throttle=None,
        token_calls_per_minute=None,
        port=port,
    )


def sandbox_credentials(
    company: DemoCompany, zoho: ZohoSandboxOptions | None = None, fxiaoke: SandboxCredentials | None = None
) -> Credentials:
    """What a configuration needs to reach the demo's sandboxes (their fixed, sandbox-only values)."""
    zoho, fx = zoho or ZohoSandboxOptions(), fxiaoke or SandboxCredentials()
    return Credentials(
        zoho_client_id=zoho.client_id,
        zoho_client_secret=zoho.client_secret,
        zoho_refresh_token=zoho.refresh_token,
        zoho_organization_id=company.zoho.organization_id,
        fxiaoke_app_id=fx.app_id,
        fxiaoke_app_secret=fx.app_secret,
        fxiaoke_permanent_code=fx.permanent_code,
        fxiaoke_user=next(iter(fx.users)),
    )


class Served(Protocol):
    """A sandbox on its own server (ServedSandbox, FxiaokeSandbox)."""

    server: SandboxServer

    @property
    def url(self) -> str: ...

    def start(self) -> Any: ...

    def stop(self) -> None: ...


class DemoSandboxes:
    """Zoho (Accounts + CRM + Books; unless `zoho` is False) and Fxiaoke sandboxes for one company, on
    127.0.0.1, and `extra` ones by name: the books the demo chose instead of Zoho Books
    (connectors/sandbox/accounting.py), Kingdee (connectors/sandbox/kingdee_pair.py).

    Vendor throttling is off (the demo configuration sets its own generous limits); everything else
    (tokens, paging, error shapes) behaves as the sandboxes always do."""

    def __init__(
        self, company: DemoCompany, extra: Sequence[tuple[str, Served]] = (), *, zoho: bool = True
    ) -> None:
        self.company = company
        self._zoho = zoho_sandbox(company) if zoho else None  # a server binds its port when made
        self.fxiaoke = fxiaoke_sandbox(company)
        self._all: dict[str, Served] = {"zoho": self._zoho} if self._zoho is not None else {}
        self._all["fxiaoke"] = self.fxiaoke
        self._all.update(extra)

    @property
    def zoho(self) -> MalformingZohoSandbox:
        if self._zoho is None:
            raise AttributeError("these sandboxes serve no Zoho")
        return self._zoho

    @property
    def credentials(self) -> Credentials:
        zoho = self._zoho.options if self._zoho is not None else None
        return sandbox_credentials(self.company, zoho, self.fxiaoke.credentials)

    def urls(self) -> dict[str, str]:
        """Each sandbox's URL, by vendor (started ones)."""
        return {name: sandbox.url for name, sandbox in self._all.items()}

    def requests(self) -> dict[str, int]:
        """HTTP requests each sandbox has answered so far."""
        return {name: sum(box.server.request_counts.values()) for name, box in self._all.items()}

    def reset_counts(self) -> None:
        for sandbox in self._all.values():
            sandbox.server.reset_counts()

    def start(self) -> DemoSandboxes:
        started: list[Served] = []
        try:
            for sandbox in self._all.values():
                sandbox.start()
                started.append(sandbox)
        except BaseException:
            for sandbox in reversed(started):
                sandbox.stop()
            raise
        return self

    def stop(self) -> None:
        """Stop every sandbox (the last started first), then raise the first failure, if any."""
        failures: list[Exception] = []
        for sandbox in reversed(self._all.values()):
            try:
                sandbox.stop()
            except Exception as exc:  # noqa: BLE001 - the others must still stop; raised below
                failures.append(exc)
        if failures:
            raise failures[0]

    def __enter__(self) -> DemoSandboxes:
        return self.start()

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()
