"""Helpers for the daemon, secret and backup end-to-end tests: configs, data files, the CLI in a
subprocess, and polling with a deadline (never sleeps as assertions)."""

from __future__ import annotations

import contextlib
import io
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

import structlog
import yaml
from sqlalchemy import Engine, text

from store.db import make_engine

T = TypeVar("T")
T0 = datetime(2026, 11, 1, tzinfo=UTC)
TEST_KEY = "fhTtaUsBvmgZ5lMIwfp_VTYZT1XyZBNxz10OXXwL-5Q="
"""A fixed Fernet key for $LEDGERBRIDGE_SECRET_KEY in subprocesses."""


def invoices(count: int, *, start: int = 1) -> list[dict[str, Any]]:
    """Canonical-shaped invoices, each modified a minute after the previous one."""
    return [
        {
            "kind": "invoice",
            "external_id": f"INV-{n}",
            "number": f"INV-{n:06d}",
            "party": {"external_id": "C1", "name": "上海申远贸易有限公司"},
            "currency": "CNY",
            "total": f"{n}.50",
            "source_modified_at": (T0 + timedelta(minutes=n)).isoformat(),
        }
        for n in range(start, start + count)
    ]


def write_jsonl(path: Path, records: Sequence[Mapping[str, Any]]) -> Path:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")
    return path


def jsonl_connector(
    name: str, path: Path, *, every_seconds: int | None = 1, page_size: int = 100
) -> dict[str, Any]:
    """A jsonl connector of one `invoices` stream, on a fast schedule (None: no schedule)."""
    schedule = None if every_seconds is None else {"every_seconds": every_seconds}
    return {
        "name": name,
        "kind": "jsonl",
        "path": str(path),
        "page_size": page_size,
        "streams": ["invoices"],
        "schedule": schedule,
    }


def write_config(path: Path, database_url: str, **sections: Any) -> Path:
    document = {"database_url": database_url, "timezone": "Asia/Shanghai", **sections}
    path.write_text(yaml.safe_dump(document, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def cli_env(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LEDGERBRIDGE_")}
    env["LEDGERBRIDGE_SECRET_KEY"] = TEST_KEY
    env.update(extra or {})
    return {k: v for k, v in env.items() if v}  # an empty value in `extra` removes the variable


def _argv(config: Path, args: Sequence[str], log_level: str) -> list[str]:
    return [
        sys.executable,
        "-c",
        "from sync.cli import run; run()",
        "--config",
        str(config),
        "--log-level",
        log_level,
        *args,
    ]


@dataclass(frozen=True)
class Invocation:
    returncode: int
    stdout: str
    stderr: str


def invoke(
    config: Path, *args: str, input_text: str | None = None, env: Mapping[str, str] | None = None
) -> Invocation:
    """The CLI in this process (fast: no interpreter start), through the same `main` as the console
    script, with stdin, stdout, stderr and the environment swapped for the call."""
    from sync.cli import main

    wanted = cli_env(env)
    saved = {k: os.environ.get(k) for k in {*wanted, *os.environ} if k.startswith("LEDGERBRIDGE_")}
    out, err = io.StringIO(), io.StringIO()
    stdin = sys.stdin
    try:
        for key in saved:
            os.environ.pop(key, None)
        os.environ.update({k: v for k, v in wanted.items() if k.startswith("LEDGERBRIDGE_")})
        sys.stdin = io.StringIO(input_text or "")
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = main(["--config", str(config), *args])
    finally:
        sys.stdin = stdin
        structlog.reset_defaults()  # configure_logging bound its output to the swapped stderr
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
    return Invocation(code, out.getvalue(), err.getvalue())


def run_cli(
    config: Path,
    *args: str,
    input_text: str | None = None,
    env: Mapping[str, str] | None = None,
    log_level: str = "info",
    timeout: float = 120,
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        _argv(config, args, log_level),
        input=input_text,
        capture_output=True,
        text=True,
        env=cli_env(env),
        timeout=timeout,
        check=False,
    )


def start_cli(
    config: Path, *args: str, stderr: Path, env: Mapping[str, str] | None = None, log_level: str = "info"
) -> subprocess.Popen[bytes]:
    with stderr.open("wb") as sink:
        return subprocess.Popen(
            _argv(config, args, log_level),
            stdout=subprocess.DEVNULL,
            stderr=sink,
            env=cli_env(env),
        )


def reap(process: subprocess.Popen[bytes]) -> None:
    """Kill a CLI subprocess a failed test left running."""
    if process.poll() is None:
        process.kill()
        process.wait()


def stop(process: subprocess.Popen[bytes], timeout: float = 30) -> tuple[int, float]:
    """SIGTERM, then wait: (exit status, seconds it took)."""
    started = time.monotonic()
    process.send_signal(signal.SIGTERM)
    try:
        status = process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
        raise
    return status, time.monotonic() - started


def wait_for(condition: Callable[[], T], *, timeout: float = 30, what: str = "condition") -> T:
    """Poll until `condition()` is truthy; fail with `what` after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(0.05)


def scalar(engine: Engine, sql: str, **params: Any) -> Any:
    with engine.connect() as conn:
        return conn.execute(text(sql), params).scalar()


def rows(engine: Engine, sql: str, **params: Any) -> list[Any]:
    with engine.connect() as conn:
        return list(conn.execute(text(sql), params))


def open_engine(url: str) -> Engine:
    return make_engine(url)
