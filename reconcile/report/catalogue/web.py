"""Catalogue section: the web app (pages, login, errors), `ledgerbridge web` and `ledgerbridge user`."""

from __future__ import annotations

from typing import Final

MESSAGES: Final[dict[str, tuple[str, str]]] = {
    # ---------------------------------------------------------------- the frame of every page
    "web.app_name": ("Reconciliation", "对账"),
    "web.nav.label": ("Main", "主导航"),
    "web.nav.today": ("Today", "今日"),
    "web.nav.queue": ("Queue", "待办队列"),
    "web.nav.connectors": ("Connectors", "连接器"),
    "web.nav.reports": ("Reports", "报表"),
    "web.nav.audit": ("Audit log", "审计日志"),
    "web.nav.aliases": ("Aliases", "客户别名"),
    "web.nav.search": ("Document number…", "单据编号…"),
    "web.logout": ("Log out", "退出登录"),
    "web.role.viewer": ("viewer", "查看者"),
    "web.role.reviewer": ("reviewer", "审核人"),
    "web.role.admin": ("admin", "管理员"),
    # ---------------------------------------------------------------- login
    "web.login.title": ("Log in", "登录"),
    "web.login.username": ("User name", "用户名"),
    "web.login.password": ("Password", "密码"),
    "web.login.submit": ("Log in", "登录"),
    "web.login.failed": ("Wrong user name or password.", "用户名或密码错误。"),
    "web.login.throttled": (
        "Too many failed attempts. Wait a few minutes and try again.",
        "失败次数过多，请等几分钟后再试。",
    ),
    "web.login.expired": (
        "The login form expired. Please try again.",
        "登录表单已过期，请重试。",
    ),
    # ---------------------------------------------------------------- errors
    "web.error.forbidden": ("You may not do this.", "您没有执行此操作的权限。"),
    "web.error.not_found": ("There is no such page.", "没有这个页面。"),
    "web.error.bad_request": ("The request was not understood.", "无法理解该请求。"),
    "web.error.other": ("Something went wrong.", "出现了问题。"),
    "web.error.home": ("Back to the start page", "返回首页"),
    # ---------------------------------------------------------------- ledgerbridge web
    "web.serving": ("web: serving on {url} (Ctrl-C stops)", "网页：正在 {url} 提供服务（Ctrl-C 停止）"),
    "web.exposed": (
        "web: {host} is reachable from other machines and this server speaks plain HTTP: put a TLS "
        "proxy in front and pass --proxy-headers (docs/web.md)",
        "网页：{host} 可从其他机器访问，而本服务使用明文 HTTP：请在前面放置 TLS 反向代理并加上 "
        "--proxy-headers（见 docs/web.md）",
    ),
    "web.no_users": (
        "web: no users yet: add one with `ledgerbridge user add NAME --role admin`",
        "网页：尚无用户：用 `ledgerbridge user add NAME --role admin` 添加",
    ),
    # ---------------------------------------------------------------- ledgerbridge user
    "user.prompt": ("Password for {name}", "{name} 的密码"),
    "user.short_password": (
        "a password has at least {minimum} characters",
        "密码至少需要 {minimum} 个字符",
    ),
    "user.bad_name": (
        "{name} is not a user name (1-100 printable characters, no surrounding spaces)",
        "{name} 不是有效的用户名（1-100 个可打印字符，首尾无空格）",
    ),
    "user.exists": ("a user named {name} exists", "用户 {name} 已存在"),
    "user.no_such": ("no user named {name}", "没有名为 {name} 的用户"),
    "user.added": ("user {name} added as {role}", "已添加用户 {name}，角色：{role}"),
    "user.none": ("No users yet.", "尚无用户。"),
    "user.row": ("{name}\t{role}\t{state}\tsince {created}", "{name}\t{role}\t{state}\t创建于 {created}"),
    "user.enabled": ("enabled", "启用"),
    "user.disabled_state": ("disabled", "已停用"),
    "user.disabled": (
        "user {name} disabled: cannot log in, open sessions ended",
        "已停用用户 {name}：无法登录，已结束其会话",
    ),
    "user.enabled_again": ("user {name} may log in again", "用户 {name} 可再次登录"),
    "user.password_reset": (
        "password of {name} reset, open sessions ended",
        "已重置 {name} 的密码，已结束其会话",
    ),
    # ---------------------------------------------------------------- help (ADR 0024)
    "help.user": (
        "Users of the web app and their roles: viewer, reviewer, admin.",
        "网页应用的用户及其角色：查看者（viewer）、审核人（reviewer）、管理员（admin）。",
    ),
    "help.user.add": (
        "Add a user NAME with a role; the password is prompted for without echo, or read from stdin.",
        "添加用户 NAME 并指定角色；密码以不回显方式提示输入，或从标准输入读取。",
    ),
    "help.user.add.--role": (
        "viewer reads; reviewer also acts on exceptions; admin also runs connectors, sets secrets, "
        "manages users and verifies the audit log.",
        "viewer 只读；reviewer 还可处理差异；admin 还可运行连接器、设置机密、管理用户并校验审计日志。",
    ),
    "help.user.add.--stdin": (
        "Read the password from standard input (one line).",
        "从标准输入读取密码（一行）。",
    ),
    "help.user.list": (
        "Every user with its role and whether it may log in. Never a password or its hash.",
        "列出每个用户的角色及能否登录。从不显示密码或其哈希。",
    ),
    "help.user.disable": (
        "Refuse NAME's logins from now on and end its open sessions.",
        "从现在起拒绝 NAME 登录，并结束其已打开的会话。",
    ),
    "help.user.enable": ("Let a disabled user NAME log in again.", "允许已停用的用户 NAME 再次登录。"),
    "help.user.reset-password": (
        "Set a new password for NAME (prompted for, or read from stdin) and end its open sessions.",
        "为 NAME 设置新密码（提示输入或从标准输入读取），并结束其已打开的会话。",
    ),
    "help.user.reset-password.--stdin": (
        "Read the password from standard input (one line).",
        "从标准输入读取密码（一行）。",
    ),
    "help.web": (
        "Serve the web app for finance and admins until Ctrl-C/SIGTERM (loopback by default).",
        "为财务和管理员提供网页应用，直到 Ctrl-C/SIGTERM（默认只监听本机）。",
    ),
    "help.web.--host": (
        "Address to listen on (a non-loopback address without a TLS proxy in front is warned about).",
        "监听地址（非本机地址且前面没有 TLS 代理时会给出警告）。",
    ),
    "help.web.--port": ("Port to listen on.", "监听端口。"),
    "help.web.--proxy-headers": (
        "Trust X-Forwarded-Proto/-For from the reverse proxy in front (its address: $FORWARDED_ALLOW_IPS, "
        "default 127.0.0.1).",
        "信任前置反向代理发送的 X-Forwarded-Proto/-For（代理地址：$FORWARDED_ALLOW_IPS，默认 127.0.0.1）。",
    ),
}
