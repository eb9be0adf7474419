"""Catalogue section: what `ledgerbridge demo` says about the books it reconciles against
(sync/commands/demo_cmd.py, connectors/sandbox/accounting.py)."""

from __future__ import annotations

from typing import Final

MESSAGES: Final[dict[str, tuple[str, str]]] = {
    "help.demo.--accounting": (
        "Where the company keeps its books: Zoho Books, QuickBooks Online or Xero (each in its own "
        "sandbox); Zoho CRM and Fxiaoke are reconciled against them.",
        "公司的账簿记在哪里：Zoho Books、QuickBooks Online 或 Xero（各自有沙箱）；Zoho CRM 和纷享销客"
        "与之对账。",
    ),
    "help.demo.--pair": (
        "Which systems the company lives in: Zoho CRM and Fxiaoke against the --accounting books, or "
        "Fxiaoke against the Kingdee K/3 Cloud account it feeds.",
        "公司的数据在哪些系统里：Zoho CRM 和纷享销客对 --accounting 所选的账簿，或纷享销客对它所记入的"
        "金蝶云星空账套。",
    ),
    "demo.books": ("Books: {label}", "账簿：{label}"),
    "demo.bank": (
        "Bank statements {files} loaded into {connector} ({lines} lines); {rule} matched the books' "
        "payments with the bank's credits: {findings}.",
        "银行对账单 {files} 已导入 {connector}（{lines} 笔）；{rule} 将账簿的收款与银行入账逐笔核对："
        "{findings}。",
    ),
    "demo.bank.clean": ("every payment is in the bank", "每笔收款均已到账"),
    "demo.bank.finding": ("{label} {count}", "{label} {count} 笔"),
}
