"""Catalogue section: what keeps an accounting connection alive — the refresh token's expiry and the
API calls counted against a monthly allowance (issue 19, ADR 0033)."""

from __future__ import annotations

from typing import Final

MESSAGES: Final[dict[str, tuple[str, str]]] = {
    "api_calls.month": (
        "API calls in {month} (UTC, counted against monthly allowances such as QuickBooks'): {counts}",
        "{month} 的 API 调用次数（UTC，计入 QuickBooks 等供应商的月度配额）：{counts}",
    ),
    "token_expiry.due": (
        "warning: connector {connector}: its refresh token expires {date} (in {days} day(s)); run "
        "`ledgerbridge connector authorize {connector}` before then",
        "警告：连接器 {connector} 的刷新令牌将于 {date} 过期（还剩 {days} 天）；请在此之前运行 "
        "`ledgerbridge connector authorize {connector}`",
    ),
    "token_expiry.expired": (
        "warning: connector {connector}: its refresh token expired {date}; it cannot sync until you run "
        "`ledgerbridge connector authorize {connector}`",
        "警告：连接器 {connector} 的刷新令牌已于 {date} 过期；在运行 "
        "`ledgerbridge connector authorize {connector}` 之前无法同步",
    ),
}
