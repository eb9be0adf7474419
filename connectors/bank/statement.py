"""What every statement parser returns: a Statement of exact lines, or a StatementError saying where."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation


@dataclass(frozen=True)
class StatementLine:
    """One booked line of a bank statement, signed from the account holder's view (credit > 0)."""

    booking_date: date
    amount: Decimal
    currency: str
    value_date: date | None = None
    counterparty_name: str | None = None
    counterparty_account: str | None = None
    remittance: str | None = None
    bank_reference: str | None = None
    """The bank's own unique id of the line (CAMT AcctSvcrRef, MT940 `//` reference, OFX FITID)."""
    end_to_end_id: str | None = None
    reversal: bool = False
    batch_count: int | None = None
    fee: Decimal | None = None


@dataclass(frozen=True)
class Statement:
    """One account's statement: its lines and, when the format states them, the balances around them."""

    account: str
    currency: str
    lines: tuple[StatementLine, ...]
    statement_id: str | None = None
    opening: Decimal | None = None
    closing: Decimal | None = None
    format: str = ""

    def imbalance(self) -> Decimal | None:
        """closing - (opening + lines): 0 when the statement adds up; None when it states no balances."""
        if self.opening is None or self.closing is None:
            return None
        return self.closing - (self.opening + sum((line.amount for line in self.lines), Decimal(0)))


@dataclass(frozen=True)
class StatementError(Exception):
    """The file cannot be trusted: `where` names the line, element or row; `code` says what is wrong and
    `params` the values it names. The sentence is the catalogue's `bank.reason.<code>` (en, zh), filled
    with `params`; the codes are a public vocabulary (`import statement --json`): add, never rename."""

    code: str
    where: str = ""
    params: dict[str, str] = field(default_factory=dict)

    def __str__(self) -> str:
        shown = " ".join(f"{key}={value!r}" for key, value in self.params.items())
        return f"{self.where}: {self.code} {shown}".strip()


def decimal_of(text: str, where: str, *, comma_decimal: bool = False) -> Decimal:
    """An exact amount from a statement's text ("1234,56" in MT940 with `comma_decimal`)."""
    raw = text.strip()
    if comma_decimal:
        if "." in raw or raw.count(",") != 1:
            raise StatementError("amount_comma", where, {"value": text})
        raw = raw.replace(",", ".")
    try:
        value = Decimal(raw)
    except InvalidOperation:
        raise StatementError("not_a_number", where, {"value": text}) from None
    if not value.is_finite():
        raise StatementError("not_a_number", where, {"value": text})
    return value


def check_balances(statement: Statement, where: str) -> Statement:
    """The statement itself, or a StatementError naming the difference when its lines do not add up."""
    difference = statement.imbalance()
    if difference is not None and difference != 0:
        total = sum((line.amount for line in statement.lines), Decimal(0))
        raise StatementError(
            "unbalanced",
            where,
            {
                "opening": str(statement.opening),
                "lines": str(total),
                "sum": str(statement.closing - difference if statement.closing is not None else total),
                "closing": str(statement.closing),
                "difference": str(difference),
                "currency": statement.currency,
            },
        )
    return statement
