"""The Connectors page (admin): each connector's streams, cursors, last runs, lag, health, waits and
limits and count checks; the open quarantine with its reasons and redacted raw payloads; sync now / full
resync (a background job, one per connector, under the connector's lock), connector test and set a
secret — each the code path of its command (sync/admin_service.py)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from config.loader import ConfigError
from config.redaction import redact, redact_text
from config.settings import Settings
from connectors.base import CheckResult
from connectors.errors import ConnectorError
from reconcile.report.i18n import Catalogue
from store.runs import QuarantineEntry, RunRecord, SqlSyncLog, StreamStatus
from store.secrets import SECRET_NAME_PATTERN, is_secret_name
from store.sync_status import QuarantineGroup, SqlSyncStatus
from sync.admin_service import check_connector, set_secret
from sync.authorize import authorizable
from sync.check_words import check_line
from sync.health import HealthReport, StreamHealth, assess_health
from sync.stream_notes import count_cell, quarantine_label, quarantine_reason
from web.auth import Principal, require
from web.permissions import Permission
from web.rendering import is_htmx, render, request_lang
from web.state import client_address, web_state
from web.sync_jobs import sync_jobs

router = APIRouter()

QUARANTINE_SHOWN = 50
"""Open quarantined records shown per stream (all are counted; the CLI's `--quarantine` lists all)."""


# ----------------------------------------------------------------------------- the page

HELPERS: dict[str, Any] = {}
"""Filled below: what the page's template calls (times as ISO, lags, scrubbing, catalogue checks)."""


@router.get("/connectors")
def connectors_page(
    request: Request,
    who: Annotated[Principal, Depends(require(Permission.CONNECTORS_READ))],
    job: str | None = None,
) -> Response:
    state = web_state(request)
    view = _view(state.engine, state.settings, state.clock(), Catalogue(request_lang(request)))
    jobs = sync_jobs(request)
    latest = {c.name: jobs.latest(c.name) for c in state.settings.connectors}
    context = {**view, **HELPERS, "jobs": latest, "joined": job == "joined"}
    context["authorized"] = _authorize_message(request, {c.name for c in state.settings.connectors})
    return render(request, "connectors.html", context)


AUTHORIZE_OUTCOMES = ("done", "refused", "state", "exchange", "config", "unsupported")
"""What web/routes/connector_authorize.py sends the admin back with (`?authorize=...`)."""


def _authorize_message(request: Request, names: set[str]) -> dict[str, Any] | None:
    """The outcome of a consent (web/routes/connector_authorize.py), for the page's status line."""
    params = request.query_params
    outcome = params.get("authorize")
    if outcome not in AUTHORIZE_OUTCOMES:
        return None
    connector = params.get("connector") if params.get("connector") in names else ""
    return {
        "key": f"web.authorize.{outcome}",
        "ok": outcome == "done",
        "params": {"connector": connector},
        "realm": params.get("realm") if outcome == "done" else None,
        "set_refresh": params.get("set_refresh") if outcome == "done" else None,
    }


@router.post("/connectors/{name}/sync")
def sync_now(
    request: Request,
    who: Annotated[Principal, Depends(require(Permission.CONNECTORS_RUN))],
    name: str,
    mode: Annotated[str, Form()] = "incremental",
) -> Response:
    """Queue the connector's sync (or join the one queued): answered at once, run in the background."""
    state = web_state(request)
    if name not in {c.name for c in state.settings.connectors}:
        return _unknown(request, name)
    job, started = sync_jobs(request).request(
        state.engine,
        state.settings,
        name,
        full=mode == "full",
        actor=who.user.name,
        audit_detail={"via": "web", "address": client_address(request)},
        clock=state.clock,
    )
    if is_htmx(request):
        return render(request, "fragments/connectors_job.html", {"job": job, "joined": not started})
    return RedirectResponse(f"/connectors{'' if started else '?job=joined'}#job-{name}", status_code=303)


@router.get("/connectors/jobs/{job_id}")
def job_progress(
    request: Request,
    who: Annotated[Principal, Depends(require(Permission.CONNECTORS_RUN))],
    job_id: str,
) -> Response:
    """The polled progress fragment: records read so far and the state (polling stops when it ends)."""
    job = sync_jobs(request).get(job_id)
    if job is None:
        return render(request, "error.html", {"error": "web.error.not_found"}, status_code=404)
    return render(request, "fragments/connectors_job.html", {"job": job, "joined": False})


@router.post("/connectors/{name}/test")
async def connector_test(
    request: Request,
    who: Annotated[Principal, Depends(require(Permission.CONNECTORS_RUN))],
    name: str,
) -> Response:
    """`ledgerbridge connector test NAME`: each check with OK / WARN / FAIL and what to fix."""
    state = web_state(request)
    if name not in {c.name for c in state.settings.connectors}:
        return _unknown(request, name)
    results: list[CheckResult] = []
    error: str | None = None
    try:
        results = await run_in_threadpool(check_connector, state.engine, state.settings, name)
    except (ConnectorError, ConfigError) as exc:
        error = redact_text(str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__)
    context = {
        "connector": name,
        "checks": [_check(r, Catalogue(request_lang(request))) for r in results],
        "error": error,
    }
    if is_htmx(request):
        return render(request, "fragments/connectors_test.html", context)
    return render(request, "connectors_test.html", context)


@router.post("/connectors/secrets")
def store_secret(
    request: Request,
    who: Annotated[Principal, Depends(require(Permission.SECRETS_SET))],
    name: Annotated[str, Form()] = "",
    value: Annotated[str, Form()] = "",
) -> Response:
    """`ledgerbridge secret set NAME`: stored encrypted and audited; the answer names it, never its value."""
    state = web_state(request)
    name = name.strip()
    problem = (
        "web.connectors.secret.bad_name"
        if not is_secret_name(name)
        else "web.connectors.secret.empty"
        if not value
        else None
    )
    if problem is not None:
        context = {"secret_message": problem, "secret_name": name if is_secret_name(name) else ""}
        return _secret_answer(request, context, status_code=400)
    replaced = set_secret(
        state.engine,
        state.settings,
        name,
        value,
        actor=who.user.name,
        audit_detail={"via": "web", "address": client_address(request)},
    )
    key = "web.connectors.secret.replaced" if replaced else "web.connectors.secret.stored"
    return _secret_answer(request, {"secret_message": key, "secret_name": name})


def _secret_answer(request: Request, context: dict[str, Any], *, status_code: int = 200) -> Response:
    template = "fragments/connectors_secret.html" if is_htmx(request) else "connectors_secret.html"
    return render(request, template, context, status_code=status_code)


# ----------------------------------------------------------------------------- the view


@dataclass(frozen=True)
class _StreamRow:
    connector: str
    stream: str
    cursor: datetime | None
    last_run: RunRecord | None
    lag_seconds: float | None
    consecutive_failures: int
    cursor_in_future: bool
    quarantined: int
    limits: list[tuple[str, dict[str, Any]]]
    count: tuple[str, dict[str, Any]] | None


@dataclass(frozen=True)
class _Held:
    entry: QuarantineEntry
    reason: str
    value: str | None
    payload: str


def _view(engine: Any, settings: Settings, now: datetime, catalogue: Catalogue) -> dict[str, Any]:
    expected = [(c.name, s) for c in settings.connectors for s in c.streams]
    log = SqlSyncLog(engine)
    statuses = {(s.connector, s.stream): s for s in log.statuses(expected)}
    health = assess_health(engine, settings, now)
    watched = {(h.connector, h.stream): h for h in health.streams}
    groups = SqlSyncStatus(engine).quarantine_by_field()
    quarantine = log.quarantined()
    connectors = []
    for connector in settings.connectors:
        rows = [
            _row(
                connector.name,
                stream,
                statuses.get((connector.name, stream)),
                watched.get((connector.name, stream)),
            )
            for stream in connector.streams
        ]
        connectors.append(
            {
                "name": connector.name,
                "kind": connector.kind,
                "streams": rows,
                "authorizable": authorizable(connector.kind),
            }
        )
    held = []
    for source, stream in statuses:
        entries = [q for q in quarantine if (q.source, q.stream) == (source, stream)]
        if not entries:
            continue
        held.append(
            {
                "connector": source,
                "stream": stream,
                "count": len(entries),
                "groups": [_group(g, catalogue) for g in groups if (g.source, g.stream) == (source, stream)],
                "entries": [_held(q, catalogue) for q in entries[:QUARANTINE_SHOWN]],
                "more": max(0, len(entries) - QUARANTINE_SHOWN),
            }
        )
    return {"connectors": connectors, "health": _health(health), "quarantine": held}


def _row(
    connector: str, stream: str, status: StreamStatus | None, watched: StreamHealth | None
) -> _StreamRow:
    last = status.last_run if status else None
    return _StreamRow(
        connector=connector,
        stream=stream,
        cursor=status.cursor if status else None,
        last_run=last,
        lag_seconds=watched.lag_seconds if watched else None,
        consecutive_failures=watched.consecutive_failures if watched else 0,
        cursor_in_future=watched.cursor_in_future if watched else False,
        quarantined=status.quarantined if status else 0,
        limits=_limits(last),
        count=count_cell(status.last_count if status else None),
    )


def _health(report: HealthReport) -> dict[str, Any]:
    scrubbed = report.as_json()  # scrubbed of every known secret (a vendor error may echo one)
    return {"status": scrubbed["status"], "reasons": scrubbed["reasons"]}


def _limits(last: RunRecord | None) -> list[tuple[str, dict[str, Any]]]:
    """What the shared rate budget did to the last run: seconds waited, a spent daily cap's reset."""
    if last is None:
        return []
    found: list[tuple[str, dict[str, Any]]] = []
    if last.waited_seconds:
        found.append(("web.connectors.waited", {"seconds": f"{float(last.waited_seconds):.1f}"}))
    if last.resets_at is not None and last.status == "failed":
        found.append(("web.connectors.daily_cap", {"resets_at": _iso(last.resets_at)}))
    return found


def _group(group: QuarantineGroup, catalogue: Catalogue) -> dict[str, Any]:
    label = quarantine_label(catalogue, group.rule)
    field = group.field if group.field is not None else catalogue.text("quarantine.field_unknown")
    return {"field": field, "label": label, "count": group.count}


def _held(entry: QuarantineEntry, catalogue: Catalogue) -> _Held:
    """One quarantined record: its reason in the reader's language from field, rule and value (the
    stored English sentence when it has no rule), and its raw payload pretty and redacted."""
    value = None if entry.reason_value is None else redact_text(entry.reason_value)
    reason = quarantine_reason(
        catalogue,
        reason=redact_text(entry.reason),
        field=entry.reason_field,
        rule=entry.reason_rule,
        value=value,
    )
    return _Held(entry, reason, value, pretty_payload(entry.raw_payload))


def pretty_payload(raw: str) -> str:
    """A raw payload for people: indented JSON with credential-named fields blanked and every secret
    this process knows replaced (in any spelling); text that is not JSON, scrubbed as text."""
    try:
        parsed = json.loads(raw)
    except ValueError:
        return redact_text(raw)
    return redact_text(json.dumps(redact(parsed), indent=2, ensure_ascii=False, sort_keys=False))


def _check(result: CheckResult, catalogue: Catalogue) -> dict[str, str]:
    mark = "fail" if not result.ok else "warn" if result.state else "ok"
    what, detail = check_line(catalogue, result)
    return {"mark": mark, "what": redact_text(what), "detail": redact_text(detail)}


def _duration(seconds: float | None) -> str:
    if seconds is None:
        return ""
    if seconds < 120:
        return f"{seconds:.0f}s"
    if seconds < 7200:
        return f"{seconds / 60:.0f}m"
    if seconds < 172800:
        return f"{seconds / 3600:.1f}h"
    return f"{seconds / 86400:.1f}d"


def _unknown(request: Request, name: str) -> Response:
    return render(request, "error.html", {"error": "web.error.not_found"}, status_code=404)


def _iso(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat().replace("+00:00", "Z")


HELPERS.update(
    secret_name_pattern=SECRET_NAME_PATTERN,
    iso=_iso,
    duration=_duration,
    redact=redact_text,
    catalogue_has=Catalogue("en").has,
)
