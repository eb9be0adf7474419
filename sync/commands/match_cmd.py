"""`ledgerbridge match|unmatch LEFT RIGHT --rule R --note TEXT`: manual overrides of the passes. LEFT and
RIGHT are document numbers, external ids or SOURCE/KIND/EXTERNAL_ID."""

from __future__ import annotations

import click

from config.rules import SettlementRule, SideSpec
from store.canonical import DocumentKey
from store.reconcile_repository import SqlReconcileRepository
from store.repository import SqlLedgerRepository
from sync.bootstrap import utc_now
from sync.cli import AppContext, BadConfig, emit_json, json_option
from sync.commands.common import actor_name, actor_option, database
from sync.commands.document_names import parse_key, resolve_document

_ID_HELP = (
    "Name a document by its number (INV-000204) or external id, looked up among the rule's side, or as "
    "SOURCE/KIND/EXTERNAL_ID, e.g. zoho-crm/invoice/4150868000000624001."
)


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
            known = ", ".join(r.name for r in settings.reconcile.rules) or "-"
            raise BadConfig(app.text("finance.match.no_rule", rule=rule, known=known)) from exc
        if isinstance(configured, SettlementRule):
            raise BadConfig(app.text("finance.match.settlement", rule=rule))
        sides = ((left_id, configured.left, "LEFT_ID"), (right_id, configured.right, "RIGHT_ID"))
        with database(app) as engine:
            ledger = SqlLedgerRepository(engine)
            left, right = (
                _document(app, ledger, text, side, name=name, rule=rule, as_json=as_json)
                for text, side, name in sides
            )
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
            click.echo(app.text(f"finance.{action}.done", rule=rule, left=str(left), right=str(right)))

    return command


def _document(
    app: AppContext,
    ledger: SqlLedgerRepository,
    text: str,
    side: SideSpec,
    *,
    name: str,
    rule: str,
    as_json: bool,
) -> DocumentKey:
    """The document of the rule's side that `text` names: SOURCE/KIND/EXTERNAL_ID, or a number or external
    id looked up among that side's source and kind (several: listed, choose by id)."""
    key = parse_key(text)
    if key is None:
        key = resolve_document(
            app, ledger, text, source=side.source, kind=side.kind, narrowable=False, interactive=not as_json
        )
    if (key.source, key.kind.value) != (side.source, side.kind):
        kind = app.catalogue.value("kind", side.kind)
        found = str(key)
        raise BadConfig(
            app.text(
                "finance.match.wrong_side",
                name=name,
                document=found,
                kind=kind,
                source=side.source,
                rule=rule,
            )
        )
    if ledger.get(key) is None:
        raise BadConfig(app.text("finance.history.no_document", document=str(key)))
    return key


match_command = _override("match")
unmatch_command = _override("unmatch")
