"""`ledgerbridge reconcile run`: run reconciliation rules now, print counts and the bridge statement."""

from __future__ import annotations

import click

from reconcile.periods import PeriodError
from reconcile.report.i18n import Catalogue
from store.audit import record_audit
from sync.bootstrap import utc_now
from sync.cli import AppContext, BadConfig, CommandFailed, emit_json, json_option
from sync.commands.common import actor_name, actor_option, database
from sync.reconcile_job import DEFAULT_SYNC_WAIT_SECONDS, PlanRun, RuleRun, SkippedRun, run_rules


@click.group("reconcile")
def reconcile_group() -> None:
    """Reconcile the sources against each other under the configured rules."""


@reconcile_group.command("run")
@click.option(
    "--rule", "rules", multiple=True, metavar="NAME", help="Only this rule or audit plan (repeatable)."
)
@click.option(
    "--period", default=None, metavar="P", help="2026-10, 2026-Q3, 2026 or all (default: the rule's)."
)
@click.option("--dry-run", is_flag=True, help="Match and report, but save nothing.")
@click.option(
    "--wait-for-sync",
    "sync_wait",
    type=click.FloatRange(min=0),
    default=DEFAULT_SYNC_WAIT_SECONDS,
    show_default=True,
    metavar="SECONDS",
    help="Wait this long for a sync of a rule's sources to finish; then skip the rule (exit 1).",
)
@actor_option
@json_option
@click.pass_obj
def run(
    app: AppContext,
    *,
    rules: tuple[str, ...],
    period: str | None,
    dry_run: bool,
    sync_wait: float,
    actor: str | None,
    as_json: bool,
) -> None:
    """Run rules, then audit plans (all without --rule); new findings become exceptions, vanished ones
    auto-resolve. A rule whose sources another process is syncing waits for it (--wait-for-sync), then
    is skipped with the reason: exit status 1."""
    settings = app.config.settings
    if not settings.reconcile.rules and not settings.reconcile.audits:
        raise BadConfig(
            f"{app.config_file}: no reconcile rules are configured (add `reconcile: rules:` or `audits:`)"
        )
    for name in rules:
        try:
            settings.reconcile.runnable(name)
        except KeyError as exc:
            raise BadConfig(str(exc.args[0])) from exc
    skipped: list[SkippedRun] = []
    with database(app) as engine:
        try:
            runs = run_rules(
                engine,
                settings,
                names=rules,
                period=period,
                dry_run=dry_run,
                clock=utc_now,
                actor=actor_name(actor),
                sync_wait=sync_wait,
                skipped=skipped,
                on_wait=lambda message: click.echo(message, err=True),
            )
        except PeriodError as exc:
            raise BadConfig(f"--period: {exc}") from exc
        if not dry_run:
            detail = {
                "rules": [r.rule.name for r in runs],
                "runs": [r.run_id for r in runs],
                "period": period,
                "skipped": {s.rule.name: s.reason for s in skipped},
            }
            record_audit(engine, actor_name(actor), "reconcile.run", detail)
    if as_json:
        emit_json({"runs": [r.to_json() for r in runs], "skipped": [s.to_json() for s in skipped]})
    else:
        _print_all(runs, skipped, Catalogue(settings.effective_locale))
    if skipped:
        raise CommandFailed("; ".join(f"{s.rule.name} skipped: {s.reason}" for s in skipped))


def _print_all(runs: list[RuleRun | PlanRun], skipped: list[SkippedRun], catalogue: Catalogue) -> None:
    for outcome in runs:
        if isinstance(outcome, PlanRun):
            _print_plan(outcome, catalogue)
        else:
            _print(outcome)
    for skip in skipped:
        click.echo(f"{skip.rule.name} ({skip.period}): skipped: {skip.reason}")


def _print_plan(outcome: PlanRun, catalogue: Catalogue) -> None:
    """An audit plan's run: documents audited, findings per type, and ONE line per check that skipped
    documents, with the reasons, in the configured language."""
    result = outcome.result
    saved = "dry run, nothing saved" if outcome.dry_run else f"run {outcome.run_id}"
    click.echo(f"{outcome.rule.name} (audit plan, {outcome.period.name}, {saved})")
    click.echo(
        f"  documents {result.documents}  exceptions {sum(result.counts.values())}"
        + ("" if outcome.dry_run else f" (new {outcome.opened}, auto-resolved {outcome.auto_resolved})")
    )
    for kind, count in result.counts.items():
        click.echo(f"    {kind:<28} {count:>8}")
    for check, reasons in result.skipped.items():
        detail = catalogue.text("run.skip_separator").join(
            catalogue.text("run.skip_reason", reason=catalogue.value("skip", reason), count=f"{count:,}")
            for reason, count in reasons.items()
        )
        line = catalogue.text("run.skipped", check=check, count=f"{sum(reasons.values()):,}", reasons=detail)
        click.echo(f"  {line}")


def _print(outcome: RuleRun) -> None:
    result, bridge = outcome.result, outcome.result.bridge
    saved = "dry run, nothing saved" if outcome.dry_run else f"run {outcome.run_id}"
    click.echo(f"{outcome.rule.name} ({outcome.period.name}, {saved})")
    click.echo(
        f"  left {result.left_count}  right {result.right_count}  matched {len(result.matches)}"
        f"  exceptions {sum(result.counts.values())}"
        + ("" if outcome.dry_run else f" (new {outcome.opened}, auto-resolved {outcome.auto_resolved})")
    )
    for kind, count in result.counts.items():
        click.echo(f"    {kind:<28} {count:>8}")
    currency = bridge.currency or ""
    click.echo(
        f"  bridge ({currency}): left {bridge.left_total}  right {bridge.right_total}"
        f"  difference {bridge.difference}"
    )
    for line, amount in sorted(bridge.explained.items()):
        click.echo(f"    {line:<28} {amount:>16}")
    click.echo(f"    {'unexplained':<28} {bridge.unexplained:>16}")
    if bridge.unconverted:
        click.echo(f"  {bridge.unconverted} documents left out: amount in a currency without a known rate")
