"""`ledgerbridge sandbox serve`: the bundled vendor sandboxes on loopback, for trying connectors by hand."""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator, Sequence
from contextlib import ExitStack, contextmanager
from types import FrameType
from typing import Final

import click

from connectors.sandbox.demo_servers import (
    fxiaoke_sandbox,
    quickbooks_sandbox,
    quickbooks_yaml,
    sandbox_credentials,
    xero_sandbox,
    xero_yaml,
    zoho_sandbox,
)
from connectors.sandbox.fxiaoke import FxiaokeSandbox
from connectors.sandbox.generator import BOOKS, CRM, FXIAOKE, CompanySpec, generate_company
from connectors.sandbox.kingdee import KingdeeSandbox
from connectors.sandbox.kingdee.company import kingdee_sandbox, kingdee_yaml
from connectors.sandbox.quickbooks.app import QuickBooksSandbox
from connectors.sandbox.xero import XeroSandbox
from connectors.sandbox.zoho import ZohoSandbox
from sync.cli import AppContext, BadConfig, emit_json, json_option
from sync.demo import connectors_yaml

VENDORS: Final = ("zoho", "fxiaoke", "xero", "quickbooks", "kingdee")
DEFAULT_VENDORS: Final = ("zoho", "fxiaoke")
"""Served without --vendor: the demo's CRM and books (Zoho Books), and Fxiaoke."""
SIZES: Final[dict[str, tuple[int, int]]] = {
    "small": (40, 400),
    "medium": (200, 4_000),
    "large": (500, 20_000),
}
"""--size: (customers, orders) of the generated company; small is the demo's."""
_CONNECTORS: Final = {
    "zoho": (CRM, BOOKS),
    "fxiaoke": (FXIAOKE,),
    "xero": ("xero",),
    "quickbooks": ("quickbooks",),
    "kingdee": ("kingdee",),
}


@click.group("sandbox")
def sandbox_group() -> None:
    """The bundled vendor sandboxes (Zoho CRM + Books, Fxiaoke, Xero) on loopback."""


@sandbox_group.command("serve")
@click.option(
    "--vendor",
    "vendors",
    type=click.Choice([*VENDORS, "all"]),
    multiple=True,
    help="Which sandbox to serve (repeatable); default zoho and fxiaoke; xero serves the company's books "
    "as a Xero organisation, quickbooks as a QuickBooks Online company, kingdee the Fxiaoke side's books as "
    "a Kingdee K/3 Cloud account; all: every one.",
)
@click.option(
    "--port",
    type=click.IntRange(0, 65535),
    default=0,
    show_default=True,
    help="Port of the first sandbox (Zoho), the next one's is PORT+1; 0 picks free ports.",
)
@click.option("--seed", type=int, default=2026, show_default=True, help="Same seed, same company.")
@click.option(
    "--size",
    type=click.Choice(list(SIZES)),
    default="small",
    show_default=True,
    help="small: 40 customers, 400 orders (the demo's); medium: 200, 4,000; large: 500, 20,000.",
)
@click.option("--clean", is_flag=True, help="Nothing planted, nothing malformed (only the traps).")
@json_option
@click.pass_obj
def serve(  # noqa: PLR0912 - one branch per vendor
    app: AppContext,
    *,
    vendors: Sequence[str],
    port: int,
    seed: int,
    size: str,
    clean: bool,
    as_json: bool,
) -> None:
    """Serve the sandboxes on 127.0.0.1 with a generated company until Ctrl-C or SIGTERM; print each
    one's address and the `connectors:` block (with credentials the sandboxes accept) to paste."""
    wanted_vendors = vendors or DEFAULT_VENDORS
    chosen = [vendor for vendor in VENDORS if vendor in wanted_vendors or "all" in wanted_vendors]
    customers, orders = SIZES[size]
    if not as_json:
        click.echo(
            app.text("sandbox.generating", orders=f"{orders:,}", customers=customers, seed=seed), err=True
        )
    company = generate_company(CompanySpec(customers=customers, orders=orders, seed=seed, planted=not clean))
    # Ctrl-C and SIGTERM are caught from here on: one arriving while the sandboxes start stops them too.
    with _until_stopped() as stopped, ExitStack() as stack:
        served: dict[str, str] = {}
        for offset, vendor in enumerate(chosen):
            wanted = port + offset if port else 0
            try:
                sandbox: ZohoSandbox | FxiaokeSandbox | XeroSandbox | QuickBooksSandbox | KingdeeSandbox
                if vendor == "zoho":
                    sandbox = zoho_sandbox(company, port=wanted)
                elif vendor == "fxiaoke":
                    sandbox = fxiaoke_sandbox(company, port=wanted)
                elif vendor == "quickbooks":
                    sandbox = quickbooks_sandbox(company, port=wanted)
                elif vendor == "kingdee":
                    sandbox = kingdee_sandbox(company, port=wanted)
                else:
                    sandbox = xero_sandbox(company, port=wanted)
            except OSError as exc:
                raise BadConfig(
                    app.text("sandbox.port_taken", port=wanted, reason=exc.strerror or exc)
                ) from exc
            stack.enter_context(sandbox)
            served[vendor] = sandbox.url
        block = connectors_yaml(
            sandbox_credentials(company), served.get("zoho"), served.get("fxiaoke"), inline_secrets=True
        )
        if "xero" in served:  # the company's books as Xero holds them (issue 19)
            block = block.rstrip("\n") + "\n" + xero_yaml(served["xero"])
        if "quickbooks" in served:  # the company's books as a QuickBooks company (issue 19)
            block = block.rstrip("\n") + "\n" + quickbooks_yaml(served["quickbooks"])
        if "kingdee" in served:  # the Fxiaoke side's books as a Kingdee K/3 Cloud account (issue 20)
            block = block.rstrip("\n") + "\n" + kingdee_yaml(served["kingdee"])
        if as_json:
            emit_json(
                {
                    "sandboxes": {
                        vendor: {"url": url, "connectors": list(_CONNECTORS[vendor])}
                        for vendor, url in served.items()
                    },
                    "config": block,
                }
            )
        else:
            _say(app, served, block)
        stopped.wait()
    if not as_json:
        click.echo(app.text("sandbox.stopped"), err=True)


def _say(app: AppContext, served: dict[str, str], block: str) -> None:
    names = {
        "zoho": "Zoho",
        "fxiaoke": "Fxiaoke",
        "xero": "Xero",
        "quickbooks": "QuickBooks",
        "kingdee": "Kingdee",
    }
    for vendor, url in served.items():
        click.echo(app.text("sandbox.serving", vendor=names[vendor], url=url))
        click.echo(f"  {app.text(f'sandbox.{vendor}_serves')}")
    click.echo()
    click.echo(app.text("sandbox.paste"))
    click.echo()
    click.echo(block)
    click.echo(app.text("sandbox.try"))
    first = next(name for vendor in served for name in _CONNECTORS[vendor])
    click.echo(f"  ledgerbridge connector test {first}")
    click.echo(f"  ledgerbridge sync run --connector {first}")
    click.echo()
    click.echo(app.text("sandbox.stop"))


class _Stopped:
    """Set by SIGINT or SIGTERM; waiting on it wakes up every second so the signal handler can run."""

    def __init__(self) -> None:
        self._event = threading.Event()

    def set(self, signum: int, frame: FrameType | None) -> None:
        self._event.set()

    def wait(self) -> None:
        while not self._event.wait(1.0):
            pass


@contextmanager
def _until_stopped() -> Iterator[_Stopped]:
    """Ctrl-C and SIGTERM end the wait (a clean stop, exit 0); the previous handlers come back after."""
    stopped = _Stopped()
    previous = {sig: signal.signal(sig, stopped.set) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield stopped
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
