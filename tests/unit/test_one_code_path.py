"""The CLI (sync/commands) and the web app (web/) share every code path behind them (ARCHITECTURE.md):
neither drives the sync engine, builds a connector, runs the rules after a sync or verifies the audit
chain itself (sync/admin_service.py does, for both); the quarantine reasons, their labels and the count
checks are worded in sync/stream_notes.py only; the secret-name rule is store/secrets.py's; the side
filter of a rule is store/document_filter.py's, for the run and the matching suggestions alike."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SHELLS = ("sync/commands", "web")

SERVICE_ONLY = {
    "sync.engine": {"SyncEngine"},
    "sync.bootstrap": {"build_connector"},
    "sync.reconcile_job": {"run_rules_after_sync"},
    "store.audit_log": {"verify_audit"},
    "store.digests": {"verify_documents"},
}
"""What only sync/admin_service.py (and the daemon, the demo) use: a shell asks the service instead."""


def _modules(*folders: str) -> Iterator[Path]:
    for folder in folders:
        yield from sorted((ROOT / folder).rglob("*.py"))


def _strings(path: Path) -> Iterator[str]:
    """Every string literal of the module, f-strings' literal parts included."""
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            yield node.value


def test_no_shell_drives_the_engine_builds_a_connector_or_verifies_the_audit_chain_itself() -> None:
    found = []
    for path in _modules(*SHELLS):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module in SERVICE_ONLY:
                used = {alias.name for alias in node.names} & SERVICE_ONLY[node.module]
                found += [f"{path.relative_to(ROOT)}: {node.module}.{name}" for name in sorted(used)]
    assert found == []


@pytest.mark.parametrize(
    ("text", "owner", "folders"),
    [
        ("quarantine.rule.", "sync/stream_notes.py", ("sync", "web")),
        ("quarantine.label.", "sync/stream_notes.py", ("sync", "web")),
        ("sync.count_missing", "sync/stream_notes.py", ("sync", "web")),
        ("web.connectors.count_", "sync/stream_notes.py", ("sync", "web")),
        ("{0,199}", "store/secrets.py", ("config", "store", "sync", "web")),
        ("number_prefix", "store/document_filter.py", ("store",)),
    ],
)
def test_a_rule_or_a_wording_lives_in_one_module(text: str, owner: str, folders: tuple[str, ...]) -> None:
    holders = {
        str(path.relative_to(ROOT)) for path in _modules(*folders) if any(text in s for s in _strings(path))
    }
    assert holders <= {owner}, holders
    assert owner in holders
