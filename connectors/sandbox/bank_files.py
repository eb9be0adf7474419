"""The demo company's bank statements, written from the payments its books record: a camt.053.001.02 (one
statement per currency of a Hong Kong account, holding the foreign payments and a card processor's
payout) and a 中国工商银行 (ICBC) CSV export in GB18030 holding the CNY payments, with collection
discrepancies planted and listed in the truth (issue 21).

Written here with small writers of their own, as a bank would write them (never through the reader in
connectors/bank/). What a bank line becomes in the ledger follows docs/connectors/bank_statements.md: a
`bank_transaction` keyed `<account>/<bank reference>` (camt `AcctSvcrRef`, the CSV's 交易流水号).

Plants (`BANK_PLANTS`): a payment the bank never received (`not_in_bank`, dated well before the date
window's end), money in the bank no payment records (`unrecorded_receipt`), and a card processor's batch
payout of three payments net of its commission (`fee_difference`, the fee stated on the line).
"""

from __future__ import annotations

import csv
import io
import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from xml.sax.saxutils import escape

from store.canonical import CanonicalDocument, DocumentKind

BANK = "bank-statements"
"""The demo's `bank_statement` connector (and the source of its documents' truth keys)."""
COLLECTIONS = "books-vs-bank"
"""The demo's collections rule: the books' payments against the bank's credits."""
CAMT_NAME = "hsbc-hk-2026.camt053.xml"
CSV_NAME = "icbc-2026.csv"
ICBC_ACCOUNT = "1001234509006688123"
CAMT_ACCOUNTS = {"CNY": "HK0040001234567001", "USD": "HK0040001234567838", "EUR": "HK0040001234567978"}
"""The Hong Kong account's sub-accounts, one per currency (a camt statement is in one currency)."""
DATE_WINDOW_DAYS = 5
FEE_PERCENT = Decimal("0.006")
"""The card processor's commission (0.6 %): well inside the rule's fee tolerance, stated on the line."""
PROCESSOR = "银联商务股份有限公司 China UMS"
STRANGER = "杭州云栖数智科技有限公司"
"""Who paid the unrecorded receipt: no customer of the books."""
BANK_PLANTS: dict[str, tuple[str, str]] = {
    "not_in_bank": (COLLECTIONS, "not_in_bank"),
    "unrecorded_receipt": (COLLECTIONS, "unrecorded_receipt"),
    "card_payout_fee": (COLLECTIONS, "fee_difference"),
}
"""Bank plant -> (rule, discrepancy type) it must produce, exactly once."""
CSV_COLUMNS = ("交易日期", "交易流水号", "摘要", "对方户名", "对方账号", "借方发生额", "贷方发生额", "余额")
_CENT = Decimal("0.01")


@dataclass(frozen=True)
class BankPlant:
    """One planted bank finding: its plant name, the payments (left) and bank lines (right) it names."""

    plant: str
    payments: tuple[str, ...]
    lines: tuple[str, ...]


@dataclass(frozen=True)
class _Line:
    """One statement line as the bank writes it (amount signed: money in > 0)."""

    booked: date
    amount: Decimal
    reference: str
    payer: str
    payer_account: str
    text: str
    end_to_end: str | None = None
    batch: int | None = None
    fee: Decimal | None = None


@dataclass
class BankStatements:
    """The company's bank files (name -> bytes), what they plant and how many lines each account holds."""

    files: dict[str, bytes]
    plants: list[BankPlant] = field(default_factory=list)
    lines: int = 0


def bank_statements(
    payments: Sequence[CanonicalDocument],
    invoice_numbers: dict[str, str],
    *,
    source: str,
    as_of: date,
    seed: int,
    planted: bool,
) -> BankStatements:
    """The statements of the payments `source` records (live, positive ones), received as they were
    paid except for the plants; `invoice_numbers` (invoice external id -> number) is what the payers
    write in their remittance text."""
    received = sorted(
        (p for p in payments if p.total is not None and p.total > 0 and p.issued_on is not None),
        key=lambda p: (p.issued_on, p.number or "", p.external_id),
    )
    cny = [p for p in received if p.currency in (None, "CNY")]
    missing: CanonicalDocument | None = None
    payout: list[CanonicalDocument] = []
    if planted:
        old = [p for p in cny if p.issued_on and p.issued_on <= as_of - timedelta(days=3 * DATE_WINDOW_DAYS)]
        missing = old[len(old) // 2] if old else None
        payout = _payout_group([p for p in cny if p is not missing])
    writer = _Writer(random.Random(seed * 7919 + 21), invoice_numbers, received)
    for n, p in enumerate(received):
        if p is not missing and p not in payout:
            writer.receive(n, p)
    plants: list[BankPlant] = []
    if missing is not None:
        plants.append(BankPlant("not_in_bank", (_key(source, missing),), ()))
    if payout:
        line = writer.payout(payout)
        plants.append(BankPlant("card_payout_fee", tuple(_key(source, p) for p in payout), (line,)))
    if planted:
        plants.append(BankPlant("unrecorded_receipt", (), (writer.stranger(as_of - timedelta(days=9)),)))
    writer.csv += _expenses(writer.csv)
    files = {CAMT_NAME: camt053(writer.camt, as_of), CSV_NAME: icbc_csv(writer.csv)}
    count = len(writer.csv) + sum(len(lines) for lines in writer.camt.values())
    return BankStatements(files, plants, count)


class _Writer:
    """The lines of both files as the payments arrive: CNY at ICBC, other currencies at the Hong Kong
    account (by end-to-end id), each with a bank serial of its own."""

    def __init__(
        self, rng: random.Random, invoice_numbers: dict[str, str], received: Sequence[CanonicalDocument]
    ) -> None:
        self.rng = rng
        self.invoice_numbers = invoice_numbers
        self.serial = iter(range(1, 1_000_000))
        self.csv: list[_Line] = []
        self.camt: dict[str, list[_Line]] = {}
        self.amounts = {p.total for p in received}
        self.paid_by: dict[str, int] = {}
        """Invoice external id -> how many payments apply to it (a text naming it must name one)."""
        for p in received:
            for a in p.allocations:
                self.paid_by[a.invoice_external_id] = self.paid_by.get(a.invoice_external_id, 0) + 1

    def receive(self, n: int, p: CanonicalDocument) -> None:
        assert p.issued_on is not None
        assert p.total is not None
        booked = p.issued_on + timedelta(days=self.rng.choice((0, 0, 1, 1, 2)))
        ids = [a.invoice_external_id for a in p.allocations]
        named = [self.invoice_numbers[i] for i in ids if i in self.invoice_numbers]
        by_invoice = bool(named) and len(named) == len(ids) and all(self.paid_by[i] == 1 for i in ids)
        payer = p.party.name if p.party and p.party.name else "—"
        if p.currency in (None, "CNY"):
            text = f"货款 {','.join(named)}" if by_invoice and n % 3 else f"回款 {p.number}"
            if by_invoice and n % 7 == 1:
                text = "货款 " + _full_width(named[0])  # typed on a Chinese keyboard
            reference = f"{booked:%Y%m%d}{next(self.serial):08d}"
            self.csv.append(_Line(booked, p.total, reference, payer, _account_of(payer), text))
            return
        text = " ".join(named) if by_invoice else f"PAYMENT {p.number}"
        reference = f"HK{booked:%y%m%d}{next(self.serial):07d}"
        line = _Line(booked, p.total, reference, payer, _account_of(payer), text, end_to_end=p.number)
        self.camt.setdefault(p.currency or "CNY", []).append(line)

    def payout(self, payout: Sequence[CanonicalDocument]) -> str:
        """The card processor's settlement of `payout` the day after the last, net of its commission,
        the fee and the count stated on the line; its document key."""
        gross = sum((p.total or Decimal(0) for p in payout), Decimal(0))
        fee = (gross * FEE_PERCENT).quantize(_CENT)
        booked = max(p.issued_on for p in payout if p.issued_on is not None) + timedelta(days=1)
        reference = f"HK{booked:%y%m%d}{next(self.serial):07d}"
        text = "UMS SETTLEMENT " + " ".join(p.number or p.external_id for p in payout)
        line = _Line(
            booked, gross - fee, reference, PROCESSOR, "6228480010000099", text, None, len(payout), fee
        )
        self.camt.setdefault("CNY", []).append(line)
        return _key(BANK, None, f"{CAMT_ACCOUNTS['CNY']}/{reference}")

    def stranger(self, booked: date) -> str:
        """Money from someone the books do not know, of an amount no payment has; its document key."""
        amount = Decimal("8650.00")
        while amount in self.amounts:
            amount += Decimal("13.00")
        reference = f"{booked:%Y%m%d}{next(self.serial):08d}"
        self.csv.append(_Line(booked, amount, reference, STRANGER, _account_of(STRANGER), "预付款"))
        return _key(BANK, None, f"{ICBC_ACCOUNT}/{reference}")


def _payout_group(cny: Sequence[CanonicalDocument]) -> list[CanonicalDocument]:
    """Three CNY payments of different customers paid within three days: what a card processor settles in
    one payout the next day (the first such three, so the choice is the seed's)."""
    for start, first in enumerate(cny):
        assert first.issued_on is not None
        group = [first]
        for other in cny[start + 1 :]:
            assert other.issued_on is not None
            if (other.issued_on - first.issued_on).days > 3:
                break
            if all(other.party != p.party for p in group) and len(group) < 3:
                group.append(other)
        if len(group) == 3:
            return group
    return []


def _expenses(lines: Sequence[_Line]) -> list[_Line]:
    """Two debits each month the account moved (salaries, tax): money out, never a receipt."""
    months = sorted({(line.booked.year, line.booked.month) for line in lines})
    out = []
    counter = iter(range(900_001, 999_999))
    for year, month in months[-2:]:
        day = date(year, month, 10)
        out.append(_Line(day, Decimal("-86400.00"), f"{day:%Y%m%d}{next(counter):08d}", "明辉集团工资户",
                         "1001234509006600001", "代发工资"))  # fmt: skip
        day = date(year, month, 15)
        out.append(_Line(day, Decimal("-12650.38"), f"{day:%Y%m%d}{next(counter):08d}",
                         "国家税务总局上海市税务局", "", "税费 增值税"))  # fmt: skip
    return out


def _key(source: str, doc: CanonicalDocument | None, external_id: str = "") -> str:
    if doc is not None:
        return f"{source}/{doc.kind.value}/{doc.external_id}"
    return f"{source}/{DocumentKind.BANK_TRANSACTION.value}/{external_id}"


def _account_of(name: str) -> str:
    """A payer's account number: the same for the same name, from the name alone."""
    return "62" + f"{sum((i + 1) * ord(c) for i, c in enumerate(name)) * 7919:014d}"[-14:]


def _full_width(text: str) -> str:
    """ASCII letters, digits and the hyphen as their full-width forms (ＩＮＶ－０００１２３)."""
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in text)


def _money(amount: Decimal) -> str:
    return f"{amount.quantize(_CENT)}"


# ----------------------------------------------------------------------------- camt.053.001.02


def camt053(statements: dict[str, list[_Line]], as_of: date) -> bytes:
    """One BkToCstmrStmt with a statement per currency, each balanced: opening (OPBD) + lines = closing
    (CLBD)."""
    created = f"{as_of:%Y-%m-%d}T18:00:00"
    parts = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        '<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02">',
        "<BkToCstmrStmt>",
        f"<GrpHdr><MsgId>HSBCHK{as_of:%Y%m%d}</MsgId><CreDtTm>{created}</CreDtTm></GrpHdr>",
    ]
    for number, (currency, unordered) in enumerate(sorted(statements.items()), 1):
        lines = sorted(unordered, key=lambda line: (line.booked, line.reference))
        opening = Decimal("250000.00")
        closing = opening + sum((line.amount for line in lines), Decimal(0))
        first, last = lines[0].booked, lines[-1].booked
        parts += [
            "<Stmt>",
            f"<Id>STMT-{currency}-{as_of:%Y%m}</Id><ElctrncSeqNb>{number}</ElctrncSeqNb>",
            f"<CreDtTm>{created}</CreDtTm>",
            f"<FrToDt><FrDtTm>{first}T00:00:00</FrDtTm><ToDtTm>{last}T23:59:59</ToDtTm></FrToDt>",
            f"<Acct><Id><IBAN>{CAMT_ACCOUNTS[currency]}</IBAN></Id><Ccy>{currency}</Ccy>"
            "<Svcr><FinInstnId><BIC>HSBCHKHHHKH</BIC></FinInstnId></Svcr></Acct>",
            _balance("OPBD", opening, currency, first),
            _balance("CLBD", closing, currency, last),
        ]
        parts += [_entry(line, currency) for line in lines]
        parts.append("</Stmt>")
    parts += ["</BkToCstmrStmt>", "</Document>", ""]
    return "\n".join(parts).encode("utf-8")


def _balance(code: str, amount: Decimal, currency: str, on: date) -> str:
    sign = "CRDT" if amount >= 0 else "DBIT"
    return (
        f"<Bal><Tp><CdOrPrtry><Cd>{code}</Cd></CdOrPrtry></Tp>"
        f'<Amt Ccy="{currency}">{_money(abs(amount))}</Amt><CdtDbtInd>{sign}</CdtDbtInd>'
        f"<Dt><Dt>{on}</Dt></Dt></Bal>"
    )


def _entry(line: _Line, currency: str) -> str:
    sign = "CRDT" if line.amount > 0 else "DBIT"
    charges = (
        ""
        if line.fee is None
        else f'<Chrgs><Rcrd><Amt Ccy="{currency}">{_money(line.fee)}</Amt>'
        "<CdtDbtInd>DBIT</CdtDbtInd></Rcrd></Chrgs>"
    )
    batch = "" if line.batch is None else f"<Btch><NbOfTxs>{line.batch}</NbOfTxs></Btch>"
    end_to_end = line.end_to_end or "NOTPROVIDED"
    return (
        f'<Ntry><Amt Ccy="{currency}">{_money(abs(line.amount))}</Amt><CdtDbtInd>{sign}</CdtDbtInd>'
        f"<Sts>BOOK</Sts><BookgDt><Dt>{line.booked}</Dt></BookgDt><ValDt><Dt>{line.booked}</Dt></ValDt>"
        f"<AcctSvcrRef>{line.reference}</AcctSvcrRef>"
        f"<BkTxCd><Domn><Cd>PMNT</Cd><Fmly><Cd>RCDT</Cd><SubFmlyCd>ESCT</SubFmlyCd></Fmly></Domn></BkTxCd>"
        f"{charges}<NtryDtls>{batch}<TxDtls><Refs><EndToEndId>{escape(end_to_end)}</EndToEndId></Refs>"
        f"<RltdPties><Dbtr><Nm>{escape(line.payer)}</Nm></Dbtr>"
        f"<DbtrAcct><Id><Othr><Id>{line.payer_account}</Id></Othr></Id></DbtrAcct></RltdPties>"
        f"<RmtInf><Ustrd>{escape(line.text)}</Ustrd></RmtInf></TxDtls></NtryDtls></Ntry>"
    )


# ----------------------------------------------------------------------------- ICBC CSV


def icbc_csv(lines: Sequence[_Line]) -> bytes:
    """An ICBC account-detail export: title lines (the account among them), the table with a running
    balance (余额) after each row, oldest first, a totals row; GB18030."""
    ordered = sorted(lines, key=lambda line: (line.booked, line.reference))
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    first, last = ordered[0].booked, ordered[-1].booked  # the expenses make it never empty
    writer.writerow(["中国工商银行 账户明细"])
    writer.writerow([f"账号：{ICBC_ACCOUNT}"])
    writer.writerow(["户名：明辉集团有限公司"])
    writer.writerow([f"起始日期：{first:%Y-%m-%d}", f"终止日期：{last:%Y-%m-%d}", "币种：人民币"])
    writer.writerow(CSV_COLUMNS)
    balance = Decimal("1280000.00")
    credits = debits = Decimal(0)
    for line in ordered:
        balance += line.amount
        credit = f"{line.amount:,.2f}" if line.amount > 0 else ""
        debit = f"{-line.amount:,.2f}" if line.amount < 0 else ""
        credits += max(line.amount, Decimal(0))
        debits += max(-line.amount, Decimal(0))
        writer.writerow([
            f"{line.booked:%Y-%m-%d}", line.reference, line.text, line.payer, line.payer_account,
            debit, credit, f"{balance:,.2f}",
        ])  # fmt: skip
    writer.writerow(["合计", "", "", "", "", f"{debits:,.2f}", f"{credits:,.2f}", ""])
    return out.getvalue().encode("gb18030")


def csv_mapping_yaml(indent: str) -> str:
    """The connector's `csv:` block reading `icbc_csv`'s export (its column mapping)."""
    return f"""\
{indent}csv:                               # 中国工商银行 account-detail export
{indent}  encoding: gb18030
{indent}  currency: CNY
{indent}  columns: {{date: 交易日期, reference: 交易流水号, text: 摘要, counterparty: 对方户名,
{indent}            counterparty_account: 对方账号, debit: 借方发生额, credit: 贷方发生额, balance: 余额}}
"""
