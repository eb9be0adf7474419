"""`ledgerbridge sandbox serve` as ops would use it: start it, paste the printed block into a config,
test and sync the connectors against it, stop it with SIGTERM."""

from __future__ import annotations

import json
import re
import signal
import socket
import subprocess
from pathlib import Path

import pytest
import yaml

from config.loader import load_config
from tests.e2e.sync_support import cli, read_json_document, reaped, spawn

pytestmark = pytest.mark.slow

URL = re.compile(r"^(Zoho|Fxiaoke) sandbox: (http://127\.0\.0\.1:\d+)$")


def read_until_ready(process: subprocess.Popen[str]) -> tuple[dict[str, str], str]:
    """The printed sandbox URLs by vendor and the `connectors:` block, read from stdout as printed."""
    assert process.stdout is not None
    urls: dict[str, str] = {}
    block: list[str] = []
    in_block = False
    for raw in process.stdout:
        line = raw.rstrip("\n")
        found = URL.match(line)
        if found:
            urls[found.group(1)] = found.group(2)
        if line == "connectors:":
            in_block = True
        if in_block and line.startswith("Then try:"):
            return urls, "\n".join(block) + "\n"
        if in_block:
            block.append(line)
    raise AssertionError(f"sandbox serve ended before it was ready: {process.wait()}")


def stop(process: subprocess.Popen[str]) -> tuple[int, str]:
    process.send_signal(signal.SIGTERM)
    _, err = process.communicate(timeout=20)
    return process.returncode, err


def test_the_printed_block_syncs_every_connector_and_sigterm_stops_it_cleanly(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    config = tmp_path / "ledgerbridge.yaml"
    config.write_text("", encoding="utf-8")  # spawn runs in the config's directory
    with reaped() as processes:
        process = spawn(config, "--lang", "en", "sandbox", "serve", "--port", "0", "--seed", "5")
        processes.append(process)
        urls, block = read_until_ready(process)
        assert set(urls) == {"Zoho", "Fxiaoke"}
        assert urls["Zoho"] != urls["Fxiaoke"]
        config.write_text(
            f"database_url: sqlite:///{tmp_path / 'lb.db'}\nlocale: en\n\n{block}", encoding="utf-8"
        )
        settings = load_config(config, environ={}).settings
        assert [c.name for c in settings.connectors] == ["zoho-crm", "zoho-books", "fxiaoke"]
        assert cli(capsys, config, "init").code == 0
        for name in ("zoho-crm", "zoho-books", "fxiaoke"):
            tested = cli(capsys, config, "connector", "test", name)
            assert tested.code == 0, (name, tested.out, tested.err)
        synced = cli(
            capsys, config, "sync", "run", "--connector", "fxiaoke", "--connector", "zoho-books", "--json"
        )
        assert synced.code == 0, synced.err
        runs = json.loads(synced.out)["runs"]
        assert {run["status"] for run in runs} == {"ok"}
        fetched = {(run["connector"], run["stream"]): run["fetched"] for run in runs}
        assert fetched[("fxiaoke", "sales_orders")] > 0
        assert fetched[("zoho-books", "invoices")] > 0
        code, err = stop(process)
        assert code == 0, err
        assert "sandboxes stopped" in err
        with socket.socket() as probe:  # the port is closed again
            host, port = urls["Zoho"].removeprefix("http://").split(":")
            assert probe.connect_ex((host, int(port))) != 0


def test_one_vendor_on_a_chosen_port_prints_only_its_connector(tmp_path: Path) -> None:
    config = tmp_path / "ledgerbridge.yaml"
    config.write_text("", encoding="utf-8")
    with socket.socket() as free:
        free.bind(("127.0.0.1", 0))
        port = free.getsockname()[1]
    with reaped() as processes:
        process = spawn(
            config, "--lang", "en", "sandbox", "serve", "--vendor", "fxiaoke", "--port", str(port)
        )
        processes.append(process)
        urls, block = read_until_ready(process)
        assert urls == {"Fxiaoke": f"http://127.0.0.1:{port}"}
        connectors = yaml.safe_load(block)["connectors"]
        assert [c["name"] for c in connectors] == ["fxiaoke"]
        assert connectors[0]["endpoints"] == {"base_url": f"http://127.0.0.1:{port}"}
        taken = spawn(config, "--lang", "en", "sandbox", "serve", "--vendor", "fxiaoke", "--port", str(port))
        processes.append(taken)
        _, err = taken.communicate(timeout=60)
        assert taken.returncode == 2
        assert f"port {port} cannot be used" in err
        code, _ = stop(process)
        assert code == 0


def test_ctrl_c_is_a_clean_stop_too_and_json_says_the_same_for_scripts(tmp_path: Path) -> None:
    config = tmp_path / "ledgerbridge.yaml"
    config.write_text("", encoding="utf-8")
    with reaped() as processes:
        process = spawn(config, "sandbox", "serve", "--vendor", "zoho", "--json", "--size", "small")
        processes.append(process)
        document = read_json_document(process)
        url = document["sandboxes"]["zoho"]["url"]
        assert document["sandboxes"]["zoho"]["connectors"] == ["zoho-crm", "zoho-books"]
        assert [c["endpoints"]["api_url"] for c in yaml.safe_load(document["config"])["connectors"]] == [
            url,
            url,
        ]
        process.send_signal(signal.SIGINT)
        process.communicate(timeout=20)
        assert process.returncode == 0
