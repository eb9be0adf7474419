"""Connector kind `bank_statement`: one stream, `transactions`, of canonical bank transactions.

Statement files are loaded file by file by `ledgerbridge import statement` (sync/bank_import.py): a file
is the unit that is checked, committed with its registry row and moved, which the page loop of
`sync run` cannot do. Each import moves the stream's cursor to its time. So an incremental `sync run`
of the connector (which passes the cursor) reads nothing and says so in the log; a run without a cursor
— a full resync, or any run before the first import — fails with a message naming the import command,
because a full resync that read nothing would tombstone every line the imports loaded.
`connector test` checks the inbox and says how many files wait in it.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from datetime import datetime
from pathlib import Path

import structlog

from config.kinds import BankStatementSettings
from connectors.base import CheckResult, ConnectorDeps, ConnectorKind, Page, RawRecord, Stream, say
from connectors.errors import FatalApiError
from store.canonical import CanonicalDocument, DocumentKind

log = structlog.get_logger(__name__)


class BankTransactionStream:
    """The connector's bank transactions, as the ledger holds them."""

    name = "transactions"
    kind = DocumentKind.BANK_TRANSACTION
    ordered = True

    def __init__(self, connector: str) -> None:
        self._connector = connector

    def pages(self, since: datetime | None) -> Iterator[Page]:
        if since is None:
            raise FatalApiError(
                f"{self._connector}: bank statements are not synced but imported, file by file: "
                f"ledgerbridge import statement --connector {self._connector} (a full resync is refused: "
                "it would mark every imported line deleted)"
            )
        log.info(
            "bank.sync_reads_nothing",
            connector=self._connector,
            hint=f"statement files load with: ledgerbridge import statement --connector {self._connector}",
        )
        yield from ()

    def normalize(self, raw: RawRecord) -> CanonicalDocument:
        return CanonicalDocument.model_validate(raw)


class BankStatementConnector:
    """A configured bank: its inbox and the stream its statement lines land in."""

    def __init__(self, settings: BankStatementSettings) -> None:
        self._settings = settings
        self._streams = {"transactions": BankTransactionStream(settings.name)}

    @property
    def name(self) -> str:
        return self._settings.name

    def streams(self) -> Mapping[str, Stream]:
        return self._streams

    def check(self) -> Sequence[CheckResult]:
        """The inbox exists and is readable; how many files wait in it; CSV/XLSX have a mapping."""
        settings = self._settings
        inbox_what = say("check.bank.inbox")
        results = []
        if settings.inbox is None:
            results.append(CheckResult(inbox_what, True, say("check.bank.no_inbox")))
        else:
            inbox = Path(settings.inbox)
            if not inbox.is_dir():
                results.append(
                    CheckResult(inbox_what, False, say("check.bank.not_a_directory", path=str(inbox)))
                )
            else:
                waiting = sum(1 for p in inbox.iterdir() if p.is_file() and not p.name.startswith("."))
                load = f"ledgerbridge import statement --connector {self.name}"
                said = say("check.bank.waiting", count=waiting, path=str(inbox), command=load)
                results.append(CheckResult(inbox_what, True, said))
        tabular = {"csv", "xlsx"} & set(settings.formats)
        if tabular and settings.csv is None:
            said = say("check.bank.csv_mapping_needed", formats=", ".join(sorted(tabular)))
            results.append(CheckResult(say("check.bank.csv_mapping"), False, said))
        return results

    def close(self) -> None:
        """Nothing to release: files are read per import."""


def build(settings: BankStatementSettings, deps: ConnectorDeps) -> BankStatementConnector:
    """Factory for connector kind `bank_statement`."""
    return BankStatementConnector(settings)


KIND = ConnectorKind(BankStatementSettings, ("transactions",), build)
"""Connector kind `bank_statement`: stream `transactions` (canonical `bank_transaction` documents)."""
