"""ledgerbridge: connectors package."""
