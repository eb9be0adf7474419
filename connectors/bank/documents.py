"""A statement file's bytes -> its statements (format recognized among the connector's) -> canonical
`bank_transaction` documents with stable identities (the contract in docs/connectors/bank_statements.md).

Line identity: `<account>/<bank reference>` when the bank gives a reference unique in the statement,
else `<account>/h/<16 hex of the SHA-256 of the line's content>/<occurrence>`, the occurrence counting
identical lines of the statement in order, so a statement re-read or overlapped gives each line the
same identity and two genuinely equal payments on one day stay two lines.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Sequence
from pathlib import PurePath

from pydantic import ValidationError

from config.kinds import BankStatementSettings
from connectors.bank.camt import parse_camt053
from connectors.bank.mt940 import parse_mt940
from connectors.bank.ofx import parse_ofx
from connectors.bank.statement import Statement, StatementError, StatementLine
from connectors.bank.tabular import parse_csv, parse_xlsx
from store.canonical import CanonicalDocument, DocumentKind, PartyRef, Status


def recognize(data: bytes, filename: str) -> str:
    """The file's format from its content (its extension only for CSV and XLSX, which have no marker)."""
    suffix = PurePath(filename).suffix.lower()
    head = data[:4096].lstrip(b"\xef\xbb\xbf \t\r\n")
    if data[:4] == b"PK\x03\x04" or suffix == ".xlsx":
        return "xlsx"
    if b"OFXHEADER" in head[:200] or b"<OFX>" in head:
        return "ofx"
    if head.startswith(b"<") and (b"camt.053" in head or b"BkToCstmrStmt" in head):
        return "camt053"
    if b":20:" in head and (b":25:" in head or b":60F:" in head):
        return "mt940"
    if suffix in (".csv", ".txt"):
        return "csv"
    raise StatementError("unknown_format", filename)


def read_statements(data: bytes, filename: str, settings: BankStatementSettings) -> list[Statement]:
    """The file's statements, each checked; a StatementError for anything this connector must refuse."""
    kind = recognize(data, filename)
    if kind not in settings.formats:
        raise StatementError(
            "format_disabled",
            filename,
            {"format": kind, "connector": settings.name, "formats": ", ".join(settings.formats)},
        )
    if kind in ("csv", "xlsx"):
        if settings.csv is None:
            raise StatementError("needs_mapping", filename, {"format": kind.upper()})
        statements = (parse_csv if kind == "csv" else parse_xlsx)(data, settings.csv)
    else:
        statements = {"camt053": parse_camt053, "mt940": parse_mt940, "ofx": parse_ofx}[kind](data)
    allowed = {_account(a) for a in settings.accounts}
    for statement in statements:
        if allowed and _account(statement.account) not in allowed:
            raise StatementError(
                "account_not_allowed",
                statement.statement_id or filename,
                {"account": statement.account, "connector": settings.name},
            )
    return statements


def to_documents(statements: Sequence[Statement], source: str, file_sha256: str) -> list[CanonicalDocument]:
    """Every line of every statement as a canonical bank transaction (a StatementError if one cannot be)."""
    documents: list[CanonicalDocument] = []
    for statement in statements:
        account = _account(statement.account)
        references = Counter(line.bank_reference for line in statement.lines if line.bank_reference)
        seen: Counter[str] = Counter()
        for line in statement.lines:
            if line.bank_reference and references[line.bank_reference] == 1:
                external_id = f"{account}/{line.bank_reference}"
            else:
                digest = content_hash(account, line)
                external_id = f"{account}/h/{digest}/{seen[digest]}"
                seen[digest] += 1
            documents.append(_document(statement, line, source, external_id, file_sha256))
    return documents


def content_hash(account: str, line: StatementLine) -> str:
    """16 hex of the SHA-256 of what the line says (amount normalized: 10.5 and 10.50 are one line)."""
    parts = [
        account,
        line.booking_date.isoformat(),
        line.value_date.isoformat() if line.value_date else "",
        format(line.amount.normalize(), "f"),
        line.currency,
        line.counterparty_name or "",
        line.counterparty_account or "",
        " ".join((line.remittance or "").split()),
        line.end_to_end_id or "",
    ]
    return hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()[:16]


def _document(
    statement: Statement, line: StatementLine, source: str, external_id: str, file_sha256: str
) -> CanonicalDocument:
    references = {
        "account": _account(statement.account),
        "value_date": line.value_date.isoformat() if line.value_date else None,
        "counterparty_account": line.counterparty_account,
        "remittance": line.remittance,
        "end_to_end_id": line.end_to_end_id,
        "bank_reference": line.bank_reference,
        "statement_id": statement.statement_id,
        "file_sha256": file_sha256,
        "batch_count": str(line.batch_count) if line.batch_count else None,
        "fee": str(line.fee) if line.fee is not None else None,
        "reversal": "true" if line.reversal else None,
    }
    try:
        return CanonicalDocument(
            source=source,
            kind=DocumentKind.BANK_TRANSACTION,
            external_id=external_id,
            number=line.bank_reference or line.end_to_end_id,
            party=PartyRef(name=line.counterparty_name) if line.counterparty_name else None,
            issued_on=line.booking_date,
            currency=line.currency,
            total=line.amount,
            status=Status.OPEN,
            references={key: value for key, value in references.items() if value},
        )
    except ValidationError as exc:
        error = exc.errors()[0]
        field = ".".join(str(part) for part in error["loc"])
        raise StatementError(
            "invalid_line", external_id, {"field": field, "error": str(error["msg"])}
        ) from None


def _account(value: str) -> str:
    return "".join(value.split()).upper()
