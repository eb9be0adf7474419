"""What the operations commands share: opening the database with clear failures, the acting user, and
where an `--output` file may go."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import click
from sqlalchemy import Engine

from store.audit import default_actor
from store.db import SchemaNotReady, sqlite_path
from store.secrets import SecretKeyError, default_key_file
from sync.bootstrap import open_engine
from sync.cli import AppContext, BadConfig, CommandFailed
from sync.outputs import Destination, protected_files

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
    one-line failures that say what to do."""
    try:
        engine = open_engine(app.config.settings, check_schema=check_schema)
    except SchemaNotReady as exc:
        raise BadConfig(str(exc)) from exc
    try:
        yield engine
    except SecretKeyError as exc:
        raise CommandFailed(str(exc)) from exc
    finally:
        engine.dispose()


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
