"""`ledgerbridge demo`: the whole product on a generated company — sandboxes, config, init, sync,
reconcile, reports — in one call, returning a summary that can be checked against the truth."""

from __future__ import annotations

import hashlib
import json
import os
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from types import TracebackType
from typing import Any, Literal

from config.kinds import BankStatementSettings, ConnectorSettings
from config.loader import load_config, parse_config
from config.rules import ALL_AUDIT_CHECKS, AuditPlan, AuditScope, CollectionsRule, MatchRule
from config.settings import Settings
from connectors.bank.documents import read_statements, to_documents
from connectors.sandbox.accounting import ACCOUNTING, ZOHO_BOOKS, Accounting, ServedBooks
from connectors.sandbox.bank_files import BANK, COLLECTIONS, DATE_WINDOW_DAYS, csv_mapping_yaml
from connectors.sandbox.demo_servers import Credentials, DemoSandboxes
from connectors.sandbox.generator import (
    AUDIT_PLAN,
    BOOKS,
    BOOKS_SETTLEMENT,
    CRM,
    CRM_VS_BOOKS,
    DISCOUNT_LIMIT_PERCENT,
    FXIAOKE,
    FXIAOKE_SETTLEMENT,
    FXIAOKE_VS_BOOKS,
    ZONE,
    CompanySpec,
    DemoCompany,
    Truth,
    generate_company,
)
from connectors.sandbox.kingdee_pair import (
    KINGDEE,
    KINGDEE_INVOICES,
    KINGDEE_ORDERS,
    KINGDEE_RECEIPTS,
    KINGDEE_SETTLEMENT,
    kingdee_books,
)
from reconcile.audits import AuditContext, AuditLimits, audit_plan
from reconcile.collections_match import collect
from reconcile.matching import as_rows, match
from reconcile.result import MatchContext
from reconcile.settlement import settle
from store.audit_log import default_actor, record_audit
from store.canonical import CanonicalDocument, DocumentKind
from store.db import Engine, upgrade
from store.discrepancies import Discrepancy
from store.ledger_rows import LedgerRow
from store.report_queries import SqlReportQueries
from store.runs import SqlSyncLog
from store.secrets import SqlSecretStore, SqlTokenStore, StoredToken, create_key_file, default_key_file
from sync.admin_service import run_sync
from sync.bootstrap import open_engine, secret_box
from sync.engine import Progress, SyncRunResult
from sync.outputs import Destination
from sync.reconcile_job import PlanRun, RuleRun, run_rules
from sync.report_job import Format, MismatchFilter, build_mismatches, write_report

Lang = Literal["zh", "en"]
DEFAULT_DIR = Path("ledgerbridge-demo")
CONFIG_NAME = "ledgerbridge.yaml"
TRUTH_NAME = "truth.json"
STATEMENTS_DIR = "statements"
"""The bank connector's inbox in the demo's directory (loaded files move to its archive/)."""
MARKER_NAME = ".ledgerbridge-demo"
"""Written into the demo's directory first: the demo runs again only where it finds it (or nothing)."""
_MARKER_TEXT = (
    "This directory was created by `ledgerbridge demo`; it may be rewritten by the next demo run.\n"
)
_CONFIG_HEAD = "# ledgerbridge demo configuration, written by `ledgerbridge demo`."
_DEMO_FILES = frozenset(
    {
        CONFIG_NAME,
        TRUTH_NAME,
        "ledgerbridge.db",
        "ledgerbridge.db-wal",
        "ledgerbridge.db-shm",
        "ledgerbridge.db-journal",
        "ledgerbridge.key",
        "mismatches.xlsx",
        "mismatches.html",
        STATEMENTS_DIR,
    }
)
"""What a demo run writes; a directory holding only these and a demo config is a demo's from before
the marker existed."""
SECRETS = ("zoho-client-secret", "zoho-refresh-token", "fxiaoke-app-secret", "fxiaoke-permanent-code")
"""Credentials the demo stores encrypted in the database; the config refers to them as secret:NAME."""

StepReporter = Callable[[str], None]
"""Told the name of each step as it starts (the command prints it)."""


class DemoDirectoryRefused(Exception):
    """The directory holds files the demo did not write: it is never touched."""

    def __init__(self, directory: Path, found: Sequence[str]) -> None:
        super().__init__(f"{directory} holds files the demo did not write ({', '.join(found)})")
        self.directory = directory
        self.found = tuple(found)


def check_demo_directory(directory: Path) -> None:
    """Raise DemoDirectoryRefused unless `directory` is missing, empty, marked by a previous demo, or
    holds only the files an older demo wrote (its config starting with the demo's header)."""
    if not directory.exists():
        return
    if not directory.is_dir():
        raise DemoDirectoryRefused(directory, [directory.name])
    names = sorted(entry.name for entry in directory.iterdir())
    if not names or (directory / MARKER_NAME).is_file():
        return
    foreign = [name for name in names if name not in _DEMO_FILES and ".lb-partial-" not in name]
    if not foreign and _is_demo_config(directory / CONFIG_NAME):
        return
    raise DemoDirectoryRefused(directory, (foreign or names)[:3])


def _is_demo_config(path: Path) -> bool:
    try:
        with path.open(encoding="utf-8") as handle:
            return handle.readline().rstrip("\n") == _CONFIG_HEAD
    except (OSError, UnicodeDecodeError):
        return False


@dataclass(frozen=True)
class DemoOptions:
    directory: Path = DEFAULT_DIR
    spec: CompanySpec = field(default_factory=CompanySpec)
    lang: Lang = "zh"
    accounting: str = ZOHO_BOOKS.name
    """Where the company keeps its books: a key of connectors.sandbox.accounting.ACCOUNTING."""
    pair: str = "zoho-fxiaoke"
    """Which systems it lives in: a key of PAIRS (`accounting` is the Zoho-Fxiaoke pair's books)."""


@dataclass(frozen=True)
class BankSummary:
    """The summary's bank line: the statement files, their lines, the collections rule and its findings."""

    connector: str
    files: tuple[str, ...]
    lines: int
    rule: str
    findings: dict[str, int]


@dataclass
class DemoResult:
    """What the demo did, as the command prints it and `--json` emits it."""

    directory: Path
    config: Path
    database: Path
    truth: Path
    reports: dict[str, Path]
    syncs: list[SyncRunResult]
    records: dict[str, dict[str, int]]
    deleted: dict[str, dict[str, int]]
    quarantined: dict[str, dict[str, int]]
    rules: list[RuleRun | PlanRun]
    requests: dict[str, int]
    seconds: float
    missing_steps: list[str] = field(default_factory=list)
    accounting: str | None = ZOHO_BOOKS.name
    """Where the company kept its books (a key of connectors.sandbox.accounting.ACCOUNTING; None: the
    pair is not Zoho-Fxiaoke)."""
    pair: str = "zoho-fxiaoke"
    books: str = ZOHO_BOOKS.label
    """What the summary names the books."""
    statements: dict[str, tuple[str, ...]] = field(default_factory=dict)
    """Bank connector -> the statement files the demo gave it (loaded now or by a previous run)."""

    def exceptions(self) -> dict[str, dict[str, int]]:
        return {run.rule.name: dict(run.result.counts) for run in self.rules}

    def collections(self) -> list[BankSummary]:
        """Each collections rule reading a bank connector the demo gave statements: what it found."""
        return [
            BankSummary(
                connector=run.rule.bank.source,
                files=self.statements[run.rule.bank.source],
                lines=self.records.get(run.rule.bank.source, {}).get(run.rule.bank.kind, 0),
                rule=run.rule.name,
                findings=dict(run.result.counts),
            )
            for run in self.rules
            if isinstance(run.rule, CollectionsRule) and run.rule.bank.source in self.statements
        ]

    def to_json(self) -> dict[str, Any]:
        return {
            "directory": str(self.directory),
            "accounting": self.accounting,
            "pair": self.pair,
            "config": str(self.config),
            "database": str(self.database),
            "truth": str(self.truth),
            "reports": {name: str(path) for name, path in self.reports.items()},
            "records": self.records,
            "deleted": self.deleted,
            "quarantined": self.quarantined,
            "sync": {
                "runs": len(self.syncs),
                "failed": [f"{r.connector}/{r.stream}: {r.error}" for r in self.syncs if not r.ok],
                "api_requests": self.requests,
            },
            "reconcile": [run.to_json() for run in self.rules],
            "exceptions": self.exceptions(),
            "seconds": round(self.seconds, 1),
            "missing_steps": self.missing_steps,
            "statements": {name: list(files) for name, files in self.statements.items()},
        }


def run_demo(
    options: DemoOptions,
    *,
    clock: Callable[[], datetime],
    progress: Callable[[Truth], AbstractProgress] | None = None,
    step: StepReporter | None = None,
) -> DemoResult:
    """Generate, serve, configure, sync (then the next day's changes, incrementally), reconcile, report."""
    started = time.perf_counter()
    say = step or (lambda _: None)
    directory = options.directory.resolve()
    check_demo_directory(directory)
    directory.mkdir(parents=True, exist_ok=True)
    (directory / MARKER_NAME).write_text(_MARKER_TEXT, encoding="utf-8")
    say("generating the company")
    staged = PAIRS[options.pair](generate_company(options.spec), ACCOUNTING[options.accounting])
    truth_path = directory / TRUTH_NAME
    truth_path.write_text(json.dumps(staged.truth.to_json(), ensure_ascii=False, indent=2), encoding="utf-8")
    with staged.sandboxes as sandboxes:
        urls = sandboxes.urls()
        say("sandboxes on " + ", ".join(f"{url} ({name})" for name, url in urls.items()))
        config_path = directory / CONFIG_NAME
        config_path.write_text(staged.config(directory, urls, options.lang), encoding="utf-8")
        settings = load_config(config_path).settings
        engine = prepare_database(
            settings, sandboxes.credentials, clock, books=staged.access(settings), secrets=staged.secrets
        )
        try:
            say("syncing every connector")
            banks = tuple(name for name in staged.statements if name in {c.name for c in settings.connectors})
            with _progress(progress, staged.truth) as report:
                syncs = sync_connectors(engine, settings, clock, report, full=True, skip=banks)
                for name, files in staged.statements.items():
                    say(f"the bank statements in {name}'s inbox: " + ", ".join(files))
                    drop_statements(settings.connector(name), files, clock)
                if banks:
                    syncs += sync_connectors(engine, settings, clock, report, full=False, only=banks)
                if staged.later is not None:
                    say(staged.later.text)
                    staged.later.apply()
                    syncs += sync_connectors(
                        engine, settings, clock, report, full=False, only=staged.later.only
                    )
            requests = sandboxes.requests()
            say("reconciling")
            rules = run_rules(engine, settings, clock=clock)
            say("writing the mismatch reports")
            reports = _reports(engine, settings, directory, options.lang, clock)
            records, deleted = _ledger_counts(engine)
            quarantined = _quarantined(engine)
        finally:
            engine.dispose()
    return DemoResult(
        directory=directory,
        config=config_path,
        database=directory / "ledgerbridge.db",
        truth=truth_path,
        reports=reports,
        syncs=syncs,
        records=records,
        deleted=deleted,
        quarantined=quarantined,
        rules=rules,
        requests=requests,
        seconds=time.perf_counter() - started,
        accounting=options.accounting if options.pair == ZOHO_FXIAOKE else None,
        pair=options.pair,
        books=staged.label,
        statements={name: tuple(files) for name, files in staged.statements.items()},
    )


# ----------------------------------------------------------------------------- what each pair serves


@dataclass(frozen=True)
class Later:
    """The next day: what changes (`apply`), said as `text`, then an incremental sync of `only`."""

    text: str
    apply: Callable[[], object]
    only: tuple[str, ...]


@dataclass(frozen=True)
class Staged:
    """One demo company as a pair serves it: its truth, its sandboxes (not started), the configuration
    reaching them (given their URLs), the secrets to store (None: Zoho's and Fxiaoke's) and the token
    row to seed, and the next day's change (None: one sync)."""

    label: str
    truth: Truth
    sandboxes: DemoSandboxes
    config: Callable[[Path, Mapping[str, str], Lang], str]
    access: Callable[[Settings], BooksAccess | None]
    secrets: Sequence[tuple[str, str]] | None = None
    later: Later | None = None
    statements: Mapping[str, Mapping[str, bytes]] = field(default_factory=dict)
    """Bank connector name -> the statement files (name -> bytes) dropped into its inbox."""


def _zoho_fxiaoke(company: DemoCompany, accounting: Accounting) -> Staged:
    """Zoho CRM and Fxiaoke against the chosen books (Zoho Books, QuickBooks Online or Xero)."""
    served = accounting.serve(company) if accounting.serve is not None else None
    books = [] if served is None else [(accounting.source, served.sandbox)]
    sandboxes = DemoSandboxes(company, books)

    def config(directory: Path, urls: Mapping[str, str], lang: Lang) -> str:
        entry = (
            ""
            if served is None
            else served.yaml(urls[accounting.source], f"secret:{_client_secret(accounting)}")
        )
        creds = sandboxes.credentials
        return demo_config(
            directory, urls["zoho"], urls["fxiaoke"], creds, lang, accounting=accounting, books_entry=entry
        )

    return Staged(
        label=accounting.label,
        truth=accounting.truth(company, served),
        sandboxes=sandboxes,
        config=config,
        access=lambda settings: _books_access(settings, accounting, served),
        statements={BANK: company.bank.files} if accounting.bank else {},
        later=Later(
            "the next day: invoices deleted in Zoho CRM; incremental sync",
            company.apply_later_changes,
            (CRM,),
        ),
    )


def _fxiaoke_kingdee(company: DemoCompany, _: Accounting) -> Staged:
    """Fxiaoke against the Kingdee account it feeds (connectors/sandbox/kingdee_pair.py)."""
    books = kingdee_books(company)
    sandboxes = DemoSandboxes(company, [(KINGDEE, books.sandbox())], zoho=False)

    def config(directory: Path, urls: Mapping[str, str], lang: Lang) -> str:
        entry = books.yaml(urls[KINGDEE], f"secret:{KINGDEE_SECRET}")
        connectors = connectors_yaml(sandboxes.credentials, None, urls["fxiaoke"], entries=entry)
        return kingdee_config(directory, connectors, lang)

    creds = sandboxes.credentials
    return Staged(
        label="金蝶云星空 Kingdee K/3 Cloud",
        truth=books.truth,
        sandboxes=sandboxes,
        config=config,
        access=lambda _: None,
        secrets=[
            ("fxiaoke-app-secret", creds.fxiaoke_app_secret),
            ("fxiaoke-permanent-code", creds.fxiaoke_permanent_code),
            (KINGDEE_SECRET, books.options.app_secret),
        ],
    )


ZOHO_FXIAOKE = "zoho-fxiaoke"
KINGDEE_SECRET = "kingdee-app-secret"  # noqa: S105 - the secret's name, not its value
PAIRS: dict[str, Callable[[DemoCompany, Accounting], Staged]] = {
    ZOHO_FXIAOKE: _zoho_fxiaoke,
    "fxiaoke-kingdee": _fxiaoke_kingdee,
}
"""`--pair` choices: which systems the demo company lives in and is reconciled across."""


# ----------------------------------------------------------------------------- configuration


def demo_config(
    directory: Path,
    zoho: str,
    fx: str,
    creds: Credentials,
    lang: Lang,
    *,
    accounting: Accounting = ZOHO_BOOKS,
    books_entry: str = "",
) -> str:
    """The demo's ledgerbridge.yaml: connectors pointing at the sandboxes' URLs (`books_entry`: the
    chosen books' own `connectors:` entry, unless they are Zoho Books), the rules against those books."""
    books = accounting.source
    owner = " missing_owner," if accounting.owners else ""
    credit_notes, credit_scope = "", ""
    if accounting.credit_notes_applied:
        credit_notes = f"\n      credit_notes: {{source: {books}, kind: credit_note}}"
        credit_scope = (
            f"\n        - {{source: {books}, kind: credit_note, checks: [credit_note_exceeds_invoice]}}"
        )
    orders = (
        f"""
    - name: {FXIAOKE_VS_BOOKS}        # every Fxiaoke order must be booked in Books
      left: {{source: {FXIAOKE}, kind: sales_order}}
      right: {{source: {books}, kind: sales_order}}
      keys: [number]
      tolerance: {{amount: "0.01", days: 0}}
      compare: [total, currency, party, issued_on, status]
      audit: []
      after: [{FXIAOKE}, {books}]"""
        if accounting.sales_orders
        else ""
    )
    bank = accounting.bank
    entries = books_entry + (_bank_yaml(directory) if bank else "")
    connectors = connectors_yaml(creds, zoho, fx, zoho_books=accounting is ZOHO_BOOKS, entries=entries)
    collections = (
        f"""
    - name: {COLLECTIONS}                # every recorded payment must reach the bank, every credit the books
      kind: collections
      payments: {{source: {books}, kind: payment}}
      bank: {{source: {BANK}, kind: bank_transaction}}   # credits only; debits are never receipts
      tolerance: {{amount: "0.01"}}
      date_window_days: {DATE_WINDOW_DAYS}                  # payment date vs booking or value date
      fee_tolerance: {{amount: "5.00", percent: "3"}}        # a payout may be short by max(5.00, 3%)
      audit: []
      after: [{books}, {BANK}]"""
        if bank
        else ""
    )
    return f"""\
# ledgerbridge demo configuration, written by `ledgerbridge demo`.
# The connectors point at the bundled vendor sandboxes, which listened on 127.0.0.1 only while the
# demo ran (their ports are closed now). Literal credentials below are the sandboxes' fixed values,
# not secrets; the secret ones are stored encrypted in the database (`secret:NAME`).
# To use real accounts: copy this file, delete every `endpoints:` and `limits:` line (the vendors'
# own limits then apply), put your ids in, and store your secrets with `ledgerbridge secret set NAME`.
# See docs/demo.md.

{_settings(directory, lang, connectors)}
reconcile:
  rules:
    - name: {CRM_VS_BOOKS}          # every CRM invoice must be in {accounting.label}, and agree
      left: {{source: {CRM}, kind: invoice}}
      right: {{source: {books}, kind: invoice}}
      keys: [number]
      fuzzy: {{enabled: true, date_window_days: 7}}
      tolerance: {{amount: "0.01", days: 0}}
      compare: [total, party, issued_on, status]   # not currency: USD in Books at its rate is fine
      audit: []                            # audits are the plan below: once per document
      after: [{CRM}, {books}]
    - name: {BOOKS_SETTLEMENT}               # {accounting.label} invoices against their settlements
      kind: settlement
      invoices: {{source: {books}, kind: invoice}}
      payments: {{source: {books}, kind: payment}}{credit_notes}
      tolerance: {{amount: "0.01"}}
      audit: []
      after: [{books}]
{_FXIAOKE_SETTLEMENT}{orders}{collections}
  audits:
    - name: {AUDIT_PLAN}                   # each check once per document, findings named after the plan
      scope:
        - {{source: {CRM}, kind: invoice, checks: [total_not_subtotal_plus_tax, total_not_sum_of_lines,
            negative_amount, due_before_issue, missing_owner, invoice_before_order, discount_above_limit]}}
        - {{source: {books}, kind: invoice, checks: [total_not_subtotal_plus_tax, negative_amount,
            due_before_issue,{owner} possible_duplicate, unusual_amount]}}{credit_scope}
        - {{source: {FXIAOKE}, kind: sales_order, checks: [total_not_subtotal_plus_tax,
            total_not_sum_of_lines, negative_amount, missing_owner, discount_above_limit]}}
      tolerance: {{amount: "0.01"}}
      thresholds:
        possible_duplicate: {{days: 3}}               # same customer and amount, other number, 3 days
        discount_above_limit: {{percent: {DISCOUNT_LIMIT_PERCENT}}}         # of the subtotal
        unusual_amount: {{min_history: 12, factor: 10}}  # x 1.4826 x MAD of the customer's invoices
      after: [{CRM}, {books}, {FXIAOKE}]
"""


_FXIAOKE_SETTLEMENT = f"""\
    - name: {FXIAOKE_SETTLEMENT}             # Fxiaoke orders against their 回款 (payments)
      kind: settlement
      invoices: {{source: {FXIAOKE}, kind: sales_order}}
      payments: {{source: {FXIAOKE}, kind: payment}}
      tolerance: {{amount: "0.01"}}
      audit: []
      after: [{FXIAOKE}]"""
"""Both pairs' rule for Fxiaoke's own settlement."""


def _settings(directory: Path, lang: Lang, connectors: str) -> str:
    """A demo configuration's settings and its `connectors:` section (the database in `directory`)."""
    database = (directory / "ledgerbridge.db").as_posix()
    return f"""\
database_url: sqlite:///{database}
base_currency: CNY
timezone: Asia/Shanghai
locale: {lang}

{connectors}"""


def kingdee_config(directory: Path, connectors: str, lang: Lang) -> str:
    """The Fxiaoke-Kingdee pair's ledgerbridge.yaml: Fxiaoke's orders against Kingdee's sales orders
    (SAL_SaleOrder), its invoice applications against the VAT invoices, its 回款 against Kingdee's 收款单
    (AR_RECEIVEBILL), both settlements and the audit of Fxiaoke's orders."""
    return f"""\
{_CONFIG_HEAD}
# Fxiaoke (纷享销客) against the Kingdee K/3 Cloud (金蝶云星空) account it feeds; both connectors point
# at the bundled sandboxes, which listened on 127.0.0.1 only while the demo ran. The secret values are
# stored encrypted in the database (`secret:NAME`). See docs/demo.md.

{_settings(directory, lang, connectors)}
reconcile:
  rules:
{_FXIAOKE_SETTLEMENT}
    - name: {KINGDEE_ORDERS}       # every Fxiaoke order must be a Kingdee 销售订单, and agree
      left: {{source: {FXIAOKE}, kind: sales_order}}
      right: {{source: {KINGDEE}, kind: sales_order}}
      keys: [number]
      tolerance: {{amount: "0.01", days: 0}}
      compare: [total, currency, party, issued_on, status]
      audit: []
      after: [{FXIAOKE}, {KINGDEE}]
    - name: {KINGDEE_INVOICES}     # every invoice application must be a VAT invoice (专票/普票), and agree
      left: {{source: {FXIAOKE}, kind: invoice}}
      right: {{source: {KINGDEE}, kind: invoice, filters: {{number_prefix: [XSZP, XSPP]}}}}
      keys: [{{left: number, right: references.vat_number}}]   # the application's number is its FIVNUMBER
      tolerance: {{amount: "0.01", days: 0}}
      compare: [total, currency, party, issued_on]
      audit: []
      after: [{FXIAOKE}, {KINGDEE}]
    - name: {KINGDEE_RECEIPTS}     # every 回款 must be a Kingdee 收款单, and agree
      left: {{source: {FXIAOKE}, kind: payment}}
      right: {{source: {KINGDEE}, kind: payment}}
      keys: [number]
      tolerance: {{amount: "0.01", days: 0}}
      compare: [total, currency, party, issued_on]
      audit: []
      after: [{FXIAOKE}, {KINGDEE}]
    - name: {KINGDEE_SETTLEMENT}              # Kingdee 应收单 against the 收款单 applied to them
      kind: settlement
      invoices: {{source: {KINGDEE}, kind: invoice, filters: {{number_prefix: [AR]}}}}
      payments: {{source: {KINGDEE}, kind: payment}}
      tolerance: {{amount: "0.01"}}
      audit: []
      after: [{KINGDEE}]
  audits:
    - name: {AUDIT_PLAN}                   # each check once per order, findings named after the plan
      scope:
        - {{source: {FXIAOKE}, kind: sales_order, checks: [total_not_subtotal_plus_tax,
            total_not_sum_of_lines, negative_amount, missing_owner, discount_above_limit]}}
      tolerance: {{amount: "0.01"}}
      thresholds:
        discount_above_limit: {{percent: {DISCOUNT_LIMIT_PERCENT}}}         # of the subtotal
      after: [{FXIAOKE}]
"""


def _bank_yaml(directory: Path) -> str:
    """The demo's `bank_statement` connector: its inbox holds the camt.053 and the ICBC CSV."""
    return f"""\
  - name: {BANK}
    kind: bank_statement
    inbox: {(directory / STATEMENTS_DIR).as_posix()}   # loaded files move to archive/ inside it
    formats: [camt053, csv]
{csv_mapping_yaml("    ")}"""


def drop_statements(
    settings: ConnectorSettings, files: Mapping[str, bytes], clock: Callable[[], datetime]
) -> list[Path]:
    """Put the statement files into the connector's inbox, dated a minute before `clock()` (a file
    modified in the last 30 seconds is taken for one still being copied in); a file its archive already
    holds with the same bytes (a previous demo run loaded it) is not dropped again."""
    assert isinstance(settings, BankStatementSettings)
    assert settings.inbox is not None
    inbox = Path(settings.inbox)
    archive = Path(settings.archive) if settings.archive else inbox / "archive"
    inbox.mkdir(parents=True, exist_ok=True)
    dropped = []
    stamp = clock().timestamp() - 60
    for name, data in files.items():
        kept = archive / name
        if kept.is_file() and kept.read_bytes() == data:
            continue
        path = inbox / name
        path.write_bytes(data)
        os.utime(path, (stamp, stamp))
        dropped.append(path)
    return dropped


def connectors_yaml(
    creds: Credentials,
    zoho: str | None,
    fxiaoke: str | None,
    *,
    inline_secrets: bool = False,
    zoho_books: bool = True,
    entries: str = "",
) -> str:
    """The `connectors:` section reaching the sandboxes at these URLs (None: that vendor is left out;
    `zoho_books` False: Zoho CRM without Zoho Books; `entries`: more entries, appended). Secrets are
    `secret:NAME` references (the demo stores them), or with `inline_secrets` the sandbox's own values
    written in (`sandbox serve`: a block to paste that works as it is)."""

    def secret(name: str, value: str) -> str:
        return f"{json.dumps(value)}   # sandbox-only value" if inline_secrets else f"secret:{name}"

    blocks = []
    if zoho is not None:
        for name, kind, extra, streams in (
            (CRM, "zoho_crm", "", "sales_orders, invoices, accounts, products"),
            (
                BOOKS,
                "zoho_books",
                f'    organization_id: "{creds.zoho_organization_id}"\n',
                "invoices, customer_payments, sales_orders, credit_notes",
            ),
        )[: 2 if zoho_books else 1]:
            blocks.append(f"""\
  - name: {name}
    kind: {kind}
    data_center: com
{extra}    streams: [{streams}]
    credentials:
      client_id: "{creds.zoho_client_id}"        # sandbox-only value
      client_secret: {secret("zoho-client-secret", creds.zoho_client_secret)}
      refresh_token: {secret("zoho-refresh-token", creds.zoho_refresh_token)}
    endpoints: {{accounts_url: "{zoho}", api_url: "{zoho}"}}   # sandbox
    limits: {{requests_per_minute: 60000, concurrency: 4}}      # sandbox: no vendor limits
""")
    if fxiaoke is not None:
        blocks.append(f"""\
  - name: {FXIAOKE}
    kind: fxiaoke
    streams: [sales_orders, payments, invoice_applications, accounts, products]
    credentials:
      app_id: "{creds.fxiaoke_app_id}"           # sandbox-only value
      app_secret: {secret("fxiaoke-app-secret", creds.fxiaoke_app_secret)}
      permanent_code: {secret("fxiaoke-permanent-code", creds.fxiaoke_permanent_code)}
      current_open_user_id: "{creds.fxiaoke_user}"
    endpoints: {{base_url: "{fxiaoke}"}}                  # sandbox
    limits: {{requests_per_minute: 60000}}           # sandbox: no vendor limits
    token_requests_per_minute: 600                # sandbox: no vendor limits
""")
    return "connectors:\n" + "\n".join([*blocks, *([entries] if entries else [])])


@dataclass(frozen=True)
class BooksAccess:
    """What the chosen books' connector needs stored: its client secret (as `secret set` stores it) and
    its refresh token in its token row (as `connector authorize` leaves it)."""

    secret: tuple[str, str]
    token_key: str
    connector: str
    refresh_token: str


def _client_secret(accounting: Accounting) -> str:
    return f"{accounting.source}-client-secret"


def _books_access(
    settings: Settings, accounting: Accounting, served: ServedBooks | None
) -> BooksAccess | None:
    if served is None or accounting.token_key is None:
        return None
    return BooksAccess(
        secret=(_client_secret(accounting), served.client_secret),
        token_key=accounting.token_key(settings.connector(accounting.source)),
        connector=accounting.source,
        refresh_token=served.refresh_token,
    )


def prepare_database(
    settings: Settings,
    creds: Credentials,
    clock: Callable[[], datetime],
    *,
    books: BooksAccess | None = None,
    secrets: Sequence[tuple[str, str]] | None = None,
) -> Engine:
    """What `ledgerbridge init` does (key file, schema), then the demo's secrets, encrypted, each store
    in the audit log as `ledgerbridge secret set` writes it (the name, never the value); with `books`,
    their client secret too and their refresh token seeded into the encrypted token store. `secrets`:
    (name, value) to store instead of Zoho's and Fxiaoke's."""
    create_key_file(default_key_file(settings.database_url, settings.secret_key_file))
    engine = open_engine(settings, check_schema=False)
    upgrade(engine)
    box = secret_box(settings)
    tokens = SqlTokenStore(engine, box, clock)
    tokens.forget_all()  # issued by a previous run's sandboxes: refused now
    store = SqlSecretStore(engine, box, clock)
    values = (
        creds.zoho_client_secret,
        creds.zoho_refresh_token,
        creds.fxiaoke_app_secret,
        creds.fxiaoke_permanent_code,
    )
    stores = list(zip(SECRETS, values, strict=True)) if secrets is None else list(secrets)
    if books is not None:
        stores.append(books.secret)
        seed = {"refresh_token": books.refresh_token, "connector": books.connector}
        tokens.save(books.token_key, StoredToken(access_token="", expires_at=clock(), extra=seed))
    stored = {info.name for info in store.list()}
    for name, value in stores:
        if store.get(name) != value:
            store.set(name, value)
            detail = {"name": name, "replaced": name in stored}
            record_audit(engine, default_actor(), "secret.set", detail, clock=clock)
    return engine


# ----------------------------------------------------------------------------- sync


class AbstractProgress:
    """Progress display of the syncs: `advance(connector, stream, fetched_so_far)`."""

    def advance(self, connector: str, stream: str, fetched: int) -> None:  # pragma: no cover - interface
        raise NotImplementedError

    def __enter__(self) -> AbstractProgress:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        return None


@contextmanager
def _progress(factory: Callable[[Truth], AbstractProgress] | None, truth: Truth) -> Iterator[Progress | None]:
    if factory is None:
        yield None
        return
    with factory(truth) as display:
        yield display.advance


def sync_connectors(
    engine: Engine,
    settings: Settings,
    clock: Callable[[], datetime],
    progress: Progress | None,
    *,
    full: bool,
    only: Sequence[str] = (),
    skip: Sequence[str] = (),
) -> list[SyncRunResult]:
    """`sync run [--full]` of every connector (or those named in `only`), as the command runs it: the
    connectors at once under their locks, one `sync.run` audit row (detail `demo: true`); the rules
    are not run after it (the demo reconciles once, after both syncs)."""
    selection = [
        (cfg.name, None)
        for cfg in settings.connectors
        if (not only or cfg.name in only) and cfg.name not in skip
    ]
    outcome = run_sync(
        engine,
        settings,
        selection,
        full=full,
        actor=default_actor(),
        holder="demo",
        audit_detail={"demo": True},
        progress=progress,
        clock=clock,
        reconcile=False,
    )
    for refusal in outcome.refused:  # another process syncs the demo's database: say so, do not go on
        raise refusal.error
    if outcome.audit_error is not None:
        raise outcome.audit_error
    return outcome.results


def _reports(
    engine: Engine, settings: Settings, directory: Path, lang: Lang, clock: Callable[[], datetime]
) -> dict[str, Path]:
    """What `report mismatches --format xlsx|html --output ...` writes, for every rule."""
    reports: dict[Format, Path] = {
        "xlsx": directory / "mismatches.xlsx",
        "html": directory / "mismatches.html",
    }
    for fmt, path in reports.items():
        report = build_mismatches(
            engine, settings, scope=MismatchFilter(), lang=lang, now=clock(), details=fmt == "html"
        )
        write_report(report, fmt, path, destination=Destination(force=True))  # the demo's own directory
    return {str(fmt): path for fmt, path in reports.items()}


def _ledger_counts(engine: Engine) -> tuple[dict[str, dict[str, int]], dict[str, dict[str, int]]]:
    records: dict[str, dict[str, int]] = {}
    deleted: dict[str, dict[str, int]] = {}
    for (source, kind, is_deleted), count in SqlReportQueries(engine).document_counts().items():
        per = records.setdefault(source, {})
        per[kind] = per.get(kind, 0) + count
        if is_deleted:
            deleted.setdefault(source, {})[kind] = count
    return records, deleted


def _quarantined(engine: Engine) -> dict[str, dict[str, int]]:
    result: dict[str, dict[str, int]] = {}
    for entry in SqlSyncLog(engine).quarantined():
        per = result.setdefault(entry.source, {})
        per[entry.stream] = per.get(entry.stream, 0) + 1
    return result


# ----------------------------------------------------------------------------- the pure path

EVERY_CHECK = "every-audit-check"
"""The name findings carry when `reconcile_company` runs every audit check over every document."""


def demo_settings(lang: Lang = "en") -> Settings:
    """The demo configuration's settings without sandboxes (their URLs are placeholders, never called)."""
    creds = Credentials("unused", "unused", "unused", "10234695", "unused", "unused", "unused", "unused")
    text = demo_config(Path("ledgerbridge-demo"), "http://127.0.0.1:9", "http://127.0.0.1:9", creds, lang)
    return parse_config(text, "<demo configuration>", {})


def company_documents(company: DemoCompany) -> dict[tuple[str, str], list[CanonicalDocument]]:
    """Every live document the sandboxes serve, as the demo's connectors must store them, by
    (connector, kind): the ledger after a correct sync, without HTTP or a database."""
    docs = [
        *company.zoho.truth("crm", source=CRM),
        *company.zoho.truth("books", source=BOOKS),
        *company.fxiaoke.truth(source=FXIAOKE),
    ]
    bank = demo_settings().connector(BANK)
    assert isinstance(bank, BankStatementSettings)
    for name, data in company.bank.files.items():  # read as `import statement` reads them
        docs += to_documents(read_statements(data, name, bank), BANK, hashlib.sha256(data).hexdigest())
    grouped: dict[tuple[str, str], list[CanonicalDocument]] = {}
    for doc in docs:
        grouped.setdefault((doc.source, doc.kind.value), []).append(doc)
    return grouped


def reconcile_company(company: DemoCompany, settings: Settings | None = None) -> dict[str, list[Discrepancy]]:
    """Every rule and every audit plan of the demo configuration over the company's documents, as
    `reconcile run` calls them (reconcile.matching.match, reconcile.settlement.settle,
    reconcile.audits.audit_plan), without HTTP or a database: findings per rule or plan name."""
    settings = settings or demo_settings()
    docs = company_documents(company)
    rows = {side: as_rows(group) for side, group in docs.items()}
    context = MatchContext(base_currency=settings.base_currency)
    found: dict[str, list[Discrepancy]] = {}
    for rule in settings.reconcile.rules:
        if isinstance(rule, MatchRule):
            left = rows.get((rule.left.source, rule.left.kind), [])
            right = rows.get((rule.right.source, rule.right.kind), [])
            found[rule.name] = list(match(left, right, rule, context).discrepancies)
            continue
        if isinstance(rule, CollectionsRule):
            pays, bank = (rows.get((side.source, side.kind), []) for side in (rule.payments, rule.bank))
            numbers = {
                row.external_id: row.number
                for row in rows.get((rule.payments.source, DocumentKind.INVOICE.value), [])
                if row.number
            }
            today = company.truth.spec.as_of.astimezone(ZONE).date()
            result = collect(pays, bank, rule, context, today=today, invoice_numbers=numbers)
            found[rule.name] = list(result.discrepancies)
            continue
        invoices = rows.get((rule.invoices.source, rule.invoices.kind), [])
        payments = list(rows.get((rule.payments.source, rule.payments.kind), []))
        if rule.credit_notes is not None:
            payments += rows.get((rule.credit_notes.source, rule.credit_notes.kind), [])
        known = frozenset(row.external_id for row in invoices)
        result = settle(invoices, payments, rule, context, known_invoices=known)
        found[rule.name] = list(result.discrepancies)
    audit_context = _audit_context(rows)
    for plan in settings.reconcile.plans():
        scoped = [(rows.get((entry.source, entry.kind), []), plan.checks_for(entry)) for entry in plan.scope]
        audited = audit_plan(plan.name, scoped, AuditLimits.of(plan), audit_context)
        found[plan.name] = list(audited.discrepancies)
    return found


def audit_everything(company: DemoCompany, plan: AuditPlan | None = None) -> list[Discrepancy]:
    """Every audit check, with the demo plan's thresholds, over every ledger document of the company
    (every source and kind): what a clean company must pass whatever a plan's scope leaves out."""
    settings = demo_settings()
    base = (
        plan
        or next(iter(settings.reconcile.plans()), None)
        or AuditPlan(name=EVERY_CHECK, scope=[AuditScope(source=CRM, kind="invoice")])
    )
    docs = company_documents(company)
    rows = {side: as_rows(group) for side, group in docs.items()}
    scoped = [(group, ALL_AUDIT_CHECKS) for (_, kind), group in rows.items() if kind in _LEDGER_KINDS]
    return list(audit_plan(EVERY_CHECK, scoped, AuditLimits.of(base), _audit_context(rows)).discrepancies)


def _audit_context(rows: Mapping[tuple[str, str], Sequence[LedgerRow]]) -> AuditContext:
    """What the job loads from the store for the checks, taken from the company's own documents: the
    sales orders' dates (invoice_before_order) and the invoices credit notes name."""
    orders = {
        (row.source, row.external_id): row.issued_on
        for (_, kind), group in rows.items()
        if kind == DocumentKind.SALES_ORDER.value
        for row in group
        if row.issued_on is not None
    }
    invoices = {
        (row.source, row.external_id): row
        for (_, kind), group in rows.items()
        if kind == DocumentKind.INVOICE.value
        for row in group
    }
    return AuditContext(order_dates=orders, invoices=invoices)


_LEDGER_KINDS = frozenset(
    kind.value
    for kind in DocumentKind
    if kind.is_ledger_document and kind is not DocumentKind.BANK_TRANSACTION
)
"""What the audit checks read: not a bank statement's lines (a debit is money out, not a negative amount)."""
