"""The shell's background modules (engine, daemon, health, reports, demo, wiring) reach the database
only through the store's repositories: none of them imports SQLAlchemy or a table module (issue 16)."""

from __future__ import annotations

import grimp
import pytest

BACKGROUND = (
    "sync.bootstrap",
    "sync.daemon",
    "sync.demo",
    "sync.engine",
    "sync.health",
    "sync.ledger_report_job",
    "sync.notify",
    "sync.page_writer",
    "sync.reconcile_job",
    "sync.report_job",
    "sync.schedules",
)


@pytest.fixture(scope="module")
def graph() -> grimp.ImportGraph:
    return grimp.build_graph(
        "config", "store", "connectors", "reconcile", "sync", include_external_packages=True
    )


def _sql(module: str) -> bool:
    """SQLAlchemy, or where the store keeps its tables and schema."""
    name = module.split(".")
    return name[0] in ("sqlalchemy", "alembic", "psycopg") or (
        name[0] == "store" and len(name) > 1 and (name[1] == "schema" or name[1].endswith("tables"))
    )


@pytest.mark.parametrize("module", BACKGROUND)
def test_a_background_module_imports_neither_sqlalchemy_nor_the_stores_tables(
    graph: grimp.ImportGraph, module: str
) -> None:
    imported = graph.find_modules_directly_imported_by(module)
    assert sorted(m for m in imported if _sql(m)) == []
