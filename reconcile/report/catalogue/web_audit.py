"""Catalogue section: the web app's Audit log page (filters, paging, verify)."""

from __future__ import annotations

from typing import Final

MESSAGES: Final[dict[str, tuple[str, str]]] = {
    "web.audit.title": ("Audit log", "审计日志"),
    "web.audit.filter.action": ("Action starts with", "操作前缀"),
    "web.audit.filter.actor": ("Actor", "操作人"),
    "web.audit.filter.since": ("From", "起始日期"),
    "web.audit.filter.until": ("To", "截止日期"),
    "web.audit.filter.apply": ("Filter", "筛选"),
    "web.audit.filter.bad_date": ("Dates are yyyy-mm-dd.", "日期格式为 yyyy-mm-dd。"),
    "web.audit.col.id": ("Row", "行"),
    "web.audit.col.at": ("When", "时间"),
    "web.audit.col.actor": ("Actor", "操作人"),
    "web.audit.col.action": ("Action", "操作"),
    "web.audit.col.detail": ("Detail", "详情"),
    "web.audit.empty": ("No entry matches.", "没有匹配的条目。"),
    "web.audit.page": ("Entries {first}–{last} of {total}", "第 {first}–{last} 条，共 {total} 条"),
    "web.audit.newer": ("Newer", "较新"),
    "web.audit.older": ("Older", "较旧"),
    "web.audit.verify": ("Verify", "校验"),
    "web.audit.verify.help": (
        "Checks the chain under the seal key, its head file, and every document's digest "
        "(as `ledgerbridge audit verify`).",
        "按封印密钥校验链条、链头文件及每张单据的摘要（同 `ledgerbridge audit verify`）。",
    ),
    "web.audit.verify.ok": (
        "Intact: {rows} audit rows chain under seal key {fingerprint}; "
        "{documents} documents match their digests.",
        "完好：{rows} 条审计记录在封印密钥 {fingerprint} 下成链；{documents} 张单据与摘要一致。",
    ),
    "web.audit.verify.unsealed": (
        "The chain predates sealing (plain SHA-256): the next audited action seals it.",
        "该链早于封印机制（纯 SHA-256）：下一次被审计的操作会为其加封。",
    ),
    "web.audit.verify.bad": (
        "The audit log or the ledger was changed outside ledgerbridge.",
        "审计日志或台账在 ledgerbridge 之外被改动。",
    ),
    "web.audit.verify.rows": ("Audit rows", "审计记录"),
    "web.audit.verify.row": ("row {row}: {problem}", "第 {row} 行：{problem}"),
    "web.audit.verify.documents": (
        "Documents changed outside ledgerbridge",
        "在 ledgerbridge 之外被改动的单据",
    ),
    "web.audit.verify.document": (
        "{source} {kind} {external_id} (row {id}): {problem}",
        "{source} {kind} {external_id}（第 {id} 行）：{problem}",
    ),
    "web.audit.verify.repair": (
        "`ledgerbridge sync run --full --repair` rewrites changed documents from the vendor's records.",
        "`ledgerbridge sync run --full --repair` 会按供应商记录重写被改动的单据。",
    ),
    "web.audit.verify.unsealed_documents": (
        "{count} documents were written before digests existed.",
        "{count} 张单据写入于摘要机制之前。",
    ),
}
