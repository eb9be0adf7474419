"""Catalogue section: `ledgerbridge connector authorize` (ADR 0033)."""

from __future__ import annotations

from typing import Final

MESSAGES: Final[dict[str, tuple[str, str]]] = {
    "authorize.unsupported": (
        "connector {connector} (kind {kind}) has no authorization flow: its credentials are set in the "
        "config",
        "连接器 {connector}（类型 {kind}）没有授权流程：其凭据直接写在配置中",
    ),
    "authorize.open": (
        "Open this URL, sign in and allow access:\n{url}",
        "请打开以下网址，登录并允许访问：\n{url}",
    ),
    "authorize.waiting": (
        "Waiting up to {seconds}s for the redirect to {redirect_uri} …",
        "正在等待跳转到 {redirect_uri}（最多 {seconds} 秒）……",
    ),
    "authorize.paste_prompt": (
        "Paste the code, or the whole URL the browser was sent to",
        "请粘贴授权码，或浏览器跳转到的完整网址",
    ),
    "authorize.not_loopback": (
        "{redirect_uri} is not a loopback address this command can listen on: use --paste, or an "
        "http://127.0.0.1:PORT/... redirect registered with the vendor's app",
        "{redirect_uri} 不是本命令可以监听的本机地址：请使用 --paste，或在供应商应用中登记 "
        "http://127.0.0.1:端口/... 形式的跳转地址",
    ),
    "authorize.timeout": (
        "no redirect arrived within {seconds}s: run the command again (or use --paste)",
        "{seconds} 秒内没有收到跳转：请重新运行本命令（或使用 --paste）",
    ),
    "authorize.refused": ("authorization refused: {error}", "授权被拒绝：{error}"),
    "authorize.exchange_failed": (
        "the vendor did not exchange the code for tokens: {error}",
        "供应商未能用授权码换取令牌：{error}",
    ),
    "authorize.done": (
        "connector {connector}: authorized; tokens stored encrypted",
        "连接器 {connector}：已授权，令牌已加密保存",
    ),
    "authorize.realm": ("company (realmId): {realm}", "公司（realmId）：{realm}"),
    "authorize.set_refresh": (
        "set credentials.refresh_token of connector {connector} to {reference} in the config",
        "请在配置中把连接器 {connector} 的 credentials.refresh_token 设为 {reference}",
    ),
}
