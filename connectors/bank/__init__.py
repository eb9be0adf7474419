"""Bank statement files (camt.053, MT940, OFX/QFX, CSV/XLSX) as canonical bank transactions (issue 21)."""

from connectors.bank.connector import KIND, BankStatementConnector, build

__all__ = ["KIND", "BankStatementConnector", "build"]
