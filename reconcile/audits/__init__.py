"""Audit plans: single-document checks and anomaly checks, run once per document in a plan's scope.

`audit_plan(name, scoped, limits, context)` takes the rows of each scope entry with the checks asked of
it, runs every check once per document (a document in two entries is audited once, with the union of
their checks) and returns the findings, named after the plan, plus what was skipped and why.
"""

from __future__ import annotations

from reconcile.audits.base import AuditContext, AuditLimits
from reconcile.audits.plan import AuditResult, audit_plan
from reconcile.audits.rowchecks import suspect

__all__ = ["AuditContext", "AuditLimits", "AuditResult", "audit_plan", "suspect"]
