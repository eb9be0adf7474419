"""`ledgerbridge alias list|add|remove`: party aliases, two customer names that rules compare as one
customer (ADR 0029); the web app's Aliases page does the same through the same service and store."""

from __future__ import annotations

import click

from store.party_aliases import AliasExists, AliasRecord, SqlAliasStore, UnknownAlias
from sync.bootstrap import utc_now
from sync.cli import AppContext, BadConfig, CommandFailed, emit_json, json_option
from sync.commands.common import actor_name, actor_option, database
from sync.suggestions import AliasRefused, record_alias


@click.group("alias")
def alias_group() -> None:
    """Party aliases: two customer names that are the same customer when rules compare parties."""


@alias_group.command("list")
@click.option("--rule", default=None, metavar="R", help="Only the aliases that apply to this rule.")
@json_option
@click.pass_obj
def list_aliases(app: AppContext, rule: str | None, as_json: bool) -> None:
    """List the aliases in force (all, or those that apply to --rule)."""
    with database(app) as engine:
        found = SqlAliasStore(engine).in_force(rule)
    if as_json:
        emit_json({"aliases": [alias.as_json() for alias in found]})
        return
    if not found:
        click.echo(app.text("alias.none"))
    for alias in found:
        click.echo(
            app.text(
                "alias.line",
                id=alias.id,
                a=alias.name_a,
                b=alias.name_b,
                scope=_scope(app, alias),
                actor=alias.actor,
                at=alias.created_at.strftime("%Y-%m-%d %H:%M"),
                note=alias.note,
            )
        )


@alias_group.command("add")
@click.argument("name_a")
@click.argument("name_b")
@click.option("--rule", default=None, metavar="R", help="Only for this match rule (default: every rule).")
@click.option("--note", required=True, help="Why (kept with the alias and in the audit log).")
@actor_option
@json_option
@click.pass_obj
def add_alias(
    app: AppContext,
    *,
    name_a: str,
    name_b: str,
    rule: str | None,
    note: str,
    actor: str | None,
    as_json: bool,
) -> None:
    """Record that party names A and B are the same customer (every rule, or --rule)."""
    with database(app) as engine:
        try:
            alias = record_alias(
                engine,
                app.config.settings,
                name_a,
                name_b,
                rule=rule,
                actor=actor_name(actor),
                note=note,
                now=utc_now(),
            )
        except AliasRefused as exc:
            raise BadConfig(app.text(f"alias.refused.{exc.reason}", rule=rule or "")) from exc
        except AliasExists as exc:
            raise CommandFailed(app.text("alias.exists", a=name_a, b=name_b)) from exc
    if as_json:
        emit_json({"alias": alias.as_json()})
    else:
        click.echo(
            app.text("alias.added", id=alias.id, a=alias.name_a, b=alias.name_b, scope=_scope(app, alias))
        )


@alias_group.command("remove")
@click.argument("alias_id", metavar="ID", type=int)
@actor_option
@json_option
@click.pass_obj
def remove_alias(app: AppContext, alias_id: int, actor: str | None, as_json: bool) -> None:
    """End the alias ID (kept in its history and the audit log)."""
    with database(app) as engine:
        try:
            alias = SqlAliasStore(engine).remove(alias_id, actor=actor_name(actor), now=utc_now())
        except UnknownAlias as exc:
            raise CommandFailed(app.text("alias.unknown", id=alias_id)) from exc
    if as_json:
        emit_json({"removed": alias.as_json()})
    else:
        click.echo(app.text("alias.removed", id=alias.id, a=alias.name_a, b=alias.name_b))


def _scope(app: AppContext, alias: AliasRecord) -> str:
    return alias.rule if alias.rule is not None else app.text("alias.every_rule")
