"""`ledgerbridge user`: the web app's users — add, list, disable, enable, reset a password. Passwords are
read from a prompt without echo or from stdin, never from the command line; every change is audited."""

from __future__ import annotations

import sys
from collections.abc import Callable

import click

from store.users import Role, SqlUserStore, UnknownUser, UserError, UserExists
from sync.cli import AppContext, BadConfig, CommandFailed, emit_json, json_option
from sync.commands.common import actor_name, actor_option, database

MIN_PASSWORD = 8

_stdin_option = click.option(
    "--stdin", "from_stdin", is_flag=True, help="Read the password from standard input (one line)."
)


@click.group("user")
def user_group() -> None:
    """Users of the web app and their roles: viewer, reviewer, admin."""


@user_group.command("add")
@click.argument("name")
@click.option(
    "--role",
    type=click.Choice([str(role) for role in Role]),
    required=True,
    help="viewer reads; reviewer also acts on exceptions; admin also runs connectors, sets secrets, "
    "manages users and verifies the audit log.",
)
@_stdin_option
@actor_option
@click.pass_obj
def add_user(app: AppContext, name: str, role: str, from_stdin: bool, actor: str | None) -> None:
    """Add a user NAME with a role; the password is prompted for without echo, or read from stdin."""
    password = _password(app, name, from_stdin)
    with database(app) as engine:
        try:
            SqlUserStore(engine).add(name, Role(role), password, actor=actor_name(actor))
        except UserExists as exc:
            raise CommandFailed(app.text("user.exists", name=name)) from exc
        except UserError as exc:
            raise BadConfig(app.text("user.bad_name", name=repr(name))) from exc
    click.echo(app.text("user.added", name=name, role=app.text(f"web.role.{role}")))


@user_group.command("list")
@json_option
@click.pass_obj
def list_users(app: AppContext, as_json: bool) -> None:
    """Every user with its role and whether it may log in. Never a password or its hash."""
    with database(app) as engine:
        found = SqlUserStore(engine).list()
    if as_json:
        emit_json({"users": [user.as_json() for user in found]})
        return
    if not found:
        click.echo(app.text("user.none"))
    for user in found:
        state = app.text("user.enabled") if user.enabled else app.text("user.disabled_state")
        click.echo(
            app.text(
                "user.row",
                name=user.name,
                role=app.text(f"web.role.{user.role}"),
                state=state,
                created=user.created_at.date().isoformat(),
            )
        )


@user_group.command("disable")
@click.argument("name")
@actor_option
@click.pass_obj
def disable_user(app: AppContext, name: str, actor: str | None) -> None:
    """Refuse NAME's logins from now on and end its open sessions."""
    _change_user(app, name, lambda users: users.disable(name, actor=actor_name(actor)), "user.disabled")


@user_group.command("enable")
@click.argument("name")
@actor_option
@click.pass_obj
def enable_user(app: AppContext, name: str, actor: str | None) -> None:
    """Let a disabled user NAME log in again."""
    _change_user(app, name, lambda users: users.enable(name, actor=actor_name(actor)), "user.enabled_again")


@user_group.command("reset-password")
@click.argument("name")
@_stdin_option
@actor_option
@click.pass_obj
def reset_password(app: AppContext, name: str, from_stdin: bool, actor: str | None) -> None:
    """Set a new password for NAME (prompted for, or read from stdin) and end its open sessions."""
    password = _password(app, name, from_stdin)
    _change_user(
        app,
        name,
        lambda users: users.reset_password(name, password, actor=actor_name(actor)),
        "user.password_reset",
    )


def _change_user(app: AppContext, name: str, change: Callable[[SqlUserStore], object], done: str) -> None:
    """Apply `change` to the existing user NAME, then say `done`; an unknown NAME is a failed command."""
    with database(app) as engine:
        try:
            change(SqlUserStore(engine))
        except UnknownUser as exc:
            raise CommandFailed(app.text("user.no_such", name=name)) from exc
    click.echo(app.text(done, name=name))


def _password(app: AppContext, name: str, from_stdin: bool) -> str:
    if from_stdin or not sys.stdin.isatty():
        password = sys.stdin.readline().removesuffix("\n").removesuffix("\r")
    else:
        password = click.prompt(
            app.text("user.prompt", name=name), hide_input=True, confirmation_prompt=True, err=True
        )
    if len(password) < MIN_PASSWORD:
        raise BadConfig(app.text("user.short_password", minimum=MIN_PASSWORD))
    app.redactor.add(password)
    return password
