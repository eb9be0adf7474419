"""PostgreSQL: the four foreign keys a page write checks row by row (lines, allocations and revisions of a
document, a revision's sync run) become statement-level triggers over each statement's transition table,
one anti-join per COPY instead of one lookup and KEY SHARE lock per row (issue 18, ADR 0037). SQLite keeps
its foreign keys unchanged. The downgrade puts the constraints back.

Revision ID: 0016
Revises: 0015 (bank statement file reasons)
Create Date: 2026-12-05
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

from store.statement_keys import FOREIGN_KEYS, constraint_name, function_names, install

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return  # SQLite checks its foreign keys in-process, per row, cheaply: they stay
    for child, column, parent, _ in FOREIGN_KEYS:
        op.drop_constraint(constraint_name(child, column, parent), child, type_="foreignkey")
    install(op.get_bind())


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for function in function_names():
        op.execute(f"DROP FUNCTION {function}() CASCADE")  # CASCADE: the triggers that run it
    for child, column, parent, on_delete in FOREIGN_KEYS:
        op.create_foreign_key(
            constraint_name(child, column, parent),
            child,
            parent,
            [column],
            ["id"],
            ondelete=None if on_delete == "NO ACTION" else on_delete,
        )
