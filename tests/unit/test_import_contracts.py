"""The import contracts say what they check: planted imports break exactly the contract that forbids them."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("config", "store", "connectors", "reconcile", "sync", "bench", "web")
SHARED_UNDER_CONNECTORS = {"sandbox"}
"""Packages under connectors/ that are not vendors (every other one must be in the independence contract)."""

STORE = "connectors and reconcile reach the store only through its canonical vocabulary"
VENDORS = "vendor packages are independent of each other"
SANDBOX = "product code never imports the sandboxes (only the demo and `sandbox serve` do)"
BENCH = "nothing imports bench"

PLANTED = {
    # module file -> the line planted at its end, and the contract it must break
    "reconcile/findings.py": ("import store.codec", STORE),
    "connectors/zoho/normalize.py": ("import store.brand_new_module", STORE),
    "connectors/zoho/books.py": ("import store.discrepancies", STORE),
    "connectors/fxiaoke/paging.py": ("import connectors.zoho.auth", VENDORS),
    "sync/health.py": ("import connectors.sandbox.generator", SANDBOX),
    "reconcile/aging.py": ("import bench.report", BENCH),
}


def _contracts() -> list[dict[str, object]]:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    contracts: list[dict[str, object]] = config["tool"]["importlinter"]["contracts"]
    return contracts


@pytest.fixture(scope="module")
def planted_report(tmp_path_factory: pytest.TempPathFactory) -> str:
    """lint-imports over a copy of the code with the PLANTED imports (and a new store module) added."""
    copy = tmp_path_factory.mktemp("planted")
    shutil.copy(ROOT / "pyproject.toml", copy / "pyproject.toml")
    for package in PACKAGES:
        shutil.copytree(ROOT / package, copy / package, ignore=shutil.ignore_patterns("__pycache__"))
    (copy / "store" / "brand_new_module.py").write_text('"""A store module added after the contract."""\n')
    for relative, (line, _) in PLANTED.items():
        with (copy / relative).open("a", encoding="utf-8") as module:
            module.write(f"\n{line}  # planted\n")
    lint = Path(sys.executable).with_name("lint-imports")
    done = subprocess.run(  # our own venv's lint-imports, on a temporary copy
        [str(lint), "--no-cache"], cwd=copy, capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 1, done.stdout + done.stderr
    return done.stdout


def _verdict(report: str, name: str) -> str:
    flat = " ".join(report.split())  # the report wraps long contract names
    match = re.search(re.escape(" ".join(name.split())) + r"\s*(KEPT|BROKEN)", flat)
    assert match, f"contract {name!r} not in the report:\n{report}"
    return match[1]


def test_reconcile_importing_store_codec_breaks_the_store_contract(planted_report: str) -> None:
    assert _verdict(planted_report, STORE) == "BROKEN"
    assert "reconcile.findings -> store.codec" in planted_report


def test_a_store_module_added_after_the_contract_is_protected_too(planted_report: str) -> None:
    assert "connectors.zoho.normalize -> store.brand_new_module" in planted_report


def test_connectors_are_granted_the_documents_only_not_the_findings_vocabulary(planted_report: str) -> None:
    assert "connectors.zoho.books -> store.discrepancies" in planted_report


def test_one_vendor_importing_another_breaks_their_independence(planted_report: str) -> None:
    assert _verdict(planted_report, VENDORS) == "BROKEN"
    assert "connectors.fxiaoke.paging -> connectors.zoho.auth" in planted_report


def test_product_code_importing_a_sandbox_breaks_the_sandbox_contract(planted_report: str) -> None:
    assert _verdict(planted_report, SANDBOX) == "BROKEN"
    assert "sync.health -> connectors.sandbox.generator" in planted_report


def test_product_code_importing_bench_breaks_the_bench_contract(planted_report: str) -> None:
    assert _verdict(planted_report, BENCH) == "BROKEN"
    assert "reconcile.aging -> bench.report" in planted_report


def test_the_contracts_nobody_planted_against_stay_kept(planted_report: str) -> None:
    planted = {contract for _, contract in PLANTED.values()}
    untouched = [str(c["name"]) for c in _contracts() if c["name"] not in planted]
    assert untouched
    assert all(_verdict(planted_report, name) == "KEPT" for name in untouched)


def test_every_vendor_package_is_in_the_independence_contract() -> None:
    [contract] = [c for c in _contracts() if c["name"] == VENDORS]
    listed = set(contract["modules"])  # type: ignore[call-overload]
    packages = {
        f"connectors.{path.parent.name}"
        for path in (ROOT / "connectors").glob("*/__init__.py")
        if path.parent.name not in SHARED_UNDER_CONNECTORS
    }
    assert packages == listed, (
        "a package under connectors/ is either a vendor (add it to the independence contract in"
        " pyproject.toml) or shared by all vendors (add it to SHARED_UNDER_CONNECTORS here)"
    )
