"""The catalogue's sections, one module per area so that each area's messages live together.

reconcile/report/i18n.py assembles them with the report section into the one catalogue every
user-visible text comes from; a key defined in two sections is refused at import."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

from reconcile.report.catalogue import (
    bank,
    bank_sync,
    cli_authorize,
    cli_common,
    cli_finance,
    cli_help,
    cli_ops,
    cli_sync,
    collections,
    connector_checks,
    connector_upkeep,
    demo,
    demo_web,
    kingdee_sandbox,
    o2c,
    quarantine,
    quickbooks,
    web,
    web_audit,
    web_candidates,
    web_connectors,
    web_document,
    web_exception,
    web_queue,
    web_reports,
    web_today,
    xero,
)

SECTIONS: Final[tuple[Mapping[str, tuple[str, str]], ...]] = (
    cli_common.MESSAGES,
    cli_sync.MESSAGES,
    cli_finance.MESSAGES,
    cli_ops.MESSAGES,
    cli_help.MESSAGES,
    o2c.MESSAGES,
    demo_web.MESSAGES,
    demo.MESSAGES,
    web.MESSAGES,
    quarantine.MESSAGES,
    web_connectors.MESSAGES,
    web_audit.MESSAGES,
    web_reports.MESSAGES,
    web_queue.MESSAGES,
    web_today.MESSAGES,
    web_document.MESSAGES,
    web_exception.MESSAGES,
    web_candidates.MESSAGES,
    cli_authorize.MESSAGES,
    xero.MESSAGES,
    quickbooks.MESSAGES,
    bank.MESSAGES,
    bank_sync.MESSAGES,
    connector_upkeep.MESSAGES,
    kingdee_sandbox.MESSAGES,
    collections.MESSAGES,
    connector_checks.MESSAGES,
)
