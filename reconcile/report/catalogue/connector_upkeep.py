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
    "web.authorize.button": ("Authorize", "授权"),
    "web.authorize.done": (
        "Connector {connector} is connected: its tokens are stored encrypted.",
        "连接器 {connector} 已连接：其令牌已加密保存。",
    ),
    "web.authorize.realm": (
        "QuickBooks company (realm_id): {realm}.",
        "QuickBooks 公司（realm_id）：{realm}。",
    ),
    "web.authorize.set_refresh": (
        "Set the connector's credentials.refresh_token to {reference} in the config.",
        "请在配置中把该连接器的 credentials.refresh_token 设为 {reference}。",
    ),
    "web.authorize.refused": (
        "Connector {connector} was not connected: the vendor refused the authorization or sent no code. "
        "Try Authorize again.",
        "连接器 {connector} 未连接：供应商拒绝了授权或没有返回授权码。请重新点击“授权”。",
    ),
    "web.authorize.state": (
        "The authorization answer was refused: it was not started from this session, was altered or is "
        "older than 15 minutes. Start again with Authorize.",
        "授权回复被拒绝：它不是由本次会话发起、已被篡改或已超过 15 分钟。请重新点击“授权”。",
    ),
    "web.authorize.exchange": (
        "Connector {connector} was not connected: the vendor did not exchange the code for tokens (the "
        "server log says why). Check the client id and secret and the registered redirect URI, then try "
        "again.",
        "连接器 {connector} 未连接：供应商未能用授权码换取令牌（原因见服务器日志）。请检查 client id、"
        "client secret 和登记的跳转地址后重试。",
    ),
    "web.authorize.config": (
        "Connector {connector} cannot be authorized: its configuration is incomplete (the server log says "
        "what). Run `ledgerbridge config check`.",
        "连接器 {connector} 无法授权：其配置不完整（原因见服务器日志）。请运行 `ledgerbridge config check`。",
    ),
    "web.authorize.unsupported": (
        "Connector {connector} has no authorization flow: its credentials are set in the config.",
        "连接器 {connector} 没有授权流程：其凭据直接写在配置中。",
    ),
}
