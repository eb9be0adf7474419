"""Xero Accounting API connector (kind `xero`): docs/connectors/xero.md."""

from connectors.xero.connector import KIND

__all__ = ["KIND"]
