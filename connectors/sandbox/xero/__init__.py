"""Xero sandbox: Xero Identity + /connections + the Accounting API's receivable lists on loopback."""

from connectors.sandbox.xero.app import XeroSandbox, XeroSandboxOptions
from connectors.sandbox.xero.dataset import XeroDataset, canonical_rate, xero_id

__all__ = ["XeroDataset", "XeroSandbox", "XeroSandboxOptions", "canonical_rate", "xero_id"]
