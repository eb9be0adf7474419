"""`ledgerbridge web`: loopback by default, a warning for an exposed bind, proxy headers only when asked;
and the daemon's hook serves the app on a thread."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine

from config.settings import Settings
from tests.e2e.report_support import run_cli
from tests.e2e.test_demo_web import REPO, free_port
from web.serve import exposed, is_loopback, start_in_background


@pytest.mark.parametrize(
    ("host", "proxy", "warned"),
    [
        ("127.0.0.1", False, False),
        ("::1", False, False),
        ("localhost", False, False),
        ("0.0.0.0", False, True),
        ("10.1.2.3", False, True),
        ("0.0.0.0", True, False),
        ("web.local", False, True),
    ],
)
def test_a_bind_reachable_from_other_machines_without_a_proxy_is_warned_about(
    host: str, proxy: bool, warned: bool
) -> None:
    assert exposed(host, proxy) is warned
    assert is_loopback(host) is (host in {"127.0.0.1", "::1", "localhost"})


class _Server:
    def __init__(self, **kwargs: Any) -> None:
        self.kwargs = kwargs
        self.ran = False

    def run(self) -> None:
        self.ran = True


def test_the_web_command_serves_with_the_options_given_and_warns(
    tmp_path: Path,
    web_settings: Settings,
    web_engine: Engine,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    made: list[_Server] = []

    def fake(settings: Settings, engine: Engine, **kwargs: Any) -> _Server:
        made.append(_Server(**kwargs))
        return made[-1]

    monkeypatch.setattr("web.serve.make_server", fake)
    config = tmp_path / "ledgerbridge.yaml"
    config.write_text(
        f"database_url: {web_settings.database_url}\nsecret_key_file: {web_settings.secret_key_file}\n",
        encoding="utf-8",
    )
    quiet = run_cli(capsys, config, ["--lang", "en", "web"])
    assert quiet.status == 0, quiet.err
    assert made[-1].ran
    assert made[-1].kwargs == {"host": "127.0.0.1", "port": 8080, "proxy_headers": False}
    assert "serving on http://127.0.0.1:8080/" in quiet.err
    assert "no users yet" in quiet.err
    assert "reachable from other machines" not in quiet.err
    loud = run_cli(capsys, config, ["--lang", "en", "web", "--host", "0.0.0.0", "--port", "9000"])
    assert "0.0.0.0 is reachable from other machines" in loud.err
    proxied = run_cli(capsys, config, ["--lang", "en", "web", "--host", "0.0.0.0", "--proxy-headers"])
    assert "reachable from other machines" not in proxied.err
    assert made[-1].kwargs["proxy_headers"] is True


def test_the_daemon_hook_serves_the_app_on_a_thread_until_stopped(
    web_settings: Settings, web_engine: Engine
) -> None:
    web = start_in_background(web_settings, web_engine, host="127.0.0.1", port=0)
    try:
        host, port = web.address
        with urllib.request.urlopen(f"http://{host}:{port}/web/health", timeout=5) as answer:
            assert json.loads(answer.read()) == {"status": "ok", "database": "ok"}
            assert answer.headers["X-Frame-Options"] == "DENY"
    finally:
        web.stop()
    assert not web.thread.is_alive()


def test_the_daemon_serves_the_web_app_when_daemon_web_is_enabled(
    web_settings: Settings, web_engine: Engine
) -> None:
    import threading

    from sync.daemon import Daemon

    daemon_settings = web_settings.daemon.model_copy(
        update={"web": web_settings.daemon.web.model_copy(update={"enabled": True, "port": 0})}
    )
    settings = web_settings.model_copy(
        update={"daemon": daemon_settings, "reconcile": type(web_settings.reconcile)()}
    )
    daemon = Daemon(settings, web_engine)
    answers: list[dict[str, str]] = []

    def ready(running: Daemon) -> None:
        address = running.web_address
        assert address is not None
        with urllib.request.urlopen(f"http://{address[0]}:{address[1]}/web/health", timeout=5) as answer:
            answers.append(json.loads(answer.read()))
        running.stop()

    thread = threading.Thread(target=daemon.run, kwargs={"ready": ready})
    thread.start()
    thread.join(30)
    assert not thread.is_alive()
    assert answers == [{"status": "ok", "database": "ok"}]
    assert not daemon._web.thread.is_alive()  # stopped with the daemon


def test_the_daemon_serves_no_web_app_by_default(web_settings: Settings, web_engine: Engine) -> None:
    from sync.daemon import Daemon

    assert Daemon(web_settings, web_engine).web_address is None
    assert web_settings.daemon.web.enabled is False


def test_the_web_command_stops_on_sigterm_with_exit_status_0(tmp_path: Path, web_settings: Settings) -> None:
    """uvicorn re-raises the signal it caught after shutting down; asked to stop is not a death by signal."""
    config = tmp_path / "ledgerbridge.yaml"
    config.write_text(
        f"database_url: {web_settings.database_url}\nsecret_key_file: {web_settings.secret_key_file}\n",
        encoding="utf-8",
    )
    port = free_port()
    command = [
        sys.executable,
        "-c",
        "from sync.cli import run; run()",
        "--config",
        str(config),
        "--lang",
        "en",
    ]
    env = {k: v for k, v in os.environ.items() if not k.startswith("LEDGERBRIDGE_")}
    process = subprocess.Popen(
        [*command, "web", "--port", str(port)], stderr=subprocess.DEVNULL, env=env, cwd=REPO
    )
    try:
        for _ in range(300):
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/login", timeout=5) as page:
                    assert page.status == 200
                break
            except OSError:
                assert process.poll() is None, "ledgerbridge web exited before answering"
                time.sleep(0.1)
        else:
            pytest.fail("ledgerbridge web never answered")
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=30) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
