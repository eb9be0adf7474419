"""`ledgerbridge reconcile run`: run reconciliation rules now, print counts and the bridge statement."""

from __future__ import annotations

from collections.abc import Mapping

import click
from rich.cells import cell_len

from reconcile.periods import PeriodError
from store.audit_log import record_audit
from sync.bootstrap import utc_now
from sync.cli import AppContext, BadConfig, CommandFailed, emit_json, json_option
from sync.commands.common import actor_name, actor_option, database, skip_reason
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
        raise BadConfig(app.text("reconcile.no_rules", path=app.config_file))
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
            raise BadConfig(app.text("reconcile.bad_period", error=exc)) from exc
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
        _print_all(app, runs, skipped)
    if skipped:
        raise CommandFailed(
            "; ".join(
                app.text("reconcile.skipped_short", rule=s.rule.name, reason=skip_reason(app, s))
                for s in skipped
            )
        )


def _print_all(app: AppContext, runs: list[RuleRun | PlanRun], skipped: list[SkippedRun]) -> None:
    for outcome in runs:
        if isinstance(outcome, PlanRun):
            _print_plan(app, outcome)
        else:
            _print(app, outcome)
    for skip in skipped:
        click.echo(
            app.text(
                "reconcile.skipped", rule=skip.rule.name, period=skip.period, reason=skip_reason(app, skip)
            )
        )


def _saved(app: AppContext, outcome: RuleRun | PlanRun) -> str:
    return (
        app.text("reconcile.dry_run") if outcome.dry_run else app.text("reconcile.run_id", id=outcome.run_id)
    )


def _new_and_resolved(app: AppContext, outcome: RuleRun | PlanRun) -> str:
    if outcome.dry_run:
        return ""
    return app.text("reconcile.new_resolved", opened=outcome.opened, resolved=outcome.auto_resolved)


def _label(app: AppContext, code: str) -> str:
    """A finding type or bridge line: its code in English (what `--type` and `--json` take), its
    catalogue label in Chinese."""
    if app.lang == "en":
        return code
    for namespace in ("type", "bridge"):
        if app.catalogue.has(f"{namespace}.{code}"):
            return app.catalogue.value(namespace, code)
    return code


def _padded(name: str) -> str:
    return name + " " * max(1, 28 - cell_len(name))


def _counts(app: AppContext, counts: Mapping[str, int]) -> None:
    """Findings per type, padded by display width (a Chinese label takes two columns a character)."""
    for kind, count in counts.items():
        click.echo(f"    {_padded(_label(app, kind))} {count:>8}")


def _print_plan(app: AppContext, outcome: PlanRun) -> None:
    """An audit plan's run: documents audited, findings per type, and ONE line per check that skipped
    documents, with the reasons, in the reader's language."""
    catalogue = app.catalogue
    result = outcome.result
    click.echo(
        app.text(
            "reconcile.plan_head",
            name=outcome.rule.name,
            period=outcome.period.name,
            saved=_saved(app, outcome),
        )
    )
    click.echo(
        app.text("reconcile.plan_counts", documents=result.documents, exceptions=sum(result.counts.values()))
        + _new_and_resolved(app, outcome)
    )
    _counts(app, result.counts)
    for check, reasons in result.skipped.items():
        detail = catalogue.text("run.skip_separator").join(
            catalogue.text("run.skip_reason", reason=catalogue.value("skip", reason), count=f"{count:,}")
            for reason, count in reasons.items()
        )
        line = catalogue.text("run.skipped", check=check, count=f"{sum(reasons.values()):,}", reasons=detail)
        click.echo(f"  {line}")


def _print(app: AppContext, outcome: RuleRun) -> None:
    result, bridge = outcome.result, outcome.result.bridge
    click.echo(
        app.text(
            "reconcile.rule_head",
            name=outcome.rule.name,
            period=outcome.period.name,
            saved=_saved(app, outcome),
        )
    )
    click.echo(
        app.text(
            "reconcile.rule_counts",
            left=result.left_count,
            right=result.right_count,
            matched=len(result.matches),
            exceptions=sum(result.counts.values()),
        )
        + _new_and_resolved(app, outcome)
    )
    _counts(app, result.counts)
    click.echo(
        app.text(
            "reconcile.bridge",
            currency=bridge.currency or "",
            left=bridge.left_total,
            right=bridge.right_total,
            difference=bridge.difference,
        )
    )
    for line, amount in sorted(bridge.explained.items()):
        click.echo(f"    {_padded(_label(app, line))} {amount:>16}")
    click.echo(f"    {_padded(app.text('reconcile.unexplained'))} {bridge.unexplained:>16}")
    if bridge.unconverted:
        click.echo(app.text("reconcile.unconverted", count=bridge.unconverted))
