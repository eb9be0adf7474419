"""`ledgerbridge demo --web` in its own process: it prints the web app's address and a reviewer's and an
admin's login, serves the app over the demo database, the printed reviewer logs in, and SIGTERM stops it
with exit status 0."""

from __future__ import annotations

import json
import os
import queue
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest
import requests

pytestmark = pytest.mark.slow

SMALL = ("--orders", "150", "--customers", "12", "--seed", "7")
LOGIN = re.compile(r"(reviewer|admin) login:\s+(\S+)\s+password: (\S+)")
STARTUP_SECONDS = 240.0
REPO = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _lines(stream: object, into: queue.Queue[str]) -> None:
    for line in stream:  # type: ignore[attr-defined]
        into.put(line)


def _read_until_served(
    process: subprocess.Popen[str], printed: queue.Queue[str]
) -> tuple[dict[str, tuple[str, str]], str | None]:
    """The printed logins (role -> (name, password)) and the address, once all three are printed."""
    logins: dict[str, tuple[str, str]] = {}
    url = None
    deadline = time.monotonic() + STARTUP_SECONDS
    while url is None or not {"reviewer", "admin"} <= set(logins):
        assert process.poll() is None, f"demo exited with {process.returncode}"
        assert time.monotonic() < deadline, "demo --web never printed its address and logins"
        try:
            line = printed.get(timeout=1)
        except queue.Empty:
            continue
        if found := LOGIN.search(line):
            logins[found[1]] = (found[2], found[3])
        if "Serving on" in line:
            url = line.split("Serving on", 1)[1].split()[0]
    return logins, url


def test_demo_web_serves_the_app_and_the_printed_reviewer_logs_in(tmp_path: Path) -> None:
    port = free_port()
    command = [sys.executable, "-c", "from sync.cli import run; run()", "demo", "--lang", "en"]
    command += ["--dir", str(tmp_path / "demo"), *SMALL, "--web", "--port", str(port)]
    env = {k: v for k, v in os.environ.items() if not k.startswith("LEDGERBRIDGE_")}
    process = subprocess.Popen(
        command,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        encoding="utf-8",
        env=env,
        cwd=REPO,
    )
    printed: queue.Queue[str] = queue.Queue()
    threading.Thread(target=_lines, args=(process.stdout, printed), daemon=True).start()
    try:
        logins, url = _read_until_served(process, printed)
        assert url == f"http://127.0.0.1:{port}/"
        assert {"reviewer", "admin"} <= set(logins)
        session = requests.Session()
        for _ in range(100):
            try:
                page = session.get(url + "login", timeout=5)
                break
            except requests.ConnectionError:
                time.sleep(0.1)
        assert page.status_code == 200
        name, password = logins["reviewer"]
        token = session.cookies.get("lb_login")
        answer = session.post(
            url + "login",
            data={"username": name, "password": password, "csrf_token": token, "next": "/today"},
            allow_redirects=False,
            timeout=10,
        )
        assert answer.status_code == 303, answer.text
        assert answer.headers["location"] == "/today"
        today = session.get(url + "today", timeout=30, allow_redirects=False)
        assert today.status_code == 200
        assert name in today.text
        wrong = requests.post(
            url + "login",
            data={"username": name, "password": password + "x", "csrf_token": "t", "next": "/"},
            cookies={"lb_login": "t"},
            allow_redirects=False,
            timeout=10,
        )
        assert wrong.status_code == 401
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=30) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        if process.stdout is not None:
            process.stdout.close()


def test_each_demo_run_prints_new_passwords_and_only_they_log_in(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    from config.loader import load_config
    from store.users import SqlUserStore
    from sync.bootstrap import open_engine
    from sync.cli import main

    def run() -> dict[str, Any]:
        capsys.readouterr()
        assert main(["demo", "--dir", str(tmp_path / "demo"), "--json", *SMALL]) == 0
        document: dict[str, Any] = json.loads(capsys.readouterr().out)
        return document

    first, second = run(), run()
    assert first["web"]["url"] == "http://127.0.0.1:8080/"
    roles = {login["role"]: login for login in second["web"]["logins"]}
    assert set(roles) == {"reviewer", "admin"}
    engine = open_engine(load_config(Path(second["config"])).settings)
    try:
        users = SqlUserStore(engine)
        for old, new in zip(first["web"]["logins"], second["web"]["logins"], strict=True):
            assert old["name"] == new["name"]
            assert old["password"] != new["password"]
            assert users.check_password(new["name"], new["password"]) is not None
            assert users.check_password(old["name"], old["password"]) is None
    finally:
        engine.dispose()
