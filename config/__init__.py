"""ledgerbridge: config package."""
