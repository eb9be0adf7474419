"""`ledgerbridge secret`: set, list, delete secrets encrypted in the database, and rotate the key."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click
from cryptography.fernet import Fernet

from config.settings import SECRET_PREFIX, Settings
from store.audit_log import record_audit
from store.maintenance import reencrypt_all
from store.secrets import KEY_ENV, SecretBox, SqlSecretStore, is_secret_name
from sync.admin_service import set_secret as store_secret
from sync.bootstrap import secret_box
from sync.cli import AppContext, BadConfig, CommandFailed, emit_json, json_option
from sync.commands.common import actor_name, actor_option, database


@click.group("secret")
def secret_group() -> None:
    """Secrets encrypted in the database, referenced in the config as `secret:NAME`."""


@secret_group.command("set")
@click.argument("name")
@click.option("--stdin", "from_stdin", is_flag=True, help="Read the value from standard input.")
@actor_option
@click.pass_obj
def set_secret(app: AppContext, name: str, from_stdin: bool, actor: str | None) -> None:
    """Store NAME encrypted: the value is prompted for without echo, or read from stdin."""
    _check_name(app, name)
    if from_stdin or not sys.stdin.isatty():
        value = sys.stdin.read().removesuffix("\n").removesuffix("\r")
    else:
        value = click.prompt(app.text("secret.prompt", name=name), hide_input=True, confirmation_prompt=True)
    if not value:
        raise BadConfig(app.text("secret.empty", name=name))
    with database(app) as engine:
        replaced = store_secret(engine, app.config.settings, name, value, actor=actor_name(actor))
    where = secret_box(app.config.settings).where
    click.echo(app.text("secret.replaced" if replaced else "secret.stored", name=name, where=where))


@secret_group.command("list")
@json_option
@click.pass_obj
def list_secrets(app: AppContext, as_json: bool) -> None:
    """Names, when each was set, and which config references a missing one. Never the values."""
    with database(app) as engine:
        stored = SqlSecretStore(engine, secret_box(app.config.settings)).list()
    referenced = _references(app.config.settings)
    rows = [
        {"name": info.name, "set_at": info.set_at.isoformat(), "used_by": referenced.get(info.name, [])}
        for info in stored
    ]
    missing = sorted(set(referenced) - {info.name for info in stored})
    if as_json:
        emit_json({"secrets": rows, "missing": [{"name": n, "used_by": referenced[n]} for n in missing]})
        return
    if not rows and not missing:
        click.echo(app.text("secret.none"))
    for row in rows:
        used = (
            app.text("secret.used_by", users=", ".join(row["used_by"]))
            if row["used_by"]
            else app.text("secret.unused")
        )
        click.echo(app.text("secret.row", name=row["name"], set_at=row["set_at"], used=used))
    for name in missing:
        click.echo(app.text("secret.missing", name=name, users=", ".join(referenced[name])))


@secret_group.command("delete")
@click.argument("name")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@actor_option
@click.pass_obj
def delete_secret(app: AppContext, name: str, yes: bool, actor: str | None) -> None:
    """Delete the secret NAME."""
    used_by = _references(app.config.settings).get(name, [])
    if used_by and not yes:
        click.confirm(app.text("secret.confirm_delete", name=name, users=", ".join(used_by)), abort=True)
    with database(app) as engine:
        if not SqlSecretStore(engine, secret_box(app.config.settings)).delete(name):
            raise CommandFailed(app.text("secret.no_such", name=repr(name)))
        record_audit(engine, actor_name(actor), "secret.delete", {"name": name})
    click.echo(app.text("secret.deleted", name=name))


@secret_group.command("rotate-key")
@click.option(
    "--new-key-file",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help=f"Where to write the new key (required when the key comes from ${KEY_ENV}).",
)
@actor_option
@json_option
@click.pass_obj
def rotate_key(app: AppContext, new_key_file: Path | None, actor: str | None, as_json: bool) -> None:
    """Re-encrypt every secret and token under a new key, in one transaction. Stop the daemon first."""
    settings = app.config.settings
    old_box = secret_box(settings)
    from_env = bool(os.environ.get(KEY_ENV))
    current_file = None if from_env else Path(old_box.where)
    if from_env and new_key_file is None:
        raise BadConfig(app.text("secret.key_from_env", env=KEY_ENV))
    target = new_key_file or Path(f"{current_file}.new")
    new_key = Fernet.generate_key()
    _write_new_key(app, target, new_key)
    new_box = SecretBox(target, {})
    try:
        with database(app) as engine:
            counts = reencrypt_all(engine, old_box, new_box, actor_name(actor))
    except BaseException:
        target.unlink(missing_ok=True)  # nothing was re-encrypted: the old key stays the key
        raise
    if current_file is not None and new_key_file is None:
        os.replace(target, current_file)
        where = str(current_file)
        advice = app.text("secret.rotated_in_place")
    else:
        where = str(target)
        advice = (
            app.text("secret.rotated_env", path=target, env=KEY_ENV)
            if from_env
            else app.text("secret.rotated_file", path=target, current=current_file)
        )
    if as_json:
        emit_json({"reencrypted": counts, "key": where, "next": advice})
        return
    click.echo(app.text("secret.rotated", secrets=counts["secrets"], tokens=counts["tokens"]))
    click.echo(advice)


def _write_new_key(app: AppContext, path: Path, key: bytes) -> None:
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError as exc:
        raise CommandFailed(app.text("secret.new_key_exists", path=path)) from exc
    except OSError as exc:
        raise CommandFailed(app.text("secret.new_key_unwritable", path=path, error=exc.strerror)) from exc
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(key + b"\n")


def _references(settings: Settings) -> dict[str, list[str]]:
    """secret:NAME references in the config -> where they are used (`connector.field`)."""
    found: dict[str, list[str]] = {}

    def note(value: object, where: str) -> None:
        if isinstance(value, str) and value.startswith(SECRET_PREFIX):
            found.setdefault(value.removeprefix(SECRET_PREFIX), []).append(where)

    for connector in settings.connectors:
        credentials = getattr(connector, "credentials", None)
        for field, value in (credentials.model_dump() if credentials is not None else {}).items():
            note(value, f"{connector.name}.{field}")
    if settings.notifications.webhook is not None:
        note(settings.notifications.webhook.signing_secret, "notifications.webhook.signing_secret")
    if settings.notifications.email is not None:
        note(settings.notifications.email.password, "notifications.email.password")
    return found


def _check_name(app: AppContext, name: str) -> None:
    if not is_secret_name(name):
        raise BadConfig(app.text("secret.bad_name", name=repr(name)))
