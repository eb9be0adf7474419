"""Benchmarks: `python -m bench.<name>` (performance is measured here, never in timed unit tests)."""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any


def in_fresh_process(module: str, n: int) -> dict[str, Any]:
    """`python -m <module> --one <n>` in a fresh interpreter (its own peak RSS, no warm caches) and
    the JSON measurement it prints. The measurement is the last line: a warning logged to stdout (a lock
    renewal delayed by a slow million-row phase) must not cost a run of several minutes."""
    output = subprocess.run(
        [sys.executable, "-m", module, "--one", str(n)], check=True, capture_output=True, text=True
    ).stdout
    return dict(json.loads(output.strip().splitlines()[-1]))
