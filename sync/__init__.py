"""ledgerbridge: sync package."""
