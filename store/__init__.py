"""ledgerbridge: store package."""
