"""`ledgerbridge sync run|status`: manual (re)syncs under the connector lock, and per-stream state."""

from __future__ import annotations

import sys
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import click
from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from config.settings import Settings
from connectors.fxiaoke.normalize import UNAVAILABLE_REFERENCE
from connectors.fxiaoke.streams import DETAIL_COSTS
from reconcile.report.i18n import Catalogue
from store.api_calls import SqlApiCalls, month_of
from store.audit_log import default_actor
from store.locks import LockHeld
from store.runs import QuarantineEntry, RunRecord, SqlSyncLog
from store.secrets import SqlTokenStore
from store.sync_status import QuarantineGroup, SqlSyncStatus
from sync.admin_service import Refusal, run_sync
from sync.bank_import import StatementRun, bank_reason, recent_files, run_file_counts
from sync.bootstrap import secret_box, utc_now
from sync.cli import AppContext, BadConfig, CommandFailed, emit_json, json_option
from sync.commands.common import database, skip_reason
from sync.console import echo_line, literal, stdout_console
from sync.engine import Progress as ProgressCallback
from sync.engine import SyncRunResult, count_json, iso
from sync.health import assess_health
from sync.stream_notes import count_note, quarantine_label, quarantine_reason
from sync.token_expiry import expiries, expiry_line

QUARANTINE_SHOWN = 10
"""Open quarantine entries listed per stream by `sync status` (all of them are counted; `--quarantine`
lists every one)."""
PAYLOAD_SHOWN = 160
"""Characters of a quarantined record's raw payload `sync status` prints (`--quarantine`: all of it)."""


@click.group("sync")
def sync_group() -> None:
    """Synchronize connectors into the ledger."""


@sync_group.command("run")
@click.option(
    "--connector", "connectors", multiple=True, metavar="NAME", help="Only this connector (repeatable)."
)
@click.option("--stream", "streams", multiple=True, metavar="S", help="Only this stream (repeatable).")
@click.option(
    "--full", is_flag=True, help="Re-read everything; mark what was not seen as deleted if it completes."
)
@click.option(
    "--repair",
    is_flag=True,
    help="With --full: rewrite the rows whose digest fails (changed outside ledgerbridge) from the records "
    "read again, and seal rows written before digests existed.",
)
@click.option(
    "--since", metavar="ISO_DATETIME", help="Re-read from this time (no zone: the company's time zone)."
)
@click.option(
    "--sweep", is_flag=True, help="Also list live ids and tombstone those the vendor no longer has."
)
@click.option(
    "--verify",
    is_flag=True,
    help="After the run, compare the vendor's own count of each stream with the ledger's (a full pass "
    "always does).",
)
@click.option(
    "--wait",
    "wait_seconds",
    type=click.FloatRange(min=0),
    default=0,
    show_default=True,
    metavar="SECONDS",
    help="Wait this long for a connector another run holds.",
)
@json_option
@click.pass_obj
def run(
    app: AppContext,
    *,
    connectors: Sequence[str],
    streams: Sequence[str],
    full: bool,
    repair: bool,
    since: str | None,
    sweep: bool,
    verify: bool,
    wait_seconds: float,
    as_json: bool,
) -> None:
    """Sync the configured connectors (all, or those named). Exit 1 if a stream failed or a connector
    was locked by another run (the message names the holder)."""
    settings = app.config.settings
    start = _parse_since(app, since, settings)
    if full and start is not None:
        raise BadConfig(app.text("sync.full_and_since"))
    if repair and not full:
        raise BadConfig(app.text("sync.repair_needs_full"))
    selected = _select(app, settings, connectors, streams)
    with database(app) as engine, _progress() as progress:
        # Rules that name a connector under `after:` run once it synced (sync/reconcile_job.py).
        outcome = run_sync(
            engine,
            settings,
            selected,
            full=full,
            repair=repair,
            since=start,
            sweep=sweep,
            verify=verify,
            wait_seconds=wait_seconds,
            actor=default_actor(),
            holder="sync run",
            audit_detail={"since": since},  # as typed
            progress=progress,
            on_wait=lambda message: click.echo(message, err=True),
        )
    results, reconciled, skipped = outcome.results, outcome.reconciled, outcome.skipped
    refused = [{"connector": r.connector, "error": _refusal(app, r)} for r in outcome.refused]
    if outcome.audit_error is not None:  # the database that failed the runs: said, exit status 1
        refused.append(
            {"connector": "", "error": app.text("sync.audit_failed", error=_one_line(outcome.audit_error))}
        )
    if as_json:
        emit_json(
            {
                "runs": [r.to_json() for r in results],
                "refused": refused,
                "reconciled": [r.to_json() for r in reconciled],
                "reconcile_skipped": [r.to_json() for r in skipped],
            }
        )
    else:
        _print_runs(app, results)
        for ran in reconciled:
            count = sum(ran.result.counts.values())
            click.echo(app.text("sync.reconciled", rule=ran.rule.name, count=count))
        for skip in skipped:
            click.echo(app.text("sync.not_reconciled", rule=skip.rule.name, reason=skip_reason(app, skip)))
    problems = [
        app.text("sync.stream_failed", connector=r.connector, stream=r.stream, error=r.error)
        for r in results
        if r.status != "ok"
    ]
    problems += [
        app.text("sync.statement_rejected", connector=r.connector, count=len(r.rejected))
        for r in results
        if isinstance(r, StatementRun) and r.rejected
    ]
    problems += [entry["error"] for entry in refused]
    problems += [
        app.text("sync.rule_skipped", rule=skip.rule.name, reason=skip_reason(app, skip)) for skip in skipped
    ]
    if problems:
        raise CommandFailed("; ".join(problems))


@sync_group.command("status")
@click.option(
    "--quarantine",
    "every_quarantined",
    is_flag=True,
    help="List every open quarantined record with its id, reason and raw payload (not only the first "
    "few, payloads shortened).",
)
@json_option
@click.pass_obj
def status(app: AppContext, every_quarantined: bool, as_json: bool) -> None:
    """Per connector+stream: cursor, last run, its counts and error, and quarantined records (their id,
    reason and raw payload)."""
    settings = app.config.settings
    expected = [(c.name, s) for c in settings.connectors for s in c.streams]
    with database(app) as engine:
        log = SqlSyncLog(engine)
        statuses = log.statuses(expected)
        quarantine = log.quarantined()
        health = assess_health(engine, settings, utc_now())
        reader = SqlSyncStatus(engine)
        degraded = _unavailable_details(reader)
        groups = reader.quarantine_by_field()
        deadlines = SqlTokenStore(engine, secret_box(settings)).refresh_deadlines()
        now = utc_now()
        calls = SqlApiCalls(engine).month(month_of(now))
        banks = [c.name for c in settings.connectors if c.kind == "bank_statement"]
        bank_files = recent_files(engine, banks)
        bank_runs = {
            (s.connector, s.stream): run_file_counts(engine, s.last_run.id)
            for s in statuses
            if s.connector in banks and s.last_run is not None
        }
    tokens = expiries(deadlines, [c.name for c in settings.connectors])
    streams: list[dict[str, Any]] = []
    for entry in statuses:
        last = entry.last_run
        held = [q for q in quarantine if (q.source, q.stream) == (entry.connector, entry.stream)]
        streams.append(
            {
                "connector": entry.connector,
                "stream": entry.stream,
                "cursor": iso(entry.cursor),
                "last_full_at": iso(entry.last_full_at),
                "last_sweep_at": iso(entry.last_sweep_at),
                "last_ok_at": iso(entry.last_ok_at),
                "last_run": None
                if last is None
                else {
                    "id": last.id,
                    "mode": last.mode,
                    "status": last.status,
                    "started_at": iso(last.started_at),
                    "finished_at": iso(last.finished_at),
                    **{
                        k: getattr(last, k)
                        for k in ("fetched", "created", "updated", "unchanged", "deleted", "quarantined")
                    },
                    "error": last.error,
                    "waited_seconds": last.waited_seconds,
                    "resets_at": iso(last.resets_at),
                },
                "quarantined": entry.quarantined,
                "statement_files": bank_runs.get((entry.connector, entry.stream)),
                "count": _count_entry(entry.last_count),
                "warnings": _count_warnings(entry.connector, entry.stream, entry.last_count),
                "quarantine": [_quarantined(app, q) for q in held],
                "quarantine_by_field": [
                    _group(g) for g in groups if (g.source, g.stream) == (entry.connector, entry.stream)
                ],
            }
        )
    lag = {(h.connector, h.stream): h.as_json() for h in health.streams}
    for row in streams:
        watched = lag.get((row["connector"], row["stream"]), {})
        row["lag_seconds"] = watched.get("lag_seconds")
        row["consecutive_failures"] = watched.get("consecutive_failures", 0)
        row["cursor_in_future"] = watched.get("cursor_in_future", False)
        row["unavailable_details"] = degraded.get((row["connector"], row["stream"]), [])
    if as_json:
        emit_json(
            {
                "streams": streams,
                "health": {"status": health.status, "reasons": list(health.reasons)},
                "refresh_tokens": [token.as_json(now) for token in tokens],
                "api_calls": {"month": month_of(now), "connectors": calls},
                "bank_files": bank_files,
            }
        )
        return
    if not streams:
        click.echo(app.text("sync.nothing"))
        return
    _print_status(app, streams)
    for entry in statuses:
        note = count_note(app.catalogue, entry.connector, entry.stream, entry.last_count)
        if note is not None:
            click.echo(note[1])
    for row in streams:
        for gap in row["unavailable_details"]:
            click.echo(
                app.text("sync.unavailable_detail", connector=row["connector"], stream=row["stream"], **gap)
            )
    _print_quarantine(app, streams, every=every_quarantined)
    _print_bank_files(app, streams, bank_files)
    if calls:
        counted = ", ".join(f"{name} {count:,}" for name, count in sorted(calls.items()))
        echo_line(app.text("api_calls.month", month=month_of(now), counts=counted))
    for token in tokens:
        warning = expiry_line(app.catalogue, token, now)
        if warning is not None:
            echo_line(warning)
    shown = (
        app.text(f"health.{health.status}") if app.catalogue.has(f"health.{health.status}") else health.status
    )
    click.echo(
        app.text("sync.health", status=shown) + "".join(f"\n  - {reason}" for reason in health.reasons)
    )


# ----------------------------------------------------------------------------- helpers


def _unavailable_details(reader: SqlSyncStatus) -> dict[tuple[str, str], list[dict[str, Any]]]:
    """(connector, stream) -> the detail objects its live documents were synced without (Fxiaoke names
    them under `references.details_unavailable`), how many documents, and what that costs."""
    return {
        (gap.source, gap.stream): [
            {
                "object": name,
                "documents": gap.documents,
                "cost": DETAIL_COSTS.get(name, "its rows are unknown"),
            }
            for name in gap.objects
        ]
        for gap in reader.detail_gaps(UNAVAILABLE_REFERENCE)
    }


def _count_entry(run: RunRecord | None) -> dict[str, Any] | None:
    """The stream's last count check for `sync status --json` (None: never checked)."""
    if run is None or run.count_check is None:
        return None
    return {**(count_json(run) or {}), "run_id": run.id, "checked_at": iso(run.finished_at)}


def _count_warnings(connector: str, stream: str, run: RunRecord | None) -> list[str]:
    """The --json `warnings`: English whatever the language (machine-stable)."""
    note = count_note(Catalogue("en"), connector, stream, run)
    return [note[1].removeprefix("warning: ")] if note is not None and note[0] else []


def _quarantined(app: AppContext, entry: QuarantineEntry) -> dict[str, Any]:
    """One open quarantine entry for `sync status --json`: its id and the whole raw payload, scrubbed of
    every secret the process knows (a vendor may echo a token into a record)."""
    return {
        "id": entry.id,
        "external_id": entry.external_id,
        "reason": app.redactor.redact_text(entry.reason),
        "field": entry.reason_field,
        "rule": entry.reason_rule,
        "value": None if entry.reason_value is None else app.redactor.redact_text(entry.reason_value),
        "count": entry.count,
        "first_seen_at": iso(entry.first_seen_at),
        "last_seen_at": iso(entry.last_seen_at),
        "raw_payload": app.redactor.redact_text(entry.raw_payload),
    }


def _group(group: QuarantineGroup) -> dict[str, Any]:
    """One (field, rule) count of a stream's open quarantine for `sync status --json` (both None: records
    quarantined before reasons had fields)."""
    return {"field": group.field, "rule": group.rule, "count": group.count}


def _group_line(catalogue: Catalogue, group: Mapping[str, Any]) -> str:
    """`    total: not a number (3)`: one (field, rule) count of a stream's open quarantine."""
    rule, field = group["rule"], group["field"]
    label = quarantine_label(catalogue, rule)
    if rule is None:
        field = catalogue.text("quarantine.field_unknown")
    shown = field if field is not None else catalogue.text("quarantine.record")
    return catalogue.text("quarantine.group", field=shown, label=label, count=group["count"])


def _refusal(app: AppContext, refusal: Refusal) -> str:
    if isinstance(refusal.error, LockHeld):
        return app.text("sync.locked", lock=refusal.error)
    return app.text("sync.not_synced", connector=refusal.connector, error=_one_line(refusal.error))


def _one_line(exc: BaseException) -> str:
    message = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {message[0] if message else '(no message)'}"


def _parse_since(app: AppContext, value: str | None, settings: Settings) -> datetime | None:
    if value is None:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError as exc:
        raise BadConfig(app.text("sync.bad_since", value=repr(value))) from exc
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=settings.zone)
    return moment.astimezone(UTC)


def _select(
    app: AppContext, settings: Settings, names: Sequence[str], streams: Sequence[str]
) -> list[tuple[str, list[str] | None]]:
    """(connector, streams or None for all) to run, after checking every name given exists."""
    if not settings.connectors:
        raise BadConfig(app.text("errors.no_connectors"))
    for name in names:
        try:
            settings.connector(name)
        except KeyError as exc:
            raise BadConfig(str(exc.args[0])) from exc
    chosen = [c for c in settings.connectors if not names or c.name in names]
    if not streams:
        return [(c.name, None) for c in chosen]
    known = {s for c in chosen for s in c.streams}
    unknown = [s for s in streams if s not in known]
    if unknown:
        raise BadConfig(app.text("sync.no_stream", stream=repr(unknown[0]), known=", ".join(sorted(known))))
    return [(c.name, [s for s in c.streams if s in streams]) for c in chosen if set(c.streams) & set(streams)]


@contextmanager
def _progress() -> Iterator[ProgressCallback | None]:
    """A live progress display on a terminal (stderr); nothing otherwise (the logs say it all)."""
    if not sys.stderr.isatty():
        yield None
        return
    bar = Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        TextColumn("{task.completed:,} records"),
        TimeElapsedColumn(),
        console=Console(stderr=True),
        transient=True,
    )
    tasks: dict[tuple[str, str], Any] = {}

    def update(connector: str, stream: str, fetched: int) -> None:
        key = (connector, stream)
        if key not in tasks:
            tasks[key] = bar.add_task(f"{connector}/{stream}", total=None)
        bar.update(tasks[key], completed=fetched)

    with bar:
        yield update


def _print_runs(app: AppContext, results: Sequence[SyncRunResult]) -> None:
    text = app.text
    table = Table(
        *(text(f"sync.col.{name}") for name in ("stream", "status", "fetched", "new", "updated", "same")),
        *(text(f"sync.col.{name}") for name in ("deleted", "quarantined", "error")),
    )
    for r in results:
        counts = (r.fetched, r.created, r.updated, r.unchanged, r.deleted, r.quarantined)
        # a bank run's rejected files are said below it, in the reader's language
        error = None if isinstance(r, StatementRun) and r.status == "ok" else r.error
        table.add_row(
            f"{r.connector}/{r.stream}", run_status(app, r.status), *map(str, counts), literal(error)
        )
    stdout_console().print(table)
    for r in results:
        note = count_note(app.catalogue, r.connector, r.stream, r)
        if note is not None:
            click.echo(note[1])
        limits = {"waited_seconds": r.waited_seconds, "resets_at": iso(r.resets_at), "status": r.status}
        for line in limit_notes(r.connector, r.stream, limits, app):
            click.echo(line)
        if isinstance(r, StatementRun):
            _print_statement_files(app, r)


def _print_bank_files(
    app: AppContext, streams: Sequence[dict[str, Any]], bank_files: Sequence[dict[str, Any]]
) -> None:
    """`sync status` of the bank_statement connectors: the files of each one's last run by outcome,
    then its last few files."""
    for row in streams:
        if row["statement_files"] is not None:
            finished = row["last_run"]["finished_at"] or ""
            echo_line(
                app.text(
                    "sync.status_statement_files",
                    connector=row["connector"],
                    finished_at=finished,
                    **row["statement_files"],
                )
            )
    for bank_file in bank_files:
        echo_line(
            app.text(
                f"import.status.{bank_file['outcome']}",
                **bank_file,
                said=bank_reason(app.catalogue, bank_file),
            )
        )


def _print_statement_files(app: AppContext, run: StatementRun) -> None:
    """What a bank_statement connector's run did with its inbox: the counts, then each rejected file and
    its reason (the loaded ones are in the table's counts)."""
    click.echo(app.text("sync.statement_files", connector=run.connector, **run.counts()))
    for result in run.rejected:
        click.echo(
            app.text("import.rejected", file=Path(result.path).name, reason=result.reason(app.catalogue))
        )
        if result.moved_to:
            click.echo(app.text("import.moved", path=result.moved_to))


def run_status(app: AppContext, status: str | None) -> str:
    """A sync run's status code in the reader's words (`--json` keeps the code)."""
    key = f"runstatus.{status or 'never'}"
    return app.text(key) if app.catalogue.has(key) else str(status)


def _print_status(app: AppContext, streams: Sequence[dict[str, Any]]) -> None:
    text = app.text
    table = Table(
        *(text(f"sync.col.{name}") for name in ("stream", "cursor", "last_run", "fetched", "new")),
        *(text(f"sync.col.{name}") for name in ("updated", "deleted", "quarantined", "error")),
    )
    for s in streams:
        last = s["last_run"] or {}
        future = " " + text("sync.cursor_in_future") if s.get("cursor_in_future") else ""
        table.add_row(
            f"{s['connector']}/{s['stream']}",
            (s["cursor"] or "") + future,
            f"{run_status(app, last['status'])} {last['finished_at'] or ''}".strip()
            if last
            else text("sync.never"),
            *(str(last.get(k, "")) for k in ("fetched", "created", "updated", "deleted")),
            str(s["quarantined"]),
            literal(last.get("error")),
        )
    console = stdout_console()
    console.print(table)
    for s in streams:
        for note in limit_notes(s["connector"], s["stream"], s["last_run"] or {}, app):
            console.print(literal(note, one_line=True))


def _print_quarantine(app: AppContext, streams: Sequence[dict[str, Any]], *, every: bool) -> None:
    """Each stream's open quarantined records: id, the vendor's id, the reason and the raw payload (one
    line, control characters removed, cut at PAYLOAD_SHOWN characters unless `every`)."""
    if every and not any(s["quarantine"] for s in streams):
        echo_line(app.text("sync.quarantine_none"))
    for s in streams:
        held = s["quarantine"]
        if not held:
            continue
        echo_line(
            app.text(
                "sync.quarantined_in", connector=s["connector"], stream=s["stream"], count=s["quarantined"]
            )
        )
        echo_line(app.text("quarantine.by_field"))
        for group in s["quarantine_by_field"]:
            echo_line(_group_line(app.catalogue, group))
        for q in held if every else held[:QUARANTINE_SHOWN]:
            external_id = q["external_id"] or app.text("sync.quarantine_no_id")
            echo_line(
                app.text(
                    "sync.quarantine_entry",
                    id=q["id"],
                    external_id=external_id,
                    reason=quarantine_reason(
                        app.catalogue, reason=q["reason"], field=q["field"], rule=q["rule"], value=q["value"]
                    ),
                    count=q["count"],
                )
            )
            payload = " ".join(q["raw_payload"].split())
            if not every and len(payload) > PAYLOAD_SHOWN:
                payload = payload[:PAYLOAD_SHOWN] + "…"
            echo_line(app.text("sync.quarantine_payload", payload=payload))
        if not every and len(held) > QUARANTINE_SHOWN:
            echo_line(app.text("sync.quarantine_more", count=len(held) - QUARANTINE_SHOWN))


def limit_notes(
    connector: str, stream: str, last: Mapping[str, Any], app: AppContext | None = None
) -> list[str]:
    """What the organization's shared rate budget did to the stream's last run: how long it waited out
    per-minute/concurrency limits, and the reset time of a spent daily cap it stopped on (in the
    reader's language; English without `app`)."""
    catalogue = app.catalogue if app is not None else Catalogue("en")
    notes = []
    waited = last.get("waited_seconds")
    if waited:
        duration = _seconds(float(waited))
        notes.append(catalogue.text("sync.waited", connector=connector, stream=stream, duration=duration))
    if last.get("resets_at") and last.get("status") == "failed":
        notes.append(
            catalogue.text("sync.daily_cap", connector=connector, stream=stream, resets_at=last["resets_at"])
        )
    return notes


def _seconds(value: float) -> str:
    minutes, seconds = divmod(round(value), 60)
    return f"{minutes}m {seconds:02d}s" if minutes else f"{value:.1f}s"
