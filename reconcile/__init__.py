"""ledgerbridge: reconcile package."""
