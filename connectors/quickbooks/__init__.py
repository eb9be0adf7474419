"""QuickBooks Online connector (kind `quickbooks`): docs/connectors/quickbooks.md."""

from connectors.quickbooks.connector import KIND

__all__ = ["KIND"]
