"""OFX/QFX bank and credit-card statements: 1.x (SGML, leaf tags left open) and 2.x (XML), one reader.

The body is read as a tag stream: an element followed by text is a leaf (its closing tag optional, as
SGML allows), any other element an aggregate that must be closed; an unclosed aggregate or a stray
closing tag names its line. Each `STMTTRN` is a line: `TRNAMT` signed from the customer's view,
`FITID` the bank's unique id, `NAME`/`PAYEE.NAME` the counterparty, `MEMO` the remittance, `DTPOSTED`
the booking date (its first eight digits), `DTAVAIL` the value date. OFX states a closing `LEDGERBAL`
but no opening balance, so an OFX statement's lines cannot be checked against its balances. A
correction (`CORRECTACTION` REPLACE/DELETE) is refused: applying it is not supported yet.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date

from connectors.bank.statement import Statement, StatementError, StatementLine, decimal_of

_TOKEN = re.compile(r"<(/?)([A-Za-z0-9.]+)>([^<]*)")


@dataclass
class _Node:
    name: str
    line: int
    text: str = ""
    children: list[_Node] = field(default_factory=list)

    def find(self, path: str) -> _Node | None:
        node: _Node | None = self
        for name in path.split("."):
            node = next((c for c in node.children if c.name == name), None) if node else None
        return node

    def all(self, name: str) -> list[_Node]:
        return [c for c in self.children if c.name == name]

    def value(self, path: str) -> str:
        found = self.find(path)
        return found.text if found is not None else ""


def parse_ofx(data: bytes) -> list[Statement]:
    """Every bank or credit-card statement of the file (no balance check: OFX has no opening balance)."""
    text = _decode(data)
    start = text.find("<OFX>")
    if start < 0:
        raise StatementError("not_ofx", "line 1")
    root = _tree(text, start)
    statements = [
        *(_statement(rs, "BANKACCTFROM") for rs in _responses(root, "BANKMSGSRSV1", "STMTTRNRS", "STMTRS")),
        *(
            _statement(rs, "CCACCTFROM")
            for rs in _responses(root, "CREDITCARDMSGSRSV1", "CCSTMTTRNRS", "CCSTMTRS")
        ),
    ]
    if not statements:
        raise StatementError("no_statement", "OFX")
    return statements


def _decode(data: bytes) -> str:
    head = data[:600].decode("ascii", errors="replace")
    if "OFXHEADER:" in head and "ENCODING:UTF-8" not in head.replace(" ", ""):
        charset = re.search(r"CHARSET:\s*(\d+)", head)
        return data.decode(f"cp{charset[1]}" if charset else "latin-1", errors="strict")
    declared = re.search(r'encoding="([A-Za-z0-9_-]+)"', head)
    try:
        return data.decode(declared[1] if declared else "utf-8")
    except (LookupError, UnicodeDecodeError) as exc:
        raise StatementError(
            "bad_encoding", "OFX header", {"encoding": "declared", "error": str(exc)}
        ) from None


def _tree(text: str, start: int) -> _Node:
    root = _Node("", 0)
    stack = [root]
    tokens = list(_TOKEN.finditer(text, start))
    index = 0
    while index < len(tokens):
        token = tokens[index]
        closing, name, body = token[1], token[2].upper(), token[3].strip()
        line = text.count("\n", 0, token.start()) + 1
        if closing:
            if not any(node.name == name for node in stack[1:]):
                raise StatementError("ofx_stray_close", f"line {line}", {"tag": name})
            if stack[-1].name != name:
                raise StatementError(
                    "ofx_unclosed",
                    f"line {line}",
                    {"tag": stack[-1].name, "opened": str(stack[-1].line), "closing": name},
                )
            stack.pop()
        elif body:
            stack[-1].children.append(_Node(name, line, _unescape(body)))
            follows = tokens[index + 1] if index + 1 < len(tokens) else None
            if follows is not None and follows[1] and follows[2].upper() == name:
                index += 1
        else:
            node = _Node(name, line)
            stack[-1].children.append(node)
            stack.append(node)
        index += 1
    if len(stack) > 1:
        raise StatementError("ofx_truncated", f"line {stack[-1].line}", {"tag": stack[-1].name})
    return root


def _unescape(text: str) -> str:
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def _responses(root: _Node, *path: str) -> list[_Node]:
    found = [root.find("OFX")] if root.find("OFX") else []
    for name in path:
        found = [child for node in found if node is not None for child in node.all(name)]
    return [node for node in found if node is not None]


def _statement(rs: _Node, account_from: str) -> Statement:
    where = f"line {rs.line} (<{rs.name}>)"
    account = rs.value(f"{account_from}.ACCTID")
    currency = rs.value("CURDEF")
    if not account or not currency:
        raise StatementError("no_account", where, {"expected": f"{account_from}.ACCTID, CURDEF"})
    lines = tuple(_line(trn, currency) for trn in (rs.find("BANKTRANLIST") or _Node("", 0)).all("STMTTRN"))
    balance = rs.find("LEDGERBAL")
    closing = decimal_of(balance.value("BALAMT"), f"line {balance.line} (LEDGERBAL)") if balance else None
    tranlist = rs.find("BANKTRANLIST")
    period = f"{tranlist.value('DTSTART')[:8]}-{tranlist.value('DTEND')[:8]}" if tranlist else ""
    return Statement(
        account=account,
        currency=currency,
        lines=lines,
        statement_id=period or None,
        opening=None,
        closing=closing,
        format="ofx",
    )


def _line(trn: _Node, currency: str) -> StatementLine:
    fitid = trn.value("FITID")
    where = f"line {trn.line} (STMTTRN {fitid})" if fitid else f"line {trn.line} (STMTTRN)"
    if trn.value("CORRECTACTION"):
        raise StatementError(
            "ofx_correction",
            where,
            {"action": trn.value("CORRECTACTION"), "fitid": trn.value("CORRECTFITID")},
        )
    posted = _date(trn.value("DTPOSTED"), where, "DTPOSTED")
    if posted is None:
        raise StatementError("no_booking_date", where, {"expected": "DTPOSTED"})
    name = trn.value("NAME") or trn.value("PAYEE.NAME")
    return StatementLine(
        booking_date=posted,
        value_date=_date(trn.value("DTAVAIL"), where, "DTAVAIL"),
        amount=decimal_of(trn.value("TRNAMT"), f"{where} TRNAMT"),
        currency=trn.value("CURRENCY.CURSYM") or currency,
        counterparty_name=name or None,
        counterparty_account=trn.value("BANKACCTTO.ACCTID") or None,
        remittance=trn.value("MEMO") or None,
        bank_reference=fitid or None,
        end_to_end_id=trn.value("REFNUM") or None,
    )


def _date(text: str, where: str, name: str) -> date | None:
    if not text:
        return None
    try:
        return date(int(text[:4]), int(text[4:6]), int(text[6:8]))
    except ValueError:
        raise StatementError(
            "not_a_date", f"{where} {name}", {"value": text, "formats": "YYYYMMDD"}
        ) from None
