"""Alembic migrations of the ledger schema (run by store.db.upgrade)."""
