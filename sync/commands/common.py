"""What the operations commands share: opening the database with clear failures, the acting user, and
where an `--output` file may go."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

import click
from cryptography.fernet import InvalidToken

from store.audit_log import default_actor
from store.db import Engine, SchemaNotReady, sqlite_path
from store.secrets import SecretKeyError, default_key_file
from sync.bootstrap import open_engine, secret_box
from sync.cli import AppContext, BadConfig, CommandFailed
from sync.outputs import Destination, protected_files

if TYPE_CHECKING:
    from sync.reconcile_job import SkippedRun

actor_option = click.option(
    "--as",
    "actor",
    default=None,
    metavar="NAME",
    help="Who is acting, for the audit log (default: the operating-system user).",
)


def actor_name(actor: str | None) -> str:
    return actor or default_actor()


@contextmanager
def database(app: AppContext, *, check_schema: bool = True) -> Iterator[Engine]:
    """The configured database; a schema that is missing or behind and a wrong or missing key become
    one-line failures that say what to do, in the reader's language."""
    try:
        engine = open_engine(app.config.settings, check_schema=check_schema)
    except SchemaNotReady as exc:
        raise BadConfig(schema_message(app, exc)) from exc
    try:
        yield engine
    except SecretKeyError as exc:
        raise CommandFailed(key_message(app, exc)) from exc
    finally:
        engine.dispose()


_BEHIND = re.compile(r"schema is at revision (?P<current>\S+), the code needs (?P<head>[^:\s]+):")


def schema_message(app: AppContext, exc: SchemaNotReady) -> str:
    """store.db's two refusals (no ledger yet; a schema behind the code) in the reader's words."""
    detail = str(exc)
    if "has no ledger yet" in detail:
        return app.text("errors.no_ledger")
    behind = _BEHIND.search(detail)
    if behind is not None:
        return app.text("errors.schema_behind", **behind.groupdict())
    return app.text("errors.schema", detail=detail)


def key_message(app: AppContext, exc: SecretKeyError) -> str:
    """A stored value that does not decrypt: the database was made under another key. Said in plain
    words that name no stored entry (`cannot decrypt 'secret:access_token': the …` read to the redactor
    as a credential field and came out as "[REDACTED] database was encrypted with another key").
    Other key problems (no key, a key file others can read) keep store.secrets' own advice."""
    if isinstance(exc.__cause__, InvalidToken):
        box = secret_box(app.config.settings)
        try:
            fingerprint = box.fingerprint
        except SecretKeyError:
            fingerprint = "?"
        return app.text("errors.other_key", fingerprint=fingerprint, where=box.where)
    return app.text("errors.key", detail=str(exc))


force_option = click.option(
    "--force",
    is_flag=True,
    help="Replace an existing --output file that is not a previous output of this kind "
    "(never the database, its key or the config).",
)


def output_destination(app: AppContext, *, force: bool) -> Destination:
    """Where `--output` may write: never over this installation's database, key file or config."""
    settings = app.config.settings
    return Destination(
        protected=protected_files(
            config=app.config.path,
            database=sqlite_path(settings.database_url),
            key_file=default_key_file(settings.database_url, settings.secret_key_file),
        ),
        force=force,
    )


_BUSY = re.compile(r"^(?P<source>.+?) is being synced by (?P<holder>.+) \(waited (?P<waited>[0-9.e+-]+)s\):")


def skip_reason(app: AppContext, skip: SkippedRun) -> str:
    """Why a rule was skipped (its sources were being synced), in the reader's language; a reason of
    another shape is shown as it was recorded."""
    found = _BUSY.match(skip.reason)
    if found is None:
        return skip.reason
    return app.text("sync.busy", rule=skip.rule.name, **found.groupdict())
