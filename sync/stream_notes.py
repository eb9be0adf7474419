"""What `sync status`/`sync run` and the web Connectors page say about a stream, worded once: a quarantined
record's reason from its field, rule and value; the label of a (field, rule) count of the quarantine; and
the stream's last count check (the vendor's count against the ledger's), as the CLI's sentence and as the
page's short cell. Every text comes from the catalogue (reconcile/report/catalogue/quarantine.py,
cli_sync.py, web_connectors.py)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from reconcile.report.i18n import Catalogue
from store.runs import COUNT_ERROR, DRIFT, MATCH, UNAVAILABLE, UNKNOWN, RunRecord

# ----------------------------------------------------------------------------- quarantine


def quarantine_reason(
    catalogue: Catalogue, *, reason: str, field: str | None, rule: str | None, value: str | None
) -> str:
    """A quarantined record's reason in the catalogue's language, from its field, rule and value (all
    already scrubbed of secrets); a record quarantined before reasons had fields (or under a rule this
    release does not know) keeps its stored English sentence `reason`."""
    if rule is None or not catalogue.has(f"quarantine.rule.{rule}"):
        return reason
    return catalogue.text(
        f"quarantine.rule.{rule}",
        field=field or catalogue.text("quarantine.record"),
        value=catalogue.text("quarantine.no_value") if value is None else value,
        detail=reason.removeprefix(f"{field}: ") if field else reason,
    )


def quarantine_label(catalogue: Catalogue, rule: str | None) -> str:
    """The short label of a (field, rule) count of a stream's open quarantine (`not a number`); records
    quarantined before reasons had rules (None) are `unstructured`; an unknown rule shows its code."""
    if rule is None:
        return catalogue.text("quarantine.label.unstructured")
    if catalogue.has(f"quarantine.label.{rule}"):
        return catalogue.text(f"quarantine.label.{rule}")
    return rule


# ----------------------------------------------------------------------------- count checks


@dataclass(frozen=True)
class CountCheck:
    """A run's completeness check: the vendor's own count against the ledger's live rows plus the open
    quarantine (`check`: store.runs MATCH, DRIFT, UNKNOWN, UNAVAILABLE or COUNT_ERROR)."""

    check: str
    run: int
    vendor: int | None
    ledger: int
    held: int

    @property
    def drift(self) -> int | None:
        """Records the vendor counts and the ledger lacks (negative: more in the ledger); None unless
        the check drifted against a vendor count."""
        if self.check != DRIFT or self.vendor is None:
            return None
        return self.vendor - self.ledger - self.held


def count_check(run: RunRecord | None) -> CountCheck | None:
    """The stream's last count check (None: never checked)."""
    if run is None or run.count_check is None:
        return None
    return CountCheck(
        run.count_check, run.id, run.vendor_count, run.ledger_count or 0, run.quarantine_count or 0
    )


def count_note(
    catalogue: Catalogue, connector: str, stream: str, run: RunRecord | None
) -> tuple[bool, str] | None:
    """What `sync status` and `sync run` say about a stream's last count check: (is it a warning, the
    line); None when the count was never checked."""
    found = count_check(run)
    if found is None:
        return None
    ledger, held = found.ledger, found.held
    where = {"connector": connector, "stream": stream, "ledger": ledger, "held": held, "total": ledger + held}
    drift = found.drift
    if drift is not None:
        what = (
            catalogue.text("sync.count_missing", count=drift)
            if drift > 0
            else catalogue.text("sync.count_extra", count=-drift)
        )
        line = catalogue.text("sync.count_drift", vendor=found.vendor, what=what, run=found.run, **where)
        return True, line
    if found.check == MATCH:
        return False, catalogue.text("sync.count_match", vendor=found.vendor, **where)
    if found.check in (UNKNOWN, UNAVAILABLE):
        return False, catalogue.text(f"sync.count_{found.check}", **where)
    if found.check != COUNT_ERROR:  # pragma: no cover - a new check result must be worded here
        raise ValueError(f"unknown count check {found.check!r}")
    return False, catalogue.text("sync.count_error", run=found.run, **where)


def count_cell(run: RunRecord | None) -> tuple[str, dict[str, Any]] | None:
    """The Connectors page's short cell for the stream's last count check: (catalogue key, params)."""
    found = count_check(run)
    if found is None:
        return None
    if found.drift is not None:
        params = {"vendor": found.vendor, "ledger": found.ledger, "held": found.held, "drift": found.drift}
        return "web.connectors.count_drift", params
    if found.check == MATCH:
        return "web.connectors.count_match", {"vendor": found.vendor}
    if found.check == COUNT_ERROR:
        return "web.connectors.count_error", {}
    return "web.connectors.count_unknown", {}
