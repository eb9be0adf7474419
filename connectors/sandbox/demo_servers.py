"""Both vendor sandboxes serving one generated company on free loopback ports (demo and benchmarks)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import TracebackType
from typing import Any

from connectors.sandbox.fxiaoke import FxiaokeSandbox, SandboxCredentials
from connectors.sandbox.generator import DemoCompany, zoho_overrides
from connectors.sandbox.quickbooks.app import QuickBooksSandbox, QuickBooksSandboxOptions
from connectors.sandbox.quickbooks.company import quickbooks_dataset
from connectors.sandbox.server import Request, Response
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


def xero_yaml(url: str, options: XeroSandboxOptions | None = None) -> str:
    """A `connectors:` entry reaching the Xero sandbox at `url` (its fixed, sandbox-only credentials)."""
    opts = options or XeroSandboxOptions()
    return f"""\
  - name: xero
    kind: xero
    streams: [invoices, payments, credit_notes, overpayments, prepayments, contacts, items]
    credentials:
      client_id: "{opts.client_id}"        # sandbox-only value
      client_secret: "{opts.client_secret}"   # sandbox-only value
      refresh_token: "{opts.refresh_token}"   # sandbox-only value
    endpoints: {{identity_url: "{url}", api_url: "{url}"}}   # sandbox
    limits: {{requests_per_minute: 60000, concurrency: 4}}      # sandbox: no vendor limits
"""


def quickbooks_sandbox(company: DemoCompany, *, port: int = 0) -> QuickBooksSandbox:
    """The company's books as one QuickBooks company, vendor limits off, on `port` (0: a free one)."""
    options = QuickBooksSandboxOptions(per_minute=None, per_second=None, concurrent=1_000)
    return QuickBooksSandbox(quickbooks_dataset(company), options=options, port=port)


def quickbooks_yaml(url: str, options: QuickBooksSandboxOptions | None = None) -> str:
    """A `connectors:` entry reaching the QuickBooks sandbox at `url` (its fixed, sandbox-only values)."""
    oauth = (options or QuickBooksSandboxOptions()).oauth
    return f"""\
  - name: quickbooks
    kind: quickbooks
    realm_id: "{oauth.realm_id}"
    streams: [invoices, payments, credit_memos, sales_receipts, customers, items]
    credentials:
      client_id: "{oauth.client_id}"        # sandbox-only value
      client_secret: "{oauth.client_secret}"   # sandbox-only value
      refresh_token: "{oauth.initial_refresh_token}"   # sandbox-only value
    endpoints: {{auth_url: "{url}", api_url: "{url}"}}   # sandbox
"""


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


class DemoSandboxes:
    """Zoho (Accounts + CRM + Books) and Fxiaoke sandboxes for one company, on 127.0.0.1.

    Vendor throttling is off (the demo configuration sets its own generous limits); everything else
    (tokens, paging, error shapes) behaves as the sandboxes always do."""

    def __init__(self, company: DemoCompany) -> None:
        self.company = company
        self.zoho = zoho_sandbox(company)
        self.fxiaoke = fxiaoke_sandbox(company)

    @property
    def credentials(self) -> Credentials:
        return sandbox_credentials(self.company, self.zoho.options, self.fxiaoke.credentials)

    def requests(self) -> dict[str, int]:
        """HTTP requests each sandbox has answered so far."""
        return {
            "zoho": sum(self.zoho.server.request_counts.values()),
            "fxiaoke": sum(self.fxiaoke.server.request_counts.values()),
        }

    def reset_counts(self) -> None:
        self.zoho.server.reset_counts()
        self.fxiaoke.server.reset_counts()

    def start(self) -> DemoSandboxes:
        self.zoho.start()
        try:
            self.fxiaoke.start()
        except BaseException:
            self.zoho.stop()
            raise
        return self

    def stop(self) -> None:
        try:
            self.fxiaoke.stop()
        finally:
            self.zoho.stop()

    def __enter__(self) -> DemoSandboxes:
        return self.start()

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()
