"""What the operations commands share: opening the database with clear failures, and the acting user."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import click
from sqlalchemy import Engine

from store.audit import default_actor
from store.db import SchemaNotReady
from store.secrets import SecretKeyError
from sync.bootstrap import open_engine
from sync.cli import AppContext, BadConfig, CommandFailed

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
