"""ISO 20022 camt.053 (BankToCustomerStatement, versions .001.02 to .001.08+) read with defusedxml.

Element names are matched without their namespace, so one reader serves every version: .02 names a
party `RltdPties/Dbtr/Nm`, .08 `RltdPties/Dbtr/Pty/Nm`; both are read. A DTD, an entity or an external
reference is refused (defusedxml), so a statement file cannot make the parser fetch or expand anything.
Only booked entries (`Sts` BOOK) are statement lines; pending ones are left out of the lines and of the
balance check. The opening balance is OPBD (else PRCD), the closing CLBD.
"""

from __future__ import annotations

import io
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from datetime import date
from decimal import Decimal

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import iterparse

from connectors.bank.statement import Statement, StatementError, StatementLine, check_balances, decimal_of


def parse_camt053(data: bytes) -> list[Statement]:
    """Every `Stmt` of the file, each checked opening + lines = closing; or a StatementError."""
    root = _tree(data)
    if _local(root.tag) != "Document" or _child(root, "BkToCstmrStmt") is None:
        raise StatementError("not_camt053", f"<{_local(root.tag)}>")
    statements = [
        _statement(stmt, n) for n, stmt in enumerate(_children(_child(root, "BkToCstmrStmt"), "Stmt"), 1)
    ]
    if not statements:
        raise StatementError("no_statement", "BkToCstmrStmt")
    return statements


def _tree(data: bytes) -> ET.Element:
    """The parsed tree; a truncated or malformed file names its line, column and the open elements."""
    path: list[str] = []
    root: ET.Element | None = None
    try:
        for event, element in iterparse(io.BytesIO(data), events=("start", "end"), forbid_dtd=True):
            if event == "start":
                path.append(_local(element.tag))
                root = element if root is None else root
            else:
                path.pop()
    except ET.ParseError as exc:
        line, column = exc.position
        inside = "/".join(path) or "the document"
        raise StatementError(
            "xml_malformed",
            f"line {line}, column {column}",
            {"error": _message(exc), "inside": inside, "element": path[-1] if path else ""},
        ) from None
    except DefusedXmlException as exc:
        raise StatementError("xml_refused", "XML", {"error": str(exc)}) from None
    if root is None:
        raise StatementError("empty_file", "line 1")
    return root


def _message(exc: ET.ParseError) -> str:
    return str(exc).split(":")[0]


def _statement(stmt: ET.Element, number: int) -> Statement:
    where = f"Stmt[{number}]"
    statement_id = _text(stmt, "Id") or _text(stmt, "ElctrncSeqNb")
    if statement_id:
        where = f"Stmt {statement_id}"
    acct = _child(stmt, "Acct")
    account = _text(acct, "Id/IBAN") or _text(acct, "Id/Othr/Id")
    if not account:
        raise StatementError("no_account", where, {"expected": "Acct/Id/IBAN, Acct/Id/Othr/Id"})
    balances = {_text(bal, "Tp/CdOrPrtry/Cd"): bal for bal in _children(stmt, "Bal")}
    opening_bal = balances.get("OPBD") or balances.get("PRCD")
    closing_bal = balances.get("CLBD")
    currency = _text(acct, "Ccy") or (_currency(opening_bal, where) if opening_bal is not None else "")
    lines = tuple(
        _entry(ntry, f"{where}/Ntry[{n}]")
        for n, ntry in enumerate(_children(stmt, "Ntry"), 1)
        if (_text(ntry, "Sts/Cd") or _text(ntry, "Sts") or "BOOK") == "BOOK"
    )
    currency = currency or (lines[0].currency if lines else "")
    if not currency:
        raise StatementError("no_currency", where, {"expected": "Acct/Ccy, Bal/Amt@Ccy, Ntry/Amt@Ccy"})
    statement = Statement(
        account=account,
        currency=currency,
        lines=lines,
        statement_id=statement_id or None,
        opening=None if opening_bal is None else _signed(opening_bal, f"{where}/Bal OPBD"),
        closing=None if closing_bal is None else _signed(closing_bal, f"{where}/Bal CLBD"),
        format="camt053",
    )
    foreign = [line for line in lines if line.currency != currency]
    if foreign:
        raise StatementError(
            "foreign_currency", where, {"currency": foreign[0].currency, "account_currency": currency}
        )
    if (opening_bal is None) != (closing_bal is None):
        raise StatementError("one_balance", where, {"opening": "OPBD", "closing": "CLBD"})
    return check_balances(statement, where)


def _entry(ntry: ET.Element, where: str) -> StatementLine:
    reference = _text(ntry, "AcctSvcrRef") or _text(ntry, "NtryRef")
    if reference:
        where = f"{where} ({reference})"
    amount = _signed(ntry, where)
    reversal = (_text(ntry, "RvslInd") or "false").lower() in ("true", "1")
    credit = amount > 0
    details = list(_children(_child(ntry, "NtryDtls"), "TxDtls"))
    party = "Dbtr" if credit != reversal else "Cdtr"
    booked = _date(ntry, "BookgDt", where)
    if booked is None:
        raise StatementError("no_booking_date", where, {"expected": "BookgDt/Dt, BookgDt/DtTm"})
    end_to_end = [e for d in details if (e := _text(d, "Refs/EndToEndId")) and e != "NOTPROVIDED"]
    names = [
        n
        for d in details
        if (n := _text(d, f"RltdPties/{party}/Nm") or _text(d, f"RltdPties/{party}/Pty/Nm"))
    ]
    accounts = [
        a
        for d in details
        if (a := _text(d, f"RltdPties/{party}Acct/Id/IBAN") or _text(d, f"RltdPties/{party}Acct/Id/Othr/Id"))
    ]
    remittance = [
        t.strip()
        for d in details
        for rmt in _children(d, "RmtInf")
        for t in [*(u.text or "" for u in _children(rmt, "Ustrd")), *_structured(rmt)]
        if t.strip()
    ] or ([info] if (info := _text(ntry, "AddtlNtryInf")) else [])
    batch = _text(ntry, "NtryDtls/Btch/NbOfTxs")
    return StatementLine(
        booking_date=booked,
        value_date=_date(ntry, "ValDt", where),
        amount=amount,
        currency=_currency(ntry, where),
        counterparty_name=names[0] if len(set(names)) == 1 else None,
        counterparty_account=accounts[0] if len(set(accounts)) == 1 else None,
        remittance=" ".join(remittance) or None,
        bank_reference=reference or None,
        end_to_end_id=end_to_end[0] if len(end_to_end) == 1 else None,
        reversal=reversal,
        batch_count=int(batch) if batch and batch.isdigit() else (len(details) if len(details) > 1 else None),
        fee=_fee(ntry, where),
    )


def _structured(rmt: ET.Element) -> Iterator[str]:
    for strd in _children(rmt, "Strd"):
        ref = _text(strd, "CdtrRefInf/Ref")
        if ref:
            yield ref


def _fee(ntry: ET.Element, where: str) -> Decimal | None:
    charges = _child(ntry, "Chrgs")
    if charges is None:
        return None
    amounts = [a for a in (_child(r, "Amt") for r in _children(charges, "Rcrd")) if a is not None]
    amounts += [a for a in [_child(charges, "Amt")] if a is not None]
    if not amounts:
        return None
    return sum((decimal_of(a.text or "", f"{where}/Chrgs/Amt") for a in amounts), Decimal(0))


def _signed(element: ET.Element, where: str) -> Decimal:
    amt = _child(element, "Amt")
    if amt is None:
        raise StatementError("missing_element", where, {"element": "Amt"})
    value = decimal_of(amt.text or "", f"{where}/Amt")
    indicator = _text(element, "CdtDbtInd")
    if indicator not in ("CRDT", "DBIT"):
        raise StatementError("bad_indicator", where, {"value": indicator})
    return value if indicator == "CRDT" else -value


def _currency(element: ET.Element, where: str) -> str:
    amt = _child(element, "Amt")
    currency = "" if amt is None else amt.get("Ccy", "")
    if len(currency) != 3 or not currency.isalpha() or not currency.isupper():
        raise StatementError("not_a_currency", where, {"value": currency})
    return currency


def _date(element: ET.Element, name: str, where: str) -> date | None:
    text = _text(element, f"{name}/Dt") or (_text(element, f"{name}/DtTm") or "")[:10]
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise StatementError(
            "not_a_date", f"{where}/{name}", {"value": text, "formats": "YYYY-MM-DD"}
        ) from None


# ----------------------------------------------------------------------------- namespace-free lookups


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _children(element: ET.Element | None, name: str) -> Iterator[ET.Element]:
    if element is not None:
        yield from (child for child in element if _local(child.tag) == name)


def _child(element: ET.Element | None, path: str) -> ET.Element | None:
    for name in path.split("/"):
        element = next(_children(element, name), None)
        if element is None:
            return None
    return element


def _text(element: ET.Element | None, path: str) -> str:
    found = _child(element, path)
    return (found.text or "").strip() if found is not None else ""
