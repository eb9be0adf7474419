"""`ledgerbridge backup PATH` and `ledgerbridge restore PATH`: consistent copies of the ledger, and a
restore that accepts only a ledgerbridge database of a schema version this code knows."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from contextlib import ExitStack
from datetime import UTC, datetime
from pathlib import Path

import click

from store.audit_log import record_audit
from store.backups import (
    CopyFailed,
    ForeignFile,
    Head,
    copy_sqlite,
    pg_dump_contents,
    pg_dump_revision,
    reinstall_triggers,
    restore_sqlite,
    sqlite_contents,
    sqlite_revision,
    without_triggers,
)
from store.db import (
    Engine,
    create_owner_only,
    current_revision,
    database_name,
    describe,
    head_revision,
    is_sqlite,
    libpq_url,
)
from store.integrity import Seal, read_anchor, seal_of, write_anchor
from store.locks import LockHeld
from store.maintenance import release_all_leases
from sync.bootstrap import secret_box
from sync.cli import AppContext, BadConfig, CommandFailed, emit_json, json_option
from sync.commands.common import actor_name, actor_option, database
from sync.restore_safety import (
    UnsafeBackup,
    check_key,
    check_pg_listing,
    check_sqlite_schema,
    every_lock,
    write_manifest,
)

_SQLITE_MAGIC = b"SQLite format 3\x00"
_PGDUMP_MAGIC = b"PGDMP"


@click.command("backup")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--force", is_flag=True, help="Replace PATH if it exists.")
@actor_option
@json_option
@click.pass_obj
def backup(app: AppContext, path: Path, force: bool, actor: str | None, as_json: bool) -> None:
    """Write a consistent copy of the database to PATH, safe while the daemon runs.

    SQLite: the online backup API. PostgreSQL: pg_dump (custom format) when it is installed."""
    if path.exists() and not force:
        raise BadConfig(app.text("backup.exists", path=path))
    with database(app) as engine:
        if is_sqlite(engine):
            revision = _sqlite_backup(app, _sqlite_file(app, engine), path)
            kind = "sqlite"
        else:
            _pg_dump(app, engine, path)
            revision, kind = head_revision(), "pg_dump"
        _, head = (
            sqlite_contents(path)
            if kind == "sqlite"
            else pg_dump_contents(_tool(app, "pg_restore", "backup"), path)
        )
        manifest = {
            "format": kind,
            "revision": revision,
            "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "audit_head": None if head is None else head.as_json(),
            "seal_key": seal_of(engine).fingerprint,
        }
        manifest_file = write_manifest(path, manifest)
        record_audit(
            engine,
            actor_name(actor),
            "backup.create",
            {"path": str(path.resolve()), "format": kind, "audit_head": manifest["audit_head"]},
        )
    size = path.stat().st_size
    if as_json:
        emit_json(
            {
                "path": str(path),
                "format": kind,
                "bytes": size,
                "revision": revision,
                "manifest": str(manifest_file),
                "audit_head": manifest["audit_head"],
            }
        )
    else:
        click.echo(app.text("backup.written", path=path, kind=kind, size=f"{size:,}", revision=revision))
        if head is not None:
            click.echo(app.text("backup.audit_head", seq=head.seq, mac=head.mac, manifest=manifest_file))


@click.command("restore")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--yes", is_flag=True, help="Replace the current database without asking.")
@actor_option
@json_option
@click.pass_obj
def restore(app: AppContext, path: Path, yes: bool, actor: str | None, as_json: bool) -> None:
    """Replace the database with the backup at PATH, after checking it is a ledgerbridge database of a
    known schema version, with no trigger, view or function ledgerbridge did not create, made under this
    installation's key. Takes the daemon's and every connector's lock first: refuses while a daemon, a
    sync or a token refresh holds one (ADR 0020)."""
    settings = app.config.settings
    with database(app, check_schema=False) as engine:
        sqlite = is_sqlite(engine)
        try:
            revision = _check_backup(app, path, sqlite=sqlite)
        except ForeignFile as exc:
            reason = app.text("restore.not_a_backup", detail=exc)
            raise CommandFailed(app.text("restore.refused", path=path, reason=reason)) from exc
        box, seal = secret_box(settings), seal_of(engine)
        try:
            if sqlite:
                check_sqlite_schema(path, revision)
                ciphertexts, head = sqlite_contents(path)
            else:
                tool = _tool(app, "pg_restore", "the restore on a host that has pg_restore")
                check_pg_listing(_pg_listing(tool, path))
                ciphertexts, head = pg_dump_contents(tool, path)
            check_key(ciphertexts, head, box, seal)
        except UnsafeBackup as exc:
            reason = exc.words(app.catalogue)
            raise BadConfig(app.text("restore.refused", path=path, reason=reason)) from exc
        if not yes:
            click.confirm(app.text("restore.confirm", database=describe(engine), path=path), abort=True)
        with ExitStack() as locks:
            if current_revision(engine) is not None:  # an empty database has no lease table, no daemon
                try:
                    locks.enter_context(every_lock(engine, [c.name for c in settings.connectors]))
                except LockHeld as exc:
                    raise CommandFailed(app.text("restore.locked", lock=exc)) from exc
            previous = read_anchor(seal.head_file) if seal.head_file is not None else None
            if sqlite:
                _sqlite_restore(app, path, _sqlite_file(app, engine))
                release_all_leases(engine)  # the copy's leases are not held by anyone here
            else:
                _pg_restore(app, engine, path)
            _reset_anchor(seal, head)
        engine.dispose()
        behind = revision != head_revision()
        if not behind:  # an older schema has no audit log yet: `db upgrade` first
            detail = {
                "path": str(path.resolve()),
                "revision": revision,
                "previous_audit_head": None if previous is None else previous.seq,
            }
            record_audit(engine, actor_name(actor), "backup.restore", detail)
    advice = app.text("restore.needs_upgrade") if behind else ""
    if as_json:
        emit_json({"restored": str(path), "revision": revision, "needs_upgrade": behind})
    else:
        click.echo(app.text("restore.done", path=path, revision=revision, advice=advice))


def _reset_anchor(seal: Seal, head: Head | None) -> None:
    """The head file follows the restored log (its end is what the backup held); a log from before
    sealing has none until its first sealed entry."""
    if seal.head_file is None:
        return
    if head is not None and head.scheme.startswith("hmac-sha256:") and head.seq > 0:
        write_anchor(seal.head_file, head.seq, head.mac)
    else:
        seal.head_file.unlink(missing_ok=True)


def _pg_listing(tool: str, path: Path) -> str:
    listing = subprocess.run(  # noqa: S603 - fixed tool, arguments passed as a list
        [tool, "--list", str(path)], capture_output=True, text=True, check=False
    )
    return listing.stdout


# ----------------------------------------------------------------------------- SQLite


def _sqlite_file(app: AppContext, engine: Engine) -> Path:
    database = database_name(engine)
    if not database or database == ":memory:":
        raise BadConfig(app.text("errors.memory_database"))
    return Path(database)


def _sqlite_backup(app: AppContext, source: Path, target: Path) -> str:
    """Copy page by page with SQLite's online backup API into a temporary file, check it, then move it
    into place: a reader never sees a half-written backup."""
    partial = target.with_name(f".{target.name}.partial")
    partial.unlink(missing_ok=True)
    create_owner_only(partial)  # 0600 like the key, whatever the umask: a backup is the whole ledger
    try:
        copy_sqlite(source, partial)
        revision = _check_backup(app, partial, sqlite=True)
        os.replace(partial, target)
    except (CopyFailed, OSError, ForeignFile) as exc:
        partial.unlink(missing_ok=True)
        raise CommandFailed(app.text("backup.failed", error=exc)) from exc
    return revision


def _sqlite_restore(app: AppContext, backup_file: Path, live: Path) -> None:
    try:
        restore_sqlite(backup_file, live)
    except CopyFailed as exc:
        raise CommandFailed(app.text("restore.failed", error=exc)) from exc


def _check_backup(app: AppContext, path: Path, *, sqlite: bool) -> str:
    """The schema revision of a backup file, or ForeignFile saying why it is not usable here."""
    with path.open("rb") as handle:
        head = handle.read(16)
    if sqlite:
        if head != _SQLITE_MAGIC:
            hint = (
                " (it is a pg_dump file: restore it into PostgreSQL)"
                if head.startswith(_PGDUMP_MAGIC)
                else ""
            )
            raise ForeignFile(f"not a SQLite database{hint}")
        return sqlite_revision(path)
    if not head.startswith(_PGDUMP_MAGIC):
        raise ForeignFile("not a pg_dump custom-format file (`ledgerbridge backup` on PostgreSQL writes one)")
    return _pg_dump_revision(app, path)


# ----------------------------------------------------------------------------- PostgreSQL


def _libpq(engine: Engine) -> tuple[str, dict[str, str]]:
    """A libpq URL without the password, and the environment carrying it (never on a command line)."""
    plain, password = libpq_url(engine)
    environ = dict(os.environ)
    if password:
        environ["PGPASSWORD"] = password
    return plain, environ


def _tool(app: AppContext, name: str, fallback: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise CommandFailed(app.text("backup.tool_missing", tool=name, fallback=fallback))
    return found


def _pg_dump(app: AppContext, engine: Engine, path: Path) -> None:
    url, environ = _libpq(engine)
    tool = _tool(app, "pg_dump", f"`pg_dump --format=custom --file {path} '{url}'` on a host that has it")
    partial = path.with_name(f".{path.name}.partial")
    partial.unlink(missing_ok=True)
    create_owner_only(partial)  # pg_dump writes into it and keeps the mode: 0600, like the key
    result = subprocess.run(  # noqa: S603 - fixed tool, arguments passed as a list
        [tool, "--format=custom", "--no-owner", "--file", str(partial), "--dbname", url],
        env=environ,
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        partial.unlink(missing_ok=True)
        reason = (
            result.stderr.strip().splitlines()[-1] if result.stderr.strip() else f"exit {result.returncode}"
        )
        raise CommandFailed(app.text("backup.pg_dump_failed", reason=reason))
    os.replace(partial, path)


def _pg_dump_revision(app: AppContext, path: Path) -> str:
    return pg_dump_revision(_tool(app, "pg_restore", "the restore on a host that has pg_restore"), path)


def _pg_restore(app: AppContext, engine: Engine, path: Path) -> None:
    url, environ = _libpq(engine)
    tool = _tool(app, "pg_restore", f"`pg_restore --clean --if-exists --no-owner --dbname '{url}' {path}`")
    handle, name = tempfile.mkstemp(suffix=".list")  # the dump's entries but its functions and triggers
    listed = Path(name)
    with os.fdopen(handle, "w", encoding="utf-8") as out:
        out.write(without_triggers(_pg_listing(tool, path)))
    try:
        result = subprocess.run(  # noqa: S603 - fixed tool, arguments passed as a list
            [
                tool,
                "--clean",
                "--if-exists",
                "--no-owner",
                "--single-transaction",
                "--use-list",
                str(listed),
                "--dbname",
                url,
                str(path),
            ],
            env=environ,
            capture_output=True,
            text=True,
            check=False,
        )
    finally:
        listed.unlink(missing_ok=True)
    if result.returncode != 0:
        raise CommandFailed(app.text("restore.pg_restore_failed", error=result.stderr.strip()))
    reinstall_triggers(engine)  # ledgerbridge's own (ADR 0037), from its code
