"""SWIFT MT940 customer statements, read tag by tag with every error naming its line.

A file may hold several messages (`{1:…}{2:…}{4:` … `-}` blocks) or bare text; each `:20:` starts a
statement. `:60F:`/`:60M:` open it, `:62F:`/`:62M:` close it, each `:61:` is a line and the `:86:` right
after it that line's details. Marks: C credit, D debit, RC reversal of a credit (money out), RD reversal
of a debit (money in). Amounts use a decimal comma and become exact Decimals. `:86:` is bank-specific:
the German structured form (`166?00…?20…?32…`) is split into remittance (?20-?29, ?60-?63, with EREF+
as the end-to-end id), counterparty name (?32/?33) and account (?31); any other text is the remittance.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from connectors.bank.statement import Statement, StatementError, StatementLine, check_balances, decimal_of

_TAG = re.compile(r"^:(?P<tag>\d{2}[A-Z]?):(?P<value>.*)$")
_BALANCE = re.compile(r"^(?P<mark>[CD])(?P<date>\d{6})(?P<ccy>[A-Z]{3})(?P<amount>\d+,\d*)$")
_LINE = re.compile(
    r"^(?P<value>\d{6})(?P<entry>\d{4})?(?P<mark>RC|RD|C|D)(?P<funds>[A-Z])?(?P<amount>\d+,\d*)"
    r"(?P<type>[NSF][A-Z0-9]{3})(?P<ref>(?:(?!//).){1,16}?)(?://(?P<bank>\S{1,16}))?$"
)
_SIGN = {"C": 1, "D": -1, "RC": -1, "RD": 1}


@dataclass
class _Tag:
    tag: str
    value: str
    line: int
    more: list[str] = field(default_factory=list)

    @property
    def where(self) -> str:
        return f"line {self.line} (:{self.tag}:)"


def parse_mt940(data: bytes, encoding: str = "latin-1") -> list[Statement]:
    """Every statement of the file, each checked opening + lines = closing; or a StatementError."""
    text = data.decode(encoding)
    tags = _tags(text)
    if not any(t.tag == "20" for t in tags):
        raise StatementError("not_mt940", "line 1")
    statements: list[list[_Tag]] = []
    for tag in tags:
        if tag.tag == "20":
            statements.append([])
        elif not statements:
            raise StatementError("tag_before_20", tag.where)
        statements[-1].append(tag)
    return [_statement(group) for group in statements]


def _tags(text: str) -> list[_Tag]:
    tags: list[_Tag] = []
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.rstrip()
        if "{4:" in line:
            line = line.split("{4:", 1)[1]
        if line.startswith("-}") or line == "-" or not line or (line.startswith("{") and not tags):
            continue
        match = _TAG.match(line)
        if match:
            tags.append(_Tag(match["tag"], match["value"], number))
        elif tags:
            tags[-1].more.append(line)
        else:
            raise StatementError("text_before_tag", f"line {number}", {"text": line[:40]})
    return tags


def _statement(tags: list[_Tag]) -> Statement:
    head = tags[0]
    reference = head.value.strip()
    where = f":20:{reference}"
    found = {tag.tag: tag for tag in tags[1:] if tag.tag not in ("61", "86")}
    opening_tag = found.get("60F") or found.get("60M")
    closing_tag = found.get("62F") or found.get("62M")
    account = found["25"].value.strip() if "25" in found else ""
    if not account:
        raise StatementError("no_account", f"line {head.line} ({where})", {"expected": ":25:"})
    if opening_tag is None or closing_tag is None:
        missing = ":60F:" if opening_tag is None else ":62F:"
        raise StatementError("no_balance", f"line {head.line} ({where})", {"tag": missing})
    opening, closing = _balance(opening_tag), _balance(closing_tag)
    currency = opening[1]
    lines = []
    for index, tag in enumerate(tags):
        if tag.tag != "61":
            continue
        if tag.line < opening_tag.line:
            raise StatementError("line_before_opening", tag.where)
        following = tags[index + 1] if index + 1 < len(tags) else None
        lines.append(
            _line(tag, following if following is not None and following.tag == "86" else None, currency)
        )
    sequence = found["28C"].value.strip() if "28C" in found else None
    if closing[1] != currency:
        raise StatementError("balance_currencies", where, {"opening": currency, "closing": closing[1]})
    statement = Statement(
        account=account,
        currency=currency,
        lines=tuple(lines),
        statement_id=f"{reference}/{sequence}" if sequence else reference,
        opening=opening[0],
        closing=closing[0],
        format="mt940",
    )
    return check_balances(statement, where)


def _balance(tag: _Tag) -> tuple[Decimal, str]:
    match = _BALANCE.match(tag.value.strip())
    if not match:
        raise StatementError("bad_balance", tag.where, {"value": tag.value})
    _date(match["date"], tag)
    amount = decimal_of(match["amount"], tag.where, comma_decimal=True)
    return (amount if match["mark"] == "C" else -amount), match["ccy"]


def _line(tag: _Tag, details: _Tag | None, currency: str) -> StatementLine:
    match = _LINE.match(tag.value.strip())
    if not match:
        raise StatementError(
            "bad_line",
            tag.where,
            {"value": tag.value},
        )
    value_date = _date(match["value"], tag)
    booked = value_date
    if match["entry"]:
        month, day = int(match["entry"][:2]), int(match["entry"][2:])
        year = value_date.year + (
            1 if month < value_date.month - 6 else -1 if month > value_date.month + 6 else 0
        )
        booked = _calendar(year, month, day, tag)
    amount = decimal_of(match["amount"], tag.where, comma_decimal=True) * _SIGN[match["mark"]]
    ref = match["ref"].strip()
    info = _details(" ".join([details.value, *details.more]) if details else " ".join(tag.more))
    return StatementLine(
        booking_date=booked,
        value_date=value_date,
        amount=amount,
        currency=currency,
        counterparty_name=info.get("name"),
        counterparty_account=info.get("account"),
        remittance=info.get("remittance") or (ref if ref != "NONREF" else None),
        bank_reference=match["bank"] or None,
        end_to_end_id=info.get("eref") or (ref if ref != "NONREF" else None),
        reversal=match["mark"].startswith("R"),
    )


def _details(text: str) -> dict[str, str]:
    """`:86:` text: the German structured form split into its fields, anything else the remittance."""
    if not re.match(r"^\d{3}\?", text):
        return {"remittance": text.strip()} if text.strip() else {}
    fields: dict[str, list[str]] = {}
    for part in text.split("?")[1:]:
        code, value = part[:2], part[2:]
        fields.setdefault(code, []).append(value)
    purpose = "".join(
        v for code in sorted(fields) if "20" <= code <= "29" or "60" <= code <= "63" for v in fields[code]
    )
    parts = re.split(r"(EREF|KREF|MREF|CRED|DEBT|SVWZ|ABWA|ABWE)\+", purpose)
    keyed = dict(zip(parts[1::2], parts[2::2], strict=True))
    remittance = " ".join(p for p in (parts[0], keyed.get("SVWZ", "")) if p.strip())
    eref = keyed.get("EREF", "").strip()
    found = {
        "remittance": " ".join(remittance.split()),
        "name": "".join(fields.get("32", []) + fields.get("33", [])).strip(),
        "account": "".join(fields.get("31", [])).strip(),
        "eref": "" if eref == "NOTPROVIDED" else eref,
    }
    return {key: value for key, value in found.items() if value}


def _date(text: str, tag: _Tag) -> date:
    return _calendar(2000 + int(text[:2]), int(text[2:4]), int(text[4:6]), tag)


def _calendar(year: int, month: int, day: int, tag: _Tag) -> date:
    try:
        return date(year, month, day)
    except ValueError:
        raise StatementError(
            "not_a_date", tag.where, {"value": f"{year:04d}-{month:02d}-{day:02d}", "formats": "YYMMDD"}
        ) from None
