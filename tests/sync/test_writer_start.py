"""A writer process (sync/page_writer.py) starts on what it uses: not Alembic (migrations never run
there) nor rich (structlog's pretty tracebacks, never printed there) — each was a share of the ~0.5 s
of CPU every writer start costs, eight of them a demo company's full sync (issue 18)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from sync import page_writer


def test_a_writer_process_imports_neither_alembic_nor_rich() -> None:
    entry = page_writer._ENTRY
    assert entry.endswith("; main(sys.argv[1])")
    probe = entry.removesuffix("; main(sys.argv[1])") + (
        "; import json; print(json.dumps(sorted({m.split('.')[0] for m in sys.modules if sys.modules[m]})))"
    )
    environment = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in sys.path if p)}
    done = subprocess.run(
        [sys.executable, "-P", "-c", probe], capture_output=True, text=True, check=True, env=environment
    )
    loaded = set(json.loads(done.stdout))
    assert {"sync", "store", "sqlalchemy", "structlog"} <= loaded  # it did import the writer
    assert not loaded & {"alembic", "mako", "rich"}
