"""`ledgerbridge match|unmatch LEFT_ID RIGHT_ID --rule R --note TEXT`: manual overrides of the passes."""

from __future__ import annotations

import click

from config.rules import MatchRule
from store.canonical import DocumentKey, DocumentKind
from store.reconcile_repository import SqlReconcileRepository
from store.repository import SqlLedgerRepository
from sync.bootstrap import utc_now
from sync.cli import AppContext, BadConfig, emit_json, json_option
from sync.commands.common import actor_name, actor_option, database

_ID_HELP = "Documents are named SOURCE/KIND/EXTERNAL_ID, e.g. zoho-crm/invoice/4150868000000624001."


def _override(action: str) -> click.Command:
    verb = "pair" if action == "match" else "never pair"

    @click.command(
        action,
        epilog=_ID_HELP,
        help=f"Tell rule R to {verb} two documents on every later run (overrides the passes).",
    )
    @click.argument("left_id")
    @click.argument("right_id")
    @click.option("--rule", required=True, metavar="R", help="The match rule the override belongs to.")
    @click.option("--note", required=True, help="Why (kept with the override and in the audit log).")
    @actor_option
    @json_option
    @click.pass_obj
    def command(
        app: AppContext,
        *,
        left_id: str,
        right_id: str,
        rule: str,
        note: str,
        actor: str | None,
        as_json: bool,
    ) -> None:
        settings = app.config.settings
        try:
            configured = settings.reconcile.rule(rule)
        except KeyError as exc:
            raise BadConfig(str(exc.args[0])) from exc
        if not isinstance(configured, MatchRule):
            raise BadConfig(f"rule {rule!r} is a settlement rule; manual matches apply to match rules")
        left, right = _key(left_id, "LEFT_ID"), _key(right_id, "RIGHT_ID")
        for key, side, name in ((left, configured.left, "LEFT_ID"), (right, configured.right, "RIGHT_ID")):
            if (key.source, key.kind.value) != (side.source, side.kind):
                raise BadConfig(
                    f"{name} {key} is not a {side.kind} of {side.source}, as rule {rule!r} expects"
                )
        with database(app) as engine:
            ledger = SqlLedgerRepository(engine)
            for key, name in ((left, "LEFT_ID"), (right, "RIGHT_ID")):
                if ledger.get(key) is None:
                    raise BadConfig(f"{name}: the ledger has no document {key}")
            SqlReconcileRepository(engine).set_override(
                rule=rule,
                action=action,
                left_key=str(left),
                right_key=str(right),
                actor=actor_name(actor),
                note=note,
                now=utc_now(),
            )
        if as_json:
            emit_json(
                {
                    "override": {
                        "action": action,
                        "rule": rule,
                        "left": str(left),
                        "right": str(right),
                        "note": note,
                    }
                }
            )
        else:
            click.echo(f"{rule}: will {verb} {left} and {right} from the next run on")

    return command


def _key(text: str, name: str) -> DocumentKey:
    parts = text.split("/", 2)
    kinds = {k.value for k in DocumentKind}
    if len(parts) != 3 or not all(parts) or parts[1] not in kinds:
        raise BadConfig(f"{name} {text!r} is not SOURCE/KIND/EXTERNAL_ID. {_ID_HELP}")
    return DocumentKey(source=parts[0], kind=DocumentKind(parts[1]), external_id=parts[2])


match_command = _override("match")
unmatch_command = _override("unmatch")
