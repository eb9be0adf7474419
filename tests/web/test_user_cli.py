"""`ledgerbridge user`: passwords from stdin (never argv), argon2id in the database, disable and
reset-password end sessions, and every change is in the audit log with the OS user as actor."""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from pathlib import Path

import pytest
from argon2 import PasswordHasher
from sqlalchemy import Engine, select

from config.settings import Settings
from store.audit_log import list_audit, verify_audit
from store.users import PasswordHashing
from store.web_tables import users
from tests.e2e.report_support import Ran, run_cli
from tests.web.conftest import WebClient

FAST_HASHER = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)

NEW_PASSWORD = "a much longer passphrase"


@pytest.fixture(autouse=True)
def _fast_hashes(monkeypatch: pytest.MonkeyPatch) -> None:
    """The CLI's hasher at test parameters (still argon2id); the defaults are checked once below."""
    monkeypatch.setattr("store.users.PasswordHasher", lambda: FAST_HASHER)


def test_the_default_hasher_is_argon2id_at_argon2_cffis_recommended_parameters() -> None:
    hashed = PasswordHashing(PasswordHasher()).hash("long enough")
    assert hashed.startswith("$argon2id$v=19$m=65536,t=3,p=4$")


@pytest.fixture
def config(tmp_path: Path, web_settings: Settings, web_engine: Engine) -> Path:
    path = tmp_path / "ledgerbridge.yaml"
    path.write_text(
        f"database_url: {web_settings.database_url}\nsecret_key_file: {web_settings.secret_key_file}\n",
        encoding="utf-8",
    )
    return path


def _user(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    config: Path,
    *args: str,
    stdin: str = "",
) -> Ran:
    monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
    return run_cli(capsys, config, ["--lang", "en", "user", *args])


def test_add_reads_the_password_from_stdin_and_stores_only_an_argon2id_hash(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, config: Path, web_engine: Engine
) -> None:
    ran = _user(
        capsys, monkeypatch, config, "add", "li.na", "--role", "reviewer", "--stdin", stdin="s3cret-pass\n"
    )
    assert ran.status == 0, ran.err
    assert "user li.na added as reviewer" in ran.out
    with web_engine.connect() as conn:
        stored = conn.execute(select(users.c.password_hash).where(users.c.name == "li.na")).scalar_one()
    assert stored.startswith("$argon2id$")
    assert "s3cret-pass" not in stored


def test_add_refuses_a_short_password_a_taken_name_and_an_unknown_role(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, config: Path
) -> None:
    assert _user(capsys, monkeypatch, config, "add", "x", "--role", "viewer", stdin="short\n").status == 2
    assert (
        _user(capsys, monkeypatch, config, "add", "x", "--role", "viewer", stdin="long enough\n").status == 0
    )
    taken = _user(capsys, monkeypatch, config, "add", "x", "--role", "admin", stdin="long enough\n")
    assert taken.status == 1
    assert "a user named x exists" in taken.err
    assert (
        _user(capsys, monkeypatch, config, "add", "y", "--role", "owner", stdin="long enough\n").status == 2
    )


def test_list_shows_roles_and_states_and_never_a_hash(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, config: Path
) -> None:
    _user(capsys, monkeypatch, config, "add", "ada", "--role", "admin", stdin="long enough\n")
    _user(capsys, monkeypatch, config, "add", "vera", "--role", "viewer", stdin="long enough\n")
    _user(capsys, monkeypatch, config, "disable", "vera")
    listed = json.loads(_user(capsys, monkeypatch, config, "list", "--json").out)["users"]
    assert [(u["name"], u["role"], u["disabled_at"] is None) for u in listed] == [
        ("ada", "admin", True),
        ("vera", "viewer", False),
    ]
    text = _user(capsys, monkeypatch, config, "list").out
    assert "argon2" not in text
    assert "vera\tviewer\tdisabled" in text


def test_a_disabled_user_cannot_log_in_and_reset_password_replaces_the_old_one(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    config: Path,
    make_client: Callable[..., WebClient],
) -> None:
    _user(capsys, monkeypatch, config, "add", "bo", "--role", "reviewer", stdin="first password\n")
    browser = make_client()
    assert browser.login("bo", "first password").status_code == 303
    assert _user(capsys, monkeypatch, config, "disable", "bo").status == 0
    assert browser.post("/logout").headers["location"].startswith("/login")  # its session ended
    assert make_client().login("bo", "first password").status_code == 401
    assert _user(capsys, monkeypatch, config, "enable", "bo").status == 0
    assert make_client().login("bo", "first password").status_code == 303
    reset = _user(capsys, monkeypatch, config, "reset-password", "bo", stdin=NEW_PASSWORD + "\n")
    assert reset.status == 0
    assert "password of bo reset" in reset.out
    assert make_client().login("bo", "first password").status_code == 401
    assert make_client().login("bo", NEW_PASSWORD).status_code == 303


def test_changes_to_unknown_users_fail_with_their_name(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, config: Path
) -> None:
    for command in ("disable", "enable"):
        ran = _user(capsys, monkeypatch, config, command, "ghost")
        assert ran.status == 1
        assert "no user named ghost" in ran.err
    ran = _user(capsys, monkeypatch, config, "reset-password", "ghost", stdin="long enough\n")
    assert ran.status == 1


def test_every_user_change_is_audited_with_the_acting_os_user_and_the_chain_verifies(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, config: Path, web_engine: Engine
) -> None:
    _user(
        capsys,
        monkeypatch,
        config,
        "add",
        "bo",
        "--role",
        "viewer",
        "--as",
        "ops-anna",
        stdin="long enough\n",
    )
    _user(capsys, monkeypatch, config, "disable", "bo", "--as", "ops-anna")
    _user(capsys, monkeypatch, config, "enable", "bo", "--as", "ops-anna")
    _user(capsys, monkeypatch, config, "reset-password", "bo", "--as", "ops-anna", stdin="another one\n")
    entries = [e for e in reversed(list_audit(web_engine)) if e.action.startswith("user.")]
    assert [(e.actor, e.action, e.detail["user"]) for e in entries[-4:]] == [
        ("ops-anna", "user.add", "bo"),
        ("ops-anna", "user.disable", "bo"),
        ("ops-anna", "user.enable", "bo"),
        ("ops-anna", "user.reset_password", "bo"),
    ]
    assert all("long enough" not in json.dumps(dict(e.detail)) for e in entries)
    assert verify_audit(web_engine).ok


def test_the_chinese_cli_says_it_in_chinese(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, config: Path
) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO("long enough\n"))
    ran = run_cli(capsys, config, ["--lang", "zh", "user", "add", "bo", "--role", "admin"])
    assert ran.status == 0
    assert "已添加用户 bo，角色：管理员" in ran.out
