"""The contract "the store is the only owner of SQL" (pyproject.toml) names every table module: a new
store/*tables.py module that it does not name could be imported by the shell unnoticed."""

from __future__ import annotations

import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _contract() -> dict[str, list[str]]:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    contracts = config["tool"]["importlinter"]["contracts"]
    found: dict[str, list[str]] = next(
        c for c in contracts if c["name"] == "the store is the only owner of SQL"
    )
    return found


def test_every_table_module_and_database_library_is_forbidden_outside_the_store() -> None:
    forbidden = set(_contract()["forbidden_modules"])
    table_modules = {f"store.{path.stem}" for path in (ROOT / "store").glob("*tables.py")}
    assert table_modules, "no table module found: the glob is wrong"
    assert table_modules | {"sqlalchemy", "alembic", "psycopg", "store.schema"} <= forbidden


def test_every_package_but_the_store_is_held_to_it() -> None:
    packages = {p.name for p in ROOT.iterdir() if (p / "__init__.py").exists()} - {"store", "tests", "bench"}
    assert packages <= set(_contract()["source_modules"])
