"""`ledgerbridge daemon`: run the schedules in the foreground until SIGTERM/SIGINT (systemd, containers)."""

from __future__ import annotations

import os
import signal
import sys
from types import FrameType

import click
import structlog

from sync.cli import AppContext, CommandFailed
from sync.commands.common import database
from sync.daemon import Daemon, DaemonRefused, ShutdownTimedOut, default_rule_runner

log = structlog.get_logger(__name__)


@click.command("daemon")
@click.pass_obj
def daemon(app: AppContext) -> None:
    """Run every connector and rule on its schedule until SIGTERM/SIGINT; then let the page in flight
    commit and exit 0 (within the configured shutdown timeout, 25 s by default)."""
    settings = app.config.settings
    with database(app) as engine:
        runner = Daemon(settings, engine, redactor=app.redactor, run_rule=default_rule_runner())

        def stop(signum: int, _frame: FrameType | None) -> None:
            log.info("daemon.signal", signal=signal.Signals(signum).name)
            runner.stop()

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        try:
            runner.run(ready=lambda started: _announce(app, started))
        except DaemonRefused as exc:
            raise CommandFailed(app.text("daemon.refused", detail=exc)) from exc
        except ShutdownTimedOut as exc:
            log.warning("daemon.exit_with_jobs_running", detail=str(exc))
            sys.stderr.flush()
            os._exit(0)  # worker threads are mid-HTTP call: their transaction was never opened or rolls back


def _announce(app: AppContext, runner: Daemon) -> None:
    """One log line saying, in the reader's language, what the daemon will do: how many connectors and
    rules it runs on a schedule (none: the warning that it does nothing) and where its health is. The
    event name stays `daemon.ready` for log queries; `message` is for the person reading."""
    settings = app.config.settings
    syncs = [c.name for c in settings.connectors if c.schedule is not None]
    rules = [
        r.name
        for r in (*settings.reconcile.rules, *settings.reconcile.audits)
        if getattr(r, "schedule", None)
    ]
    address = runner.health_address
    health = (
        ""
        if address is None
        else app.text("daemon.ready_health", url=f"http://{address[0]}:{address[1]}/healthz")
    )
    work = ", ".join([*(f"sync:{name}" for name in syncs), *(f"reconcile:{name}" for name in rules)])
    message = app.text(
        "daemon.ready", jobs=len(syncs) + len(rules), work=work or app.text("daemon.nothing"), health=health
    )
    if syncs or rules:
        log.info("daemon.ready", message=message)
    else:
        log.warning("daemon.ready", message=f"{message}. {app.text('daemon.no_work')}")
