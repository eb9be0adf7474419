"""Helpers for the tests of the writer processes (test_page_writer, test_writer_pool, test_writer_pair):
this process's children as /proc lists them, and waiting for a condition."""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any


def children() -> set[int]:
    """The live or unreaped (zombie) child processes of this process (Linux /proc)."""
    mine, found = os.getpid(), set()
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            stat = Path(entry.path, "stat").read_text(encoding="ascii")
        except OSError:  # gone meanwhile
            continue
        if int(stat.rsplit(")", 1)[1].split()[1]) == mine:
            found.add(int(entry.name))
    return found


def exited(child: Any) -> bool:
    """Whether a writer process (the parent's `_Child` handle) has exited."""
    return child._process.poll() is not None


def wait_for(condition: Callable[[], bool], timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)
