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
            runner.run()
        except DaemonRefused as exc:
            raise CommandFailed(str(exc)) from exc
        except ShutdownTimedOut as exc:
            log.warning("daemon.exit_with_jobs_running", detail=str(exc))
            sys.stderr.flush()
            os._exit(0)  # worker threads are mid-HTTP call: their transaction was never opened or rolls back
