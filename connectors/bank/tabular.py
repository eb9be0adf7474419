"""CSV and XLSX bank exports read through a declared column mapping (config.kinds.BankTableSettings).

Chinese banks export statements as CSV (often GBK/GB18030) or XLSX: a few title lines (户名, 账号,
币种…), a header row, the rows, sometimes a 合计 footer. The header row is the first row that holds the
mapped date column's header. Our account comes from the mapping's `account`, an account column, or a
`账号`/`Account` cell above the header. Amounts: thousands separators removed, one signed column or
credit minus debit. With a running `balance` column every row must equal the one before plus its amount
(rows newest-first are read in reverse), which gives the opening and closing balances checked like any
other statement; without one the file states no balances.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from config.kinds import BankTableSettings
from connectors.bank.statement import Statement, StatementError, StatementLine, check_balances, decimal_of

_ACCOUNT_LABEL = re.compile(
    r"^\s*(账号|帐号|账户|卡号|Account(?: number| No\.?)?)\s*[:：]?\s*(?P<value>.*)$", re.IGNORECASE
)


def parse_csv(data: bytes, mapping: BankTableSettings) -> list[Statement]:
    try:
        text = data.decode(mapping.encoding)
    except (LookupError, UnicodeDecodeError) as exc:
        raise StatementError(
            "bad_encoding", "CSV", {"encoding": mapping.encoding, "error": str(exc)}
        ) from None
    rows = list(csv.reader(io.StringIO(text), delimiter=mapping.delimiter))
    return [_table(rows, mapping, "csv", "row")]


def parse_xlsx(data: bytes, mapping: BankTableSettings) -> list[Statement]:
    from openpyxl import load_workbook

    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # noqa: BLE001 - zip, XML and openpyxl errors all mean "not a workbook"
        raise StatementError("not_xlsx", "XLSX", {"error": str(exc)}) from None
    sheet = book.worksheets[0]
    rows = [[_cell(value) for value in row] for row in sheet.iter_rows(values_only=True)]
    book.close()
    return [_table(rows, mapping, "xlsx", f"sheet {sheet.title!r} row")]


def _cell(value: Any) -> str:
    """A cell as text, exactly: numbers through repr (the shortest text that reads back as the cell)."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float):
        return repr(value)
    return str(value)


def _table(rows: Sequence[Sequence[str]], mapping: BankTableSettings, kind: str, row_word: str) -> Statement:
    columns = mapping.columns
    header_at = next(
        (i for i, row in enumerate(rows) if columns.date in (cell.strip() for cell in row)), None
    )
    if header_at is None:
        raise StatementError("no_header", kind.upper(), {"column": columns.date})
    header = [cell.strip() for cell in rows[header_at]]
    wanted = {name: value for name, value in columns.model_dump().items() if value is not None}
    missing = [value for value in wanted.values() if value not in header]
    if missing:
        raise StatementError(
            "missing_columns", f"{row_word} {header_at + 1}", {"columns": ", ".join(missing)}
        )
    at = {name: header.index(value) for name, value in wanted.items()}
    account = mapping.account or _preamble_account(rows[:header_at])
    lines: list[StatementLine] = []
    balances: list[Decimal] = []
    accounts: set[str] = set()
    for number, row in enumerate(rows[header_at + 1 :], header_at + 2):
        where = f"{row_word} {number}"
        cells = {name: (row[i].strip() if i < len(row) else "") for name, i in at.items()}
        if not any(cell.strip() for cell in row) or not cells["date"]:
            continue
        if any(cells["date"].startswith(prefix) for prefix in mapping.skip_rows_starting):
            continue
        line = _line(cells, mapping, where)
        lines.append(line)
        if "balance" in cells:
            balances.append(_amount(cells["balance"], mapping, f"{where} ({columns.balance})"))
        if cells.get("account"):
            accounts.add(cells["account"])
    if len(accounts) > 1:
        raise StatementError("several_accounts", kind.upper(), {"accounts": ", ".join(sorted(accounts))})
    account = account or next(iter(accounts), "")
    if not account:
        raise StatementError(
            "no_account", kind.upper(), {"expected": "csv.columns.account, csv.account, 账号"}
        )
    currencies = {line.currency for line in lines}
    if len(currencies) > 1:
        raise StatementError(
            "several_currencies", kind.upper(), {"currencies": ", ".join(sorted(currencies))}
        )
    currency = next(iter(currencies), mapping.currency or "")
    opening = closing = None
    if "balance" in at and lines:
        lines, balances = _oldest_first(lines, balances)
        opening, closing = balances[0] - lines[0].amount, balances[-1]
        _running(lines, balances, row_word)
    return check_balances(
        Statement(
            account=account,
            currency=currency,
            lines=tuple(lines),
            opening=opening,
            closing=closing,
            format=kind,
        ),
        kind.upper(),
    )


def _preamble_account(rows: Sequence[Sequence[str]]) -> str:
    for row in rows:
        cells = [cell.strip() for cell in row]
        for i, cell in enumerate(cells):
            match = _ACCOUNT_LABEL.match(cell)
            if match:
                value = match["value"] or next((c for c in cells[i + 1 :] if c), "")
                return value.replace(" ", "")
    return ""


def _line(cells: dict[str, str], mapping: BankTableSettings, where: str) -> StatementLine:
    columns = mapping.columns
    if "amount" in cells:
        amount = _amount(cells["amount"], mapping, f"{where} ({columns.amount})")
    else:
        credit = _amount(cells.get("credit", ""), mapping, f"{where} ({columns.credit})", blank_is_zero=True)
        debit = _amount(cells.get("debit", ""), mapping, f"{where} ({columns.debit})", blank_is_zero=True)
        if credit and debit:
            raise StatementError(
                "credit_and_debit", where, {"credit": str(columns.credit), "debit": str(columns.debit)}
            )
        amount = credit - debit
    currency = cells.get("currency") or mapping.currency
    if not currency:
        raise StatementError("no_currency", where, {"expected": "csv.columns.currency, csv.currency"})
    return StatementLine(
        booking_date=_date(cells["date"], mapping, f"{where} ({columns.date})"),
        value_date=_date(cells["value_date"], mapping, f"{where} ({columns.value_date})")
        if cells.get("value_date")
        else None,
        amount=amount,
        currency=_currency_code(currency, where),
        counterparty_name=cells.get("counterparty") or None,
        counterparty_account=(cells.get("counterparty_account") or "").replace(" ", "") or None,
        remittance=cells.get("text") or None,
        bank_reference=cells.get("reference") or None,
        end_to_end_id=cells.get("end_to_end_id") or None,
        reversal=any(word in (cells.get("text") or "") for word in _REVERSAL_WORDS),
        batch_count=int(batch[1]) if (batch := _BATCH.search(cells.get("text") or "")) else None,
    )


_BATCH = re.compile(r"共\s*(\d+)\s*笔")
"""批量代收 共12笔: a batch credit of 12 payments."""
_REVERSAL_WORDS = ("冲正", "冲账", "冲销", "抹账")
"""Words Chinese banks put in 摘要 for a reversal (its amount carries the opposite sign)."""
_CURRENCY_NAMES = {
    "人民币": "CNY",
    "RMB": "CNY",
    "美元": "USD",
    "欧元": "EUR",
    "港币": "HKD",
    "港元": "HKD",
    "日元": "JPY",
}


def _currency_code(value: str, where: str) -> str:
    code = _CURRENCY_NAMES.get(value.strip(), value.strip().upper())
    if not re.fullmatch(r"[A-Z]{3}", code):
        raise StatementError("not_a_currency", where, {"value": value})
    return code


def _amount(text: str, mapping: BankTableSettings, where: str, *, blank_is_zero: bool = False) -> Decimal:
    raw = text.strip()
    if not raw or raw in ("-", "--"):
        if blank_is_zero:
            return Decimal(0)
        raise StatementError("empty_amount", where)
    if mapping.thousands:
        raw = raw.replace(mapping.thousands, "")
    if mapping.decimal != ".":
        raw = raw.replace(mapping.decimal, ".")
    return decimal_of(raw.replace("+", ""), where)


def _date(text: str, mapping: BankTableSettings, where: str) -> date:
    for pattern in mapping.date_formats:
        try:
            return datetime.strptime(text.strip(), pattern).date()  # noqa: DTZ007 - a calendar date, no time zone
        except ValueError:
            continue
    raise StatementError("not_a_date", where, {"value": text, "formats": ", ".join(mapping.date_formats)})


def _oldest_first(
    lines: list[StatementLine], balances: list[Decimal]
) -> tuple[list[StatementLine], list[Decimal]]:
    """Rows as the balance chain runs: a newest-first export (later first date, or a chain that only
    holds reversed) is turned around."""
    if lines[0].booking_date > lines[-1].booking_date or (
        lines[0].booking_date == lines[-1].booking_date
        and not _chain_holds(lines, balances)
        and _chain_holds(lines[::-1], balances[::-1])
    ):
        return lines[::-1], balances[::-1]
    return lines, balances


def _chain_holds(lines: Sequence[StatementLine], balances: Sequence[Decimal]) -> bool:
    return all(balances[i - 1] + lines[i].amount == balances[i] for i in range(1, len(lines)))


def _running(lines: Sequence[StatementLine], balances: Sequence[Decimal], row_word: str) -> None:
    for i in range(1, len(lines)):
        expected = balances[i - 1] + lines[i].amount
        if expected != balances[i]:
            raise StatementError(
                "running_balance",
                f"{row_word} of {lines[i].booking_date} {lines[i].bank_reference or ''}".rstrip(),
                {
                    "previous": str(balances[i - 1]),
                    "amount": str(lines[i].amount),
                    "expected": str(expected),
                    "found": str(balances[i]),
                    "difference": str(balances[i] - expected),
                },
            )
